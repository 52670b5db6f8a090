"""A fleet of cheap loopback "fediverse inbox" servers for fault tests and fan-out benchmarks.

Each host is a raw ``asyncio.Protocol`` HTTP/1.1 listener (keep-alive, Content-Length or chunked
request bodies) answering a tiny fixed response, so one request costs tens of microseconds of
the sink's CPU rather than the hundreds an aiohttp server would: the sink shares two cores with
the server being measured.

In-process (fault tests, same event loop as the test)::

    async with SinkFleet() as fleet:
        await fleet.start([SinkHost("127.0.1.7", fail_first=2, retry_after="1")])
        ...deliver to fleet.hosts[0].url("/inbox")...
        assert fleet.received(fleet.hosts[0]) == [activity_id]

Separate process (benchmarks, 1,000 hosts)::

    python -m bench.sink --hosts 1000 --base-address 127.0.1.1 --port 9000 --control-port 9999

Every address in 127.0.0.0/8 is routed to ``lo`` on Linux, so 1,000 listeners on 127.0.1.1,
127.0.1.2, ... bind without any interface setup. Last octets 0 and 255 are skipped: they look
like network/broadcast addresses to URL validators and SSRF guards even though Linux allows them.
The process raises its open-files soft limit to the hard limit (1,000 listeners plus every
connection the engine keeps open; see ``raise_nofile_limit``) and prints one JSON line
``{"ready": true, "control_port": N, "hosts": [...]}`` on stdout once listening. Its control
endpoint on 127.0.0.1 answers ``GET /stats`` (``SinkFleet.stats``) and ``POST /reset``.
``SinkProcess`` wraps all of that.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import resource
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from http import HTTPStatus
from pathlib import Path
from typing import Any, Self

MAX_HEAD_BYTES = 65536
REPO_ROOT = Path(__file__).resolve().parent.parent


# --- HTTP/1.1 framing, shared with bench.loadgen --------------------------------------------


def parse_head(head: bytes) -> tuple[bytes, dict[bytes, bytes]]:
    """Split a header block (without its blank line) into the first line and lower-cased
    headers; the last of a repeated header wins (none read here may repeat). A plain split
    loop: measured faster than looking up only the wanted names with find()."""
    lines = head.split(b"\r\n")
    headers: dict[bytes, bytes] = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.lower()] = value.strip()
    return lines[0], headers


def parse_chunked(buf: bytes | bytearray, pos: int) -> tuple[bytes, int] | None:
    """Decode a chunked body starting at ``pos``: (body, offset after it) or None if incomplete.
    Raises ValueError on a malformed chunk size. Trailers are skipped."""
    parts: list[bytes] = []
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None
        size = int(bytes(buf[pos:eol]).split(b";", 1)[0], 16)
        pos = eol + 2
        if size == 0:
            while True:
                eol = buf.find(b"\r\n", pos)
                if eol < 0:
                    return None
                if eol == pos:
                    return b"".join(parts), eol + 2
                pos = eol + 2
        if len(buf) < pos + size + 2:
            return None
        parts.append(bytes(buf[pos : pos + size]))
        pos += size + 2


def read_request(buf: bytearray) -> tuple[bytes, dict[bytes, bytes], bytes, int] | None:
    """One request at the start of ``buf``: (request line, headers, body, bytes used), or None
    while incomplete. Raises ValueError on garbage (the caller drops the connection)."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        if len(buf) > MAX_HEAD_BYTES:
            raise ValueError("header block too large")
        return None
    first, headers = parse_head(bytes(buf[:end]))
    start = end + 4
    if b"chunked" in headers.get(b"transfer-encoding", b"").lower():
        decoded = parse_chunked(buf, start)
        if decoded is None:
            return None
        return first, headers, decoded[0], decoded[1]
    length = int(headers.get(b"content-length", b"0"))
    if len(buf) < start + length:
        return None
    return first, headers, bytes(buf[start : start + length]), start + length


@cache
def _response(status: int, retry_after: str | None = None) -> bytes:
    extra = f"Retry-After: {retry_after}\r\n" if retry_after is not None else ""
    phrase = HTTPStatus(status).phrase
    return f"HTTP/1.1 {status} {phrase}\r\nContent-Length: 0\r\n{extra}\r\n".encode("latin-1")


