"""The admin API for crisis handling, under ``/api/v1/admin/crisis``: the live alert stream
(Server-Sent Events), the events with what was sent and who acknowledged, acknowledging,
being on duty, and a group's crisis settings.

The stream reads the alerts table after the last id it sent, so a dashboard that
reconnects with ``Last-Event-ID`` misses nothing, and any server process can serve it
whichever process raised the alert."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from moderation.crisis.resources import is_country
from server.api import body
from server.api.auth import ApiError, caller
from server.api.endpoint import endpoint, group_by_slug, require_group_moderator, who
from server.api.moderation import _int_param
from storage import audit, crisis_alerts, crisis_events, crisis_settings
from storage.actors import LocalActor
from storage.crisis_settings import GroupCrisisSettings

# How often a stream looks for new alerts, and sends a comment to keep proxies from
# closing it (seconds). Tests make the first shorter through ``app.state``.
POLL_SECONDS = 1.0
KEEPALIVE_SECONDS = 15.0
PAGE = 100
REREAD = 50  # ids behind the newest seen that each look reads again


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def event_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"], "level": row["level"], "method": row["method"],
        "evidence": list(row["evidence"]), "lang": row["lang"], "group_id": row["group_id"],
        "review_item": row["review_item_id"], "arrived_at": _iso(row["arrived_at"]),
        "message_sent_at": _iso(row["message_at"]), "message_lang": row["message_lang"],
        "message_country": row["message_country"], "message_error": row["message_error"],
        "alerted_at": _iso(row["alerted_at"]),
        "escalated_at": _iso(row["escalated_at"]), "acknowledged_by": row["acknowledged_by"],
        "acknowledged_at": _iso(row["acknowledged_at"]), "ack_seconds": _ack_seconds(row),
    }  # fmt: skip


def _ack_seconds(row: dict[str, Any]) -> float | None:
    if row["acknowledged_at"] is None:
        return None
    return round((row["acknowledged_at"] - row["arrived_at"]).total_seconds(), 3)


def alert_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "alert": row["id"], "kind": row["kind"], "audience": row["audience"],
        "at": _iso(row["created_at"]), "event": row["event_id"], "level": row["level"],
        "method": row["method"], "evidence": list(row["evidence"]), "lang": row["lang"],
        "group": row["group_slug"], "review_item": row["review_item_id"],
        "arrived_at": _iso(row["arrived_at"]), "message_sent_at": _iso(row["message_at"]),
        "acknowledged_at": _iso(row["acknowledged_at"]),
        "acknowledged_by": row["acknowledged_by"], "reply": row["reply"],
    }  # fmt: skip


@endpoint
async def events(request: Request, staff: LocalActor) -> list[dict[str, Any]]:
    """Newest first (``?open=true``: not acknowledged), each with the messages sent and the
    person's replies. Neither names the person: for an anonymous submission in crisis the
    event is all other staff see (the review item names the author of any other post)."""
    pool = request.app.state.database.pool
    open_only = request.query_params.get("open", "").lower() in ("1", "true", "yes")
    found = []
    for row in await crisis_events.listing(pool, open_only=open_only):
        data = event_json(row)
        data["messages"] = [
            {"note": m["note_id"], "lang": m["lang"], "country": m["country"],
             "lines": list(m["lines"]), "in_reply_to": m["in_reply_to"],
             "sent_at": _iso(m["sent_at"])}
            for m in await crisis_events.messages(pool, row["id"])
        ]  # fmt: skip
        data["replies"] = [
            {"content": r["content"], "received_at": _iso(r["received_at"])}
            for r in await crisis_events.replies(pool, row["id"])
        ]
        found.append(data)
    return found


@endpoint
async def acknowledge(request: Request, staff: LocalActor) -> dict[str, Any]:
    """The first acknowledgement is recorded (who, when); a second one is a 409."""
    pool = request.app.state.database.pool
    event_id = _int_param(request)
    now = request.app.state.federation.clock()
    staff_uri = who(request, staff)
    async with pool.acquire() as conn, conn.transaction():
        row = await crisis_events.acknowledge(conn, event_id, staff_uri, now)
        if row is None:
            if await crisis_events.get(conn, event_id) is None:
                raise ApiError(404, "not_found", "no such crisis event")
            raise ApiError(409, "conflict", "this crisis event was acknowledged before")
        await audit.record(
            conn, who=staff_uri, action="crisis_ack", target=f"crisis-event:{event_id}",
            reason="", details={},
        )  # fmt: skip
    return event_json(row)


@endpoint
async def duty(request: Request, staff: LocalActor) -> dict[str, Any]:
    """``{"on_duty": true|false}``: the caller takes or leaves crisis duty; GET: who is on."""
    pool = request.app.state.database.pool
    if request.method == "PUT":
        on = (await body.read(request, {"on_duty": body.boolean}))["on_duty"]
        await crisis_alerts.set_duty(pool, staff.id, on)
        await audit.record(
            pool, who=who(request, staff), action="crisis_duty_on" if on else "crisis_duty_off",
            target=who(request, staff), reason="", details={},
        )  # fmt: skip
    on_duty = await crisis_alerts.on_duty(pool)
    return {"on_duty": staff.id in on_duty, "staff_on_duty": len(on_duty)}


@endpoint
async def group_settings(request: Request, staff: LocalActor) -> dict[str, Any]:
    """A group's crisis settings: ``concern_message`` (also write to people whose post is
    marked concern) and ``country`` (whose lines its members get; null: the instance's)."""
    pool = request.app.state.database.pool
    group = await group_by_slug(request, request.path_params["slug"])
    current = await crisis_settings.get(pool, group.id)
    if request.method == "PUT":
        await require_group_moderator(request, staff, group)
        data = await body.read(request, {}, {"concern_message": body.boolean, "country": _country})
        country = data.get("country", current.country)
        current = GroupCrisisSettings(
            data.get("concern_message", current.concern_message),
            country.upper() if country else None,
        )
        await crisis_settings.put(pool, group.id, current)
        await audit.record(
            pool, who=who(request, staff), action="crisis_settings", target=group.username,
            reason="", details={"concern_message": current.concern_message,
                                "country": current.country},
        )  # fmt: skip
    return {"concern_message": current.concern_message, "country": current.country}


def _country(value: Any) -> str | None:
    """A two-letter code, or "" for the instance's country."""
    if value == "" or (isinstance(value, str) and is_country(value)):
        return None
    return 'must be a two-letter ISO country code, or "" for the instance\'s'


async def stream(request: Request) -> Response:
    """``text/event-stream`` of alerts for the caller: every escalation, and first alerts
    for those on duty (or everyone, when nobody was on duty). Without ``Last-Event-ID`` it
    starts with the alerts of events nobody acknowledged yet."""
    try:
        staff = await caller(request)
    except ApiError as exc:
        return JSONResponse({"error": exc.error, "detail": exc.detail}, status_code=exc.status)
    pool = request.app.state.database.pool
    last = request.headers.get("last-event-id", "")
    start = int(last) if last.isascii() and last.isdigit() and len(last) < 19 else None
    poll = getattr(request.app.state, "crisis_poll_seconds", POLL_SECONDS)

    async def alerts() -> AsyncIterator[str]:
        yield "retry: 3000\n\n"
        # Ids are given at INSERT and committed in any order: each look re-reads a window
        # behind the newest id seen, so an alert committed late is not skipped.
        floor = start if start is not None else await crisis_alerts.before_open(pool)
        cursor, seen, quiet = floor, set(), 0.0
        while True:
            rows = await crisis_alerts.after(pool, max(floor, cursor - REREAD), limit=PAGE)
            on_duty: bool | None = None  # looked up once a look, when an alert needs it
            for row in rows:
                if row["id"] in seen:
                    continue
                seen.add(row["id"])
                cursor = max(cursor, row["id"])
                if row["audience"] == "on_duty" and on_duty is None:
                    on_duty = staff.id in await crisis_alerts.on_duty(pool)
                if row["audience"] == "all" or on_duty:
                    data = json.dumps(alert_json(row))
                    yield f"id: {row['id']}\nevent: {row['kind']}\ndata: {data}\n\n"
                    quiet = 0.0
            seen = {i for i in seen if i > cursor - REREAD}
            if len(rows) == PAGE:
                continue  # more waiting: no pause
            await asyncio.sleep(poll)
            quiet += poll
            if quiet >= KEEPALIVE_SECONDS:
                yield ": keep-alive\n\n"
                quiet = 0.0

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(alerts(), media_type="text/event-stream", headers=headers)
