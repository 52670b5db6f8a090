"""Signature primitives by algorithm name (RFC 9421 Section 3.3 registry names).

draft-cavage's ``rsa-sha256`` and Mastodon's reading of ``hs2019`` are both RSASSA-PKCS1-v1_5
with SHA-256, i.e. RFC 9421's ``rsa-v1_5-sha256``; the cavage module maps onto these names.

``verify`` never raises for a bad signature or a key/algorithm mismatch: it returns False.
Only an unknown algorithm name raises (:class:`UnknownAlgorithm`), because that is a
different answer for the caller (``unknown_algorithm`` rather than ``bad_signature``).
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from federation.signatures.keys import PrivateKey, PublicKey

RSA_V1_5_SHA256 = "rsa-v1_5-sha256"
RSA_PSS_SHA512 = "rsa-pss-sha512"
ECDSA_P256_SHA256 = "ecdsa-p256-sha256"
ECDSA_P384_SHA384 = "ecdsa-p384-sha384"
ED25519 = "ed25519"
HMAC_SHA256 = "hmac-sha256"

ALGORITHMS = frozenset(
    {RSA_V1_5_SHA256, RSA_PSS_SHA512, ECDSA_P256_SHA256, ECDSA_P384_SHA384, ED25519, HMAC_SHA256}
)
# Asymmetric only: federation has no shared secrets, so hmac-sha256 is never acceptable
# for an inbox even though the primitive exists (RFC 9421 B.2.5 vector).
PUBLIC_KEY_ALGORITHMS = ALGORITHMS - {HMAC_SHA256}

_EC = {
    ECDSA_P256_SHA256: (ec.SECP256R1, hashes.SHA256, 32),
    ECDSA_P384_SHA384: (ec.SECP384R1, hashes.SHA384, 48),
}
# RFC 9421 3.3.1: RSASSA-PSS with SHA-512, MGF1 with SHA-512 and a 64-byte salt.
_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)


class UnknownAlgorithm(ValueError):
    pass


def algorithms_for_key(key: PublicKey | PrivateKey | bytes) -> tuple[str, ...]:
    """Candidate algorithms when the signer did not name one (RFC 9421 3.2: from the key).

    An RSA key alone does not say PKCS#1 v1.5 or PSS.  v1.5 comes first because it is what
    Mastodon signs with; PSS is the RFC 9421 examples' choice.  Both are sound with the
    same key, so trying both creates no downgrade.
    """
    if isinstance(key, bytes):
        return (HMAC_SHA256,)
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        return (RSA_V1_5_SHA256, RSA_PSS_SHA512)
    if isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
        return (ED25519,)
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        for name, (curve, _hash, _size) in _EC.items():
            if isinstance(key.curve, curve):
                return (name,)
    return ()


def verify(algorithm: str, key: PublicKey | bytes, message: bytes, signature: bytes) -> bool:
    if algorithm not in ALGORITHMS:
        raise UnknownAlgorithm(algorithm)
    try:
        if algorithm == HMAC_SHA256:
            if not isinstance(key, bytes):
                return False
            return hmac.compare_digest(hmac.new(key, message, hashlib.sha256).digest(), signature)
        if algorithm in (RSA_V1_5_SHA256, RSA_PSS_SHA512):
            if not isinstance(key, rsa.RSAPublicKey):
                return False
            if algorithm == RSA_V1_5_SHA256:
                key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
            else:
                key.verify(signature, message, _PSS, hashes.SHA512())
            return True
        if algorithm == ED25519:
            if not isinstance(key, ed25519.Ed25519PublicKey):
                return False
            key.verify(signature, message)
            return True
        curve, hash_cls, size = _EC[algorithm]
        if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, curve):
            return False
        # RFC 9421 3.3.4/3.3.5: the signature is the raw r || s, not DER.
        if len(signature) != 2 * size:
            return False
        r = int.from_bytes(signature[:size], "big")
        s = int.from_bytes(signature[size:], "big")
        key.verify(encode_dss_signature(r, s), message, ec.ECDSA(hash_cls()))
        return True
    except (InvalidSignature, ValueError):
        return False


def sign(algorithm: str, key: PrivateKey | bytes, message: bytes) -> bytes:
    if algorithm not in ALGORITHMS:
        raise UnknownAlgorithm(algorithm)
    if algorithm == HMAC_SHA256:
        if not isinstance(key, bytes):
            raise TypeError("hmac-sha256 needs a shared secret (bytes)")
        return hmac.new(key, message, hashlib.sha256).digest()
    if algorithm in (RSA_V1_5_SHA256, RSA_PSS_SHA512):
        if not isinstance(key, rsa.RSAPrivateKey):
            raise TypeError(f"{algorithm} needs an RSA private key")
        if algorithm == RSA_V1_5_SHA256:
            return key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        return key.sign(message, _PSS, hashes.SHA512())
    if algorithm == ED25519:
        if not isinstance(key, ed25519.Ed25519PrivateKey):
            raise TypeError("ed25519 needs an Ed25519 private key")
        return key.sign(message)
    curve, hash_cls, size = _EC[algorithm]
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, curve):
        raise TypeError(f"{algorithm} needs an EC private key on {curve.name}")
    r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hash_cls())))
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")
