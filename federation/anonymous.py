"""Accountable anonymous submissions: a member writes the group a direct message starting
with the group's keyword (``!anon`` unless changed); it waits for the group's moderators (and
the instance's admins), who read the text but not who wrote it. Approved, the group
publishes the text as its own note, attributed to the group alone, with the group's
visibility; the author is told by direct message that it was published (with its link) or
declined (with the moderator's note).

Who wrote it is sealed (``storage.anonymous``): unsealed only by an explicit call with a
reason, audited each time; a moderator can ban the author through the post without
unsealing. Nothing the group federates or serves about the post names the author, nor do
the results and audit entries any staff account reads: only the notices to the author.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import asyncpg

from federation import decisions, membership, outbox, relay
from federation.context import FederationContext
from federation.nodeinfo import learn_software
from federation.remote import RemoteError
from federation.sanitize import text_to_html
from federation.screening import Action, RewriteKind, Verdict
from federation.wire import Activity
from storage import actors, audit, bans, follows, group_notes, group_posts
from storage import anonymous as store
from storage.actors import LocalActor
from storage.anonymous import Seal, Submission

if TYPE_CHECKING:
    from federation.direct import DirectMessage

MAX_TEXT = 10_000
MAX_KEYWORD = 32


class AnonymousError(Exception):
    """A refused request about a submission; the message never names the author."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


def check_keyword(value: Any) -> str | None:
    """Why ``value`` cannot be a group's keyword, or None."""
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_KEYWORD:
        return f"must be a word of 1 to {MAX_KEYWORD} characters"
    if any(c.isspace() for c in value) or not value.isprintable():
        return "must be one word, without spaces"
    return None


def parse(text: str, keyword: str) -> str | None:
    """The submission in a message's plain text: what follows ``keyword`` (any case, after
    any whitespace), stripped; "" when the keyword stands alone; None when the message does
    not start with it ("!anonymous" does not start with "!anon")."""
    found = re.match(rf"\s*{re.escape(keyword)}(?=\s|$)(.*)", text, re.IGNORECASE | re.DOTALL)
    return None if found is None else found.group(1).strip()


def audit_target(ctx: FederationContext, group: LocalActor, submission_id: int) -> str:
    """How audit entries name a submission (never its author)."""
    return f"{outbox.actor_id(ctx, group)}/anonymous/{submission_id}"


async def log_verdict(
    ctx: FederationContext, conn: asyncpg.Connection, activity: Activity, verdict: Verdict
) -> None:
    """The instance's decision on a direct message that became a submission, in the audit
    log under the submission, never its author; a hold's reason is shown to the group's
    moderators with it. A message that did not become one is logged as any post."""
    found = await store.by_activity(conn, activity.id)
    group = await actors.local_actor_by_id(conn, found.group_id) if found else None
    if found is None or group is None:
        await decisions.log_verdict(conn, verdict, activity)
        return
    await decisions.log_verdict(
        conn, verdict, activity, group=group.username,
        sealed_as=audit_target(ctx, group, found.id),
    )  # fmt: skip
    if verdict.action == Action.HOLD:
        await store.set_mark(conn, found.id, verdict.reason)


# -- taking a direct message (federation.direct) -------------------------------------------


@dataclass(frozen=True)
class _Submit:
    message: DirectMessage
    text: str
    # After the group's own policies: a content warning they add, and why they would hold it.
    summary: str | None
    sensitive: bool
    mark: str = ""

    async def apply(self, ctx: FederationContext, conn: asyncpg.Connection) -> str:
        activity, post, group = self.message.activity, self.message.post, self.message.group
        submission = await store.submit(
            conn, group_id=group.id, activity_uri=activity.id, object_uri=post.id,
            actor_uri=activity.actor, content=self.text, summary=self.summary,
            sensitive=self.sensitive,
        )  # fmt: skip
        # The inbox activity's result is read by operators: the submission, not its author.
        if submission is None:
            return f"anonymous submission to {group.username} received before"
        if self.mark:
            await store.set_mark(conn, submission, self.mark)
        return f"anonymous submission {submission} to {group.username} held for its moderators"


@dataclass(frozen=True)
class _Refuse:
    """Not a member (or banned): the group's refusal, as for any post it does not relay."""

    message: DirectMessage
    reason: str
    inbox: str
    software: str | None

    async def apply(self, ctx: FederationContext, conn: asyncpg.Connection) -> str:
        m = self.message
        refusal = relay.RelayDecision(m.group, False, self.reason)
        done = await relay.apply(
            ctx, conn, m.activity, m.post, [refusal], self.inbox, self.software
        )
        return "; ".join(done)


@dataclass(frozen=True)
class _Notice:
    """A direct message back to the author (the keyword alone, a text too long)."""

    message: DirectMessage
    text: str
    inbox: str

    async def apply(self, ctx: FederationContext, conn: asyncpg.Connection) -> str:
        group = self.message.group
        note = relay.direct_note(ctx, group, self.message.activity.actor, self.text)
        await outbox.send(ctx, conn, group, note, [self.inbox])
        return f"anonymous submission to {group.username} not taken: the author was told why"


