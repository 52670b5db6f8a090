"""FEP-1b12 group relay: a post for one of our groups from someone who may post there is
announced by the group to all its followers and listed in its outbox; a post from someone who
may not is answered with a ``Reject`` (and, for Mastodon-family authors, a direct message):
never dropped silently.

A post is "for" a group when it mentions the group or addresses it in to/cc/audience. Who may
post is a group setting (``members``, the default, ``anyone`` or ``moderators``); replies are
stored, not relayed, unless the group relays ``all`` replies (default: ``top-level``).
Followers' servers get the form they can show (by NodeInfo): group-aware software the
FEP-1b12 ``Announce`` of the activity with ``audience``, Mastodon and unknown software an
``Announce`` of the object (a boost). Deletes withdraw a relay (``withdraw``), moderators
remove one (``remove``), updates and likes are forwarded to group-aware servers
(``forward``).
"""

from __future__ import annotations

import html
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from federation import decisions as decisions_log
from federation import outbox
from federation.context import FederationContext
from federation.documents import PUBLIC
from federation.nodeinfo import is_group_aware
from federation.screening import Action, Verdict, apply_rewrites
from federation.wire import Activity, APObject
from storage import actors, audit, bans, follows, group_notes, group_posts, moderators, software
from storage.actors import LocalActor


@dataclass(frozen=True)
class RelayDecision:
    group: LocalActor
    relay: bool
    reason: str
    # The group's own policies: held for its moderators, or what they decided (for the log).
    held: bool = False
    verdict: Verdict | None = None
    # The post as this group shares it, when a policy rewrote what readers see: a boost
    # cannot carry a rewrite, so the group publishes its own copy.
    copy: Activity | None = None


async def decide(
    ctx: FederationContext, activity: Activity, post: APObject, verdict: Verdict | None = None
) -> list[RelayDecision]:
    """Which of our groups the post is for, and whether each relays it: the group's rules,
    then its own policies (``verdict`` is the instance's, already applied to ``activity``)."""
    decisions = []
    for decision in await _membership_decisions(ctx, activity, post):
        if decision.relay:
            decision = await _group_policies(ctx, decision, activity, verdict)
        decisions.append(decision)
    return decisions


async def _group_policies(
    ctx: FederationContext, decision: RelayDecision, activity: Activity, verdict: Verdict | None
) -> RelayDecision:
    group = decision.group
    ours = await ctx.moderation.screen_group(group.id, activity, ctx.clock())
    if ours.action == Action.REJECT:
        return RelayDecision(group, False, "it does not meet this group's rules", verdict=ours)
    changed = ours.changes_content or (verdict is not None and verdict.changes_content)
    copy = apply_rewrites(activity, ours.rewrites) if changed else None
    if ours.action == Action.HOLD:
        return RelayDecision(group, False, ours.reason, held=True, verdict=ours, copy=copy)
    return RelayDecision(group, True, decision.reason, verdict=ours, copy=copy)


async def _membership_decisions(
    ctx: FederationContext, activity: Activity, post: APObject
) -> list[RelayDecision]:
    decisions = []
    for group in await addressed_groups(ctx, activity, post):
        group_uri = outbox.actor_id(ctx, group)
        banned = await bans.active_reason(ctx.pool, group.id, activity.actor)
        follow = await follows.follow_between(ctx.pool, activity.actor, group_uri)
        if banned is not None:
            reason = "you are banned from this group" + (f": {banned}" if banned else "")
            decisions.append(RelayDecision(group, False, reason))
        elif group.posting == "members" and (follow is None or follow.state != "accepted"):
            decisions.append(RelayDecision(group, False, "only members may post to this group"))
        elif group.posting == "moderators" and not await moderators.is_moderator(
            ctx.pool, group.id, activity.actor
        ):
            decisions.append(RelayDecision(group, False, "only moderators may post here"))
        elif group.visibility == "public" and not post.is_public:
            # A followers-only post or a direct message must not become public by mentioning
            # a public group.
            decisions.append(RelayDecision(group, False, "this group shares only public posts"))
        elif post.in_reply_to is not None and group.replies == "top-level":
            decisions.append(RelayDecision(group, False, "reply"))
        else:
            decisions.append(RelayDecision(group, True, "may post"))
    return decisions


