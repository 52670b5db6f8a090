"""Three PeerHaven servers on 127.0.0.1: a group on A, members on B and C. A post from B that
mentions the group reaches C as the group's Announce; the author's Delete takes it back from
C; a moderator's removal on A reaches C as Undo(Announce) and the post leaves A's outbox."""

from __future__ import annotations

import signal

import httpx

from tests.federation.test_two_servers import Instance, wait_for
from tests.processes import clean_env, free_port, start_server, stop_server, wait_healthy
from tests.rig import create_database, drop_database

ANNOUNCE_OF = (
    "SELECT payload->>'id' FROM inbox_activities WHERE type = 'Announce' "
    "AND actor_uri = $1 AND payload->>'object' = $2 AND state = 'done'"
)
ACCEPTED = "SELECT 1 FROM follows WHERE follower_uri = $1 AND state = 'accepted'"
UNDO_OF = (
    "SELECT 1 FROM inbox_activities WHERE type = 'Undo' AND actor_uri = $1 "
    "AND payload->'object'->>'id' = $2 AND state = 'done'"
)


async def test_group_on_a_members_on_b_and_c(
    pg_server_dsn: str, template_database: str, tmp_path: object
) -> None:
    made = []
    for name in ("a", "b", "c"):
        db_name, dsn = await create_database(pg_server_dsn, template_database)
        port = free_port()
        env = clean_env(
            DATABASE_URL=dsn, PEERHAVEN_BASE_URL=f"http://127.0.0.1:{port}",
            PEERHAVEN_ALLOW_PRIVATE_ADDRESSES="true", PEERHAVEN_LOG_LEVEL="warning",
        )  # fmt: skip
        made.append((db_name, Instance(port, dsn, env, tmp_path / name)))  # type: ignore[operator]
    a, b, c = (instance for _, instance in made)
    servers = []
    try:
        group = a.cli("group", "create", "support", "--name", "Support Circle")
        sam = b.cli("user", "create", "sam")
        cleo = c.cli("user", "create", "cleo")
        servers = [start_server(i.data_dir, i.port, i.env) for i in (a, b, c)]
        for server, instance in zip(servers, (a, b, c), strict=True):
            wait_healthy(server, instance.port)
        b.cli("user", "follow", "sam", group)
        c.cli("user", "follow", "cleo", group)
        for member, instance in ((sam, b), (cleo, c)):
            await wait_for(instance.dsn, ACCEPTED, member)

        # B's post reaches C as the group's Announce.
        first = b.cli("post", "sam", "hello everyone", "--group", group)
        announce_id = await wait_for(c.dsn, ANNOUNCE_OF, group, first)
        # The author deletes it: the group takes its Announce back from C.
        b.cli("post", "sam", "--delete", first)
        await wait_for(c.dsn, UNDO_OF, group, announce_id)

        # A moderator removes another post: Undo(Announce) on C, gone from A's outbox.
        second = b.cli("post", "sam", "second post", "--group", group)
        second_announce = await wait_for(c.dsn, ANNOUNCE_OF, group, second)
        assert a.cli("group", "remove", "support", second) == f"removed: {second}"
        await wait_for(c.dsn, UNDO_OF, group, second_announce)
        async with httpx.AsyncClient(headers={"Accept": "application/activity+json"}) as http:
            outbox = (await http.get(f"{group}/outbox")).json()
            page = (await http.get(outbox["first"])).json()
            note = await http.get(second)
            gone = await http.get(first)
        assert outbox["totalItems"] == 0 and page["orderedItems"] == []
        assert note.status_code == 200 and note.json()["attributedTo"] == sam
        assert gone.status_code == 410 and gone.json()["type"] == "Tombstone"
    finally:
        for server, instance in zip(servers, (a, b, c), strict=False):
            if server.poll() is None:
                stop_server(server, signal.SIGTERM, instance.data_dir)
        for db_name, _ in made:
            await drop_database(pg_server_dsn, db_name)
