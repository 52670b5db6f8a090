"""ASGI app factory: routes, and a lifespan that owns the database, the outgoing HTTP
session and the background workers."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from starlette.applications import Starlette
from starlette.routing import Route

from federation.cache import TTLCache
from federation.context import FederationContext, utcnow
from federation.delivery.engine import DeliveryEngine, signing_pool
from federation.delivery.settings import DeliverySettings
from federation.fetch import Fetcher, FetchPolicy
from federation.inbox.pipeline import InboxPipeline
from federation.inbox.worker import InboxWorker
from federation.local import ensure_instance_actor, signer_for
from federation.urls import LocalUrls
from moderation.crisis.detector import Detector
from moderation.crisis.lexicon import load_lexicons
from moderation.crisis.messages import MESSAGES_FILE, load_templates
from moderation.gate import Moderation
from moderation.policies.store import PolicyFile
from server import health, pages
from server.api.routes import routes as api_routes
from server.blocklists import SubscriptionRefresher
from server.commands.version import installed_version
from server.crisis_alerts import Escalator, Webhook
from server.routes import actors, blocklist, discovery, inbox, ops
from server.settings import Settings
from server.workers import WorkerLoops
from storage.db import Database

COLLECTIONS = ("outbox", "followers", "following", "featured")


def routes() -> list[Route]:
    table = [
        Route("/", pages.index, methods=["GET"]),
        Route("/about/moderation", pages.about_moderation, methods=["GET"]),
        Route("/resources", pages.resources_page, methods=["GET"]),
        Route("/healthz", health.healthz, methods=["GET"]),
        Route("/.well-known/webfinger", discovery.webfinger, methods=["GET"]),
        Route("/.well-known/host-meta", discovery.host_meta, methods=["GET"]),
        Route("/.well-known/host-meta.json", discovery.host_meta_json, methods=["GET"]),
        Route("/.well-known/nodeinfo", discovery.nodeinfo_links, methods=["GET"]),
        Route("/nodeinfo/{version}", discovery.nodeinfo, methods=["GET"]),
        Route("/inbox", inbox.inbox, methods=["POST"]),
        Route("/metrics", ops.metrics, methods=["GET"]),
        Route("/api/v1/instance/domain_blocks", blocklist.domain_blocks_json, methods=["GET"]),
        Route("/blocklist.csv", blocklist.blocklist_csv, methods=["GET"]),
        Route("/api/admin/deliveries", ops.deliveries, methods=["GET"]),
        Route("/api/v1/admin/deliveries", ops.deliveries, methods=["GET"]),
        *api_routes(),
        Route("/actor", actors.actor, methods=["GET"]),
        Route("/actor/inbox", inbox.inbox, methods=["POST"]),
    ]
    table.append(Route("/users/{username}/notes/{note}", actors.note, methods=["GET"]))
    table.append(Route("/groups/{username}/moderators", actors.collection, methods=["GET"]))
    table.append(Route("/groups/{username}/notes/{note}", actors.group_note, methods=["GET"]))
    for prefix in ("groups", "users"):
        table.append(Route(f"/{prefix}/{{username}}", actors.actor, methods=["GET"]))
        table.append(Route(f"/{prefix}/{{username}}/inbox", inbox.inbox, methods=["POST"]))
        for name in COLLECTIONS:
            table.append(
                Route(f"/{prefix}/{{username}}/{name}", actors.collection, methods=["GET"])
            )
    for name in COLLECTIONS:
        table.append(Route(f"/actor/{name}", actors.collection, methods=["GET"]))
    return table


def fetch_policy(settings: Settings) -> FetchPolicy:
    # Plain http only for an instance that is itself on http (a local demo or test) or that
    # allows private addresses; production (https base URL) fetches https only.
    return FetchPolicy(
        allow_private_addresses=settings.allow_private_addresses,
        allow_http=settings.allow_private_addresses or settings.base_url.startswith("http:"),
        # The delivery engine caps requests in flight itself; the pool must not queue them
        # (aiohttp's waiters for a full pool cost more than the requests).
        limit=settings.delivery_global + 64,
        limit_per_host=max(8, settings.delivery_per_host),
        user_agent=f"PeerHaven/{installed_version()} (+{settings.base_url})",
    )


def delivery_settings(settings: Settings) -> DeliverySettings:
    return DeliverySettings(
        per_host_inflight=settings.delivery_per_host,
        global_inflight=settings.delivery_global,
        max_hosts=max(settings.delivery_global, 1),
        lease=timedelta(seconds=settings.delivery_lease_seconds),
        unreachable_after=timedelta(days=settings.delivery_unreachable_days),
    )


def create_app(
    settings: Settings, database: Database | None = None, *, run_workers: bool = True
) -> Starlette:
    """Build the app. A ``database`` given here is already open and owned by the caller
    (the CLI opens it first so start-up errors are one clear line); otherwise the lifespan
    opens it (starting the embedded PostgreSQL when ``DATABASE_URL`` is unset) and closes it.
    ``run_workers=False`` leaves the queues to be stepped by hand (tests)."""
    owns_database = database is None
    db = database or Database(settings.database_url, settings.postgres_dir)
    urls = LocalUrls(settings.base_url)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if owns_database:
            await db.open()
        loops = WorkerLoops()
        ctx = None
        try:
            ctx = await build_federation(settings, db, urls)
            app.state.federation = ctx
            app.state.inbox_pipeline = InboxPipeline(ctx)
            app.state.inbox_worker = InboxWorker(ctx)
            app.state.delivery_engine = DeliveryEngine(ctx, delivery_settings(settings))
            app.state.crisis_escalator = Escalator(
                db.pool, settings.crisis_escalate_minutes, ctx.clock, webhook=ctx.crisis_webhook
            )
            app.state.crisis_webhook = None
            if settings.crisis_webhook_url:
                app.state.crisis_webhook = Webhook(
                    db.pool, ctx.fetcher, settings.crisis_webhook_url, settings.base_url, ctx.clock
                )
            reload_on_sighup(app, ctx)
            if run_workers:
                loops.start("inbox", app.state.inbox_worker.run_once, ctx.inbox_wakeup)
                loops.start_task(
                    "delivery", app.state.delivery_engine.run_forever(ctx.delivery_wakeup)
                )
                refresher = SubscriptionRefresher(ctx)
                loops.start("blocklists", refresher.run_once, asyncio.Event(), idle=30.0)
                loops.start("crisis-escalation", app.state.crisis_escalator.run_once,
                            asyncio.Event(), idle=5.0)  # fmt: skip
                if app.state.crisis_webhook is not None:
                    loops.start("crisis-webhook", app.state.crisis_webhook.run_once,
                                asyncio.Event(), idle=1.0)  # fmt: skip
            yield
        finally:
            stop_reloading_on_sighup()
            await loops.stop()
            if hasattr(app.state, "inbox_pipeline"):
                await app.state.inbox_pipeline.close()
            if ctx is not None:
                await ctx.fetcher.close()
            if owns_database:
                await db.close()

    app = Starlette(routes=routes(), lifespan=lifespan)
    app.state.settings = settings
    app.state.database = db
    app.state.urls = urls
    app.state.known_inboxes = TTLCache(ttl=10.0)
    return app


def crisis_detector(settings: Settings) -> Detector:
    """The shipped phrase lists and the instance's own (``DATA_DIR/crisis/LANG.json``)."""
    return Detector(load_lexicons(settings.data_dir / "crisis"))


