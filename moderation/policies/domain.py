"""Per-domain rules, as Pleroma's SimplePolicy: reject, accept-only (allowlist mode), media
removal, force sensitive, followers-only, reject reports, reject deletes, avatar and banner
removal. ``example.org`` names that domain; ``*.example.org`` it and all its subdomains."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from federation.screening import ACCEPT, Action, Decision, Rewrite, RewriteKind, Subject
from moderation.domains import domain_suffixes, normalize_domain
from moderation.policies.base import Params, PolicyError, Rule

KEYS = ("reject", "accept", "media_removal", "media_nsfw", "followers_only",
        "reject_reports", "reject_deletes", "avatar_removal", "banner_removal")  # fmt: skip


class DomainSet:
    def __init__(self, patterns: list[str]) -> None:
        self.patterns = sorted(set(patterns))
        self._exact: set[str] = set()
        self._wild: set[str] = set()
        for pattern in self.patterns:
            wild = pattern.startswith("*.")
            host = normalize_domain(pattern[2:] if wild else pattern)
            if not host or "*" in host or "/" in host:
                raise PolicyError(f"{pattern!r} is not a domain or *.domain")
            (self._wild if wild else self._exact).add(host)

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def matches(self, domain: str) -> bool:
        if not self.patterns:
            return False
        host = normalize_domain(domain)
        return host in self._exact or not self._wild.isdisjoint(domain_suffixes(host))


class DomainRule:
    def __init__(self, sets: dict[str, DomainSet]) -> None:
        self.sets = sets

    def _in(self, key: str, domain: str) -> bool:
        return self.sets[key].matches(domain)

    def decide(self, subject: Subject, now: datetime) -> Decision:
        domain = subject.domain
        if self.sets["accept"] and not self._in("accept", domain):
            return Decision(Action.REJECT, f"{domain} is not on the accept list")
        if self._in("reject", domain):
            return Decision(Action.REJECT, f"{domain} is rejected")
        if subject.activity_type == "Flag" and self._in("reject_reports", domain):
            return Decision(Action.REJECT, f"reports from {domain} are rejected")
        if subject.activity_type == "Delete" and self._in("reject_deletes", domain):
            return Decision(Action.REJECT, f"deletes from {domain} are rejected")
        rewrites = []
        if subject.attachments and self._in("media_removal", domain):
            rewrites.append(Rewrite(RewriteKind.STRIP_MEDIA))
        if subject.is_post and self._in("media_nsfw", domain):
            rewrites.append(Rewrite(RewriteKind.SENSITIVE))
        if subject.is_public and subject.is_post and self._in("followers_only", domain):
            rewrites.append(Rewrite(RewriteKind.FOLLOWERS_ONLY))
        if subject.is_actor:
            if self._in("avatar_removal", domain):
                rewrites.append(Rewrite(RewriteKind.STRIP_AVATAR))
            if self._in("banner_removal", domain):
                rewrites.append(Rewrite(RewriteKind.STRIP_BANNER))
        if rewrites:
            return Decision(Action.REWRITE, f"rules for {domain}", rewrites=tuple(rewrites))
        return ACCEPT

    def public(self) -> dict[str, Any]:
        return {key: s.patterns for key, s in self.sets.items() if s}


# What a group's policies decide is whether the group relays a post: these keys act on other
# things (addressing, reports, deletes, profiles) and would do nothing there.
INSTANCE_ONLY = ("followers_only", "reject_reports", "reject_deletes", "avatar_removal",
                 "banner_removal")  # fmt: skip


def build(params: Params, scope: str) -> tuple[Rule, frozenset[str]]:
    sets = {key: DomainSet(params.strings(key)) for key in KEYS}
    if scope == "group":
        for key in INSTANCE_ONLY:
            if sets[key]:
                raise PolicyError(f"{key!r} has no effect in a group's policies")
    return DomainRule(sets), frozenset()
