"""The subset of RFC 8941 (Structured Field Values) that HTTP signatures need.

RFC 9421 carries its metadata in structured fields (``Signature-Input`` is a dictionary of
inner lists with parameters, ``Signature`` a dictionary of byte sequences) and RFC 9530's
``Content-Digest`` is a dictionary of byte sequences.  The ``@signature-params`` line of an
RFC 9421 signature base is the *serialization* of the inner list, so we also serialize.

Parsing follows RFC 8941 Section 4.2 strictly: a malformed field raises
:class:`StructuredFieldError` (RFC 8941 4.2: "fail parsing"), never a partial result.  That
strictness is what rejects Mastodon's ``SHA-256=:...:`` Content-Digest vector (keys must be
lowercase, RFC 8941 3.1.2).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from decimal import Decimal


class StructuredFieldError(ValueError):
    """The header is not a valid RFC 8941 structured field."""


class Token(str):
    """An sf-token (RFC 8941 3.3.4); a ``str`` subclass so it is distinguishable from sf-string."""

    __slots__ = ()


BareItem = int | Decimal | str | Token | bytes | bool
Params = dict[str, BareItem]


@dataclass(frozen=True)
class Item:
    value: BareItem
    params: Params = field(default_factory=dict)


@dataclass(frozen=True)
class InnerList:
    items: tuple[Item, ...]
    params: Params = field(default_factory=dict)


Member = Item | InnerList

_KEY_START = re.compile(r"[a-z*]")
_KEY = re.compile(r"[a-z0-9_\-.*]*")
_TOKEN_START = re.compile(r"[A-Za-z*]")
# tchar (RFC 9110 5.6.2) plus ":" and "/" (RFC 8941 3.3.4).
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z:/]*")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_B64 = re.compile(r"[A-Za-z0-9+/=]*")


class _Parser:
    def __init__(self, text: str) -> None:
        # RFC 8941 4.2 step 1: the input is ASCII; anything else fails parsing.
        if not text.isascii():
            raise StructuredFieldError("non-ASCII character in structured field")
        self.s = text
        self.i = 0

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def skip_sp(self) -> None:
        while self.peek() == " ":
            self.i += 1

    def skip_ows(self) -> None:
        while self.peek() in (" ", "\t"):
            self.i += 1

    def done(self) -> bool:
        return self.i >= len(self.s)

    def key(self) -> str:
        if not _KEY_START.match(self.peek()):
            raise StructuredFieldError(f"invalid key at offset {self.i}")
        m = _KEY.match(self.s, self.i)
        assert m is not None
        self.i = m.end()
        return m.group(0)

    def bare_item(self) -> BareItem:
        c = self.peek()
        if c == "-" or c.isdigit():
            return self.number()
        if c == '"':
            return self.string()
        if c == ":":
            return self.byte_sequence()
        if c == "?":
            return self.boolean()
        if _TOKEN_START.match(c):
            m = _TOKEN.match(self.s, self.i)
            assert m is not None
            self.i = m.end()
            return Token(m.group(0))
        raise StructuredFieldError(f"unexpected character at offset {self.i}")

    def number(self) -> int | Decimal:
        m = _NUMBER.match(self.s, self.i)
        if m is None:
            raise StructuredFieldError("invalid number")
        text = m.group(0)
        integer, _, fraction = text.lstrip("-").partition(".")
        # RFC 8941 3.3.1/3.3.2 limits: 15 digits for integers, 12.3 for decimals.
        too_long = len(integer) > 12 or len(fraction) > 3 if fraction else len(integer) > 15
        if too_long:
            raise StructuredFieldError("number out of range")
        self.i = m.end()
        return Decimal(text) if fraction else int(text)

    def string(self) -> str:
        self.i += 1  # opening quote
        out: list[str] = []
        while not self.done():
            c = self.s[self.i]
            self.i += 1
            if c == "\\":
                nxt = self.peek()
                if nxt not in ('"', "\\"):
                    raise StructuredFieldError("invalid escape in string")
                out.append(nxt)
                self.i += 1
            elif c == '"':
                return "".join(out)
            elif not (" " <= c <= "~"):
                raise StructuredFieldError("control character in string")
            else:
                out.append(c)
        raise StructuredFieldError("unterminated string")

    def byte_sequence(self) -> bytes:
        end = self.s.find(":", self.i + 1)
        if end < 0:
            raise StructuredFieldError("unterminated byte sequence")
        body = self.s[self.i + 1 : end]
        if not _B64.fullmatch(body):
            raise StructuredFieldError("invalid base64 in byte sequence")
        self.i = end + 1
        try:
            # RFC 8941 3.3.5: parsers may accept missing padding; be lenient there only.
            return base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
        except binascii.Error as exc:
            raise StructuredFieldError("invalid base64 in byte sequence") from exc

    def boolean(self) -> bool:
        value = self.s[self.i + 1 : self.i + 2]
        if value not in ("0", "1"):
            raise StructuredFieldError("invalid boolean")
        self.i += 2
        return value == "1"

    def params(self) -> Params:
        params: Params = {}
        while self.peek() == ";":
            self.i += 1
            self.skip_sp()
            name = self.key()
            value: BareItem = True
            if self.peek() == "=":
                self.i += 1
                value = self.bare_item()
            params[name] = value  # RFC 8941 4.2.3.2: a later duplicate overwrites
        return params

    def item(self) -> Item:
        value = self.bare_item()
        return Item(value, self.params())

    def inner_list(self) -> InnerList:
        self.i += 1  # "("
        items: list[Item] = []
        while not self.done():
            self.skip_sp()
            if self.peek() == ")":
                self.i += 1
                return InnerList(tuple(items), self.params())
            items.append(self.item())
            if self.peek() not in (" ", ")"):
                raise StructuredFieldError("inner list items must be separated by spaces")
        raise StructuredFieldError("unterminated inner list")

    def member(self) -> Member:
        return self.inner_list() if self.peek() == "(" else self.item()

    def dictionary(self) -> dict[str, Member]:
        result: dict[str, Member] = {}
        while not self.done():
            name = self.key()
            if self.peek() == "=":
                self.i += 1
                result[name] = self.member()
            else:
                result[name] = Item(True, self.params())
            self.skip_ows()
            if self.done():
                return result
            if self.peek() != ",":
                raise StructuredFieldError(f"expected ',' at offset {self.i}")
            self.i += 1
            self.skip_ows()
            if self.done():
                raise StructuredFieldError("trailing comma in dictionary")
        return result


def parse_dictionary(text: str) -> dict[str, Member]:
    """Parse an sf-dictionary; an empty (or all-space) field is an empty dictionary."""
    p = _Parser(text.strip(" "))
    return p.dictionary()


def parse_item(text: str) -> Item:
    p = _Parser(text.strip(" "))
    item = p.item()
    if not p.done():
        raise StructuredFieldError("trailing characters after item")
    return item


def serialize_bare_item(value: BareItem) -> str:
    # bool before int: bool is an int subclass in Python.
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        text = f"{value.quantize(Decimal('0.001')).normalize():f}"
        return text if "." in text else text + ".0"
    if isinstance(value, bytes):
        return ":" + base64.b64encode(value).decode("ascii") + ":"
    if isinstance(value, Token):
        return str(value)
    if isinstance(value, str):
        if not all(" " <= c <= "~" for c in value):
            raise StructuredFieldError("string contains characters outside printable ASCII")
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise StructuredFieldError(f"cannot serialize {type(value).__name__}")


def serialize_params(params: Params) -> str:
    out = []
    for name, value in params.items():
        out.append(f";{name}" if value is True else f";{name}={serialize_bare_item(value)}")
    return "".join(out)


def serialize_item(item: Item) -> str:
    return serialize_bare_item(item.value) + serialize_params(item.params)


def serialize_inner_list(inner: InnerList) -> str:
    members = " ".join(serialize_item(i) for i in inner.items)
    return f"({members}){serialize_params(inner.params)}"
