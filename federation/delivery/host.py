"""One host's sender: its backlog in order, with a window of requests in flight.

Positions are ``(seq, index)``: the index-th inbox of activity ``seq`` on this host. The cursor
moves only over answered positions, in order; positions answered ahead of a gap are kept in
``done_ahead`` (and saved), so nothing answered is sent twice after a failure. A host
that was failing gets one request at a time until its lease ends (a probe, then its backlog
in order); otherwise up to ``per_host_inflight`` requests are in flight, issued in order.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from federation.fetch import FetchError, FetchErrorReason
from storage import follows, outbound
from storage.outbound import HostState, PendingActivity

if TYPE_CHECKING:
    from federation.delivery.engine import DeliveryEngine

ACTIVITY_JSON = "application/activity+json"
_RETRYABLE_4XX = frozenset({408, 429})
# Failures that are about one inbox URL, not the host: skip the inbox, keep going.
_PERMANENT_REASONS = frozenset(
    {
        FetchErrorReason.BAD_URL,
        FetchErrorReason.SCHEME_NOT_ALLOWED,
        FetchErrorReason.PRIVATE_ADDRESS,
    }
)

Position = tuple[int, int]


def is_permanent(exc: FetchError) -> bool:
    """About this inbox, not its host: skip it (retrying cannot help)."""
    if exc.reason in _PERMANENT_REASONS:
        return True
    if exc.reason is FetchErrorReason.HTTP_STATUS and exc.status is not None:
        if 300 <= exc.status < 400:  # a POST redirected other than 307/308: never followed
            return True
    status = exc.status
    return (
        exc.reason is FetchErrorReason.HTTP_STATUS
        and status is not None
        and 400 <= status < 500
        and status not in _RETRYABLE_4XX
    )


@dataclass
class HostSender:
    engine: DeliveryEngine
    state: HostState
    cursor_seq: int = 0
    cursor_done: int = 0
    done_ahead: set[Position] = field(default_factory=set)
    sizes: dict[int, int] = field(default_factory=dict)  # inboxes per loaded activity
    order: deque[Position] = field(default_factory=deque)  # issued, not yet passed by cursor
    delivered: int = 0
    failed: int = 0
    sent: int = 0
    failure: str | None = None  # why the host stopped (a retryable failure)
    retry_after: float | None = None
    first_seq: int | None = None  # the activity the saved cursor_done refers to
    first_page: list[PendingActivity] | None = None  # prefetched with other hosts
    complete: bool = False  # the first page is all there is

    def __post_init__(self) -> None:
        self.cursor_seq, self.cursor_done = self.state.cursor_seq, self.state.cursor_done
        self.done_ahead = {_position(p) for p in self.state.done_ahead}

    @property
    def host(self) -> str:
        return self.state.host

    async def run(self) -> int:
        """Send until the backlog is empty or the host fails; returns requests sent."""
        settings = self.engine.settings
        window = 1 if self.state.failures else settings.per_host_inflight
        in_flight: set[asyncio.Task[None]] = set()
        after = self.cursor_seq
        while self.failure is None:
            if self.first_page is not None and (self.first_page or self.complete):
                page, self.first_page = self.first_page, None
            elif self.first_page is None and self.complete:
                break
            else:
                # Nothing prefetched for us (the shared read was cut short by hosts further
                # behind), or the prefetched page is used up: read our own backlog.
                self.first_page = None
                page = await outbound.pending_for_host(
                    self.engine.pool, self.host, after, settings.page
                )
            if not page:
                break
            if self.first_seq is None:
                self.first_seq = page[0].seq
            for activity in page:
                self.sizes[activity.seq] = len(activity.inboxes)
                for index, inbox in enumerate(activity.inboxes):
                    position = (activity.seq, index)
                    if self._already_done(position):
                        continue
                    if position in self.done_ahead:  # answered before a failure or a crash
                        self.order.append(position)
                        continue
                    while len(in_flight) >= window and self.failure is None:
                        finished, in_flight = await asyncio.wait(
                            in_flight, return_when=asyncio.FIRST_COMPLETED
                        )
                        window = self._adjust(window, finished)
                    if self.failure is not None:
                        break
                    self.order.append(position)
                    in_flight.add(asyncio.create_task(self._send(position, activity, inbox)))
                if self.failure is not None:
                    break
                after = activity.seq
            self._advance()
        if in_flight:
            await asyncio.wait(in_flight)
        self._advance()
        return self.sent

    def _adjust(self, window: int, finished: set[asyncio.Task[None]]) -> int:
        """A host that was failing gets one request at a time for the rest of this lease, so
        its backlog arrives in order; the next lease (failures reset) opens the window."""
        if self.failure is not None or self.state.failures:
            return 1
        return min(self.engine.settings.per_host_inflight, window * 2 ** len(finished))

    def _already_done(self, position: Position) -> bool:
        """Behind the saved cursor (``done_ahead`` positions are handled by the caller)."""
        seq, index = position
        return seq == self.first_seq and index < self.state.cursor_done

    async def _send(self, position: Position, activity: PendingActivity, inbox: str) -> None:
        engine = self.engine
        if await engine.ctx.moderation.domain_blocked(self.host):
            # Suspended since it was queued (another process's list may have been seconds
            # behind): answered as refused, never sent.
            self.failed += 1
            self.done_ahead.add(position)
            self._advance()
            engine.mark_dirty(self)
            return
        async with engine.global_slots:
            self.sent += 1
            try:
                await engine.fetcher.post(
                    inbox,
                    activity.body.encode("utf-8"),
                    ACTIVITY_JSON,
                    signer=await engine.signer_for(activity.sender_uri),
                )
            except FetchError as exc:
                if not is_permanent(exc):
                    self._stop(str(exc), exc.retry_after)
                    return
                self.failed += 1
                engine.metrics.deliveries_failed += 1
                try:
                    if exc.status == 410 and await follows.is_personal_inbox(engine.pool, inbox):
                        await follows.remove_followers_at_inbox(engine.pool, inbox)
                except Exception as db_exc:  # retry later rather than lose the 410's effect
                    self._stop(f"internal: {type(db_exc).__name__}", None)
                    return
            except Exception as exc:  # a bug must stop this host, not lose the position
                self._stop(f"internal: {type(exc).__name__}", None)
                return
            else:
                self.delivered += 1
                engine.metrics.deliveries_sent += 1
        self.done_ahead.add(position)
        self._advance()
        engine.mark_dirty(self)

    def _stop(self, reason: str, retry_after: float | None) -> None:
        if self.failure is None:
            self.failure, self.retry_after = reason, retry_after

    def _advance(self) -> None:
        """Move the cursor over answered positions at the head of the issue order."""
        while self.order and self.order[0] in self.done_ahead:
            seq, index = self.order.popleft()
            self.done_ahead.discard((seq, index))
            if index + 1 >= self.sizes[seq]:
                self.cursor_seq, self.cursor_done = seq, 0
            else:
                self.cursor_done = index + 1

    def progress(self, *, release: bool = False) -> outbound.Progress:
        """The state to save now; the counters are handed over (reset) with it."""
        item = outbound.Progress(
            host=self.host,
            cursor_seq=self.cursor_seq,
            cursor_done=self.cursor_done,
            done_ahead=[f"{s}:{i}" for s, i in sorted(self.done_ahead)],
            delivered=self.delivered,
            failed=self.failed,
            release=release,
        )
        self.delivered = self.failed = 0
        return item


def _position(text: str) -> Position:
    seq, index = text.split(":", 1)
    return int(seq), int(index)
