"""Value types shared by the HTTP-signature modules.

Everything here is a frozen dataclass or an enum: verification is a pure function of a
:class:`SignedRequest`, an injected clock and an injected key resolver, and its answer is a
:class:`VerifyResult` that the inbox turns into a 401 (``detail`` is safe to show).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

_UNSAFE = re.compile(r"[^A-Za-z0-9@;=:_./()\-]")


def excerpt(text: str, limit: int = 64) -> str:
    """Peer-supplied text made safe to echo in a 401 body: short, no markup, no controls."""
    return _UNSAFE.sub("?", text[:limit]) + ("..." if len(text) > limit else "")


class FailureReason(StrEnum):
    NO_SIGNATURE = "no_signature"
    MALFORMED = "malformed"
    UNKNOWN_ALGORITHM = "unknown_algorithm"
    KEY_FETCH_FAILED = "key_fetch_failed"
    DIGEST_MISSING = "digest_missing"
    DIGEST_MISMATCH = "digest_mismatch"
    DIGEST_NOT_SIGNED = "digest_not_signed"
    EXPIRED = "expired"
    FUTURE = "future"
    BAD_SIGNATURE = "bad_signature"
    OWNER_MISMATCH = "owner_mismatch"
    MISSING_HEADER = "missing_header"
    # The signature is well formed but covers too little (e.g. no (request-target) / @method),
    # so it could be replayed against another URL or method.  Mastodon's
    # verify_signature_strength! rejects the same requests.
    INSUFFICIENT_COVERAGE = "insufficient_coverage"


class Scheme(StrEnum):
    CAVAGE = "cavage"  # draft-cavage-http-signatures-12 (what the fediverse mostly speaks)
    RFC9421 = "rfc9421"  # RFC 9421 HTTP Message Signatures


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    reason: FailureReason | None
    # Human readable and safe for a 401 body: never key material, never the signing string.
    detail: str
    key_id: str | None = None
    key_owner: str | None = None
    scheme: str | None = None

    @classmethod
    def success(cls, *, key_id: str, key_owner: str | None, scheme: Scheme) -> VerifyResult:
        return cls(True, None, "signature verified", key_id, key_owner, str(scheme))

    @classmethod
    def failure(
        cls,
        reason: FailureReason,
        detail: str,
        *,
        key_id: str | None = None,
        key_owner: str | None = None,
        scheme: Scheme | None = None,
    ) -> VerifyResult:
        return cls(False, reason, detail, key_id, key_owner, str(scheme) if scheme else None)


@dataclass(frozen=True)
class PublicKeyInfo:
    """A key as published by its owner (``publicKey`` of an actor document)."""

    key_id: str
    owner: str  # the actor that claims the key (publicKey.owner)
    public_key_pem: str


class KeyResolver(Protocol):
    """Injected key lookup: verification itself never does I/O.

    ``refresh=True`` asks the resolver to bypass its cache and re-fetch (keys rotate).
    Returns ``None`` when the key cannot be obtained.
    """

    async def __call__(self, key_id: str, refresh: bool) -> PublicKeyInfo | None: ...


def normalize_headers(
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
) -> tuple[tuple[str, str], ...]:
    """Header field lines as an immutable tuple of ``(name, value)`` pairs, order kept."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return tuple((str(name), str(value)) for name, value in pairs)


@dataclass(frozen=True)
class SignedRequest:
    """An incoming request exactly as received.

    ``raw_target`` is the request-target of the request line, RAW: path plus ``?query``
    exactly as sent, never percent-decoded.  Frameworks hand out a decoded path
    (Starlette's ``scope["path"]``); building ``(request-target)`` from it breaks every
    signature on a path with ``%2F`` or ``%20`` and lets ``%0A`` inject lines into the
    signing string.  Use ``scope["raw_path"]`` plus ``?`` plus ``scope["query_string"]``.

    ``headers`` is the ordered list of ``(name, value)`` field lines as received (a
    ``Mapping`` is accepted and converted).  A list, not a dict, because the same field may
    appear on several lines and both schemes join them in order with ``", "``
    (draft-cavage-12 2.3, RFC 9421 2.1).  Look-ups are case-insensitive.

    ``scheme`` is the scheme the *client* used (after any TLS-terminating proxy); it only
    matters for RFC 9421 ``@target-uri`` / ``@scheme``.
    """

    method: str
    raw_target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""
    scheme: str = "https"

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", normalize_headers(self.headers))
        object.__setattr__(self, "body", bytes(self.body or b""))

    def header_values(self, name: str) -> list[str]:
        """All field lines of ``name`` in order, each stripped of surrounding whitespace."""
        lowered = name.lower()
        return [v.strip(" \t") for n, v in self.headers if n.lower() == lowered]

    def header(self, name: str) -> str | None:
        """The combined field value (lines joined with ``", "``), or ``None`` if absent."""
        values = self.header_values(name)
        return ", ".join(values) if values else None

    def has_header(self, name: str) -> bool:
        lowered = name.lower()
        return any(n.lower() == lowered for n, _ in self.headers)

    @property
    def path(self) -> str:
        """The raw path (before ``?``), still percent-encoded."""
        return self.raw_target.split("?", 1)[0]

    @property
    def query(self) -> str | None:
        """The raw query string without ``?``; ``None`` when the target has no ``?``."""
        _, sep, query = self.raw_target.partition("?")
        return query if sep else None
