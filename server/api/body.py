"""Reading and checking JSON request bodies: every problem is named by field (400)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request

from server.api.auth import ApiError

MAX_BODY = 64 * 1024

Check = Callable[[Any], str | None]  # returns why the value is wrong, or None


def text(max_len: int = 5000) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, str) or not value.strip():
            return "must be a non-empty string"
        if "\x00" in value:
            return "must not contain NUL characters"  # PostgreSQL text cannot hold them
        return f"must be at most {max_len} characters" if len(value) > max_len else None

    return check


def url(value: Any) -> str | None:
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        return "must be an http(s) URL"
    if "\x00" in value or len(value) > 2048:
        return "must be a URL of at most 2048 characters, without NUL characters"
    return None


def one_of(*choices: Any) -> Check:
    def check(value: Any) -> str | None:
        return None if value in choices else f"must be one of {', '.join(map(str, choices))}"

    return check


def boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def positive(value: Any) -> str | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
    return None if ok else "must be a positive number"


def days(value: Any) -> str | None:
    """A duration in days, up to a hundred years (a larger one overflows a date)."""
    if positive(value) is not None or value > 36500:
        return "must be a number of days between 0 and 36500"
    return None


def text_list(value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        return "must be a list of non-empty strings"
    return None


async def read(
    request: Request,
    required: dict[str, Check],
    optional: dict[str, Check] | None = None,
    *,
    max_body: int = MAX_BODY,
) -> dict[str, Any]:
    """The body as a dict holding only known fields, each checked; else a 400 by field."""
    raw = await request.body()
    if len(raw) > max_body:
        raise ApiError(413, "body_too_large", f"the body is over {max_body // 1024} KiB")
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise ApiError(400, "invalid_json", "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "the body must be a JSON object")
    optional = optional or {}
    problems: dict[str, str] = {}
    for name in data.keys() - required.keys() - optional.keys():
        problems[name] = "unknown field"
    for name, check in required.items():
        if name not in data:
            problems[name] = "required"
        elif (why := check(data[name])) is not None:
            problems[name] = why
    for name, check in optional.items():
        if name in data and data[name] is not None and (why := check(data[name])) is not None:
            problems[name] = why
    if problems:
        raise ApiError(400, "invalid_request", "some fields are wrong", problems)
    return {k: v for k, v in data.items() if v is not None}
