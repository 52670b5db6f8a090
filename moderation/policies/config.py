"""Policy chains from configuration: the instance's TOML file (``PEERHAVEN_POLICY_FILE``),
and each group's list of policy tables. A wrong file is refused with its line and reason.

    rules = ["Be kind.", "No advertising."]   # the instance's rules, shown to people

    [[policy]]
    type = "keyword"          # domain, keyword, hashtag, link_spam, mention_flood,
    name = "spam words"       #   object_age, first_contact (groups), require_content_warning
    shadow = true             # record what it would decide, without acting
    [[policy.rules]]
    match = "buy followers"
    action = "reject"         # reject, hold, content_warning
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

from moderation.domains import normalize_domain
from moderation.policies import domain, hashtag, keyword, limits
from moderation.policies.base import Builder, Params, Policy, PolicyError
from moderation.policies.chain import Chain

BUILDERS: dict[str, Builder] = {
    "domain": domain.build,
    "keyword": keyword.build,
    "hashtag": hashtag.build,
    "link_spam": limits.build_link_spam,
    "mention_flood": limits.build_mention_flood,
    "object_age": limits.build_object_age,
    "first_contact": limits.build_first_contact,
    "require_content_warning": limits.build_require_warning,
}

_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*policy[ \t]*\]\]", re.MULTILINE)
_TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)")


class PolicyFileError(ValueError):
    """A configuration that cannot be used: where (line, or policy number) and why."""

    def __init__(self, reason: str, line: int | None = None, index: int | None = None) -> None:
        where = f"line {line}: " if line is not None else ""
        super().__init__(f"{where}{reason}")
        self.reason, self.line, self.index = reason, line, index


def parse_file(text: str) -> Chain:
    """The instance's chain from its TOML file's text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _TOML_LINE.search(message)
        line = int(found.group(1)) if found else None
        if "(at end of document)" in message:
            line = len(text.splitlines()) or 1
            message = message.replace("(at end of document)", "(the file ends too soon)")
        raise PolicyFileError(_TOML_LINE.sub("", message).strip(), line) from None
    extra = sorted(set(data) - {"policy", "rules"})
    if extra:
        raise PolicyFileError(f"unknown top-level key {extra[0]!r} (policies go in [[policy]])")
    rules = data.get("rules", [])
    if not isinstance(rules, list) or not all(isinstance(r, str) and r.strip() for r in rules):
        raise PolicyFileError("'rules' must be a list of sentences")
    tables = data.get("policy", [])
    if not isinstance(tables, list):
        raise PolicyFileError("'policy' must be an array of tables ([[policy]])")
    lines = [text.count("\n", 0, m.start()) + 1 for m in _HEADER.finditer(text)]
    chain = build_chain(tables, "instance", lines)
    return Chain(chain.policies, chain.scope, tuple(r.strip() for r in rules))


def build_chain(tables: list[Any], scope: str, lines: list[int] | None = None) -> Chain:
    """A chain from policy tables; ``scope`` "group" refuses anything that would loosen the
    instance's policies."""
    policies: list[Policy] = []
    for index, table in enumerate(tables):
        line = lines[index] if lines and index < len(lines) else None
        try:
            policy = build_policy(table, scope)
        except PolicyError as exc:
            label = table.get("name") or table.get("type") if isinstance(table, dict) else None
            prefix = f"policy {index + 1}" + (f" ({label})" if label else "")
            raise PolicyFileError(f"{prefix}: {exc}", line, index) from None
        if any(p.name == policy.name for p in policies):
            reason = f"policy {index + 1}: the name {policy.name!r} is taken; give it a 'name'"
            raise PolicyFileError(reason, line, index)
        policies.append(policy)
    return Chain(tuple(policies), scope)


def build_policy(table: Any, scope: str) -> Policy:
    if not isinstance(table, dict):
        raise PolicyError("must be a table")
    params = Params(table)
    kind = params.get("type", str, None)
    if kind is None:
        raise PolicyError(f"'type' is missing (one of {', '.join(BUILDERS)})")
    if kind not in BUILDERS:
        raise PolicyError(f"unknown type {kind!r} (one of {', '.join(BUILDERS)})")
    name = params.get("name", str, kind).strip() or kind
    shadow = params.get("shadow", bool, False)
    public = params.get("public", bool, True)
    exempt = [normalize_domain(e) if "://" not in e else e for e in params.strings("exempt")]
    if exempt and scope == "group":
        # A group may be stricter than the instance, never looser (an instance reject
        # cannot be overridden by a group).
        raise PolicyError("group policies can only add restrictions; 'exempt' would loosen "
                          "the instance's")  # fmt: skip
    try:
        rule, needs = BUILDERS[kind](params, scope)
    except (ValueError, OverflowError) as exc:  # a value Python cannot use, whatever it is
        raise PolicyError(f"a value is out of range ({exc})") from None
    params.done()
    return Policy(name, kind, rule, shadow, public, frozenset(exempt), needs)
