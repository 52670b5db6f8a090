"""The admin API for moderation, under ``/api/v1/admin/``: the policy chain (instance and
per group), the review queue, reports, account and domain actions, the audit log and the
dashboard counts. Each endpoint checks the caller and the body, then calls the same code as
the CLI."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request

from federation import reporting, review, sanctions
from moderation.blocklists.formats import clean_domain
from moderation.gate import Moderation
from moderation.policies.config import PolicyFileError, build_chain, parse_file
from server.api import body
from server.api.auth import ApiError
from server.api.endpoint import Created, endpoint, federation_context, group_by_slug, who
from storage import audit, crisis_events, group_policies, reports
from storage import review as review_queue
from storage.actors import LocalActor
from storage.reports import Report
from storage.review import Item

# A policy file with a thousand keywords is larger than the API's usual 64 KiB bodies.
MAX_POLICY_BODY = 1024 * 1024


def require_admin(staff: LocalActor) -> None:
    """The instance's own policy file, account restrictions and domain blocks are the
    admins'; moderators work the review queue, reports and their groups' policies."""
    if staff.role != "admin":
        raise ApiError(403, "forbidden", "only the instance's admins may do this")


def _moderation(request: Request) -> Moderation:
    return request.app.state.federation.moderation


def _int_param(request: Request, name: str = "id") -> int:
    raw = request.path_params[name]
    if not (raw.isascii() and raw.isdigit()) or int(raw) >= 2**63:
        raise ApiError(404, "not_found", f"no such {name}")
    return int(raw)


def _query(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    if value is not None and "\x00" in value:
        raise ApiError(400, "invalid_request", f"{name} must not contain NUL characters")
    return value


def policy_text(value: Any) -> str | None:
    return None if isinstance(value, str) else "must be the policy file's TOML text"


def policy_tables(value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        return "must be a list of policy objects ({type, ...})"
    return None


def _refused(exc: PolicyFileError, field: str) -> ApiError:
    """The line (in a file) or policy number (in a list) and the reason; nothing changed."""
    return ApiError(400, "invalid_policy", f"not changed: {exc}", {field: str(exc)})


@endpoint
async def instance_policies(request: Request, staff: LocalActor) -> dict[str, Any]:
    moderation = _moderation(request)
    if request.method == "PUT":
        require_admin(staff)
        data = await body.read(request, {"text": policy_text}, max_body=MAX_POLICY_BODY)
        pool = request.app.state.database.pool
        # The audit entry commits only if the file was replaced; the file is replaced only
        # if the entry could be written.
        async with pool.acquire() as conn, conn.transaction():
            try:
                chain = parse_file(data["text"])
            except PolicyFileError as exc:
                raise _refused(exc, "text") from None
            await audit.record(
                conn, who=who(request, staff), action="policy_change",
                target=str(moderation.policies.path),
                details={"policies": [p.name for p in chain.policies]},
            )  # fmt: skip
            moderation.policies.replace(data["text"])
    return {
        "path": str(moderation.policies.path),
        "text": moderation.policies.text(),
        "policies": moderation.policies.current().describe(),
        "error": moderation.policies.error,
    }


@endpoint
async def group_policy(request: Request, staff: LocalActor) -> dict[str, Any]:
    group = await group_by_slug(request, request.path_params["slug"])
    pool = request.app.state.database.pool
    if request.method == "PUT":
        data = await body.read(request, {"policies": policy_tables}, max_body=MAX_POLICY_BODY)
        try:
            build_chain(data["policies"], "group")
        except PolicyFileError as exc:
            raise _refused(exc, "policies") from None
        async with pool.acquire() as conn, conn.transaction():
            await group_policies.put(conn, group.id, data["policies"])
            await audit.record(
                conn, who=who(request, staff), action="group_policy_change",
                target=request.app.state.urls.actor("Group", group.username),
                details={"policies": [p.get("name") or p.get("type") for p in data["policies"]]},
            )  # fmt: skip
        _moderation(request).forget()
    tables = await group_policies.get(pool, group.id)
    chain = await _moderation(request).group_chain(group.id)
    return {"group": group.username, "policies": tables, "in_force": chain.describe()}


def describe_item(item: Item) -> dict[str, Any]:
    return {
        "id": item.id, "activity": item.activity_uri, "actor": item.actor_uri,
        "object": item.object_uri, "group_id": item.group_id, "groups": list(item.group_ids),
        "policy": item.policy, "reason": item.reason, "state": item.state,
        "held_at": item.held_at.isoformat(), "decided_by": item.decided_by,
        "note": item.note, "content": _content(item.payload),
    }  # fmt: skip


def _content(payload: dict[str, Any]) -> str | None:
    obj = payload.get("object")
    return obj.get("content") if isinstance(obj, dict) else None


@endpoint
async def review_list(request: Request, staff: LocalActor) -> list[dict[str, Any]]:
    """Admins see every held post; a moderator those held for the groups they moderate (a
    post held for a person in crisis is theirs to read, not every staff account's)."""
    slug = _query(request, "group")
    group_id = (await group_by_slug(request, slug)).id if slug else None
    moderator = None if staff.role == "admin" else who(request, staff)
    items = await review_queue.pending(
        request.app.state.database.pool, group_id=group_id, moderator=moderator
    )
    return [describe_item(i) for i in items]


@endpoint
async def review_decide(request: Request, staff: LocalActor) -> dict[str, Any]:
    item_id = _int_param(request)
    data = await body.read(
        request, {"decision": body.one_of("approve", "decline")}, {"note": body.text(1000)}
    )
    pool = request.app.state.database.pool
    if staff.role != "admin" and not await review_queue.moderates(
        pool, item_id, who(request, staff)
    ):
        raise ApiError(403, "forbidden", "only the moderators of its groups and the "
                       "instance's admins may decide on this post")  # fmt: skip
    decide = review.approve if data["decision"] == "approve" else review.decline
    outcome = await decide(
        federation_context(request), item_id, who=who(request, staff), note=data.get("note", "")
    )
    return {"id": outcome.item, "state": outcome.state, "effects": outcome.effects}


def describe_report(report: Report) -> dict[str, Any]:
    return {
        "id": report.id, "activity": report.activity_uri, "reporter": report.actor_uri,
        "objects": list(report.object_uris), "content": report.content,
        "group_id": report.group_id, "source": report.source, "state": report.state,
        "received_at": report.received_at.isoformat(), "resolved_by": report.resolved_by,
        "resolution": report.resolution, "action": report.action,
        "forwarded_to": report.forwarded_to,
    }  # fmt: skip


def reported(value: Any) -> str | None:
    if not isinstance(value, list) or not 1 <= len(value) <= 20:
        return "must list 1 to 20 URLs (the account and its posts)"
    return next((why for v in value if (why := body.url(v)) is not None), None)


@endpoint
async def report_list(request: Request, staff: LocalActor) -> Any:
    pool = request.app.state.database.pool
    if request.method == "POST":
        data = await body.read(
            request, {"objects": reported, "content": body.text(reports.MAX_CONTENT)},
            {"group": body.text(64)},
        )  # fmt: skip
        group_id = (await group_by_slug(request, data["group"])).id if "group" in data else None
        report = await reporting.file_local(
            federation_context(request), who=who(request, staff), object_uris=data["objects"],
            content=data["content"], group_id=group_id,
        )  # fmt: skip
        return Created(describe_report(report))
    state = _query(request, "state")
    if state is not None and state not in ("open", "resolved", "dismissed"):
        raise ApiError(400, "invalid_request", "state must be open, resolved or dismissed")
    slug = _query(request, "group")
    group_id = (await group_by_slug(request, slug)).id if slug else None
    return [describe_report(r) for r in await reports.listing(pool, state=state, group_id=group_id)]


@endpoint
async def report_act(request: Request, staff: LocalActor) -> dict[str, Any]:
    report_id = _int_param(request)
    data = await body.read(
        request, {"action": body.one_of("resolve", "dismiss", "forward")},
        {"note": body.text(1000), "taken": body.text(200)},
    )  # fmt: skip
    ctx = federation_context(request)
    if data["action"] == "forward":
        inbox = await reporting.forward(ctx, report_id, who=who(request, staff))
        report = await reports.get(ctx.pool, report_id)
        return {**describe_report(report), "forwarded_to": inbox} if report else {}
    closed = await reporting.close(
        ctx, report_id, who=who(request, staff), dismiss=data["action"] == "dismiss",
        note=data.get("note", ""), action=data.get("taken"),
    )  # fmt: skip
    return describe_report(closed)


@endpoint
async def accounts(request: Request, staff: LocalActor) -> dict[str, Any]:
    require_admin(staff)
    data = await body.read(
        request, {"actor": body.url, "action": body.one_of("suspend", "limit", "lift")},
        {"reason": body.text(1000)},
    )  # fmt: skip
    ctx, actor, reason = federation_context(request), data["actor"], data.get("reason", "")
    if data["action"] == "lift":
        lifted = await sanctions.lift_account(ctx, actor, who=who(request, staff), reason=reason)
        return {"actor": actor, "lifted": lifted,
                "note": "follows that ended are not restored"}  # fmt: skip
    effects = await sanctions.restrict_account(
        ctx, actor, data["action"], who=who(request, staff), reason=reason
    )
    return {"actor": actor, "severity": data["action"], "effects": effects}


def domain_name(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a domain name"
    try:
        clean_domain(value)
    except ValueError:
        return "must be a domain name (letters, digits, dots and hyphens)"
    return None


@endpoint
async def audit_log(request: Request, staff: LocalActor) -> list[dict[str, Any]]:
    entries = await audit.entries(
        request.app.state.database.pool, target=_query(request, "target"),
        action=_query(request, "action"),
    )  # fmt: skip
    return [e.as_json() for e in entries]


@endpoint
async def summary(request: Request, staff: LocalActor) -> dict[str, Any]:
    """The dashboard counts: held posts (and those waiting too long), open reports, and
    whether the policy file loaded."""
    pool = request.app.state.database.pool
    stale = timedelta(minutes=request.app.state.settings.review_stale_minutes)
    pending, overdue = await review_queue.counts(pool, stale)
    crisis = await crisis_events.ack_stats(pool)
    return {
        "review_pending": pending,
        "review_overdue": overdue,
        "review_overdue_after_minutes": request.app.state.settings.review_stale_minutes,
        "reports_open": await reports.open_count(pool),
        "policy_error": _moderation(request).policies.error,
        "crisis_unacknowledged": crisis["waiting"],
        "crisis_acknowledged": crisis["acked"],
        "crisis_ack_seconds_mean": crisis["seconds"] / crisis["acked"] if crisis["acked"] else None,
    }
