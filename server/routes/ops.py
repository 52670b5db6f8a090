"""Operations endpoints: Prometheus ``/metrics`` and the admin API's delivery report."""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from server.routes.negotiation import json_error
from storage import crisis_events, outbound, review


async def metrics(request: Request) -> Response:
    """Prometheus text format (version 0.0.4). Counters are this process's since it started;
    gauges are read from the database, so every process reports the same queue."""
    m = request.app.state.federation.metrics
    pool = request.app.state.database.pool
    gauges = await outbound.lag_gauges(pool)
    stale = timedelta(minutes=request.app.state.settings.review_stale_minutes)
    held, overdue = await review.counts(pool, stale)
    crisis = await crisis_events.ack_stats(pool)
    lines = [
        *_metric("peerhaven_deliveries_sent_total", "counter",
                 "Requests to remote inboxes answered 2xx.", m.deliveries_sent),
        *_metric("peerhaven_deliveries_failed_total", "counter",
                 "Requests refused for good (4xx other than 408/429).", m.deliveries_failed),
        *_metric("peerhaven_deliveries_retried_total", "counter",
                 "Host failures that scheduled a retry.", m.deliveries_retried),
        *_metric("peerhaven_delivery_hosts_unreachable_total", "counter",
                 "Hosts marked unreachable by this process.", m.hosts_marked_unreachable),
        *_metric("peerhaven_delivery_queue_hosts", "gauge",
                 "Hosts with activities still to send.", gauges["hosts_with_backlog"]),
        *_metric("peerhaven_delivery_lag_seconds", "gauge",
                 "Age of the oldest activity not yet answered by every host.",
                 gauges["delivery_lag_seconds"]),
        *_metric("peerhaven_inbox_queue_depth", "gauge",
                 "Stored inbox activities waiting for the worker.", gauges["inbox_queued"]),
        *_metric("peerhaven_inbox_lag_seconds", "gauge",
                 "Age of the oldest inbox activity waiting for the worker.",
                 gauges["inbox_lag_seconds"]),
        *_metric("peerhaven_inbox_accepted_total", "counter",
                 "Inbox POSTs accepted (202) and stored.", m.inbox_accepted),
        *_metric("peerhaven_inbox_duplicates_total", "counter",
                 "Inbox POSTs of an activity id already stored.", m.inbox_duplicates),
        *_metric("peerhaven_inbox_processed_total", "counter",
                 "Inbox activities handled by this process's worker.", m.inbox_processed),
        *_metric("peerhaven_review_pending", "gauge",
                 "Held posts waiting for a moderator.", held),
        *_metric("peerhaven_review_overdue", "gauge",
                 "Held posts waiting longer than PEERHAVEN_REVIEW_STALE_MINUTES.", overdue),
        "# HELP peerhaven_inbox_rejected_total Inbox POSTs refused, by reason.",
        "# TYPE peerhaven_inbox_rejected_total counter",
        *(f'peerhaven_inbox_rejected_total{{reason="{reason}"}} {count}'
          for reason, count in sorted(m.inbox_rejected.items())),
        *_metric("peerhaven_crisis_unacknowledged", "gauge",
                 "Crisis alerts no moderator has acknowledged yet.", crisis["waiting"]),
        *_histogram("peerhaven_crisis_ack_seconds",
                    "Seconds from a crisis post's arrival to a moderator's acknowledgement.",
                    crisis),
    ]  # fmt: skip
    return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")


def _metric(name: str, kind: str, text: str, value: float) -> list[str]:
    return [f"# HELP {name} {text}", f"# TYPE {name} {kind}", f"{name} {value}"]


def _histogram(name: str, text: str, stats: dict[str, Any]) -> list[str]:
    """A histogram computed from the database (every process reports the same)."""
    buckets = [f'{name}_bucket{{le="{le:g}"}} {count}' for le, count in stats["buckets"]]
    return [
        f"# HELP {name} {text}", f"# TYPE {name} histogram", *buckets,
        f'{name}_bucket{{le="+Inf"}} {stats["acked"]}', f"{name}_sum {stats['seconds']}",
        f"{name}_count {stats['acked']}",
    ]  # fmt: skip


def authorized(request: Request) -> Response | None:
    """The admin API needs ``Authorization: Bearer PEERHAVEN_ADMIN_TOKEN``; without a token
    configured it is off."""
    token = request.app.state.settings.admin_token
    if not token:
        return json_error(404, "admin_api_disabled", "set PEERHAVEN_ADMIN_TOKEN to enable it")
    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return json_error(401, "unauthorized", "a valid admin token is required")
    return None


async def deliveries(request: Request) -> Response:
    refused = authorized(request)
    if refused is not None:
        return refused
    reports = await outbound.host_reports(request.app.state.database.pool)
    return JSONResponse(
        {
            "hosts": [
                {**r.__dict__, "next_attempt_at": r.next_attempt_at.isoformat()} for r in reports
            ],
            "unreachable": [r.host for r in reports if r.unreachable],
            "backlog": sum(r.backlog for r in reports),
        }
    )
