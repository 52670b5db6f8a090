"""PeerHaven's internal form of ActivityPub documents: plain frozen data, no behaviour.

As in Lemmy's apub crate, the wire shapes are kept apart from what we do with them: the parser
(``federation.parse``) builds these from untrusted JSON, and nothing here talks to storage or
the network. Every type keeps the JSON it came from in ``raw`` (after JSON-LD compaction, when
that was needed) for fields we do not model yet, but nothing should read ``raw`` for a field
that is modelled: those were validated, ``raw`` was not.

URIs are plain ``str``; every URI-valued field holds an absolute http(s) URI or ``None``.
Addressing (``to``/``cc``/``audience``) holds the public collection only as :data:`PUBLIC`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def host_of(uri: str | None) -> str | None:
    """Lower-cased host of ``uri`` without port, or ``None``.

    Origin checks compare hosts, as Mastodon (``invalid_origin?``) and Lemmy
    (``verify_domains_match``) do; the port is not part of the comparison.
    """
    if not uri:
        return None
    try:
        host = urlsplit(uri).hostname
    except ValueError:
        return None
    return host.lower() if host else None


def same_host(a: str | None, b: str | None) -> bool:
    ha, hb = host_of(a), host_of(b)
    return ha is not None and ha == hb


def _frozen_raw() -> dict[str, Any]:
    return {}


class _Addressed:
    """Helpers for anything with ``to``/``cc``/``audience``."""

    __slots__ = ()
    to: tuple[str, ...]
    cc: tuple[str, ...]

    @property
    def is_public(self) -> bool:
        """Addressed to the public collection in ``to`` or ``cc`` (``cc`` = "unlisted")."""
        return PUBLIC in self.to or PUBLIC in self.cc

    @property
    def is_listed(self) -> bool:
        """Public in ``to``: Mastodon's "public" visibility, as opposed to "unlisted"."""
        return PUBLIC in self.to

    @property
    def recipients(self) -> frozenset[str]:
        return frozenset((*self.to, *self.cc, *getattr(self, "audience", ()))) - {PUBLIC}


@dataclass(frozen=True, slots=True)
class Link:
    href: str
    media_type: str | None = None
    name: str | None = None
    rel: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Attachment:
    """A media attachment or link preview. ``name`` is the alt text (Mastodon sends it there)."""

    url: str
    type: str = "Document"
    media_type: str | None = None
    name: str | None = None
    blurhash: str | None = None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True, slots=True)
class Mention:
    href: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Hashtag:
    """``name`` without the leading ``#``."""

    name: str
    href: str | None = None


@dataclass(frozen=True, slots=True)
class Emoji:
    """Custom emoji: ``name`` is the shortcode with colons (``:blobcat:``)."""

    name: str
    icon_url: str | None = None
    id: str | None = None


