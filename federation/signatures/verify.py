"""The inbox's signature policy: :func:`verify_request`.

Pure and clock-injected: the caller passes ``now`` and a :class:`KeyResolver`; nothing here
reads the system clock or does I/O.  The rules follow Mastodon
(``app/models/signed_request.rb``, Mastodon 4.4/4.5) so that what Mastodon accepts we
accept and what it refuses we refuse, in the same order of checks (time window, coverage,
body digest, then key and signature):

* the scheme is RFC 9421 when ``Signature-Input`` is present, else draft-cavage;
* a POST, or any request with a body, must carry ``Digest`` or ``Content-Digest``
  matching the body, and the signature must cover it (else ``digest_not_signed``);
* cavage must cover ``(request-target)``, ``host`` and ``date`` or ``(created)``;
  RFC 9421 must cover ``@method`` and the target (``@target-uri``, or ``@request-target`` /
  ``@path`` + ``@query`` with ``@authority``/``host``) and carry ``created``;
* the signature time may be at most 12 hours old and 1 hour in the future (the values of
  Mastodon's ``EXPIRATION_WINDOW_LIMIT`` / ``CLOCK_SKEW_MARGIN``; see
  :func:`.checks.check_window`); a past ``expires`` fails;
* the key is resolved once, and on a failed check re-resolved ONCE with ``refresh=True``
  (keys rotate; Mastodon ``actor_refresh_key!``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from federation.signatures import algorithms
from federation.signatures.cavage import (
    CREATED,
    EXPIRES,
    HS2019,
    REQUEST_TARGET,
    SUPPORTED_ALGORITHMS,
    CavageParseError,
    MissingHeaderError,
    build_signing_string,
    find_signature_header,
    parse_signature_header,
    verify_cavage_signature,
)
from federation.signatures.checks import (
    MAX_AGE,
    MAX_FUTURE,
    Rejection,
    check_digest,
    check_window,
    from_unix,
    parse_http_date,
)
from federation.signatures.keys import KeyLoadError, PublicKey, load_public_key
from federation.signatures.rfc9421 import (
    MessageSignature,
    MissingComponentError,
    Rfc9421Error,
    signature_base,
    signatures_in,
    verify_message_signature,
)
from federation.signatures.types import (
    FailureReason,
    KeyResolver,
    PublicKeyInfo,
    Scheme,
    SignedRequest,
    VerifyResult,
)

R = FailureReason


async def _check_key(
    key_id: str,
    resolve_key: KeyResolver,
    check: Callable[[PublicKey], bool],
    expected_actor: str | None,
) -> PublicKeyInfo:
    """Resolve, verify, and on failure refresh the key exactly once and verify again."""
    info = await resolve_key(key_id, refresh=False)
    if info is None:
        raise Rejection(R.KEY_FETCH_FAILED, "the signing key could not be fetched")

    def attempt(candidate: PublicKeyInfo) -> bool | None:  # None: unusable key material
        try:
            key = load_public_key(candidate.public_key_pem)
        except KeyLoadError:
            return None
        return check(key)

    outcome = attempt(info)
    if not outcome:
        fresh = await resolve_key(key_id, refresh=True)
        if fresh is not None and fresh != info:
            info, outcome = fresh, attempt(fresh)
    if outcome is None:
        raise Rejection(R.KEY_FETCH_FAILED, "the published key cannot be loaded", info.owner)
    if not outcome:
        raise Rejection(R.BAD_SIGNATURE, "the signature does not verify", info.owner)
    if expected_actor is not None and info.owner != expected_actor:
        raise Rejection(
            R.OWNER_MISMATCH, "the signing key does not belong to the expected actor", info.owner
        )
    return info


async def _verify_cavage(
    req: SignedRequest,
    value: str,
    resolve_key: KeyResolver,
    now: datetime,
    needed: bool,
    expected_actor: str | None,
    max_age: timedelta,
    max_future: timedelta,
) -> PublicKeyInfo:
    try:
        sig = parse_signature_header(value)
    except CavageParseError as exc:
        raise Rejection(R.MALFORMED, str(exc)) from None
    covered = sig.headers
    if sig.effective_algorithm not in SUPPORTED_ALGORITHMS:
        raise Rejection(R.UNKNOWN_ALGORITHM, "only rsa-sha256 and hs2019 are supported")
    if (CREATED in covered or EXPIRES in covered) and sig.effective_algorithm != HS2019:
        # Mastodon: "Invalid pseudo-header (created) for rsa-sha256"; draft-12 2.3 agrees.
        raise Rejection(R.MALFORMED, "(created)/(expires) are only valid with hs2019")
    created: datetime | None = None
    if CREATED in covered:
        if sig.created is None:
            raise Rejection(R.MISSING_HEADER, "(created) is covered but created is missing")
        created = from_unix(sig.created)
    if "date" in covered:
        date = req.header("date")
        if date is None:
            raise Rejection(R.MISSING_HEADER, "date is covered but the Date header is missing")
        try:
            dated = parse_http_date(date)
        except ValueError:
            raise Rejection(R.MALFORMED, "invalid Date header") from None
        check_window(dated, None, now, max_age, max_future)
    check_window(created, from_unix(sig.expires), now, max_age, max_future)
    for required in (REQUEST_TARGET, "host"):
        if required not in covered:
            raise Rejection(R.INSUFFICIENT_COVERAGE, f"the signature must cover {required}")
    if "date" not in covered and CREATED not in covered:
        raise Rejection(R.INSUFFICIENT_COVERAGE, "the signature must cover date or (created)")
    try:
        build_signing_string(req, sig)
    except MissingHeaderError as exc:
        raise Rejection(R.MISSING_HEADER, str(exc)) from None
    except CavageParseError as exc:
        raise Rejection(R.MALFORMED, str(exc)) from None
    check_digest(req, lambda h: h in covered, needed)
    return await _check_key(
        sig.key_id,
        resolve_key,
        lambda key: verify_cavage_signature(req, sig, key),
        expected_actor,
    )


def _covers_target(sig: MessageSignature) -> bool:
    if sig.covers("@target-uri"):
        return True
    has_target = sig.covers("@request-target") or (sig.covers("@path") and sig.covers("@query"))
    return has_target and (sig.covers("@authority") or sig.covers("host"))


def _select(req: SignedRequest, label: str | None) -> MessageSignature:
    try:
        signatures = signatures_in(req)
    except Rfc9421Error as exc:
        raise Rejection(R.MALFORMED, str(exc)) from None
    # RFC 9421 allows several signatures (4.3); without a label we check the first one.
    for sig in signatures:
        if label is None or sig.label == label:
            return sig
    raise Rejection(R.MALFORMED, "Signature-Input has no matching Signature")


async def _verify_rfc9421(
    req: SignedRequest,
    label: str | None,
    resolve_key: KeyResolver,
    now: datetime,
    needed: bool,
    expected_actor: str | None,
    max_age: timedelta,
    max_future: timedelta,
) -> PublicKeyInfo:
    sig = _select(req, label)
    key_id = sig.key_id
    if not key_id:
        raise Rejection(R.MALFORMED, "keyid is required")
    if sig.created is None:  # Mastodon: "requires the (created) parameter to be signed"
        raise Rejection(R.MALFORMED, "created is required")
    if sig.alg is not None and sig.alg not in algorithms.PUBLIC_KEY_ALGORITHMS:
        raise Rejection(R.UNKNOWN_ALGORITHM, "unsupported signature algorithm")
    check_window(from_unix(sig.created), from_unix(sig.expires), now, max_age, max_future)
    if not sig.covers("@method") or not _covers_target(sig):
        raise Rejection(R.INSUFFICIENT_COVERAGE, "the signature must cover @method and @target-uri")
    try:
        signature_base(sig.inner, req)
    except MissingComponentError as exc:
        raise Rejection(R.MISSING_HEADER, str(exc)) from None
    except Rfc9421Error as exc:
        raise Rejection(R.MALFORMED, str(exc)) from None
    check_digest(req, sig.covers, needed)
    return await _check_key(
        key_id,
        resolve_key,
        lambda key: verify_message_signature(sig, req, key),
        expected_actor,
    )


async def verify_request(
    req: SignedRequest,
    *,
    resolve_key: KeyResolver,
    now: datetime,
    require_digest: bool | None = None,
    expected_actor: str | None = None,
    label: str | None = None,
    max_age: timedelta = MAX_AGE,
    max_future: timedelta = MAX_FUTURE,
) -> VerifyResult:
    """Verify the HTTP signature of an incoming request.

    ``require_digest``: ``None`` means "when the method is POST or there is a body".
    ``expected_actor``: when given, the key's owner must be this actor (``owner_mismatch``).
    ``label``: for RFC 9421 requests with several signatures, which one to check.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    needed = (
        require_digest
        if require_digest is not None
        else req.method.upper() == "POST" or len(req.body) > 0
    )
    if req.has_header("signature-input"):
        scheme = Scheme.RFC9421
        key_id = _rfc9421_key_id(req, label)
        run = _verify_rfc9421(
            req, label, resolve_key, now, needed, expected_actor, max_age, max_future
        )
    else:
        value = find_signature_header(req)
        if value is None:
            return VerifyResult.failure(R.NO_SIGNATURE, "the request is not signed")
        scheme = Scheme.CAVAGE
        key_id = _cavage_key_id(value)
        run = _verify_cavage(
            req, value, resolve_key, now, needed, expected_actor, max_age, max_future
        )
    try:
        info = await run
    except Rejection as rej:
        return VerifyResult.failure(
            rej.reason, rej.detail, key_id=key_id, key_owner=rej.owner, scheme=scheme
        )
    assert key_id is not None  # a verified signature always named its key
    return VerifyResult.success(key_id=key_id, key_owner=info.owner, scheme=scheme)


def _cavage_key_id(value: str) -> str | None:
    try:
        return parse_signature_header(value).key_id
    except CavageParseError:
        return None


def _rfc9421_key_id(req: SignedRequest, label: str | None) -> str | None:
    try:
        return _select(req, label).key_id
    except Rejection:
        return None
