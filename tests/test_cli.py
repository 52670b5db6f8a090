"""The ``peerhaven`` command as an operator runs it: real processes, real signals."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import psutil
import pytest

from tests.processes import (
    clean_env,
    free_port,
    peerhaven,
    postgres_processes,
    start_server,
    stop_server,
    wait_healthy,
)


def assert_one_error_line(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("peerhaven: error: ")
    assert fragment in lines[0]


def test_version() -> None:
    result = peerhaven("version")
    assert result.returncode == 0
    assert result.stdout.startswith("peerhaven ")


def test_unparseable_base_url(tmp_path: Path) -> None:
    result = peerhaven("serve", "--base-url", "ht!tp://nope", "--data-dir", str(tmp_path))
    assert_one_error_line(result, "base URL")


def test_unreachable_database_url(tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL=f"postgresql://u:secret@127.0.0.1:{free_port()}/x")
    result = peerhaven("serve", "--port", str(free_port()), "--data-dir", str(tmp_path), env=env)
    assert_one_error_line(result, "cannot reach PostgreSQL")
    assert "secret" not in result.stderr


def test_data_dir_that_cannot_be_written(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = peerhaven("serve", "--data-dir", str(blocker / "data"))
    assert_one_error_line(result, "cannot be written")


def test_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = peerhaven("serve", "--port", str(port), "--data-dir", str(tmp_path))
    assert_one_error_line(result, "port is in use")


def test_migrate_on_embedded_database(tmp_path: Path) -> None:
    first = peerhaven("migrate", "--data-dir", str(tmp_path))
    assert first.returncode == 0, first.stderr
    assert "applied 0001_" in first.stdout
    second = peerhaven("migrate", "--data-dir", str(tmp_path))
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "database schema is up to date"
    assert not postgres_processes(tmp_path)


# --- the server process: start on the embedded default, stop on a signal, start again ----


def embedded_dsn(data_dir: Path) -> str:
    # postmaster.pid: line 4 is the port, line 5 the socket directory (PostgreSQL docs, 66.2).
    lines = (data_dir / "postgres" / "postmaster.pid").read_text().splitlines()
    return f"postgresql://postgres@/postgres?host={lines[4]}&port={lines[3]}"


@pytest.fixture
def server_dir(tmp_path: Path) -> Iterator[Path]:
    data_dir = tmp_path / "data"
    yield data_dir
    for proc in postgres_processes(data_dir):  # never leave a postgres behind a failed test
        proc.kill()


async def _write_marker(dsn: str, value: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO instance_settings (key, value) VALUES ('marker', to_jsonb($1::text))",
            value,
        )
    finally:
        await conn.close()


async def _read_marker(dsn: str) -> str | None:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(
            "SELECT value #>> '{}' FROM instance_settings WHERE key = 'marker'"
        )
    finally:
        await conn.close()


def test_serve_stops_on_signals_and_keeps_its_data(server_dir: Path) -> None:
    port = free_port()
    proc = start_server(server_dir, port)
    wait_healthy(proc, port)
    asyncio.run(_write_marker(embedded_dsn(server_dir), "left behind"))
    assert stop_server(proc, signal.SIGINT, server_dir) < 10

    proc = start_server(server_dir, port)
    wait_healthy(proc, port)
    assert asyncio.run(_read_marker(embedded_dsn(server_dir))) == "left behind"
    assert stop_server(proc, signal.SIGTERM, server_dir) < 10


def test_group_create_and_list(database_url: str, tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL=database_url, PEERHAVEN_BASE_URL="https://support.example.org")
    created = peerhaven(
        "group", "create", "anxiety-circle", "--name", "Anxiety Circle", "--approval",
        "--data-dir", str(tmp_path), env=env,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "https://support.example.org/groups/anxiety-circle"
    listed = peerhaven("group", "list", "--data-dir", str(tmp_path), env=env)
    assert listed.stdout.split("\t")[:3] == [
        "@anxiety-circle@support.example.org",
        "https://support.example.org/groups/anxiety-circle",
        "Anxiety Circle",
    ]
    assert "(approval)" in listed.stdout
    again = peerhaven(
        "group", "create", "anxiety-circle", "--name", "Again", "--data-dir", str(tmp_path),
        env=env,
    )  # fmt: skip
    assert_one_error_line(again, "already taken")
    bad = peerhaven(
        "group", "create", "Bad Slug!", "--name", "x", "--data-dir", str(tmp_path), env=env
    )
    assert_one_error_line(bad, "not a valid name")


def test_serve_with_two_processes_shares_the_port_and_stops_both(server_dir: Path) -> None:
    port = free_port()
    env = clean_env(PEERHAVEN_PROCESSES="2")
    proc = start_server(server_dir, port, env)
    wait_healthy(proc, port)
    children = [
        c for c in psutil.Process(proc.pid).children() if "--inherit-fd" in " ".join(c.cmdline())
    ]
    assert len(children) == 1
    for _ in range(4):  # both processes accept on the one socket; all answer
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
    assert stop_server(proc, signal.SIGTERM, server_dir) < 10
    assert not children[0].is_running() or children[0].status() == psutil.STATUS_ZOMBIE
