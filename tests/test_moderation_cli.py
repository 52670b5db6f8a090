"""The moderation policies and audit log from outside: ``peerhaven serve`` reloads its policy
file on SIGHUP in every process (a broken file leaves the chain in force), NodeInfo and
``/about/moderation`` show the policies, and ``peerhaven audit --target`` reads the log."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import asyncpg
import httpx

from moderation.blocklists.formats import obfuscated as obfuscate
from tests.processes import clean_env, free_port, peerhaven, start_server, stop_server, wait_healthy

POLICY = """rules = ["Be kind to each other."]

[[policy]]
type = "keyword"
name = "{name}"
words = ["casino"]
action = "reject"

[[policy]]
type = "domain"
reject = ["spam.example"]
"""


def policies_in_force(port: int) -> set[tuple[str, ...]]:
    """What each answering process says it enforces (several requests reach both)."""
    seen = set()
    for _ in range(8):
        doc = httpx.get(f"http://127.0.0.1:{port}/nodeinfo/2.1", timeout=5).json()
        seen.add(tuple(doc["metadata"]["federation"]["mrf_policies"]))
    return seen


def rewrite_keeping_mtime(path: Path, text: str) -> None:
    """New content of the same size and modification time: only SIGHUP can reveal it."""
    before = path.stat()
    assert len(text.encode()) == before.st_size
    path.write_text(text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_sighup_reloads_the_policy_file_in_every_process(database_url: str, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    path = data_dir / "policies.toml"
    path.write_text(POLICY.format(name="alpha"))
    port = free_port()
    env = clean_env(DATABASE_URL=database_url, PEERHAVEN_PROCESSES="2")
    proc = start_server(data_dir, port, env)
    try:
        wait_healthy(proc, port)
        assert policies_in_force(port) == {("domain_block", "alpha", "domain")}
        page = httpx.get(f"http://127.0.0.1:{port}/about/moderation", timeout=5).text
        assert "Be kind to each other." in page and "spam.example" in page

        rewrite_keeping_mtime(path, POLICY.format(name="alpha").replace("words", "wordz"))
        proc.send_signal(signal.SIGHUP)
        time.sleep(1.5)
        assert proc.poll() is None  # a bad file does not stop the server...
        assert policies_in_force(port) == {("domain_block", "alpha", "domain")}  # ...nor the chain

        rewrite_keeping_mtime(path, POLICY.format(name="omega"))
        proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while policies_in_force(port) != {("domain_block", "omega", "domain")}:
            assert time.monotonic() < deadline, policies_in_force(port)
            time.sleep(0.2)
    finally:
        stop_server(proc, signal.SIGTERM, data_dir)


async def _audit(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        for action, target in (("member_ban", "https://a.example/u/x"),
                               ("policy_reject", "https://a.example/u/x/1"),
                               ("member_unban", "https://a.example/u/x")):  # fmt: skip
            await conn.execute(
                "INSERT INTO audit_log (who, action, target, reason) VALUES ($1, $2, $3, $4)",
                "cli:test", action, target, f"why {action}",
            )  # fmt: skip
    finally:
        await conn.close()


def test_audit_by_target(database_url: str, tmp_path: Path) -> None:
    asyncio.run(_audit(database_url))
    env = clean_env(DATABASE_URL=database_url)
    shown = peerhaven("audit", "--target", "https://a.example/u/x", "--data-dir", str(tmp_path),
                      env=env)  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.strip().splitlines()
    assert [line.split()[3] for line in lines] == ["member_unban", "member_ban"]
    assert lines[1].endswith("https://a.example/u/x: why member_ban")
    none = peerhaven("audit", "--target", "https://nobody.example", "--data-dir", str(tmp_path),
                     env=env)  # fmt: skip
    assert none.stdout.strip() == "no audit entries for https://nobody.example"


def test_obfuscated_domains_keep_their_ends_and_dots() -> None:
    assert obfuscate("example.com") == "exa****.*om"
    assert obfuscate("a.b") == "a.*"  # as Mastodon does


def test_policies_check(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(POLICY.format(name="alpha"))
    checked = peerhaven("policies", "check", str(good))
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.splitlines()[0] == f"ok: {good}: 2 policies, 1 rules"
    bad = tmp_path / "bad.toml"
    bad.write_text(POLICY.format(name="alpha") + '\n[[policy]]\ntype = "keywrd"\n')
    refused = peerhaven("policies", "check", str(bad))
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.strip() == (
        f"peerhaven: error: {bad}: line 13: policy 3 (keywrd): unknown type 'keywrd' (one of "
        "domain, keyword, hashtag, link_spam, mention_flood, object_age, first_contact, "
        "require_content_warning)"
    )
