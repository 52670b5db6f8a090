"""Shared pieces of the benchmarks: a PostgreSQL, a PeerHaven server process, RSA rates.

Everything runs on this machine and talks to loopback addresses only.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from storage.embedded import EmbeddedPostgres
from storage.migrate import migrate

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def postgres() -> Iterator[str]:
    """A migrated database: on ``DATABASE_URL``'s server when set, else an embedded one."""
    external = os.environ.get("DATABASE_URL")
    with tempfile.TemporaryDirectory(prefix="peerhaven-bench-") as tmp:
        embedded = None if external else EmbeddedPostgres(Path(tmp) / "postgres")
        admin = external or embedded.start()  # type: ignore[union-attr]
        name = f"peerhaven_bench_{os.getpid()}"
        dsn = _with_db(admin, name)
        asyncio.run(_create(admin, name))
        try:
            asyncio.run(migrate(dsn))
            yield dsn
        finally:
            asyncio.run(_drop(admin, name))
            if embedded is not None:
                embedded.stop()


def _with_db(dsn: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    return urlunsplit(urlsplit(dsn)._replace(path=f"/{name}"))


async def _create(admin: str, name: str) -> None:
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _drop(admin: str, name: str) -> None:
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def _env(dsn: str, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": dsn,
        "PEERHAVEN_BASE_URL": f"http://127.0.0.1:{port}",
        "PEERHAVEN_ALLOW_PRIVATE_ADDRESSES": "true",
        "PEERHAVEN_LOG_LEVEL": "warning",
    }


@contextmanager
def workers(dsn: str, port: int, count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` ``peerhaven worker`` processes beside the server (sharing its database)."""
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="peerhaven-bench-worker-") as data:
        try:
            for _ in range(count):
                command = [sys.executable, "-m", "server.cli", "worker", "--data-dir", data]
                procs.append(
                    subprocess.Popen(
                        command,
                        env=_env(dsn, port),
                        cwd=REPO,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                )
            time.sleep(1.5 if count else 0)  # connected and listening before the post
            yield procs
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()


@contextmanager
def server(
    dsn: str, port: int, *, log: Path | None = None, extra_env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """``peerhaven serve`` on 127.0.0.1:PORT against ``dsn``, allowed to reach loopback
    (``extra_env``: more settings)."""
    env = {**_env(dsn, port), **(extra_env or {})}
    out = open(log, "wb") if log else subprocess.DEVNULL
    with tempfile.TemporaryDirectory(prefix="peerhaven-bench-data-") as data:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--port", str(port), "--data-dir", data],
            env=env, cwd=REPO, stdout=out, stderr=out,
        )  # fmt: skip
        try:
            _wait_healthy(proc, port)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
            if log:
                out.close()  # type: ignore[union-attr]


def _wait_healthy(proc: subprocess.Popen[bytes], port: int) -> None:
    import urllib.request

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the server exited during start-up")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not become healthy")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory of a process (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


# --- raw RSA-2048 rates, measured in the same run ---------------------------------------


def _rate(kind: str, seconds: float) -> float:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    message = b"(request-target): post /inbox\nhost: example.org\ndate: x\ndigest: y"
    signature = key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    public = key.public_key()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        if kind == "sign":
            key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        else:
            public.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        count += 1
    return count / (time.perf_counter() - start)


def rsa_rate(kind: str, *, processes: int = 1, seconds: float = 2.0) -> float:
    """RSA-2048 PKCS#1 v1.5 SHA-256 operations per second over ``processes`` cores."""
    if processes == 1:
        return _rate(kind, seconds)
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        return sum(pool.starmap(_rate, [(kind, seconds)] * processes))


def emit(result: dict[str, object]) -> None:
    """The final JSON line every benchmark prints."""
    print(json.dumps(result, sort_keys=True), flush=True)


@contextmanager
def profiler(pid: int, output: str | None) -> Iterator[None]:
    """``--profile FILE``: py-spy (when installed) samples the server during the fan-out."""
    if not output:
        yield
        return
    spy = subprocess.Popen(
        ["py-spy", "record", "--pid", str(pid), "--output", output, "--format", "raw",
         "--rate", "200", "--nonblocking"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1.0)  # let it attach
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=30)
