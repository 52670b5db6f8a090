"""Instance-wide moderation actions on remote accounts and domains, each with its federation
side effects and an audit entry in the same transaction.

- suspend an account: nothing more is accepted from it, its follows of our actors end;
- limit an account: its posts are held for review, its follows need approval;
- suspend a domain (``suspension_enforcer``; the blocklist decides when, in
  ``moderation.blocklists``).

Each is reversible (lifting stops the enforcement); follows that ended are not restored:
the accounts must follow again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg

from federation.context import FederationContext
from storage import audit, blocklists, follows, restrictions

ACCOUNT_SEVERITIES = ("suspend", "limit")


class SanctionError(Exception):
    """Nothing to lift, or a value out of range (a 409 or 400 for the API)."""


async def restrict_account(
    ctx: FederationContext, actor_uri: str, severity: str, *, who: str, reason: str = ""
) -> list[str]:
    if severity not in ACCOUNT_SEVERITIES:
        raise SanctionError(f"severity must be one of {', '.join(ACCOUNT_SEVERITIES)}")
    effects = []
    async with ctx.pool.acquire() as conn, conn.transaction():
        await restrictions.set_restriction(conn, actor_uri, severity, reason=reason, who=who)
        if severity == "suspend":
            removed = await follows.remove_follows_by(conn, actor_uri)
            effects.append(f"{removed} follows ended")
        await audit.record(
            conn, who=who, action=f"account_{severity}", target=actor_uri, reason=reason,
            details={"effects": effects},
        )  # fmt: skip
    ctx.moderation.forget()
    return effects


async def lift_account(
    ctx: FederationContext, actor_uri: str, *, who: str, reason: str = ""
) -> str:
    async with ctx.pool.acquire() as conn, conn.transaction():
        severity = await restrictions.lift(conn, actor_uri)
        if severity is None:
            raise SanctionError(f"{actor_uri} is neither suspended nor limited")
        await audit.record(
            conn, who=who, action=f"account_un{severity}", target=actor_uri, reason=reason
        )
    ctx.moderation.forget()
    return severity


def suspension_enforcer(ctx: FederationContext) -> Callable[..., Awaitable[dict[str, int]]]:
    """What a domain suspension does to what we hold, in the transaction that makes it:
    their follows of our actors end, what was queued for them is dropped, their cached
    actors, keys and posts are purged (``storage.blocklists.purge_domains``); inbound
    activities are refused at the inbox and nothing more is sent (``ctx.moderation``)."""

    async def enforce(conn: asyncpg.Connection, domains: list[str]) -> dict[str, int]:
        effects = await blocklists.purge_domains(conn, domains)
        ctx.moderation.forget()
        return effects

    return enforce
