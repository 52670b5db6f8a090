"""Crisis resources: reading published helpline directories, and choosing the lines that
fit a person (their post's language and the instance's country, with the international
directory as the fallback).

Two directories are read: open-helplines (structured records with contact methods, hours
and languages, per country) and the Wikipedia-derived list of emergency numbers and suicide
crisis lines for 245 countries. Each entry keeps its source and date, to show them."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# The languages spoken in a country, for directories that do not say which languages a
# line answers in (the first is the one assumed). Countries not listed: any language.
COUNTRY_LANGUAGES = {
    "DE": ("de",), "AT": ("de",), "CH": ("de", "fr", "it"), "FR": ("fr",), "BE": ("fr", "nl"),
    "ES": ("es",), "MX": ("es",), "AR": ("es",), "CO": ("es",), "CL": ("es",), "PE": ("es",),
    "BR": ("pt",), "PT": ("pt",), "US": ("en", "es"), "GB": ("en",), "IE": ("en",),
    "CA": ("en", "fr"), "AU": ("en",), "NZ": ("en",), "IN": ("en", "hi"), "PH": ("en", "tl"),
    "JP": ("ja",), "KR": ("ko",), "CN": ("zh",), "RU": ("ru",), "ID": ("id",), "BD": ("bn",),
    "IT": ("it",), "NL": ("nl",),
}  # fmt: skip
CRISIS_CATEGORIES = {"general_crisis", "suicide_prevention", "mental_health"}
KINDS = ("crisis_line", "emergency", "local_service", "self_help")


def is_country(value: str, *, international: bool = False) -> bool:
    """A two-letter ISO 3166 code (any case), or (``international``) INT, the international
    directory."""
    if international and value.upper() == "INT":
        return True
    return len(value) == 2 and value.isascii() and value.isalpha()


def is_language(value: str) -> bool:
    """An ISO 639 code (en, pt, haw)."""
    return 2 <= len(value) <= 3 and value.isascii() and value.isalpha()


@dataclass(frozen=True)
class Resource:
    country: str
    name: str
    kind: str = "crisis_line"  # crisis_line, emergency, local_service, self_help
    phone: str = ""
    url: str = ""
    hours: str = ""
    languages: tuple[str, ...] = field(default=())
    source: str = ""
    checked_on: str = ""

    def row(self) -> dict[str, Any]:
        return {**asdict(self), "languages": list(self.languages)}

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Resource:
        """A stored resource (``storage.resources``)."""
        return cls(
            row["country"], row["name"], row["kind"], row["phone"], row["url"], row["hours"],
            tuple(row["languages"]), row["source"], row["checked_on"],
        )  # fmt: skip


# What the admin API and the CLI show of an entry: a stored one has an id and maybe a group;
# a line chosen for a person (``Resource.row()``) has neither.
SHOWN = ("id", "group_id", "country", "name", "kind", "phone", "url", "hours", "languages",
         "source", "checked_on")  # fmt: skip


def shown(row: dict[str, Any]) -> dict[str, Any]:
    return {k: list(row[k]) if k == "languages" else row[k] for k in SHOWN if k in row}


def read_open_helplines(root: Path) -> list[Resource]:
    """``data/countries/CC/helplines.json`` records: one resource per phone contact."""
    found = []
    for path in sorted(root.glob("**/countries/*/helplines.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for record in doc.get("records", []):
            categories = {record.get("category"), *record.get("secondary_categories", [])}
            kind = "crisis_line" if categories & CRISIS_CATEGORIES else "local_service"
            for contact in record.get("contacts", []):
                if contact.get("method") != "phone" or not contact.get("number"):
                    continue
                found.append(Resource(
                    country=str(record.get("country") or doc.get("country", "")).upper(),
                    name=record.get("name", ""), kind=kind, phone=contact["number"],
                    url=record.get("website") or "", hours=contact.get("hours") or "",
                    languages=tuple(contact.get("languages") or ()),
                    source=record.get("source") or "open-helplines",
                    checked_on=record.get("verified_at") or "",
                ))  # fmt: skip
    return found


def read_wikipedia(path: Path) -> list[Resource]:
    """The Wikipedia-derived list: each country's crisis line and emergency number."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    source = doc.get("sources", {}).get("crisis", {}).get("url", "Wikipedia")
    checked = doc.get("generatedAt", "")
    found = []
    for entry in doc.get("data", []):
        country = entry["country"].upper()
        for kind, key in (("crisis_line", "crisis"), ("emergency", "emergency")):
            line = entry.get(key) or {}
            if line.get("number"):
                name = f"{entry['name']} {'crisis line' if key == 'crisis' else 'emergency'}"
                found.append(Resource(country, name, kind, str(line["number"]),
                                      source=source, checked_on=checked))  # fmt: skip
    return found


def read_directory(root: Path) -> list[Resource]:
    """Every directory found under ``root`` (the shared corpus's ``helplines`` folder)."""
    found = read_open_helplines(root)
    for path in sorted(root.glob("**/emergency-and-helplines-wikipedia/all.json")):
        found += read_wikipedia(path)
    return found


def choose(
    resources: list[Resource],
    lang: str,
    country: str | None,
    *,
    limit: int = 3,
    asked: bool = False,
) -> list[Resource]:
    """The crisis lines for a person writing in ``lang``, on an instance in ``country``:
    that country's lines that answer in the language (or that say nothing of languages,
    when the language is the country's; any of its lines when the person ``asked`` for that
    country), crisis lines before emergency numbers, the
    structured directory before the list; else international lines; else nothing."""
    country = (country or "").upper()

    def speaks(r: Resource) -> bool:
        if r.languages:
            return lang in r.languages
        return lang in COUNTRY_LANGUAGES.get(r.country, (lang,))

    def rank(r: Resource) -> tuple[int, int]:
        return (0 if r.kind == "crisis_line" else 1, 0 if r.languages else 1)

    local = sorted((r for r in resources if r.country == country and speaks(r)), key=rank)
    if not local and asked:
        # The person asked for this country: its lines, whatever language they answer in.
        local = sorted((r for r in resources if r.country == country), key=rank)
    if local:
        return local[:limit]
    international = sorted((r for r in resources if r.country == "INT" and speaks(r)), key=rank)
    return international[:limit]