async def take(
    ctx: FederationContext, message: DirectMessage
) -> _Submit | _Refuse | _Notice | None:
    """A direct message to the group starting with its keyword: a member's submission, or
    the group's answer to anyone else. None when the message does not start with it."""
    group = message.group
    keyword = await store.keyword(ctx.pool, group.id)
    text = parse(message.text, keyword)
    if text is None:
        return None
    author = message.activity.actor
    refusal = await _refusal(ctx, group, author)
    if refusal is not None:
        inbox = (await ctx.directory.get_actor(author)).inbox
        return _Refuse(message, refusal, inbox, await learn_software(ctx, author))
    if not text or len(text) > MAX_TEXT:
        inbox = (await ctx.directory.get_actor(author)).inbox
        return _Notice(message, _help(group, keyword, text), inbox)
    # The group's own policies, as for any post to it (its default content warnings...).
    verdict = await ctx.moderation.screen_group(group.id, message.activity, ctx.clock())
    if verdict.action == Action.REJECT:
        inbox = (await ctx.directory.get_actor(author)).inbox
        reason = "it does not meet this group's rules"
        return _Refuse(message, reason, inbox, await learn_software(ctx, author))
    summary, sensitive = message.post.summary, message.post.sensitive
    for rewrite in verdict.rewrites:
        if rewrite.kind == RewriteKind.CONTENT_WARNING and not summary:
            summary, sensitive = rewrite.value, True
        elif rewrite.kind == RewriteKind.SENSITIVE:
            sensitive = True
    mark = verdict.reason if verdict.action == Action.HOLD else ""
    # Accepted without fetching anything about the author: nothing about them to log.
    return _Submit(message, text, summary, sensitive, mark)


async def _refusal(ctx: FederationContext, group: LocalActor, author: str) -> str | None:
    """Only members (accepted followers) who are not banned may post anonymously."""
    banned = await bans.active_reason(ctx.pool, group.id, author)
    if banned is not None:
        return "you are banned from this group" + (f": {banned}" if banned else "")
    follow = await follows.follow_between(ctx.pool, author, outbox.actor_id(ctx, group))
    if follow is None or follow.state != "accepted":
        return "only members may post anonymously to this group"
    return None


def _help(group: LocalActor, keyword: str, text: str) -> str:
    if text:
        return (
            f"Your anonymous post to {group.name} was not sent: it is longer than "
            f"{MAX_TEXT} characters. Please shorten it and send it again after {keyword}."
        )
    return (
        f"To post anonymously in {group.name}, write your post after {keyword} in one direct "
        f'message to the group, for example: "{keyword} what I want to share". The group\'s '
        "moderators read it first; it is published by the group without your name."
    )


# -- moderators' decisions ---------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    submission: Submission
    effects: list[str]


async def submission_and_group(
    ctx: FederationContext, submission_id: int | None = None, note_uri: str | None = None
) -> tuple[Submission, LocalActor]:
    """A submission by its id or its published note's id, with its group; 404 otherwise."""
    found = None
    if submission_id is not None:
        found = await store.get(ctx.pool, submission_id)
    elif note_uri is not None:
        found = await store.by_note(ctx.pool, note_uri)
    group = await actors.local_actor_by_id(ctx.pool, found.group_id) if found else None
    if found is None or group is None:
        raise AnonymousError(404, "no such anonymous submission")
    return found, group


