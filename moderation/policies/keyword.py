"""Words, phrases or regular expressions in a post's content, content warning or names,
each with its action: reject, hold, or add a content warning.

Words and phrases match whole words, case-insensitively (``moderation.policies.text``);
regular expressions are searched in the fields' text, all at once first."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from federation.screening import ACCEPT, Action, Decision, Rewrite, RewriteKind, Subject
from moderation.policies.base import Params, PolicyError, Rule
from moderation.policies.text import FIELDS, Text, text_of, tokens

ACTIONS = ("reject", "hold", "content_warning")
# A regular expression of the nested-quantifier kind ("(a+)+", "(\w*)*") can take exponential
# time on a crafted post, and Python's ``re`` has no time limit: such patterns are refused.
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{]")


@dataclass(frozen=True)
class Match:
    action: str
    label: str  # what matched, as configured
    warning: str


class PhraseIndex:
    """Whole-word phrases, indexed by their first word (one-word phrases) or their first two
    words: a post's distinct words and word pairs are intersected with those keys at C
    speed, and only the longer phrases whose first pair occurs are compared. A thousand
    keywords cost about as much as ten."""

    def __init__(self) -> None:
        self._words: dict[bytes, list[Match]] = {}
        self._pairs: dict[tuple[bytes, bytes], list[tuple[tuple[bytes, ...], Match]]] = {}
        # The keys as sets: ``frozenset & frozenset`` walks the smaller one (a ``dict.keys()``
        # view would first be copied whole into a new set on every call).
        self._word_keys: frozenset[bytes] = frozenset()
        self._pair_keys: frozenset[tuple[bytes, bytes]] = frozenset()

    def add(self, phrase: str, match: Match) -> None:
        words = tuple(tokens(phrase))
        if not words:
            raise PolicyError(f"{phrase!r} has no words to match")
        if len(words) == 1:
            self._words.setdefault(words[0], []).append(match)
        else:
            self._pairs.setdefault((words[0], words[1]), []).append((words, match))
        self._word_keys, self._pair_keys = frozenset(), frozenset()  # rebuilt on first use

    def find(self, text: Text) -> list[Match]:
        if len(self._word_keys) != len(self._words) or len(self._pair_keys) != len(self._pairs):
            self._word_keys, self._pair_keys = frozenset(self._words), frozenset(self._pairs)
        found = [m for word in self._word_keys & text.vocabulary for m in self._words[word]]
        if self._pair_keys:
            for pair in self._pair_keys & text.pairs:
                found += [m for phrase, m in self._pairs[pair] if text.has_phrase(phrase)]
        return found


class KeywordRule:
    def __init__(self, phrases: PhraseIndex, patterns: list[tuple[re.Pattern[str], Match]],
                 fields: tuple[str, ...], listed: list[dict[str, str]]) -> None:  # fmt: skip
        self.phrases, self.patterns, self.fields, self.listed = phrases, patterns, fields, listed
        # One scan tells whether any pattern matches at all (the usual answer is no). Patterns
        # with backreferences cannot be joined (their group numbers shift): tried one by one.
        self._any: re.Pattern[str] | None = None
        if patterns:
            try:
                joined = "|".join(f"(?:{p.pattern})" for p, _ in patterns)
                self._any = re.compile(joined, re.IGNORECASE)
            except re.error:
                self._any = None

    def decide(self, subject: Subject, now: datetime) -> Decision:
        if not subject.is_post and not subject.is_actor:
            return ACCEPT  # a report's comment, say, is not screened as a post
        text = text_of(subject, self.fields)
        if not text.words:
            return ACCEPT
        matches = self.phrases.find(text)
        if self.patterns and (self._any is None or self._any.search(text.plain)):
            matches += [m for pattern, m in self.patterns if pattern.search(text.plain)]
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
        labels = ", ".join(dict.fromkeys(repr(m.label) for m in matches))
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
            if _NESTED_QUANTIFIER.search(regex):
                raise PolicyError(f"rule {number}: a repeated group that itself repeats "
                                  "can take exponential time; simplify the regex")  # fmt: skip
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
