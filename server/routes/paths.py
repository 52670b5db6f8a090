"""What a request's path names: our local actor, and the raw request-target."""

from __future__ import annotations

from starlette.requests import Request

from storage import actors
from storage.actors import LocalActor

_KIND_BY_PREFIX = {"groups": "Group", "users": "Person", "actor": "Application"}


async def local_actor_for_path(request: Request) -> LocalActor | None:
    """The actor of ``/groups/NAME/...``, ``/users/NAME/...`` or ``/actor/...``, if it exists
    and has that kind."""
    prefix = request.url.path.strip("/").split("/", 1)[0]
    kind = _KIND_BY_PREFIX.get(prefix)
    if kind is None:
        return None
    pool = request.app.state.database.pool
    if kind == "Application":
        return await actors.instance_actor(pool)
    found = await actors.local_actor_by_username(pool, request.path_params.get("username", ""))
    return found if found is not None and found.kind == kind else None


def raw_target(request: Request) -> str:
    """The request-target exactly as sent: raw (percent-encoded) path plus query. Building it
    from the decoded path breaks signatures (and is a known trap)."""
    raw_path = request.scope.get("raw_path") or request.scope["path"].encode("utf-8")
    query = request.scope.get("query_string", b"")
    target = raw_path.decode("latin-1")
    return f"{target}?{query.decode('latin-1')}" if query else target
