"""JSON-LD: bundled contexts, offline loader, fast-path detection, compaction, Public."""

from __future__ import annotations

import csv
import hashlib
import json
import socket
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld as pyld_jsonld

from federation import jsonld
from federation.jsonld import (
    AS_CONTEXT_URL,
    PUBLIC,
    ContextError,
    ContextErrorReason,
    bundled_context,
    bundled_context_file,
    bundled_loader,
    compact,
    inline_context_is_safe,
    is_fast_path,
    normalize_public,
)
from federation.parse import Rejected, parse_document
from federation.wire import Activity, ActorDoc, APObject
from tests.corpus import corpus_dir

CONTEXTS_DIR = Path(str(resources.files("federation").joinpath("contexts")))
BUNDLED_FILES = sorted(p.name for p in CONTEXTS_DIR.glob("*.jsonld"))


class NetworkUsed(AssertionError):
    pass


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to resolve or connect fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise NetworkUsed(f"network access attempted: {args!r:.120}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    # pyld's own default loader (requests) must never be reached either.
    monkeypatch.setattr(pyld_jsonld, "_default_document_loader", refuse)


def corpus_doc(rel: str) -> dict[str, Any]:
    return json.loads((corpus_dir("activities") / rel).read_text("utf-8"))


# --- the loader -------------------------------------------------------------------------


def test_no_network_fixture_really_blocks(no_network: None) -> None:
    with pytest.raises(NetworkUsed):
        socket.create_connection(("127.0.0.1", 9))


@pytest.mark.parametrize(
    "url",
    [
        "https://www.w3.org/ns/activitystreams",
        "http://www.w3.org/ns/activitystreams",
        "https://www.w3.org/ns/activitystreams#",
        "https://www.w3.org/ns/activitystreams/",
        "https://WWW.W3.ORG/ns/activitystreams",
        "https://www.w3.org/ns/activitystreams.jsonld",
    ],
)
def test_activitystreams_spellings_served(no_network: None, url: str) -> None:
    remote = bundled_loader(url, {})
    assert remote["documentUrl"] == url
    ctx = remote["document"]["@context"]
    assert ctx["as"] == "https://www.w3.org/ns/activitystreams#"
    assert "Note" in ctx and "Group" in ctx


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://w3id.org/security/v1", "security-v1.jsonld"),
        ("http://w3id.org/security/v1", "security-v1.jsonld"),
        ("https://w3id.org/identity/v1", "identity-v1.jsonld"),
        ("https://w3id.org/security/data-integrity/v1", "security-data-integrity-v1.jsonld"),
        ("https://w3id.org/security/data-integrity/v2", "security-data-integrity-v2.jsonld"),
        ("https://w3id.org/security/multikey/v1", "security-multikey-v1.jsonld"),
        ("https://www.w3.org/ns/did/v1", "did-v1.jsonld"),
        ("https://w3id.org/fep/7aa9", "fep-7aa9.jsonld"),
        ("https://w3id.org/fep/ef61", "fep-ef61.jsonld"),
        ("https://gotosocial.org/ns", "gotosocial-ns.jsonld"),
        ("https://join-lemmy.org/context.json", "lemmy-context.jsonld"),
        ("https://litepub.social/litepub/context.jsonld", "litepub-0.1.jsonld"),
        ("https://p.helene.moe/schemas/litepub-0.1.jsonld", "litepub-0.1.jsonld"),
        ("http://localhost:4001/schemas/litepub-0.1.jsonld", "litepub-0.1.jsonld"),
    ],
)
def test_extension_contexts_served(no_network: None, url: str, name: str) -> None:
    assert bundled_context_file(url) == name
    doc = bundled_loader(url, {})["document"]
    assert isinstance(doc, dict) and "@context" in doc


def test_every_bundled_file_is_served_and_documented() -> None:
    sources = (CONTEXTS_DIR / "SOURCES.md").read_text("utf-8")
    served = set(jsonld._BUNDLED.values())
    assert set(BUNDLED_FILES) == served, "a bundled file is unreachable, or a mapping is dangling"
    for name in BUNDLED_FILES:
        assert f"`{name}`" in sources, f"{name} has no provenance entry in SOURCES.md"


def test_lemmy_bare_array_context_is_wrapped() -> None:
    # Lemmy serves a bare array; pyld requires {"@context": …}.
    assert isinstance(bundled_context("https://join-lemmy.org/context.json")["@context"], list)


def test_loader_returns_copies() -> None:
    first = bundled_context(AS_CONTEXT_URL)
    first["@context"]["Note"] = "evil:Note"
    assert bundled_context(AS_CONTEXT_URL)["@context"]["Note"] == "as:Note"