def reload_on_sighup(app: Starlette, ctx: FederationContext) -> None:
    """SIGHUP reloads the policy file (and is passed on to the other server processes)."""

    def reload() -> None:
        moderation = ctx.moderation
        if isinstance(moderation, Moderation):
            moderation.policies.reload()
        for child in getattr(app.state, "children", ()):
            if child.poll() is None:
                child.send_signal(signal.SIGHUP)

    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, reload)
    except (RuntimeError, ValueError, NotImplementedError):
        pass  # not the main thread (an app served by a test's thread): no signals here


def stop_reloading_on_sighup() -> None:
    try:
        asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
    except (RuntimeError, ValueError, NotImplementedError):
        pass


async def build_federation(settings: Settings, db: Database, urls: LocalUrls) -> FederationContext:
    instance = await ensure_instance_actor(db.pool, settings.instance_name)
    # Signed GETs come from the instance actor (authorized-fetch peers require a signature).
    signer = signer_for(instance, urls, utcnow)
    return FederationContext(
        pool=db.pool,
        urls=urls,
        fetcher=Fetcher(fetch_policy(settings), signer, sign_executor=signing_pool()),
        moderation=Moderation(
            db.pool, PolicyFile(settings.policy_path), crisis=crisis_detector(settings),
            default_country=settings.default_country,
            templates=load_templates(settings.data_dir / MESSAGES_FILE),
        ),
        clock=utcnow,
        crisis_webhook=bool(settings.crisis_webhook_url),
    )  # fmt: skip
