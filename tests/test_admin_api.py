"""The admin API: bearer tokens of staff accounts, field-level 4xx, and its OpenAPI document."""

from __future__ import annotations

import httpx
import pytest

from federation.local import create_actor
from server.api.auth import hash_token
from storage import tokens
from storage.db import Database


async def token_for(database: Database, name: str, role: str) -> str:
    staff = await create_actor(database.pool, kind="Person", username=name, name=name, role=role)
    token = f"token-of-{name}"
    await tokens.add(database.pool, hash_token(token), staff.id)
    return token


@pytest.fixture
async def admin(client: httpx.AsyncClient, database: Database) -> dict[str, str]:
    return {"Authorization": f"Bearer {await token_for(database, 'ada', 'admin')}"}


async def test_tokens_and_roles(client: httpx.AsyncClient, database: Database) -> None:
    assert (await client.get("/api/v1/admin/groups")).status_code == 401
    wrong = await client.get("/api/v1/admin/groups", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    professional = await token_for(database, "pat", "professional")
    forbidden = await client.get(
        "/api/v1/admin/groups", headers={"Authorization": f"Bearer {professional}"}
    )
    assert forbidden.status_code == 403 and forbidden.json()["error"] == "forbidden"


async def test_groups_through_the_api(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    created = await client.post(
        "/api/v1/admin/groups", headers=admin,
        json={"slug": "circle", "name": "Circle", "approval": True},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    assert created.json()["membership"] == "approval"
    again = await client.post(
        "/api/v1/admin/groups", headers=admin, json={"slug": "circle", "name": "Again"}
    )
    assert again.status_code == 409 and "already taken" in again.json()["detail"]

    bad = await client.post(
        "/api/v1/admin/groups", headers=admin, json={"slug": "x", "colour": "red"}
    )
    assert bad.status_code == 400
    assert bad.json()["fields"] == {"name": "required", "colour": "unknown field"}

    changed = await client.patch(
        "/api/v1/admin/groups/circle", headers=admin,
        json={"posting": "anyone", "rules": ["Be kind"], "hide_members": True},
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert (changed.json()["posting"], changed.json()["rules"]) == ("anyone", ["Be kind"])
    wrong = await client.patch(
        "/api/v1/admin/groups/circle", headers=admin, json={"posting": "everybody"}
    )
    assert wrong.status_code == 400 and "must be one of" in wrong.json()["fields"]["posting"]
    missing = await client.patch("/api/v1/admin/groups/nope", headers=admin, json={})
    assert missing.status_code == 404

    listed = (await client.get("/api/v1/admin/groups", headers=admin)).json()
    assert [g["slug"] for g in listed] == ["circle"] and listed[0]["hide_members"] is True
    not_relayed = await client.post(
        "/api/v1/admin/groups/circle/removals", headers=admin,
        json={"object": "https://elsewhere.example/notes/1"},
    )  # fmt: skip
    assert not_relayed.status_code == 404
    assert (await client.get("/api/v1/admin/groups/circle/requests", headers=admin)).json() == []


async def test_openapi_describes_every_endpoint(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/api/openapi.json")).json()
    assert doc["openapi"].startswith("3.")
    ops = {(path, method) for path, item in doc["paths"].items() for method in item}
    assert ("/api/v1/admin/groups", "post") in ops
    assert ("/api/v1/admin/groups/{slug}/bans", "post") in ops
    create = doc["paths"]["/api/v1/admin/groups"]["post"]["requestBody"]["content"]
    assert create["application/json"]["schema"]["required"] == ["slug", "name"]
