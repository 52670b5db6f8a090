"""Tests of the outgoing-HTTP path against real aiohttp servers on 127.0.0.x.

Every refusal test counts the requests the target server actually received: a
refusal that still reaches the server is an SSRF, whatever the error says.

"Public" peers cannot exist on a loopback-only test machine, so the guarded tests
inject an address predicate under which exactly 127.0.0.1 plays a public peer;
every other address (127.0.0.2, 10/8, ::1, metadata ...) still goes through the
real classifier.  A second real server on 127.0.0.2 stands in for an internal
service, so "no request reached it" is observed, not assumed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.test_utils import TestServer
from yarl import URL

from federation.fetch import AP_ACCEPT, Fetcher, FetchError, FetchPolicy
from federation.fetch import FetchErrorReason as R
from federation.netguard import (
    AddressRefusedError,
    GuardedResolver,
    IPAddress,
    StaticResolver,
    is_public_address,
    parse_ip_literal,
)

MiB = 1024 * 1024
AP = "application/activity+json"
PRETEND_PUBLIC = ipaddress.ip_address("127.0.0.1")


def pretend_public(ip: IPAddress) -> bool:
    return ip == PRETEND_PUBLIC or is_public_address(ip)


# -- a recording origin server ------------------------------------------------


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    peer_port: int | None
    body: bytes = b""


@dataclass
class Origin:
    server: TestServer
    requests: list[Seen] = field(default_factory=list)

    @property
    def port(self) -> int:
        assert self.server.port is not None
        return self.server.port

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def paths(self) -> list[str]:
        return [s.path for s in self.requests]


def build_app(requests: list[Seen], release: asyncio.Event) -> web.Application:
    async def wait_release() -> None:
        # Stalls until test teardown (or client disconnect cancels the handler);
        # bounded so a broken test can never hang the suite.
        try:
            await asyncio.wait_for(release.wait(), 5)
        except TimeoutError:
            pass

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        seen = Seen(request.method, request.path_qs, dict(request.headers), peer and peer[1])
        requests.append(seen)
        seen.body = await request.read()
        return await handler(request)

    async def note(request: web.Request) -> web.Response:
        return web.json_response({"id": str(request.url), "type": "Note"}, content_type=AP)

    async def ld(request: web.Request) -> web.Response:
        ct = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
        return web.Response(body=b'{"type": "Person"}', headers={"Content-Type": ct})

    def fixed(body: bytes, ct: str = AP, status: int = 200) -> Callable[..., Awaitable[Any]]:
        async def handler(_: web.Request) -> web.Response:
            return web.Response(body=body, status=status, headers={"Content-Type": ct})

        return handler

    async def big_chunked(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": AP})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for _ in range(17):  # 17 * 64 KiB = 1 MiB + 64 KiB, no Content-Length
            await resp.write(b" " * 65536)
        await resp.write_eof()
        return resp

    async def huge_declared(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": AP})
        resp.content_length = 100 * MiB
        await resp.prepare(request)
        await resp.write(b" " * 1024)
        await wait_release()  # never sends the rest: only an early refusal is fast
        return resp

    async def slow_head(_: web.Request) -> web.Response:
        await wait_release()
        return web.json_response({}, content_type=AP)

    async def slow_body(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": AP})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        await resp.write(b"{")
        await wait_release()
        return resp

    async def redirect(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        if n == 0:
            return await note(request)
        raise web.HTTPFound(f"/redirect/{n - 1}")

    async def to(request: web.Request) -> web.Response:
        code = int(request.query.get("code", "302"))
        return web.Response(status=code, headers={"Location": request.query["loc"]})

    app = web.Application(middlewares=[record])
    app.router.add_get("/note", note)
    app.router.add_get("/ld", ld)
    app.router.add_get("/html", fixed(b"<html></html>", "text/html"))
    app.router.add_get("/plainjson", fixed(b"{}", "application/json"))
    app.router.add_get("/notjson", fixed(b"{not json"))
    app.router.add_get("/list", fixed(b"[1, 2]"))
    app.router.add_get("/nan", fixed(b'{"a": NaN}'))
    app.router.add_get("/big", fixed(b" " * (MiB + 1)))
    app.router.add_get("/exact", fixed(b"{}" + b" " * (MiB - 2)))
    app.router.add_get("/big-chunked", big_chunked)
    app.router.add_get("/huge-declared", huge_declared)
    app.router.add_get("/slow-head", slow_head)
    app.router.add_get("/slow-body", slow_body)
    app.router.add_get("/redirect/{n}", redirect)
    app.router.add_route("*", "/to", to)
    app.router.add_get("/gone", fixed(b"", "text/plain", 410))
    app.router.add_post("/inbox", fixed(b"", "text/plain", 202))
    return app


@pytest.fixture
async def release() -> AsyncIterator[asyncio.Event]:
    event = asyncio.Event()
    yield event
    event.set()


async def start_origin(host: str, port: int | None, release: asyncio.Event) -> Origin:
    requests: list[Seen] = []
    server = TestServer(build_app(requests, release), host=host, port=port)
    await server.start_server()
    return Origin(server, requests)


@pytest.fixture
async def origin(release: asyncio.Event) -> AsyncIterator[Origin]:
    o = await start_origin("127.0.0.1", None, release)
    yield o
    release.set()
    await o.server.close()


@pytest.fixture
async def shadow(origin: Origin, release: asyncio.Event) -> AsyncIterator[Origin]:
    """An "internal service" on 127.0.0.2, same port as ``origin``."""
    try:
        o = await start_origin("127.0.0.2", origin.port, release)
    except OSError:
        pytest.skip("cannot bind 127.0.0.2 on this system")
    yield o
    release.set()
    await o.server.close()


# -- fetcher factory, signer, resolvers -----------------------------------------


class RecordingSigner:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, str], bytes | None]] = []

    def sign(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> dict[str, str]:
        self.calls.append((method, url, dict(headers), body))
        return {"Signature": f"sig-{len(self.calls)}"}

    def urls(self) -> list[str]:
        return [c[1] for c in self.calls]


class FlippingResolver(AbstractResolver):
    """Answers 127.0.0.1 once, 127.0.0.2 afterwards: a DNS-rebinding attacker."""

    def __init__(self) -> None:
        self.calls = 0

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.calls += 1
        addr = "127.0.0.1" if self.calls == 1 else "127.0.0.2"
        flags = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV
        return [
            ResolveResult(
                hostname=host, host=addr, port=port, family=socket.AF_INET, proto=0, flags=flags
            )
        ]

    async def close(self) -> None:
        return None


DNS = {
    "public.test": "127.0.0.1",
    "evil.test": "127.0.0.1",
    "internal.test": "127.0.0.2",
    "mixed.test": ["127.0.0.2", "127.0.0.1"],
}
MakeFetcher = Callable[..., Fetcher]


@pytest.fixture
async def make_fetcher() -> AsyncIterator[MakeFetcher]:
    made: list[Fetcher] = []

    def make(
        *,
        signer: Any = None,
        resolver: AbstractResolver | None = None,
        predicate: Callable[[IPAddress], bool] | None = None,
        **policy: Any,
    ) -> Fetcher:
        policy = {"allow_http": True, "total_timeout": 3.0, "connect_timeout": 1.0} | policy
        f = Fetcher(
            FetchPolicy(**policy),
            signer,
            resolver=resolver or StaticResolver(DNS),
            is_allowed_address=predicate,
        )
        made.append(f)
        return f

    yield make
    for f in made:
        await f.close()


async def refused(coro: Awaitable[Any]) -> FetchError:
    with pytest.raises(FetchError) as info:
        await coro
    return info.value


# -- happy paths -------------------------------------------------------------


async def test_get_json_works_when_private_allowed(origin: Origin, make_fetcher: MakeFetcher):
    f = make_fetcher(allow_private_addresses=True, user_agent="PeerHaven/test")
    res = await f.get_json(origin.url("/note#frag"))
    assert res.status == 200 and res.data["type"] == "Note" and res.redirects == 0
    assert res.url == origin.url("/note")  # fragment never sent
    seen = origin.requests[0]
    assert seen.headers["Accept"] == AP_ACCEPT
    assert seen.headers["User-Agent"] == "PeerHaven/test"


async def test_ld_json_with_profile_accepted(origin: Origin, make_fetcher: MakeFetcher):
    res = await make_fetcher(allow_private_addresses=True).get_json(origin.url("/ld"))
    assert res.data == {"type": "Person"}


async def test_keepalive_connection_reused(origin: Origin, make_fetcher: MakeFetcher):
    f = make_fetcher(allow_private_addresses=True)
    await f.get_json(origin.url("/note"))
    await f.get_json(origin.url("/note"))
    assert len({s.peer_port for s in origin.requests}) == 1


# -- SSRF: literal hosts, resolved names, redirect hops ----------------------------


async def test_private_literal_refused_without_request(origin: Origin, make_fetcher: MakeFetcher):
    err = await refused(make_fetcher().get_json(origin.url("/note")))
    assert err.reason == R.PRIVATE_ADDRESS
    assert origin.requests == []


async def test_name_resolving_to_loopback_refused_without_request(
    origin: Origin, make_fetcher: MakeFetcher
):
    resolver = StaticResolver(DNS)
    err = await refused(make_fetcher(resolver=resolver).get_json(origin.url("/note", "evil.test")))
    assert err.reason == R.PRIVATE_ADDRESS
    assert resolver.calls == ["evil.test"]
    assert origin.requests == []


async def test_localhost_via_system_resolver_refused(origin: Origin):
    # No injected resolver: the default (system) resolver behind the guard.
    async with Fetcher(FetchPolicy(allow_http=True, total_timeout=3.0), None) as f:
        err = await refused(f.get_json(origin.url("/note", "localhost")))
    assert err.reason == R.PRIVATE_ADDRESS
    assert origin.requests == []


async def test_credentials_never_appear_in_errors(make_fetcher: MakeFetcher):
    err = await refused(make_fetcher().get_json("http://alice:hunter2@127.0.0.1/"))
    assert err.reason == R.BAD_URL
    assert "hunter2" not in err.url and "hunter2" not in str(err)


@pytest.mark.parametrize(
    "target",
    [
        "http://10.0.0.1/",
        "http://[::1]:{port}/note",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.2]:{port}/note",
        "http://[fe80::1]/",
        "http://127.0.0.2:{port}/note",
        "http://internal.test:{port}/note",
    ],
)
async def test_redirect_to_private_refused_at_hop(
    origin: Origin, shadow: Origin, make_fetcher: MakeFetcher, target: str
):
    signer = RecordingSigner()
    f = make_fetcher(signer=signer, predicate=pretend_public)
    loc = target.format(port=origin.port)
    start = str(URL(origin.url(f"/to?loc={loc}", "public.test")))
    err = await refused(f.get_json(start))
    assert err.reason == R.PRIVATE_ADDRESS
    assert len(origin.requests) == 1  # only the redirecting hop
    assert shadow.requests == []
    # Literal hosts are refused before signing; a name is refused by the resolver
    # at connect time, after signing but before any byte is sent.
    by_name = "internal.test" in loc
    assert signer.urls() == ([start, loc] if by_name else [start])


async def test_redirect_between_allowed_hosts_is_followed(
    origin: Origin, make_fetcher: MakeFetcher
):
    f = make_fetcher(predicate=pretend_public)
    loc = origin.url("/note", "public.test")
    res = await f.get_json(origin.url(f"/to?loc={loc}", "public.test"))
    assert res.url == loc and res.redirects == 1


async def test_mixed_dns_answer_connects_only_to_allowed_address(
    origin: Origin, shadow: Origin, make_fetcher: MakeFetcher
):
    f = make_fetcher(predicate=pretend_public)
    res = await f.get_json(origin.url("/note", "mixed.test"))
    assert res.status == 200
    assert len(origin.requests) == 1 and shadow.requests == []


async def test_no_second_lookup_between_check_and_connect(
    origin: Origin, shadow: Origin, make_fetcher: MakeFetcher
):
    resolver = FlippingResolver()
    f = make_fetcher(predicate=pretend_public, resolver=resolver)
    await f.get_json(origin.url("/note", "rebind.test"))
    assert resolver.calls == 1
    assert len(origin.requests) == 1 and shadow.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "/relative/path",
        "http://user:pw@127.0.0.1/",
        "http://2130706433/",
        "http://0x7f.0.0.1/",
        "http://127.1/",
        "http://017.0.0.1/",
    ],
)
async def test_bad_urls_refused(url: str, make_fetcher: MakeFetcher):
    err = await refused(make_fetcher(allow_private_addresses=True).get_json(url))
    assert err.reason == R.BAD_URL


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:{port}/note", "ftp://x.test/", "file:///etc/passwd"]
)
async def test_https_only_refuses_other_schemes(
    origin: Origin, make_fetcher: MakeFetcher, url: str
):
    f = make_fetcher(allow_http=False, allow_private_addresses=True)
    err = await refused(f.get_json(url.format(port=origin.port)))
    assert err.reason == R.SCHEME_NOT_ALLOWED
    assert origin.requests == []


# -- redirects and signing -------------------------------------------------------


async def test_three_redirects_followed_and_each_hop_signed(
    origin: Origin, make_fetcher: MakeFetcher
):
    signer = RecordingSigner()
    f = make_fetcher(signer=signer, predicate=pretend_public)
    res = await f.get_json(origin.url("/redirect/3", "public.test"))
    assert res.redirects == 3 and res.data["type"] == "Note"
    expected = [origin.url(f"/redirect/{n}", "public.test") for n in (3, 2, 1, 0)]
    assert signer.urls() == expected
    assert [c[2]["Host"] for c in signer.calls] == [f"public.test:{origin.port}"] * 4
    assert [s.headers["Signature"] for s in origin.requests] == ["sig-1", "sig-2", "sig-3", "sig-4"]


async def test_four_redirects_refused(origin: Origin, make_fetcher: MakeFetcher):
    f = make_fetcher(allow_private_addresses=True)
    err = await refused(f.get_json(origin.url("/redirect/4")))
    assert err.reason == R.TOO_MANY_REDIRECTS
    assert origin.paths() == ["/redirect/4", "/redirect/3", "/redirect/2", "/redirect/1"]


async def test_post_is_signed_with_body(origin: Origin, make_fetcher: MakeFetcher):
    signer = RecordingSigner()
    f = make_fetcher(signer=signer, allow_private_addresses=True)
    res = await f.post(origin.url("/inbox"), b'{"type": "Follow"}', AP)
    assert res.status == 202
    method, url, headers, body = signer.calls[0]
    assert (method, url, body) == ("POST", origin.url("/inbox"), b'{"type": "Follow"}')
    assert headers["Content-Type"] == AP
    seen = origin.requests[0]
    assert seen.body == b'{"type": "Follow"}' and seen.headers["Signature"] == "sig-1"


async def test_post_follows_307_and_resigns(origin: Origin, make_fetcher: MakeFetcher):
    signer = RecordingSigner()
    f = make_fetcher(signer=signer, allow_private_addresses=True)
    start = origin.url("/to?code=307&loc=/inbox")
    res = await f.post(start, b"{}", AP)
    assert res.status == 202 and res.redirects == 1
    assert signer.urls() == [start, origin.url("/inbox")]
    assert [s.body for s in origin.requests] == [b"{}", b"{}"]


async def test_post_refuses_302(origin: Origin, make_fetcher: MakeFetcher):
    f = make_fetcher(allow_private_addresses=True)
    err = await refused(f.post(origin.url("/to?code=302&loc=/inbox"), b"{}", AP))
    assert err.reason == R.HTTP_STATUS and err.status == 302
    assert origin.paths() == ["/to?code=302&loc=/inbox"]


# -- limits ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/big", "/big-chunked"])
async def test_body_over_cap_refused(origin: Origin, make_fetcher: MakeFetcher, path: str):
    err = await refused(make_fetcher(allow_private_addresses=True).get_json(origin.url(path)))
    assert err.reason == R.TOO_LARGE


async def test_body_at_cap_accepted(origin: Origin, make_fetcher: MakeFetcher):
    res = await make_fetcher(allow_private_addresses=True).get_json(origin.url("/exact"))
    assert len(res.body) == MiB and res.data == {}


async def test_declared_length_refused_before_reading(origin: Origin, make_fetcher: MakeFetcher):
    f = make_fetcher(allow_private_addresses=True, total_timeout=2.0)
    started = time.monotonic()
    err = await refused(f.get_json(origin.url("/huge-declared")))
    assert err.reason == R.TOO_LARGE
    assert time.monotonic() - started < 1.0  # did not wait for the body


@pytest.mark.parametrize("path", ["/slow-head", "/slow-body"])
async def test_slow_server_times_out(origin: Origin, make_fetcher: MakeFetcher, path: str):
    f = make_fetcher(allow_private_addresses=True, total_timeout=0.3, connect_timeout=0.2)
    started = time.monotonic()
    err = await refused(f.get_json(origin.url(path)))
    assert err.reason == R.TIMEOUT
    assert time.monotonic() - started < 1.5


# -- response validation and transport errors -------------------------------------


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/notjson", R.BAD_JSON),
        ("/list", R.BAD_JSON),
        ("/nan", R.BAD_JSON),
        ("/html", R.BAD_CONTENT_TYPE),
        ("/plainjson", R.BAD_CONTENT_TYPE),
        ("/gone", R.HTTP_STATUS),
    ],
)
async def test_bad_responses(origin: Origin, make_fetcher: MakeFetcher, path: str, reason: R):
    err = await refused(make_fetcher(allow_private_addresses=True).get_json(origin.url(path)))
    assert err.reason == reason
    if path == "/gone":
        assert err.status == 410


async def test_connection_refused(make_fetcher: MakeFetcher):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    err = await refused(
        make_fetcher(allow_private_addresses=True).get_json(f"http://127.0.0.1:{port}/")
    )
    assert err.reason == R.CONNECT_FAILED


async def test_unknown_name_is_dns_failure(make_fetcher: MakeFetcher):
    err = await refused(make_fetcher().get_json("http://nowhere.test/"))
    assert err.reason == R.DNS_FAILED


# -- address classifier and resolver units -----------------------------------------


@pytest.mark.parametrize(
    ("addr", "public"),
    [
        ("93.184.216.34", True),
        ("8.8.8.8", True),
        ("172.15.255.255", True),
        ("172.32.0.0", True),
        ("100.63.255.255", True),
        ("100.128.0.0", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("2001:4860:4860::8888", True),
        ("::ffff:93.184.216.34", True),
        ("64:ff9b::5db8:d822", True),  # NAT64 of 93.184.216.34
        ("2002:5db8:d822::1", True),  # 6to4 of 93.184.216.34
        ("127.0.0.1", False),
        ("127.255.255.254", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("100.127.255.254", False),
        ("0.0.0.0", False),
        ("0.1.2.3", False),
        ("255.255.255.255", False),
        ("224.0.0.1", False),
        ("239.255.255.250", False),
        ("240.0.0.1", False),
        ("192.0.2.1", False),
        ("198.51.100.7", False),
        ("203.0.113.9", False),
        ("198.18.0.1", False),
        ("192.0.0.8", False),
        ("::", False),
        ("::1", False),
        ("fe80::1", False),
        ("fe80::1%eth0", False),
        ("fc00::1", False),
        ("fd12:3456::1", False),
        ("fec0::1", False),
        ("ff02::1", False),
        ("ff0e::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:169.254.169.254", False),
        ("::ffff:100.64.0.1", False),
        ("::ffff:0.0.0.0", False),
        ("::127.0.0.1", False),  # deprecated IPv4-compatible
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254
        ("64:ff9b:1::1", False),  # local-use NAT64
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("2002:a00:1::", False),  # 6to4 of 10.0.0.1
        ("2001:db8::1", False),
        ("2001::1", False),  # Teredo
        ("100::1", False),  # discard-only
        ("3fff::1", False),
        ("5f00::1", False),
    ],
)
def test_address_classifier(addr: str, public: bool):
    assert is_public_address(ipaddress.ip_address(addr)) is public


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("example.com", None),
        ("xn--bcher-kva.example", None),
        ("1password.example", None),
        ("127.0.0.1", ipaddress.ip_address("127.0.0.1")),
        ("[::1]", ipaddress.ip_address("::1")),
        ("::1", ipaddress.ip_address("::1")),
    ],
)
def test_parse_ip_literal(host: str, expected: IPAddress | None):
    assert parse_ip_literal(host) == expected


@pytest.mark.parametrize("host", ["2130706433", "0x7f.1", "127.1", "017.0.0.1", "a.b.0x10", "1:2"])
def test_parse_ip_literal_refuses_ambiguous_numbers(host: str):
    with pytest.raises(ValueError):
        parse_ip_literal(host)


async def test_guarded_resolver_filters_and_refuses():
    guard = GuardedResolver(
        is_public_address,
        StaticResolver(
            {
                "mix.test": ["10.0.0.1", "93.184.216.34", "::1"],
                "inside.test": ["10.0.0.1", "fe80::1"],
            }
        ),
    )
    assert [r["host"] for r in await guard.resolve("mix.test", 443, socket.AF_UNSPEC)] == [
        "93.184.216.34"
    ]
    with pytest.raises(AddressRefusedError):
        await guard.resolve("inside.test", 443, socket.AF_UNSPEC)
