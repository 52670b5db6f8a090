"""Instance-wide moderation actions on remote accounts and domains, each with its federation
side effects and an audit entry in the same transaction.

- suspend an account: nothing more is accepted from it, its follows of our actors end;
- limit an account: its posts are held for review, its follows need approval;
- block a domain (``suspend`` or ``silence``, Mastodon's "limit"): as above for all of the
  domain's accounts; a suspension also drops what was queued for delivery to it.

Each is reversible (lifting stops the enforcement); follows that ended are not restored:
the accounts must follow again."""

from __future__ import annotations

from federation.context import FederationContext
from storage import audit, domain_blocks, follows, outbound, restrictions

ACCOUNT_SEVERITIES = ("suspend", "limit")
DOMAIN_SEVERITIES = ("suspend", "silence")


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


async def block_domain(
    ctx: FederationContext,
    domain: str,
    severity: str,
    *,
    who: str,
    reason: str = "",
    public_comment: str = "",
    obfuscate: bool = False,
) -> list[str]:
    """``reason`` is private (the audit log and the block's private comment);
    ``public_comment`` is shown on /about/moderation, the domain starred if ``obfuscate``."""
    if severity not in DOMAIN_SEVERITIES:
        raise SanctionError(f"severity must be one of {', '.join(DOMAIN_SEVERITIES)}")
    effects = []
    async with ctx.pool.acquire() as conn, conn.transaction():
        await domain_blocks.add(
            conn, domain, severity, public_comment, private_comment=reason, obfuscate=obfuscate
        )
        if severity == "suspend":
            removed = await follows.remove_followers_on_domain(conn, domain)
            hosts = await outbound.drop_backlog_for_domain(conn, domain)
            effects += [f"{removed} follows ended", f"deliveries to {hosts} hosts dropped"]
        await audit.record(
            conn, who=who, action=f"domain_{severity}", target=domain, reason=reason,
            details={"effects": effects},
        )  # fmt: skip
    ctx.moderation.forget()
    return effects


async def unblock_domain(
    ctx: FederationContext, domain: str, *, who: str, reason: str = ""
) -> None:
    async with ctx.pool.acquire() as conn, conn.transaction():
        if not await domain_blocks.remove(conn, domain):
            raise SanctionError(f"{domain} is not blocked")
        await audit.record(conn, who=who, action="domain_unblock", target=domain, reason=reason)
    ctx.moderation.forget()
