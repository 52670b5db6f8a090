"""Value coercion for the incoming-payload parser (``federation.parse``).

Peers disagree on shapes (Postel's law is the only way to federate): a property may be a single
value or an array, a reference may be a URI string, a ``Link`` or an embedded object, a boolean
may arrive as ``"true"``, and after JSON-LD compaction a string may be a ``{"@value": …}``
object or hide in a ``…Map``. These helpers take any of those and return one checked shape.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from federation.jsonld import normalize_public


class RejectReason(StrEnum):
    NOT_AN_OBJECT = "not_an_object"  # not a JSON object at all
    TEMPLATE_PLACEHOLDER = "template_placeholder"  # {{domain}}-style test template
    UNKNOWN_CONTEXT = "unknown_context"  # @context names a document we do not have
    INVALID_JSONLD = "invalid_jsonld"  # pyld could not process the document
    MISSING_TYPE = "missing_type"
    UNSUPPORTED_TYPE = "unsupported_type"  # a type (top level or embedded) we do not handle
    MISSING_ID = "missing_id"
    BAD_ID = "bad_id"  # id is not an absolute http(s) URI
    MISSING_ACTOR = "missing_actor"
    MISSING_OBJECT = "missing_object"
    MISSING_TARGET = "missing_target"  # Move/Add/Remove without a target
    MISSING_INBOX = "missing_inbox"  # actor without inbox (ActivityPub §4.1: MUST have one)
    BAD_FIELD = "bad_field"  # a required or typed field has an unusable value
    TOO_DEEP = "too_deep"  # activities nested deeper than any peer sends


class ParseError(Exception):
    """Raised inside the parser; ``parse_document`` turns it into a ``Rejected``."""

    def __init__(self, reason: RejectReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def is_http_uri(value: Any) -> bool:
    """An absolute http(s) URI with a plausible host (letters, digits, ``.-_``, or IPv6)."""
    if not isinstance(value, str) or not value or len(value) > 2048:
        return False
    return _is_http_uri(value)


_SPACE = re.compile(r"\s")
_HOST = re.compile(r"[\w.-]+")


@functools.lru_cache(maxsize=8192)
def _is_http_uri(value: str) -> bool:
    # Memoized: the same actor, group and collection URIs recur in every activity, and this
    # check showed in the inbox profile.
    if _SPACE.search(value):
        return False
    try:
        parts = urlsplit(value)
        host = parts.hostname
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    # Test networks use underscores (another_instance.gnusocial.test); IDNs use letters.
    return bool(_HOST.fullmatch(host)) or ":" in host


def as_list(value: Any) -> list[Any]:
    """AS2 Core §2.2: any property may be a single value or an array."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def text(value: Any) -> str | None:
    """A string, unwrapping JSON-LD value objects and one-element arrays."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("@value"), str):
        return value["@value"]
    if isinstance(value, list) and value:
        return text(value[0])
    return None


def lang_text(node: dict[str, Any], key: str) -> tuple[str | None, str | None]:
    """``(text, language)`` of ``key``, falling back to ``keyMap`` (AS2 Core §4.7).

    Prefers the plain property; from a map, takes the first entry in the sender's order.
    """
    plain = text(node.get(key))
    if plain is not None:
        lang = node[key].get("@language") if isinstance(node.get(key), dict) else None
        return plain, lang if isinstance(lang, str) else None
    mapped = node.get(key + "Map")
    if isinstance(mapped, dict):
        for lang, value in mapped.items():
            if isinstance(value, str):
                return value, lang if isinstance(lang, str) else None
    return None, None


def ref(value: Any) -> str | None:
    """URI of a reference: a string, a Link (``href``), or an embedded object (``id``).

    Arrays give their first usable entry. Returns ``None`` when nothing is an http(s) URI.
    """
    for item in as_list(value):
        if isinstance(item, str):
            candidate: Any = item
        elif isinstance(item, dict):
            candidate = item.get("id")
            if candidate is None and item.get("type") in (None, "Link", "Mention"):
                candidate = item.get("href")
        else:
            continue
        if is_http_uri(candidate):
            return candidate
    return None


def refs(value: Any) -> tuple[str, ...]:
    out: list[str] = []
    for item in as_list(value):
        uri = ref(item)
        if uri is not None and uri not in out:
            out.append(uri)
    return tuple(out)


def addresses(value: Any) -> tuple[str, ...]:
    """Addressing (to/cc/audience): URIs, public collection normalized, order kept.

    Entries that are not URIs are dropped rather than failing the document: peers put odd
    things here (Pleroma list addresses, empty strings) and Mastodon ignores them too.
    """
    out: list[str] = []
    for item in as_list(value):
        uri = item if isinstance(item, str) else ref(item)
        if not isinstance(uri, str):
            continue
        uri = normalize_public(uri.strip())
        if is_http_uri(uri) and uri not in out:
            out.append(uri)
    return tuple(out)


def boolean(value: Any) -> bool | None:
    value = value.get("@value") if isinstance(value, dict) else value
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def integer(value: Any) -> int | None:
    value = value.get("@value") if isinstance(value, dict) else value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def timestamp(value: Any) -> datetime | None:
    """An xsd:dateTime; naive times are taken as UTC; unparseable ones are ``None``."""
    raw = text(value)
    if not raw:
        return None
    raw = raw.strip()
    # Kroeg/.NET send 7 fractional digits; fromisoformat takes at most 6.
    raw = re.sub(r"(\.\d{6})\d+", r"\1", raw)
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def types_of(node: dict[str, Any]) -> tuple[str, ...]:
    """All type names of a node; ``bad_field`` when ``type`` holds non-strings."""
    raw = node.get("type")
    values = as_list(raw)
    if any(not isinstance(v, str) for v in values):
        raise ParseError(RejectReason.BAD_FIELD, f"type: expected string(s), got {raw!r:.80}")
    return tuple(v for v in values if v)


def pick_type(types: Iterable[str], known: frozenset[str]) -> str | None:
    """First type we know (``["Person", "vcard:Individual"]`` → Person), else the first."""
    types = list(types)
    for t in types:
        if t in known:
            return t
    return types[0] if types else None


def require_id(node: dict[str, Any], where: str) -> str:
    value = node.get("id")
    if value is None or value == "":
        raise ParseError(RejectReason.MISSING_ID, f"{where}: no id")
    if not is_http_uri(value):
        raise ParseError(RejectReason.BAD_ID, f"{where}: id {value!r:.80} is not an http(s) URI")
    return value


_PLACEHOLDER = re.compile(r"\{\{\s*[A-Za-z_][A-Za-z0-9_.]*\s*\}\}")
# Free text may legitimately mention "{{name}}" (a post about templating); identifiers may not.
_FREE_TEXT_KEYS = frozenset(
    {"content", "contentMap", "summary", "summaryMap", "name", "nameMap", "source",
     "_misskey_content", "value", "publicKeyPem"}
)  # fmt: skip


def find_placeholder(doc: Any, limit: int = 10_000) -> str | None:
    """First ``{{placeholder}}`` in a non-free-text string of ``doc`` (e.g. Pleroma test
    templates' ``https://{{domain}}/users/{{nickname}}``), or ``None``."""
    stack: list[Any] = [doc]
    seen = 0
    while stack and seen < limit:
        node = stack.pop()
        seen += 1
        if isinstance(node, str):
            match = _PLACEHOLDER.search(node)
            if match:
                return node
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            stack.extend(v for k, v in node.items() if k not in _FREE_TEXT_KEYS)
    return None


_SHORTCODE = re.compile(r"^:[A-Za-z0-9_+-]+(@[\w.-]+)?:$")
_EMOJI_JOINERS = {0x200D}
_EMOJI_MODIFIERS = (
    {0xFE0E, 0xFE0F, 0x20E3} | set(range(0x1F3FB, 0x1F400)) | set(range(0xE0020, 0xE0080))
)


def _is_emoji_base(cp: int) -> bool:
    return 0x1F000 <= cp <= 0x1FAFF or unicodedata.category(chr(cp)) == "So"


def is_single_emoji(value: str) -> bool:
    """One emoji (ZWJ sequences, skin tones, flags, keycaps included) or a ``:shortcode:``.

    Pleroma rejects EmojiReact whose content is not exactly one emoji (its fixtures
    ``emoji-reaction-too-long.json`` / ``-no-emoji.json``); we follow it.
    """
    value = value.strip()
    if _SHORTCODE.match(value):
        return True
    if not value or len(value) > 32:
        return False
    components = value.split("\u200d")
    for comp in components:
        cps = [ord(c) for c in comp if ord(c) not in _EMOJI_MODIFIERS]
        if len(cps) == 2 and all(0x1F1E6 <= cp <= 0x1F1FF for cp in cps) and len(components) == 1:
            continue  # regional-indicator pair: a flag
        if len(cps) == 1 and chr(cps[0]) in "0123456789#*" and "\u20e3" in comp:
            continue  # keycap
        if len(cps) != 1 or not _is_emoji_base(cps[0]):
            return False
    return True
