"""Crisis resources from the published helpline directories: imported with their sources
and dates, and for ten countries a post in that country's language (the instance's country
set accordingly) gets that country's crisis line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from moderation.crisis.resources import choose, read_directory
from tests.corpus import corpus_dir
from tests.processes import clean_env, peerhaven

# country, the language a person there writes in
TEN = [("DE", "de"), ("FR", "fr"), ("BR", "pt"), ("MX", "es"), ("US", "en"), ("GB", "en"),
       ("JP", "ja"), ("KR", "ko"), ("RU", "ru"), ("ID", "id")]  # fmt: skip


def crisis_numbers(root: Path, country: str) -> set[str]:
    """The country's crisis-line numbers, read straight from the directories' files."""
    numbers = set()
    records = root / "open-helplines" / "data" / "countries" / country.lower() / "helplines.json"
    if records.exists():
        for record in json.loads(records.read_text())["records"]:
            numbers |= {c["number"] for c in record["contacts"] if c["method"] == "phone"}
    wiki = json.loads((root / "emergency-and-helplines-wikipedia" / "all.json").read_text())
    for entry in wiki["data"]:
        if entry["country"] == country and entry.get("crisis"):
            numbers.add(entry["crisis"]["number"])
    return numbers


@pytest.mark.parametrize(("country", "lang"), TEN)
def test_a_post_in_the_countrys_language_gets_its_crisis_line(country: str, lang: str) -> None:
    root = corpus_dir("crisis", "helplines")
    lines = choose(read_directory(root), lang, country)
    assert lines, f"no line for {country}"
    first = lines[0]
    assert first.country == country and first.kind == "crisis_line"
    assert first.phone in crisis_numbers(root, country)
    assert first.source and first.checked_on  # shown to people, with its date


def test_elsewhere_the_international_directory_or_nothing() -> None:
    resources = read_directory(corpus_dir("crisis", "helplines"))
    assert choose(resources, "de", "JP") == []  # no German-speaking line in Japan's data
    assert choose(resources, "en", None) == []  # no country and no international entries


def test_import_list_and_choose_from_the_cli(database_url: str, tmp_path: Path) -> None:
    root = corpus_dir("crisis", "helplines")
    env = clean_env(DATABASE_URL=database_url, PEERHAVEN_DEFAULT_COUNTRY="br")
    data = ["--data-dir", str(tmp_path)]
    imported = peerhaven("resources", "import", str(root), *data, env=env)
    assert imported.returncode == 0, imported.stderr
    report = json.loads(imported.stdout)
    assert report["read"] == report["written"] > 400
    chosen = json.loads(peerhaven("resources", "for", "--lang", "pt", *data, env=env).stdout)
    assert chosen[0]["country"] == "BR" and chosen[0]["phone"] in crisis_numbers(root, "BR")
    listed = json.loads(peerhaven("resources", "list", "--country", "de", *data, env=env).stdout)
    assert listed and all(r["country"] == "DE" and r["source"] for r in listed)
    missing = peerhaven("resources", "import", str(tmp_path / "nope"), *data, env=env)
    assert missing.returncode == 1 and "not a directory" in missing.stderr


async def test_the_resources_page_lists_lines_with_source_and_date(
    client: Any, database: Any
) -> None:
    from moderation.crisis.resources import Resource
    from storage import resources

    rows = [Resource("GB", "Samaritans", phone="116 123", source="samaritans.org",
                     checked_on="2026-06-01").row(),
            Resource("DE", "Telefonseelsorge", phone="0800 111 0 111").row()]  # fmt: skip
    await resources.add_many(database.pool, rows)
    page = (await client.get("/resources")).text
    assert "Samaritans" in page and "116 123" in page and "checked 2026-06-01" in page
    # No home country set here: countries in order.
    assert page.index("Telefonseelsorge") < page.index("Samaritans")


def test_add_remove_and_pin_from_the_cli(database_url: str, tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL=database_url, PEERHAVEN_DEFAULT_COUNTRY="GB")
    data = ["--data-dir", str(tmp_path)]
    line = ["--country", "gb", "--name", "Samaritans", "--phone", "116 123", *data]
    bad = peerhaven("resources", "add", "--country", "Britain", "--name", "x", "--phone", "1",
                    *data, env=env)  # fmt: skip
    assert bad.returncode != 0 and "two-letter" in bad.stderr
    nowhere = peerhaven("resources", "add", "--country", "GB", "--name", "x", *data, env=env)
    assert nowhere.returncode != 0 and "--phone or --url" in nowhere.stderr
    no_group = peerhaven("resources", "add", *line, "--group", "nope", env=env)
    assert no_group.returncode != 0 and "no group" in no_group.stderr
    assert peerhaven("resources", "add", *line, env=env).returncode == 0
    [row] = json.loads(peerhaven("resources", "list", *data, env=env).stdout)
    assert row["name"] == "Samaritans" and row["country"] == "GB" and row["group_id"] is None

    created = peerhaven("group", "create", "circle", "--name", "Circle", *data, env=env)
    assert created.returncode == 0, created.stderr
    pinned = peerhaven("resources", "pin", "circle", *data, env=env)
    assert pinned.returncode == 0, pinned.stderr
    assert json.loads(pinned.stdout)["note"].endswith(tuple("0123456789abcdef"))

    assert peerhaven("resources", "remove", str(row["id"]), *data, env=env).returncode == 0
    again = peerhaven("resources", "remove", str(row["id"]), *data, env=env)
    assert again.returncode != 0 and f"no resource {row['id']}" in again.stderr


def test_the_cli_refuses_what_the_api_refuses(tmp_path: Path) -> None:
    env = clean_env()
    data = ["--data-dir", str(tmp_path)]
    line = ["--country", "GB", "--name", "x", *data]
    for args, why in (
        (["resources", "add", *line, "--url", "javascript:alert(1)"], "http(s) URL"),
        (["resources", "add", *line, "--phone", "1", "--languages", "english"], "language"),
        (["resources", "remove", "99999999999999999999", *data], "not an id"),
        (["anonymous", "ban", "1", "--days", "inf", *data], "number of days"),
        (["anonymous", "approve", "-3", *data], "not an id"),
    ):
        result = peerhaven(*args, env=env)
        assert result.returncode != 0 and why in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
