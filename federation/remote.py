"""Remote actors and their keys: fetched with a signed GET, cached in PostgreSQL.

Actors are refreshed after 24 hours, or when a signature made with their cached key fails
(keys rotate). A fetched document is only believed about itself: its ``id`` must be the URL
we asked for (after redirects, on the same host), and a key document's owner must list the key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from federation.cache import TTLCache
from federation.fetch import Fetcher, FetchError
from federation.parse import parse_document
from federation.signatures.types import PublicKeyInfo
from federation.urls import LocalUrls
from federation.wire import ActorDoc, host_of, same_host
from storage import actors
from storage.actors import RemoteActor, RemoteKey

log = logging.getLogger(__name__)

ACTOR_TTL = timedelta(hours=24)
ACTOR_TYPES = frozenset({"Person", "Group", "Service", "Application", "Organization"})


class RemoteError(Exception):
    """A remote document could not be obtained or believed; ``reason`` says why."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


# Keys verified on every inbox POST are kept in memory this long (a key Delete or rotation
# reaches other processes after at most this; a failed verification refetches at once).
KEY_CACHE_SECONDS = 600.0


@dataclass
class RemoteDirectory:
    pool: asyncpg.Pool
    fetcher: Fetcher
    urls: LocalUrls
    clock: Callable[[], datetime]
    keys: TTLCache[str, PublicKeyInfo] = field(default_factory=lambda: TTLCache(KEY_CACHE_SECONDS))

    # -- keys -------------------------------------------------------------

    async def resolve_key(self, key_id: str, refresh: bool) -> PublicKeyInfo | None:
        """The ``KeyResolver`` handed to signature verification (``None``: unobtainable)."""
        try:
            return await self.get_key(key_id, refresh=refresh)
        except RemoteError as exc:
            log.info("key %s could not be fetched: %s", key_id, exc)
            return None

    async def get_key(self, key_id: str, *, refresh: bool = False) -> PublicKeyInfo:
        """A key from our own actors, the cache, or its origin; ``RemoteError`` says why not."""
        if not refresh:
            remembered = self.keys.get(key_id)
            if remembered is not None:
                return remembered
        local = await self._local_key(key_id)
        if local is not None:
            return self.keys.put(key_id, local)
        if not refresh:
            cached = await actors.remote_key(self.pool, key_id)
            if cached is not None:
                info = PublicKeyInfo(cached.key_id, cached.owner_uri, cached.public_key_pem)
                return self.keys.put(key_id, info)
        return self.keys.put(key_id, await self._fetch_key(key_id))

    async def _local_key(self, key_id: str) -> PublicKeyInfo | None:
        parsed = self.urls.parse_actor(key_id)
        if parsed is None:
            return None
        actor = await actors.local_actor_by_username(self.pool, parsed[1])
        if actor is None or actor.kind != parsed[0]:
            return None
        actor_id = self.urls.actor(actor.kind, actor.username)
        if key_id != self.urls.key_id(actor_id):
            return None
        return PublicKeyInfo(key_id, actor_id, actor.public_key_pem)

    async def _fetch_key(self, key_id: str) -> PublicKeyInfo:
        doc = await self._get(key_id.split("#", 1)[0])
        if doc.get("type") in ACTOR_TYPES:
            actor = await self._store_actor(doc, requested=key_id)
        else:
            # A bare key document (GoToSocial serves one at the key id): believe it only when
            # the owner it names lists this very key.
            owner = doc.get("owner") or doc.get("controller")
            if not isinstance(owner, str) or not same_host(owner, key_id):
                raise RemoteError("bad_key_document", "key document names no owner on its host")
            actor = await self._store_actor(await self._get(owner), requested=owner)
        key = actor.public_key
        if key is None or key.id != key_id:
            raise RemoteError("key_not_listed", "the actor does not publish this key id")
        await actors.upsert_remote_key(
            self.pool, RemoteKey(key_id, actor.id, key.pem, self.clock())
        )
        return PublicKeyInfo(key_id, actor.id, key.pem)

    # -- actors -----------------------------------------------------------

    async def get_actor(self, uri: str, *, refresh: bool = False) -> RemoteActor:
        """A remote actor from the cache, or fetched when unknown, stale or ``refresh``."""
        cached = await actors.remote_actor(self.pool, uri)
        fresh = cached is not None and self.clock() - cached.fetched_at < ACTOR_TTL
        if cached is not None and cached.deleted_at is None and fresh and not refresh:
            return cached
        await self._store_actor(await self._get(uri), requested=uri)
        stored = await actors.remote_actor(self.pool, uri)
        if stored is None:
            raise RemoteError("actor_id_mismatch", "the fetched actor has another id")
        return stored

    async def refresh_actor(self, uri: str) -> RemoteActor:
        return await self.get_actor(uri, refresh=True)

    async def _store_actor(self, doc: dict[str, Any], *, requested: str) -> ActorDoc:
        parsed = parse_document(doc)
        if not isinstance(parsed, ActorDoc):
            reason = getattr(parsed, "reason", "not_an_actor")
            raise RemoteError(str(reason), "the document is not an actor")
        if not same_host(parsed.id, requested):
            raise RemoteError("origin_mismatch", "the actor's id is on another host")
        if parsed.id != requested.split("#", 1)[0]:
            # Served at one URL, claiming another: believe it about nothing (it could be a
            # user's upload on the same host posing as another account).
            raise RemoteError("actor_id_mismatch", "the actor's id is not the URL it came from")
        if parsed.public_key is not None and parsed.public_key.owner not in (None, parsed.id):
            raise RemoteError("key_owner_mismatch", "the actor's key names another owner")
        await actors.upsert_remote_actor(
            self.pool,
            RemoteActor(
                uri=parsed.id,
                domain=host_of(parsed.id) or "",
                type=parsed.type,
                preferred_username=parsed.preferred_username,
                name=parsed.name,
                inbox=parsed.inbox,
                shared_inbox=parsed.shared_inbox,
                followers_url=parsed.followers,
                url=parsed.url,
                moved_to=parsed.moved_to,
                document=doc,
                fetched_at=self.clock(),
                deleted_at=None,
            ),
        )
        if parsed.public_key is not None:
            await actors.upsert_remote_key(
                self.pool,
                RemoteKey(parsed.public_key.id, parsed.id, parsed.public_key.pem, self.clock()),
            )
        return parsed

    async def fetch_object(self, uri: str) -> dict[str, Any]:
        """Fetch any document from its origin; its id must be on the host we asked."""
        doc = await self._get(uri)
        if not same_host(str(doc.get("id", "")), uri):
            raise RemoteError("origin_mismatch", "the fetched document has an id on another host")
        return doc

    async def _get(self, url: str) -> dict[str, Any]:
        try:
            result = await self.fetcher.get_json(url)
        except FetchError as exc:
            raise RemoteError(str(exc.reason), exc.message) from None
        if not same_host(result.url, url):
            # Redirected to another host: only the final host can speak for the document.
            raise RemoteError("origin_mismatch", "redirected to another host")
        data: dict[str, Any] = result.data
        return data
