"""Consensus merging of subscribed lists: thresholds by count and by percent, max and min
merges, every source's word kept, and the changes it proposes against the effective list."""

from __future__ import annotations

from moderation.blocklists.consensus import Settings, SourceWord, candidates, cap, diff
from moderation.blocklists.model import digest_of


def words(*entries: tuple[str, str, float, str]) -> dict[str, list[SourceWord]]:
    out: dict[str, list[SourceWord]] = {}
    for domain, source, trust, severity in entries:
        word = SourceWord(
            source,
            trust,
            severity,
            reject_media=source == "a",
            domain=domain,
            comment=f"{source} says so",
            since="2026-12-01T00:00:00+00:00",
        )
        out.setdefault(digest_of(domain), []).append(word)  # fmt: skip
    return out


LISTS = words(
    ("spam.example", "a", 1.0, "suspend"), ("spam.example", "b", 1.0, "silence"),
    ("spam.example", "c", 0.5, "suspend"),
    ("loud.example", "a", 1.0, "silence"), ("loud.example", "b", 1.0, "silence"),
    ("odd.example", "c", 0.5, "suspend"),
)  # fmt: skip


def test_threshold_by_count_of_trust() -> None:
    found = candidates(LISTS, 2.5, Settings(threshold=2))
    assert sorted(c.domain for c in found.values()) == ["loud.example", "spam.example"]
    found = candidates(LISTS, 2.5, Settings(threshold=0.5))
    assert "odd.example" in {c.domain for c in found.values()}


def test_threshold_by_percent_of_all_trust() -> None:
    found = candidates(LISTS, 2.5, Settings(threshold=90, mode="percent"))
    assert [c.domain for c in found.values()] == ["spam.example"]  # 2.5 of 2.5
    found = candidates(LISTS, 2.5, Settings(threshold=80, mode="percent"))
    assert sorted(c.domain for c in found.values()) == ["loud.example", "spam.example"]


def test_max_and_min_merges_with_provenance() -> None:
    spam = digest_of("spam.example")
    strict = candidates(LISTS, 2.5, Settings(threshold=2, merge="max"))[spam]
    mild = candidates(LISTS, 2.5, Settings(threshold=2, merge="min"))[spam]
    assert (strict.severity, strict.flags["reject_media"]) == ("suspend", True)  # any source
    assert (mild.severity, mild.flags["reject_media"]) == ("silence", False)  # every source
    assert [(p["source"], p["severity"], p["comment"]) for p in strict.provenance()] == [
        ("a", "suspend", "a says so"), ("b", "silence", "b says so"),
        ("c", "suspend", "c says so"),
    ]  # fmt: skip
    assert cap("suspend", "silence") == "silence" and cap("noop", "silence") == "noop"


def test_changes_against_the_effective_list() -> None:
    wanted = candidates(LISTS, 2.5, Settings(threshold=2))
    effective = {
        digest_of("loud.example"): {"domain": "loud.example", "severity": "suspend",
                                    "source": "subscriptions"},
        digest_of("gone.example"): {"domain": "gone.example", "severity": "suspend",
                                    "source": "subscriptions"},
        digest_of("mine.example"): {"domain": "mine.example", "severity": "suspend",
                                    "source": "manual"},
    }  # fmt: skip
    kinds = {p.domain: p.kind for p in diff(wanted, effective)}
    # spam is new, loud is milder now, gone is no longer listed; a hand-made block is never
    # lowered or retracted by subscriptions.
    assert kinds == {"spam.example": "add", "loud.example": "lower", "gone.example": "retract"}
