"""``peerhaven blocklist`` and ``peerhaven domain`` on a real database: import (preview,
then applied), export as it came, why, and one domain at a time."""

from __future__ import annotations

import json
from pathlib import Path

from tests.processes import clean_env, peerhaven

CSV = (
    "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n"
    'spam.example,suspend,false,true,"spam, bots",false\n'
    "loud.example,silence,true,false,,true\n"
    "not a domain,suspend,false,false,,false\n"
)


def test_import_export_why_and_single_domains(database_url: str, tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL=database_url)
    data = ["--data-dir", str(tmp_path / "data")]
    listed = tmp_path / "list.csv"
    listed.write_text(CSV)

    preview = peerhaven("blocklist", "import", str(listed), *data, env=env)
    assert preview.returncode == 0, preview.stderr
    report = json.loads(preview.stdout)
    assert (report["format"], report["rows"], report["imported"], report["applied"]) == (
        "mastodon-csv", 3, 2, False,
    )  # fmt: skip
    assert report["skipped"] == [{"line": 4, "reason": "'not a domain' is not a domain name"}]
    exported = peerhaven("blocklist", "export", *data, env=env)
    assert exported.stdout.splitlines()[1:] == []  # a preview writes nothing

    applied = peerhaven("blocklist", "import", str(listed), "--apply", *data, env=env)
    assert json.loads(applied.stdout)["applied"] is True
    exported = peerhaven("blocklist", "export", *data, env=env)
    assert sorted(exported.stdout.splitlines()) == sorted(CSV.splitlines()[:3])

    why = json.loads(peerhaven("blocklist", "why", "a.spam.example", *data, env=env).stdout)
    assert why["blocked"] and why["rule"]["domain"] == "spam.example"
    assert why["rule"]["source"] == f"import:{listed}" and why["rule"]["by"].startswith("cli")

    blocked = peerhaven("domain", "block", "evil.example", "--comment", "harassment", *data,
                        env=env)  # fmt: skip
    assert blocked.returncode == 0 and "unblocking later will not restore" in blocked.stderr
    assert peerhaven("domain", "allow", "ok.evil.example", *data, env=env).returncode == 0
    why = json.loads(peerhaven("blocklist", "why", "ok.evil.example", *data, env=env).stdout)
    assert not why["blocked"] and why["allowed_by"]["domain"] == "ok.evil.example"
    gone = peerhaven("domain", "unblock", "evil.example", *data, env=env)
    assert json.loads(gone.stdout)["blocked"] is False
    again = peerhaven("domain", "unblock", "evil.example", *data, env=env)
    assert again.returncode == 1 and "is not blocked" in again.stderr
    bad = peerhaven("domain", "block", "not a domain", *data, env=env)
    assert bad.returncode == 1 and bad.stderr.startswith("peerhaven: error:")


def test_obfuscated_blocks_can_be_lifted_and_allows_removed(
    database_url: str, tmp_path: Path
) -> None:
    env = clean_env(DATABASE_URL=database_url)
    data = ["--data-dir", str(tmp_path / "data")]
    listed = tmp_path / "list.json"
    digest = "5d2c6e02a0cced8fb05f32626437e3d23096480b47efbba659b6d9e80c85d280"
    listed.write_text('[{"domain": "bi**.elfenban.de", "digest": "' + digest + '", '
                      '"severity": "suspend", "comment": "bots"}]')  # fmt: skip
    assert peerhaven("blocklist", "import", str(listed), "--apply", *data, env=env).returncode == 0
    lifted = peerhaven("domain", "unblock", "bi**.elfenban.de", *data, env=env)
    assert lifted.returncode == 0, lifted.stderr
    assert peerhaven("domain", "allow", "ok.example", *data, env=env).returncode == 0
    assert peerhaven("domain", "unallow", "ok.example", *data, env=env).returncode == 0
    again = peerhaven("domain", "unallow", "ok.example", *data, env=env)
    assert again.returncode == 1 and "not on the allow list" in again.stderr
    bad = peerhaven("blocklist", "why", "not a domain", *data, env=env)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
