"""Body digests: ``Digest`` (RFC 3230, draft-cavage era) and ``Content-Digest`` (RFC 9530).

A signature covers headers, not the body; the body is bound to the signature only through
a covered digest header.  So a POST whose digest is absent, unsigned or wrong must be
refused (Mastodon: ``verify_body_digest!``).

* ``Digest: SHA-256=<base64>`` -- RFC 3230 instance-digest.  Algorithm names are
  case-insensitive (Mastodon sends ``SHA-256``, Fedify ``sha-256``), several may be listed
  comma-separated.
* ``Content-Digest: sha-256=:<base64>:`` -- RFC 9530, an RFC 8941 dictionary of byte
  sequences.  Keys are lowercase by the structured-field grammar, so ``SHA-256=:...:`` is
  malformed (Mastodon answers 400 "does not contain a valid RFC8941 dictionary").

Only SHA-256 and SHA-512 are accepted: RFC 9530 Section 5 marks md5/sha/unixsum as
insecure, and accepting them would let a forged body match.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum

from federation.signatures.structured import Item, StructuredFieldError, parse_dictionary

_HASHES = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}


class DigestStatus(StrEnum):
    OK = "ok"
    MISMATCH = "mismatch"
    MALFORMED = "malformed"
    UNSUPPORTED = "unsupported"  # well formed, but no SHA-256/SHA-512 entry to check


@dataclass(frozen=True)
class DigestCheck:
    status: DigestStatus
    detail: str

    @property
    def ok(self) -> bool:
        return self.status is DigestStatus.OK


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def digest_header(body: bytes, algorithm: str = "sha-256") -> str:
    """``Digest`` value as Mastodon sends it: ``SHA-256=<base64>``."""
    return f"{algorithm.upper()}={_b64(_HASHES[algorithm](body).digest())}"


def content_digest_header(body: bytes, algorithm: str = "sha-256") -> str:
    """``Content-Digest`` value (RFC 9530): ``sha-256=:<base64>:``."""
    return f"{algorithm}=:{_b64(_HASHES[algorithm](body).digest())}:"


def _compare(algorithm: str, given: bytes, body: bytes) -> DigestCheck:
    expected = _HASHES[algorithm](body).digest()
    # Constant time is not needed for public digests, but compare_digest is also exact.
    if hmac.compare_digest(given, expected):
        return DigestCheck(DigestStatus.OK, f"{algorithm} digest matches the body")
    return DigestCheck(
        DigestStatus.MISMATCH,
        f"{algorithm} digest does not match the body (computed {_b64(expected)})",
    )


def verify_digest_header(value: str, body: bytes) -> DigestCheck:
    """Check an RFC 3230 ``Digest`` header against ``body``.

    Every SHA-256/SHA-512 entry present must match; entries of other algorithms are ignored
    (RFC 3230 4.3.2 lets a sender list several), but at least one strong entry is required.
    """
    checked: list[str] = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, encoded = part.partition("=")
        if not sep or not name.strip():
            return DigestCheck(DigestStatus.MALFORMED, "Digest entry is not 'algorithm=value'")
        algorithm = name.strip().lower()
        if algorithm not in _HASHES:
            continue
        try:
            given = base64.b64decode(encoded.strip(), validate=True)
        except binascii.Error:
            return DigestCheck(DigestStatus.MALFORMED, f"Digest {algorithm} value is not base64")
        result = _compare(algorithm, given, body)
        if not result.ok:
            return result
        checked.append(algorithm)
    if not checked:
        return DigestCheck(DigestStatus.UNSUPPORTED, "Digest offers no SHA-256 or SHA-512 value")
    return DigestCheck(DigestStatus.OK, f"Digest ({', '.join(checked)}) matches the body")


def verify_content_digest(value: str, body: bytes) -> DigestCheck:
    """Check an RFC 9530 ``Content-Digest`` header against ``body``."""
    try:
        entries = parse_dictionary(value)
    except StructuredFieldError as exc:
        return DigestCheck(
            DigestStatus.MALFORMED, f"Content-Digest is not a valid RFC 8941 dictionary: {exc}"
        )
    checked: list[str] = []
    for algorithm, member in entries.items():
        if algorithm not in _HASHES:
            continue
        if not isinstance(member, Item) or not isinstance(member.value, bytes):
            return DigestCheck(
                DigestStatus.MALFORMED, f"Content-Digest {algorithm} is not a byte sequence"
            )
        result = _compare(algorithm, member.value, body)
        if not result.ok:
            return result
        checked.append(algorithm)
    if not checked:
        return DigestCheck(
            DigestStatus.UNSUPPORTED, "Content-Digest offers no sha-256 or sha-512 value"
        )
    return DigestCheck(DigestStatus.OK, f"Content-Digest ({', '.join(checked)}) matches the body")
