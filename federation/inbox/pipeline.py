"""The inbox pipeline, one POST at a time, in named stages (GoToSocial style):

1. decode     the body is a JSON object with ``id``, ``type`` and ``actor``           (400)
2. authorize  the sender's domain (and its key's) is not blocked: before ANY fetch    (403)
3. authenticate  the HTTP signature verifies (fetching the key when unknown)          (401)
4. resolve    the key's owner is the actor, or a forwarded activity is proven by
              its origin                                                              (401)
5. parse      it becomes our internal form                                            (400)
6. vet        embedded objects from other hosts are never trusted as sent             (400)
7. store      a durable queue row, once per activity id; then 202

Acting on the activity happens later, in ``federation.inbox.worker``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import asyncpg

from federation.context import FederationContext
from federation.inbox.batch import BatchWriter
from federation.inbox.outcome import Accepted, Refused
from federation.jsonld import bundled_loader
from federation.parse import (
    ACTIVITY_TYPES,
    Rejected,
    TrustReason,
    embedded_object_trust,
    parse_document,
)
from federation.remote import RemoteError
from federation.signatures.ld import LdSignatureError, ld_signature_creator, verify_ld_signature
from federation.signatures.types import FailureReason, PublicKeyInfo, SignedRequest, VerifyResult
from federation.signatures.verify import verify_request
from federation.wire import Activity, APObject, host_of, same_host
from storage.inbox import InboxRow

log = logging.getLogger(__name__)

# keyId="..." (draft-cavage) or keyid="..." (RFC 9421 Signature-Input parameter).
_KEY_ID = re.compile(r'key[iI]d="([^"]+)"')
# Activities whose embedded object must be the actor's own: a cross-host one is a forgery.
_OWN_OBJECT_TYPES = frozenset({"Create", "Update", "Delete", "Undo"})


@dataclass(frozen=True)
class InboxRequest:
    method: str
    raw_target: str  # raw path and query, exactly as received
    scheme: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    recipient: str | None  # local username for a personal inbox, None for the shared inbox


class InboxPipeline:
    def __init__(self, ctx: FederationContext) -> None:
        self.ctx = ctx
        self.writer = BatchWriter(ctx.pool, on_commit=ctx.inbox_wakeup.set)

    async def close(self) -> None:
        await self.writer.close()

    async def receive(self, req: InboxRequest) -> Accepted:
        """Run the stages; count the outcome (accepted, or refused by reason)."""
        metrics = self.ctx.metrics
        try:
            accepted = await self._stages(req)
        except Refused as refused:
            metrics.inbox_rejected[refused.reason] += 1
            raise
        if accepted.new:
            metrics.inbox_accepted += 1
        else:
            metrics.inbox_duplicates += 1
        return accepted

    async def _stages(self, req: InboxRequest) -> Accepted:
        received = decode(req.body)
        actor = envelope_actor(received)
        await self.authorize(actor, req)
        verified = await self.authenticate(req)
        doc, verified_by = await self.resolve(received, actor, verified)
        activity = parse_activity(doc)
        vetted = vet_embedded(activity, doc)
        # Unchanged documents are stored as the bytes that came in (no second json.dumps).
        payload: dict[str, Any] | str = req.body.decode("utf-8") if vetted is received else vetted
        return await self.store(activity, payload, req, verified_by, verified.key_id)

    async def authorize(self, actor: str, req: InboxRequest) -> None:
        hosts = {host_of(actor), *signing_hosts(req.headers)}
        for host in sorted(h for h in hosts if h):
            if await self.ctx.moderation.domain_blocked(host):
                raise Refused(403, "domain_blocked", f"{host} is blocked by this instance")

    async def authenticate(self, req: InboxRequest) -> VerifyResult:
        signed = SignedRequest(req.method, req.raw_target, req.headers, req.body, req.scheme)
        fetch_failures: list[str] = []

        async def resolve_key(key_id: str, refresh: bool) -> PublicKeyInfo | None:
            try:
                return await self.ctx.directory.get_key(key_id, refresh=refresh)
            except RemoteError as exc:
                fetch_failures.append(exc.reason)
                return None

        result = await verify_request(signed, resolve_key=resolve_key, now=self.ctx.clock())
        if not result.ok:
            detail = result.detail
            if result.reason == FailureReason.KEY_FETCH_FAILED and fetch_failures:
                detail = f"{detail} ({fetch_failures[-1]})"
            raise Refused(401, str(result.reason), detail)
        return result

    async def resolve(
        self, doc: dict[str, Any], actor: str, verified: VerifyResult
    ) -> tuple[dict[str, Any], str]:
        if verified.key_owner == actor:
            return doc, "http-signature"
        # Forwarded (the signer is not the actor, e.g. a reply Mastodon forwards to followers):
        # believe it only with the actor's own LD signature, or as its origin serves it.
        if await self._ld_signed_by(doc, actor):
            return doc, "ld-signature"
        activity_id = doc["id"]
        if not same_host(activity_id, actor):
            raise Refused(401, "owner_mismatch", "the signing key does not belong to the actor")
        try:
            origin = await self.ctx.directory.fetch_object(activity_id)
        except RemoteError as exc:
            raise Refused(
                401,
                "owner_mismatch",
                f"the signing key does not belong to the actor, and the activity could not be "
                f"fetched from its origin ({exc.reason})",
            ) from None
        if origin.get("id") != activity_id or envelope_actor(origin) != actor:
            raise Refused(401, "owner_mismatch", "the origin serves a different activity")
        return origin, "origin-fetch"

    async def _ld_signed_by(self, doc: dict[str, Any], actor: str) -> bool:
        creator = ld_signature_creator(doc)
        if creator is None or not same_host(creator, actor):
            return False
        try:
            key = await self.ctx.directory.get_key(creator)
        except RemoteError:
            return False
        if key.owner != actor:
            return False
        try:
            # URDNA2015 canonicalization is CPU-bound: keep it off the event loop.
            return await asyncio.to_thread(
                verify_ld_signature, doc, key.public_key_pem, bundled_loader
            )
        except LdSignatureError:
            return False

    async def store(
        self,
        activity: Activity,
        doc: dict[str, Any] | str,
        req: InboxRequest,
        verified_by: str,
        key_id: str | None,
    ) -> Accepted:
        row = InboxRow(
            activity_id=activity.id,
            actor_uri=activity.actor,
            type=activity.type,
            recipient=req.recipient,
            payload=doc,
            verified_by=verified_by,
            signer_key_id=key_id,
        )
        try:
            new = await self.writer.write(row)
        except asyncpg.DataError:
            # PostgreSQL refuses this document itself (say, a lone surrogate in a string):
            # retrying cannot help, so this is the sender's error, not ours.
            raise Refused(400, "invalid_json", "the activity cannot be stored as JSON") from None
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
            log.exception("storing an inbox activity failed")
            raise Refused(503, "unavailable", "the activity could not be stored; retry") from None
        return Accepted(activity.id, new, verified_by)


def signing_hosts(headers: Iterable[tuple[str, str]]) -> set[str]:
    """The hosts of the keys a request's signature headers name (``keyId`` in
    draft-cavage's ``Signature`` or ``Authorization``, ``keyid`` in RFC 9421's
    ``Signature-Input``): read before anything is verified or fetched."""
    hosts = set()
    for name, value in headers:
        if name.lower() in ("signature", "signature-input", "authorization"):
            hosts.update(h for k in _KEY_ID.findall(value) if (h := host_of(k)))
    return hosts


def decode(body: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError):  # includes UnicodeDecodeError and JSONDecodeError
        raise Refused(400, "invalid_json", "the body is not valid JSON") from None
    if b"\\u0000" in body:
        # PostgreSQL's jsonb cannot store NUL characters; no real activity carries one.
        raise Refused(400, "invalid_json", "NUL characters (\\u0000) are not accepted")
    if not isinstance(doc, dict):
        raise Refused(400, "not_an_object", "the body must be a JSON object")
    for key in ("id", "type", "actor"):
        if not doc.get(key):
            raise Refused(400, f"missing_{key}", f"the activity has no {key!r}")
    if not isinstance(doc["id"], str):
        raise Refused(400, "bad_id", "the activity's id must be a URI")
    return doc


def _no_constant(name: str) -> Any:
    """NaN and Infinity are not JSON (RFC 8259); Python accepts them, PostgreSQL does not."""
    raise ValueError(f"{name} is not JSON")


def envelope_actor(doc: dict[str, Any]) -> str:
    """The actor's id; peers send a string, an object, or (rarely) a one-element list."""
    actor = doc.get("actor")
    if isinstance(actor, list) and len(actor) == 1:
        actor = actor[0]
    if isinstance(actor, dict):
        actor = actor.get("id")
    if not isinstance(actor, str) or not actor.startswith(("https://", "http://")):
        raise Refused(400, "bad_actor", "the activity's actor must be one URI")
    return actor


