"""/metrics, the admin API's delivery report and ``peerhaven deliveries``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from bench.sink import SinkFleet, SinkHost
from federation.local import create_actor
from storage.actors import LocalActor
from tests.conftest import LiveServer
from tests.delivery_rig import add_followers, post_as
from tests.peer import Peer
from tests.processes import clean_env, peerhaven


@pytest.fixture
async def sent(live_server: LiveServer) -> AsyncIterator[tuple[LocalActor, SinkHost, SinkHost]]:
    group = await create_actor(live_server.pool, kind="Group", username="circle", name="Circle")
    ok, down = SinkHost("127.0.1.1"), SinkHost("127.0.1.2", down=True)
    async with SinkFleet() as fleet:
        await fleet.start([ok, down])
        for host in (ok, down):
            await add_followers(
                live_server.pool, f"{live_server.base_url}/groups/circle", host, 2,
                shared_inbox=False,
            )  # fmt: skip
        await post_as(live_server.federation, group, "hello")
        await live_server.app.state.delivery_engine.run_once()
        yield group, ok, down


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in /metrics")


async def test_metrics(live_server: LiveServer, peer: Peer, sent: object) -> None:
    # One refused inbox POST, so the rejected counter has a reason.
    await peer.post(f"{live_server.base_url}/inbox", b"not json", actor=peer.actors["alice"])
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"{live_server.base_url}/metrics")).text
    assert metric(text, "peerhaven_deliveries_sent_total") == 2
    assert metric(text, "peerhaven_deliveries_retried_total") == 1
    assert metric(text, "peerhaven_delivery_queue_hosts") == 1
    assert metric(text, "peerhaven_delivery_lag_seconds") >= 0
    assert 'peerhaven_inbox_rejected_total{reason="invalid_json"} 1' in text
    assert "# TYPE peerhaven_inbox_accepted_total counter" in text


async def test_admin_deliveries_needs_the_token(live_server: LiveServer, sent: object) -> None:
    url = f"{live_server.base_url}/api/admin/deliveries"
    async with httpx.AsyncClient() as http:
        assert (await http.get(url)).status_code == 404  # no token configured: off
        live_server.app.state.settings = replace(
            live_server.app.state.settings, admin_token="s3cret"
        )
        assert (await http.get(url)).status_code == 401
        wrong = await http.get(url, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        report = (await http.get(url, headers={"Authorization": "Bearer s3cret"})).json()
    ok = next(h for h in report["hosts"] if h["host"].startswith("127.0.1.1:"))
    down = next(h for h in report["hosts"] if h["host"].startswith("127.0.1.2:"))
    assert (ok["delivered"], ok["backlog"], ok["failures"]) == (2, 0, 0)
    assert (down["delivered"], down["backlog"], down["failures"]) == (0, 1, 1)
    assert "connect_failed" in down["last_error"]
    assert report["backlog"] == 1 and report["unreachable"] == []


def test_deliveries_command(database_url: str, tmp_path: Path, sent: object) -> None:
    env = clean_env(DATABASE_URL=database_url)
    table = peerhaven("deliveries", "--data-dir", str(tmp_path), env=env)
    assert table.returncode == 0, table.stderr
    assert (
        "failing x1" in table.stdout and "2 hosts, 1 activities owed, 0 unreachable" in table.stdout
    )
    as_json = peerhaven("deliveries", "--json", "--data-dir", str(tmp_path), env=env)
    rows = json.loads(as_json.stdout)
    assert sorted(r["delivered"] for r in rows) == [0, 2]
