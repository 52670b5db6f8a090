"""The admin API for domain blocks and shared blocklists, under ``/api/v1/admin/``: each
endpoint checks the caller (admins only) and the body, then calls the same code as the CLI
(``moderation.blocklists``)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from moderation.blocklists import service, subscriptions
from moderation.blocklists.formats import EXPORTS, FORMATS, export
from moderation.blocklists.live import ALLOWLIST_MODE
from server.api import body
from server.api.auth import ApiError
from server.api.endpoint import Created, endpoint, federation_context, who
from server.api.moderation import domain_name, require_admin
from server.blocklists import enforcer_for, fetcher_for
from storage import blocklists, instance
from storage.actors import LocalActor

DOMAIN_ACTIONS = ("block", "unblock", "allow", "unallow")
MAX_LIST_BODY = 32 * 1024 * 1024


def _changed(request: Request) -> None:
    """This process changed the list: its next check reloads it (others see the version
    bump within seconds)."""
    federation_context(request).moderation.forget()


def _ids_or_all(value: Any) -> str | None:
    if value == "all" or _ids(value) is None:
        return None
    return 'must be a list of change ids, or "all"'


def _ids(value: Any) -> str | None:
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and 0 < v < 2**63 for v in value
    ):
        return "must be a list of change ids"
    return None


@endpoint
async def domains(request: Request, staff: LocalActor) -> dict[str, Any]:
    require_admin(staff)
    data = await body.read(
        request,
        {"domain": domain_or_starred, "action": body.one_of(*DOMAIN_ACTIONS)},
        {"severity": body.one_of("suspend", "silence", "noop"), "reason": body.text(1000),
         "public_comment": body.text(1000), "obfuscate": body.boolean,
         "reject_media": body.boolean, "reject_reports": body.boolean},
    )  # fmt: skip
    ctx, by = federation_context(request), who(request, staff)
    try:
        return await _domain_action(ctx, data, by)
    finally:
        _changed(request)


async def _domain_action(ctx: Any, data: dict[str, Any], by: str) -> dict[str, Any]:
    if data["action"] == "unblock":
        reason = data.get("reason", "")
        return await service.unblock(ctx.pool, data["domain"], who=by, reason=reason)
    if data["action"] == "unallow":
        return await service.unallow(ctx.pool, data["domain"], who=by)
    if data["action"] == "allow":
        return await service.allow(ctx.pool, data["domain"], who=by, comment=data.get("reason", ""))
    entry = service.entry_for(
        data["domain"], data.get("severity", "suspend"),
        reject_media=data.get("reject_media", False),
        reject_reports=data.get("reject_reports", False),
        public_comment=data.get("public_comment", ""), private_comment=data.get("reason", ""),
        obfuscate=data.get("obfuscate", False),
    )  # fmt: skip
    return await service.block(ctx.pool, entry, who=by, enforce=enforcer_for(ctx))


def domain_or_starred(value: Any) -> str | None:
    """A domain, or (to unblock it) an obfuscated entry's starred name."""
    if isinstance(value, str) and "*" in value and value.strip():
        return None if len(value) <= 253 and " " not in value.strip() else "not a domain name"
    return domain_name(value)


@endpoint
async def why(request: Request, staff: LocalActor) -> dict[str, Any]:
    require_admin(staff)  # the answer holds private comments
    domain = request.query_params.get("domain", "")
    if domain_name(domain) is not None:
        raise ApiError(400, "invalid_request", "give ?domain=NAME")
    return await service.why(federation_context(request).pool, domain)


@endpoint
async def import_list(request: Request, staff: LocalActor) -> dict[str, Any]:
    require_admin(staff)
    data = await body.read(
        request, {},
        {"text": body.text(MAX_LIST_BODY), "url": body.url, "format": body.one_of(*FORMATS),
         "apply": body.boolean, "allow": body.boolean, "name": body.text(100)},
        max_body=MAX_LIST_BODY,
    )  # fmt: skip
    if ("text" in data) == ("url" in data):
        raise ApiError(400, "invalid_request", "give the list's text or its url",
                       {"text": "give text or url"})  # fmt: skip
    ctx = federation_context(request)
    text = data.get("text")
    if text is None:
        text = (await fetcher_for(ctx)(data["url"], {})).text
    report = await service.import_list(
        ctx.pool, text, fmt=data.get("format"), name=data.get("name", data.get("url", "import")),
        apply=data.get("apply", False), allow=data.get("allow", False),
        who=who(request, staff), enforce=enforcer_for(ctx),
    )  # fmt: skip
    _changed(request)
    return report.as_json()


