"""A fediverse peer for tests: a real aiohttp server on 127.0.0.1 with real actors and keys.

It serves Person actors (``/users/NAME``) and any documents a test publishes, signs what it
sends with real HTTP signatures, and verifies the signatures of what it receives against
keys it fetches from the sender over HTTP — independently of the server under test.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

from federation.signatures.cavage import sign_request
from federation.signatures.keys import generate_rsa_keypair
from federation.signatures.types import PublicKeyInfo, SignedRequest, VerifyResult
from federation.signatures.verify import verify_request

AP_JSON = "application/activity+json"


@dataclass
class PeerActor:
    name: str
    actor_id: str
    private_pem: str
    public_pem: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key_id(self) -> str:
        return f"{self.actor_id}#main-key"

    def document(self) -> dict[str, Any]:
        return {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": self.actor_id,
            "type": "Person",
            "preferredUsername": self.name,
            "name": self.name.title(),
            "inbox": f"{self.actor_id}/inbox",
            "outbox": f"{self.actor_id}/outbox",
            "followers": f"{self.actor_id}/followers",
            "endpoints": {"sharedInbox": self.actor_id.rsplit("/users/", 1)[0] + "/inbox"},
            "publicKey": {
                "id": self.key_id,
                "owner": self.actor_id,
                "publicKeyPem": self.public_pem,
            },
            **self.extra,
        }


@dataclass
class Received:
    path: str
    body: dict[str, Any]
    verification: VerifyResult


class Peer:
    """Start with ``await peer.start()``; ``host`` names it (``localhost`` is another host
    than ``127.0.0.1`` for origin checks while reaching the same loopback server)."""

    def __init__(self, host: str = "localhost", *, software: str | None = None) -> None:
        self.host = host
        self.software = software  # served as NodeInfo when set
        self.base_url = ""
        self.actors: dict[str, PeerActor] = {}
        self.documents: dict[str, dict[str, Any]] = {}
        self.received: list[Received] = []
        self.requests: list[str] = []
        self._runner: web.AppRunner | None = None

    async def start(self) -> Peer:
        app = web.Application()
        app.router.add_get("/.well-known/nodeinfo", self._nodeinfo_links)
        app.router.add_get("/nodeinfo/2.0", self._nodeinfo)
        app.router.add_get("/users/{name}", self._actor)
        app.router.add_post("/users/{name}/inbox", self._inbox)
        app.router.add_post("/inbox", self._inbox)
        app.router.add_get("/{tail:.*}", self._document)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        # A numeric host binds that loopback address (127.0.0.2 is another host than
        # 127.0.0.1); a name binds 127.0.0.1.
        bind = self.host if self.host[0].isdigit() else "127.0.0.1"
        site = web.TCPSite(self._runner, bind, 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://{self.host}:{port}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def add_actor(self, name: str, **extra: Any) -> PeerActor:
        private_pem, public_pem = generate_rsa_keypair()
        actor = PeerActor(name, f"{self.base_url}/users/{name}", private_pem, public_pem, extra)
        self.actors[name] = actor
        return actor

    def publish(self, doc: dict[str, Any]) -> None:
        """Serve ``doc`` at its id (for origin fetches)."""
        self.documents[doc["id"]] = doc

    def new_id(self, actor: PeerActor, kind: str) -> str:
        return f"{actor.actor_id}/{kind.lower()}/{uuid.uuid4().hex}"

    def follow(self, actor: PeerActor, target: str) -> dict[str, Any]:
        """A Follow of ``target`` by ``actor``, with a new id."""
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": self.new_id(actor, "Follow"),
            "type": "Follow",
            "actor": actor.actor_id,
            "object": target,
        }

    # -- sending ------------------------------------------------------------

    def sign(
        self,
        actor: PeerActor,
        url: str,
        body: bytes,
        *,
        now: datetime | None = None,
        key_id: str | None = None,
        private_pem: str | None = None,
    ) -> dict[str, str]:
        headers = {"Content-Type": AP_JSON}
        signed = sign_request(
            "POST", url, headers, body, key_id or actor.key_id,
            private_pem or actor.private_pem, now or datetime.now(UTC),
        )  # fmt: skip
        return {**headers, **signed}

    async def post(
        self,
        url: str,
        body: bytes | dict[str, Any] | list[Any],
        *,
        headers: dict[str, str] | None = None,
        actor: PeerActor | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """POST ``body``; signed as ``actor`` unless explicit ``headers`` are given."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        if headers is None:
            headers = self.sign(actor or next(iter(self.actors.values())), url, raw)
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=raw, headers=headers) as resp,
        ):
            text = await resp.text()
            try:
                answer = json.loads(text) if text else {}
            except json.JSONDecodeError:
                answer = {"raw": text}
            return resp.status, answer

    # -- serving ------------------------------------------------------------

    async def _actor(self, request: web.Request) -> web.Response:
        self.requests.append(str(request.url))
        actor = self.actors.get(request.match_info["name"])
        if actor is None:
            return web.Response(status=404)
        return web.json_response(actor.document(), content_type=AP_JSON)

    async def _nodeinfo_links(self, request: web.Request) -> web.Response:
        if self.software is None:
            return web.Response(status=404)
        href = f"{self.base_url}/nodeinfo/2.0"
        rel = "http://nodeinfo.diaspora.software/ns/schema/2.0"
        return web.json_response({"links": [{"rel": rel, "href": href}]})

    async def _nodeinfo(self, request: web.Request) -> web.Response:
        if self.software is None:
            return web.Response(status=404)
        return web.json_response(
            {"version": "2.0", "software": {"name": self.software, "version": "1.0"},
             "protocols": ["activitypub"], "usage": {"users": {}}, "openRegistrations": False}
        )  # fmt: skip

    async def _document(self, request: web.Request) -> web.Response:
        self.requests.append(str(request.url))
        doc = self.documents.get(f"{self.base_url}{request.path_qs}")
        if doc is None:
            return web.Response(status=404)
        return web.json_response(doc, content_type=AP_JSON)

    async def _inbox(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in request.raw_headers)
        signed = SignedRequest(request.method, request.raw_path, headers, body, "http")
        result = await verify_request(signed, resolve_key=_fetch_key, now=datetime.now(UTC))
        self.received.append(Received(request.path, json.loads(body), result))
        return web.Response(status=202 if result.ok else 401)


async def _fetch_key(key_id: str, refresh: bool) -> PublicKeyInfo | None:
    """Fetch a key from the sender, as a peer does (the actor document at the key's URL)."""
    del refresh
    async with (
        aiohttp.ClientSession() as session,
        session.get(key_id.split("#")[0], headers={"Accept": AP_JSON}) as resp,
    ):
        if resp.status != 200:
            return None
        doc = await resp.json(content_type=None)
    key = doc.get("publicKey") or {}
    if key.get("id") != key_id:
        return None
    return PublicKeyInfo(key_id, key.get("owner") or doc["id"], key["publicKeyPem"])
