"""One typed settings object, read from ``PEERHAVEN_*`` environment variables and CLI flags.

Every field is declared once in ``FIELDS`` with its variable, default and help; the README's
configuration table is checked against it by a test, so the docs cannot drift.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class ConfigError(Exception):
    """Bad configuration; the message is one line meant for the operator."""


@dataclass(frozen=True)
class Field:
    name: str
    env: str
    default: str | None
    help: str


FIELDS: tuple[Field, ...] = (
    Field(
        "base_url",
        "PEERHAVEN_BASE_URL",
        "http://127.0.0.1:8080",
        "Public base URL of the instance; actor ids and WebFinger handles are built from it.",
    ),
    Field("host", "PEERHAVEN_HOST", "127.0.0.1", "Address the HTTP server listens on."),
    Field("port", "PEERHAVEN_PORT", "8080", "Port the HTTP server listens on."),
    Field(
        "data_dir",
        "PEERHAVEN_DATA_DIR",
        "./data",
        "Data directory (embedded PostgreSQL, policy files).",
    ),
    Field(
        "database_url",
        "DATABASE_URL",
        None,
        "PostgreSQL DSN. Unset: an embedded PostgreSQL in <data dir>/postgres.",
    ),
    Field(
        "allow_private_addresses",
        "PEERHAVEN_ALLOW_PRIVATE_ADDRESSES",
        "false",
        "Allow outgoing requests to private, loopback and link-local addresses "
        "(tests and local demos only).",
    ),
    Field("log_level", "PEERHAVEN_LOG_LEVEL", "info", "Log level: debug, info, warning or error."),
    Field(
        "instance_name",
        "PEERHAVEN_INSTANCE_NAME",
        "PeerHaven",
        "Name of the instance, shown on its pages.",
    ),
    Field(
        "admin_token",
        "PEERHAVEN_ADMIN_TOKEN",
        None,
        "Bearer token for the admin API (/api/admin/...). Unset: the admin API is off.",
    ),
    Field(
        "processes",
        "PEERHAVEN_PROCESSES",
        "1",
        "Server processes sharing the listening port (one core each); 2 on a 2-core machine.",
    ),
    Field(
        "delivery_per_host",
        "PEERHAVEN_DELIVERY_PER_HOST",
        "4",
        "Requests in flight to one destination host.",
    ),
    Field(
        "delivery_global",
        "PEERHAVEN_DELIVERY_GLOBAL",
        "512",
        "Requests in flight from one process, all hosts together.",
    ),
    Field(
        "delivery_lease_seconds",
        "PEERHAVEN_DELIVERY_LEASE_SECONDS",
        "30",
        "How long a process holds a host it delivers to without renewing the lease; a crashed "
        "process's hosts are taken up by others after this.",
    ),
    Field(
        "delivery_unreachable_days",
        "PEERHAVEN_DELIVERY_UNREACHABLE_DAYS",
        "7",
        "Days a host may fail before it is marked unreachable and its backlog dropped.",
    ),
    Field(
        "policy_file",
        "PEERHAVEN_POLICY_FILE",
        "",
        "The instance's moderation policy chain (TOML); default policies.toml in the data "
        "directory. Reloaded on SIGHUP and when it changes.",
    ),
    Field(
        "publish_blocklist",
        "PEERHAVEN_PUBLISH_BLOCKLIST",
        "false",
        "Publish the domain blocklist at /api/v1/instance/domain_blocks and /blocklist.csv.",
    ),
    Field(
        "default_country",
        "PEERHAVEN_DEFAULT_COUNTRY",
        "",
        "ISO country code whose crisis lines people are given (with the language they write "
        "in); empty: the international directory.",
    ),
    Field(
        "review_stale_minutes",
        "PEERHAVEN_REVIEW_STALE_MINUTES",
        "60",
        "Held posts waiting longer than this are counted as overdue on the dashboard.",
    ),
    Field(
        "crisis_escalate_minutes",
        "PEERHAVEN_CRISIS_ESCALATE_MINUTES",
        "5",
        "A crisis alert nobody acknowledges within this many minutes goes to every "
        "moderator and admin.",
    ),
    Field(
        "crisis_webhook_url",
        "PEERHAVEN_CRISIS_WEBHOOK_URL",
        "",
        "Also POST each crisis alert (level, group, event id; never the person's words or "
        "name) as JSON to this URL.",
    ),
)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclass(frozen=True)
class Settings:
    base_url: str
    host: str
    port: int
    data_dir: Path
    database_url: str | None
    allow_private_addresses: bool
    log_level: str
    instance_name: str
    admin_token: str | None = None
    processes: int = 1
    delivery_per_host: int = 4
    delivery_global: int = 512
    delivery_lease_seconds: float = 30.0
    delivery_unreachable_days: float = 7.0
    policy_file: Path | None = None
    review_stale_minutes: float = 60.0
    publish_blocklist: bool = False
    default_country: str = ""
    crisis_escalate_minutes: float = 5.0
    crisis_webhook_url: str = ""

    @property
    def domain(self) -> str:
        """Host (with the port when the base URL has one), as used in ``acct:NAME@HOST``."""
        return urlsplit(self.base_url).netloc

    @property
    def policy_path(self) -> Path:
        return self.policy_file or self.data_dir / "policies.toml"

    @property
    def postgres_dir(self) -> Path:
        return self.data_dir / "postgres"

    @property
    def log_level_number(self) -> int:
        return getattr(logging, self.log_level.upper())

    def with_overrides(self, **overrides: object) -> Settings:
        """Apply CLI flags (``None`` means "not given") and validate again."""
        raw = {k: v for k, v in overrides.items() if v is not None}
        return _validated(replace(self, **raw))  # type: ignore[arg-type]


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Read settings from ``environ`` (default ``os.environ``), then apply CLI overrides."""
    environ = os.environ if environ is None else environ
    raw = {f.name: environ.get(f.env, f.default) for f in FIELDS}
    for key, value in overrides.items():
        if value is not None:
            raw[key] = value
    return _validated(
        Settings(
            base_url=str(raw["base_url"]),
            host=str(raw["host"]),
            port=_parse_port(raw["port"]),
            data_dir=Path(str(raw["data_dir"])),
            database_url=str(raw["database_url"]) if raw["database_url"] else None,
            allow_private_addresses=_parse_bool(
                "PEERHAVEN_ALLOW_PRIVATE_ADDRESSES", raw["allow_private_addresses"]
            ),
            log_level=str(raw["log_level"]).lower(),
            instance_name=str(raw["instance_name"]),
            admin_token=str(raw["admin_token"]) if raw["admin_token"] else None,
            processes=_parse_positive("PEERHAVEN_PROCESSES", raw["processes"]),
            delivery_per_host=_parse_positive(
                "PEERHAVEN_DELIVERY_PER_HOST", raw["delivery_per_host"]
            ),
            delivery_global=_parse_positive("PEERHAVEN_DELIVERY_GLOBAL", raw["delivery_global"]),
            delivery_lease_seconds=_parse_positive(
                "PEERHAVEN_DELIVERY_LEASE_SECONDS", raw["delivery_lease_seconds"], float
            ),
            delivery_unreachable_days=_parse_positive(
                "PEERHAVEN_DELIVERY_UNREACHABLE_DAYS", raw["delivery_unreachable_days"], float
            ),
            policy_file=Path(str(raw["policy_file"])) if raw["policy_file"] else None,
            default_country=str(raw["default_country"]).strip().upper(),
            publish_blocklist=_parse_bool("PEERHAVEN_PUBLISH_BLOCKLIST", raw["publish_blocklist"]),
            review_stale_minutes=_parse_positive(
                "PEERHAVEN_REVIEW_STALE_MINUTES", raw["review_stale_minutes"], float
            ),
            crisis_escalate_minutes=_parse_positive(
                "PEERHAVEN_CRISIS_ESCALATE_MINUTES", raw["crisis_escalate_minutes"], float
            ),
            crisis_webhook_url=_webhook_url(str(raw["crisis_webhook_url"]).strip()),
        )
    )


