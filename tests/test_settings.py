"""Settings: defaults, environment, overrides and the errors bad values give."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server.settings import FIELDS, ConfigError, load_settings
from tests.corpus import REPO_ROOT


def test_defaults() -> None:
    settings = load_settings({})
    assert settings.base_url == "http://127.0.0.1:8080"
    assert settings.domain == "127.0.0.1:8080"
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.data_dir == Path("data")
    assert settings.database_url is None
    assert settings.allow_private_addresses is False
    assert settings.log_level == "info"


def test_environment_and_overrides() -> None:
    env = {
        "PEERHAVEN_BASE_URL": "HTTPS://Support.Example.org/",
        "PEERHAVEN_PORT": "9000",
        "PEERHAVEN_ALLOW_PRIVATE_ADDRESSES": "yes",
        "DATABASE_URL": "postgresql://u:p@db:5432/peerhaven",
    }
    settings = load_settings(env, port=9100)
    assert settings.base_url == "https://support.example.org"
    assert settings.domain == "support.example.org"
    assert settings.port == 9100
    assert settings.allow_private_addresses is True
    assert settings.database_url == "postgresql://u:p@db:5432/peerhaven"


def test_domain_keeps_a_non_default_port() -> None:
    assert load_settings({"PEERHAVEN_BASE_URL": "http://127.0.0.1:8080"}).domain == (
        "127.0.0.1:8080"
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PEERHAVEN_BASE_URL": "ht!tp://x"}, "absolute http"),
        ({"PEERHAVEN_BASE_URL": "support.example.org"}, "absolute http"),
        ({"PEERHAVEN_BASE_URL": "https://x.org:99999"}, "cannot be parsed"),
        ({"PEERHAVEN_BASE_URL": "https://x.org/sub/path"}, "no path"),
        ({"PEERHAVEN_PORT": "eighty"}, "not a number"),
        ({"PEERHAVEN_PORT": "70000"}, "outside"),
        ({"PEERHAVEN_ALLOW_PRIVATE_ADDRESSES": "maybe"}, "true or false"),
        ({"PEERHAVEN_LOG_LEVEL": "chatty"}, "log level"),
        ({"DATABASE_URL": "mysql://x/y"}, "postgresql://"),
    ],
)
def test_bad_values_are_one_clear_error(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        load_settings(env)
    assert "\n" not in str(caught.value)


def test_readme_documents_every_setting() -> None:
    readme = (REPO_ROOT / "README.md").read_text("utf-8")
    for field in FIELDS:
        assert f"`{field.env}`" in readme, f"README does not document {field.env}"
