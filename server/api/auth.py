"""Who calls the admin API: ``Authorization: Bearer TOKEN`` from ``peerhaven token create``
for a staff account with the admin or moderator role."""

from __future__ import annotations

import hashlib
import secrets

from starlette.requests import Request

from storage import actors, tokens
from storage.actors import LocalActor

STAFF_WHO_MAY_MODERATE = frozenset({"admin", "moderator"})


class ApiError(Exception):
    """A refused API call: status, a machine-readable error, a safe message, field reasons."""

    def __init__(
        self, status: int, error: str, detail: str, fields: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail, self.fields = status, error, detail, fields


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


async def caller(request: Request) -> LocalActor:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthorized", "send Authorization: Bearer TOKEN")
    pool = request.app.state.database.pool
    actor_id = await tokens.actor_for(pool, hash_token(token.strip()))
    actor = await actors.local_actor_by_id(pool, actor_id) if actor_id is not None else None
    if actor is None:
        raise ApiError(401, "unauthorized", "unknown token")
    if actor.role not in STAFF_WHO_MAY_MODERATE:
        raise ApiError(403, "forbidden", "only admins and moderators may use the admin API")
    return actor
