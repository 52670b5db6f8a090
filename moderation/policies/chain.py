"""The ordered chain: each policy decides in turn; the first reject or hold ends it,
rewrites accumulate, and policies in shadow mode only record what they would have done."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from federation.screening import Action, Decision, Rewrite, Subject, Verdict
from moderation.policies.base import Policy


@dataclass(frozen=True)
class Chain:
    policies: tuple[Policy, ...] = ()
    scope: str = "instance"
    rules: tuple[str, ...] = ()  # the instance's rules, in words, for people to read

    @property
    def needs(self) -> frozenset[str]:
        return frozenset().union(*(p.needs for p in self.policies))

    def evaluate(self, subject: Subject, now: datetime, *, holds: bool = True) -> Verdict:
        """``holds=False``: a moderator approved the activity after a hold, so holds pass
        (rejects still end the chain, rewrites still apply)."""
        rewrites: list[Rewrite] = []
        rewriters: list[Decision] = []
        shadow: list[Decision] = []
        for policy in self.policies:
            decision = policy.decide(subject, now)
            if decision.action == Action.ACCEPT:
                continue
            if policy.shadow:
                shadow.append(decision)
            elif decision.action == Action.HOLD and not holds:
                continue
            elif decision.action in (Action.REJECT, Action.HOLD):
                return Verdict(
                    decision.action, decision.reason, policy.name, tuple(rewrites),
                    tuple(shadow), self.scope,
                )  # fmt: skip
            else:
                rewriters.append(decision)
                rewrites.extend(r for r in decision.rewrites if r not in rewrites)
        if not rewrites:
            return Verdict(shadow=tuple(shadow), scope=self.scope)
        return Verdict(
            Action.REWRITE,
            "; ".join(d.reason for d in rewriters),
            ",".join(d.policy for d in rewriters),
            tuple(rewrites),
            tuple(shadow),
            self.scope,
        )

    def describe(self) -> list[dict[str, Any]]:
        return [p.describe() for p in self.policies]
