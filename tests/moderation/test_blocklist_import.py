"""Every corpus list imports into the database: the blocks (or allow entries) written are
the rows that read, and importing again changes nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from moderation.blocklists import service
from tests.corpus import corpus_dir, corpus_files

LISTS = [
    p for p in corpus_files("blocklists", pattern="*") if p.suffix in (".csv", ".json", ".txt")
]


async def no_effects(conn: asyncpg.Connection, domains: list[str]) -> dict[str, int]:
    return {}


@pytest.mark.parametrize("path", LISTS, ids=lambda p: p.name)
async def test_every_corpus_list_imports(db_pool: asyncpg.Pool, path: Path) -> None:
    corpus_dir("blocklists")
    allow = "allow" in path.name
    text = await asyncio.to_thread(path.read_text, encoding="utf-8")
    preview = await service.import_list(db_pool, text, who="test", enforce=no_effects, allow=allow)
    assert not preview.applied
    assert await db_pool.fetchval("SELECT count(*) FROM domain_blocks") == 0  # a preview
    report = await service.import_list(
        db_pool, text, name=path.name, apply=True, allow=allow, who="test", enforce=no_effects
    )
    table = "domain_allows" if allow else "domain_blocks"
    assert await db_pool.fetchval(f"SELECT count(*) FROM {table}") == report.imported
    version = await db_pool.fetchval("SELECT version FROM blocklist_version")
    again = await service.import_list(
        db_pool, text, name=path.name, apply=True, allow=allow, who="test", enforce=no_effects
    )
    assert again.imported == report.imported
    assert await db_pool.fetchval(f"SELECT count(*) FROM {table}") == report.imported
    if not allow:
        changed = "SELECT count(*) FROM audit_log WHERE source = $1"
        assert await db_pool.fetchval(changed, f"import:{path.name}") == report.imported
    assert await db_pool.fetchval("SELECT version FROM blocklist_version") >= version
