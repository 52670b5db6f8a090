"""The crisis alert workers of a server process: escalation (an alert nobody acknowledged
within ``PEERHAVEN_CRISIS_ESCALATE_MINUTES`` goes to every moderator and admin) and the
optional webhook. Both take their work from PostgreSQL (``FOR UPDATE SKIP LOCKED``), so
several processes share it and a crash loses nothing; tests step ``run_once()`` with an
injected clock."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import asyncpg

from federation.fetch import Fetcher, FetchError
from storage import crisis_alerts, crisis_events

log = logging.getLogger(__name__)

WEBHOOK_ATTEMPTS = 8


class Escalator:
    def __init__(
        self, pool: asyncpg.Pool, minutes: float, clock: Callable[[], datetime], *,
        webhook: bool = False,
    ) -> None:  # fmt: skip
        self.pool = pool
        self.after = timedelta(minutes=minutes)
        self.clock = clock
        self.webhook = webhook

    async def run_once(self) -> int:
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            due = await crisis_events.due_escalations(conn, now - self.after, now)
            for event_id in due:
                await crisis_alerts.add(
                    conn, event_id, kind="escalation", audience="all", at=now,
                    webhook=self.webhook,
                )  # fmt: skip
        return len(due)


class Webhook:
    """POSTs ``{"type": "crisis.alert"|"crisis.escalation", "event", "level", "method",
    "group", "at", "url"}``, signed as the instance actor like our other requests. Never the
    person's words, name or server: a chat webhook is outside the moderators' tools."""

    def __init__(
        self, pool: asyncpg.Pool, fetcher: Fetcher, url: str, base_url: str,
        clock: Callable[[], datetime],
    ) -> None:  # fmt: skip
        self.pool = pool
        self.fetcher = fetcher
        self.url = url
        self.base_url = base_url
        self.clock = clock

    async def run_once(self) -> int:
        claimed = await crisis_alerts.claim_webhooks(
            self.pool, self.clock(), lease=timedelta(seconds=60)
        )
        for alert in claimed:
            await self._send(alert["id"], alert["webhook_attempts"])
        return len(claimed)

    async def _send(self, alert_id: int, attempts: int) -> None:
        [row] = await crisis_alerts.after(self.pool, alert_id - 1, limit=1)
        payload = {
            "type": f"crisis.{row['kind']}", "event": row["event_id"], "level": row["level"],
            "method": row["method"], "group": row["group_slug"],
            "at": row["created_at"].isoformat(),
            "url": f"{self.base_url}/api/v1/admin/crisis/events?open=true",
        }  # fmt: skip
        try:
            await self.fetcher.post(self.url, json.dumps(payload).encode(), "application/json")
        except FetchError as exc:
            if attempts >= WEBHOOK_ATTEMPTS:
                await crisis_alerts.webhook_done(
                    self.pool, alert_id, state="failed", error=str(exc)[:300]
                )
                return
            retry = self.clock() + timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))
            await crisis_alerts.webhook_done(
                self.pool, alert_id, state="pending", error=str(exc)[:300], retry_at=retry
            )
            return
        await crisis_alerts.webhook_done(self.pool, alert_id, state="sent")
