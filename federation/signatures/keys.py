"""Key generation and PEM loading.

Peers publish ``publicKeyPem`` in more than one shape: SubjectPublicKeyInfo
(``BEGIN PUBLIC KEY``, what Mastodon sends) and PKCS#1 (``BEGIN RSA PUBLIC KEY``, e.g.
RFC 9421 B.1.1 and some older servers).  Both are accepted.  Some actors serialize the PEM
with ``\\r\\n`` or escaped ``\\n`` sequences; those are normalised before loading.
"""

from __future__ import annotations

import functools

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    PrivateKeyTypes,
    PublicKeyTypes,
)

# Keys a verifier can use.  DSA / X25519 etc. load fine but sign nothing we accept.
PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey
PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey


class KeyLoadError(ValueError):
    """The key material cannot be loaded or is of an unsupported type."""


def _normalize_pem(pem: str | bytes) -> bytes:
    text = pem.decode("ascii", "replace") if isinstance(pem, bytes) else pem
    text = text.replace("\\n", "\n").replace("\r\n", "\n").strip()
    return (text + "\n").encode("ascii", "replace")


def generate_rsa_keypair(bits: int = 2048) -> tuple[str, str]:
    """Return ``(private_pem, public_pem)``: PKCS#8 and SPKI, the shapes Mastodon uses."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return private_key_to_pem(key), public_key_to_pem(key.public_key())


def generate_ed25519_keypair() -> tuple[str, str]:
    key = ed25519.Ed25519PrivateKey.generate()
    return private_key_to_pem(key), public_key_to_pem(key.public_key())


def private_key_to_pem(key: PrivateKeyTypes) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def public_key_to_pem(key: PublicKeyTypes) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def public_key_pem_from_private(private_pem: str | bytes) -> str:
    return public_key_to_pem(load_private_key(private_pem).public_key())


def _check_public(key: PublicKeyTypes) -> PublicKey:
    if isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey):
        return key
    raise KeyLoadError(f"unsupported public key type {type(key).__name__}")


@functools.lru_cache(maxsize=4096)
def load_public_key(pem: str | bytes) -> PublicKey:
    """Load an SPKI (``BEGIN PUBLIC KEY``) or PKCS#1 (``BEGIN RSA PUBLIC KEY``) public key."""
    data = _normalize_pem(pem)
    try:
        # load_pem_public_key understands both SPKI and the PKCS#1 RSA block.
        return _check_public(serialization.load_pem_public_key(data))
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyLoadError(f"cannot load public key: {exc}") from None


def load_private_key(pem: str | bytes, *, own: bool = False) -> PrivateKey:
    """Load a PKCS#8 or traditional (``BEGIN RSA/EC PRIVATE KEY``) unencrypted private key.

    ``own=True`` is for keys we generated and stored ourselves: it skips OpenSSL's RSA
    consistency check, which costs ~35 ms a load and proves nothing about our own keys."""
    try:
        key = serialization.load_pem_private_key(
            _normalize_pem(pem), password=None, unsafe_skip_rsa_key_validation=own
        )
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyLoadError(f"cannot load private key: {exc}") from None
    if isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey):
        return key
    raise KeyLoadError(f"unsupported private key type {type(key).__name__}")


def load_ed25519_public_key(data: str | bytes) -> ed25519.Ed25519PublicKey:
    """An Ed25519 public key from PEM or from the raw 32 bytes (as in multikey documents)."""
    if isinstance(data, bytes) and len(data) == 32:
        return ed25519.Ed25519PublicKey.from_public_bytes(data)
    key = load_public_key(data)
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise KeyLoadError("not an Ed25519 public key")
    return key
