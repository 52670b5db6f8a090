"""Words, phrases or regular expressions in a post's content, content warning or names,
each with its action: reject, hold, or add a content warning.

Words and phrases match whole words, case-insensitively, and are looked up by their first
word in a dictionary: 1,000 keywords cost about as much as ten (the benchmark in
``bench/policies.py`` measures it). Regular expressions are tried one by one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from federation.screening import ACCEPT, Action, Decision, Rewrite, RewriteKind, Subject
from moderation.policies.base import Params, PolicyError, Rule

ACTIONS = ("reject", "hold", "content_warning")
FIELDS = ("content", "summary", "names")
_WORD = re.compile(r"\w+(?:['\u2019]\w+)*")  # "don't", and with a typographic apostrophe


def words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


@dataclass(frozen=True)
class Match:
    action: str
    label: str  # what matched, as configured
    warning: str


class PhraseIndex:
    """Whole-word phrases, indexed by their first word."""

    def __init__(self) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], Match]]] = {}

    def add(self, phrase: str, match: Match) -> None:
        tokens = tuple(words(phrase))
        if not tokens:
            raise PolicyError(f"{phrase!r} has no words to match")
        self._by_first.setdefault(tokens[0], []).append((tokens, match))

    def find(self, tokens: list[str]) -> list[Match]:
        found = []
        for i, token in enumerate(tokens):
            for phrase, match in self._by_first.get(token, ()):
                if tuple(tokens[i : i + len(phrase)]) == phrase:
                    found.append(match)
        return found


class KeywordRule:
    def __init__(self, phrases: PhraseIndex, patterns: list[tuple[re.Pattern[str], Match]],
                 fields: tuple[str, ...], listed: list[dict[str, str]]) -> None:  # fmt: skip
        self.phrases, self.patterns, self.fields, self.listed = phrases, patterns, fields, listed

    def _text(self, subject: Subject) -> str:
        parts = {"content": subject.content, "summary": subject.summary,
                 "names": " ".join(subject.names)}  # fmt: skip
        return "\n".join(parts[f] for f in self.fields if parts[f])

    def decide(self, subject: Subject, now: datetime) -> Decision:
        text = self._text(subject)
        if not text:
            return ACCEPT
        matches = self.phrases.find(words(text))
        matches += [m for pattern, m in self.patterns if pattern.search(text)]
        return decide_matches(matches, "keyword")

    def public(self) -> dict[str, Any]:
        return {"fields": list(self.fields), "rules": self.listed}


def decide_matches(matches: list[Match], what: str) -> Decision:
    """Reject beats hold beats content warning; the reason names what matched."""
    for action in ("reject", "hold"):
        hit = next((m for m in matches if m.action == action), None)
        if hit is not None:
            verb = Action.REJECT if action == "reject" else Action.HOLD
            return Decision(verb, f"{what} {hit.label!r}")
    warnings = list(dict.fromkeys(m.warning for m in matches if m.action == "content_warning"))
    if warnings:
        labels = ", ".join(repr(m.label) for m in matches)
        rewrite = Rewrite(RewriteKind.CONTENT_WARNING, "; ".join(warnings))
        return Decision(Action.REWRITE, f"{what} {labels}", rewrites=(rewrite,))
    return ACCEPT


def build(params: Params, scope: str) -> tuple[Rule, frozenset[str]]:
    fields = tuple(params.strings("fields") or FIELDS)
    if set(fields) - set(FIELDS):
        raise PolicyError(f"'fields' may name {', '.join(FIELDS)}")
    phrases = PhraseIndex()
    patterns: list[tuple[re.Pattern[str], Match]] = []
    listed = []
    for number, table in enumerate(params.tables("rules"), 1):
        rule = Params(table)
        try:
            match_text = rule.get("match", str, None)
            regex = rule.get("regex", str, None)
            action = rule.choice("action", ACTIONS, "hold")
            warning = rule.get("warning", str, "Content warning")
            rule.done()
        except PolicyError as exc:
            raise PolicyError(f"rule {number}: {exc}") from None
        if (match_text is None) == (regex is None):
            raise PolicyError(f"rule {number}: give either 'match' or 'regex'")
        if match_text is not None:
            phrases.add(match_text, Match(action, match_text, warning))
            listed.append({"match": match_text, "action": action})
        else:
            try:
                compiled = re.compile(regex, re.IGNORECASE)
            except re.error as exc:
                raise PolicyError(f"rule {number}: bad regex: {exc}") from None
            patterns.append((compiled, Match(action, regex, warning)))
            listed.append({"regex": regex, "action": action})
    # A list of words that share one action, for long lists: words = [...], action = "..."
    action = params.choice("action", ACTIONS, "hold")
    warning = params.get("warning", str, "Content warning")
    for word in params.strings("words"):
        phrases.add(word, Match(action, word, warning))
        listed.append({"match": word, "action": action})
    if not listed:
        raise PolicyError("give at least one rule ([[policy.rules]]) or 'words'")
    return KeywordRule(phrases, patterns, fields, listed), frozenset()
