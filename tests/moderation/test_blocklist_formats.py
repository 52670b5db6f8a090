"""Blocklist formats: every list in the corpus reads (bad rows reported by line and
skipped), Mastodon's CSV round-trips byte for byte apart from row order, obfuscated
entries are kept by digest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moderation.blocklists.formats import detect, export, mastodon_csv, parse
from moderation.blocklists.matcher import EffectiveList
from moderation.blocklists.model import digest_of
from tests.corpus import corpus_dir, corpus_files

LISTS = [
    p for p in corpus_files("blocklists", pattern="*") if p.suffix in (".csv", ".json", ".txt")
]

# (format, rows read, imported, skipped) per corpus file, and why rows are skipped:
# Mastodon's own published lists star some domains and give no digest (unusable); one of
# Seirdy's lists carries a deliberate "delete this line" row; RapidBlock lists entries that
# are not blocked.
EXPECTED = {
    "fediblockhole/tests/fixtures/data-rapidblock.json": ("rapidblock-json", 168, 166, 2),
    "oliphant/mastodon/mastodon.online.csv": ("mastodon-csv", 325, 217, 108),
    "oliphant/mastodon/mastodon.social.csv": ("mastodon-csv", 396, 266, 130),
    "oliphant/mastodon.online.csv": ("csv", 325, 217, 108),
    "oliphant/mastodon.social.csv": ("csv", 396, 266, 130),
    "oliphant/mastodon/seirdy-tier0.csv": ("mastodon-csv", 375, 374, 1),
}


def name_of(path: Path) -> str:
    return str(path.relative_to(corpus_dir("blocklists")))


@pytest.mark.parametrize("path", LISTS, ids=lambda p: p.name)
def test_every_corpus_list_reads(path: Path) -> None:
    corpus_dir("blocklists")
    parsed = parse(path.read_text(encoding="utf-8"), allow="allow" in path.name)
    assert parsed.rows > 0 and parsed.entries
    assert parsed.rows == len(parsed.entries) + len(parsed.problems)
    expected = EXPECTED.get(name_of(path))
    if expected is not None:
        assert (parsed.format, parsed.rows, len(parsed.entries), len(parsed.problems)) == expected
    else:
        assert parsed.problems == [], parsed.problems[:3]
    for problem in parsed.problems:
        assert problem.line > 0 and problem.reason
        assert any(word in problem.reason for word in ("obfuscated", "not blocked", "true or"))


def mastodon_written(path: Path) -> bool:
    """A Mastodon CSV in Mastodon's own form (lower-case booleans) whose rows all import:
    the others are written by other tools (capitals) or hold rows we refuse (above)."""
    text = path.read_text(encoding="utf-8")
    if "#domain,#severity" not in text or "FALSE" in text or "TRUE" in text:
        return False
    return not parse(text).problems


MASTODON_FORM = [p for p in LISTS if p.suffix == ".csv" and mastodon_written(p)]


def test_the_round_trip_covers_mastodons_own_lists() -> None:
    corpus_dir("blocklists")
    names = {name_of(p) for p in MASTODON_FORM}
    assert {"mastodon-spec-fixtures/domain_blocks.csv", "oliphant/mastodon/dni.csv",
            "gotosocial-docs/subscription-sample.csv"} <= names, names  # fmt: skip
    assert len(names) == 8


@pytest.mark.parametrize("path", MASTODON_FORM, ids=lambda p: p.name)
def test_mastodon_csv_round_trips_apart_from_row_order(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    parsed = parse(text)
    out = mastodon_csv(parsed.entries)
    original = text.splitlines()
    again = out.splitlines()
    assert again[0] == original[0]  # the same header, #reject_follows included when present
    assert sorted(again[1:]) == sorted(original[1:])
    assert out.encode() == out.encode("utf-8") and out.endswith("\n")


def test_detection_and_bad_rows_by_line() -> None:
    assert detect("#domain,#severity\nx.example,suspend\n") == "mastodon-csv"
    assert detect('"domain","severity"\n"x.example","silence"\n') == "csv"
    assert detect("x.example\n# a comment\n") == "plain"
    assert detect('[{"domain": "x.example", "digest": "ab", "severity": "suspend"}]') == (
        "mastodon-json"
    )
    text = (
        "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n"
        "good.example,suspend,false,false,,false\n"
        "bad domain,suspend,false,false,,false\n"
        "good.example,silence,false,false,,false\n"
        "odd.example,banned,false,false,,false\n"
        "flag.example,silence,maybe,false,,false\n"
        'ok.example,silence,true,false,"spam, bots",false\n'
    )
    parsed = parse(text)
    assert [e.domain for e in parsed.entries] == ["good.example", "ok.example"]
    assert parsed.entries[1].public_comment == "spam, bots" and parsed.entries[1].reject_media
    assert [(p.line, p.reason.split(" ")[0]) for p in parsed.problems] == [
        (3, "'bad"), (4, "good.example"), (5, "unknown"), (6, "reject_media"),
    ]  # fmt: skip
    plain = parse("# my list\nspam.example  # bots\n\n*.wild.example\nBÜCHER.example.\n")
    assert [e.domain for e in plain.entries] == ["spam.example", "wild.example",
                                                 "xn--bcher-kva.example"]  # fmt: skip


def test_obfuscated_entries_match_by_digest() -> None:
    hidden = "nasty.example"
    doc = (
        '[{"domain": "na**y.example", "digest": "' + digest_of(hidden) + '", '
        '"severity": "suspend", "comment": "harassment"}]'
    )
    parsed = parse(doc)
    [entry] = parsed.entries
    assert entry.hidden and entry.digest == digest_of(hidden)
    rows = [type("Row", (), {"domain": entry.domain, "severity": "suspend", "digest": entry.digest,
                             "reject_media": False, "reject_reports": False,
                             "reject_follows": False})()]  # fmt: skip
    effective = EffectiveList(rows)
    rule = effective.check("a.nasty.example:443")
    assert rule is not None and rule.via == "digest"
    assert effective.check("nice.example") is None
    # Exported as Mastodon publishes it: starred, with the digest.
    assert '"na**y.example"' in export([entry], "mastodon-json")


def test_review_cases_in_reading_lists() -> None:
    from moderation.blocklists.formats import FormatError
    from moderation.domains import normalize_domain

    # Every spelling of a domain is the domain: Unicode full stops, trailing dots, ports.
    for spelling in ("bad.example\u3002", "bad.example.:443", "BAD.example\uff0e", "bad.example"):
        assert normalize_domain(spelling) == "bad.example", spelling
    # A quoted Mastodon header, and a comment above the header.
    quoted = '"#domain","#severity"\n"x.example","silence"\n'
    assert detect(quoted) == "mastodon-csv" and parse(quoted).entries[0].severity == "silence"
    commented = "# exported by hand\n#domain,#severity\ny.example,suspend\n"
    assert [e.domain for e in parse(commented).entries] == ["y.example"]
    # Two obfuscated entries sharing a starred name: the second is refused, not a crash.
    entries = [{"domain": "bads****.org", "digest": digest_of(f"badsite{i}.org")} for i in (1, 2)]
    doc = json.dumps(entries)
    twice = parse(doc)
    assert len(twice.entries) == 1 and "repeats line 1" in twice.problems[0].reason
    # Input that cannot be read at all is a FormatError, not a crash.
    for bad in ("[" * 100_000, "domain\n" + "x" * 200_000 + '"\n'):
        with pytest.raises(FormatError):
            parse(bad)
    # Comments are kept as written.
    spaced = '#domain,#severity,#public_comment\nz.example,suspend,"  two spaces"\n'
    assert parse(spaced).entries[0].public_comment == "  two spaces"
