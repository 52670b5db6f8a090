"""A subject's text as the text policies read it, computed once per subject and kept in its
``memo`` (several keyword policies share it): whole words, case-folded, as bytes.

Speed matters here: the chain runs on every incoming activity, and should cost a small
fraction of checking its signature (``bench/policies.py``). ASCII text, the common case, is
split by one C-level ``bytes.translate`` and ``split``; other text by a Unicode-aware
regular expression. Fields are kept apart by a separator no word can equal, so a phrase
never matches across the end of the content warning and the start of the content."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from federation.screening import Subject

FIELDS = ("content", "summary", "names")
_SEPARATOR = b"\x00"  # never a token: translated to a space below
_KEEP = {*range(48, 58), *range(65, 91), *range(97, 123), 95, *range(128, 256)}
_ASCII_WORDS = bytes(b if b in _KEEP else 32 for b in range(256))
_WORD = re.compile(r"\w+")


def tokens(text: str) -> list[bytes]:
    """Whole words, case-folded; an apostrophe splits a word the same way in a post and in a
    keyword ("don't" is "don", "t" in both)."""
    folded = text.casefold().replace("\u2019", "'")
    if folded.isascii():
        return folded.encode().translate(_ASCII_WORDS).split()
    return [w.encode() for w in _WORD.findall(folded)]


@dataclass(frozen=True)
class Text:
    plain: str  # the fields' text joined, for regular expressions
    words: tuple[bytes, ...]
    vocabulary: frozenset[bytes]

    @functools.cached_property
    def pairs(self) -> frozenset[tuple[bytes, bytes]]:
        """Adjacent words: most phrases are told apart by their first two words at once."""
        return frozenset(zip(self.words, self.words[1:], strict=False))

    def has_phrase(self, phrase: tuple[bytes, ...]) -> bool:
        if len(phrase) == 1:
            return phrase[0] in self.vocabulary
        if phrase[:2] not in self.pairs:
            return False
        if len(phrase) == 2:
            return True
        first, size, words = phrase[0], len(phrase), self.words
        start = 0
        while True:
            try:
                i = words.index(first, start)
            except ValueError:
                return False
            if words[i : i + size] == phrase:
                return True
            start = i + 1


def text_of(subject: Subject, fields: tuple[str, ...] = FIELDS) -> Text:
    key = ("text", fields)
    found = subject.memo.get(key)
    if found is None:
        parts = {"content": subject.content, "summary": subject.summary,
                 "names": " ".join(subject.names)}  # fmt: skip
        chosen = [parts[f] for f in fields if parts[f]]
        words: list[bytes] = []
        for part in chosen:
            if words:
                words.append(_SEPARATOR)
            words.extend(tokens(part))
        found = subject.memo[key] = Text("\n".join(chosen), tuple(words), frozenset(words))
    return found
