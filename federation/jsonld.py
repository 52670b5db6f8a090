"""JSON-LD handling for incoming ActivityPub documents, strictly offline.

Almost every peer sends compacted JSON-LD whose ``@context`` is the ActivityStreams context plus
some extension terms; for those we read plain JSON keys, as Mastodon and Lemmy do (the "fast
path"). Anything else (prefixed ``as:`` keys, expanded documents, term maps that redefine AS
terms) is re-compacted with pyld against the AS context, so the parser again sees standard AS2
terms. pyld only ever gets :func:`bundled_loader`, which serves the copies in ``contexts/`` and
refuses every other URL: a peer cannot make us fetch URLs by naming them in ``@context``.
"""

from __future__ import annotations

import copy
import json
import re
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from pyld import jsonld

from federation.wire import PUBLIC

AS_NS = "https://www.w3.org/ns/activitystreams#"
AS_CONTEXT_URL = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT_URL = "https://w3id.org/security/v1"

# AS2 Core §5.6: the public collection may appear as the full IRI, or compacted by a JSON-LD
# processor to "as:Public" or (through the context's "Public" term) to "Public".
_PUBLIC_SPELLINGS = frozenset(
    {PUBLIC, "as:Public", "Public", "http://www.w3.org/ns/activitystreams#Public"}
)


class ContextErrorReason(StrEnum):
    UNKNOWN_CONTEXT = "unknown_context"
    INVALID_JSONLD = "invalid_jsonld"


