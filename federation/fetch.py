"""The one outgoing-HTTP path of the server.

All fetches (actor/object dereferencing) and deliveries (inbox POSTs) go through a
single :class:`Fetcher`, which owns one aiohttp ``ClientSession``.  Centralising it
means every request gets the same SSRF guard (:mod:`federation.netguard`), the same
limits (timeouts, body cap, redirect cap) and the same HTTP signing, and there is
exactly one connection pool to reuse keep-alive connections per host.

Redirects are followed here, not by aiohttp, so that every hop is re-validated
(scheme, literal host, resolved addresses) and re-signed: a signature covers the
request target and host, so a signature for hop 1 is wrong for hop 2.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any, Protocol

import aiohttp
from aiohttp.abc import AbstractResolver
from multidict import CIMultiDict
from yarl import URL

from federation.netguard import (
    AddressPredicate,
    AddressRefusedError,
    GuardedResolver,
    is_public_address,
    parse_ip_literal,
)

AP_ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
# Only ActivityPub media types are accepted as objects.  Plain application/json is
# refused on purpose: user uploads are commonly served as application/json, and
# accepting them would let an attacker host a forged "actor" on a victim instance.
AP_CONTENT_TYPES = frozenset({"application/activity+json", "application/ld+json"})

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# 307/308 promise the method and body are kept; 301/302/303 would turn a POST into
# a GET (silently dropping a delivery), so POSTs only follow these two.
_BODY_PRESERVING_REDIRECTS = frozenset({307, 308})
_CHUNK = 64 * 1024
_CHECKED_URLS = 10_000


class FetchErrorReason(StrEnum):
    BAD_URL = "bad_url"
    SCHEME_NOT_ALLOWED = "scheme_not_allowed"
    PRIVATE_ADDRESS = "private_address"
    DNS_FAILED = "dns_failed"
    CONNECT_FAILED = "connect_failed"
    TIMEOUT = "timeout"
    TOO_LARGE = "too_large"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    HTTP_STATUS = "http_status"
    BAD_JSON = "bad_json"
    BAD_CONTENT_TYPE = "bad_content_type"


@dataclass(eq=False)
class FetchError(Exception):
    """Why an outgoing request failed.

    ``message`` is safe to log and to show to operators: it never contains
    response bodies, resolved addresses or raw exception text.
    """

    reason: FetchErrorReason
    message: str
    url: str = ""
    status: int | None = None
    # Seconds the peer asked us to wait (Retry-After on a 429/503), when it said so.
    retry_after: float | None = None

    def __post_init__(self) -> None:
        super().__init__(self.reason, self.message)

    def __str__(self) -> str:
        status = f" (HTTP {self.status})" if self.status is not None else ""
        return f"{self.reason}: {self.message}{status}"


@dataclass(frozen=True)
class FetchResult:
    """A successful (2xx) response.  ``url`` is the final URL after redirects:
    callers must check object ids against it, not against the URL they asked for."""

    url: str
    status: int
    content_type: str
    body: bytes
    data: Any = None  # parsed JSON object for get_json, None for post
    redirects: int = 0
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FetchPolicy:
    allow_private_addresses: bool = False
    allow_http: bool = False  # https only in production; tests and dev allow http
    connect_timeout: float = 5.0
    total_timeout: float = 15.0  # whole operation, all redirect hops included
    max_body: int = 1024 * 1024
    max_redirects: int = 3
    user_agent: str = "PeerHaven/0.1"
    limit: int = 100  # connections in the pool, all hosts
    limit_per_host: int = 8  # keeps one slow peer from eating the pool
    keepalive_timeout: float = 30.0

    def __post_init__(self) -> None:
        if min(self.connect_timeout, self.total_timeout) <= 0:
            raise ValueError("timeouts must be positive")
        if self.max_body <= 0 or self.max_redirects < 0:
            raise ValueError("max_body must be positive and max_redirects >= 0")


@dataclass(frozen=True)
class DocumentRequest:
    """A plain document (a published blocklist): unsigned, any content type, conditional
    headers (``If-None-Match``, ``If-Modified-Since``) with 304 returned as a result, and its
    own size cap (lists of tens of thousands of domains are larger than activities)."""

    headers: Mapping[str, str] = field(default_factory=dict)
    max_body: int = 32 * 1024 * 1024


class Signer(Protocol):
    """Signs one request (HTTP signatures); returns the headers to add."""

    def sign(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> dict[str, str]: ...


def _allow_everything(_ip: object) -> bool:
    return True


class Fetcher:
    """Owner of the server's single outgoing ``ClientSession``.

    Create it at startup (``async with Fetcher(...)`` or call :meth:`close` at
    shutdown).  The session is created lazily on first use, inside the running
    loop.  ``resolver`` is the upstream DNS resolver (default: aiohttp's);
    ``is_allowed_address`` overrides the address policy (default: public addresses
    only, or everything when ``allow_private_addresses`` is set).
    """

    def __init__(
        self,
        settings: FetchPolicy,
        signer: Signer | None = None,
        *,
        resolver: AbstractResolver | None = None,
        is_allowed_address: AddressPredicate | None = None,
        sign_executor: Executor | None = None,
    ) -> None:
        self.policy = settings
        self._signer = signer
        # RSA signing releases the GIL: in a thread pool, every core signs (delivery fan-out).
        self._sign_executor = sign_executor
        if is_allowed_address is not None:
            self._is_allowed: AddressPredicate = is_allowed_address
        elif settings.allow_private_addresses:
            self._is_allowed = _allow_everything
        else:
            self._is_allowed = is_public_address
        self._upstream_resolver = resolver
        self._session: aiohttp.ClientSession | None = None
        # Only successful checks are kept: a refused URL raises again every time.
        self._checked: dict[str, URL] = {}

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            p = self.policy
            connector = aiohttp.TCPConnector(
                resolver=GuardedResolver(self._is_allowed, self._upstream_resolver),
                limit=p.limit,
                limit_per_host=p.limit_per_host,
                keepalive_timeout=p.keepalive_timeout,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(
                    total=p.total_timeout,
                    connect=p.connect_timeout,
                    sock_connect=p.connect_timeout,
                ),
                # A proxy from the environment would resolve names itself and
                # bypass the address guard; cookies must not travel between peers.
                trust_env=False,
                cookie_jar=aiohttp.DummyCookieJar(),
                headers={"User-Agent": p.user_agent},
            )
        return self._session

    # -- public API ---------------------------------------------------------

    async def get_json(self, url: str) -> FetchResult:
        """Signed GET of an ActivityPub object; ``data`` is the parsed JSON object."""
        return await self._request("GET", url, None, None, expect_activity_json=True)

    async def get_plain_json(self, url: str) -> FetchResult:
        """GET of a JSON document that is not ActivityPub (NodeInfo): any JSON content type,
        same guards and limits; ``data`` is the parsed JSON object. Never trusted as an
        ActivityPub object (``get_json`` keeps refusing plain application/json)."""
        return await self._request(
            "GET", url, None, None, expect_activity_json=False, plain_json=True
        )

    async def get_document(
        self, url: str, *, headers: Mapping[str, str] | None = None, max_body: int | None = None
    ) -> FetchResult:
        """Unsigned GET of a plain document with the same guards (SSRF, redirects, time);
        ``status`` 304 when a conditional request found it unchanged (``body`` empty)."""
        request = DocumentRequest(dict(headers or {}), max_body or DocumentRequest.max_body)
        return await self._request(
            "GET", url, None, None, expect_activity_json=False, document=request
        )

    async def post(
        self, url: str, body: bytes, content_type: str, *, signer: Signer | None = None
    ) -> FetchResult:
        """Signed POST (delivery to an inbox).  Any 2xx is success.  ``signer`` signs as the
        sending actor (a group delivers as itself); default: the fetcher's own signer."""
        return await self._request(
            "POST", url, body, content_type, expect_activity_json=False, signer=signer
        )

    # -- internals ----------------------------------------------------------

    def check_url(self, url: str | URL) -> URL:
        """``_check_url``, remembered per URL string (a fan-out posts to the same inboxes
        again and again; parsing and classifying each time showed in profiles)."""
        if isinstance(url, str):
            checked = self._checked.get(url)
            if checked is None:
                checked = self._check_url(url)
                if len(self._checked) >= _CHECKED_URLS:
                    self._checked.clear()
                self._checked[url] = checked
            return checked
        return self._check_url(url)

    def _check_url(self, url: str | URL) -> URL:
        """Validate one hop's URL before anything touches the network.

        Literal IP hosts are checked here because aiohttp never passes them to the
        resolver; DNS names are checked by the GuardedResolver at connect time.
        """
        try:
            parsed = url if isinstance(url, URL) else URL(url)
        except (ValueError, TypeError):
            raise FetchError(FetchErrorReason.BAD_URL, "unparseable URL", str(url)[:200]) from None
        raw = _loggable(parsed)
        scheme = parsed.scheme.lower()
        allowed = {"https", "http"} if self.policy.allow_http else {"https"}
        if not scheme:
            raise FetchError(FetchErrorReason.BAD_URL, "URL is not absolute", raw)
        if scheme not in allowed:
            raise FetchError(
                FetchErrorReason.SCHEME_NOT_ALLOWED, f"scheme {scheme[:20]!r} not allowed", raw
            )
        host = parsed.raw_host
        if not host or parsed.port is None:
            raise FetchError(FetchErrorReason.BAD_URL, "URL has no host", raw)
        # Credentials in URLs are a classic parser-confusion SSRF trick and would
        # be sent to whoever the URL names; peers never need them.
        if parsed.raw_user is not None or parsed.raw_password is not None:
            raise FetchError(FetchErrorReason.BAD_URL, "URL contains credentials", raw)
        try:
            literal = parse_ip_literal(host)
        except ValueError:
            raise FetchError(FetchErrorReason.BAD_URL, "malformed numeric host", raw) from None
        if literal is not None and not self._is_allowed(literal):
            raise FetchError(
                FetchErrorReason.PRIVATE_ADDRESS, "address not allowed for outgoing requests", raw
            )
        return parsed.with_fragment(None)

    async def _headers(
        self,
        method: str,
        url: URL,
        body: bytes | None,
        content_type: str | None,
        signer: Signer | None,
    ) -> CIMultiDict[str]:
        base: dict[str, str] = {
            # Explicit so the signer signs exactly the Host value aiohttp sends.
            "Host": url.host_port_subcomponent or url.raw_host or "",
            "User-Agent": self.policy.user_agent,
        }
        if method == "GET":
            base["Accept"] = AP_ACCEPT
        if content_type is not None:
            base["Content-Type"] = content_type
        headers = CIMultiDict(base)
        if signer is not None:
            if self._sign_executor is not None:
                signed = await asyncio.get_running_loop().run_in_executor(
                    self._sign_executor, signer.sign, method, str(url), dict(base), body
                )
            else:
                signed = signer.sign(method, str(url), dict(base), body)
            for name, value in signed.items():
                headers[name] = value  # case-insensitive replace, never duplicate
        return headers

    async def _request(
        self,
        method: str,
        url: str,
        body: bytes | None,
        content_type: str | None,
        *,
        expect_activity_json: bool,
        signer: Signer | None = None,
        plain_json: bool = False,
        document: DocumentRequest | None = None,
    ) -> FetchResult:
        current = self.check_url(url)
        signer = None if document is not None else (signer or self._signer)
        try:
            # One deadline for the whole operation: per-request timeouts alone
            # would let a redirect chain take max_redirects+1 times as long.
            async with asyncio.timeout(self.policy.total_timeout):
                return await self._follow(
                    method, current, body, content_type, expect_activity_json, signer,
                    plain_json, document,
                )  # fmt: skip
        except TimeoutError:
            raise FetchError(FetchErrorReason.TIMEOUT, "request timed out", str(current)) from None

    async def _follow(
        self,
        method: str,
        current: URL,
        body: bytes | None,
        content_type: str | None,
        expect_activity_json: bool,
        signer: Signer | None,
        plain_json: bool = False,
        document: DocumentRequest | None = None,
    ) -> FetchResult:
        session = self._get_session()
        redirects = 0
        while True:
            headers = await self._headers(method, current, body, content_type, signer)
            if plain_json:
                headers["Accept"] = "application/json"
            if document is not None:
                headers["Accept"] = "*/*"
                headers.update(document.headers)
            try:
                async with session.request(
                    method, current, headers=headers, data=body, allow_redirects=False
                ) as resp:
                    if resp.status in _REDIRECTS:
                        current = self._next_hop(method, current, resp, redirects)
                        redirects += 1
                        continue
                    return await self._finish(
                        resp, current, redirects, expect_activity_json, plain_json, document
                    )
            except FetchError:
                raise
            except TimeoutError:
                raise FetchError(
                    FetchErrorReason.TIMEOUT, "request timed out", str(current)
                ) from None
            except aiohttp.ClientConnectorDNSError as exc:
                if isinstance(exc.os_error, AddressRefusedError):
                    raise FetchError(
                        FetchErrorReason.PRIVATE_ADDRESS,
                        "host resolves only to addresses not allowed for outgoing requests",
                        str(current),
                    ) from None
                raise FetchError(
                    FetchErrorReason.DNS_FAILED, "host name could not be resolved", str(current)
                ) from None
            except aiohttp.InvalidURL:
                raise FetchError(FetchErrorReason.BAD_URL, "invalid URL", str(current)) from None
            except (aiohttp.ClientError, OSError) as exc:
                # Connection refused, TLS failure, reset, malformed response ...
                raise FetchError(
                    FetchErrorReason.CONNECT_FAILED,
                    f"connection failed ({type(exc).__name__})",
                    str(current),
                ) from None

    def _next_hop(
        self, method: str, current: URL, resp: aiohttp.ClientResponse, redirects: int
    ) -> URL:
        """Validate a redirect before following it (the target is attacker-chosen)."""
        if method != "GET" and resp.status not in _BODY_PRESERVING_REDIRECTS:
            raise FetchError(
                FetchErrorReason.HTTP_STATUS,
                "redirect would drop the request body",
                str(current),
                resp.status,
            )
        if redirects >= self.policy.max_redirects:
            raise FetchError(
                FetchErrorReason.TOO_MANY_REDIRECTS,
                f"more than {self.policy.max_redirects} redirects",
                str(current),
                resp.status,
            )
        location = resp.headers.get("Location")
        if not location:
            raise FetchError(
                FetchErrorReason.HTTP_STATUS, "redirect without Location", str(current), resp.status
            )
        try:
            target = current.join(URL(location))
        except (ValueError, TypeError):
            raise FetchError(
                FetchErrorReason.BAD_URL, "unparseable redirect target", str(current)
            ) from None
        return self.check_url(target)

    async def _finish(
        self,
        resp: aiohttp.ClientResponse,
        url: URL,
        redirects: int,
        expect_activity_json: bool,
        plain_json: bool = False,
        document: DocumentRequest | None = None,
    ) -> FetchResult:
        if document is not None and resp.status == 304:
            return FetchResult(str(url), 304, "", b"", redirects=redirects,
                               headers=dict(resp.headers))  # fmt: skip
        if not 200 <= resp.status < 300:
            raise FetchError(
                FetchErrorReason.HTTP_STATUS,
                "unexpected HTTP status",
                str(url),
                resp.status,
                parse_retry_after(resp.headers.get("Retry-After")),
            )
        content_type = resp.content_type.lower()
        if expect_activity_json and content_type not in AP_CONTENT_TYPES:
            raise FetchError(
                FetchErrorReason.BAD_CONTENT_TYPE,
                f"content type {content_type[:80]!r} is not ActivityPub JSON",
                str(url),
                resp.status,
            )
        cap = document.max_body if document is not None else self.policy.max_body
        body = await self._read_capped(resp, url, cap)
        data = _parse_json_object(body, url) if expect_activity_json or plain_json else None
        return FetchResult(
            url=str(url),
            status=resp.status,
            content_type=content_type,
            body=body,
            data=data,
            redirects=redirects,
            headers=dict(resp.headers),
        )

    async def _read_capped(self, resp: aiohttp.ClientResponse, url: URL, cap: int) -> bytes:
        """Read at most ``cap`` bytes (after decompression, so gzip bombs
        are capped too); refuse early when Content-Length already says too much."""
        if resp.content_length is not None and resp.content_length > cap:
            raise FetchError(
                FetchErrorReason.TOO_LARGE, "declared body too large", str(url), resp.status
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(_CHUNK):
            size += len(chunk)
            if size > cap:
                # Leaving the `async with` drops the connection instead of
                # draining the rest of an oversized body.
                raise FetchError(
                    FetchErrorReason.TOO_LARGE, "body too large", str(url), resp.status
                )
            chunks.append(chunk)
        return b"".join(chunks)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _loggable(url: URL) -> str:
    """The URL as it may appear in errors and logs: never with credentials."""
    if url.raw_user is not None or url.raw_password is not None:
        url = url.with_user(None)
    return str(url)[:500]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def _parse_json_object(body: bytes, url: URL) -> dict[str, Any]:
    try:
        data = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # includes UnicodeDecodeError, deep nesting
        raise FetchError(FetchErrorReason.BAD_JSON, "body is not valid JSON", str(url)) from None
    if not isinstance(data, dict):
        raise FetchError(FetchErrorReason.BAD_JSON, "JSON body is not an object", str(url))
    return data
