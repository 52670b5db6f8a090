"""Per hashtag: reject, hold, or add a content warning (Pleroma's HashtagPolicy, with hold)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from federation.screening import ACCEPT, Decision, Subject
from moderation.policies.base import Params, Rule
from moderation.policies.keyword import Match, decide_matches


class HashtagRule:
    def __init__(self, tags: dict[str, Match]) -> None:
        self.tags = tags

    def decide(self, subject: Subject, now: datetime) -> Decision:
        if not subject.is_post:
            return ACCEPT
        matches = [self.tags[t] for t in sorted(subject.hashtags) if t in self.tags]
        return decide_matches(matches, "hashtag") if matches else ACCEPT

    def public(self) -> dict[str, Any]:
        by_action: dict[str, list[str]] = {}
        for tag, match in self.tags.items():
            by_action.setdefault(match.action, []).append(tag)
        return {action: sorted(tags) for action, tags in by_action.items()}


def build(params: Params, scope: str) -> tuple[Rule, frozenset[str]]:
    warning = params.get("warning", str, "Content warning")
    tags: dict[str, Match] = {}
    for action in ("content_warning", "hold", "reject"):  # the strictest wins a tie
        for tag in params.strings(action):
            name = tag.lstrip("#").lower()
            tags[name] = Match(action, f"#{name}", warning)
    return HashtagRule(tags), frozenset()
