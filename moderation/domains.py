"""Domain names as moderation compares them: normalized (lower case, IDNA/punycode, no
trailing dot, no port), with their parent domains (a rule for ``example.org`` covers
``a.example.org``; the most specific rule wins)."""

from __future__ import annotations

import functools


@functools.lru_cache(maxsize=4096)  # pure, and asked for every activity by several policies
def normalize_domain(domain: str) -> str:
    host = domain.strip().lower()
    if host.startswith("[") or host.count(":") > 1:  # IPv6 literal: keep as is
        return host
    host = host.rsplit(":", 1)[0] if ":" in host else host
    # Unicode full stops (U+3002, U+FF0E, U+FF61) are dots to IDNA and to resolvers: map them,
    # and strip the trailing dot last, so "bad.example" + U+3002 and "bad.example.:443" are
    # "bad.example" like every other spelling of it.
    host = host.translate(_DOTS)
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    return host.rstrip(".")


_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})


@functools.lru_cache(maxsize=4096)
def domain_suffixes(domain: str) -> tuple[str, ...]:
    """``a.b.example.org`` → (a.b.example.org, b.example.org, example.org, org)."""
    labels = normalize_domain(domain).split(".")
    return tuple(".".join(labels[i:]) for i in range(len(labels)))
