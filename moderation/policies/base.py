"""What every policy is: a name, whether it runs in shadow, which facts it needs, its public
parameters, and a pure ``decide(subject, now)``; and ``Params``, which reads a policy's TOML
table so that a misspelt or ill-typed key is refused by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from federation.screening import ACCEPT, Decision, Subject
from moderation.domains import normalize_domain


class PolicyError(ValueError):
    """A policy's configuration is wrong: says which key and why."""


class Rule(Protocol):
    """A policy's behaviour: pure, given the subject and the time."""

    def decide(self, subject: Subject, now: datetime) -> Decision: ...

    def public(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Policy:
    name: str
    type: str
    rule: Rule
    shadow: bool = False
    public_params: bool = True  # listed in NodeInfo and on /about/moderation
    exempt: frozenset[str] = frozenset()  # actors and domains the policy leaves alone
    # Facts (``federation.screening.Facts`` fields) to gather from storage before deciding.
    needs: frozenset[str] = frozenset()

    def decide(self, subject: Subject, now: datetime) -> Decision:
        if self.exempt and (
            subject.actor in self.exempt or normalize_domain(subject.domain) in self.exempt
        ):
            return Decision(ACCEPT.action, "exempt", self.name)
        decision = self.rule.decide(subject, now)
        return Decision(decision.action, decision.reason, self.name, decision.rewrites)

    def describe(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "type": self.type, "shadow": self.shadow}
        if self.public_params:
            data["params"] = self.rule.public()
        return data


class Params:
    """A policy's table from the TOML file, read key by key; ``done()`` refuses leftovers."""

    def __init__(self, table: dict[str, Any]) -> None:
        self._table = dict(table)

    def get(self, key: str, kind: type | tuple[type, ...], default: Any) -> Any:
        if key not in self._table:
            return default
        value = self._table.pop(key)
        # bool is an int in Python: a threshold of `true` is a mistake, not 1.
        if isinstance(value, bool) and kind is not bool and bool not in _tuple(kind):
            raise PolicyError(f"{key!r} must be {_name(kind)}, not a boolean")
        if not isinstance(value, kind):
            raise PolicyError(f"{key!r} must be {_name(kind)}")
        return value

    def strings(self, key: str) -> list[str]:
        values = self.get(key, list, [])
        if not all(isinstance(v, str) and v.strip() for v in values):
            raise PolicyError(f"{key!r} must be a list of non-empty strings")
        return [v.strip() for v in values]

    def number(
        self, key: str, default: float | None, *, minimum: float = 0, maximum: float = 1e6
    ) -> float | None:
        value = self.get(key, (int, float), default)
        if value is not None and not minimum <= value <= maximum:  # also refuses nan
            raise PolicyError(f"{key!r} must be between {minimum:g} and {maximum:g}")
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.get(key, str, default)
        if value not in choices:
            raise PolicyError(f"{key!r} must be one of {', '.join(choices)}")
        return value

    def tables(self, key: str) -> list[dict[str, Any]]:
        values = self.get(key, list, [])
        if not all(isinstance(v, dict) for v in values):
            raise PolicyError(f"{key!r} must be a list of tables ([[policy.{key}]])")
        return values

    def done(self) -> None:
        if self._table:
            raise PolicyError(f"unknown key {sorted(self._table)[0]!r}")


def _tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "a number", float: "a number", bool: "true or false",
             list: "a list", dict: "a table"}  # fmt: skip
    return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in _tuple(kind)))


Builder = Callable[[Params, str], tuple[Rule, frozenset[str]]]
"""Builds a policy's rule from its parameters and scope ("instance" or "group"), with the
facts it needs."""
