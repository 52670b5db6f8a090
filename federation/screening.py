"""What the moderation policies see of an incoming activity, and what they can answer.

These are wire-level types: ``federation`` builds a ``Subject`` from an activity and applies
the ``Rewrite``s of a ``Verdict``; ``moderation`` (which may use federation's wire types)
decides. The inbox worker gets decisions through ``FederationContext.moderation`` so that
``federation`` never imports ``moderation``.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from federation.jsonld import is_public_address
from federation.parse import parse_document
from federation.parse_values import as_list
from federation.wire import Activity, ActorDoc, APObject, host_of


class Action(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    HOLD = "hold"
    REWRITE = "rewrite"


class RewriteKind(StrEnum):
    CONTENT_WARNING = "content_warning"  # value: the warning text
    SENSITIVE = "sensitive"
    STRIP_MEDIA = "strip_media"
    FOLLOWERS_ONLY = "followers_only"
    STRIP_AVATAR = "strip_avatar"
    STRIP_BANNER = "strip_banner"


# Rewrites that change what a reader sees of a post: a boost (which shows the author's own
# post) cannot carry them, so a group publishes its own copy instead (``federation.relay``).
CONTENT_REWRITES = frozenset(
    {RewriteKind.CONTENT_WARNING, RewriteKind.SENSITIVE, RewriteKind.STRIP_MEDIA}
)


@dataclass(frozen=True, slots=True)
class Rewrite:
    kind: RewriteKind
    value: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    """One policy's answer, with its reason."""

    action: Action
    reason: str = ""
    policy: str = ""
    rewrites: tuple[Rewrite, ...] = ()

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"action": str(self.action), "policy": self.policy}
        if self.reason:
            data["reason"] = self.reason
        if self.rewrites:
            data["rewrites"] = [{"kind": str(r.kind), "value": r.value} for r in self.rewrites]
        return data


ACCEPT = Decision(Action.ACCEPT)


@dataclass(frozen=True, slots=True)
class CrisisMark:
    """What the crisis detector found in a post it held: the level (``concern``,
    ``urgent``, or ``none`` for method talk alone), whether it holds or seeks method
    details, the phrases that matched and the language it read."""

    level: str
    method: bool
    evidence: tuple[str, ...]
    lang: str

    def as_json(self) -> dict[str, Any]:
        return {"level": self.level, "method": self.method, "evidence": list(self.evidence),
                "lang": self.lang}  # fmt: skip


@dataclass(frozen=True, slots=True)
class CrisisReply:
    """The message a person in crisis gets from the group, as paragraphs of plain text (the
    sender escapes them), with the crisis lines it gives (recorded with the event)."""

    lang: str
    country: str
    paragraphs: tuple[str, ...]
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Verdict:
    """The chain's answer: the first reject or hold, else accept with the rewrites gathered
    on the way; and what the policies in shadow mode would have decided."""

    action: Action = Action.ACCEPT
    reason: str = ""
    policy: str = ""
    rewrites: tuple[Rewrite, ...] = ()
    shadow: tuple[Decision, ...] = ()
    scope: str = "instance"  # or "group:SLUG"
    crisis: CrisisMark | None = None  # a hold by the crisis detector

    @property
    def acts(self) -> bool:
        """Anything to record: a decision other than a plain accept, or a shadow finding."""
        return self.action != Action.ACCEPT or bool(self.rewrites) or bool(self.shadow)

    @property
    def changes_content(self) -> bool:
        return any(r.kind in CONTENT_REWRITES for r in self.rewrites)

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"action": str(self.action), "scope": self.scope}
        if self.policy:
            data["policy"] = self.policy
        if self.reason:
            data["reason"] = self.reason
        if self.rewrites:
            data["rewrites"] = [{"kind": str(r.kind), "value": r.value} for r in self.rewrites]
        if self.shadow:
            data["shadow"] = [d.as_json() for d in self.shadow]
        if self.crisis is not None:
            data["crisis"] = self.crisis.as_json()
        return data


@dataclass(frozen=True)
class Facts:
    """What the policies may know beyond the activity, gathered from storage first (so the
    policies stay pure). ``None`` when no policy in force asked for it."""

    actor_known: bool | None = None  # we stored a post of theirs, or they follow us
    actor_created: datetime | None = None  # the account's ``published``, when it says
    posts_in_group: int | None = None  # their posts this group has relayed (group chains)


