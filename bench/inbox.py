"""Inbox benchmark: signed Create(Note)s posted over real HTTP by a load generator.

    python -m bench.inbox [--quick]

N activities of about 2 KB, each signed (draft-cavage rsa-sha256) by one of 100 remote actors
whose keys are already cached, are posted to a group's inbox by ``bench.loadgen`` in another
process. Reported: activities accepted per second end to end (verified, stored, answered 202),
the worker's processing rate, and — measured in the same run — the raw RSA-2048 verify rate of
one core, so the result reads as a ratio. Prints one JSON line. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import time
import uuid
from datetime import UTC, datetime

import asyncpg

from bench.common import (
    cpu_seconds,
    emit,
    free_port,
    peak_rss_mb,
    postgres,
    profiler,
    rsa_rate,
    server,
)
from bench.loadgen import run_loadgen
from federation.local import create_actor
from federation.signatures.cavage import CavageSigner
from federation.signatures.keys import generate_rsa_keypair

ACTORS = 100
AS = "https://www.w3.org/ns/activitystreams"


def _keys(count: int) -> list[tuple[str, str]]:
    with multiprocessing.get_context("spawn").Pool(os.cpu_count() or 1) as pool:
        return pool.starmap(generate_rsa_keypair, [()] * count)


def actor_uri(i: int) -> str:
    # Never contacted: their keys are cached before the run (no network at all).
    return f"https://peer{i % 10}.example/users/member{i}"


async def seed(dsn: str, keys: list[tuple[str, str]]) -> None:
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    try:
        await create_actor(pool, kind="Group", username="circle", name="Circle")
        now = datetime.now(UTC)
        async with pool.acquire() as conn:
            await conn.copy_records_to_table(
                "remote_actors",
                records=[
                    (actor_uri(i), f"peer{i % 10}.example", "Person", f"member{i}",
                     f"{actor_uri(i)}/inbox", '{}', now)
                    for i in range(len(keys))
                ],
                columns=["uri", "domain", "type", "preferred_username", "inbox", "document",
                         "fetched_at"],
            )  # fmt: skip
            await conn.copy_records_to_table(
                "remote_keys",
                records=[
                    (f"{actor_uri(i)}#main-key", actor_uri(i), public, now)
                    for i, (_, public) in enumerate(keys)
                ],
                columns=["key_id", "owner_uri", "public_key_pem", "fetched_at"],
            )
    finally:
        await pool.close()


def _signed_batch(args: tuple[int, int, str, list[tuple[str, str]]]) -> list[tuple]:
    start, stop, base_url, keys = args
    url = f"{base_url}/groups/circle/inbox"
    path = "/groups/circle/inbox"
    now = datetime.now(UTC)
    # One signer per actor: its key is parsed once, not for every request.
    signers = [
        CavageSigner(f"{actor_uri(i)}#main-key", private, lambda: now)
        for i, (private, _) in enumerate(keys)
    ]
    out = []
    for n in range(start, stop):
        i = n % len(keys)
        actor = actor_uri(i)
        note_id = f"{actor}/notes/{uuid.uuid4().hex}"
        # Public posts sent to the group's inbox without mentioning or addressing the group:
        # verified, stored and processed (parsed, authority checked, stored as posts), but
        # not relayed: relay fan-out is what bench/fanout measures, and these actors'
        # servers do not exist.
        body = json.dumps({
            "@context": AS,
            "id": f"{note_id}/activity",
            "type": "Create",
            "actor": actor,
            "to": [f"{AS}#Public"],
            "cc": [f"{actor}/followers"],
            "object": {
                "id": note_id, "type": "Note", "attributedTo": actor, "to": [f"{AS}#Public"],
                "cc": [f"{actor}/followers"], "published": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "content": "<p>" + "Thank you all for listening yesterday. " * 40 + "</p>",
            },
        }).encode()  # fmt: skip
        headers = {"Content-Type": "application/activity+json"}
        headers.update(signers[i].sign("POST", url, dict(headers), body))
        out.append(("POST", path, headers, body))
    return out


def signed_requests(count: int, base_url: str, keys: list[tuple[str, str]]) -> list[tuple]:
    """Signed before the clock starts, on every core."""
    workers = os.cpu_count() or 1
    step = -(-count // workers)
    jobs = [(s, min(count, s + step), base_url, keys) for s in range(0, count, step)]
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        return [r for batch in pool.map(_signed_batch, jobs) for r in batch]


async def processing(dsn: str, count: int, deadline: float) -> tuple[int, float]:
    conn = await asyncpg.connect(dsn)
    try:
        while time.monotonic() < deadline:
            row = await conn.fetchrow(
                "SELECT count(*) FILTER (WHERE state <> 'queued') AS done, "
                "EXTRACT(EPOCH FROM max(processed_at) - min(received_at)) AS span "
                "FROM inbox_activities"
            )
            if row["done"] >= count:
                return row["done"], float(row["span"])
            await asyncio.sleep(0.1)
        return row["done"], float(row["span"] or 0)
    finally:
        await conn.close()


def run(quick: bool, connections: int, profile: str | None = None) -> dict[str, object]:
    count = 3000 if quick else 20000
    verify_rate = rsa_rate("verify")
    keys = _keys(ACTORS)
    with postgres() as dsn:
        asyncio.run(seed(dsn, keys))
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        requests = signed_requests(count, base_url, keys)
        with server(dsn, port) as proc:
            cpu_before = cpu_seconds(proc.pid)
            with profiler(proc.pid, profile):
                report = run_loadgen(requests, f"127.0.0.1:{port}", connections)
            server_cpu = cpu_seconds(proc.pid) - cpu_before
            processed, span = asyncio.run(
                processing(dsn, count, time.monotonic() + (120 if quick else 600))
            )
            rss = peak_rss_mb(proc.pid)
    accepted = report["statuses"].get("202", 0)
    accepted_rate = accepted / report["elapsed"] if report["elapsed"] else 0.0
    return {
        "benchmark": "inbox",
        "quick": quick,
        "activities": count,
        "connections": connections,
        "accepted": accepted,
        "statuses": report["statuses"],
        "samples": report.get("samples", [])[:2],
        "seconds": round(report["elapsed"], 3),
        "accepted_per_s": round(accepted_rate, 1),
        "processed": processed,
        "processed_per_s": round(processed / span, 1) if span else 0.0,
        "rsa_verify_per_s": round(verify_rate, 1),
        "ratio": round(accepted_rate / verify_rate, 4),
        "server_cpu_s": round(server_cpu, 2),
        "loadgen_cpu_s": report.get("cpu_seconds"),
        "peak_rss_mb": round(rss, 1),
        "cpus": os.cpu_count(),
        "server_processes": int(os.environ.get("PEERHAVEN_PROCESSES", "1")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="3,000 activities; under a minute")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--profile", metavar="FILE", help="py-spy samples of the server")
    args = parser.parse_args()
    emit(run(args.quick, args.connections, args.profile))


if __name__ == "__main__":
    main()
