"""The README's two commands are the ones CI and newcomers run."""

from __future__ import annotations

import re

from tests.corpus import REPO_ROOT


def readme_commands() -> list[str]:
    text = (REPO_ROOT / "README.md").read_text("utf-8")
    return re.findall(r"```sh\n(.+?)\n```", text)[:2]


def test_readme_opens_with_serve_and_test_commands() -> None:
    serve, test = readme_commands()
    assert serve.endswith("peerhaven serve")
    assert "pytest" in test


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (REPO_ROOT / ".ci" / "run").read_text("utf-8").splitlines()
    assert readme_commands()[1] in ci
