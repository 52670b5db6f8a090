"""For ten countries from the helplines data (issue #8): a member's urgent post, written in
that country's language to a group on an instance whose default country is that one, is
answered by the group with that country's crisis line — the whole path: the detector on
the live server, the directory imported from ../shared/corpus, the message delivered to
the member's server."""

from __future__ import annotations

import pytest

from moderation.crisis.resources import read_directory
from storage import resources
from tests.conftest import LiveServer
from tests.corpus import corpus_dir
from tests.crisis.test_resources import crisis_numbers
from tests.federation.group_rig import Members, post, received, saying

URGENT = {
    "en": "I have a plan and I am going to end it tonight",
    "de": "Ich habe einen Plan und heute Nacht bringe ich mich um",
    "fr": "J'ai un plan, ce soir je vais me tuer",
    "es": "Tengo un plan y esta noche voy a acabar con todo",
    "pt": "Eu tenho um plano e hoje à noite vou me matar",
}
# Country, the language a person there writes in (the detector's languages).
TEN = [("DE", "de"), ("AT", "de"), ("FR", "fr"), ("CA", "fr"), ("MX", "es"), ("ES", "es"),
       ("AR", "es"), ("BR", "pt"), ("PT", "pt"), ("GB", "en")]  # fmt: skip


@pytest.mark.parametrize(("country", "lang"), TEN)
async def test_an_urgent_post_gets_the_countrys_crisis_line(
    live_server: LiveServer, members: Members, group_url: str, country: str, lang: str
) -> None:
    root = corpus_dir("crisis", "helplines")
    await resources.add_many(live_server.pool, [r.row() for r in read_directory(root)])
    moderation = live_server.federation.moderation
    moderation.default_country = country  # PEERHAVEN_DEFAULT_COUNTRY, read at start-up
    mastodon, lemmy, alice, _ = members
    mastodon.received.clear()
    lemmy.received.clear()
    await post(live_server, mastodon, group_url, saying(mastodon, alice, group_url, URGENT[lang]),
               alice)  # fmt: skip
    [dm] = received(mastodon, "Create")
    assert not lemmy.received  # held, not relayed
    content = dm["object"]["content"]
    assert list(dm["object"]["contentMap"]) == [lang]
    numbers = crisis_numbers(root, country)
    assert any(number in content for number in numbers), (country, content)
    # Not another country's line: the first one given is this country's.
    found = await live_server.pool.fetchval("SELECT lines[1] FROM crisis_messages")
    assert any(number in found for number in numbers)