@dataclass(frozen=True)
class Subject:
    """An incoming activity as the policies read it."""

    activity_type: str
    actor: str
    domain: str
    object_type: str | None = None
    content: str = ""  # plain text
    summary: str = ""
    names: tuple[str, ...] = ()
    hashtags: frozenset[str] = frozenset()
    mentions: int = 0
    links: tuple[str, ...] = ()
    attachments: int = 0
    sensitive: bool = False
    published: datetime | None = None
    is_reply: bool = False
    is_post: bool = False  # a Create or Update of a post
    is_actor: bool = False  # an Update of an actor (profile names, bio, avatar)
    is_public: bool = False
    language: str | None = None  # the post's own tag (contentMap key or language), if any
    facts: Facts = field(default_factory=Facts)
    # What policies derive from the subject once and share (its words, say): not compared.
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)


_ANCHOR = re.compile(r"<a\s([^>]*)>", re.IGNORECASE)
_HREF = re.compile(r'href="([^"]*)"', re.IGNORECASE)
_CLASS = re.compile(r'class="([^"]*)"', re.IGNORECASE)


def links_in(post: APObject) -> tuple[str, ...]:
    """Links in the content that are not mentions or hashtags."""
    skip = {m.href for m in post.mentions} | {t.href for t in post.hashtags if t.href}
    found = []
    for attrs in _ANCHOR.findall(post.content):
        href = _HREF.search(attrs)
        classes = _CLASS.search(attrs)
        if href is None or href.group(1) in skip:
            continue
        if classes and {"mention", "hashtag"} & set(classes.group(1).split()):
            continue
        found.append(href.group(1))
    return tuple(found)


def html_text(content: str) -> str:
    """The text of sanitized HTML, fast: tags become spaces, entities characters. (Policies
    read every incoming post; ``to_plain_text``'s HTML parser costs ten times more.)"""
    if "<" not in content:
        return html.unescape(content)
    pieces = content.split("<")
    return html.unescape(" ".join([pieces[0], *(p.partition(">")[2] for p in pieces[1:])]))


def subject_of(activity: Activity) -> Subject:
    """The parts of an activity the built-in policies read."""
    base = Subject(activity.type, activity.actor, host_of(activity.actor) or "")
    obj = activity.object
    if isinstance(obj, APObject):
        return replace(
            base,
            object_type=obj.type,
            content=html_text(obj.content),
            summary=obj.summary or "",
            names=tuple(n for n in (obj.name,) if n),
            hashtags=frozenset(t.name.lstrip("#").lower() for t in obj.hashtags),
            mentions=len({m.href for m in obj.mentions}),
            links=links_in(obj),
            attachments=len(obj.attachments) + (1 if obj.image else 0),
            sensitive=obj.sensitive,
            published=obj.published,
            is_reply=obj.in_reply_to is not None,
            is_post=activity.type in ("Create", "Update"),
            is_public=obj.is_public,
            language=obj.language,
        )
    if isinstance(obj, ActorDoc):
        names = tuple(n for n in (obj.name, obj.preferred_username) if n)
        summary = html_text(obj.summary)
        return replace(base, object_type=obj.type, names=names, summary=summary, is_actor=True)
    text = activity.content or activity.summary or ""
    return replace(base, content=html_text(text), published=activity.published)


def apply_rewrites(activity: Activity, rewrites: tuple[Rewrite, ...]) -> Activity:
    """The activity with the rewrites applied to its embedded object (and addressing)."""
    if not rewrites or not isinstance(activity.raw.get("object"), dict):
        return activity
    doc = dict(activity.raw)
    obj = dict(doc["object"])
    for rewrite in rewrites:
        _rewrite_object(obj, doc, rewrite)
    doc["object"] = obj
    parsed = parse_document(doc)
    return parsed if isinstance(parsed, Activity) else activity


def _rewrite_object(obj: dict[str, Any], doc: dict[str, Any], rewrite: Rewrite) -> None:
    kind = rewrite.kind
    if kind == RewriteKind.CONTENT_WARNING:
        # The author's own warning stays; ours is added only where there is none.
        if not obj.get("summary"):
            obj["summary"] = rewrite.value
        obj["sensitive"] = True
    elif kind == RewriteKind.SENSITIVE:
        obj["sensitive"] = True
    elif kind == RewriteKind.STRIP_MEDIA:
        obj["attachment"] = []
        obj.pop("image", None)
    elif kind == RewriteKind.FOLLOWERS_ONLY:
        for target in (obj, doc):
            for key in ("to", "cc"):
                kept = as_list(target.get(key))
                target[key] = [a for a in kept if not (isinstance(a, str) and is_public_address(a))]
    elif kind == RewriteKind.STRIP_AVATAR:
        obj.pop("icon", None)
    elif kind == RewriteKind.STRIP_BANNER:
        obj.pop("image", None)
