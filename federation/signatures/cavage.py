"""draft-cavage-http-signatures-12 ("HTTP Signatures"), as the fediverse speaks it.

Parsing, signing-string construction, signing and the cryptographic check.  The policy
(which headers must be covered, time window, digest, key lookup) lives in
:mod:`federation.signatures.verify`.

Peer behaviour this follows (cited where it matters):

* ``algorithm`` absent means ``hs2019`` and ``headers`` absent means ``(created)`` for
  hs2019, else ``date`` (Mastodon ``SignedRequest::HttpSignature#signed_headers``;
  draft-10 Appendix C.1 "Default Test" signs only ``date``).
* ``hs2019`` with an RSA key is RSASSA-PKCS1-v1_5/SHA-256, as Mastodon verifies it, not the
  draft's RSASSA-PSS.  With an Ed25519 key it is Ed25519 (draft-12: algorithm from the key).
* ``(request-target)`` is ``lowercase(method) + " " + raw path-and-query``; Mastodon also
  accepts a signature over the path without the query (its "compatibility quirk" for
  senders that dropped it), see :func:`verify_cavage_signature`.
* Duplicate parameters make the signature unusable (draft-12 2.2 "Ambiguous Parameters":
  the signature MUST NOT be processed); unknown parameters are ignored.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

from federation.signatures import algorithms
from federation.signatures.digest import digest_header
from federation.signatures.keys import PrivateKey, PublicKey, load_private_key
from federation.signatures.types import SignedRequest, excerpt

HS2019 = "hs2019"
RSA_SHA256 = "rsa-sha256"
# Mastodon: "Unsupported signature algorithm (only rsa-sha256 and hs2019 are supported)".
SUPPORTED_ALGORITHMS = frozenset({RSA_SHA256, HS2019})
REQUEST_TARGET = "(request-target)"
CREATED = "(created)"
EXPIRES = "(expires)"

_PARAM_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_INTEGER = re.compile(r"[0-9]{1,15}")
_TIMESTAMP = re.compile(r"[0-9]{1,15}(\.[0-9]+)?")


class CavageParseError(ValueError):
    """The Signature header cannot be used (malformed, ambiguous or incomplete)."""


class MissingHeaderError(ValueError):
    """A covered header (or the value of a covered pseudo-header) is absent."""

    def __init__(self, name: str) -> None:
        super().__init__(f"covered header '{excerpt(name)}' is missing from the request")
        self.name = name


@dataclass(frozen=True)
class CavageSignature:
    key_id: str
    algorithm: str | None  # lowercased, as sent; None when the parameter is absent
    headers: tuple[str, ...]  # lowercased covered names, default applied
    signature: bytes
    created: int | None = None
    expires: int | None = None  # draft-12 allows a fraction; truncated (compared to seconds)
    headers_sent: bool = True  # False when the default list was applied
    raw_created: str | None = field(default=None, repr=False)  # as sent, for the signing string
    raw_expires: str | None = field(default=None, repr=False)

    @property
    def effective_algorithm(self) -> str:
        return self.algorithm or HS2019


def find_signature_header(req: SignedRequest) -> str | None:
    """The signature parameters from ``Signature`` or ``Authorization: Signature ...``."""
    value = req.header("signature")
    if value is not None:
        return value
    auth = req.header("authorization")
    if auth is not None and auth[:10].lower() == "signature ":
        return auth[10:]
    return None


_QUOTED = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)"', re.DOTALL)
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)


def _read_params(value: str) -> dict[str, str]:
    params: dict[str, str] = {}
    i, n = 0, len(value)
    while i < n:
        while i < n and value[i] in " \t,":
            i += 1
        if i >= n:
            break
        m = _PARAM_NAME.match(value, i)
        if m is None or m.end() >= n or value[m.end()] != "=":
            raise CavageParseError("Signature parameters must be name=value pairs")
        name, i = m.group(0).lower(), m.end() + 1
        if i < n and value[i] == '"':
            # One regex match instead of a Python loop over each character: the base64
            # signature is ~350 characters and this runs for every inbox POST.
            quoted = _QUOTED.match(value, i)
            if quoted is None:
                raise CavageParseError(f"unterminated quoted value for {name}")
            text, i = quoted.group(1), quoted.end()
            if "\\" in text:
                text = _ESCAPED.sub(r"\1", text)
        else:
            end = value.find(",", i)
            end = n if end < 0 else end
            text, i = value[i:end].strip(), end
        if name in params:
            raise CavageParseError(f"duplicate Signature parameter {name!r}")
        params[name] = text
    return params


@functools.lru_cache(maxsize=1024)  # the inbox parses each header twice (key id, then verify)
def parse_signature_header(value: str) -> CavageSignature:
    params = _read_params(value)
    key_id = params.get("keyid", "")
    signature = params.get("signature", "")
    if not key_id or not signature:
        raise CavageParseError("keyId and signature are required")
    algorithm = params["algorithm"].lower() if "algorithm" in params else None
    if "headers" in params:
        headers = tuple(params["headers"].lower().split())
        if not headers:
            # draft-12 2.1.6: a zero-length headers value would sign the empty string.
            raise CavageParseError("headers parameter is empty")
        headers_sent = True
    else:
        headers = (CREATED,) if (algorithm or HS2019) == HS2019 else ("date",)
        headers_sent = False
    try:
        sig_bytes = base64.b64decode("".join(signature.split()), validate=True)
    except binascii.Error:
        raise CavageParseError("signature is not valid base64") from None
    created = expires = None
    raw_created, raw_expires = params.get("created"), params.get("expires")
    if raw_created is not None:
        if not _INTEGER.fullmatch(raw_created):
            raise CavageParseError("created is not an integer")
        created = int(raw_created)
    if raw_expires is not None:
        if not _TIMESTAMP.fullmatch(raw_expires):
            raise CavageParseError("expires is not a timestamp")
        expires = int(raw_expires.split(".")[0])
    return CavageSignature(
        key_id=key_id,
        algorithm=algorithm,
        headers=headers,
        signature=sig_bytes,
        created=created,
        expires=expires,
        headers_sent=headers_sent,
        raw_created=raw_created,
        raw_expires=raw_expires,
    )


def build_signing_string(
    req: SignedRequest, sig: CavageSignature, *, include_query: bool = True
) -> str:
    """The draft-12 Section 2.3 signing string for ``req`` and the covered ``sig.headers``.

    Raises :class:`MissingHeaderError` when a covered header is absent (draft-12 2.3: "the
    implementation MUST produce an error").
    """
    lines: list[str] = []
    for name in sig.headers:
        if name == REQUEST_TARGET:
            target = req.raw_target if include_query else req.path
            value = f"{req.method.lower()} {target}"
        elif name == CREATED:
            if sig.raw_created is None:
                raise MissingHeaderError(CREATED)
            value = sig.raw_created
        elif name == EXPIRES:
            if sig.raw_expires is None:
                raise MissingHeaderError(EXPIRES)
            value = sig.raw_expires
        else:
            values = req.header_values(name)
            if not values:
                raise MissingHeaderError(name)
            value = ", ".join(values)
        # A line break inside a value would forge extra lines in the signing string.
        if "\n" in value or "\r" in value:
            raise CavageParseError(f"line break in the value of {excerpt(name)}")
        lines.append(f"{name}: {value}")
    return "\n".join(lines)


def verify_signing_string(sig: CavageSignature, key: PublicKey, signing_string: str) -> bool:
    """The cryptographic check alone.  Raises ``algorithms.UnknownAlgorithm``."""
    alg = sig.effective_algorithm
    if alg not in SUPPORTED_ALGORITHMS:
        raise algorithms.UnknownAlgorithm(alg)
    candidates = algorithms.algorithms_for_key(key)
    if alg == RSA_SHA256 or algorithms.RSA_V1_5_SHA256 in candidates:
        name = algorithms.RSA_V1_5_SHA256  # hs2019 + RSA: PKCS#1 v1.5 like Mastodon
    elif candidates == (algorithms.ED25519,):
        name = algorithms.ED25519
    else:
        return False
    return algorithms.verify(name, key, signing_string.encode("utf-8"), sig.signature)


def verify_cavage_signature(
    req: SignedRequest, sig: CavageSignature, key: PublicKey, *, query_quirk: bool = True
) -> bool:
    """Build the signing string from ``req`` and check it.

    With ``query_quirk`` a signature over the path *without* the query string is also
    accepted, as Mastodon does ("Current versions of Mastodon incorrectly omit the query
    string from the (request-target) pseudo-header", signature_verification.rb).
    """
    if verify_signing_string(sig, key, build_signing_string(req, sig)):
        return True
    if query_quirk and REQUEST_TARGET in sig.headers and req.query is not None:
        return verify_signing_string(sig, key, build_signing_string(req, sig, include_query=False))
    return False


def http_date(now: datetime) -> str:
    """IMF-fixdate (RFC 9110 5.6.7), e.g. ``Wed, 20 Dec 2023 10:00:00 GMT``."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return format_datetime(now.astimezone(UTC), usegmt=True)


def _host_for(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"cannot sign a request to {url!r}")
    host = parts.hostname
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    default = 443 if parts.scheme == "https" else 80
    if parts.port is not None and parts.port != default:
        host = f"{host}:{parts.port}"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return host, target


def _sign_with_key(
    method: str,
    url: str,
    headers: Mapping[str, str] | None,
    body: bytes | None,
    key_id: str,
    key: PrivateKey,
    now: datetime,
) -> dict[str, str]:
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("draft-cavage signing needs an RSA private key (rsa-sha256)")
    if '"' in key_id or "\\" in key_id:
        raise ValueError("keyId must not contain quotes or backslashes")
    given = {k.lower(): v for k, v in (headers or {}).items()}
    host, target = _host_for(url)
    out = {"Host": given.get("host") or host, "Date": given.get("date") or http_date(now)}
    covered = [REQUEST_TARGET, "host", "date"]
    # A body (even an empty one) is bound by a signed Digest: Mastodon refuses a POST
    # whose Digest is unsigned.  body=None means "no body" (a GET): no Digest.
    if body is not None:
        out["Digest"] = digest_header(body)
        covered.append("digest")
    req = SignedRequest(method, target, list(out.items()))
    unsigned = CavageSignature(key_id, RSA_SHA256, tuple(covered), b"")
    signing_string = build_signing_string(req, unsigned)
    signature = algorithms.sign(algorithms.RSA_V1_5_SHA256, key, signing_string.encode("utf-8"))
    out["Signature"] = (
        f'keyId="{key_id}",algorithm="{RSA_SHA256}",headers="{" ".join(covered)}",'
        f'signature="{base64.b64encode(signature).decode("ascii")}"'
    )
    return out


def sign_request(
    method: str,
    url: str,
    headers: Mapping[str, str] | None,
    body: bytes | None,
    key_id: str,
    private_key_pem: str,
    now: datetime,
) -> dict[str, str]:
    """Headers to add so Mastodon accepts the request: Host, Date, [Digest], Signature.

    Covers ``(request-target) host date`` plus ``digest`` when a body is given (``b""``
    counts: an empty POST still gets a Digest), with ``algorithm="rsa-sha256"``.  ``Host``
    keeps a non-default port.  When ``headers`` already carries ``Host`` or ``Date`` those
    exact values are signed and returned, so the signature matches what the client sends.
    """
    return _sign_with_key(
        method, url, headers, body, key_id, load_private_key(private_key_pem), now
    )


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class CavageSigner:
    """Adapter for ``federation.fetch.Signer``: signs every outgoing request."""

    key_id: str
    private_key_pem: str = field(repr=False)
    clock: Callable[[], datetime] = _utcnow
    _key: PrivateKey | None = field(default=None, init=False, repr=False)

    def sign(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> dict[str, str]:
        return _sign_with_key(method, url, headers, body, self.key_id, self.key, self.clock())

    @property
    def key(self) -> PrivateKey:
        """The loaded key (our own actor's: stored by us, loaded without re-validation)."""
        if self._key is None:
            self._key = load_private_key(self.private_key_pem, own=True)
        return self._key
