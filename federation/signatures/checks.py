"""The non-cryptographic checks shared by both schemes: time window and body digest.

They raise :class:`Rejection` carrying the :class:`FailureReason`; :mod:`.verify` turns it
into a :class:`VerifyResult`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from federation.signatures.digest import DigestStatus, verify_content_digest, verify_digest_header
from federation.signatures.types import FailureReason, SignedRequest

# Mastodon (signed_request.rb): EXPIRATION_WINDOW_LIMIT = 12.hours, CLOCK_SKEW_MARGIN = 1.hour.
MAX_AGE = timedelta(hours=12)
MAX_FUTURE = timedelta(hours=1)
R = FailureReason


class Rejection(Exception):
    """A refusal with its reason; caught by :func:`~.verify.verify_request`."""

    def __init__(self, reason: FailureReason, detail: str, owner: str | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.owner = owner


def parse_http_date(value: str) -> datetime:
    """An HTTP-date (IMF-fixdate or the obsolete forms RFC 9110 5.6.7 still accepts)."""
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        raise ValueError(f"not an HTTP date: {value[:64]!r}") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def check_window(
    created: datetime | None,
    expires: datetime | None,
    now: datetime,
    max_age: timedelta,
    max_future: timedelta,
) -> None:
    """``created`` (the Date header or the ``created`` parameter) must lie within
    ``[now - max_age, now + max_future]``; an ``expires`` in the past fails.

    PeerHaven's rule is 12 h back / 1 h ahead.  Mastodon is stricter without ``expires``: it
    lets a signature live ``created + 5 min`` plus its 1 h ``CLOCK_SKEW_MARGIN``, capped at
    ``created + EXPIRATION_WINDOW_LIMIT`` (12 h) when ``expires`` is given.
    """
    if created is not None:
        if created > now + max_future:
            raise Rejection(R.FUTURE, "signature date is too far in the future")
        if created < now - max_age:
            raise Rejection(R.EXPIRED, "signature date is outside the acceptable time window")
    if expires is not None and expires < now:
        raise Rejection(R.EXPIRED, "signature has expired")


def from_unix(value: int | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise Rejection(R.MALFORMED, "signature timestamp out of range") from None


def check_digest(req: SignedRequest, covered: Callable[[str], bool], needed: bool) -> None:
    """Bind the body to the signature through a covered ``Digest``/``Content-Digest``.

    ``needed`` (a POST or a body): a digest must be present and covered.  Any covered digest
    is checked even when not needed (Mastodon ``verify_body_digest!`` does the same), and
    one unsigned is ignored: an attacker could have added it.
    """
    present = [h for h in ("digest", "content-digest") if req.header_values(h)]
    signed = [h for h in present if covered(h)]
    if needed and not present:
        raise Rejection(
            R.DIGEST_MISSING,
            "a POST or a request with a body needs a Digest or Content-Digest header",
        )
    if needed and not signed:
        raise Rejection(R.DIGEST_NOT_SIGNED, f"the signature does not cover {present[0]}")
    verified = 0
    for name in signed:
        value = ", ".join(req.header_values(name))
        check = (verify_digest_header if name == "digest" else verify_content_digest)(
            value, req.body
        )
        if check.status is DigestStatus.MALFORMED:
            raise Rejection(R.MALFORMED, check.detail)
        if check.status is DigestStatus.MISMATCH:
            raise Rejection(R.DIGEST_MISMATCH, check.detail)
        verified += check.ok
    if needed and not verified:
        raise Rejection(R.DIGEST_MISSING, "no SHA-256 or SHA-512 body digest to check")