def parse_activity(doc: dict[str, Any]) -> Activity:
    parsed = parse_document(doc)
    if isinstance(parsed, Rejected):
        raise Refused(400, str(parsed.reason), parsed.detail)
    if not isinstance(parsed, Activity) or parsed.type not in ACTIVITY_TYPES:
        raise Refused(400, "not_an_activity", f"{type(parsed).__name__} is not an activity")
    return parsed


def vet_embedded(activity: Activity, doc: dict[str, Any]) -> dict[str, Any]:
    """Never trust an embedded object whose id (or author) lives on another host than the
    actor (Mastodon's ``invalid_origin?``, Lemmy's ``verify_domains_match``)."""
    verdict = embedded_object_trust(activity)
    if verdict:
        _check_authorship(activity)
        return doc
    if activity.type in _OWN_OBJECT_TYPES:
        raise Refused(
            400,
            "forged_object",
            f"the embedded object {verdict.object_id} is not on the actor's host "
            f"({verdict.reason})",
        )
    if isinstance(doc.get("object"), dict) and verdict.reason == TrustReason.CROSS_ORIGIN_OBJECT:
        # Keep only the reference: the worker looks it up locally or fetches it from origin.
        return {**doc, "object": activity.object_id}
    raise Refused(400, "untrusted_object", f"cannot trust the embedded {verdict.object_id}")


def _check_authorship(activity: Activity) -> None:
    obj = activity.object
    if activity.type in ("Create", "Update") and isinstance(obj, APObject):
        if obj.attributed_to is not None and obj.attributed_to != activity.actor:
            if activity.actor not in obj.attribution:
                raise Refused(400, "not_author", "only the object's author may create or update it")
    if activity.type == "Undo" and isinstance(obj, Activity) and obj.actor != activity.actor:
        raise Refused(400, "not_own_activity", "an actor may only undo its own activities")