class ContextError(Exception):
    """A document's JSON-LD could not be processed offline."""

    def __init__(self, reason: ContextErrorReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


# Normalized context URL (see normalize_context_url) → bundled file.
_BUNDLED: dict[str, str] = {
    "www.w3.org/ns/activitystreams": "activitystreams.jsonld",
    "www.w3.org/ns/activitystreams.jsonld": "activitystreams.jsonld",
    "w3id.org/security/v1": "security-v1.jsonld",
    "w3id.org/identity/v1": "identity-v1.jsonld",
    "w3id.org/security/data-integrity/v1": "security-data-integrity-v1.jsonld",
    "w3id.org/security/data-integrity/v2": "security-data-integrity-v2.jsonld",
    "w3id.org/security/multikey/v1": "security-multikey-v1.jsonld",
    "www.w3.org/ns/did/v1": "did-v1.jsonld",
    "w3id.org/fep/7aa9": "fep-7aa9.jsonld",
    "w3id.org/fep/ef61": "fep-ef61.jsonld",
    "gotosocial.org/ns": "gotosocial-ns.jsonld",
    "litepub.social/litepub/context.jsonld": "litepub-0.1.jsonld",
    "join-lemmy.org/context.json": "lemmy-context.jsonld",
}
# Pleroma/Akkoma serve the LitePub context from every instance (https://<host>/schemas/…).
_LITEPUB_PATH = re.compile(r"^[^/]+/schemas/litepub-0\.1\.jsonld$")
# Mbin serves its context at https://<host>/contexts; ContextsProvider::embeddedContexts()
# (MbinOrg/mbin src/Service/ActivityPub) only adds ostatus/toot/pt/lemmy terms and as: aliases.
# It is generated per version, so there is no copy to bundle: fast path only.
_MBIN_PATH = re.compile(r"^[^/]+/contexts$")


def normalize_context_url(url: str) -> str:
    """Host+path key for a context URL: scheme, case of host, fragment and trailing slash dropped.

    Peers spell the AS context as http or https, with a trailing ``#`` or ``/``; all mean the
    same document (AS2 Core §2.1).
    """
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    key = (parts.netloc.lower() + path).rstrip("#")
    return key + ("?" + parts.query if parts.query else "")


def bundled_context_file(url: str) -> str | None:
    """Name of the bundled file that serves ``url``, or ``None``."""
    key = normalize_context_url(url)
    if key in _BUNDLED:
        return _BUNDLED[key]
    if _LITEPUB_PATH.match(key):
        return "litepub-0.1.jsonld"
    return None


@cache
def _read_bundled(name: str) -> dict[str, Any]:
    text = resources.files("federation").joinpath("contexts", name).read_text("utf-8")
    doc = json.loads(text)
    if isinstance(doc, list):
        # Lemmy publishes a bare array; JSON-LD 1.1 §9.4.2 wants {"@context": …}.
        doc = {"@context": doc}
    return doc


def bundled_context(url: str) -> dict[str, Any]:
    """The bundled context document for ``url``; :class:`ContextError` when we have none."""
    name = bundled_context_file(url)
    if name is None:
        raise ContextError(ContextErrorReason.UNKNOWN_CONTEXT, f"no bundled copy of {url!r}")
    return copy.deepcopy(_read_bundled(name))


def bundled_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """pyld document loader: bundled contexts only, never the network."""
    return {
        "contextUrl": None,
        "documentUrl": url,
        "document": bundled_context(url),
        "contentType": "application/ld+json",
    }


def is_activitystreams_url(url: str) -> bool:
    return bundled_context_file(url) == "activitystreams.jsonld"


def is_known_extension_url(url: str) -> bool:
    """A context URL whose terms only add to AS2 (never redefine AS terms).

    For bundled contexts this is checked on the document itself: identity/v1, for one, maps
    ``name``/``url``/``Person`` to schema.org, so a document using it must be compacted.
    """
    name = bundled_context_file(url)
    if name is not None:
        return _bundled_is_additive(name)
    return bool(_MBIN_PATH.match(normalize_context_url(url)))


@cache
def _bundled_is_additive(name: str) -> bool:
    if name == "activitystreams.jsonld":
        return True
    entries = _read_bundled(name)["@context"]
    for entry in entries if isinstance(entries, list) else [entries]:
        if isinstance(entry, str):
            if not is_known_extension_url(entry):
                return False
        elif not isinstance(entry, dict) or not inline_context_is_safe(entry):
            return False
    return True


@cache
def _as_terms() -> dict[str, str]:
    """AS2 term → expanded IRI (or keyword), from the bundled AS context."""
    ctx = _read_bundled("activitystreams.jsonld")["@context"]
    out: dict[str, str] = {}
    for term, value in ctx.items():
        if term.startswith("@") or term in {"as", "xsd", "ldp", "vcard"}:
            continue
        iri = value["@id"] if isinstance(value, dict) else value
        out[term] = _expand_as(iri)
    return out


def _expand_as(iri: str) -> str:
    return AS_NS + iri[3:] if iri.startswith("as:") else iri


# Keys that change how the rest of an inline map, or every key, is read.
_UNSAFE_INLINE_KEYWORDS = frozenset({"@vocab", "@base", "@import", "@propagate"})


def inline_context_is_safe(ctx: dict[str, Any]) -> bool:
    """True when an inline term map leaves every AS2 term meaning what it means in AS2.

    Mastodon's, Misskey's, Friendica's… maps re-declare some AS terms (``"sensitive":
    "as:sensitive"``, ``"Hashtag": "as:Hashtag"``); that is harmless. A map that points an AS term
    elsewhere (``"content": "sc:text"``) or nulls it would make plain-key reading wrong.
    """
    as_terms = _as_terms()
    for term, value in ctx.items():
        if term in _UNSAFE_INLINE_KEYWORDS:
            return False
        if term == "as" and value != AS_NS:
            return False
        if term not in as_terms:
            continue
        if isinstance(value, dict):
            # {"@reverse": …} or a definition without "@id" (which would fall back to the AS
            # context's "@vocab": "_:") changes the term's meaning.
            value = None if "@reverse" in value else value.get("@id")
        if not isinstance(value, str) or _expand_as(value) != as_terms[term]:
            return False
    return True


def _context_entries_ok(ctx: Any) -> bool:
    """True when every entry is the AS context, a known extension, or a safe inline map."""
    entries = ctx if isinstance(ctx, list) else [ctx]
    for entry in entries:
        if isinstance(entry, str):
            if not (is_activitystreams_url(entry) or is_known_extension_url(entry)):
                return False
        elif isinstance(entry, dict):
            if not inline_context_is_safe(entry):
                return False
        else:  # null resets the active context; numbers/bools are invalid
            return False
    return True


def _key_is_plain(key: str) -> bool:
    if key == "@context":
        return True
    if key.startswith("@"):
        return False  # expanded form: "@id", "@type", "@value"…
    return not (key.startswith("as:") or key.startswith(AS_NS) or key.startswith("http://www.w3"))


def _type_is_plain(value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    return not any(
        isinstance(v, str) and (v.startswith("as:") or v.startswith(AS_NS)) for v in values
    )


MAX_WALK_NODES = 10_000


def is_fast_path(doc: Any) -> bool:
    """True when plain JSON keys of ``doc`` are the standard AS2 terms.

    That holds when every ``@context`` in the document (top level and embedded) is the AS
    context, known extensions, or inline maps that do not redefine AS terms, and no key is a
    prefixed/absolute AS IRI or a JSON-LD keyword. A document without ``@context`` is read as
    AS2: "the implementation must assume that the normative @context definition still applies"
    (AS2 Core §2.1).
    """
    if not isinstance(doc, dict):
        return False
    # The AS context itself need not be listed: AS2 Core §2.1 applies it implicitly, and old
    # Mastodon Delete payloads carry only their inline term map.
    if "@context" in doc and not _context_entries_ok(doc["@context"]):
        return False
    stack: list[Any] = [doc]
    seen = 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > MAX_WALK_NODES:
            return False
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        if node is not doc and "@context" in node and not _context_entries_ok(node["@context"]):
            return False
        for key, value in node.items():
            if not _key_is_plain(key) or (key == "type" and not _type_is_plain(value)):
                return False
            if key != "@context" and isinstance(value, dict | list):
                stack.append(value)
    return True


# What compact() compacts to: AS2 and security v1, plus the extension terms the parser reads,
# so that e.g. http://joinmastodon.org/ns#Emoji comes back as "Emoji" rather than an IRI.
EXTENSION_TERMS: dict[str, Any] = {
    "toot": "http://joinmastodon.org/ns#",
    "litepub": "http://litepub.social/ns#",
    "lemmy": "https://join-lemmy.org/ns#",
    "pt": "https://joinpeertube.org/ns#",
    "misskey": "https://misskey-hub.net/ns#",
    "fedibird": "http://fedibird.com/ns#",
    "ostatus": "http://ostatus.org#",
    "schema": "http://schema.org#",
    "sensitive": "as:sensitive",
    "Hashtag": "as:Hashtag",
    "movedTo": {"@id": "as:movedTo", "@type": "@id"},
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "quoteUrl": "as:quoteUrl",
    "quote": {"@id": "https://w3id.org/fep/044f#quote", "@type": "@id"},
    "quoteUri": "fedibird:quoteUri",
    "_misskey_content": "misskey:_misskey_content",
    "_misskey_quote": "misskey:_misskey_quote",
    "_misskey_reaction": "misskey:_misskey_reaction",
    "Emoji": "toot:Emoji",
    "EmojiReact": "litepub:EmojiReact",
    "ChatMessage": "litepub:ChatMessage",
    "discoverable": "toot:discoverable",
    "indexable": "toot:indexable",
    "featured": {"@id": "toot:featured", "@type": "@id"},
    "featuredTags": {"@id": "toot:featuredTags", "@type": "@id"},
    "blurhash": "toot:blurhash",
    "focalPoint": {"@id": "toot:focalPoint", "@container": "@list"},
    "votersCount": "toot:votersCount",
    "conversation": "ostatus:conversation",
    "commentsEnabled": "pt:commentsEnabled",
    "moderators": {"@id": "lemmy:moderators", "@type": "@id"},
    "stickied": "lemmy:stickied",
    "postingRestrictedToMods": "lemmy:postingRestrictedToMods",
    "PropertyValue": "schema:PropertyValue",
    "value": "schema:value",
}
COMPACTION_CONTEXT: list[Any] = [AS_CONTEXT_URL, SECURITY_CONTEXT_URL, EXTENSION_TERMS]


def _with_as_context(doc: dict[str, Any]) -> dict[str, Any]:
    """Prepend the AS context when the document does not reference it (AS2 Core §2.1)."""
    ctx = doc.get("@context")
    entries = [] if ctx is None else (list(ctx) if isinstance(ctx, list) else [ctx])
    if any(isinstance(e, str) and is_activitystreams_url(e) for e in entries):
        return doc
    return {**doc, "@context": [AS_CONTEXT_URL, *entries]}


def _find_context_error(exc: BaseException) -> ContextError | None:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        if isinstance(cur, ContextError):
            return cur
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
    return None


def compact(doc: dict[str, Any]) -> dict[str, Any]:
    """Re-compact ``doc`` through pyld so its keys are the standard AS2 terms.

    Offline: only bundled contexts are loaded. Raises :class:`ContextError` with
    ``unknown_context`` when the document names a context we do not have, and
    ``invalid_jsonld`` when pyld rejects the document.
    """
    options = {"documentLoader": bundled_loader}
    try:
        out = jsonld.compact(_with_as_context(doc), {"@context": COMPACTION_CONTEXT}, options)
    except ContextError:
        raise
    except Exception as exc:  # pyld raises JsonLdError, but also TypeError on odd input
        found = _find_context_error(exc)
        if found is not None:
            raise ContextError(found.reason, found.detail) from exc
        raise ContextError(ContextErrorReason.INVALID_JSONLD, _pyld_message(exc)) from exc
    return out


def _pyld_message(exc: BaseException) -> str:
    if isinstance(exc, jsonld.JsonLdError):
        return f"{exc.args[0] if exc.args else exc.type} ({exc.code or exc.type})"
    return f"{type(exc).__name__}: {exc}"


def normalize_public(value: str) -> str:
    """Map every spelling of the public collection to its full IRI; other values unchanged."""
    return PUBLIC if value in _PUBLIC_SPELLINGS else value


def is_public_address(value: str) -> bool:
    return value in _PUBLIC_SPELLINGS