@endpoint
async def export_list(request: Request, staff: LocalActor) -> dict[str, Any]:
    """``?format=mastodon-csv|mastodon-json|plain``: the effective list, as text."""
    require_admin(staff)
    fmt = request.query_params.get("format", "mastodon-csv")
    if fmt not in EXPORTS:
        raise ApiError(400, "invalid_request", f"format must be one of {', '.join(EXPORTS)}")
    rows = await blocklists.blocks(federation_context(request).pool)
    return {"format": fmt, "text": export([service.entry_of(r) for r in rows], fmt)}


@endpoint
async def subscriptions_endpoint(request: Request, staff: LocalActor) -> Any:
    require_admin(staff)
    pool = federation_context(request).pool
    if request.method == "GET":
        return [_describe_source(s) for s in await blocklists.sources(pool)]
    data = await body.read(
        request, {"url": body.url},
        {"name": body.text(100), "format": body.one_of(*FORMATS), "trust": _number,
         "severity_cap": body.one_of("noop", "silence", "suspend"),
         "refresh_seconds": _number, "auto_apply": body.boolean},
    )  # fmt: skip
    source = await subscriptions.subscribe(
        pool, data["url"], name=data.get("name"), fmt=data.get("format"),
        trust=float(data.get("trust", 1.0)), severity_cap=data.get("severity_cap", "suspend"),
        refresh_seconds=int(data.get("refresh_seconds", 86400)),
        auto_apply=data.get("auto_apply", False), who=who(request, staff),
    )  # fmt: skip
    return Created(_describe_source(source))


def _number(value: Any) -> str | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1e9
    # (NaN fails both comparisons: refused too.)
    return None if ok else "must be a number from 0"


def _describe_source(source: blocklists.Source) -> dict[str, Any]:
    return {
        "name": source.name, "url": source.url, "format": source.format, "trust": source.trust,
        "severity_cap": source.severity_cap, "refresh_seconds": source.refresh_seconds,
        "auto_apply": source.auto_apply, "last_status": source.last_status,
        "last_error": source.last_error, "held": source.held,
        "fetched_at": source.fetched_at.isoformat() if source.fetched_at else None,
    }  # fmt: skip


@endpoint
async def sync(request: Request, staff: LocalActor) -> dict[str, Any]:
    require_admin(staff)
    ctx = federation_context(request)
    report = await subscriptions.sync(
        ctx.pool, fetcher_for(ctx), enforce=enforcer_for(ctx), who=who(request, staff),
        force=True,
    )  # fmt: skip
    _changed(request)
    return report.as_json()


@endpoint
async def pending(request: Request, staff: LocalActor) -> Any:
    require_admin(staff)
    ctx = federation_context(request)
    if request.method == "GET":
        return await subscriptions.review(ctx.pool)
    data = await body.read(request, {}, {"approve": _ids_or_all, "dismiss": _ids})
    answer: dict[str, Any] = {}
    if "approve" in data:
        ids = None if data["approve"] == "all" else data["approve"]
        answer["approved"] = await subscriptions.approve(
            ctx.pool, ids, who=who(request, staff), enforce=enforcer_for(ctx)
        )
    if "dismiss" in data:
        answer["dismissed"] = await subscriptions.dismiss(
            ctx.pool, data["dismiss"], who=who(request, staff)
        )
    _changed(request)
    return answer


@endpoint
async def release(request: Request, staff: LocalActor) -> dict[str, Any]:
    require_admin(staff)
    data = await body.read(request, {"name": body.text(100)})
    ctx = federation_context(request)
    report = await subscriptions.release(
        ctx.pool, data["name"], enforce=enforcer_for(ctx), who=who(request, staff)
    )
    _changed(request)
    return report.as_json()


@endpoint
async def settings(request: Request, staff: LocalActor) -> dict[str, Any]:
    require_admin(staff)
    pool = federation_context(request).pool
    if request.method == "PUT":
        data = await body.read(
            request, {},
            {"threshold": _number, "mode": body.one_of("count", "percent"),
             "merge": body.one_of("max", "min"), "max_change_share": _number,
             "allowlist_mode": body.boolean},
        )  # fmt: skip
        if "allowlist_mode" in data:
            await instance.set_setting(pool, ALLOWLIST_MODE, data.pop("allowlist_mode"))
            await blocklists.bump_version(pool)
            _changed(request)
        if data:
            await subscriptions.set_settings(pool, data)
    mode = bool(await instance.get_setting(pool, ALLOWLIST_MODE))
    return {**(await subscriptions.settings(pool)).__dict__, "allowlist_mode": mode}