async def approve(
    ctx: FederationContext, submission_id: int, *, who: str, note: str = ""
) -> Outcome:
    """Publish the text as the group's own note (to its followers, in its outbox), and tell
    the author where it is."""
    submission, group = await _pending(ctx, submission_id)
    author, inbox = await _author(ctx, submission.id)
    group_uri = outbox.actor_id(ctx, group)
    address = relay.addressing(ctx, group)
    document = {
        "id": f"{group_uri}/notes/{uuid.uuid4().hex}",
        "type": "Note",
        "attributedTo": group_uri,
        **address,
        "content": text_to_html(submission.content),
        "summary": submission.summary,
        "sensitive": submission.sensitive,
        "audience": group_uri,
        "published": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    create = outbox.new_activity(ctx, group, "Create", document, **address)
    effects = [f"published by {group.username}"]
    async with ctx.pool.acquire() as conn, conn.transaction():
        if not await store.decide(
            conn, submission.id, state="approved", who=who, note=note, note_uri=document["id"]
        ):
            raise AnonymousError(409, f"submission {submission.id} was decided meanwhile")
        # Listed and served like the group's other own notes; the group is its author.
        await group_posts.add(
            conn, group_id=group.id, object_uri=document["id"], author_uri=group_uri,
            announce=create,
        )  # fmt: skip
        await group_notes.add(conn, group_id=group.id, object_uri=document["id"], document=document)
        await relay.to_followers(ctx, conn, group, create, create)
        text = f"Your anonymous post was published in {group.name}:"
        effects.append(await _tell(ctx, conn, group, author, inbox, text, document["id"]))
        await _audit(ctx, conn, group, submission, "anonymous_approve", who, note, document["id"])
    return Outcome(await _reread(ctx, submission.id), effects)


async def decline(
    ctx: FederationContext, submission_id: int, *, who: str, note: str = ""
) -> Outcome:
    """Nothing is published; the author is told, with the moderator's note."""
    submission, group = await _pending(ctx, submission_id)
    author, inbox = await _author(ctx, submission.id)
    text = f"Your anonymous post to {group.name} was not published: declined by the group's "
    text += "moderators" + (f": {note}" if note else ".")
    async with ctx.pool.acquire() as conn, conn.transaction():
        if not await store.decide(conn, submission.id, state="declined", who=who, note=note):
            raise AnonymousError(409, f"submission {submission.id} was decided meanwhile")
        effects = [await _tell(ctx, conn, group, author, inbox, text)]
        await _audit(ctx, conn, group, submission, "anonymous_decline", who, note)
    return Outcome(await _reread(ctx, submission.id), effects)


@dataclass(frozen=True)
class Unsealed:
    seal: Seal
    handle: str | None  # @name@domain, when the author's actor is known here


async def unseal(ctx: FederationContext, submission_id: int, *, who: str, reason: str) -> Unsealed:
    """Who wrote a submission, for the group's moderators and the instance's admins (the
    caller checks): every view is audited with its reason."""
    if not reason.strip():
        raise AnonymousError(400, "give the reason for unsealing the author")
    submission, group = await submission_and_group(ctx, submission_id)
    async with ctx.pool.acquire() as conn, conn.transaction():
        seal = await store.seal(conn, submission.id)
        if seal is None:
            raise AnonymousError(404, "no such anonymous submission")
        await _audit(ctx, conn, group, submission, "anonymous_unseal", who, reason.strip())
    known = await actors.remote_actor(ctx.pool, seal.actor_uri)
    if known is None or not known.preferred_username:
        return Unsealed(seal, None)
    return Unsealed(seal, f"@{known.preferred_username}@{known.domain}")


async def ban_author(
    ctx: FederationContext,
    submission: Submission,
    group: LocalActor,
    *,
    who: str,
    reason: str = "",
    ends_at: datetime | None = None,
) -> Submission:
    """Ban the sealed author from the group (``membership.ban``: a ``Block`` reaches them
    alone, their follow ends, their later posts are refused) without showing who it is; the
    audit entry names the submission, not the member."""
    seal = await store.seal(ctx.pool, submission.id)
    if seal is None:
        raise AnonymousError(404, "no such anonymous submission")
    already = AnonymousError(409, "the author of this post is already banned from the group")
    if await bans.active_reason(ctx.pool, group.id, seal.actor_uri) is not None:
        raise already
    try:
        await membership.ban(
            ctx, group, seal.actor_uri, reason=reason, ends_at=ends_at, who=who,
            audit_target=audit_target(ctx, group, submission.id),
        )  # fmt: skip
    except membership.MembershipError:
        raise already from None  # its message names the member
    await store.mark_banned(ctx.pool, submission.id)
    return await _reread(ctx, submission.id)


async def _pending(ctx: FederationContext, submission_id: int) -> tuple[Submission, LocalActor]:
    submission, group = await submission_and_group(ctx, submission_id)
    if submission.state != "pending":
        raise AnonymousError(409, f"submission {submission.id} was already {submission.state}")
    return submission, group


async def _reread(ctx: FederationContext, submission_id: int) -> Submission:
    found = await store.get(ctx.pool, submission_id)
    assert found is not None  # submissions are never deleted but with their group
    return found


async def _author(ctx: FederationContext, submission_id: int) -> tuple[str, str | None]:
    """The sealed author and their inbox (None when it cannot be reached now: the decision
    stands, the author is not told)."""
    seal = await store.seal(ctx.pool, submission_id)
    if seal is None:
        raise AnonymousError(404, "no such anonymous submission")
    try:
        return seal.actor_uri, (await ctx.directory.get_actor(seal.actor_uri)).inbox
    except RemoteError:
        return seal.actor_uri, None


async def _tell(
    ctx: FederationContext,
    conn: asyncpg.Connection,
    group: LocalActor,
    author: str,
    inbox: str | None,
    text: str,
    link: str | None = None,
) -> str:
    if inbox is None:
        return "the author could not be reached to be told"
    await outbox.send(ctx, conn, group, relay.direct_note(ctx, group, author, text, link), [inbox])
    return "the author was told"


async def _audit(
    ctx: FederationContext,
    conn: asyncpg.Connection,
    group: LocalActor,
    submission: Submission,
    action: str,
    who: str,
    reason: str,
    note_uri: str | None = None,
) -> None:
    published = {"note": note_uri} if note_uri else {}
    await audit.record(
        conn, who=who, action=action, target=audit_target(ctx, group, submission.id),
        reason=reason, source=f"anonymous:{submission.id}",
        details={"group": group.username, **published},
    )  # fmt: skip
