"""The effective blocklist in memory: which rule, if any, applies to a host.

A check normalizes the host and looks up the host and each of its parent domains (the most
specific rule wins): a handful of dictionary lookups, the same for ten rules or a hundred
thousand (``bench/blocklist.py``). Entries published obfuscated are looked up by the SHA-256
of each candidate name. Allow entries override blocks; in allowlist mode only allowed
domains are accepted."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from moderation.blocklists.model import digest_of
from moderation.domains import domain_suffixes, normalize_domain
from storage.blocklists import BlockRow


@dataclass(frozen=True)
class Rule:
    domain: str  # the rule's own domain (a parent of the host, or the host)
    severity: str
    reject_media: bool = False
    reject_reports: bool = False
    reject_follows: bool = False
    via: str = "domain"
    digest: str = ""  # "domain", "digest" (an obfuscated entry) or "allowlist"


class EffectiveList:
    def __init__(
        self, blocks: Iterable[BlockRow], allows: Iterable[str] = (), allowlist_mode: bool = False
    ) -> None:
        self._by_domain: dict[str, Rule] = {}
        self._by_digest: dict[str, Rule] = {}
        for row in blocks:
            rule = Rule(row.domain, row.severity, row.reject_media, row.reject_reports,
                        row.reject_follows, digest=row.digest)  # fmt: skip
            if "*" in row.domain:
                if row.digest:
                    self._by_digest[row.digest] = Rule(**{**rule.__dict__, "via": "digest"})
            else:
                self._by_domain[row.domain] = rule
        self._allows = frozenset(normalize_domain(a) for a in allows)
        self.allowlist_mode = allowlist_mode

    def __len__(self) -> int:
        return len(self._by_domain) + len(self._by_digest)

    def check(self, host: str) -> Rule | None:
        """The rule for ``host`` (None: nothing applies, the host is accepted)."""
        suffixes = domain_suffixes(host)
        if self._allows and not self._allows.isdisjoint(suffixes):
            return None
        if self.allowlist_mode:
            return Rule(suffixes[0] if suffixes else host, "suspend", via="allowlist")
        by_domain, by_digest = self._by_domain, self._by_digest
        for name in suffixes:
            rule = by_domain.get(name)
            if rule is None and by_digest:
                rule = by_digest.get(digest_of(name))
            if rule is not None:
                return rule
        return None