@dataclass(frozen=True, slots=True)
class PropertyValue:
    """Profile metadata field (schema.org PropertyValue); ``value`` is sanitized HTML."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class PollOption:
    name: str
    votes: int | None = None


@dataclass(frozen=True, slots=True)
class Poll:
    """Mastodon ``Question``: ``oneOf`` (single choice) or ``anyOf`` (multiple)."""

    options: tuple[PollOption, ...]
    multiple: bool = False
    end_time: datetime | None = None
    closed: datetime | None = None
    voters_count: int | None = None


@dataclass(frozen=True, slots=True)
class PublicKey:
    id: str
    owner: str | None
    pem: str


@dataclass(frozen=True, slots=True)
class APObject(_Addressed):
    """Note, Article, Page, Question, Event, media objects and ChatMessage."""

    id: str
    type: str
    attributed_to: str | None = None
    # Every attributedTo entry, in order: PeerTube and Lemmy send [Person, Group].
    attribution: tuple[str, ...] = ()
    content: str = ""  # sanitized HTML
    summary: str | None = None  # content warning, plain text
    sensitive: bool = False
    name: str | None = None  # Lemmy/Mbin post title, Article title, poll-vote option
    language: str | None = None  # the contentMap key the content came from
    media_type: str | None = None
    source: str | None = None  # author's source text (Markdown, MFM), when sent
    source_media_type: str | None = None
    in_reply_to: str | None = None
    url: str | None = None
    conversation: str | None = None  # AS2 "context", or OStatus "conversation"
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    audience: tuple[str, ...] = ()  # Lemmy/Mbin: the community (Group) the post belongs to
    mentions: tuple[Mention, ...] = ()
    hashtags: tuple[Hashtag, ...] = ()
    emojis: tuple[Emoji, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    image: str | None = None  # Lemmy/PeerTube thumbnail
    quote: str | None = None  # FEP-044f quote / quoteUrl / _misskey_quote / FEP-e232 link
    poll: Poll | None = None
    start_time: datetime | None = None  # Event
    end_time: datetime | None = None
    comments_enabled: bool | None = None  # PeerTube/Lemmy/Mbin; False = locked
    stickied: bool | None = None
    published: datetime | None = None
    updated: datetime | None = None
    raw: dict[str, Any] = field(default_factory=_frozen_raw, compare=False, repr=False)

    @property
    def host(self) -> str | None:
        return host_of(self.id)


@dataclass(frozen=True, slots=True)
class Tombstone:
    id: str
    type: str = "Tombstone"
    former_type: str | None = None
    deleted: datetime | None = None
    raw: dict[str, Any] = field(default_factory=_frozen_raw, compare=False, repr=False)

    @property
    def host(self) -> str | None:
        return host_of(self.id)


@dataclass(frozen=True, slots=True)
class ActorDoc:
    """Person, Group, Service, Application, Organization."""

    id: str
    type: str
    inbox: str
    preferred_username: str | None = None
    name: str | None = None
    summary: str = ""  # sanitized HTML bio
    outbox: str | None = None
    shared_inbox: str | None = None
    followers: str | None = None
    following: str | None = None
    featured: str | None = None
    url: str | None = None
    icon: str | None = None
    image: str | None = None
    manually_approves_followers: bool = False
    discoverable: bool | None = None
    indexable: bool | None = None
    public_key: PublicKey | None = None
    moved_to: str | None = None
    also_known_as: tuple[str, ...] = ()
    fields: tuple[PropertyValue, ...] = ()
    emojis: tuple[Emoji, ...] = ()
    # Group extensions (Lemmy/Mbin): moderators collection, "only mods may post".
    moderators: str | None = None
    posting_restricted_to_mods: bool | None = None
    published: datetime | None = None
    updated: datetime | None = None
    raw: dict[str, Any] = field(default_factory=_frozen_raw, compare=False, repr=False)

    @property
    def host(self) -> str | None:
        return host_of(self.id)

    @property
    def is_group(self) -> bool:
        return self.type == "Group"

    @property
    def handle(self) -> str | None:
        """``user@host`` from ``preferredUsername``; WebFinger must confirm it before use."""
        if not self.preferred_username or not self.host:
            return None
        return f"{self.preferred_username}@{self.host}"


@dataclass(frozen=True, slots=True)
class Collection:
    """Collections are only followed by reference: id, size and paging links."""

    id: str
    type: str
    total_items: int | None = None
    first: str | None = None
    last: str | None = None
    next: str | None = None
    prev: str | None = None
    part_of: str | None = None
    # Ids of the items embedded in this document (or page), in order.
    items: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=_frozen_raw, compare=False, repr=False)

    @property
    def host(self) -> str | None:
        return host_of(self.id)


@dataclass(frozen=True, slots=True)
class Activity(_Addressed):
    id: str
    type: str
    actor: str
    # The primary object: a URI when sent by reference, else the parsed embedded document.
    object: str | APObject | ActorDoc | Tombstone | Collection | Activity | None = None
    # All objects, for the activities that take several (Mastodon's Flag: account + statuses).
    objects: tuple[str | APObject | ActorDoc | Tombstone | Collection | Activity, ...] = ()
    target: str | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    audience: tuple[str, ...] = ()
    # Flag comment, EmojiReact/Like emoji (Pleroma "content", Misskey "_misskey_reaction").
    content: str | None = None
    summary: str | None = None  # Lemmy puts the report reason of a Flag here
    emojis: tuple[Emoji, ...] = ()
    published: datetime | None = None
    raw: dict[str, Any] = field(default_factory=_frozen_raw, compare=False, repr=False)

    @property
    def host(self) -> str | None:
        return host_of(self.id)

    @property
    def actor_host(self) -> str | None:
        return host_of(self.actor)

    @property
    def object_id(self) -> str | None:
        """The object's URI whether it was sent by reference or embedded."""
        obj = self.object
        if obj is None or isinstance(obj, str):
            return obj
        return obj.id

    @property
    def object_is_embedded(self) -> bool:
        return self.object is not None and not isinstance(self.object, str)


Parsed = Activity | APObject | ActorDoc | Tombstone | Collection
# What an activity's object can be: a URI, or an embedded document.
ObjectRef = str | Parsed
