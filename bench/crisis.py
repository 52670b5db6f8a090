"""Crisis response benchmark: how long from an urgent post's arrival at a group's inbox to
the group's message with crisis lines arriving at the author's inbox (issue #8: "within
5 s").

    python -m bench.crisis [--posts 30]

A real ``peerhaven serve`` (its inbox worker and delivery engine running as in production,
not stepped) on a fresh migrated PostgreSQL (embedded, or a new database on
``DATABASE_URL``'s server) with a group, a crisis line for its country and the author's
actor and key cached (the author's server is an inbox on 127.0.0.1 that records when each
request arrives). ``--posts`` signed urgent posts (five languages in turn) are sent one after
another; each waits for its message before the next. Reported: milliseconds from sending the
post to the message's arrival (median, p95, max), and the same from the server's own record
(``inbox_activities.received_at`` to ``crisis_events.message_at``: queued with the hold).
Speed is measured, not asserted: the exit status is non-zero only when something is wrong (a
message missing, or in the wrong language). A summary goes to stderr, one JSON line to
stdout. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime

import aiohttp
import asyncpg
from aiohttp import web

from bench.common import emit, free_port, postgres, server
from federation.local import create_actor
from federation.signatures.cavage import CavageSigner
from federation.signatures.keys import generate_rsa_keypair
from storage import resources

AS = "https://www.w3.org/ns/activitystreams"
URGENT = [
    ("es", "Tengo un plan y esta noche voy a acabar con todo", "Gracias"),
    ("en", "I have a plan and I am going to end it tonight", "Thank you"),
    ("de", "Ich habe einen Plan und heute Nacht bringe ich mich um", "Danke"),
    ("fr", "J'ai un plan, ce soir je vais me tuer", "Merci"),
    ("pt", "Eu tenho um plano e hoje à noite vou me matar", "Obrigado"),
]


class Inbox:
    """The author's server: records the arrival time of each activity by its object's
    ``inReplyTo`` (the post it answers)."""

    def __init__(self) -> None:
        self.arrived: dict[str, tuple[float, str]] = {}
        self.events: dict[str, asyncio.Event] = {}

    async def handle(self, request: web.Request) -> web.Response:
        now = time.perf_counter()
        doc = json.loads(await request.read())
        obj = doc.get("object")
        if isinstance(obj, dict) and obj.get("inReplyTo"):
            self.arrived[obj["inReplyTo"]] = (now, obj.get("content", ""))
            self.events.setdefault(obj["inReplyTo"], asyncio.Event()).set()
        return web.Response(status=202)


async def seed(dsn: str, actor: str, inbox: str, public_pem: str) -> None:
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    try:
        await create_actor(pool, kind="Group", username="circle", name="Circle")
        now = datetime.now(UTC)
        await pool.execute(
            "INSERT INTO remote_actors (uri, domain, type, preferred_username, inbox, document, "
            "fetched_at) VALUES ($1, $2, 'Person', 'sam', $3, '{}', $4)",
            actor, actor.split("/")[2], inbox, now,
        )  # fmt: skip
        await pool.execute(
            "INSERT INTO remote_keys (key_id, owner_uri, public_key_pem, fetched_at) "
            "VALUES ($1, $2, $3, $4)",
            f"{actor}#main-key", actor, public_pem, now,
        )  # fmt: skip
        await resources.add_many(pool, [
            {"country": "ES", "name": "Línea 024", "kind": "crisis_line", "phone": "024",
             "languages": [lang for lang, _, _ in URGENT]},
        ])  # fmt: skip
    finally:
        await pool.close()


def signed_post(
    signer: CavageSigner, actor: str, group: str, text: str, lang: str
) -> tuple[str, bytes, dict[str, str]]:
    note_id = f"{actor}/notes/{uuid.uuid4().hex}"
    body = json.dumps({
        "@context": AS, "id": f"{note_id}/activity", "type": "Create", "actor": actor,
        "to": [f"{AS}#Public"], "cc": [group],
        "object": {
            "id": note_id, "type": "Note", "attributedTo": actor, "to": [f"{AS}#Public"],
            "cc": [group], "contentMap": {lang: f"<p>{text}</p>"},
            "content": f"<p>{text}</p>", "tag": [{"type": "Mention", "href": group}],
        },
    }).encode()  # fmt: skip
    url = f"{group}/inbox"
    headers = {"Content-Type": "application/activity+json"}
    headers.update(signer.sign("POST", url, dict(headers), body))
    return note_id, body, headers


async def run_posts(base_url: str, inbox: Inbox, actor: str, private: str, count: int) -> dict:
    group = f"{base_url}/groups/circle"
    signer = CavageSigner(f"{actor}#main-key", private, lambda: datetime.now(UTC))
    waits, wrong = [], 0
    async with aiohttp.ClientSession() as http:
        for n in range(count):
            lang, text, greeting = URGENT[n % len(URGENT)]
            note_id, body, headers = signed_post(signer, actor, group, text, lang)
            event = inbox.events.setdefault(note_id, asyncio.Event())
            sent = time.perf_counter()
            async with http.post(f"{group}/inbox", data=body, headers=headers) as resp:
                if resp.status != 202:
                    raise RuntimeError(f"post refused: {resp.status} {await resp.text()}")
            await asyncio.wait_for(event.wait(), 30)
            arrived, content = inbox.arrived[note_id]
            wrong += greeting not in content
            waits.append((arrived - sent) * 1000)
    return {"waits": waits, "wrong_language": wrong}


async def recorded(dsn: str) -> list[float]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT extract(epoch FROM message_at - arrived_at) * 1000 AS ms FROM crisis_events"
        )
    finally:
        await conn.close()
    return [float(r["ms"]) for r in rows]


async def main_async(dsn: str, port: int, count: int) -> dict[str, object]:
    inbox = Inbox()
    app = web.Application()
    app.router.add_post("/users/sam/inbox", inbox.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    sink_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", sink_port).start()
    actor = f"http://127.0.0.1:{sink_port}/users/sam"
    private, public = generate_rsa_keypair()
    try:
        await seed(dsn, actor, f"{actor}/inbox", public)
        with server(dsn, port, extra_env={"PEERHAVEN_DEFAULT_COUNTRY": "ES"}):
            result = await run_posts(f"http://127.0.0.1:{port}", inbox, actor, private, count)
            stored = await recorded(dsn)
    finally:
        await runner.cleanup()
    waits = sorted(result["waits"])
    return {
        "benchmark": "crisis", "posts": count, "messages": len(waits),
        "wrong_language": result["wrong_language"],
        "post_to_message_ms": _summary(waits), "arrival_to_queued_ms": _summary(sorted(stored)),
    }  # fmt: skip


def _summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return {"median": round(statistics.median(values), 1), "p95": round(p95, 1),
            "max": round(values[-1], 1)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=30)
    args = parser.parse_args()
    with postgres() as dsn:
        result = asyncio.run(main_async(dsn, free_port(), args.posts))
    waits = result["post_to_message_ms"]
    print(f"crisis: {result['messages']}/{args.posts} messages; post to message "
          f"median {waits.get('median')} ms, p95 {waits.get('p95')} ms, max {waits.get('max')} ms",
          file=sys.stderr)  # fmt: skip
    emit(result)
    if result["messages"] != args.posts or result["wrong_language"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
