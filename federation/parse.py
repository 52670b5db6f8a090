"""Turn an incoming ActivityPub JSON document into PeerHaven's internal form, or reject it.

``parse_document`` is pure: no network, no database, no clock. It never trusts that the
document is well formed, and it never decides whether the sender may do what the document
says: signature checks, origin checks (see :func:`embedded_object_trust`) and permissions
belong to the caller.

Steps: reject non-objects and test templates; if the JSON-LD context is not one whose plain
keys we can read (``jsonld.is_fast_path``), re-compact it offline; then build wire types by
``type``. Every rejection carries a :class:`RejectReason` and a human-readable detail.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from federation.jsonld import ContextError, ContextErrorReason, compact, is_fast_path
from federation.parse_objects import (
    ACTOR_TYPES,
    COLLECTION_TYPES,
    OBJECT_TYPES,
    emojis_of,
    parse_actor,
    parse_collection,
    parse_object,
    parse_tombstone,
)
from federation.parse_values import (
    ParseError,
    RejectReason,
    addresses,
    as_list,
    find_placeholder,
    is_http_uri,
    is_single_emoji,
    lang_text,
    pick_type,
    ref,
    require_id,
    text,
    timestamp,
    types_of,
)
from federation.sanitize import to_plain_text
from federation.wire import Activity, APObject, ObjectRef, Parsed, host_of

__all__ = [
    "ACTIVITY_TYPES",
    "ACTOR_TYPES",
    "COLLECTION_TYPES",
    "KNOWN_TYPES",
    "OBJECT_TYPES",
    "Parsed",
    "RejectReason",
    "Rejected",
    "TrustReason",
    "TrustVerdict",
    "embedded_object_trust",
    "is_embedded_object_trusted",
    "parse_document",
]

ACTIVITY_TYPES = frozenset(
    {"Follow", "Accept", "Reject", "Undo", "Create", "Update", "Delete", "Announce", "Like",
     "Dislike", "EmojiReact", "Block", "Flag", "Move", "Add", "Remove"}
)  # fmt: skip
KNOWN_TYPES = ACTIVITY_TYPES | OBJECT_TYPES | ACTOR_TYPES | COLLECTION_TYPES | {"Tombstone"}
# Lemmy's deepest real nesting is Announce > Undo > Like (3); allow some slack, not recursion bombs.
MAX_DEPTH = 4
_NEEDS_TARGET = frozenset({"Move", "Add", "Remove"})


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: RejectReason
    detail: str

    def __bool__(self) -> bool:  # so that `if parse_document(doc):` means "parsed"
        return False


def parse_document(doc: Any) -> Parsed | Rejected:
    """Parse one incoming document (already JSON-decoded). Never fetches anything."""
    if not isinstance(doc, dict):
        return Rejected(
            RejectReason.NOT_AN_OBJECT, f"expected a JSON object, got {type(doc).__name__}"
        )
    placeholder = find_placeholder(doc)
    if placeholder is not None:
        return Rejected(
            RejectReason.TEMPLATE_PLACEHOLDER, f"unfilled template value {placeholder!r:.100}"
        )
    if not is_fast_path(doc):
        try:
            doc = _unblank_keys(compact(doc))
        except ContextError as exc:
            reason = (
                RejectReason.UNKNOWN_CONTEXT
                if exc.reason is ContextErrorReason.UNKNOWN_CONTEXT
                else RejectReason.INVALID_JSONLD
            )
            return Rejected(reason, exc.detail)
    try:
        return _parse_node(doc, depth=0, where="document")
    except ParseError as exc:
        return Rejected(exc.reason, exc.detail)


def _unblank_keys(node: Any) -> Any:
    """Rename ``_:term`` keys to ``term`` after compaction.

    The AS context's ``"@vocab": "_:"`` turns terms the sender used without defining them
    (oeee.cafe's ``manuallyApprovesFollowers``) into blank-node properties; the fast path
    reads those as plain keys, so the slow path does too.
    """
    if isinstance(node, list):
        return [_unblank_keys(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        plain = key[2:] if key.startswith("_:") else key
        if plain in out or (plain != key and plain in node):
            plain = key
        out[plain] = value if key == "@context" else _unblank_keys(value)
    return out


def _parse_node(node: dict[str, Any], depth: int, where: str) -> Parsed:
    if depth > MAX_DEPTH:
        raise ParseError(RejectReason.TOO_DEEP, f"{where}: nested deeper than {MAX_DEPTH}")
    types = types_of(node)
    if not types:
        raise ParseError(RejectReason.MISSING_TYPE, f"{where}: no type")
    kind = pick_type(types, KNOWN_TYPES)
    assert kind is not None
    if kind in ACTIVITY_TYPES:
        return _parse_activity(node, kind, depth, where)
    if kind in OBJECT_TYPES:
        return parse_object(node, kind, where)
    if kind in ACTOR_TYPES:
        return parse_actor(node, kind, where)
    if kind == "Tombstone":
        return parse_tombstone(node, where)
    if kind in COLLECTION_TYPES:
        return parse_collection(node, kind, where)
    raise ParseError(RejectReason.UNSUPPORTED_TYPE, f"{where}: type {'/'.join(types)!s:.80}")


def _object_ref(value: Any, depth: int, where: str) -> ObjectRef:
    if isinstance(value, str):
        if is_http_uri(value):
            return value
        raise ParseError(RejectReason.BAD_FIELD, f"{where}: {value!r:.80} is not an http(s) URI")
    if isinstance(value, dict):
        kind = value.get("type")
        if kind is not None and kind not in ("Link", "Mention"):
            try:
                return _parse_node(value, depth + 1, where)
            except ParseError as exc:
                # Mastodon's Delete(actor) embeds a stub {"type": "Person", "id": …}: an
                # embedded actor need not be complete; treat an inbox-less one as a reference.
                if exc.reason is RejectReason.MISSING_INBOX and is_http_uri(value.get("id")):
                    return value["id"]
                raise
        uri = ref(value)  # {"id": …} without type, or a Link's href
        if uri is not None:
            return uri
    raise ParseError(RejectReason.BAD_FIELD, f"{where}: not a URI, Link or object: {value!r:.80}")


def _parse_activity(node: dict[str, Any], kind: str, depth: int, where: str) -> Activity:
    activity_id = require_id(node, where)
    raw_actor = node.get("actor")
    if raw_actor in (None, "", []):
        raise ParseError(RejectReason.MISSING_ACTOR, f"{where}: {kind} without actor")
    actor = ref(raw_actor)
    if actor is None:
        raise ParseError(
            RejectReason.BAD_FIELD, f"{where}.actor: no http(s) URI in {raw_actor!r:.80}"
        )

    raw_objects = [o for o in as_list(node.get("object")) if o not in (None, "")]
    if not raw_objects:
        raise ParseError(RejectReason.MISSING_OBJECT, f"{where}: {kind} without object")
    objects = tuple(_object_ref(o, depth, f"{where}.object") for o in raw_objects)

    target = ref(node.get("target"))
    if target is None and node.get("target") not in (None, "", []):
        raise ParseError(RejectReason.BAD_FIELD, f"{where}.target: no http(s) URI")
    if target is None and kind in _NEEDS_TARGET:
        raise ParseError(RejectReason.MISSING_TARGET, f"{where}: {kind} without target")

    content, _ = lang_text(node, "content")
    if kind == "EmojiReact":
        if content is None or not is_single_emoji(content):
            raise ParseError(
                RejectReason.BAD_FIELD,
                f"{where}.content: EmojiReact needs one emoji, got {content!r:.40}",
            )
        content = content.strip()
    elif kind == "Like":
        # Misskey sends reactions as Like with content/_misskey_reaction (":shortcode:" or emoji).
        content = content or text(node.get("_misskey_reaction"))
    elif content is not None:
        content = to_plain_text(content) or None  # Flag comment
    summary, _ = lang_text(node, "summary")

    return Activity(
        id=activity_id,
        type=kind,
        actor=actor,
        object=objects[0],
        objects=objects,
        target=target,
        to=addresses(node.get("to")),
        cc=addresses(node.get("cc")),
        audience=addresses(node.get("audience")),
        content=content,
        summary=to_plain_text(summary) or None,
        emojis=emojis_of(node),
        published=timestamp(node.get("published")),
        raw=node,
    )


class TrustReason(StrEnum):
    BY_REFERENCE = "by_reference"  # nothing embedded: fetch the object by its id
    SAME_ORIGIN = "same_origin"  # embedded objects live on the actor's host
    CROSS_ORIGIN_OBJECT = "cross_origin_object"  # embedded object's id is on another host
    CROSS_ORIGIN_AUTHOR = "cross_origin_author"  # object claims an author on another host
    CROSS_ORIGIN_ACTOR = "cross_origin_actor"  # nested activity's actor is not on its id's host


@dataclass(frozen=True, slots=True)
class TrustVerdict:
    """Whether an activity's embedded objects may be used as sent. ``bool(verdict)`` is
    ``trusted``; when false, ``object_id`` names what the caller must fetch from its origin
    (or drop)."""

    trusted: bool
    reason: TrustReason
    object_id: str | None = None

    def __bool__(self) -> bool:
        return self.trusted


def embedded_object_trust(activity: Activity) -> TrustVerdict:
    """Can the objects embedded in ``activity`` be believed on the actor's word?

    The HTTP signature only proves who sent the activity. An embedded object whose id is on
    another host than the actor is hearsay (a forged Note "from" someone else, or a Lemmy
    community announcing a remote user's post): Mastodon (``invalid_origin?``) and Lemmy
    (``verify_domains_match``) refetch such objects from their origin, and so must we.
    Nested activities (Announce > Create > Note) are checked level by level.
    """
    embedded = [o for o in activity.objects if not isinstance(o, str)]
    if not embedded:
        return TrustVerdict(True, TrustReason.BY_REFERENCE)
    actor_host = host_of(activity.actor)
    for obj in embedded:
        if host_of(obj.id) != actor_host:
            return TrustVerdict(False, TrustReason.CROSS_ORIGIN_OBJECT, obj.id)
        if isinstance(obj, APObject) and any(host_of(a) != actor_host for a in obj.attribution):
            return TrustVerdict(False, TrustReason.CROSS_ORIGIN_AUTHOR, obj.id)
        if isinstance(obj, Activity):
            if host_of(obj.actor) != host_of(obj.id):
                return TrustVerdict(False, TrustReason.CROSS_ORIGIN_ACTOR, obj.id)
            inner = embedded_object_trust(obj)
            if not inner:
                return inner
    return TrustVerdict(True, TrustReason.SAME_ORIGIN)


def is_embedded_object_trusted(activity: Activity) -> bool:
    return embedded_object_trust(activity).trusted
