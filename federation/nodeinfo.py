"""Which software a remote host runs, from its NodeInfo (``/.well-known/nodeinfo``).

Asked once per host (when one of its accounts follows us) and refreshed weekly; a host that
does not answer counts as unknown, which the relay treats like Mastodon.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import urlsplit

from federation.context import FederationContext
from federation.fetch import FetchError
from federation.wire import same_host
from storage import software

log = logging.getLogger(__name__)

REFRESH = timedelta(days=7)
# Software that understands FEP-1b12 groups: it gets the Announce of the activity itself.
GROUP_AWARE = frozenset(
    {"lemmy", "mbin", "kbin", "piefed", "friendica", "nodebb", "hubzilla", "streams",
     "lotide", "discourse", "gancio", "mobilizon", "peertube", "bonfire"}
)  # fmt: skip


def is_group_aware(name: str | None) -> bool:
    return (name or "").lower() in GROUP_AWARE


async def learn_software(ctx: FederationContext, actor_uri: str) -> str | None:
    """The software of ``actor_uri``'s host, fetched when unknown or older than a week."""
    parts = urlsplit(actor_uri)
    domain = (parts.hostname or "").lower()
    known = await software.get(ctx.pool, domain)
    if known is not None and ctx.clock() - known[1] < REFRESH:
        return known[0]
    name, version = await _fetch(ctx, f"{parts.scheme}://{parts.netloc}")
    await software.put(ctx.pool, domain, name, version)
    return name


async def _fetch(ctx: FederationContext, origin: str) -> tuple[str | None, str | None]:
    try:
        links = (await ctx.fetcher.get_plain_json(f"{origin}/.well-known/nodeinfo")).data
        hrefs = {
            str(link.get("rel", "")).rsplit("/", 1)[-1]: link.get("href")
            for link in links.get("links", [])
            if isinstance(link, dict)
        }
        href = hrefs.get("2.1") or hrefs.get("2.0")
        if not isinstance(href, str) or not same_host(href, origin):
            return None, None
        doc = (await ctx.fetcher.get_plain_json(href)).data
    except (FetchError, AttributeError, TypeError) as exc:  # any malformed document
        log.info("no NodeInfo from %s: %s", origin, exc)
        return None, None
    sw = doc.get("software") if isinstance(doc, dict) else None
    if not isinstance(sw, dict) or not isinstance(sw.get("name"), str):
        return None, None
    version = sw.get("version")
    return sw["name"].lower()[:100], version[:100] if isinstance(version, str) else None