def test_corpus_copies_are_byte_identical() -> None:
    """Files taken from the shared corpus must match its PROVENANCE.csv hashes."""
    root = corpus_dir()
    rows = {r["path"]: r for r in csv.DictReader((root / "PROVENANCE.csv").open())}
    pairs = {
        "activitystreams.jsonld": "contexts/www.w3.org/ns/activitystreams.json",
        "security-v1.jsonld": "contexts/w3id.org/security/v1.json",
        "identity-v1.jsonld": "contexts/w3id.org/identity/v1.json",
        "gotosocial-ns.jsonld": "contexts/gotosocial.org/ns.json",
        "did-v1.jsonld": "contexts/www.w3.org/ns/did/v1.json",
        "fep-7aa9.jsonld": "contexts/w3id.org/fep/7aa9.json",
    }
    for name, corpus_path in pairs.items():
        digest = hashlib.sha256((CONTEXTS_DIR / name).read_bytes()).hexdigest()
        assert digest == rows[corpus_path]["sha256"], name


@pytest.mark.parametrize(
    "url",
    [
        "https://puckipedia.com/-/context",
        "https://funkwhale.audio/ns",
        "https://evil.example/ns/activitystreams",
        "https://www.w3.org/ns/activitystreams-but-not",
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data",
    ],
)
def test_unknown_context_refused_without_network(no_network: None, url: str) -> None:
    with pytest.raises(ContextError) as err:
        bundled_loader(url, {})
    assert err.value.reason is ContextErrorReason.UNKNOWN_CONTEXT
    assert url in err.value.detail


def test_compact_with_unknown_context_raises_named_error(no_network: None) -> None:
    doc = {
        "@context": [AS_CONTEXT_URL, "https://remote-only.example/ns"],
        "id": "https://remote-only.example/notes/1",
        "type": "Note",
    }
    assert not is_fast_path(doc)
    with pytest.raises(ContextError) as err:
        compact(doc)
    assert err.value.reason is ContextErrorReason.UNKNOWN_CONTEXT
    rejected = parse_document(doc)
    assert isinstance(rejected, Rejected) and rejected.reason == "unknown_context"


def test_compact_rejects_malformed_jsonld(no_network: None) -> None:
    doc = {"@context": {"@version": 9}, "id": "https://x.example/1", "type": "Note"}
    with pytest.raises(ContextError) as err:
        compact(doc)
    assert err.value.reason is ContextErrorReason.INVALID_JSONLD


# --- fast path ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rel",
    [
        "mastodon/pleroma-fixtures/mastodon-post-activity.json",  # AS + security + toot map
        "mastodon/mobilizon-fixtures/mastodon-delete.json",  # inline map only (AS implied)
        "lemmy/lemmy-assets/activities/create_or_update/create_private_message_0.19.json",
        "misskey/pleroma-fixtures/tesla_mock/aimu@misskey.io.json",  # misskey: + toot: map
        "pleroma/lemmy-assets/activities/create_note.json",  # https://<host>/schemas/litepub
        "wordpress/lemmy-assets/objects/page.json",  # GoToSocial "gts" terms inline
        "mbin/mbin-test-snapshots/CreateTest__testCreatePost__1.json",  # https://<host>/contexts
        "peertube/lemmy-assets/objects/video.json",  # no @context: AS2 Core §2.1 applies
    ],
)
def test_fast_path_on_real_peer_payloads(rel: str) -> None:
    assert is_fast_path(corpus_doc(rel))


@pytest.mark.parametrize(
    ("rel", "why"),
    [
        ("mobilizon/lemmy-assets/objects/event.json", "redefines AS location as schema.org"),
        ("kroeg/pleroma-fixtures/kroeg-post-activity.json", "remote-only Kroeg context"),
        ("fedify/fedify-fixtures/example.com/hong-gildong.json", "expanded JSON-LD"),
        ("oeee-cafe/fedify-fixtures/oeee.cafe/ap/users/"
         "3609fd4e-d51d-4db8-9f04-4189815864dd.json", "type as:Endpoints"),
    ],
)  # fmt: skip
def test_slow_path_on_unusual_payloads(rel: str, why: str) -> None:
    assert not is_fast_path(corpus_doc(rel)), why


def test_inline_map_redefining_as_term_is_not_fast() -> None:
    base = {"id": "https://x.example/1", "type": "Note", "content": "hi"}
    assert is_fast_path({"@context": [AS_CONTEXT_URL, {"sensitive": "as:sensitive"}], **base})
    assert not is_fast_path({"@context": [AS_CONTEXT_URL, {"content": "sc:text"}], **base})
    assert not is_fast_path({"@context": [AS_CONTEXT_URL, {"to": None}], **base})
    assert not is_fast_path({"@context": [AS_CONTEXT_URL, {"@vocab": "https://x/"}], **base})
    assert not is_fast_path({"@context": [AS_CONTEXT_URL, None], **base})
    nested = {**base, "object": {"@context": "https://unknown.example/ctx", "id": "https://x/2"}}
    assert not is_fast_path({"@context": AS_CONTEXT_URL, **nested})


def test_fast_path_contexts_do_not_redefine_as_terms() -> None:
    additive = []
    for name in BUNDLED_FILES:
        ctx = json.loads((CONTEXTS_DIR / name).read_text("utf-8"))
        entries = ctx if isinstance(ctx, list) else ctx["@context"]
        dicts = [
            e for e in (entries if isinstance(entries, list) else [entries]) if isinstance(e, dict)
        ]
        if name != "activitystreams.jsonld" and all(inline_context_is_safe(d) for d in dicts):
            additive.append(name)
    assert "security-v1.jsonld" in additive and "litepub-0.1.jsonld" in additive
    assert "lemmy-context.jsonld" in additive and "gotosocial-ns.jsonld" in additive
    for name in BUNDLED_FILES:
        url = next(u for u, n in jsonld._BUNDLED.items() if n == name)
        expected = name == "activitystreams.jsonld" or name in additive
        assert jsonld.is_known_extension_url("https://" + url) is expected, name


