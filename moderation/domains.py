"""Domain blocks as the inbox sees them: is this sender's domain suspended, or silenced?

Blocks apply to subdomains (a rule for ``example.org`` covers ``a.example.org``); the most
specific rule wins. Domains are compared normalized: lower case, IDNA (punycode), no trailing
dot, no port.
"""

from __future__ import annotations

import functools

import asyncpg

from federation.cache import TTLCache
from storage import domain_blocks


@functools.lru_cache(maxsize=4096)  # pure, and asked for every activity by several policies
def normalize_domain(domain: str) -> str:
    host = domain.strip().rstrip(".").lower()
    if host.startswith("[") or host.count(":") > 1:  # IPv6 literal: keep as is
        return host
    host = host.rsplit(":", 1)[0] if ":" in host else host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


@functools.lru_cache(maxsize=4096)
def domain_suffixes(domain: str) -> tuple[str, ...]:
    labels = normalize_domain(domain).split(".")
    return tuple(".".join(labels[i:]) for i in range(len(labels)))


def parent_domains(domain: str) -> list[str]:
    """``a.b.example.org`` → [a.b.example.org, b.example.org, example.org, org]."""
    return list(domain_suffixes(domain))


# Every inbox POST asks; a block added anywhere takes effect within this many seconds.
DECISION_CACHE_SECONDS = 5.0


class DomainBlocklist:
    """The instance's domain blocks, with each decision cached for a few seconds."""

    def __init__(self, pool: asyncpg.Pool, cache_seconds: float = DECISION_CACHE_SECONDS) -> None:
        self._pool = pool
        # host → severity of the most specific rule ("" when none applies)
        self._decisions: TTLCache[str, str] = TTLCache(cache_seconds)

    async def severity(self, domain: str) -> str | None:
        host = normalize_domain(domain)
        decided = self._decisions.get(host)
        if decided is None:
            found = await domain_blocks.severity_for_any(self._pool, parent_domains(host))
            decided = self._decisions.put(host, found or "")
        return decided or None

    async def domain_blocked(self, domain: str) -> bool:
        return await self.severity(domain) == "suspend"

    def forget(self) -> None:
        """Drop cached decisions (after this process changed the blocklist)."""
        self._decisions.clear()
