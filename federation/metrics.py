"""Counters of this process's federation work, exposed at ``/metrics`` (Prometheus text)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class FederationMetrics:
    deliveries_sent: int = 0
    deliveries_failed: int = 0  # refused for good (4xx other than 408/429, 410)
    deliveries_retried: int = 0  # a host's failure that schedules a retry
    hosts_marked_unreachable: int = 0
    inbox_accepted: int = 0
    inbox_duplicates: int = 0
    inbox_rejected: Counter[str] = field(default_factory=Counter)
    inbox_processed: int = 0
