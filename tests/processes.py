"""Running ``peerhaven`` as real processes: free ports, environments, start, wait, stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from tests.corpus import REPO_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any database setting, so ``serve`` uses the embedded one."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
    env.update(extra)
    return env


def cli_env(database_url: str, base_url: str, **extra: str) -> dict[str, str]:
    """For a CLI command working on a test server's database, as that server."""
    return clean_env(DATABASE_URL=database_url, PEERHAVEN_BASE_URL=base_url, **extra)


def peerhaven(
    *args: str, env: dict[str, str] | None = None, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env or clean_env(),
        cwd=REPO_ROOT,
        input=input,
    )


def postgres_processes(data_dir: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if proc.info["name"] == "postgres" and str(data_dir) in cmdline:
            found.append(proc)
    return [p for p in found if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def start_server(
    data_dir: Path, port: int, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(port),
         "--data-dir", str(data_dir)],
        env=env or clean_env(), cwd=REPO_ROOT, text=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def wait_healthy(proc: subprocess.Popen[str], port: int) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            stderr = proc.stderr.read() if proc.stderr else ""
            raise AssertionError(f"server exited early: {stderr}")
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            if response.status_code == 200:
                assert response.json()["database"] == "ok"
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("server did not become healthy")


def stop_server(proc: subprocess.Popen[str], sig: signal.Signals, data_dir: Path) -> float:
    started = time.monotonic()
    proc.send_signal(sig)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    stderr = proc.stderr.read() if proc.stderr else ""
    assert "Traceback" not in stderr
    # postgres may take a moment to reap its last children after pg_ctl stop returned.
    deadline = time.monotonic() + 5
    while postgres_processes(data_dir) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not postgres_processes(data_dir), "a postgres process outlived the server"
    return elapsed
