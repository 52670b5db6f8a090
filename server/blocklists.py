"""The blocklist machinery wired to this server: subscriptions fetched through the
federation fetcher (SSRF guard, limits, conditional GET), suspensions enforced through the
federation side effects, and the background refresh of due subscriptions."""

from __future__ import annotations

import logging

from federation.context import FederationContext
from federation.fetch import FetchError
from federation.sanctions import suspension_enforcer
from moderation.blocklists import subscriptions
from moderation.blocklists.service import BlocklistError, Enforce, Fetch, Fetched

log = logging.getLogger(__name__)


def fetcher_for(ctx: FederationContext) -> Fetch:
    async def fetch(url: str, headers: dict[str, str]) -> Fetched:
        try:
            result = await ctx.fetcher.get_document(url, headers=headers)
        except FetchError as exc:
            raise BlocklistError(422, f"fetching {url} failed: {exc}") from None
        validators = {k.lower(): v for k, v in result.headers.items()}
        return Fetched(
            result.status, result.body.decode("utf-8", errors="replace"),
            validators.get("etag"), validators.get("last-modified"),
        )  # fmt: skip

    return fetch


def enforcer_for(ctx: FederationContext) -> Enforce:
    return suspension_enforcer(ctx)


class SubscriptionRefresher:
    """``run_once`` for the worker loop: fetch the subscriptions that are due."""

    def __init__(self, ctx: FederationContext) -> None:
        self.ctx = ctx

    async def run_once(self) -> int:
        report = await subscriptions.sync(
            self.ctx.pool, fetcher_for(self.ctx), enforce=enforcer_for(self.ctx)
        )
        for name, outcome in report.sources.items():
            log.info("blocklist subscription %s: %s", name, outcome)
        return len(report.sources)
