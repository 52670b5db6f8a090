"""An HTTP/1.1 load generator in its own process, for the inbox benchmark.

The caller signs N requests before the timed phase; this process sends them to one target over
K keep-alive connections, one request in flight per connection (no pipelining), and prints a
JSON report. It is a raw ``asyncio.Protocol`` client driven by callbacks (a response's last
byte writes the connection's next request), so it spends a few microseconds per request instead
of an aiohttp client's ~100: the generator shares two cores with the server it measures.

    python -m bench.loadgen --requests FILE --target 127.0.0.1:8080 --connections 64

FILE is a pickle (protocol 5) of a list of ``(method, path, headers, body)`` tuples, written by
``write_requests``; it is trusted input from the same user, never from the network. Each is
rendered to wire bytes (adding Host and Content-Length) and every connection is opened before
the clock starts. Requests are not retried: a request whose connection drops counts under
``errors``. A connection the server closes is reopened for the remaining work.

Report: sent, statuses {"202": n}, errors, unsent, elapsed (first send to last response, s),
rps, samples (first 5 non-202 responses: status and body), connections, reconnects,
cpu_seconds (this process, timed phase), cpu_seconds_total, peak_rss_kb.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import pickle
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from bench.sink import REPO_ROOT, cpu_seconds, parse_chunked, parse_head, peak_rss_kb

SAMPLES = 5


class HttpRequest(NamedTuple):
    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes


def write_requests(requests: Iterable[tuple[str, str, Mapping[str, str], bytes]], path: Path):
    with open(path, "wb") as f:
        pickle.dump([(m, p, dict(h), bytes(b)) for m, p, h, b in requests], f, protocol=5)


def render(request: tuple[str, str, Mapping[str, str], bytes], host: str) -> bytes:
    """Wire bytes of one request. Host and Content-Length are set here (the caller's own are
    dropped) so the framing always matches the body that is actually sent."""
    method, path, headers, body = request
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    skip = {"host", "content-length", "transfer-encoding", "connection"}
    lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() not in skip]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class _Run:
    """Shared state of one run: the work queue (an index) and the tallies."""

    def __init__(self, wires: list[bytes], host: str, port: int) -> None:
        self.wires = wires
        self.host, self.port = host, port
        self.next = 0
        self.resolved = 0  # answered or failed
        self.active = 0  # connections that may still take work
        self.reconnects = 0
        self.statuses: Counter[int] = Counter()
        self.errors: Counter[str] = Counter()
        self.samples: list[dict[str, Any]] = []
        self.waiting: list[_Client] = []  # connected before the start, not yet sent on
        self.first_send: float | None = None
        self.last_response: float | None = None
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def take(self) -> int | None:
        if self.next >= len(self.wires):
            return None
        if self.first_send is None:
            self.first_send = time.perf_counter()
        self.next += 1
        return self.next - 1

    def answered(self, status: int, body: bytes) -> None:
        self.last_response = time.perf_counter()
        self.statuses[status] += 1
        if status != 202 and len(self.samples) < SAMPLES:
            self.samples.append({"status": status, "body": body[:2000].decode("utf-8", "replace")})
        self._resolve()

    def failed(self, reason: str) -> None:
        self.errors[reason] += 1
        self._resolve()

    def retire(self) -> None:
        self.active -= 1
        self._check()

    def _resolve(self) -> None:
        self.resolved += 1
        self._check()

    def _check(self) -> None:
        everything = self.resolved == len(self.wires)
        stranded = self.active == 0 and self.resolved == self.next  # no connection left
        if (everything or stranded) and not self.done.done():
            self.done.set_result(None)

    async def connect(self) -> None:
        loop = asyncio.get_running_loop()
        self.active += 1
        try:
            await loop.create_connection(lambda: _Client(self), self.host, self.port)
        except OSError as exc:
            self.errors[f"connect: {exc.strerror or exc}"] += 1
            self.retire()


class _Client(asyncio.Protocol):
    """One keep-alive connection; one request in flight; the response's end sends the next."""

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.inflight: int | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if self.run.first_send is None:
            self.run.waiting.append(self)
        else:  # a reconnect during the run: go straight on
            self.send_next()

    def send_next(self) -> None:
        assert self.transport is not None
        index = self.run.take()
        self.inflight = index
        if index is None:
            self.transport.close()
        else:
            self.transport.write(self.run.wires[index])

    def data_received(self, data: bytes) -> None:
        self.buf += data
        response = self._parse()
        if response is None:
            return
        status, body, close = response
        self.inflight = None
        self.run.answered(status, body)
        if close:
            assert self.transport is not None
            self.transport.close()
        else:
            self.send_next()

    def _parse(self) -> tuple[int, bytes, bool] | None:
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        first, headers = parse_head(bytes(self.buf[:end]))
        start = end + 4
        if b"chunked" in headers.get(b"transfer-encoding", b"").lower():
            decoded = parse_chunked(self.buf, start)
            if decoded is None:
                return None
            body, used = decoded
        elif b"content-length" in headers:
            used = start + int(headers[b"content-length"])
            if len(self.buf) < used:
                return None
            body = bytes(self.buf[start:used])
        else:
            return None  # close-delimited: completed in connection_lost
        # No pipelining, so nothing may follow the response; drop any stray bytes.
        self.buf.clear()
        close = headers.get(b"connection", b"").lower() == b"close"
        return int(first.split(b" ", 2)[1]), body, close

    def connection_lost(self, exc: Exception | None) -> None:
        run = self.run
        if self.inflight is not None:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0 and b"HTTP/1." in self.buf[:12]:  # close-delimited response body
                run.answered(int(self.buf.split(b" ", 2)[1]), bytes(self.buf[end + 4 :]))
            else:
                run.failed("connection lost")
            self.inflight = None
        if run.next < len(run.wires) and self.run.first_send is not None:
            run.reconnects += 1
            run.active -= 1
            asyncio.get_running_loop().create_task(run.connect())
        else:
            run.retire()


