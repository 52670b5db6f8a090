"""Fixtures of the group tests: a group ``circle`` on the live server, a Mastodon and a
Lemmy peer with a member each, the live server's admin API, a second PeerHaven on
127.0.0.2 (``server_b``), and the anonymous-submission rig (``rig``,
``anonymous_rig.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from federation.local import create_actor
from server.api.auth import hash_token
from storage import tokens
from tests.conftest import LiveServer, start_live_server
from tests.federation.anonymous_rig import rig  # noqa: F401 (a fixture)
from tests.federation.group_rig import API, Members, post
from tests.peer import Peer
from tests.rig import create_database, drop_database


@pytest.fixture
async def group_url(live_server: LiveServer) -> str:
    await create_actor(live_server.pool, kind="Group", username="circle", name="Circle")
    return f"{live_server.base_url}/groups/circle"


@pytest.fixture
async def servers() -> AsyncIterator[tuple[Peer, Peer]]:
    """Two more peers: a Mastodon server (localhost) and a Lemmy one (127.0.0.2), as their
    NodeInfo says."""
    mastodon = await Peer("localhost", software="mastodon").start()
    lemmy = await Peer("127.0.0.2", software="lemmy").start()
    try:
        yield mastodon, lemmy
    finally:
        await mastodon.close()
        await lemmy.close()


@pytest.fixture
async def members(live_server: LiveServer, group_url: str, servers: tuple[Peer, Peer]) -> Members:
    """alice on the Mastodon server and carol on the Lemmy one, both members of the group."""
    mastodon, lemmy = servers
    alice, carol = mastodon.add_actor("alice"), lemmy.add_actor("carol")
    await post(live_server, mastodon, group_url, mastodon.follow(alice, group_url), alice)
    await post(live_server, lemmy, group_url, lemmy.follow(carol, group_url), carol)
    return mastodon, lemmy, alice, carol


@pytest.fixture
async def api(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    """The admin API of the live server, as the admin ``ada``."""
    staff = await create_actor(
        live_server.pool, kind="Person", username="ada", name="Ada", role="admin"
    )
    await tokens.add(live_server.pool, hash_token("ada-token"), staff.id)
    headers = {"Authorization": "Bearer ada-token"}
    async with httpx.AsyncClient(base_url=live_server.base_url + API, headers=headers) as http:
        yield http


@pytest.fixture
async def server_b(
    pg_server_dsn: str, template_database: str, tmp_path: Path
) -> AsyncIterator[LiveServer]:
    """A second PeerHaven on another host (127.0.0.2), with its own database."""
    name, dsn = await create_database(pg_server_dsn, template_database)
    try:
        async with start_live_server(dsn, tmp_path / "b", host="127.0.0.2") as server:
            yield server
    finally:
        await drop_database(pg_server_dsn, name)
