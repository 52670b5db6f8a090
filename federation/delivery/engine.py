"""The delivery engine: lease hosts, run a sender per host, save cursors in batches.

``run_once()`` (tests) leases the ready hosts, sends each one's backlog and returns. In a
server process ``run_forever()`` keeps up to ``max_hosts`` senders busy, leasing more hosts as
senders finish, and a flusher saves every moved cursor every few milliseconds in one
statement. Several processes share the work: a host is leased by one owner at a time.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from concurrent.futures import ThreadPoolExecutor

from federation.context import FederationContext
from federation.delivery.host import HostSender
from federation.delivery.settings import DeliverySettings
from federation.local import signer_for
from federation.signatures.cavage import CavageSigner
from storage import actors, outbound

log = logging.getLogger(__name__)


class DeliveryEngine:
    def __init__(
        self,
        ctx: FederationContext,
        settings: DeliverySettings | None = None,
        *,
        owner: str | None = None,
    ) -> None:
        self.ctx = ctx
        self.pool = ctx.pool
        self.fetcher = ctx.fetcher
        self.settings = settings or DeliverySettings()
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.global_slots = asyncio.Semaphore(self.settings.global_inflight)
        self.metrics = ctx.metrics
        self._signers: dict[str, CavageSigner] = {}
        self._signer_lock = asyncio.Lock()
        self._dirty: dict[str, HostSender] = {}
        self._finished: dict[str, outbound.Progress] = {}
        self._active: dict[str, asyncio.Task[None]] = {}
        # One save at a time: two saves of one host racing on two connections could move
        # its cursor backwards.
        self._save_lock = asyncio.Lock()

    # -- signing --------------------------------------------------------------

    async def signer_for(self, sender_uri: str) -> CavageSigner:
        signer = self._signers.get(sender_uri)
        if signer is None:
            parsed = self.ctx.urls.parse_actor(sender_uri)
            actor = await actors.local_actor_by_username(self.pool, parsed[1]) if parsed else None
            if actor is None:
                raise LookupError(f"no local sender {sender_uri}")
            signer = signer_for(actor, self.ctx.urls, self.ctx.clock)
            self._signers[sender_uri] = signer
        return signer

    # -- running ------------------------------------------------------------

    async def run_once(self) -> int:
        """Send every ready host's backlog once; return the number of requests sent."""
        senders = await self._lease(self.settings.max_hosts)
        sent = await asyncio.gather(*(self._deliver(sender) for sender in senders))
        await self.flush()  # the final progress of every host, and its release
        return sum(sent)

    async def run_forever(self, wakeup: asyncio.Event, idle: float = 1.0) -> None:
        flusher = asyncio.create_task(self._flush_loop())
        # Activities queued by another process (a CLI command, a second server) NOTIFY at
        # commit; listen on one held connection so we wake at once instead of polling.
        listener = await self.pool.acquire()

        def notified(*_: object) -> None:
            wakeup.set()

        await listener.add_listener(outbound.DELIVERY_CHANNEL, notified)
        try:
            while True:
                wakeup.clear()
                leased: list[HostSender] = []
                free = self.settings.max_hosts - len(self._active)
                if free > 0:
                    try:
                        leased = await self._lease(free)
                    except Exception:  # database outage: try again shortly
                        log.exception("leasing delivery hosts failed")
                for sender in leased:
                    self._active[sender.host] = asyncio.create_task(self._run_host(sender))
                if not leased:
                    waiters = [asyncio.create_task(wakeup.wait()), *self._active.values()]
                    await asyncio.wait(waiters, timeout=idle, return_when=asyncio.FIRST_COMPLETED)
                    waiters[0].cancel()
        finally:
            flusher.cancel()
            for task in self._active.values():
                task.cancel()
            await asyncio.gather(flusher, *self._active.values(), return_exceptions=True)
            await self.flush()
            await listener.remove_listener(outbound.DELIVERY_CHANNEL, notified)
            await self.pool.release(listener)

    async def _lease(self, limit: int) -> list[HostSender]:
        """Lease ready hosts and read their next activities in one query for all of them."""
        states = await outbound.lease_hosts(
            self.pool, self.owner, limit=limit, lease=self.settings.lease, busy=list(self._active)
        )
        if not states:
            return []
        pages, complete = await outbound.pending_for_hosts(
            self.pool, {s.host: s.cursor_seq for s in states}, self.settings.page * 4
        )
        return [HostSender(self, s, first_page=pages[s.host], complete=complete) for s in states]

    async def _run_host(self, sender: HostSender) -> None:
        try:
            await self._deliver(sender)
        except Exception:
            log.exception("delivery to %s failed", sender.host)
        finally:
            self._active.pop(sender.host, None)

    async def _deliver(self, sender: HostSender) -> int:
        ran = False
        try:
            sent = await sender.run()
            ran = True
        finally:
            if not ran:  # cancelled or crashed: keep what was answered; the lease runs out
                self._finished[sender.host] = sender.progress()
        if sender.failure is None:
            # Saved and released by the next flush, in one statement with other hosts.
            self._finished[sender.host] = sender.progress(release=True)
            self._dirty.pop(sender.host, None)
            return sent
        async with self._save_lock:
            self._dirty.pop(sender.host, None)
            await outbound.save_progress(self.pool, self.owner, [sender.progress()])
        self.metrics.deliveries_retried += 1
        unreachable = await outbound.record_failure(
            self.pool,
            self.owner,
            sender.host,
            error=sender.failure,
            retry_in=self.settings.retry_delay(sender.state.failures + 1, sender.retry_after),
            unreachable_after=self.settings.unreachable_after,
            recheck=self.settings.unreachable_recheck,
        )
        if unreachable:
            self.metrics.hosts_marked_unreachable += 1
            log.warning("delivery host %s is unreachable; its backlog was dropped", sender.host)
        return sent

    # -- cursors ------------------------------------------------------------

    def mark_dirty(self, sender: HostSender) -> None:
        self._dirty[sender.host] = sender

    async def flush(self) -> None:
        """Save every moved cursor, and finish the hosts that are done, in one statement."""
        async with self._save_lock:
            dirty, self._dirty = self._dirty, {}
            finished, self._finished = self._finished, {}
            items = [s.progress() for h, s in dirty.items() if h not in finished]
            items += finished.values()
            if not items:
                return
            try:
                await outbound.save_progress(self.pool, self.owner, items)
            except Exception:
                # Keep what was not saved (counters included) for the next flush.
                for item in items:
                    if item.host in finished:
                        self._finished.setdefault(item.host, item)
                    else:
                        sender = dirty[item.host]
                        sender.delivered += item.delivered
                        sender.failed += item.failed
                        self._dirty.setdefault(item.host, sender)
                raise

    async def _flush_loop(self) -> None:
        renew_every = max(1.0, self.settings.lease.total_seconds() / 3)
        loop = asyncio.get_running_loop()
        next_renewal = loop.time() + renew_every
        while True:
            await asyncio.sleep(self.settings.flush_interval)
            try:
                await self.flush()
            except Exception:
                log.exception("saving delivery cursors failed; will retry")
            if loop.time() >= next_renewal:
                try:
                    await outbound.renew_leases(
                        self.pool, self.owner, list(self._active), self.settings.lease
                    )
                    next_renewal = loop.time() + renew_every
                except Exception:
                    log.exception("renewing delivery leases failed; will retry")


def signing_pool() -> ThreadPoolExecutor:
    """Threads for RSA signing: cryptography releases the GIL, so each core signs."""
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="sign")
