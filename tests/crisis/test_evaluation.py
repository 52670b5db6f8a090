"""The crisis detector on the project's evaluation set (``evaluation.jsonl``: 445 labelled
texts in five languages, written without looking at the detector, most of them hard cases).
Reports precision and recall per level and language (``pytest -s`` shows the table).

The target (issue #8) is urgent recall at least 0.95 and urgent precision at least 0.85; the
phrase-list detector does not reach it yet (urgent recall 0.61 overall, 0.94 in English whose
lists were extended against this set, 0.32-0.90 in the others): that test is a strict xfail,
so it fails the day the target is met and the marker must go. Meanwhile the floors below
keep what was reached from slipping."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from moderation.crisis.detector import LEVELS, Detector

SET = Path(__file__).parent / "evaluation.jsonl"


def items() -> list[dict[str, Any]]:
    return [json.loads(line) for line in SET.read_text(encoding="utf-8").splitlines() if line]


def scores(pairs: list[tuple[str, str]], level: str) -> tuple[float, float, int]:
    """(precision, recall, support) of ``level`` over (expected, got) pairs."""
    tp = sum(1 for want, got in pairs if want == level and got == level)
    predicted = sum(1 for _, got in pairs if got == level)
    actual = sum(1 for want, _ in pairs if want == level)
    precision = tp / predicted if predicted else 1.0
    recall = tp / actual if actual else 1.0
    return precision, recall, actual


@pytest.fixture(scope="module")
def results() -> list[tuple[dict[str, Any], Any]]:
    detector = Detector()
    return [(item, detector.check(item["text"], item["lang"])) for item in items()]


def test_the_set_is_large_varied_and_hard_enough() -> None:
    data = items()
    langs = Counter(i["lang"] for i in data)
    assert len(data) >= 400 and set(langs) == {"en", "es", "de", "fr", "pt"}
    assert min(langs.values()) >= 80
    hard = sum(1 for i in data if i["kind"] != "plain")
    assert hard * 3 >= len(data)
    assert len({i["id"] for i in data}) == len(data)


@pytest.mark.xfail(strict=True, reason="#8 in progress: urgent recall 0.61 < 0.95 (see docstring)")
def test_precision_and_recall_per_level_and_language(
    results: list[tuple[dict[str, Any], Any]],
) -> None:
    table = ["lang  level    precision  recall  support"]
    for lang in ("all", "en", "es", "de", "fr", "pt"):
        pairs = [(i["level"], r.level) for i, r in results if lang in ("all", i["lang"])]
        for level in LEVELS:
            p, r, n = scores(pairs, level)
            table.append(f"{lang:<5} {level:<8} {p:>9.3f} {r:>7.3f} {n:>8}")
    method = [(str(i["method"]), str(r.method)) for i, r in results]
    mp, mr, mn = scores(method, "True")
    table.append(f"all   method   {mp:>9.3f} {mr:>7.3f} {mn:>8}")
    print("\n" + "\n".join(table))
    urgent_p, urgent_r, _ = scores([(i["level"], r.level) for i, r in results], "urgent")
    missed = [i["id"] for i, r in results if i["level"] == "urgent" and r.level != "urgent"]
    false = [i["id"] for i, r in results if i["level"] != "urgent" and r.level == "urgent"]
    assert urgent_r >= 0.95, f"urgent recall {urgent_r:.3f}; missed {missed}"
    assert urgent_p >= 0.85, f"urgent precision {urgent_p:.3f}; false alarms {false}"


def test_what_was_reached_does_not_slip(results: list[tuple[dict[str, Any], Any]]) -> None:
    """Floors just under today's figures, per language: a change to the phrase lists that
    loses ground fails here."""
    floors = {
        "all": (0.58, 0.90),
        "en": (0.90, 0.90),
        "es": (0.45, 0.90),
        "de": (0.85, 0.90),
        "fr": (0.35, 0.80),
        "pt": (0.30, 0.90),
    }  # (urgent recall, urgent precision)
    for lang, (recall_floor, precision_floor) in floors.items():
        pairs = [(i["level"], r.level) for i, r in results if lang in ("all", i["lang"])]
        precision, recall, _ = scores(pairs, "urgent")
        assert recall >= recall_floor and precision >= precision_floor, (lang, precision, recall)
    # No false "none" on the clearest cases: every plain urgent English text is caught.
    plain = [r.level for i, r in results if i["lang"] == "en" and i["kind"] == "plain"
             and i["level"] == "urgent"]  # fmt: skip
    assert plain and all(level == "urgent" for level in plain)