def peak_rss_kb() -> int:
    """This process's peak resident set in KiB. VmHWM, not ``ru_maxrss``: Linux carries
    ``ru_maxrss`` across fork and exec, so a child spawned by a big test process would report
    its parent's peak."""
    with contextlib.suppress(OSError), open("/proc/self/status", "rb") as f:
        for line in f:
            if line.startswith(b"VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _activity_id(body: bytes) -> str | None:
    # json.loads rather than a regex: the first "id" in the text may belong to an inline
    # @context term or a nested object, and parsing a few KB costs ~10 us.
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    value = doc.get("id") if isinstance(doc, dict) else None
    # Interned: in fan-out one id arrives at 1,000 hosts; share one string in the seen-map.
    return sys.intern(value) if isinstance(value, str) else None


# --- configuration and records ---------------------------------------------------------------


@dataclass(eq=False)
class SinkHost:
    """One inbox server. Behaviour fields are read live, so a test may change them mid-run
    (raising ``fail_first`` injects more failures: it is compared with failures already sent).
    ``port=0`` binds an ephemeral port, written back here by ``SinkFleet.start``."""

    address: str
    port: int = 0
    fail_first: int = 0
    fail_status: int = 503
    retry_after: str | None = None
    delay: float = 0.0
    gone_paths: frozenset[str] = frozenset()
    down: bool = False

    @property
    def key(self) -> str:
        return f"{self.address}:{self.port}"

    def url(self, path: str = "/inbox") -> str:
        return f"http://{self.key}{path}"


@dataclass(slots=True, eq=False)
class Record:
    """One request as received. ``status`` stays None until answered, and for good if the
    connection dropped first (client gone, or ``set_down``)."""

    host: str
    method: str
    path: str
    activity_id: str | None
    received_at: float
    signature: str | None
    date: str | None
    digest: str | None
    status: int | None = None
    answered_at: float | None = None
    body: bytes | None = None


@dataclass(slots=True)
class HostCounters:
    requests: int = 0
    connections: int = 0  # accepted TCP connections: shows whether the client reuses them
    failures_injected: int = 0
    statuses: Counter[int] = field(default_factory=Counter)


@dataclass(eq=False)
class _Listener:
    host: SinkHost
    counters: HostCounters
    server: asyncio.Server | None = None
    conns: set[_InboxProtocol] = field(default_factory=set)


class _InboxProtocol(asyncio.Protocol):
    """One connection. Requests are answered strictly in order: while a delayed answer is
    pending, later bytes just accumulate, so a pipelining client still gets ordered replies."""

    def __init__(self, fleet: SinkFleet, listener: _Listener) -> None:
        self.fleet = fleet
        self.listener = listener
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.pending: Record | None = None
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.listener.conns.add(self)
        self.listener.counters.connections += 1
        self.fleet.connections += 1

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.pending is None:
            self._process()

    def connection_lost(self, exc: Exception | None) -> None:
        self.listener.conns.discard(self)
        if self.pending is not None:
            assert self.timer is not None
            self.timer.cancel()
            self.fleet._unanswered(self.pending)
            self.pending = None

    def _process(self) -> None:
        transport = self.transport
        assert transport is not None
        while self.pending is None and not transport.is_closing():
            try:
                request = read_request(self.buf)
            except ValueError:
                transport.close()  # unparseable: drop it, as a real server would
                return
            if request is None:
                return
            first, headers, body, used = request
            del self.buf[:used]
            self._handle(first, headers, body)

    def _handle(self, first: bytes, headers: dict[bytes, bytes], body: bytes) -> None:
        method, _, rest = first.partition(b" ")
        target, _, version = rest.partition(b" ")
        connection = headers.get(b"connection", b"").lower()
        close = connection == b"close" or (version == b"HTTP/1.0" and connection != b"keep-alive")
        path = target.split(b"?", 1)[0].decode("latin-1")
        record, response = self.fleet._receive(self.listener, method, path, headers, body)
        delay = self.listener.host.delay
        if delay > 0:
            self.pending = record
            loop = asyncio.get_running_loop()
            self.timer = loop.call_later(delay, self._answer_later, record, response, close)
        else:
            self._answer(record, response, close)

    def _answer(self, record: Record, response: tuple[int, bytes], close: bool) -> None:
        assert self.transport is not None
        self.transport.write(response[1])
        self.fleet._answered(self.listener, record, response[0])
        if close:
            self.transport.close()

    def _answer_later(self, record: Record, response: tuple[int, bytes], close: bool) -> None:
        self.pending = None
        self._answer(record, response, close)
        self._process()


# --- the fleet -------------------------------------------------------------------------------


class SinkFleet:
    """Many ``SinkHost`` listeners on the running event loop, with what they received.

    ``keep_records=False`` (the separate process) keeps only counters and the seen-map, not a
    ``Record`` per request; ``keep_bodies=True`` stores request bodies in records (digest checks).
    """

    def __init__(self, *, keep_records: bool = True, keep_bodies: bool = False) -> None:
        self.keep_records = keep_records
        self.keep_bodies = keep_bodies
        self.hosts: list[SinkHost] = []
        self.records: list[Record] = []
        self.counters: dict[str, HostCounters] = {}
        self._listeners: dict[str, _Listener] = {}
        self._open: set[Record] = set()
        self.reset()

    def reset(self) -> None:
        """Forget everything received, including failures already injected (so ``fail_first``
        applies afresh). Listeners and open connections stay."""
        self.records.clear()
        for listener in self._listeners.values():
            listener.counters = self.counters[listener.host.key] = HostCounters()
        self.total = 0
        self.connections = 0
        self.dropped = 0
        self.statuses: Counter[int] = Counter()
        self.first_at: float | None = None
        self.last_at: float | None = None
        # Accepted (2xx) deliveries per (host, path, id): a retry after a 503 is not a duplicate.
        self._accepted: dict[tuple[str, str, str], int] = {}
        self._accepted_total = 0
        self._duplicate_keys = 0

    async def start(self, hosts: Iterable[SinkHost]) -> None:
        for host in hosts:
            listener = _Listener(host, HostCounters())
            # Bind even a host that starts down, so an ephemeral port is fixed for its key.
            await self._listen(listener)
            if host.key in self._listeners:
                await self._unlisten(listener)
                raise ValueError(f"duplicate sink host {host.key}")
            self.hosts.append(host)
            self._listeners[host.key] = listener
            self.counters[host.key] = listener.counters
            if host.down:
                await self._unlisten(listener)

    async def set_down(self, host: SinkHost | str, down: bool) -> None:
        """Close the listener and drop its open connections (refusing new ones), or reopen it."""
        listener = self._listener(host)
        listener.host.down = down
        if down:
            await self._unlisten(listener)
        elif listener.server is None:
            await self._listen(listener)

    async def close(self) -> None:
        for listener in self._listeners.values():
            await self._unlisten(listener)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def url(self, host: SinkHost | str, path: str = "/inbox") -> str:
        return self._listener(host).host.url(path)

    def open_requests(self) -> list[Record]:
        """Requests received but not yet answered (delayed ones), oldest first."""
        return sorted(self._open, key=lambda r: r.received_at)

    def received(self, host: SinkHost | str, *, accepted_only: bool = False) -> list[str | None]:
        """Activity ids this host received, in arrival order (needs ``keep_records``)."""
        key = self._listener(host).host.key
        return [
            r.activity_id
            for r in self.records
            if r.host == key and (not accepted_only or (r.status is not None and r.status < 300))
        ]

    def duplicates(self) -> dict[tuple[str, str, str], int]:
        """(host, path, activity id) accepted (2xx) more than once, with the count."""
        return {k: n for k, n in self._accepted.items() if n > 1}

    def stats(self) -> dict[str, Any]:
        """Totals as JSON-ready values. RSS and CPU are the whole process's (the test's own
        when the fleet runs in-process). Timestamps are ``time.time()`` of receipt."""
        return {
            "hosts": len(self.hosts),
            "total": self.total,
            "statuses": {str(k): n for k, n in sorted(self.statuses.items())},
            "open": len(self._open),
            "dropped": self.dropped,
            "distinct": len(self._accepted),
            "duplicates": self._duplicate_keys,
            "extra_deliveries": self._accepted_total - len(self._accepted),
            "connections": self.connections,
            "first": self.first_at,
            "last": self.last_at,
            "peak_rss_kb": peak_rss_kb(),
            "cpu_seconds": round(cpu_seconds(), 3),
        }

    # -- internals ----------------------------------------------------------------------------

    def _listener(self, host: SinkHost | str) -> _Listener:
        key = host.key if isinstance(host, SinkHost) else host
        if key in self._listeners:
            return self._listeners[key]
        by_address = [lst for lst in self._listeners.values() if lst.host.address == key]
        if len(by_address) != 1:
            raise KeyError(f"no single sink host {key!r}")
        return by_address[0]

    async def _listen(self, listener: _Listener) -> None:
        host = listener.host
        loop = asyncio.get_running_loop()
        listener.server = await loop.create_server(
            lambda: _InboxProtocol(self, listener),
            host.address,
            host.port,
            reuse_address=True,
            backlog=1024,  # a fan-out burst may open many connections to one host at once
        )
        host.port = listener.server.sockets[0].getsockname()[1]

    async def _unlisten(self, listener: _Listener) -> None:
        if listener.server is not None:
            listener.server.close()
            for proto in list(listener.conns):
                assert proto.transport is not None
                proto.transport.abort()  # drop at once, like a host that went away
            await listener.server.wait_closed()
            listener.server = None

    def _receive(
        self,
        listener: _Listener,
        method: bytes,
        path: str,
        headers: dict[bytes, bytes],
        body: bytes,
    ) -> tuple[Record, tuple[int, bytes]]:
        now = time.time()
        host = listener.host
        counters = listener.counters
        self.total += 1
        counters.requests += 1
        if self.first_at is None:
            self.first_at = now
        self.last_at = now
        sig, date, digest = headers.get(b"signature"), headers.get(b"date"), headers.get(b"digest")
        record = Record(
            host=host.key,
            method=method.decode("latin-1"),
            path=path,
            activity_id=_activity_id(body) if body else None,
            received_at=now,
            signature=sig.decode("latin-1") if sig is not None else None,
            date=date.decode("latin-1") if date is not None else None,
            digest=digest.decode("latin-1") if digest is not None else None,
            body=body if self.keep_bodies else None,
        )
        if self.keep_records:
            self.records.append(record)
        self._open.add(record)
        # Gone paths win over injected failures: a 410 is permanent whatever else is going on.
        status, response = 202, _response(202)
        if method == b"POST":
            if path in host.gone_paths:
                status, response = 410, _response(410)
            elif counters.failures_injected < host.fail_first:
                counters.failures_injected += 1
                status, response = host.fail_status, _response(host.fail_status, host.retry_after)
        return record, (status, response)

    def _answered(self, listener: _Listener, record: Record, status: int) -> None:
        self._open.discard(record)
        record.status = status
        record.answered_at = time.time()
        self.statuses[status] += 1
        listener.counters.statuses[status] += 1
        if 200 <= status < 300 and record.activity_id is not None:
            key = (record.host, sys.intern(record.path), record.activity_id)
            seen = self._accepted.get(key, 0) + 1
            self._accepted[key] = seen
            self._accepted_total += 1
            if seen == 2:
                self._duplicate_keys += 1

    def _unanswered(self, record: Record) -> None:
        self._open.discard(record)
        self.dropped += 1


# --- host lists and the separate process -----------------------------------------------------


def loopback_addresses(count: int, base: str = "127.0.1.1") -> list[str]:
    """``count`` consecutive addresses from ``base``, wrapping into the next third octet and
    skipping last octets 0 and 255; all must stay inside 127.0.0.0/8."""
    addresses: list[str] = []
    current = ipaddress.IPv4Address(base)
    while len(addresses) < count:
        if current not in ipaddress.IPv4Network("127.0.0.0/8"):
            raise ValueError(f"{count} addresses from {base} leave 127.0.0.0/8")
        if current.packed[3] not in (0, 255):
            addresses.append(str(current))
        current += 1
    return addresses


def make_hosts(
    count: int, base_address: str = "127.0.1.1", port: int = 0, **behaviour: Any
) -> list[SinkHost]:
    return [SinkHost(a, port, **behaviour) for a in loopback_addresses(count, base_address)]


def raise_nofile_limit() -> int:
    """Raise RLIMIT_NOFILE's soft limit to the hard one: the sink holds a listener per host plus
    every connection the delivery engine keeps open, far past a default soft limit of 1,024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = 1 << 20 if hard == resource.RLIM_INFINITY else hard
    if soft == resource.RLIM_INFINITY or soft >= target:
        return soft
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft


async def _control(fleet: SinkFleet, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
    """The control endpoint: a few requests per run, so streams are cheap enough here."""
    try:
        while True:
            first, headers = parse_head((await reader.readuntil(b"\r\n\r\n"))[:-4])
            if length := int(headers.get(b"content-length", b"0")):
                await reader.readexactly(length)
            method, target = first.split(b" ")[:2]
            status, payload = 200, fleet.stats()
            if target == b"/reset" and method == b"POST":
                fleet.reset()
                payload = fleet.stats()
            elif target != b"/stats":
                status, payload = 404, {"error": "GET /stats or POST /reset"}
            body = json.dumps(payload).encode()
            writer.write(
                f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nContent-Type: application/json"
                f"\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            await writer.drain()
            if headers.get(b"connection", b"").lower() == b"close":
                break
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def serve(args: argparse.Namespace) -> None:
    nofile = raise_nofile_limit()
    hosts = make_hosts(
        args.hosts, args.base_address, args.port, delay=args.delay, fail_first=args.fail_first,
        fail_status=args.fail_status, retry_after=args.retry_after,
    )  # fmt: skip
    fleet = SinkFleet(keep_records=False)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await fleet.start(hosts)
    control = await asyncio.start_server(
        lambda r, w: _control(fleet, r, w), "127.0.0.1", args.control_port
    )
    ready = {
        "ready": True,
        "control_port": control.sockets[0].getsockname()[1],
        "nofile": nofile,
        "hosts": [h.key for h in hosts],
    }
    print(json.dumps(ready), flush=True)
    await stop.wait()
    control.close()
    await fleet.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sink", description="Loopback inboxes.")
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--base-address", default="127.0.1.1")
    parser.add_argument("--port", type=int, default=9000, help="0: an ephemeral port per host")
    parser.add_argument("--control-port", type=int, default=0, help="0: any; see ready line")
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--fail-status", type=int, default=503)
    parser.add_argument("--retry-after", default=None)
    asyncio.run(serve(parser.parse_args(argv)))


class SinkProcess:
    """``python -m bench.sink`` as a child process: start, wait for its ready line, read stats,
    stop. Sync (``with``) or async (``async with``; blocking steps run in a thread so a server
    on the same event loop keeps running)."""

    def __init__(
        self,
        hosts: int = 1000,
        *,
        base_address: str = "127.0.1.1",
        port: int = 9000,
        control_port: int = 0,
        delay: float = 0.0,
        fail_first: int = 0,
        fail_status: int = 503,
        retry_after: str | None = None,
        startup_timeout: float = 30.0,
    ) -> None:
        self.args = [
            "--hosts", str(hosts), "--base-address", base_address, "--port", str(port),
            "--control-port", str(control_port), "--delay", str(delay),
            "--fail-first", str(fail_first), "--fail-status", str(fail_status),
        ]  # fmt: skip
        if retry_after is not None:
            self.args += ["--retry-after", retry_after]
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.control_port = 0
        self.host_keys: list[str] = []  # "address:port", in address order
        self.final_stats: dict[str, Any] | None = None
        self._stderr: Any = None  # a temporary file: a pipe nobody reads could fill and block

    def urls(self, path: str = "/inbox") -> list[str]:
        return [f"http://{key}{path}" for key in self.host_keys]

    def start(self) -> Self:
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.sink", *self.args],
            cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._stderr,
        )  # fmt: skip
        assert self.proc.stdout is not None
        readable, _, _ = select.select([self.proc.stdout], [], [], self.startup_timeout)
        line = self.proc.stdout.readline() if readable else b""
        if not line.startswith(b"{"):
            self._kill()
            self._stderr.seek(0)
            err = self._stderr.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"sink process did not start: {err}")
        ready = json.loads(line)
        self.control_port, self.host_keys = ready["control_port"], ready["hosts"]
        return self

    def stats(self) -> dict[str, Any]:
        return self._control_sync("GET", "/stats")

    def reset(self) -> dict[str, Any]:
        return self._control_sync("POST", "/reset")

    def stop(self) -> dict[str, Any] | None:
        """Final stats (None if it had died), then SIGTERM and wait."""
        if self.proc is None:
            return self.final_stats
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                self.final_stats = self.stats()
        self._kill()
        return self.final_stats

    async def astart(self) -> Self:
        return await asyncio.to_thread(self.start)

    async def astats(self) -> dict[str, Any]:
        return await self._control_async("GET", "/stats")

    async def areset(self) -> dict[str, Any]:
        return await self._control_async("POST", "/reset")

    async def astop(self) -> dict[str, Any] | None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(OSError):
                self.final_stats = await self.astats()
        await asyncio.to_thread(self._kill)
        return self.final_stats

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await self.astart()

    async def __aexit__(self, *exc: object) -> None:
        await self.astop()

    def _request_bytes(self, method: str, path: str) -> bytes:
        return (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
            "Connection: close\r\n\r\n"
        ).encode()

    def _control_sync(self, method: str, path: str) -> dict[str, Any]:
        import socket

        with socket.create_connection(("127.0.0.1", self.control_port), timeout=30) as sock:
            sock.sendall(self._request_bytes(method, path))
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return json.loads(b"".join(chunks).split(b"\r\n\r\n", 1)[1])

    async def _control_async(self, method: str, path: str) -> dict[str, Any]:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.control_port)
        try:
            writer.write(self._request_bytes(method, path))
            raw = await reader.read()
        finally:
            writer.close()
        return json.loads(raw.split(b"\r\n\r\n", 1)[1])

    def _kill(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


if __name__ == "__main__":
    main()
