"""The crisis detector on two labelled sets in five languages, most of them hard cases, both
written from the label definitions without looking at the detector:

- ``evaluation.jsonl`` (445 texts): the phrase lists were extended after reading what the
  detector missed here, so its figures are optimistic. The target (issue #8), urgent recall
  at least 0.95 and urgent precision at least 0.85 overall, is met on it (0.98 and 1.00).
- ``heldout.jsonl`` (160 texts): written before that tuning and never tuned against; it shows
  how the detector does on text it was not fitted to.

``pytest -s`` prints precision and recall per level and language for both. The floors sit a
little under today's figures, so a change to the lists or the rules that loses ground fails."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from moderation.crisis.detector import LEVELS, Detector

SET = Path(__file__).parent / "evaluation.jsonl"
HELDOUT = Path(__file__).parent / "heldout.jsonl"
LANGS = ("en", "es", "de", "fr", "pt")


def items(path: Path = SET) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def scores(pairs: list[tuple[str, str]], level: str) -> tuple[float, float, int]:
    """(precision, recall, support) of ``level`` over (expected, got) pairs."""
    tp = sum(1 for want, got in pairs if want == level and got == level)
    predicted = sum(1 for _, got in pairs if got == level)
    actual = sum(1 for want, _ in pairs if want == level)
    precision = tp / predicted if predicted else 1.0
    recall = tp / actual if actual else 1.0
    return precision, recall, actual


Results = list[tuple[dict[str, Any], Any]]


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector()


@pytest.fixture(scope="module")
def results(detector: Detector) -> Results:
    return [(item, detector.check(item["text"], item["lang"])) for item in items()]


@pytest.fixture(scope="module")
def heldout(detector: Detector) -> Results:
    return [(item, detector.check(item["text"], item["lang"])) for item in items(HELDOUT)]


def report(name: str, results: Results) -> None:
    """The table ``pytest -s`` prints: precision, recall and support per level and language."""
    table = [f"{name}", "lang  level    precision  recall  support"]
    for lang in ("all", *LANGS):
        pairs = [(i["level"], r.level) for i, r in results if lang in ("all", i["lang"])]
        for level in LEVELS:
            p, r, n = scores(pairs, level)
            table.append(f"{lang:<5} {level:<8} {p:>9.3f} {r:>7.3f} {n:>8}")
    method = [(str(i["method"]), str(r.method)) for i, r in results]
    mp, mr, mn = scores(method, "True")
    table.append(f"all   method   {mp:>9.3f} {mr:>7.3f} {mn:>8}")
    print("\n" + "\n".join(table))


def check_floors(results: Results, floors: dict[str, tuple[float, float]]) -> None:
    """Urgent (recall, precision) per language at least the floors."""
    for lang, (recall_floor, precision_floor) in floors.items():
        pairs = [(i["level"], r.level) for i, r in results if lang in ("all", i["lang"])]
        precision, recall, _ = scores(pairs, "urgent")
        assert recall >= recall_floor and precision >= precision_floor, (lang, precision, recall)


def test_the_set_is_large_varied_and_hard_enough() -> None:
    data = items()
    langs = Counter(i["lang"] for i in data)
    assert len(data) >= 400 and set(langs) == {"en", "es", "de", "fr", "pt"}
    assert min(langs.values()) >= 80
    hard = sum(1 for i in data if i["kind"] != "plain")
    assert hard * 3 >= len(data)
    assert len({i["id"] for i in data}) == len(data)


def test_precision_and_recall_per_level_and_language(results: Results) -> None:
    """The target of issue #8, on the evaluation set (which the lists were tuned on)."""
    report("evaluation set (tuned on)", results)
    urgent_p, urgent_r, _ = scores([(i["level"], r.level) for i, r in results], "urgent")
    missed = [i["id"] for i, r in results if i["level"] == "urgent" and r.level != "urgent"]
    false = [i["id"] for i, r in results if i["level"] != "urgent" and r.level == "urgent"]
    assert urgent_r >= 0.95, f"urgent recall {urgent_r:.3f}; missed {missed}"
    assert urgent_p >= 0.85, f"urgent precision {urgent_p:.3f}; false alarms {false}"


def test_what_was_reached_does_not_slip(results: Results) -> None:
    """Floors just under today's figures, per language: a change to the phrase lists that
    loses ground fails here."""
    check_floors(
        results,
        {
            "all": (0.95, 0.95),
            "en": (0.90, 0.95),
            "es": (0.93, 0.95),
            "de": (0.95, 0.95),
            "fr": (0.95, 0.95),
            "pt": (0.95, 0.95),
        },  # (urgent recall, urgent precision)
    )
    # No false "none" on the clearest cases: every plain urgent English text is caught.
    plain = [r.level for i, r in results if i["lang"] == "en" and i["kind"] == "plain"
             and i["level"] == "urgent"]  # fmt: skip
    assert plain and all(level == "urgent" for level in plain)


def test_the_heldout_set_has_the_size_and_mix_it_claims() -> None:
    """At least 30 texts per language, about a third of each level, at least half of them
    hard cases, and none of them taken from the evaluation set."""
    data = items(HELDOUT)
    assert len(data) >= 150 and len({i["id"] for i in data}) == len(data)
    for lang in LANGS:
        mine = [i for i in data if i["lang"] == lang]
        assert len(mine) >= 30 and all(i["id"].startswith(f"h-{lang}-") for i in mine)
        levels = Counter(i["level"] for i in mine)
        assert all(0.25 <= levels[level] / len(mine) <= 0.40 for level in LEVELS), levels
    assert sum(1 for i in data if i["kind"] != "plain") * 2 >= len(data)
    assert not {i["text"] for i in data} & {i["text"] for i in items()}


def test_heldout_figures(heldout: Results) -> None:
    """Text the lists were never tuned on: the honest figure. Today urgent recall is 0.64
    overall (0.55-0.73 per language) and urgent precision 1.00; the floors are just under."""
    report("held-out set (not tuned on)", heldout)
    check_floors(
        heldout,
        {
            "all": (0.60, 0.90),
            "en": (0.60, 0.90),
            "es": (0.70, 0.90),
            "de": (0.60, 0.90),
            "fr": (0.60, 0.90),
            "pt": (0.50, 0.90),
        },  # (urgent recall, urgent precision)
    )
