"""The benchmark tools themselves: the loopback inbox fleet and the load generator, on real
loopback sockets (addresses in 127.0.1.0/24 and up, ephemeral ports so runs never collide)."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from bench.loadgen import arun_loadgen, run_loadgen
from bench.sink import (
    SinkFleet,
    SinkHost,
    SinkProcess,
    loopback_addresses,
    make_hosts,
    read_request,
)

CONTEXT = ["https://www.w3.org/ns/activitystreams", {"id": "@id", "sensitive": "as:sensitive"}]


def activity(n: int, *, actor: str = "https://a.example/u/1") -> bytes:
    # @context first and a nested object "id" before the top-level one: a naive "first id"
    # scan would pick the wrong value.
    return json.dumps(
        {
            "@context": CONTEXT,
            "object": {"id": f"https://a.example/note/{n}", "type": "Note"},
            "id": f"https://a.example/act/{n}",
            "type": "Create",
            "actor": actor,
        }
    ).encode()


def act_id(n: int) -> str:
    return f"https://a.example/act/{n}"


SIGNED = {"Signature": 'keyId="k",signature="abc=="', "Date": "Tue, 01 Jan 2030 00:00:00 GMT",
          "Digest": "SHA-256=xyz=", "Content-Type": "application/activity+json"}  # fmt: skip


async def post(session: aiohttp.ClientSession, url: str, n: int) -> int:
    async with session.post(url, data=activity(n), headers=SIGNED) as response:
        return response.status


async def test_sink_accepts_and_records() -> None:
    async with SinkFleet() as fleet, aiohttp.ClientSession() as session:
        await fleet.start([SinkHost("127.0.1.21")])
        host = fleet.hosts[0]
        assert host.port != 0
        assert [await post(session, host.url("/users/g/inbox"), n) for n in (1, 2)] == [202, 202]
        first = fleet.records[0]
        assert (first.host, first.method, first.path) == (host.key, "POST", "/users/g/inbox")
        assert first.activity_id == act_id(1)
        assert (first.signature, first.date, first.digest) == (
            SIGNED["Signature"], SIGNED["Date"], SIGNED["Digest"],
        )  # fmt: skip
        assert first.status == 202 and first.answered_at is not None
        assert fleet.received(host) == [act_id(1), act_id(2)]
        assert fleet.received("127.0.1.21") == [act_id(1), act_id(2)]
        counters = fleet.counters[host.key]
        assert counters.requests == 2 and counters.statuses[202] == 2
        assert counters.connections == 1  # aiohttp kept the connection alive
        stats = fleet.stats()
        assert stats["total"] == 2 and stats["distinct"] == 2 and stats["duplicates"] == 0


async def test_chunked_request_body() -> None:
    async with SinkFleet() as fleet:
        await fleet.start([SinkHost("127.0.1.22")])
        host = fleet.hosts[0]
        body = activity(7)
        parts = (body[:10], body[10:])
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"
        reader, writer = await asyncio.open_connection(host.address, host.port)
        head = b"POST /inbox HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        # Twice on one connection, the second split across writes: keep-alive framing holds.
        writer.write(head + chunks + head + chunks[:25])
        await writer.drain()
        writer.write(chunks[25:])
        replies = b""
        while replies.count(b"202 Accepted") < 2:
            replies += await asyncio.wait_for(reader.read(4096), 2)
        writer.close()
        assert fleet.received(host) == [act_id(7), act_id(7)]
        assert fleet.duplicates() == {(host.key, "/inbox", act_id(7)): 2}


async def test_fail_first_then_succeeds_with_retry_after() -> None:
    async with SinkFleet() as fleet, aiohttp.ClientSession() as session:
        await fleet.start([SinkHost("127.0.1.23", fail_first=2, retry_after="120")])
        url = fleet.hosts[0].url()
        seen = []
        for _ in range(3):
            async with session.post(url, data=activity(1)) as response:
                seen.append((response.status, response.headers.get("Retry-After")))
        assert seen == [(503, "120"), (503, "120"), (202, None)]
        # Retries after a failure are not duplicates; only the accepted delivery counts.
        assert fleet.duplicates() == {}
        assert fleet.received(fleet.hosts[0], accepted_only=True) == [act_id(1)]
        assert fleet.stats()["statuses"] == {"202": 1, "503": 2}


async def test_gone_paths_answer_410() -> None:
    host = SinkHost("127.0.1.24", gone_paths=frozenset({"/users/left/inbox"}), fail_first=1)
    async with SinkFleet() as fleet, aiohttp.ClientSession() as session:
        await fleet.start([host])
        assert await post(session, host.url("/users/left/inbox"), 1) == 410
        # The 410 did not use up the injected failure.
        assert await post(session, host.url("/users/here/inbox"), 2) == 503
        assert await post(session, host.url("/users/here/inbox"), 2) == 202


async def test_delay_does_not_hold_up_other_hosts() -> None:
    slow, fast = SinkHost("127.0.1.25", delay=0.2), SinkHost("127.0.1.26")
    async with SinkFleet() as fleet, aiohttp.ClientSession() as session:
        await fleet.start([slow, fast])

        async def timed(url: str) -> float:
            start = time.perf_counter()
            assert await post(session, url, 1) == 202
            return time.perf_counter() - start

        slow_task = asyncio.create_task(timed(slow.url()))
        await asyncio.sleep(0.02)
        assert [r.host for r in fleet.open_requests()] == [slow.key]
        assert await timed(fast.url()) < 0.1
        assert len(fleet.open_requests()) == 1  # the slow one is still waiting
        assert await slow_task >= 0.19
        assert fleet.open_requests() == []


async def test_down_refuses_then_comes_back() -> None:
    host = SinkHost("127.0.1.27", down=True)
    async with SinkFleet() as fleet, aiohttp.ClientSession() as session:
        await fleet.start([host])
        with pytest.raises(aiohttp.ClientConnectorError):
            await post(session, host.url(), 1)
        await fleet.set_down(host, False)
        assert await post(session, host.url(), 1) == 202
        # Going down drops the open keep-alive connection and a request waiting on a delay.
        host.delay = 0.5
        waiting = asyncio.create_task(post(session, host.url(), 2))
        await asyncio.sleep(0.05)
        assert len(fleet.open_requests()) == 1
        await fleet.set_down(host, True)
        with pytest.raises(aiohttp.ClientError):
            await waiting
        assert fleet.open_requests() == [] and fleet.stats()["dropped"] == 1
        assert fleet.records[-1].status is None
        with pytest.raises(aiohttp.ClientConnectorError):
            await post(session, host.url(), 3)
        host.delay = 0.0
        await fleet.set_down(host.key, False)
        assert await post(session, host.url(), 3) == 202
        assert fleet.received(host, accepted_only=True) == [act_id(1), act_id(3)]


async def test_duplicates_detected_per_host_and_path() -> None:
    async with SinkFleet() as fleet, aiohttp.ClientSession() as session:
        await fleet.start(make_hosts(2, "127.0.1.28"))
        a, b = fleet.hosts
        for url in (a.url(), a.url(), a.url(), b.url(), a.url("/other")):
            assert await post(session, url, 5) == 202
        assert fleet.duplicates() == {(a.key, "/inbox", act_id(5)): 3}
        stats = fleet.stats()
        assert (stats["distinct"], stats["duplicates"], stats["extra_deliveries"]) == (3, 1, 2)
        fleet.reset()
        assert fleet.duplicates() == {} and fleet.records == [] and fleet.stats()["total"] == 0


def test_loopback_addresses_wrap_and_skip_edges() -> None:
    addresses = loopback_addresses(1000)
    assert addresses[:2] == ["127.0.1.1", "127.0.1.2"]
    assert addresses[253:255] == ["127.0.1.254", "127.0.2.1"]
    assert len(set(addresses)) == 1000 and addresses[-1] == "127.0.4.238"
    with pytest.raises(ValueError):
        loopback_addresses(10, "127.255.255.250")


async def test_sink_process_counts_aiohttp_deliveries() -> None:
    async with SinkProcess(50, base_address="127.0.2.1", port=0) as sink:
        assert len(sink.host_keys) == 50 and sink.host_keys[0].startswith("127.0.2.1:")
        async with aiohttp.ClientSession() as session:
            statuses = await asyncio.gather(
                *(post(session, url, n) for n, url in enumerate(sink.urls())),
                post(session, sink.urls()[0], 0),  # a duplicate delivery
            )
        assert statuses == [202] * 51
        stats = await sink.astats()
        assert stats["hosts"] == 50 and stats["total"] == 51
        assert stats["statuses"] == {"202": 51}
        assert (stats["distinct"], stats["duplicates"]) == (50, 1)
        assert stats["first"] <= stats["last"] <= time.time()
        assert 5_000 < stats["peak_rss_kb"] < 200_000
        assert (await sink.areset())["total"] == 0
    assert sink.final_stats is not None and sink.proc is None


async def test_loadgen_against_in_process_sink() -> None:
    async with SinkFleet() as fleet:
        await fleet.start([SinkHost("127.0.1.31", gone_paths=frozenset({"/gone"}))])
        host = fleet.hosts[0]
        requests = [("POST", "/inbox", SIGNED, activity(n)) for n in range(200)]
        report = await arun_loadgen(requests, host.key, connections=8)
        assert report["sent"] == 200 and report["statuses"] == {"202": 200}
        assert report["errors"] == {} and report["samples"] == []
        assert report["connections"] == 8 and fleet.counters[host.key].connections == 8
        assert 0 < report["elapsed"] < 5 and report["rps"] > 100
        assert sorted(fleet.received(host)) == sorted(act_id(n) for n in range(200))
        assert fleet.records[0].signature == SIGNED["Signature"]
        # Non-202 answers are sampled.
        report = await arun_loadgen([("POST", "/gone", {}, b"{}")] * 7, host.key, connections=2)
        assert report["statuses"] == {"410": 7} and len(report["samples"]) == 5


async def test_loadgen_reconnects_when_the_server_closes() -> None:
    async def close_after_one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buf = bytearray()
        while (data := await reader.read(65536)) and read_request(buf + data) is None:
            buf += data
        writer.write(
            b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 3\r\n\r\nbad"
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(close_after_one, "127.0.0.1", 0)
    target = f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        report = await arun_loadgen([("POST", "/x", {}, b"{}")] * 12, target, connections=3)
    finally:
        server.close()
    assert report["statuses"] == {"400": 12} and report["errors"] == {}
    # One reconnect per request after each connection's first (9); a worker may also
    # reconnect once more as the run ends, depending on timing (seen on a loaded machine).
    assert 9 <= report["reconnects"] <= 12
    assert report["samples"][0] == {"status": 400, "body": "bad"}
    # Nothing listening: connect errors are reported, not a hang.
    report = await arun_loadgen([("POST", "/x", {}, b"{}")] * 3, target, connections=2)
    assert report["sent"] == 0 and report["unsent"] == 3 and sum(report["errors"].values()) == 2


def test_loadgen_process_against_sink_process() -> None:
    with SinkProcess(3, base_address="127.0.2.101", port=0) as sink:
        requests = [("POST", "/inbox", SIGNED, activity(n)) for n in range(200)]
        report = run_loadgen(requests, sink.host_keys[1], connections=64)
        assert report["statuses"] == {"202": 200} and report["rps"] > 100
        stats = sink.stats()
        assert stats["total"] == 200 and stats["distinct"] == 200


def test_policy_benchmark_runs_and_exercises_every_verdict() -> None:
    """The benchmark itself (not its speed): a real chain of 10 policies and 1,000 keywords
    that accepts, rejects, holds and rewrites the generated posts."""
    from bench.policies import run

    result = run(rounds=1, count=40, seed=3)
    assert (result["policies"], result["keywords"]) == (10, 1000)
    assert set(result["verdicts"]) == {"accept", "reject", "hold", "rewrite"}
