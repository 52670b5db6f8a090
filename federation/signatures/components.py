"""RFC 9421 Section 2: component values and the signature base.

The signature base is rebuilt from the message as received, one line per covered
component, then ``@signature-params`` (2.5).  Derived components follow 2.2; header fields
are the field lines stripped and joined with ``", "`` (2.1); ``;req`` takes the value from
the request a response answers (2.4) and ``;bs`` wraps each line as a byte sequence
(2.1.3).  ``sf``/``key``/``tr`` are refused as unsupported: no peer or vector uses them.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote_plus

from federation.signatures.structured import (
    BareItem,
    InnerList,
    Item,
    Token,
    serialize_inner_list,
    serialize_item,
)
from federation.signatures.types import SignedRequest, excerpt, normalize_headers

_DEFAULT_PORTS = {"http": "80", "https": "443"}
# RFC 9421 2.2.8 re-encodes names/values with the application/x-www-form-urlencoded
# percent-encode set: everything but ASCII alphanumerics and *-._ is %XX-encoded.
_FORM_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789*-._")


class Rfc9421Error(ValueError):
    """Malformed or unusable Signature-Input / Signature, or an unsupported component."""


class MissingComponentError(Rfc9421Error):
    """A covered component is absent from the message (RFC 9421 2.5: MUST fail)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"covered component '{excerpt(name)}' is missing from the message")
        self.name = name


@dataclass(frozen=True)
class HttpResponse:
    """A response message, for response signatures (``@status``, ``;req``)."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", normalize_headers(self.headers))

    def header_values(self, name: str) -> list[str]:
        lowered = name.lower()
        return [v.strip(" \t") for n, v in self.headers if n.lower() == lowered]


Message = SignedRequest | HttpResponse


def _authority(req: SignedRequest) -> str:
    host = req.header("host")
    if not host:
        raise MissingComponentError("@authority")
    host = host.strip().lower()
    if host.startswith("["):  # IPv6 literal, "[::1]:8443"
        end = host.find("]") + 1
        name, rest = host[:end], host[end:]
        port = rest[1:] if rest.startswith(":") else None
    else:
        name, sep, after = host.partition(":")
        port = after if sep else None
    # RFC 9421 2.2.3: the authority is normalised, a default port is removed.
    if port is not None and port == _DEFAULT_PORTS.get(req.scheme.lower()):
        return name
    return host


def _form_encode(text: str) -> str:
    return "".join(chr(b) if b in _FORM_SAFE else f"%{b:02X}" for b in text.encode("utf-8"))


def _query_param(req: SignedRequest, name_param: BareItem | None) -> str:
    if not isinstance(name_param, str):
        raise Rfc9421Error("@query-param needs a name parameter")
    wanted = unquote_plus(name_param)
    found: list[str] = []
    for pair in (req.query or "").split("&"):
        if not pair:
            continue
        raw_name, _, raw_value = pair.partition("=")
        if unquote_plus(raw_name) == wanted:
            found.append(raw_value)
    if len(found) != 1:
        # RFC 9421 2.2.8: absent or repeated parameters cannot be signed individually.
        raise MissingComponentError(f"@query-param;name={name_param}")
    return _form_encode(unquote_plus(found[0]))


def _derived(name: str, params: Mapping[str, BareItem], msg: Message) -> str:
    if isinstance(msg, HttpResponse):
        if name == "@status":
            return str(msg.status)
        raise Rfc9421Error(f"{excerpt(name)} is not a response component")
    if name == "@method":
        return msg.method
    if name == "@authority":
        return _authority(msg)
    if name == "@scheme":
        return msg.scheme.lower()
    if name == "@target-uri":
        if "://" in msg.raw_target.split("?", 1)[0]:
            return msg.raw_target  # absolute-form request target
        return f"{msg.scheme.lower()}://{_authority(msg)}{msg.raw_target}"
    if name == "@request-target":
        return msg.raw_target
    if name == "@path":
        return msg.path or "/"
    if name == "@query":
        return "?" + (msg.query or "")
    if name == "@query-param":
        return _query_param(msg, params.get("name"))
    raise Rfc9421Error(f"unsupported derived component {excerpt(name)}")


def component_value(
    item: Item, message: Message, related_request: SignedRequest | None = None
) -> str:
    """The value of one covered component (RFC 9421 2.1 fields, 2.2 derived, 2.4 ``;req``)."""
    name = item.value
    if not isinstance(name, str) or isinstance(name, Token):
        raise Rfc9421Error("component identifiers must be strings")
    params = item.params
    target: Message = message
    if params.get("req") is True:
        if related_request is None:
            raise Rfc9421Error(f"{excerpt(name)};req needs the related request")
        target = related_request
    unsupported = set(params) - {"req", "name", "bs"}
    if unsupported:
        names = excerpt(",".join(sorted(unsupported)))
        raise Rfc9421Error(f"unsupported component parameter(s) {names}")
    if name.startswith("@"):
        if name == "@signature-params":
            raise Rfc9421Error("@signature-params cannot be a covered component")
        return _derived(name, params, target)
    if name != name.lower():
        raise Rfc9421Error(f"field name {excerpt(name)} must be lowercase")
    values = target.header_values(name)
    if not values:
        raise MissingComponentError(name)
    if params.get("bs") is True:
        return ", ".join(":" + base64.b64encode(v.encode()).decode() + ":" for v in values)
    return ", ".join(values)


def signature_base(
    inner: InnerList, message: Message, related_request: SignedRequest | None = None
) -> str:
    """RFC 9421 Section 2.5: one line per covered component, then ``@signature-params``."""
    lines: list[str] = []
    seen: set[str] = set()
    for item in inner.items:
        identifier = serialize_item(item)
        if identifier in seen:
            raise Rfc9421Error(f"component {excerpt(identifier)} is covered twice")
        seen.add(identifier)
        value = component_value(item, message, related_request)
        if "\n" in value or "\r" in value:
            raise Rfc9421Error(f"line break in the value of {excerpt(identifier)}")
        lines.append(f"{identifier}: {value}")
    lines.append(f'"@signature-params": {serialize_inner_list(inner)}')
    return "\n".join(lines)
