"""Delivery settings, with the defaults the engine runs with in production."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class DeliverySettings:
    per_host_inflight: int = 4  # requests in flight to one host
    global_inflight: int = 256  # requests in flight in this process, all hosts
    max_hosts: int = 512  # hosts one process sends to at once
    lease: timedelta = timedelta(seconds=30)  # renewed every third of it while sending
    page: int = 100  # activities read per query for one host
    first_retry: timedelta = timedelta(minutes=1)
    max_retry: timedelta = timedelta(hours=4)
    unreachable_after: timedelta = timedelta(days=7)
    unreachable_recheck: timedelta = timedelta(days=1)
    flush_interval: float = 0.005  # seconds between cursor flushes (batched across hosts)

    def retry_delay(self, failures: int, retry_after: float | None = None) -> timedelta:
        """About a minute after the first failure, doubling, capped; ±20 % jitter so hosts that
        failed together do not retry together. A peer's Retry-After is honoured (capped)."""
        base = self.first_retry.total_seconds() * 2 ** max(0, failures - 1)
        delay = min(base, self.max_retry.total_seconds()) * random.uniform(0.8, 1.2)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_retry.total_seconds()))
        return timedelta(seconds=delay)