def test_identity_v1_redefines_name_so_it_is_compacted(no_network: None) -> None:
    # identity/v1 maps "name" to schema:name: strictly, this is not an AS2 name.
    doc = {
        "@context": [AS_CONTEXT_URL, "https://w3id.org/identity/v1"],
        "id": "https://ex.example/notes/1",
        "type": "Note",
        "name": "title",
    }
    assert not is_fast_path(doc)
    out = compact(doc)
    assert "name" not in out and out["http://schema.org/name"] == "title"


# --- compaction ---------------------------------------------------------------------------


def test_prefixed_as_terms_compact_to_standard_terms(no_network: None) -> None:
    doc = {
        "@context": {"as": "https://www.w3.org/ns/activitystreams#"},
        "@id": "https://ex.example/notes/1",
        "@type": "as:Note",
        "as:content": "<p>hello</p>",
        "as:attributedTo": {"@id": "https://ex.example/users/a"},
        "as:to": {"@id": "as:Public"},
    }
    assert not is_fast_path(doc)
    out = compact(doc)
    assert out["type"] == "Note" and out["id"] == "https://ex.example/notes/1"
    assert out["content"] == "<p>hello</p>"
    assert out["attributedTo"] == "https://ex.example/users/a"
    parsed = parse_document(doc)
    assert isinstance(parsed, APObject)
    assert parsed.to == (PUBLIC,) and parsed.is_public
    assert parsed.attributed_to == "https://ex.example/users/a"


def test_extension_terms_survive_compaction(no_network: None) -> None:
    doc = {
        "@context": {
            "as": "https://www.w3.org/ns/activitystreams#",
            "toot": "http://joinmastodon.org/ns#",
        },
        "@type": "as:Note",
        "@id": "https://ex.example/notes/2",
        "as:sensitive": True,
        "as:tag": {"@type": "toot:Emoji", "as:name": ":blob:", "@id": "https://ex.example/e/b"},
    }
    out = compact(doc)
    assert out["sensitive"] is True
    assert out["tag"]["type"] == "Emoji"
    parsed = parse_document(doc)
    assert isinstance(parsed, APObject) and parsed.sensitive
    assert [e.name for e in parsed.emojis] == [":blob:"]


def test_expanded_document_from_corpus_compacts(no_network: None) -> None:
    parsed = parse_document(corpus_doc("fedify/fedify-fixtures/example.com/hong-gildong.json"))
    # Compaction recovered the terms; the synthetic actor then lacks the mandatory inbox.
    assert isinstance(parsed, Rejected) and parsed.reason == "missing_inbox"
    out = compact(corpus_doc("fedify/fedify-fixtures/example.com/hong-gildong.json"))
    assert out["type"] == "Person" and out["name"] == "Hong Gildong"


def test_schema_org_location_redefinition_parses_via_compaction(no_network: None) -> None:
    parsed = parse_document(corpus_doc("mobilizon/lemmy-assets/objects/event.json"))
    assert isinstance(parsed, APObject) and parsed.type == "Event"
    assert parsed.name == "Caledonian scottish dance class"
    assert parsed.start_time is not None and parsed.is_public


def test_undefined_terms_read_like_the_fast_path(no_network: None) -> None:
    rel = "oeee-cafe/fedify-fixtures/oeee.cafe/ap/users/3609fd4e-d51d-4db8-9f04-4189815864dd.json"
    raw = corpus_doc(rel)
    parsed = parse_document(raw)
    assert isinstance(parsed, ActorDoc)
    assert parsed.manually_approves_followers is raw["manuallyApprovesFollowers"]
    assert parsed.inbox == raw["inbox"]


# --- Public -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    ["as:Public", "Public", PUBLIC, "http://www.w3.org/ns/activitystreams#Public"],
)
def test_public_spellings_normalize(spelling: str) -> None:
    assert normalize_public(spelling) == PUBLIC
    doc = {
        "@context": AS_CONTEXT_URL,
        "id": "https://ex.example/activities/1",
        "type": "Create",
        "actor": "https://ex.example/users/a",
        "to": spelling,
        "cc": ["https://ex.example/users/a/followers"],
        "object": {
            "id": "https://ex.example/notes/1",
            "type": "Note",
            "to": [spelling],
            "attributedTo": "https://ex.example/users/a",
        },
    }
    parsed = parse_document(doc)
    assert isinstance(parsed, Activity) and parsed.to == (PUBLIC,) and parsed.is_listed
    assert isinstance(parsed.object, APObject) and parsed.object.is_public


def test_non_public_addresses_untouched() -> None:
    for value in ("https://ex.example/users/a/followers", "as:Publicity", "public"):
        assert normalize_public(value) == value
