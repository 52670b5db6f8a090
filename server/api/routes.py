"""The admin API's routes and its OpenAPI document (``/api/openapi.json``)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from server.api import anonymous as anon
from server.api import blocklists as bl
from server.api import crisis, groups
from server.api import moderation as mod
from server.api import resources as res
from server.api import verification as ver

PREFIX = "/api/v1/admin"

# (path, method, handler, summary, request body fields {name: (type, required)})
ENDPOINTS: list[tuple[str, str, Any, str, dict[str, tuple[str, bool]]]] = [
    ("/groups", "GET", groups.list_groups, "List groups", {}),
    ("/groups", "POST", groups.create_group, "Create a group",
     {"slug": ("string", True), "name": ("string", True), "summary": ("string", False),
      "approval": ("boolean", False), "content_warnings": ("string", False)}),
    ("/groups/{slug}", "PATCH", groups.change_group, "Change settings (followers get an Update)",
     {"name": ("string", False), "summary": ("string", False), "rules": ("array", False),
      "icon_url": ("string", False), "membership": ("string", False),
      "visibility": ("string", False), "posting": ("string", False),
      "replies": ("string", False), "discoverable": ("boolean", False),
      "hide_members": ("boolean", False), "anonymous_keyword": ("string", False)}),
    ("/groups/{slug}/requests", "GET", groups.follow_requests, "Pending follow requests", {}),
    ("/groups/{slug}/requests", "POST", groups.answer_request, "Approve or reject a request",
     {"actor": ("string", True), "decision": ("string", True),
      "confirm_new_instance": ("boolean", False)}),
    ("/groups/{slug}/bans", "POST", groups.bans, "Ban (Block) or unban (Undo) a member",
     {"actor": ("string", True), "action": ("string", True), "reason": ("string", False),
      "days": ("number", False)}),
    ("/groups/{slug}/moderators", "GET", groups.group_moderators, "The group's moderators", {}),
    ("/groups/{slug}/moderators", "POST", groups.group_moderators,
     "Add or remove a moderator", {"actor": ("string", True), "action": ("string", True)}),
    ("/groups/{slug}/pins", "POST", groups.group_pins, "Pin or unpin a post or link",
     {"url": ("string", True), "action": ("string", True), "title": ("string", False)}),
    ("/groups/{slug}/removals", "POST", groups.removals, "Remove a relayed post",
     {"object": ("string", True), "reason": ("string", False)}),
    ("/posts", "POST", groups.create_post, "Publish a note as the token's account",
     {"text": ("string", True), "group": ("string", False)}),
    ("/groups/{slug}/policies", "GET", mod.group_policy, "The group's own policies", {}),
    ("/groups/{slug}/policies", "PUT", mod.group_policy,
     "Replace the group's policies (stricter than the instance's, never looser)",
     {"policies": ("array", True)}),
    ("/moderation/policies", "GET", mod.instance_policies, "The instance's policy file", {}),
    ("/moderation/policies", "PUT", mod.instance_policies,
     "Replace the policy file (refused with line and reason when it does not load)",
     {"text": ("string", True)}),
    ("/moderation/summary", "GET", mod.summary, "Dashboard counts", {}),
    ("/review", "GET", mod.review_list, "Held posts waiting (?group=SLUG)", {}),
    ("/review/{id}", "POST", mod.review_decide, "Approve or decline a held post",
     {"decision": ("string", True), "note": ("string", False)}),
    ("/reports", "GET", mod.report_list, "Reports (?state=open&group=SLUG)", {}),
    ("/reports", "POST", mod.report_list, "File a report",
     {"objects": ("array", True), "content": ("string", True), "group": ("string", False)}),
    ("/reports/{id}", "POST", mod.report_act, "Resolve, dismiss or forward a report",
     {"action": ("string", True), "note": ("string", False), "taken": ("string", False)}),
    ("/accounts", "POST", mod.accounts, "Suspend, limit or lift a remote account",
     {"actor": ("string", True), "action": ("string", True), "reason": ("string", False)}),
    ("/domains", "POST", bl.domains,
     "Block (suspend, silence, noop), unblock, allow or unallow a domain",
     {"domain": ("string", True), "action": ("string", True), "severity": ("string", False),
      "reason": ("string", False), "public_comment": ("string", False),
      "obfuscate": ("boolean", False), "reject_media": ("boolean", False),
      "reject_reports": ("boolean", False)}),
    ("/blocklist/why", "GET", bl.why, "What blocks ?domain=NAME, since when, on whose word", {}),
    ("/blocklist/import", "POST", bl.import_list, "Import a list (text or url); apply or preview",
     {"text": ("string", False), "url": ("string", False), "format": ("string", False),
      "apply": ("boolean", False), "allow": ("boolean", False), "name": ("string", False)}),
    ("/blocklist/export", "GET", bl.export_list, "The effective list (?format=...)", {}),
    ("/blocklist/subscriptions", "GET", bl.subscriptions_endpoint, "Subscriptions", {}),
    ("/blocklist/subscriptions", "POST", bl.subscriptions_endpoint, "Subscribe to a list",
     {"url": ("string", True), "name": ("string", False), "format": ("string", False),
      "trust": ("number", False), "severity_cap": ("string", False),
      "refresh_seconds": ("number", False), "auto_apply": ("boolean", False)}),
    ("/blocklist/sync", "POST", bl.sync, "Fetch every subscription now", {}),
    ("/blocklist/pending", "GET", bl.pending, "Pending changes with their impact", {}),
    ("/blocklist/pending", "POST", bl.pending, "Approve or dismiss pending changes",
     {"approve": ("array", False), "dismiss": ("array", False)}),
    ("/blocklist/release", "POST", bl.release, "Accept a subscription's held fetch",
     {"name": ("string", True)}),
    ("/blocklist/settings", "GET", bl.settings, "Consensus settings", {}),
    ("/blocklist/settings", "PUT", bl.settings, "Change the consensus settings",
     {"threshold": ("number", False), "mode": ("string", False), "merge": ("string", False),
      "max_change_share": ("number", False), "allowlist_mode": ("boolean", False)}),
    ("/crisis/stream", "GET", crisis.stream,
     "Crisis alerts as Server-Sent Events (Last-Event-ID resumes)", {}),
    ("/crisis/events", "GET", crisis.events,
     "Crisis events with what was sent and who acknowledged (?open=true)", {}),
    ("/crisis/events/{id}/ack", "POST", crisis.acknowledge, "Acknowledge a crisis event", {}),
    ("/crisis/duty", "GET", crisis.duty, "Whether the caller is on crisis duty", {}),
    ("/crisis/duty", "PUT", crisis.duty, "Take or leave crisis duty",
     {"on_duty": ("boolean", True)}),
    ("/groups/{slug}/crisis", "GET", crisis.group_settings, "The group's crisis settings", {}),
    ("/groups/{slug}/crisis", "PUT", crisis.group_settings,
     "Message people marked concern too; the country whose lines members get",
     {"concern_message": ("boolean", False), "country": ("string", False)}),
    ("/anonymous", "GET", anon.listing,
     "Anonymous submissions, without their authors (?group=SLUG&state=pending|...|all)", {}),
    ("/anonymous/bans", "POST", anon.ban,
     "Ban the author of an anonymous post (by submission or note) without unsealing",
     {"submission": ("integer", False), "note": ("string", False), "reason": ("string", False),
      "days": ("number", False)}),
    ("/anonymous/{id}", "POST", anon.decide, "Approve (the group publishes it) or decline",
     {"decision": ("string", True), "note": ("string", False)}),
    ("/anonymous/{id}/unseal", "POST", anon.unseal,
     "Who wrote an anonymous submission: audited with the reason",
     {"reason": ("string", True)}),
    ("/resources", "GET", res.directory,
     "Crisis resources: the instance's (?country=CC) and a group's own (?group=SLUG)", {}),
    ("/resources", "POST", res.directory,
     "Add a crisis line or service (group: a group's own; else the instance's, admins)",
     {"country": ("string", True), "name": ("string", True), "kind": ("string", False),
      "phone": ("string", False), "url": ("string", False), "hours": ("string", False),
      "languages": ("array", False), "source": ("string", False),
      "checked_on": ("string", False), "group": ("string", False)}),
    ("/resources/{id}", "DELETE", res.remove, "Remove a crisis resource", {}),
    ("/groups/{slug}/resources/pin", "POST", res.pin,
     "The group publishes its crisis lines and pins the post (featured)",
     {"lang": ("string", False)}),
    ("/audit", "GET", mod.audit_log, "The audit log (?target=URL&action=NAME)", {}),
    ("/users/{username}/verification", "GET", ver.staff_verification,
     "A professional staff account's verification", {}),
    ("/users/{username}/verification", "POST", ver.staff_verification,
     "Verify (credential) or unverify a professional staff account (admins only)",
     {"action": ("string", True), "credential": ("string", False)}),
    ("/groups/{slug}/verified", "GET", ver.group_verified, "The group's verified members", {}),
    ("/groups/{slug}/verified", "POST", ver.group_verified,
     "Mark a member as a verified peer_supporter or professional, or unmark them",
     {"actor": ("string", True), "action": ("string", True), "role": ("string", False),
      "credential": ("string", False)}),
]  # fmt: skip


def routes() -> list[Route]:
    by_path: dict[str, list[tuple[str, Any]]] = {}
    for path, method, handler, _, _ in ENDPOINTS:
        by_path.setdefault(path, []).append((method, handler))
    table = [Route("/api/openapi.json", openapi, methods=["GET"])]
    for path, handlers in by_path.items():
        table.append(
            Route(PREFIX + path, _dispatch(dict(handlers)), methods=[m for m, _ in handlers])
        )
    return table


def _dispatch(handlers: dict[str, Any]) -> Any:
    async def route(request: Request) -> Any:
        return await handlers[request.method](request)

    return route


async def openapi(request: Request) -> JSONResponse:
    paths: dict[str, dict[str, Any]] = {}
    for path, method, _, summary, fields in ENDPOINTS:
        operation: dict[str, Any] = {
            "summary": summary,
            "security": [{"bearer": []}],
            "responses": {
                "200": {"description": "done"}, "201": {"description": "created"},
                "400": {"description": "a field is wrong: {error, detail, fields}"},
                "401": {"description": "no or unknown token"},
                "403": {"description": "not an admin or moderator"},
                "404": {"description": "no such group"},
                "409": {"description": "the action conflicts with the current state"},
            },
        }  # fmt: skip
        if fields:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": {
                    "type": "object", "additionalProperties": False,
                    "properties": {n: {"type": t} for n, (t, _) in fields.items()},
                    "required": [n for n, (_, req) in fields.items() if req],
                }}},
            }  # fmt: skip
        for name in ("slug", "id", "username"):
            if f"{{{name}}}" in path:
                kind = "integer" if name == "id" else "string"
                operation["parameters"] = [
                    {"name": name, "in": "path", "required": True, "schema": {"type": kind}}
                ]
        paths.setdefault(PREFIX + path, {})[method.lower()] = operation
    return JSONResponse({
        "openapi": "3.1.0",
        "info": {"title": "PeerHaven admin API", "version": "1"},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": paths,
    })  # fmt: skip
