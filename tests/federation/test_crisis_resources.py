"""Crisis resources managed through the admin API: the instance's directory (admins) and a
group's own lines (its moderators too), shown on the group's page, given first in the group's
crisis message, and pinned to the group's featured collection as a post of its own."""

from __future__ import annotations

import httpx

from tests.conftest import LiveServer
from tests.federation.group_rig import Members, post, received, saying
from tests.federation.test_crisis_response import moderator_client

SAMARITANS = {"country": "GB", "name": "Samaritans", "phone": "116 123", "hours": "24/7",
              "languages": ["en"], "source": "samaritans.org",
              "checked_on": "2026-06-01"}  # fmt: skip
OWN = {"country": "GB", "name": "Circle peer line", "phone": "0800 000 1234",
       "hours": "evenings", "group": "circle"}  # fmt: skip


async def test_resources_are_managed_shown_given_and_pinned(
    live_server: LiveServer, members: Members, group_url: str, api: httpx.AsyncClient
) -> None:
    live_server.federation.moderation.default_country = "GB"
    mastodon, lemmy, alice, _ = members
    bea = await moderator_client(live_server, "bea")
    made = await api.post(
        "/groups/circle/moderators",
        json={"actor": f"{live_server.base_url}/users/bea", "action": "add"},
    )
    assert made.status_code == 200, made.text  # fmt: skip
    try:
        # Bad input: a clear 400, nothing written.
        for bad in ({**SAMARITANS, "country": "Britain"}, {"country": "GB", "name": "x"},
                    {**SAMARITANS, "languages": "en"}, {**SAMARITANS, "extra": 1}):  # fmt: skip
            answer = await api.post("/resources", json=bad)
            assert answer.status_code == 400, (bad, answer.text)
        assert (await api.get("/resources")).json() == []
        # The instance's directory is the admins'; a group's own lines its moderators' too.
        assert (await bea.post("/resources", json=SAMARITANS)).status_code == 403
        shared = await api.post("/resources", json=SAMARITANS)
        assert shared.status_code == 201, shared.text
        own = await bea.post("/resources", json=OWN)
        assert own.status_code == 201 and own.json()["group_id"] is not None
        assert [r["name"] for r in (await api.get("/resources")).json()] == ["Samaritans"]
        listed = (await api.get("/resources?group=circle")).json()
        assert {r["name"] for r in listed} == {"Samaritans", "Circle peer line"}

        page = (await httpx.AsyncClient().get(group_url, headers={"Accept": "text/html"})).text
        assert page.index("Circle peer line") < page.index("Samaritans")
        assert "116 123" in page and "checked 2026-06-01" in page

        # The group's own line comes first in its message to a person in crisis.
        mastodon.received.clear()
        lemmy.received.clear()
        await post(live_server, mastodon, group_url,
                   saying(mastodon, alice, group_url, "I am going to kill myself tonight"),
                   alice)  # fmt: skip
        [dm] = received(mastodon, "Create")
        content = dm["object"]["content"]
        assert content.index("Circle peer line") < content.index("Samaritans")

        # Pinned: members get the group's post, then the Add to featured, which embeds it.
        mastodon.received.clear()
        pinned = await bea.post("/groups/circle/resources/pin", json={"lang": "en"})
        assert pinned.status_code == 201, pinned.text
        note_id = pinned.json()["note"]
        await live_server.run_workers()
        for peer in (mastodon, lemmy):
            [create] = received(peer, "Create")
            assert create["object"]["id"] == note_id
            assert "Samaritans" in create["object"]["content"]
            [add] = [a for a in received(peer, "Add") if a["target"] == f"{group_url}/featured"]
            assert add["object"] == note_id
        featured = (await httpx.AsyncClient().get(
            f"{group_url}/featured", headers={"Accept": "application/activity+json"}
        )).json()  # fmt: skip
        [item] = featured["orderedItems"]
        assert item["id"] == note_id and "Circle peer line" in item["content"]
        bad_lang = await bea.post("/groups/circle/resources/pin", json={"lang": "xx"})
        assert bad_lang.status_code == 400

        # Removing: a group's own line by its moderator; the instance's only by an admin.
        shared_id = shared.json()["id"]
        assert (await bea.delete(f"/resources/{shared_id}")).status_code == 403
        assert (await bea.delete(f"/resources/{own.json()['id']}")).status_code == 200
        assert (await api.delete(f"/resources/{shared_id}")).status_code == 200
        assert (await api.delete(f"/resources/{shared_id}")).status_code == 404
        assert (await api.get("/resources?group=circle")).json() == []
        actions = [e["action"] for e in (await api.get("/audit")).json()]
        assert {"resource_add", "resource_pin", "resource_remove"} <= set(actions)
    finally:
        await bea.aclose()