def _webhook_url(value: str) -> str:
    if value and urlsplit(value).scheme not in ("http", "https"):
        raise ConfigError(f"PEERHAVEN_CRISIS_WEBHOOK_URL {value!r} must be an http(s) URL")
    return value


def _validated(settings: Settings) -> Settings:
    base_url = _normalize_base_url(settings.base_url)
    if settings.log_level not in _LOG_LEVELS:
        raise ConfigError(
            f"log level {settings.log_level!r} is not one of {', '.join(_LOG_LEVELS)}"
        )
    if settings.database_url is not None:
        _check_database_url(settings.database_url)
    return replace(settings, base_url=base_url, port=_parse_port(settings.port))


def _normalize_base_url(value: str) -> str:
    try:
        parts = urlsplit(value.strip())
        port = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        raise ConfigError(f"base URL {value!r} cannot be parsed: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"base URL {value!r} must be an absolute http(s) URL such as https://support.example.org"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ConfigError(
            f"base URL {value!r} must be scheme://host[:port] with no path, query or credentials"
        )
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port is None else f"{host}:{port}"
    return f"{parts.scheme}://{netloc}"


def _parse_port(value: object) -> int:
    try:
        port = int(str(value))
    except ValueError:
        raise ConfigError(f"port {value!r} is not a number") from None
    if not 0 <= port <= 65535:
        raise ConfigError(f"port {port} is outside 0-65535")
    return port


def _parse_positive(name: str, value: object, kind: type = int) -> Any:
    try:
        number = kind(str(value))
    except ValueError:
        raise ConfigError(f"{name} must be a positive number, not {value!r}") from None
    if number <= 0:
        raise ConfigError(f"{name} must be a positive number, not {value!r}")
    return number


def _parse_bool(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def _check_database_url(value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ConfigError("DATABASE_URL must start with postgresql:// (or postgres://)")
