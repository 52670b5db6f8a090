"""The message a person in crisis gets: the instance's sentence per language over the
shipped ones, the lines, and a clear error for a file that does not load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moderation.crisis.messages import (
    TEMPLATES,
    MessagesError,
    compose,
    load_templates,
    pinned,
)
from moderation.crisis.resources import Resource
from tests.processes import clean_env, peerhaven

LINE = Resource("DE", "TelefonSeelsorge", phone="0800 111 0 111", hours="24/7")


def test_every_language_has_every_text() -> None:
    for lang, texts in TEMPLATES.items():
        assert set(texts) == {"title", "more", "caring", "lines", "none", "country"}, lang
        assert "{group}" in texts["caring"], lang


def test_a_message_gives_the_caring_sentence_the_lines_and_the_country_hint() -> None:
    reply = compose(TEMPLATES, "de", "DE", [LINE], "Kreis")
    assert reply.lang == "de" and reply.country == "DE"
    assert reply.paragraphs[0].startswith("Danke") and "Kreis" in reply.paragraphs[0]
    assert reply.lines == ("TelefonSeelsorge: 0800 111 0 111 (24/7)",)
    assert "Ländercode" in reply.paragraphs[-1]
    # No line for them: the emergency number, never an empty list.
    empty = compose(TEMPLATES, "de", "DE", [], "Kreis")
    assert empty.lines == () and "Notruf" in empty.paragraphs[1]
    # A language without templates: English, saying so in the reply's language tag.
    assert compose(TEMPLATES, "ja", "JP", [], "Circle").lang == "en"


def test_the_pinned_post_names_the_lines_and_where_to_find_more() -> None:
    title, paragraphs = pinned(TEMPLATES, "fr", "FR", [LINE], "https://x.example/resources")
    assert title == "Lignes d'écoute et soutien"
    assert paragraphs[1].startswith("TelefonSeelsorge")
    assert paragraphs[-1].endswith("https://x.example/resources")


def test_the_instance_writes_its_own_sentences(tmp_path: Path) -> None:
    path = tmp_path / "crisis_messages.json"
    path.write_text(json.dumps({"en": {"caring": "We hear you, {group}."},
                                "it": {"caring": "Ti ascoltiamo."}}))  # fmt: skip
    templates = load_templates(path)
    assert templates["en"]["caring"] == "We hear you, {group}."
    assert templates["en"]["lines"] == TEMPLATES["en"]["lines"]  # the rest kept
    assert templates["it"]["country"] == TEMPLATES["en"]["country"]  # a new language
    assert load_templates(tmp_path / "absent.json") == TEMPLATES


@pytest.mark.parametrize("content, why", [
    ("{", "Expecting"), ("[]", "object of languages"), ('{"en": {"hello": "x"}}', "keys"),
    ('{"en": {"caring": 3}}', "each a text"),
])  # fmt: skip
def test_a_file_that_does_not_load_says_why(tmp_path: Path, content: str, why: str) -> None:
    path = tmp_path / "crisis_messages.json"
    path.write_text(content)
    with pytest.raises(MessagesError, match=why):
        load_templates(path)


def test_serve_refuses_a_bad_messages_file_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "crisis_messages.json").write_text('{"en": {"caring": 3}}')
    result = peerhaven("serve", "--data-dir", str(tmp_path), "--port", "1", env=clean_env())
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"peerhaven: error: {tmp_path}/crisis_messages.json: en: keys must be among "
        "title, more, caring, lines, none, country, each a text"
    ]
