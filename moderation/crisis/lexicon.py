"""Phrase lists per language, as data: ``moderation/crisis/data/LANG.json`` (shipped), and
``*.json`` files in an instance's ``crisis`` directory that add to them (same keys; their
lists are appended). Patterns are regular expressions over folded text (lower case, no
accents), matched on word boundaries."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

DATA = Path(__file__).parent / "data"
PATTERN_KEYS = ("urgent", "warning", "concern", "method", "imminent", "negation", "idiom",
                "third_person", "first_person", "past", "present", "quote")  # fmt: skip
FOUND_KEYS = ("urgent", "warning", "concern", "method")  # reported as evidence
# Words in quotation marks (an apostrophe inside a word is not a quotation mark).
_QUOTED = re.compile(r"\"[^\"]+\"|\u201c[^\u201d]+\u201d|\u00ab[^\u00bb]+\u00bb|(?<!\w)'.+?'(?!\w)")


class LexiconError(ValueError):
    """A phrase file that cannot be used: which file, which key, why."""


def _compile(patterns: list[str], where: str) -> re.Pattern[str] | None:
    if not patterns:
        return None
    try:
        return re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in patterns) + r")(?!\w)")
    except re.error as exc:
        raise LexiconError(f"{where}: {exc}") from None


class Lexicon:
    def __init__(self, lang: str, data: dict[str, list[str]], where: str = "") -> None:
        self.lang = lang
        self.stopwords = frozenset(data.get("stopwords", []))
        self.patterns = {k: _compile(data.get(k, []), f"{where}:{k}") for k in PATTERN_KEYS}
        self._each = {k: [re.compile(rf"\b(?:{p})(?!\w)") for p in data.get(k, [])]
                      for k in FOUND_KEYS}  # fmt: skip

    def find(self, kind: str, text: str) -> Iterable[re.Match[str]]:
        """Every phrase of this kind in the text (each pattern once, so overlapping phrases
        all count as evidence)."""
        if self.patterns[kind] is None or not self.patterns[kind].search(text):
            return []
        return [m for p in self._each[kind] if (m := p.search(text))]

    def _has(self, key: str, text: str) -> bool:
        pattern = self.patterns[key]
        return pattern is not None and pattern.search(text) is not None

    def negated(self, before: str, phrase: str) -> bool:
        words = before.split()[-3:]
        return self._has("negation", " ".join(words))

    def idiom_covers(self, clause: str, start: int, end: int) -> bool:
        """An idiom overlapping the finding ("this homework is killing me")."""
        pattern = self.patterns["idiom"]
        if pattern is None:
            return False
        return any(m.start() < end and start < m.end() for m in pattern.finditer(clause))

    def quoted(self, text: str) -> bool:
        return self._has("quote", text)

    def imminent(self, text: str) -> bool:
        return self._has("imminent", text)

    @staticmethod
    def in_quotation_marks(clause: str, start: int) -> bool:
        """Someone's words in quotation marks ("my son said 'I'm going to kill myself'")."""
        return any(m.start() < start < m.end() for m in _QUOTED.finditer(clause))

    def about_someone_else(self, clause: str, start: int, end: int) -> bool:
        """Another person named in the clause, with no first person between that mention and
        the phrase ("my friend posted that she's ending it tonight")."""
        pattern = self.patterns["third_person"]
        if pattern is None:
            return False
        for mention in pattern.finditer(clause):
            if start <= mention.start() < end:
                continue  # part of the phrase itself ("tell my mum I love her")
            if mention.start() < start:
                between = clause[mention.end() : end]
            else:
                between = clause[start : mention.start()]
            if not self.first_person(between):
                return True
        return False

    def past(self, clause: str) -> bool:
        return self._has("past", clause)

    def present(self, clause: str) -> bool:
        return self._has("present", clause)

    def first_person(self, text: str) -> bool:
        return self._has("first_person", text)


def _read(path: Path) -> dict[str, list[str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LexiconError(f"{path}: {exc}") from None
    if not isinstance(data, dict) or not all(
        isinstance(v, list) and all(isinstance(x, str) for x in v) for v in data.values()
    ):
        raise LexiconError(f"{path}: a phrase file maps keys to lists of strings")
    return data


def load_lexicons(extra_dir: Path | None = None) -> dict[str, Lexicon]:
    """The shipped lists, with an instance's additions (``extra_dir/LANG.json``)."""
    merged: dict[str, dict[str, list[str]]] = {}
    for path in sorted(DATA.glob("*.json")):
        merged[path.stem] = _read(path)
    if extra_dir is not None and extra_dir.is_dir():
        for path in sorted(extra_dir.glob("*.json")):
            for key, values in _read(path).items():
                merged.setdefault(path.stem, {}).setdefault(key, []).extend(values)
    if not merged:  # the shipped files missing means a broken install, never "no risk"
        raise LexiconError(f"no phrase lists in {DATA}")
    return {lang: Lexicon(lang, data, lang) for lang, data in merged.items()}