async def addressed_groups(
    ctx: FederationContext, activity: Activity, post: APObject
) -> list[LocalActor]:
    candidates = {
        *activity.to, *activity.cc, *activity.audience,
        *post.to, *post.cc, *post.audience, *(m.href for m in post.mentions),
    }  # fmt: skip
    groups = []
    for uri in sorted(candidates):
        parsed = ctx.urls.parse_actor(uri)
        if parsed is None or parsed[0] != "Group" or "#" in uri:
            continue
        group = await actors.local_actor_by_username(ctx.pool, parsed[1])
        if group is not None and group.kind == "Group":
            groups.append(group)
    return groups


async def apply(
    ctx: FederationContext,
    conn: asyncpg.Connection,
    activity: Activity,
    post: APObject,
    decisions: list[RelayDecision],
    author_inbox: str | None,
    author_software: str | None = None,
) -> list[str]:
    """Announce relayed posts and reject refused ones (with a direct message to authors on
    Mastodon-family software, which shows no Reject), in the caller's transaction."""
    done = []
    for decision in decisions:
        group = decision.group
        if decision.verdict is not None and decision.verdict.acts:
            await decisions_log.log_verdict(conn, decision.verdict, activity, group=group.username)
        if decision.held and decision.verdict is not None:
            await decisions_log.hold(
                conn, activity, decision.verdict, inbox_id=None, group_id=group.id,
                group_ids=[group.id], rewritten=decision.copy is not None,
            )  # fmt: skip
            done.append(f"held by {group.username}: {decision.reason}")
        elif decision.relay and (group.visibility == "members" or decision.copy is not None):
            shared = decision.copy or activity
            if await _republish(
                ctx, conn, group, shared, _post_of(shared, post),
                rewritten=decision.copy is not None,
            ):  # fmt: skip
                done.append(f"republished by {group.username}")
        elif decision.relay:
            group_uri = outbox.actor_id(ctx, group)
            boost = _announce(ctx, group, post.id)
            added = await group_posts.add(
                conn, group_id=group.id, object_uri=post.id, author_uri=activity.actor,
                announce=boost,
            )  # fmt: skip
            if added:
                await to_followers(ctx, conn, group, boost, _announce(
                    ctx, group, _without_context(activity.raw), audience=group_uri
                ))  # fmt: skip
                done.append(f"relayed by {group.username}")
        elif decision.reason != "reply" and author_inbox is not None:
            reject = outbox.new_activity(
                ctx, group, "Reject", activity.id, to=[activity.actor], summary=decision.reason
            )
            await outbox.send(ctx, conn, group, reject, [author_inbox])
            if not is_group_aware(author_software):
                # Mastodon shows no Reject: tell the author in a direct message instead.
                note = _refusal_note(ctx, group, activity.actor, decision.reason)
                await outbox.send(ctx, conn, group, note, [author_inbox])
            done.append(f"rejected by {group.username}: {decision.reason}")
    return done


def _post_of(activity: Activity, post: APObject) -> APObject:
    return activity.object if isinstance(activity.object, APObject) else post


def _refusal_note(
    ctx: FederationContext, group: LocalActor, author: str, reason: str
) -> dict[str, Any]:
    return direct_note(ctx, group, author, f"Your post was not shared in {group.name}: {reason}.")


