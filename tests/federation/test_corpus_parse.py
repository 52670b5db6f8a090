"""Every ActivityPub payload of the shared interop corpus through ``parse_document``.

Each one must become our internal form or be rejected with a named reason, and a rejection is
only accepted when its reason is in ``EXPECTED_REJECTIONS`` *and* that entry's own check,
computed from the raw JSON without the parser, agrees the payload really has that defect.
``INDEX.csv`` (implementation, type, nested object type) is the independent oracle for types.

``python -m pytest tests/federation/test_corpus_parse.py -s -k report`` prints the table of
parsed / rejected-by-reason counts per implementation.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from federation.parse import KNOWN_TYPES, Rejected, RejectReason, parse_document
from federation.wire import PUBLIC, Activity, ActorDoc, APObject
from tests.corpus import CORPUS, corpus_dir, corpus_files

ACTIVITY_FILES = corpus_files("activities")
PUBLIC_SPELLINGS = {PUBLIC, "as:Public", "Public"}
Row = dict[str, str]


@cache
def index() -> dict[str, Row]:
    with (corpus_dir() / "INDEX.csv").open(newline="") as fh:
        return {row["path"]: row for row in csv.DictReader(fh)}


def rel(path: Path) -> str:
    return path.relative_to(CORPUS).as_posix()


def load(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


# --- independent checks on the raw JSON, one per accepted rejection reason ----------------


def _walk(node: Any) -> Any:
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            yield cur
            stack.extend(cur.values())
        elif isinstance(cur, list):
            stack.extend(cur)


def _raw_types(raw: dict[str, Any], row: Row) -> set[str]:
    """Types named by INDEX (type, Create>Note chains) or in the raw type/@type keys."""
    names = set(re.split(r"[|>]", row["type"])) | set(re.split(r"[|>]", row["object_type"]))
    for node in (raw, raw.get("object")):
        if isinstance(node, dict):
            for key in ("type", "@type"):
                value = node.get(key)
                names.update(
                    v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)
                )
    return {n for n in names if n}


# Context URLs our peers use that we serve or accept (written out here, not imported, so the
# test does not grade the jsonld module with its own answer key).
_KNOWN_CONTEXTS = re.compile(
    r"^https?://(www\.w3\.org/ns/activitystreams|w3id\.org/security/(v1|data-integrity/v[12]|"
    r"multikey/v1)|www\.w3\.org/ns/did/v1|join-lemmy\.org/context\.json|gotosocial\.org/ns|"
    r"litepub\.social/litepub/context\.jsonld|[^/]+/schemas/litepub-0\.1\.jsonld|[^/]+/contexts)$"
)


def _has_unknown_context(raw: dict[str, Any], row: Row) -> bool:
    for node in _walk(raw):
        ctx = node.get("@context")
        for entry in ctx if isinstance(ctx, list) else [ctx]:
            if isinstance(entry, str) and not _KNOWN_CONTEXTS.match(entry):
                return True
    return False


def _missing_id(raw: dict[str, Any], row: Row) -> bool:
    obj = raw.get("object")
    return "id" not in raw or (isinstance(obj, dict) and "type" in obj and "id" not in obj)


EXPECTED_REJECTIONS: dict[RejectReason, tuple[str, Callable[[dict[str, Any], Row], bool]]] = {
    RejectReason.TEMPLATE_PLACEHOLDER: (
        "Pleroma test templates with {{domain}}/{{nickname}} placeholders (PROVENANCE notes)",
        lambda raw, row: re.search(r"\{\{\s*\w+\s*\}\}", json.dumps(raw)) is not None,
    ),
    RejectReason.BAD_ID: (
        "Mbin snapshot tests replace every id with the literal SCRUBBED_ID",
        lambda raw, row: raw.get("id") == "SCRUBBED_ID",
    ),
    RejectReason.MISSING_ID: (
        "client-to-server posts, spec examples and an inline collection page carry no id",
        _missing_id,
    ),
    RejectReason.UNSUPPORTED_TYPE: (
        "Lemmy Lock/Warn/Resolve, Mobilizon Join/Leave/Invite, keys and bare Objects",
        lambda raw, row: bool(_raw_types(raw, row) - KNOWN_TYPES),
    ),
    RejectReason.UNKNOWN_CONTEXT: (
        "contexts we have no copy of: Hubzilla/Osada apschema, Kroeg, Funkwhale, FEP-2c59",
        _has_unknown_context,
    ),
    RejectReason.MISSING_INBOX: (
        "actor documents without inbox: Mastodon's noinbox spec fixture, Fedify key holders",
        lambda raw, row: not raw.get("inbox") and not any(k.endswith("#inbox") for k in raw),
    ),
    RejectReason.MISSING_ACTOR: (
        "Fedify's minimal synthetic activities",
        lambda raw, row: "actor" not in raw,
    ),
    RejectReason.MISSING_OBJECT: (
        "Fedify's minimal synthetic activities",
        lambda raw, row: "object" not in raw,
    ),
    RejectReason.MISSING_TYPE: (
        "Fedify's untyped test node",
        lambda raw, row: "type" not in raw and "@type" not in raw,
    ),
    RejectReason.BAD_FIELD: (
        "Pleroma's EmojiReact fixtures whose content is not one emoji",
        lambda raw, row: (
            raw.get("type") == "EmojiReact"
            and not (len(c := raw.get("content") or "") == 1 and unicodedata.category(c) == "So")
        ),
    ),
}


def _ref(value: Any) -> Any:
    value = value[0] if isinstance(value, list) and value else value
    return value.get("id") if isinstance(value, dict) else value


# --- one test per payload -------------------------------------------------------------------


@pytest.mark.parametrize("path", ACTIVITY_FILES, ids=lambda p: rel(p).removeprefix("activities/"))
def test_corpus_payload(path: Path) -> None:
    corpus_dir("activities")
    raw, row = load(path), index()[rel(path)]
    result = parse_document(raw)

    if isinstance(result, Rejected):
        assert result.reason in EXPECTED_REJECTIONS, f"unexpected rejection: {result}"
        why, really_defective = EXPECTED_REJECTIONS[result.reason]
        assert really_defective(raw, row), f"{result} but the payload lacks that defect ({why})"
        assert result.detail
        return

    if row["type"]:
        assert result.type in row["type"].split("|")
    assert result.id == raw.get("id", result.id)

    if isinstance(result, Activity):
        assert result.actor == _ref(raw["actor"])
        _check_object(result, raw, row["object_type"])
        if PUBLIC_SPELLINGS & set(
            raw.get("to") if isinstance(raw.get("to"), list) else [raw.get("to")]
        ):
            assert result.is_public and PUBLIC in result.to
    elif isinstance(result, APObject):
        _check_content_is_clean(result)
        if isinstance(raw.get("attributedTo"), str):
            assert result.attributed_to == raw["attributedTo"]
    elif isinstance(result, ActorDoc):
        if isinstance(raw.get("inbox"), str):
            assert result.inbox == raw["inbox"]
        key = raw.get("publicKey")
        if isinstance(key, dict) and str(key.get("id", "")).startswith(("https://", "http://")):
            assert result.public_key is not None
            assert result.public_key.pem == key["publicKeyPem"]
        elif isinstance(key, dict):
            # e.g. old Bridgy Fed's key id "jk.nipponalba.scot": no keyId could ever match it
            assert result.public_key is None


def _check_object(activity: Activity, raw: dict[str, Any], object_type: str) -> None:
    raw_obj = raw["object"][0] if isinstance(raw["object"], list) else raw["object"]
    if isinstance(raw_obj, str):
        assert activity.object == raw_obj
        return
    chain = [t for t in object_type.split(">") if t]
    obj = activity.object
    if isinstance(obj, str) and "inbox" not in raw_obj:
        # Mastodon's Delete(actor) embeds a stub actor: kept as a reference, by design
        assert (
            chain
            and chain[0] in ("Person", "Group", "Service", "Application")
            and obj == raw_obj["id"]
        )
        return
    if chain:
        assert not isinstance(obj, str), "embedded object was reduced to a reference"
        assert obj.type == chain[0]
        if "id" in raw_obj:
            assert obj.id == raw_obj["id"]
        if len(chain) > 1 and isinstance(obj, Activity) and not isinstance(obj.object, str):
            assert obj.object is not None and obj.object.type == chain[1]
    if isinstance(obj, APObject):
        _check_content_is_clean(obj)


def _check_content_is_clean(obj: APObject) -> None:
    lowered = obj.content.lower()
    assert "<script" not in lowered and "javascript:" not in lowered
    assert not re.search(r"<[^>]+\son\w+=", lowered), "event handler attribute survived"


# --- targeted oracles from INDEX -----------------------------------------------------------


def _rows(type_: str, object_type: str) -> list[Path]:
    return [
        p
        for p in ACTIVITY_FILES
        if (r := index().get(rel(p))) and (r["type"], r["object_type"]) == (type_, object_type)
    ]


def test_every_create_note_yields_note_object() -> None:
    corpus_dir("activities")
    rows = _rows("Create", "Note")
    assert len(rows) >= 30
    parsed = 0
    for path in rows:
        raw, result = load(path), parse_document(load(path))
        if isinstance(result, Rejected):
            assert result.reason in (
                RejectReason.BAD_ID,
                RejectReason.UNKNOWN_CONTEXT,
                RejectReason.MISSING_ID,
            ), (path, result)
            continue
        parsed += 1
        assert isinstance(result, Activity) and result.type == "Create", path
        assert isinstance(result.object, APObject), path
        assert result.object.type == "Note" and result.object.id == raw["object"]["id"], path
    assert parsed >= 20


def test_announce_of_create_keeps_the_nested_chain() -> None:
    corpus_dir("activities")
    for path in _rows("Announce", "Create>Page") + _rows("Announce", "Create>Note"):
        result = parse_document(load(path))
        if isinstance(result, Rejected):
            assert result.reason is RejectReason.BAD_ID  # Mbin's scrubbed ids
            continue
        assert isinstance(result, Activity) and isinstance(result.object, Activity)
        assert isinstance(result.object.object, APObject)
        assert result.object.object.type in ("Page", "Note")


def _unscrub(text: str) -> str:
    parts = text.split('"SCRUBBED_ID"')
    return parts[0] + "".join(
        f'"https://kbin.test/scrubbed/{i}"{part}' for i, part in enumerate(parts[1:])
    )


def test_mbin_snapshots_parse_once_ids_are_restored() -> None:
    """Mbin's snapshots are rejected (bad_id) only for their scrubbed ids: with unique ids put
    back, everything but Lock (not an activity we handle) parses to the type INDEX gives."""
    folder = corpus_dir("activities", "mbin", "mbin-test-snapshots")
    outcomes: Counter[str] = Counter()
    for path in sorted(folder.glob("*.json")):
        row = index()[rel(path)]
        result = parse_document(json.loads(_unscrub(path.read_text("utf-8"))))
        if isinstance(result, Rejected):
            assert result.reason is RejectReason.UNSUPPORTED_TYPE and row["type"] == "Lock", (
                path,
                result,
            )
            outcomes["lock"] += 1
            continue
        outcomes["parsed"] += 1
        assert result.type == row["type"], path
        chain = [t for t in row["object_type"].split(">") if t]
        if chain and isinstance(result, Activity) and not isinstance(result.object, str):
            assert result.object.type == chain[0], path
    assert outcomes["parsed"] >= 100


# --- the per-implementation report ----------------------------------------------------------


def corpus_report() -> dict[str, Any]:
    """``{implementation: {"parsed": n, "rejected": {reason: n}}}`` plus ``"_exceptions"``:
    payloads for which ``parse_document`` raised instead of returning."""
    table: dict[str, dict[str, Any]] = defaultdict(lambda: {"parsed": 0, "rejected": Counter()})
    exceptions: list[str] = []
    for path in ACTIVITY_FILES:
        impl = index()[rel(path)]["implementation"]
        try:
            result = parse_document(load(path))
        except Exception as exc:  # the point of the report is to catch these
            exceptions.append(f"{rel(path)}: {type(exc).__name__}: {exc}")
            continue
        if isinstance(result, Rejected):
            table[impl]["rejected"][str(result.reason)] += 1
        else:
            table[impl]["parsed"] += 1
    report: dict[str, Any] = {
        impl: {"parsed": v["parsed"], "rejected": dict(sorted(v["rejected"].items()))}
        for impl, v in sorted(table.items())
    }
    report["_exceptions"] = exceptions
    return report


def test_corpus_report_no_exceptions() -> None:
    corpus_dir("activities")
    report = corpus_report()
    exceptions = report.pop("_exceptions")
    width = max(map(len, report))
    print(f"\n{'implementation':<{width}}  parsed  rejected")
    for impl, counts in report.items():
        rejected = ", ".join(f"{k}={v}" for k, v in counts["rejected"].items())
        print(f"{impl:<{width}}  {counts['parsed']:>6}  {rejected}")
    assert exceptions == []
    total = sum(c["parsed"] + sum(c["rejected"].values()) for c in report.values())
    assert total == len(ACTIVITY_FILES) == len(index())
