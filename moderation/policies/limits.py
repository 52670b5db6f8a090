"""Policies on a post's shape and its author's history: link spam from new or unknown
accounts, mention floods, old objects, an account's first post to a group, and posts on
listed topics that carry no content warning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from federation.screening import ACCEPT, Action, Decision, Rewrite, RewriteKind, Subject
from moderation.policies.base import Params, PolicyError, Rule
from moderation.policies.keyword import Match, PhraseIndex
from moderation.policies.text import text_of


@dataclass(frozen=True)
class LinkSpam:
    """Posts with links from accounts we have never seen, or younger than N days, are held."""

    min_age: timedelta

    def decide(self, subject: Subject, now: datetime) -> Decision:
        if not subject.is_post or not subject.links:
            return ACCEPT
        facts = subject.facts
        if facts.actor_known is False:
            return Decision(Action.HOLD, "links from an account not seen before")
        created = facts.actor_created
        if created is not None and now - created < self.min_age:
            days = self.min_age.total_seconds() / 86400
            return Decision(Action.HOLD, f"links from an account younger than {days:g} days")
        return ACCEPT

    def public(self) -> dict[str, Any]:
        return {"min_account_age_days": self.min_age.total_seconds() / 86400}


@dataclass(frozen=True)
class MentionFlood:
    hold_above: int | None
    reject_above: int | None

    def decide(self, subject: Subject, now: datetime) -> Decision:
        if not subject.is_post:
            return ACCEPT
        count = subject.mentions
        if self.reject_above is not None and count > self.reject_above:
            return Decision(Action.REJECT, f"{count} mentions (more than {self.reject_above})")
        if self.hold_above is not None and count > self.hold_above:
            return Decision(Action.HOLD, f"{count} mentions (more than {self.hold_above})")
        return ACCEPT

    def public(self) -> dict[str, Any]:
        return {"hold_above": self.hold_above, "reject_above": self.reject_above}


@dataclass(frozen=True)
class ObjectAge:
    """Old objects (a backfill, a replayed post) are not relayed as if new."""

    max_age: timedelta
    action: Action

    def decide(self, subject: Subject, now: datetime) -> Decision:
        # Only new posts: an edit of an old post is not a replay.
        if subject.activity_type != "Create" or subject.published is None:
            return ACCEPT
        if now - subject.published > self.max_age:
            days = self.max_age.total_seconds() / 86400
            return Decision(self.action, f"published more than {days:g} days ago")
        return ACCEPT

    def public(self) -> dict[str, Any]:
        return {"max_age_days": self.max_age.total_seconds() / 86400, "action": str(self.action)}


@dataclass(frozen=True)
class FirstContact:
    def decide(self, subject: Subject, now: datetime) -> Decision:
        if subject.activity_type == "Create" and subject.facts.posts_in_group == 0:
            return Decision(Action.HOLD, "first post to this group")
        return ACCEPT

    def public(self) -> dict[str, Any]:
        return {}


@dataclass(frozen=True)
class RequireWarning:
    """Posts about listed topics (self-harm, suicide, eating disorders...) must carry a
    content warning: held, or given one (``action = "add"``)."""

    topics: PhraseIndex
    listed: tuple[str, ...]
    action: str
    warning: str

    def decide(self, subject: Subject, now: datetime) -> Decision:
        if not subject.is_post or subject.summary.strip():
            return ACCEPT
        found = self.topics.find(text_of(subject, ("content", "names")))
        if not found:
            return ACCEPT
        reason = f"no content warning on a post about {found[0].label!r}"
        if self.action == "hold":
            return Decision(Action.HOLD, reason)
        warning = Rewrite(RewriteKind.CONTENT_WARNING, self.warning)
        return Decision(Action.REWRITE, reason, rewrites=(warning,))

    def public(self) -> dict[str, Any]:
        return {"topics": list(self.listed), "action": self.action, "warning": self.warning}


def _days(params: Params, key: str, default: float) -> timedelta:
    value = params.number(key, default)
    return timedelta(days=float(value if value is not None else default))


def build_link_spam(params: Params, scope: str) -> tuple[Rule, frozenset[str]]:
    rule = LinkSpam(_days(params, "min_account_age_days", 7))
    return rule, frozenset({"actor_known", "actor_created"})


def build_mention_flood(params: Params, scope: str) -> tuple[Rule, frozenset[str]]:
    hold = params.number("hold_above", None)
    reject = params.number("reject_above", None)
    if hold is None and reject is None:
        raise PolicyError("give 'hold_above', 'reject_above' or both")
    if hold is not None and reject is not None and reject < hold:
        raise PolicyError("'reject_above' must not be below 'hold_above'")
    return MentionFlood(_int(hold), _int(reject)), frozenset()


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)


def build_object_age(params: Params, scope: str) -> tuple[Rule, frozenset[str]]:
    age = _days(params, "max_age_days", 7)
    action = Action(params.choice("action", ("reject", "hold"), "reject"))
    return ObjectAge(age, action), frozenset()


def build_first_contact(params: Params, scope: str) -> tuple[Rule, frozenset[str]]:
    if scope != "group":
        raise PolicyError("first_contact is set per group (it is off by default)")
    return FirstContact(), frozenset({"posts_in_group"})


def build_require_warning(params: Params, scope: str) -> tuple[Rule, frozenset[str]]:
    topics = params.strings("topics")
    if not topics:
        raise PolicyError("'topics' must list at least one word or phrase")
    index = PhraseIndex()
    for topic in topics:
        index.add(topic, Match("content_warning", topic, ""))
    action = params.choice("action", ("hold", "add"), "hold")
    warning = params.get("warning", str, "Sensitive topic")
    return RequireWarning(index, tuple(topics), action, warning), frozenset()