def direct_note(
    ctx: FederationContext,
    group: LocalActor,
    author: str,
    text: str,
    link: str | None = None,
    *,
    more: tuple[str, ...] = (),
    lang: str | None = None,
    in_reply_to: str | None = None,
) -> dict[str, Any]:
    """A direct message from the group (addressed to the author only, mentioning them): the
    ``Create`` of a note saying ``text``, then ``link`` when given, then the paragraphs
    ``more``; ``lang`` tags it (``contentMap``); ``in_reply_to`` threads it."""
    group_uri = outbox.actor_id(ctx, group)
    name = html.escape(author.rstrip("/").rsplit("/", 1)[-1])
    anchor = f'<a href="{html.escape(author)}" class="u-url mention">@{name}</a>'
    mention = f'<span class="h-card">{anchor}</span>'
    after = f' <a href="{html.escape(link)}">{html.escape(link)}</a>' if link else ""
    content = f"<p>{mention} {html.escape(text)}{after}</p>" + "".join(
        f"<p>{html.escape(p)}</p>" for p in more
    )
    note: dict[str, Any] = {
        "id": f"{group_uri}/notes/{uuid.uuid4().hex}",
        "type": "Note",
        "attributedTo": group_uri,
        "to": [author],
        "cc": [],
        "content": content,
        "tag": [{"type": "Mention", "href": author}],
        "published": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if lang:
        note["contentMap"] = {lang: content}
    if in_reply_to:
        note["inReplyTo"] = in_reply_to
    return outbox.new_activity(ctx, group, "Create", note, to=[author], cc=[])


async def _republish(
    ctx: FederationContext,
    conn: asyncpg.Connection,
    group: LocalActor,
    activity: Activity,
    post: APObject,
    *,
    rewritten: bool = False,
) -> bool:
    """Members-only groups: Mastodon cannot boost a post that is not public, so the group
    publishes its own followers-only copy (the content, then a line naming the author with a
    link to the original); group-aware servers also get the FEP-1b12 form, followers-only.
    A post a policy rewrote (a content warning added, media removed) is published the same
    way by public groups, addressed as the group's posts are, to every follower: a boost or
    a forwarded activity would show the post as its author wrote it."""
    group_uri = outbox.actor_id(ctx, group)
    address = addressing(ctx, group)
    original = html.escape(post.url or post.id)
    author = html.escape(activity.actor.rstrip("/").rsplit("/", 1)[-1])
    credit = f'<p>Shared by @{author}: <a href="{original}">original post</a></p>'
    copy = {
        "id": f"{group_uri}/notes/{uuid.uuid4().hex}",
        "type": "Note",
        "attributedTo": group_uri,
        **address,
        "content": post.content + credit,
        "summary": post.summary,
        "sensitive": post.sensitive,
        "audience": group_uri,
        "published": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    create = outbox.new_activity(ctx, group, "Create", copy, **address)
    added = await group_posts.add(
        conn, group_id=group.id, object_uri=post.id, author_uri=activity.actor, announce=create
    )
    if not added:
        return False
    await group_notes.add(conn, group_id=group.id, object_uri=post.id, document=copy)
    if rewritten:
        await to_followers(ctx, conn, group, create, create)
        return True
    wrapped = outbox.new_activity(
        ctx, group, "Announce", _without_context(activity.raw), **address, audience=group_uri
    )
    await to_followers(ctx, conn, group, create, wrapped)
    return True


def _retraction(ctx: FederationContext, group: LocalActor, relay: dict[str, Any]) -> dict[str, Any]:
    """What takes a relay back on Mastodon: ``Undo`` of the boost, or (members-only groups)
    the group's ``Delete`` of its own copy."""
    group_uri = outbox.actor_id(ctx, group)
    followers = f"{group_uri}/followers"
    if relay["type"] == "Create":
        tombstone = {"id": relay["object"]["id"], "type": "Tombstone"}
        return outbox.new_activity(ctx, group, "Delete", tombstone, to=[followers], cc=[])
    return outbox.new_activity(ctx, group, "Undo", relay, **addressing(ctx, group))


async def _may_take_part(
    ctx: FederationContext, conn: asyncpg.Connection, group: LocalActor, actor_uri: str
) -> bool:
    """Not banned, and a member unless anyone may post."""
    if await bans.active_reason(conn, group.id, actor_uri) is not None:
        return False
    if group.posting == "anyone" and group.visibility == "public":
        return True
    follow = await follows.follow_between(conn, actor_uri, outbox.actor_id(ctx, group))
    return follow is not None and follow.state == "accepted"


def addressing(ctx: FederationContext, group: LocalActor) -> dict[str, list[str]]:
    """Public groups address the public (followers in cc); members-only groups their
    followers alone: nothing a members-only group sends may be public."""
    followers = f"{outbox.actor_id(ctx, group)}/followers"
    if group.visibility == "members":
        return {"to": [followers], "cc": []}
    return {"to": [PUBLIC], "cc": [followers]}


def _announce(ctx: FederationContext, group: LocalActor, obj: Any, **extra: Any) -> dict[str, Any]:
    return outbox.new_activity(
        ctx, group, "Announce", obj, **addressing(ctx, group),
        published=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), **extra,
    )  # fmt: skip


def _without_context(raw: dict[str, Any]) -> dict[str, Any]:
    """The activity as its author sent it, minus ``@context`` (the Announce carries one)."""
    return {k: v for k, v in raw.items() if k != "@context"}


async def to_followers(
    ctx: FederationContext,
    conn: asyncpg.Connection,
    group: LocalActor,
    for_mastodon: dict[str, Any],
    for_group_aware: dict[str, Any],
) -> None:
    """Each follower's server gets the form it can show, decided by its NodeInfo software:
    group-aware software the FEP-1b12 form, Mastodon and unknown software the other."""
    group_uri = outbox.actor_id(ctx, group)
    inboxes = await software.follower_inboxes_by_software(conn, group_uri)
    aware = [inbox for inbox, name in inboxes if is_group_aware(name)]
    others = [inbox for inbox, name in inboxes if not is_group_aware(name)]
    if for_mastodon is for_group_aware:
        # One activity for all: stored once (its id is unique), so sent once to everyone.
        if inboxes:
            await outbox.send(ctx, conn, group, for_mastodon, others + aware)
        return
    if others:
        await outbox.send(ctx, conn, group, for_mastodon, others)
    if aware:
        await outbox.send(ctx, conn, group, for_group_aware, aware)


async def withdraw(
    ctx: FederationContext,
    conn: asyncpg.Connection,
    object_uris: list[str],
    delete: dict[str, Any] | None = None,
) -> list[str]:
    """Posts deleted by their author leave the groups that relayed them: Mastodon-family
    followers get ``Undo(Announce)`` (the boost disappears; Mastodon accepts a ``Delete`` only
    from the author), group-aware ones the author's ``Delete`` announced (FEP-1b12); the post
    leaves the group's outbox."""
    done = []
    for group_id, object_uri, announce in await group_posts.remove_relays_of(conn, object_uris):
        group = await actors.local_actor_by_id(conn, group_id)
        if group is None:
            continue
        group_uri = outbox.actor_id(ctx, group)
        undo = _retraction(ctx, group, announce)
        await group_notes.delete_copy(conn, group.id, object_uri)
        forwarded = (
            _announce(ctx, group, _without_context(delete), audience=group_uri)
            if delete is not None
            else undo
        )
        await to_followers(ctx, conn, group, undo, forwarded)
        done.append(f"withdrawn by {group.username}")
    return done


async def remove(
    ctx: FederationContext,
    group: LocalActor,
    object_uri: str,
    *,
    who: str = "system",
    reason: str = "",
) -> bool:
    """A moderator takes a relayed post out of the group: Mastodon-family followers get
    ``Undo(Announce)`` (the boost disappears), group-aware ones the group's ``Delete`` of the
    post announced (FEP-1b12); it leaves the outbox. False when the group had not relayed it."""
    async with ctx.pool.acquire() as conn, conn.transaction():
        announce = await group_posts.remove_from_group(conn, group.id, object_uri)
        if announce is None:
            return False
        group_uri = outbox.actor_id(ctx, group)
        undo = _retraction(ctx, group, announce)
        await group_notes.delete_copy(conn, group.id, object_uri)
        delete = outbox.new_activity(
            ctx, group, "Delete", object_uri, **addressing(ctx, group), audience=group_uri
        )
        announced = _announce(ctx, group, _without_context(delete), audience=group_uri)
        await to_followers(ctx, conn, group, undo, announced)
        await audit.record(
            conn, who=who, action="post_remove", target=object_uri, reason=reason,
            details={"group": group.username},
        )  # fmt: skip
    return True


async def forward(
    ctx: FederationContext, conn: asyncpg.Connection, object_uri: str, activity: Activity
) -> list[str]:
    """An ``Update`` by the author of a relayed post, or a ``Like`` of one, reaches the group's
    group-aware followers as the group's ``Announce`` of it (FEP-1b12). Mastodon-family
    servers get nothing: they apply updates only from the author, and show no likes."""
    done = []
    for group_id in await group_posts.groups_relaying(conn, object_uri):
        group = await actors.local_actor_by_id(conn, group_id)
        if group is None or not await _may_take_part(ctx, conn, group, activity.actor):
            continue
        if activity.type == "Update":
            # An edit passes the group's own policies as the post did.
            verdict = await ctx.moderation.screen_group(group.id, activity, ctx.clock())
            if verdict.acts:
                await decisions_log.log_verdict(conn, verdict, activity, group=group.username)
            if verdict.action in (Action.REJECT, Action.HOLD):
                done.append(f"not forwarded by {group.username}: {verdict.reason}")
                continue
        group_uri = outbox.actor_id(ctx, group)
        inboxes = await software.follower_inboxes_by_software(conn, group_uri)
        aware = [inbox for inbox, name in inboxes if is_group_aware(name)]
        if aware:
            announce = _announce(ctx, group, _without_context(activity.raw), audience=group_uri)
            await outbox.send(ctx, conn, group, announce, aware)
            done.append(f"forwarded by {group.username}")
    return done
