"""Discovery and actor documents, as Mastodon and Fedify fetch them."""

from __future__ import annotations

import httpx
import pytest

from federation.local import create_actor
from storage.db import Database

AP = "application/activity+json"
LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


@pytest.fixture
async def group(client: httpx.AsyncClient, database: Database) -> str:
    await create_actor(
        database.pool, kind="Group", username="anxiety-circle", name="Anxiety Circle",
        summary="A peer group", manually_approves_followers=False,
    )  # fmt: skip
    return "http://127.0.0.1:8080/groups/anxiety-circle"


async def test_webfinger_acct_with_port(client: httpx.AsyncClient, group: str) -> None:
    response = await client.get(
        "/.well-known/webfinger", params={"resource": "acct:anxiety-circle@127.0.0.1:8080"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/jrd+json")
    jrd = response.json()
    assert jrd["subject"] == "acct:anxiety-circle@127.0.0.1:8080"
    self_link = next(link for link in jrd["links"] if link["rel"] == "self")
    assert self_link == {"rel": "self", "type": AP, "href": group}
    assert any(link["rel"] == "http://webfinger.net/rel/profile-page" for link in jrd["links"])


async def test_webfinger_by_actor_url(client: httpx.AsyncClient, group: str) -> None:
    response = await client.get("/.well-known/webfinger", params={"resource": group})
    assert response.status_code == 200
    assert response.json()["subject"] == "acct:anxiety-circle@127.0.0.1:8080"


@pytest.mark.parametrize(
    ("resource", "status"),
    [
        ("acct:nobody@127.0.0.1:8080", 404),
        ("acct:anxiety-circle@elsewhere.example", 404),
        ("", 400),
    ],
)
async def test_webfinger_misses(
    client: httpx.AsyncClient, group: str, resource: str, status: int
) -> None:
    response = await client.get("/.well-known/webfinger", params={"resource": resource})
    assert response.status_code == status


@pytest.mark.parametrize("accept", [AP, LD])
async def test_actor_json_by_content_negotiation(
    client: httpx.AsyncClient, group: str, accept: str
) -> None:
    response = await client.get(group, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(AP)
    doc = response.json()
    assert doc["type"] == "Group"
    assert doc["id"] == group
    assert doc["preferredUsername"] == "anxiety-circle"
    for key in ("inbox", "outbox", "followers", "following", "featured"):
        assert doc[key] == f"{group}/{key}"
    assert doc["endpoints"]["sharedInbox"] == "http://127.0.0.1:8080/inbox"
    assert doc["publicKey"]["owner"] == group
    assert doc["publicKey"]["id"] == f"{group}#main-key"
    assert doc["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert doc["manuallyApprovesFollowers"] is False
    assert doc["discoverable"] is True
    assert doc["published"].endswith("Z")


async def test_actor_html_for_browsers(client: httpx.AsyncClient, group: str) -> None:
    response = await client.get(group, headers={"Accept": "text/html,*/*"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<title>Anxiety Circle · PeerHaven</title>" in response.text
    assert "@anxiety-circle@127.0.0.1:8080" in response.text


async def test_instance_actor(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/actor", headers={"Accept": AP})).json()
    assert doc["type"] == "Application"
    assert doc["publicKey"]["id"] == "http://127.0.0.1:8080/actor#main-key"


async def test_collections_and_pages(client: httpx.AsyncClient, group: str) -> None:
    followers = (await client.get(f"{group}/followers", headers={"Accept": AP})).json()
    assert followers["type"] == "OrderedCollection"
    assert followers["totalItems"] == 0
    page = (await client.get(followers["first"], headers={"Accept": AP})).json()
    assert page["type"] == "OrderedCollectionPage"
    assert page["partOf"] == f"{group}/followers"
    assert page["orderedItems"] == []
    bad = await client.get(f"{group}/followers?page=zero", headers={"Accept": AP})
    assert bad.status_code == 400


async def test_unknown_actor_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/groups/nope", headers={"Accept": AP})).status_code == 404


async def test_host_meta_and_nodeinfo(client: httpx.AsyncClient, group: str) -> None:
    xml = await client.get("/.well-known/host-meta")
    assert xml.status_code == 200
    assert 'template="http://127.0.0.1:8080/.well-known/webfinger?resource={uri}"' in xml.text
    assert (await client.get("/.well-known/host-meta.json")).json()["links"][0]["rel"] == "lrdd"
    links = (await client.get("/.well-known/nodeinfo")).json()["links"]
    hrefs = {link["rel"].rsplit("/", 1)[1]: link["href"] for link in links}
    assert set(hrefs) == {"2.0", "2.1"}
    for version, href in hrefs.items():
        info = (await client.get(href)).json()
        assert info["version"] == version
        assert info["software"]["name"] == "peerhaven"
        assert info["protocols"] == ["activitypub"]
        assert info["openRegistrations"] is False
        assert info["metadata"]["groups"] == 1
        assert "federation" in info["metadata"]
