"""Reading and writing domain blocklists in the formats admins share them in.

- ``mastodon-csv``: Mastodon 4.x import/export (``#domain,#severity,#reject_media,
  #reject_reports,#public_comment,#obfuscate``, and ``#reject_follows`` in newer versions);
- ``csv``: the same columns without ``#`` as FediBlockHole and Oliphant write them, in any
  order, with ``private_comment``, quoted or not, booleans in any case;
- ``mastodon-json``: Mastodon's public ``/api/v1/instance/domain_blocks`` (``domain``,
  ``digest``, ``severity``, ``comment``; obfuscated domains starred, matched by digest);
- ``mastodon-admin-json``: Mastodon's admin API / FediBlockHole JSON (``public_comment``,
  ``private_comment`` and the flags);
- ``gotosocial-json``: GoToSocial's export (``domain``, ``suspended_at``, ``comment`` or
  ``public_comment``; every entry a suspension);
- ``rapidblock-json``: RapidBlock v1 (``blocks: {domain: {isBlocked, reason}}``);
- ``plain``: one domain a line, ``#`` comments.

Bad rows are reported with their line number and skipped; the rest is read.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from moderation.blocklists.model import SEVERITIES, BlockEntry, ParsedList, RowProblem, digest_of
from moderation.domains import normalize_domain

FORMATS = ("mastodon-csv", "csv", "mastodon-json", "mastodon-admin-json", "gotosocial-json",
           "rapidblock-json", "plain")  # fmt: skip
EXPORTS = ("mastodon-csv", "mastodon-json", "plain")
MASTODON_COLUMNS = ("#domain", "#severity", "#reject_media", "#reject_reports",
                    "#public_comment", "#obfuscate")  # fmt: skip
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_TRUE, _FALSE = {"true", "1", "yes", "t"}, {"false", "0", "no", "f", ""}


class FormatError(ValueError):
    """The whole list cannot be read (not the format it claims, not JSON...)."""


def detect(text: str) -> str:
    body = text.lstrip("\ufeff \t\r\n")
    if body.startswith(("[", "{")):
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            raise FormatError("the list looks like JSON but does not parse") from None
        return _json_format(data)
    lines = (line.strip() for line in body.splitlines())
    # The header: the first line that is not blank nor a "# comment" ("#domain" is a header).
    first = next((x for x in lines if x and (not x.startswith("#") or _is_header(x))), "")
    if first.replace('"', "").startswith("#domain"):
        return "mastodon-csv"
    header = [c.strip().strip('"').lower() for c in first.split(",")]
    if "domain" in header:
        return "csv"
    return "plain"


def _is_header(line: str) -> bool:
    return line.replace('"', "").lower().startswith("#domain")


def _json_format(data: Any) -> str:
    if isinstance(data, dict) and ("blocks" in data or "@spec" in data):
        return "rapidblock-json"
    if isinstance(data, list) and data and isinstance(data[0], dict):
        keys = set(data[0])
        if "digest" in keys or ("comment" in keys and "severity" in keys):
            return "mastodon-json"
        if "severity" in keys:
            return "mastodon-admin-json"
        return "gotosocial-json"
    if isinstance(data, list):
        return "mastodon-json"  # an empty list: any JSON list format reads it the same
    raise FormatError("a JSON blocklist is a list of entries (or RapidBlock's object)")


def parse(text: str, fmt: str | None = None, *, allow: bool = False) -> ParsedList:
    """Read a list (``fmt`` detected when not given); ``allow``: an allowlist."""
    text = text.lstrip("\ufeff")
    fmt = fmt or detect(text)
    if fmt not in FORMATS:
        raise FormatError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    reader = _READERS[fmt]
    parsed = ParsedList(fmt, allow=allow)
    seen: dict[str, int] = {}
    try:
        rows = list(reader(text, parsed))
    except (csv.Error, RecursionError) as exc:
        raise FormatError(f"the list cannot be read: {exc}") from None
    for line, fields in rows:
        parsed.rows += 1
        try:
            entry = _entry(fields, allow)
        except ValueError as exc:
            parsed.problems.append(RowProblem(line, str(exc)))
            continue
        # Two obfuscated entries can share their starred name ("ba****.org"): we store by
        # name, so the second is refused like a repeat.
        keys = [entry.digest, entry.domain]
        repeated = next((seen[k] for k in keys if k in seen), None)
        if repeated is not None:
            parsed.problems.append(RowProblem(line, f"{entry.domain} repeats line {repeated}"))
            continue
        seen.update((k, line) for k in keys)
        parsed.entries.append(entry)
    return parsed


def clean_domain(raw: str) -> str:
    """A domain as we store it (lower case, IDNA, no trailing dot), or ValueError."""
    domain = normalize_domain(raw.strip())
    if domain.startswith("*."):  # "*.example.org" means the domain and its subdomains
        domain = domain[2:]
    labels = domain.split(".")
    if len(domain) > 253 or not all(_LABEL.fullmatch(x) for x in labels):
        raise ValueError(f"{raw.strip()!r} is not a domain name")
    return domain


def _entry(fields: dict[str, Any], allow: bool) -> BlockEntry:
    raw = str(fields.get("domain") or "").strip()
    if not raw:
        raise ValueError("no domain")
    severity = str(fields.get("severity") or "suspend").strip().lower()
    if allow:
        severity = "noop"
    elif severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r} (one of {', '.join(SEVERITIES)})")
    digest = str(fields.get("digest") or "").strip().lower()
    if "*" in raw.strip("*."):
        # Published obfuscated ("ex***le.org"): usable only through its digest.
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise ValueError(f"{raw!r} is obfuscated and has no digest to match it by")
        domain = raw.lower()
    else:
        domain = clean_domain(raw)
        digest = digest_of(domain)
    return BlockEntry(
        domain=domain, severity=severity, digest=digest,
        reject_media=_flag(fields, "reject_media"), reject_reports=_flag(fields, "reject_reports"),
        reject_follows=_flag(fields, "reject_follows"), obfuscate=_flag(fields, "obfuscate"),
        public_comment=_text(fields.get("public_comment", fields.get("comment"))),
        private_comment=_text(fields.get("private_comment")),
    )  # fmt: skip


def _flag(fields: dict[str, Any], key: str) -> bool:
    value = fields.get(key)
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{key} must be true or false, not {value!r}")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


Rows = Iterable[tuple[int, dict[str, Any]]]


def _csv_rows(text: str, parsed: ParsedList) -> Rows:
    lines = io.StringIO(text, newline="")
    reader = csv.reader(lines)
    header: list[str] | None = None
    for row in reader:
        line = reader.line_num
        if not row or not any(cell.strip() for cell in row):
            continue
        if header is None and row[0].lstrip().startswith("#") and not _is_header(row[0]):
            continue  # a "# comment" above the header
        if header is None:
            header = [cell.strip().lstrip("#").strip().lower() for cell in row]
            parsed.columns = tuple(cell.strip() for cell in row)
            if "domain" not in header:
                raise FormatError("the CSV header names no domain column")
            continue
        if row[0].lstrip().startswith("#"):
            continue  # a comment line
        yield line, dict(zip(header, row, strict=False))


def _plain_rows(text: str, parsed: ParsedList) -> Rows:
    for number, raw in enumerate(text.splitlines(), 1):
        domain = raw.split("#", 1)[0].strip()
        if domain:
            yield number, {"domain": domain}


def _json_rows(text: str, parsed: ParsedList) -> Rows:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise FormatError("the list is not valid JSON") from None
    if isinstance(data, dict):  # RapidBlock
        blocks = data.get("blocks")
        if not isinstance(blocks, dict):
            raise FormatError("a RapidBlock list has a 'blocks' object")
        for number, (domain, block) in enumerate(blocks.items(), 1):
            if isinstance(block, dict) and block.get("isBlocked") is False:
                parsed.rows += 1
                parsed.problems.append(RowProblem(number, f"{domain} is listed as not blocked"))
                continue
            reason = block.get("reason") if isinstance(block, dict) else None
            yield number, {"domain": domain, "severity": "suspend", "public_comment": reason}
        return
    if not isinstance(data, list):
        raise FormatError("a JSON blocklist is a list of entries")
    for number, item in enumerate(data, 1):
        if not isinstance(item, dict):
            parsed.rows += 1
            parsed.problems.append(RowProblem(number, "not an object"))
            continue
        yield number, item


_READERS: dict[str, Callable[[str, ParsedList], Rows]] = {
    "mastodon-csv": _csv_rows, "csv": _csv_rows, "plain": _plain_rows,
    "mastodon-json": _json_rows, "mastodon-admin-json": _json_rows,
    "gotosocial-json": _json_rows, "rapidblock-json": _json_rows,
}  # fmt: skip


def export(entries: Iterable[BlockEntry], fmt: str) -> str:
    rows = sorted(entries, key=lambda e: e.domain)
    if fmt == "mastodon-csv":
        return mastodon_csv(rows)
    if fmt == "mastodon-json":
        return json.dumps([public_json(e) for e in rows], indent=2, ensure_ascii=False) + "\n"
    if fmt == "plain":
        return "".join(f"{e.domain}\n" for e in rows if not e.hidden)
    raise FormatError(f"cannot export {fmt!r} (one of {', '.join(EXPORTS)})")


def mastodon_csv(entries: Iterable[BlockEntry]) -> str:
    """As Mastodon writes it: its six columns, and ``#reject_follows`` when any entry sets
    it (as newer Mastodon versions do); booleans in lower case, "\\n" line ends."""
    rows = list(entries)
    follows = any(e.reject_follows for e in rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*MASTODON_COLUMNS, *(["#reject_follows"] if follows else [])])
    for e in rows:
        flags = [e.reject_media, e.reject_reports]
        row = [e.domain, e.severity, *map(_bool, flags), e.public_comment, _bool(e.obfuscate)]
        writer.writerow([*row, *([_bool(e.reject_follows)] if follows else [])])
    return out.getvalue()


def _bool(value: bool) -> str:
    return "true" if value else "false"


def obfuscated(domain: str) -> str:
    """Mastodon's obfuscation: the middle of the name starred, dots kept."""
    length = len(domain)
    visible = length / 4
    return "".join(
        "*" if visible < i < length - visible and ch != "." else ch for i, ch in enumerate(domain)
    )


def public_json(entry: BlockEntry) -> dict[str, Any]:
    """Mastodon's public ``/api/v1/instance/domain_blocks`` entry."""
    domain = obfuscated(entry.domain) if entry.obfuscate and not entry.hidden else entry.domain
    return {"domain": domain, "digest": entry.digest, "severity": entry.severity,
            "comment": entry.public_comment}  # fmt: skip
