"""RFC 9421 HTTP Message Signatures: parse, signature base, verify, sign.

Only the mechanics live here; the signature base is built by
:mod:`federation.signatures.components` and the inbox policy (required coverage,
``created``, digest, time window, key lookup) is in :mod:`federation.signatures.verify`.

Supported: multiple labelled signatures (4.3), ``alg`` or the algorithm inferred from the
key (3.2), and the algorithms of :mod:`federation.signatures.algorithms`.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from federation.signatures import algorithms
from federation.signatures.components import (
    HttpResponse,
    Message,
    MissingComponentError,
    Rfc9421Error,
    component_value,
    signature_base,
)
from federation.signatures.digest import content_digest_header
from federation.signatures.keys import PrivateKey, PublicKey, load_private_key
from federation.signatures.structured import (
    BareItem,
    InnerList,
    Item,
    StructuredFieldError,
    Token,
    parse_dictionary,
    serialize_inner_list,
)
from federation.signatures.types import SignedRequest

__all__ = [
    "DEFAULT_COMPONENTS",
    "HttpResponse",
    "Message",
    "MessageSignature",
    "MissingComponentError",
    "Rfc9421Error",
    "component_value",
    "parse_signatures",
    "sign_message",
    "sign_request_rfc9421",
    "signature_base",
    "signatures_in",
    "verify_message_signature",
]


@dataclass(frozen=True)
class MessageSignature:
    """One labelled signature: its Signature-Input inner list and its signature bytes."""

    label: str
    inner: InnerList
    signature: bytes

    def _param(self, name: str) -> BareItem | None:
        return self.inner.params.get(name)

    def _str_param(self, name: str) -> str | None:
        value = self._param(name)
        return str(value) if isinstance(value, str) else None

    @property
    def key_id(self) -> str | None:
        return self._str_param("keyid")

    @property
    def alg(self) -> str | None:
        return self._str_param("alg")

    @property
    def created(self) -> int | None:
        value = self._param("created")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def expires(self) -> int | None:
        value = self._param("expires")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def components(self) -> tuple[str, ...]:
        """Covered component names (without parameters), e.g. ``("@method", "host")``."""
        return tuple(str(item.value) for item in self.inner.items)

    def covers(self, name: str) -> bool:
        """Whether ``name`` of the message itself (not ``;req``) is covered."""
        return any(i.value == name and "req" not in i.params for i in self.inner.items)


def parse_signatures(signature_input: str, signature: str) -> list[MessageSignature]:
    """Pair the members of ``Signature-Input`` and ``Signature`` by label, in input order."""
    try:
        inputs = parse_dictionary(signature_input)
        values = parse_dictionary(signature)
    except StructuredFieldError as exc:
        raise Rfc9421Error(f"invalid structured field: {exc}") from None
    result: list[MessageSignature] = []
    for label, inner in inputs.items():
        if label not in values:
            continue
        sig = values[label]
        if not isinstance(inner, InnerList) or not isinstance(sig, Item):
            raise Rfc9421Error(f"signature {label!r}: wrong structured-field types")
        if not isinstance(sig.value, bytes):
            raise Rfc9421Error(f"signature {label!r} is not a byte sequence")
        for name in ("created", "expires"):
            value = inner.params.get(name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise Rfc9421Error(f"signature {label!r}: {name} is not an integer")
        for name in ("keyid", "alg", "nonce", "tag"):
            value = inner.params.get(name)
            if value is not None and (not isinstance(value, str) or isinstance(value, Token)):
                raise Rfc9421Error(f"signature {label!r}: {name} is not a string")
        result.append(MessageSignature(label, inner, sig.value))
    return result


def signatures_in(message: Message) -> list[MessageSignature]:
    """All signatures of a message; empty when it carries none."""
    sig_input = ", ".join(message.header_values("signature-input"))
    sig = ", ".join(message.header_values("signature"))
    if not sig_input or not sig:
        return []
    return parse_signatures(sig_input, sig)


def verify_message_signature(
    sig: MessageSignature,
    message: Message,
    key: PublicKey | bytes,
    related_request: SignedRequest | None = None,
) -> bool:
    """Cryptographic check of one signature.  ``alg``, when sent, is the only algorithm
    tried; otherwise it is inferred from the key (RFC 9421 3.2 step 6)."""
    base = signature_base(sig.inner, message, related_request).encode("utf-8")
    if sig.alg is not None:
        if sig.alg not in algorithms.ALGORITHMS:
            raise algorithms.UnknownAlgorithm(sig.alg)
        candidates: Sequence[str] = (sig.alg,)
    else:
        candidates = algorithms.algorithms_for_key(key)
    return any(algorithms.verify(a, key, base, sig.signature) for a in candidates)


def _timestamp(value: datetime | int) -> int:
    return value if isinstance(value, int) else int(value.timestamp())


def sign_message(
    message: Message,
    *,
    key: PrivateKey | bytes,
    components: Sequence[str | Item],
    label: str = "sig1",
    key_id: str | None = None,
    created: datetime | int | None = None,
    expires: datetime | int | None = None,
    alg: str | None = None,
    nonce: str | None = None,
    tag: str | None = None,
    related_request: SignedRequest | None = None,
) -> tuple[str, str]:
    """Sign ``message``; returns ``(Signature-Input member, Signature member)`` values."""
    items = tuple(c if isinstance(c, Item) else Item(c) for c in components)
    params: dict[str, BareItem] = {}
    if created is not None:
        params["created"] = _timestamp(created)
    if expires is not None:
        params["expires"] = _timestamp(expires)
    if nonce is not None:
        params["nonce"] = nonce
    if key_id is not None:
        params["keyid"] = key_id
    if alg is not None:
        params["alg"] = alg
    if tag is not None:
        params["tag"] = tag
    inner = InnerList(items, params)
    algorithm = alg or (algorithms.algorithms_for_key(key) or ("",))[0]
    base = signature_base(inner, message, related_request).encode("utf-8")
    signature = algorithms.sign(algorithm, key, base)
    return (
        f"{label}={serialize_inner_list(inner)}",
        f"{label}=:{base64.b64encode(signature).decode('ascii')}:",
    )


DEFAULT_COMPONENTS = ("@method", "@target-uri", "content-digest")


def sign_request_rfc9421(
    req: SignedRequest,
    *,
    key_id: str,
    private_key_pem: str,
    created: datetime | int,
    components: Sequence[str | Item] = DEFAULT_COMPONENTS,
    label: str = "sig1",
    alg: str | None = None,
    expires: datetime | int | None = None,
) -> dict[str, str]:
    """Headers to add to ``req``: ``Signature-Input``, ``Signature`` and, when covered but
    absent, ``Content-Digest`` (sha-256 of the body, RFC 9530).  Mastodon >= 4.4 shape by
    default: ``("@method" "@target-uri" "content-digest");created=...;keyid="..."``."""
    out: dict[str, str] = {}
    names = [c.value if isinstance(c, Item) else c for c in components]
    if "content-digest" in names and not req.header_values("content-digest"):
        out["Content-Digest"] = content_digest_header(req.body)
        req = SignedRequest(
            req.method, req.raw_target, (*req.headers, *out.items()), req.body, req.scheme
        )
    sig_input, signature = sign_message(
        req,
        key=load_private_key(private_key_pem),
        components=components,
        label=label,
        key_id=key_id,
        created=created,
        expires=expires,
        alg=alg,
    )
    out["Signature-Input"] = sig_input
    out["Signature"] = signature
    return out
