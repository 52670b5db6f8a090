"""HTTP signatures (draft-cavage-12 and RFC 9421), body digests and LD signatures.

Pure code: no I/O and no clock reads in verification.  The inbox builds a
:class:`SignedRequest` from the raw request and calls :func:`verify_request` with an
injected key resolver and ``now``; outgoing requests are signed by :func:`sign_request`
(or :class:`CavageSigner`, the ``federation.fetch.Signer`` adapter).
"""

from federation.signatures.cavage import CavageSigner, sign_request
from federation.signatures.digest import content_digest_header, digest_header
from federation.signatures.keys import (
    KeyLoadError,
    generate_rsa_keypair,
    load_ed25519_public_key,
    load_private_key,
    load_public_key,
)
from federation.signatures.rfc9421 import sign_request_rfc9421
from federation.signatures.types import (
    FailureReason,
    KeyResolver,
    PublicKeyInfo,
    Scheme,
    SignedRequest,
    VerifyResult,
)
from federation.signatures.verify import verify_request

__all__ = [
    "CavageSigner",
    "FailureReason",
    "KeyLoadError",
    "KeyResolver",
    "PublicKeyInfo",
    "Scheme",
    "SignedRequest",
    "VerifyResult",
    "content_digest_header",
    "digest_header",
    "generate_rsa_keypair",
    "load_ed25519_public_key",
    "load_private_key",
    "load_public_key",
    "sign_request",
    "sign_request_rfc9421",
    "verify_request",
]
