"""Merging subscribed blocklists by consensus (as FediBlockHole does), and what that means
for the effective list: pure functions, no I/O.

A domain becomes a candidate when the trust weights of the sources that list it reach the
threshold: their sum (``count`` mode), or their share of all sources' weight in percent
(``percent`` mode). Each source's severity is first capped at its ``severity_cap``; the
sources' severities and flags then merge by ``max`` (the strictest word wins; flags if any
source sets them) or ``min`` (the mildest; flags only if every source sets them). Entries are
keyed by digest, so a domain one list names and another publishes obfuscated is one domain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moderation.blocklists.model import RANK, SEVERITIES

FLAGS = ("reject_media", "reject_reports", "reject_follows")


@dataclass(frozen=True)
class Settings:
    threshold: float = 1.0
    mode: str = "count"  # or "percent"
    merge: str = "max"  # or "min"
    max_change_share: float = 0.5  # a fetch changing more than this share is held whole


@dataclass(frozen=True)
class SourceWord:
    """One source's entry for a domain."""

    source: str
    trust: float
    severity: str  # already capped
    reject_media: bool = False
    reject_reports: bool = False
    reject_follows: bool = False
    obfuscate: bool = False
    comment: str = ""
    since: str = ""  # ISO time the source first listed it
    domain: str = ""  # as this source published it (may be obfuscated)


@dataclass(frozen=True)
class Candidate:
    digest: str
    domain: str  # a clear name when any source gives one
    severity: str
    flags: dict[str, bool]
    words: tuple[SourceWord, ...] = field(default=())

    @property
    def fingerprint(self) -> str:
        """Changes when any source's word changes (a dismissed change comes back then)."""
        words = sorted((w.source, w.severity, w.reject_media, w.reject_reports,
                        w.reject_follows, w.obfuscate) for w in self.words)  # fmt: skip
        return hashlib.sha256(json.dumps(words).encode()).hexdigest()[:32]

    def block(self) -> dict[str, Any]:
        # Hidden if any source hides it: a name one list keeps private is never published.
        hidden = any(w.obfuscate for w in self.words)
        return {"domain": self.domain, "digest": self.digest, "severity": self.severity,
                "obfuscate": hidden, **self.flags}  # fmt: skip

    def provenance(self) -> list[dict[str, Any]]:
        return [{"source": w.source, "severity": w.severity, "comment": w.comment,
                 "since": w.since, "trust": w.trust} for w in self.words]  # fmt: skip


def cap(severity: str, ceiling: str) -> str:
    return severity if RANK[severity] <= RANK[ceiling] else ceiling


def candidates(
    words_by_digest: dict[str, list[SourceWord]], total_trust: float, settings: Settings
) -> dict[str, Candidate]:
    found = {}
    for digest, words in words_by_digest.items():
        weight = sum(w.trust for w in words)
        if settings.mode == "percent":
            reached = total_trust > 0 and weight * 100.0 / total_trust >= settings.threshold
        else:
            reached = weight >= settings.threshold
        if not reached or weight <= 0:
            continue
        pick = max if settings.merge == "max" else min
        severity = SEVERITIES[pick(RANK[w.severity] for w in words)]
        every = settings.merge == "min"
        flags = {f: (all if every else any)(getattr(w, f) for w in words) for f in FLAGS}
        clear = next((w.domain for w in words if "*" not in w.domain), words[0].domain)
        found[digest] = Candidate(digest, clear, severity, flags, tuple(words))
    return found


@dataclass(frozen=True)
class Proposal:
    digest: str
    domain: str
    kind: str  # add, retract, raise, lower, flags
    current: dict[str, Any] | None
    proposed: dict[str, Any] | None
    sources: list[dict[str, Any]]
    fingerprint: str


def diff(
    wanted: dict[str, Candidate],
    effective: dict[str, dict[str, Any]],
    inherited: Callable[[str], str | None] = lambda domain: None,
) -> list[Proposal]:
    """Proposals that bring the effective list to the candidates. ``effective`` maps digest to
    the block in force with its ``source``: blocks an admin made by hand or imported are only
    ever proposed to be raised, never lowered or retracted by subscriptions. ``inherited``
    gives the severity a domain already gets from a parent's rule: a candidate no stricter
    than that is not proposed (it would only weaken or repeat the parent's rule)."""
    proposals = []
    for digest, candidate in sorted(wanted.items(), key=lambda kv: kv[1].domain):
        block = effective.get(digest)
        if block is None:
            parent = inherited(candidate.domain)
            if parent is not None and RANK[parent] >= RANK[candidate.severity]:
                continue
        kind = _kind(block, candidate)
        if kind is None:
            continue
        proposals.append(Proposal(digest, candidate.domain, kind, _public(block),
                                  candidate.block(), candidate.provenance(),
                                  candidate.fingerprint))  # fmt: skip
    for digest, block in sorted(effective.items(), key=lambda kv: kv[1]["domain"]):
        if digest not in wanted and block["source"] == "subscriptions":
            # Its fingerprint names the block's version: a retraction dismissed comes back
            # once the block was applied again.
            stamp = str(block.get("updated_at", ""))
            proposals.append(Proposal(digest, block["domain"], "retract", _public(block), None,
                                      [], f"retract:{digest[:24]}:{stamp}"))  # fmt: skip
    return proposals


def _kind(block: dict[str, Any] | None, candidate: Candidate) -> str | None:
    if block is None:
        return "add"
    ours = block["source"] == "subscriptions"
    have, want = RANK[block["severity"]], RANK[candidate.severity]
    if want > have:
        return "raise"
    if want < have:
        return "lower" if ours else None
    if ours and any(bool(block.get(f)) != candidate.flags[f] for f in FLAGS):
        return "flags"
    return None


def _public(block: dict[str, Any] | None) -> dict[str, Any] | None:
    if block is None:
        return None
    return {k: block[k] for k in ("domain", "severity", *FLAGS, "source") if k in block}


def change_share(before: set[str], after: set[str]) -> float:
    """The share of a source's list a new fetch changes (added plus dropped, over the old
    size): the circuit breaker's measure."""
    if not before:
        return 0.0
    return len(before ^ after) / len(before)
