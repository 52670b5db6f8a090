"""Reports as moderators work them: filed locally, resolved or dismissed with a note, and
forwarded to a reported account's own instance as a Mastodon-compatible ``Flag`` from our
instance actor (Mastodon's own shape: ``object`` is the account then its posts, ``content``
the comment, ``to`` the account). Every step is audited."""

from __future__ import annotations

import uuid

from federation import outbox
from federation.context import FederationContext
from federation.remote import RemoteError
from federation.wire import host_of
from storage import actors, audit, objects, reports
from storage.reports import Report


class ReportError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


async def file_local(
    ctx: FederationContext,
    *,
    who: str,
    object_uris: list[str],
    content: str,
    group_id: int | None,
) -> Report:
    activity_uri = f"{ctx.urls.base_url}/reports/{uuid.uuid4().hex}"
    async with ctx.pool.acquire() as conn, conn.transaction():
        report = await reports.add(
            conn, activity_uri=activity_uri, actor_uri=who, object_uris=object_uris,
            content=content, group_id=group_id, source="local",
        )  # fmt: skip
        if report is None:  # a fresh random id: cannot happen, but never write blind
            raise ReportError(409, "the report could not be stored")
        await audit.record(
            conn, who=who, action="report_filed", target=object_uris[0], reason=content[:500],
            source=f"report:{report.id}", details={"report": report.id, "objects": object_uris},
        )  # fmt: skip
    return report


async def close(
    ctx: FederationContext,
    report_id: int,
    *,
    who: str,
    dismiss: bool,
    note: str,
    action: str | None = None,
) -> Report:
    """Resolve (with the action taken) or dismiss an open report."""
    state = "dismissed" if dismiss else "resolved"
    async with ctx.pool.acquire() as conn, conn.transaction():
        report = await reports.get(conn, report_id)
        if report is None:
            raise ReportError(404, f"no report {report_id}")
        if not await reports.close(conn, report_id, state=state, who=who, note=note, action=action):
            raise ReportError(409, f"report {report_id} is already {report.state}")
        details = {"report": report_id} | ({"action": action} if action else {})
        await audit.record(
            conn, who=who, action=f"report_{'dismiss' if dismiss else 'resolve'}",
            target=report.object_uris[0], reason=note, source=f"report:{report_id}",
            details=details,
        )  # fmt: skip
        closed = await reports.get(conn, report_id)
    return closed or report


async def reported_account(ctx: FederationContext, report: Report) -> str | None:
    """The remote account a report is about: one named in it, or the author of a post in it
    (as we know them, else as their servers say)."""
    remote = [uri for uri in report.object_uris if not ctx.urls.is_local(uri)]
    for uri in remote:
        if await actors.remote_actor(ctx.pool, uri) is not None:
            return uri
        author = await objects.object_author(ctx.pool, uri)
        if author is not None and not ctx.urls.is_local(author):
            return author
    for uri in remote:
        try:
            return (await ctx.directory.get_actor(uri)).uri
        except RemoteError:
            continue
    return None


async def forward(ctx: FederationContext, report_id: int, *, who: str) -> str:
    """Send the report to the reported account's instance; returns the inbox it goes to."""
    report = await reports.get(ctx.pool, report_id)
    if report is None:
        raise ReportError(404, f"no report {report_id}")
    if report.forwarded_to is not None:
        raise ReportError(409, f"report {report_id} was already forwarded to {report.forwarded_to}")
    account = await reported_account(ctx, report)
    if account is None:
        raise ReportError(409, "the report names no remote account or post to forward")
    try:
        target = await ctx.directory.get_actor(account)
    except RemoteError as exc:
        raise ReportError(422, f"the reported account cannot be fetched ({exc.reason})") from None
    instance = await actors.instance_actor(ctx.pool)
    if instance is None:  # created at start-up
        raise ReportError(503, "the instance actor is missing; restart the server")
    posts = [u for u in report.object_uris if u != account and host_of(u) == host_of(account)]
    flag = outbox.new_activity(
        ctx, instance, "Flag", [account, *posts], content=report.content, to=[account]
    )
    inbox = target.shared_inbox or target.inbox
    async with ctx.pool.acquire() as conn, conn.transaction():
        await outbox.send(ctx, conn, instance, flag, [inbox])
        await reports.mark_forwarded(conn, report_id, inbox)
        await audit.record(
            conn, who=who, action="report_forward", target=account, reason=report.content[:500],
            source=f"report:{report_id}", details={"report": report_id, "flag": flag["id"],
                                                   "inbox": inbox},
        )  # fmt: skip
    ctx.delivery_wakeup.set()
    return inbox
