"""Two PeerHaven servers, two processes, two databases: a Person on A follows a Group on B.

Everything crosses real HTTP on 127.0.0.1: A's Follow is signed by the Person and verified by
B (fetching the Person's key from A); B's Accept is signed by the Group and verified by A.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from tests.processes import (
    clean_env,
    free_port,
    peerhaven,
    start_server,
    stop_server,
    wait_healthy,
)
from tests.rig import create_database, drop_database

WAIT_SECONDS = 30.0


@dataclass
class Instance:
    port: int
    dsn: str
    env: dict[str, str]
    data_dir: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str) -> str:
        result = peerhaven(*args, env=self.env)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()


@pytest.fixture
async def two_instances(
    pg_server_dsn: str, template_database: str, tmp_path: Path
) -> AsyncIterator[tuple[Instance, Instance]]:
    made: list[tuple[str, Instance]] = []
    for name in ("a", "b"):
        db_name, dsn = await create_database(pg_server_dsn, template_database)
        port = free_port()
        env = clean_env(
            DATABASE_URL=dsn,
            PEERHAVEN_BASE_URL=f"http://127.0.0.1:{port}",
            PEERHAVEN_ALLOW_PRIVATE_ADDRESSES="true",
            PEERHAVEN_LOG_LEVEL="warning",
        )
        made.append((db_name, Instance(port, dsn, env, tmp_path / name)))
    try:
        yield made[0][1], made[1][1]
    finally:
        for db_name, _ in made:
            await drop_database(pg_server_dsn, db_name)


async def wait_for(dsn: str, query: str, *args: object) -> object:
    """Poll another process's database until ``query`` returns a value (the servers run their
    own workers; this test only observes them)."""
    deadline = time.monotonic() + WAIT_SECONDS
    conn = await asyncpg.connect(dsn)
    try:
        while time.monotonic() < deadline:
            value = await conn.fetchval(query, *args)
            if value:
                return value
            await asyncio.sleep(0.2)
    finally:
        await conn.close()
    raise AssertionError(f"timed out waiting for: {query}")


async def test_person_on_a_follows_group_on_b(two_instances: tuple[Instance, Instance]) -> None:
    a, b = two_instances
    group_url = b.cli("group", "create", "support", "--name", "Support Circle")
    assert group_url == f"{b.base_url}/groups/support"
    person_url = a.cli("user", "create", "sam", "--name", "Sam")
    assert person_url == f"{a.base_url}/users/sam"

    servers = [start_server(i.data_dir, i.port, i.env) for i in (a, b)]
    try:
        for server, instance in zip(servers, (a, b), strict=True):
            wait_healthy(server, instance.port)
        assert "follow pending" in a.cli("user", "follow", "sam", group_url)

        await wait_for(
            a.dsn,
            "SELECT 1 FROM follows WHERE follower_uri = $1 AND followee_uri = $2 "
            "AND state = 'accepted'",
            person_url,
            group_url,
        )
        # B verified A's signed Follow, and A verified B's signed Accept.
        follow = await wait_for(
            b.dsn,
            "SELECT verified_by || ' ' || signer_key_id FROM inbox_activities "
            "WHERE type = 'Follow' AND state = 'done'",
        )
        assert follow == f"http-signature {person_url}#main-key"
        accept = await wait_for(
            a.dsn,
            "SELECT verified_by || ' ' || signer_key_id FROM inbox_activities "
            "WHERE type = 'Accept' AND state = 'done'",
        )
        assert accept == f"http-signature {group_url}#main-key"
        assert (
            await wait_for(b.dsn, "SELECT state FROM follows WHERE follower_uri = $1", person_url)
            == "accepted"
        )
        delivered = await wait_for(b.dsn, "SELECT sum(delivered) FROM delivery_hosts")
        assert delivered == 1
    finally:
        for server, instance in zip(servers, (a, b), strict=True):
            if server.poll() is None:
                stop_server(server, signal.SIGTERM, instance.data_dir)