async def generate(wires: list[bytes], target: str, connections: int, time_limit: float) -> dict:
    host, _, port = target.rpartition(":")
    run = _Run(wires, host, int(port))
    # Open every connection before the clock starts; the first send starts it.
    await asyncio.gather(*(run.connect() for _ in range(min(connections, len(wires)))))
    opened = run.active
    cpu0 = cpu_seconds()
    for client in run.waiting:
        if client.transport is not None and not client.transport.is_closing():
            client.send_next()
    run.waiting.clear()
    timed_out = False
    try:
        await asyncio.wait_for(asyncio.shield(run.done), time_limit)
    except TimeoutError:
        timed_out = True
    cpu1 = cpu_seconds()
    elapsed = (run.last_response or 0.0) - (run.first_send or 0.0)
    answered = sum(run.statuses.values())
    return {
        "sent": run.next,
        "statuses": {str(k): n for k, n in sorted(run.statuses.items())},
        "errors": dict(run.errors),
        "unsent": len(wires) - run.next,
        "timed_out": timed_out,
        "elapsed": round(max(elapsed, 0.0), 6),
        "rps": round(answered / elapsed, 1) if elapsed > 0 else None,
        "samples": run.samples,
        "connections": opened,
        "reconnects": run.reconnects,
        "cpu_seconds": round(cpu1 - cpu0, 4),
        "cpu_seconds_total": round(cpu1, 4),
        "peak_rss_kb": peak_rss_kb(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen")
    parser.add_argument("--requests", required=True, type=Path)
    parser.add_argument("--target", required=True, help="host:port")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--time-limit", type=float, default=600.0, help="give up after (s)")
    args = parser.parse_args(argv)
    with open(args.requests, "rb") as f:
        wires = pickle.load(f)
    # Rendered in place, so each tuple is freed as its bytes are made: half the peak memory.
    for i, request in enumerate(wires):
        wires[i] = render(request, args.target)
    report = asyncio.run(generate(wires, args.target, args.connections, args.time_limit))
    print(json.dumps(report), flush=True)


def _command(path: Path, target: str, connections: int, time_limit: float) -> list[str]:
    return [
        sys.executable, "-m", "bench.loadgen", "--requests", str(path), "--target", target,
        "--connections", str(connections), "--time-limit", str(time_limit),
    ]  # fmt: skip


def run_loadgen(
    requests: Iterable[tuple[str, str, Mapping[str, str], bytes]],
    target: str,
    connections: int = 64,
    time_limit: float = 600.0,
) -> dict[str, Any]:
    """Write ``requests``, run the generator to completion, return its report. Blocks: from
    async code (a server on the same loop) use ``arun_loadgen``."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "requests.pickle"
        write_requests(requests, path)
        done = subprocess.run(
            _command(path, target, connections, time_limit),
            cwd=REPO_ROOT, capture_output=True, timeout=time_limit + 60, check=False,
        )  # fmt: skip
    return _report(done.returncode, done.stdout, done.stderr)


async def arun_loadgen(
    requests: Iterable[tuple[str, str, Mapping[str, str], bytes]],
    target: str,
    connections: int = 64,
    time_limit: float = 600.0,
) -> dict[str, Any]:
    """``run_loadgen`` without blocking the event loop."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "requests.pickle"
        await asyncio.to_thread(write_requests, requests, path)
        proc = await asyncio.create_subprocess_exec(
            *_command(path, target, connections, time_limit),
            cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            stdout, stderr = await asyncio.wait_for(proc.communicate(), time_limit + 60)
        finally:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
    return _report(proc.returncode, stdout, stderr)


def _report(returncode: int | None, stdout: bytes, stderr: bytes) -> dict[str, Any]:
    if returncode != 0:
        raise RuntimeError(f"loadgen exited {returncode}: {stderr.decode()[-2000:]}")
    return json.loads(stdout)


if __name__ == "__main__":
    main()
