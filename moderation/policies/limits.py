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


TOPIC = "{topic}"  # in a require_content_warning warning: the topics that matched


@dataclass(frozen=True)
class RequireWarning:
    """Posts about listed topics (self-harm, suicide, eating disorders...) must carry a
    content warning: held, or given one (``action = "add"``). ``topics`` is a list of words
    and phrases, or a table of topics each with its words and phrases; ``{topic}`` in the
    warning names the topics that matched ("Mentions: {topic}" -> "Mentions: self-harm")."""

    topics: PhraseIndex
    listed: tuple[str, ...] | dict[str, list[str]]
    action: str
    warning: str

    def decide(self, subject: Subject, now: datetime) -> Decision:
        if not subject.is_post or subject.summary.strip():
            return ACCEPT
        found = self.topics.find(text_of(subject, ("content", "names")))
        if not found:
            return ACCEPT
        # The topics in the order they are configured, each once.
        order = list(self.listed)
        matched = sorted({m.label for m in found}, key=lambda t: (order.index(t), t))
        reason = f"no content warning on a post about {matched[0]!r}"
        if self.action == "hold":
            return Decision(Action.HOLD, reason)
        text = self.warning.replace(TOPIC, ", ".join(matched))
        warning = Rewrite(RewriteKind.CONTENT_WARNING, text)
        return Decision(Action.REWRITE, reason, rewrites=(warning,))

    def public(self) -> dict[str, Any]:
        topics = dict(self.listed) if isinstance(self.listed, dict) else list(self.listed)
        return {"topics": topics, "action": self.action, "warning": self.warning}


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
    raw = params.get("topics", (list, dict), [])
    index = PhraseIndex()
    listed: tuple[str, ...] | dict[str, list[str]]
    if isinstance(raw, dict):
        listed = {topic.strip(): _phrases(topic, phrases) for topic, phrases in raw.items()}
        for topic, phrases in listed.items():
            for phrase in phrases:
                index.add(phrase, Match("content_warning", topic, ""))
    else:
        listed = tuple(Params({"topics": raw}).strings("topics"))
        for topic in listed:
            index.add(topic, Match("content_warning", topic, ""))
    if not listed:
        raise PolicyError("'topics' must list at least one word or phrase")
    action = params.choice("action", ("hold", "add"), "hold")
    warning = params.get("warning", str, "Sensitive topic")
    if not warning.replace(TOPIC, "x").strip():
        raise PolicyError("'warning' must not be empty")
    return RequireWarning(index, listed, action, warning), frozenset()


def _phrases(topic: str, phrases: Any) -> list[str]:
    """One topic's words and phrases, in a table of topics."""
    if not topic.strip() or not isinstance(phrases, list) or not phrases:
        raise PolicyError(f"'topics.{topic}' must list the topic's words or phrases")
    if not all(isinstance(p, str) and p.strip() for p in phrases):
        raise PolicyError(f"'topics.{topic}' must be a list of non-empty strings")
    return [p.strip() for p in phrases]
