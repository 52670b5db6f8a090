"""Linked Data Signatures 1.0, ``RsaSignature2017``: the signature Mastodon embeds in
activities it forwards (``signature`` property), so a relayed activity can be trusted
without re-fetching it.

Algorithm (Mastodon ``app/lib/activitypub/linked_data_signature.rb``, jsonld-signatures
1.0): canonicalize the signature options (``creator``, ``created``, ... plus
``@context: https://w3id.org/identity/v1``, without ``type``, ``id`` and
``signatureValue``) and the document without ``signature`` with URDNA2015, hash each with
SHA-256, and sign the concatenated hex digests with RSASSA-PKCS1-v1_5/SHA-256.

Canonicalization needs the JSON-LD contexts.  The document loader is injected so this
never touches the network: a remote context fetched at verification time would let the
context's host change what the signature means.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
from collections.abc import Callable, Mapping
from typing import Any

from pyld import jsonld

from federation.signatures import algorithms
from federation.signatures.keys import load_private_key, load_public_key

SIGNATURE_TYPE = "RsaSignature2017"
IDENTITY_CONTEXT = "https://w3id.org/identity/v1"

DocumentLoader = Callable[[str, Any], dict[str, Any]]


class LdSignatureError(ValueError):
    """The document has no usable RsaSignature2017 signature or cannot be canonicalized."""


def static_document_loader(contexts: Mapping[str, Any]) -> DocumentLoader:
    """A pyld loader that serves only the given ``url -> JSON document`` contexts."""

    def load(url: str, options: Any = None) -> dict[str, Any]:
        key = url.split("#", 1)[0]
        if key not in contexts:
            raise jsonld.JsonLdError(
                f"context {key} is not available offline", "jsonld.LoadDocumentError"
            )
        return {"contextUrl": None, "documentUrl": url, "document": contexts[key]}

    return load


def _hash(data: Mapping[str, Any], loader: DocumentLoader) -> str:
    try:
        canonical = jsonld.normalize(
            dict(data),
            {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": loader},
        )
    except jsonld.JsonLdError as exc:
        raise LdSignatureError(f"cannot canonicalize: {exc}") from None
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _to_be_signed(
    document: Mapping[str, Any], options: Mapping[str, Any], loader: DocumentLoader
) -> bytes:
    opts = {k: v for k, v in options.items() if k not in ("type", "id", "signatureValue")}
    opts["@context"] = IDENTITY_CONTEXT
    body = {k: v for k, v in document.items() if k != "signature"}
    return (_hash(opts, loader) + _hash(body, loader)).encode("ascii")


def ld_signature_creator(document: Mapping[str, Any]) -> str | None:
    """The key id (``signature.creator``) to resolve before verifying."""
    sig = document.get("signature")
    creator = sig.get("creator") if isinstance(sig, Mapping) else None
    return creator if isinstance(creator, str) else None


def verify_ld_signature(
    document: Mapping[str, Any], public_key_pem: str, loader: DocumentLoader
) -> bool:
    """True when ``document.signature`` is a valid RsaSignature2017 by ``public_key_pem``."""
    sig = document.get("signature")
    if not isinstance(sig, Mapping) or sig.get("type") != SIGNATURE_TYPE:
        raise LdSignatureError("no RsaSignature2017 signature")
    try:
        signature = base64.b64decode(str(sig.get("signatureValue", "")), validate=True)
    except binascii.Error:
        return False
    message = _to_be_signed(document, sig, loader)
    return algorithms.verify(
        algorithms.RSA_V1_5_SHA256, load_public_key(public_key_pem), message, signature
    )


def sign_ld_document(
    document: Mapping[str, Any],
    *,
    creator: str,
    created: str,
    private_key_pem: str,
    loader: DocumentLoader,
) -> dict[str, Any]:
    """A copy of ``document`` with an RsaSignature2017 ``signature`` (``created``: ISO 8601)."""
    options = {"type": SIGNATURE_TYPE, "creator": creator, "created": created}
    message = _to_be_signed(document, options, loader)
    value = algorithms.sign(algorithms.RSA_V1_5_SHA256, load_private_key(private_key_pem), message)
    signed = copy.deepcopy(dict(document))
    signed["signature"] = {**options, "signatureValue": base64.b64encode(value).decode("ascii")}
    return signed
