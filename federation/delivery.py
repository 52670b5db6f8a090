"""The delivery worker: POSTs queued activities to inboxes, signed as their sender.

A row is marked delivered only after a 2xx answer. 4xx answers other than 408 and 429 are
final (the peer refuses the activity; retrying cannot help); everything else is retried with
exponential backoff until ``max_attempts``. The per-host engine of the delivery issue
replaces the one-row-per-inbox layout; these semantics stay.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from federation.context import FederationContext
from federation.fetch import FetchError, FetchErrorReason
from federation.local import signer_for
from storage import actors, queue
from storage.queue import Job

log = logging.getLogger(__name__)

TABLE: queue.QueueTable = "outgoing_deliveries"
ACTIVITY_JSON = "application/activity+json"
_RETRYABLE_4XX = frozenset({408, 429})


class DeliveryWorker:
    def __init__(
        self,
        ctx: FederationContext,
        *,
        batch: int = 20,
        lease: timedelta = timedelta(minutes=2),
        max_attempts: int = 12,
    ) -> None:
        self.ctx = ctx
        self.batch = batch
        self.lease = lease
        self.max_attempts = max_attempts

    async def run_once(self) -> int:
        jobs = await queue.claim(self.ctx.pool, TABLE, limit=self.batch, lease=self.lease)
        for job in jobs:
            await self.deliver(job)
        return len(jobs)

    async def deliver(self, job: Job) -> None:
        row = job.row
        parsed = self.ctx.urls.parse_actor(row["sender_uri"])
        sender = await actors.local_actor_by_username(self.ctx.pool, parsed[1]) if parsed else None
        if sender is None:
            await queue.finish(self.ctx.pool, TABLE, job.id, state="failed", result="no sender")
            return
        body = json.dumps(row["payload"], separators=(",", ":")).encode("utf-8")
        signer = signer_for(sender, self.ctx.urls, self.ctx.clock)
        try:
            await self.ctx.fetcher.post(row["inbox_url"], body, ACTIVITY_JSON, signer=signer)
        except FetchError as exc:
            await self._failed(job, exc)
            return
        await queue.finish(self.ctx.pool, TABLE, job.id)

    async def _failed(self, job: Job, exc: FetchError) -> None:
        final = (
            exc.reason is FetchErrorReason.HTTP_STATUS
            and exc.status is not None
            and 400 <= exc.status < 500
            and exc.status not in _RETRYABLE_4XX
        ) or exc.reason in (FetchErrorReason.BAD_URL, FetchErrorReason.PRIVATE_ADDRESS,
                            FetchErrorReason.SCHEME_NOT_ALLOWED)  # fmt: skip
        if final or job.attempts >= self.max_attempts:
            await queue.finish(self.ctx.pool, TABLE, job.id, state="failed", result=str(exc)[:500])
            return
        await queue.retry_later(
            self.ctx.pool, TABLE, job.id, delay=queue.backoff(job.attempts), error=str(exc)[:500]
        )
