"""What a blocklist holds: entries with their severity and flags, and the rows that could
not be read, with their line numbers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

SEVERITIES = ("noop", "silence", "suspend")  # in increasing order
RANK = {name: i for i, name in enumerate(SEVERITIES)}


def digest_of(domain: str) -> str:
    """Mastodon's digest of a domain: SHA-256 of the name, hex (how obfuscated entries are
    matched)."""
    return hashlib.sha256(domain.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class BlockEntry:
    domain: str  # normalized; for an obfuscated entry, as published (with "*")
    severity: str = "suspend"
    reject_media: bool = False
    reject_reports: bool = False
    reject_follows: bool = False
    public_comment: str = ""
    private_comment: str = ""
    obfuscate: bool = False
    digest: str = ""  # SHA-256 of the real domain when known (always for clear domains)

    @property
    def hidden(self) -> bool:
        """Published starred ("ex***le.org"): known to us only by its digest."""
        return "*" in self.domain


@dataclass(frozen=True)
class RowProblem:
    line: int
    reason: str


@dataclass
class ParsedList:
    format: str
    entries: list[BlockEntry] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    rows: int = 0  # data rows read (not counting headers, blank lines and comments)
    allow: bool = False  # an allowlist (domains never to block)
    # The layout the file was written in (for exporting the same way), when it has one.
    columns: tuple[str, ...] = ()
