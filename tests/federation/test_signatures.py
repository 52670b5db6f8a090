"""HTTP signatures: sign/verify round trips and every refusal, each with its exact reason.

Pure and offline: keys are generated once per module, the clock is a constant, the key
resolver is an in-memory fake that records how it was called.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import pytest
from cryptography.hazmat.primitives import serialization

from federation.signatures import (
    CavageSigner,
    FailureReason,
    PublicKeyInfo,
    SignedRequest,
    VerifyResult,
    algorithms,
    content_digest_header,
    digest_header,
    generate_rsa_keypair,
    load_ed25519_public_key,
    load_public_key,
    sign_request,
    sign_request_rfc9421,
    verify_request,
)
from federation.signatures.cavage import (
    CavageParseError,
    CavageSignature,
    build_signing_string,
    http_date,
    parse_signature_header,
)
from federation.signatures.digest import (
    DigestStatus,
    verify_content_digest,
    verify_digest_header,
)
from federation.signatures.keys import (
    KeyLoadError,
    generate_ed25519_keypair,
    load_private_key,
    public_key_to_pem,
)
from federation.signatures.ld import (
    LdSignatureError,
    ld_signature_creator,
    sign_ld_document,
    static_document_loader,
    verify_ld_signature,
)
from federation.signatures.structured import (
    InnerList,
    Item,
    StructuredFieldError,
    Token,
    parse_dictionary,
    serialize_inner_list,
)
from tests.corpus import corpus_dir

R = FailureReason
NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
ACTOR = "https://example.com/users/alice"
KEY_ID = f"{ACTOR}#main-key"
INBOX = "https://peer.example/inbox"
BODY = b'{"type": "Follow", "actor": "https://example.com/users/alice"}'


@pytest.fixture(scope="module")
def keypair() -> tuple[str, str]:
    return generate_rsa_keypair()


@pytest.fixture(scope="module")
def other_keypair() -> tuple[str, str]:
    return generate_rsa_keypair()


class FakeKeys:
    """Resolver: ``first`` for the cached look-up, ``refreshed`` for refresh=True."""

    def __init__(self, first: str | None, refreshed: str | None = None, owner: str = ACTOR):
        self.first, self.refreshed, self.owner = first, refreshed, owner
        self.calls: list[tuple[str, bool]] = []

    async def __call__(self, key_id: str, refresh: bool) -> PublicKeyInfo | None:
        self.calls.append((key_id, refresh))
        pem = self.refreshed if refresh else self.first
        return PublicKeyInfo(key_id, self.owner, pem) if pem is not None else None


def _target(url: str) -> str:
    rest = url.split("://", 1)[1]
    return "/" + rest.split("/", 1)[1] if "/" in rest else "/"


def signed(
    method: str, url: str, private_pem: str, body: bytes = b"", *, when: datetime = NOW
) -> SignedRequest:
    """A request as the receiving server sees it after ``sign_request`` signed it."""
    added = sign_request(
        method, url, None, body if method == "POST" else None, KEY_ID, private_pem, when
    )
    headers = [("Content-Type", "application/activity+json"), *added.items()]
    return SignedRequest(method, _target(url), headers, body)


def cavage_sign(
    req: SignedRequest,
    covered: tuple[str, ...],
    private_pem: str,
    *,
    algorithm: str = "rsa-sha256",
    created: int | None = None,
    expires: int | None = None,
) -> SignedRequest:
    """Hand-made cavage signature over ``covered`` (for shapes sign_request never makes)."""
    raw_created = None if created is None else str(created)
    raw_expires = None if expires is None else str(expires)
    sig = CavageSignature(
        KEY_ID, algorithm, covered, b"", created, expires, True, raw_created, raw_expires
    )
    text = build_signing_string(req, sig)
    raw = algorithms.sign("rsa-v1_5-sha256", load_private_key(private_pem), text.encode())
    extra = "".join(
        f",{name}={value}"
        for name, value in (("created", created), ("expires", expires))
        if value is not None
    )
    header = (
        f'keyId="{KEY_ID}",algorithm="{algorithm}",headers="{" ".join(covered)}",'
        f'signature="{base64.b64encode(raw).decode()}"{extra}'
    )
    return SignedRequest(
        req.method, req.raw_target, [*req.headers, ("Signature", header)], req.body
    )


def _base(
    method: str, target: str, body: bytes = b"", *, date: datetime = NOW, digest: bool = True
) -> SignedRequest:
    """An unsigned request with Host, Date and (for a body) a correct Digest."""
    headers = [("Host", "peer.example"), ("Date", http_date(date))]
    if digest and body:
        headers.append(("Digest", digest_header(body)))
    return SignedRequest(method, target, headers, body)


async def check(req: SignedRequest, keys: FakeKeys, **kwargs: Any) -> VerifyResult:
    return await verify_request(req, resolve_key=keys, now=NOW, **kwargs)


# -- draft-cavage: signing ------------------------------------------------------------------


def test_sign_request_produces_what_mastodon_expects(keypair: tuple[str, str]) -> None:
    headers = sign_request(
        "POST", "https://peer.example:8443/inbox?x=1", None, BODY, KEY_ID, keypair[0], NOW
    )
    assert set(headers) == {"Host", "Date", "Digest", "Signature"}
    assert headers["Host"] == "peer.example:8443"  # non-default port kept
    assert headers["Date"] == "Wed, 01 May 2024 12:00:00 GMT"  # IMF-fixdate
    assert headers["Digest"] == digest_header(BODY)
    assert headers["Digest"].startswith("SHA-256=")
    sig = parse_signature_header(headers["Signature"])
    assert sig.key_id == KEY_ID
    assert sig.algorithm == "rsa-sha256"
    assert sig.headers == ("(request-target)", "host", "date", "digest")
    assert build_signing_string(
        SignedRequest("POST", "/inbox?x=1", list(headers.items())), sig
    ) == (
        "(request-target): post /inbox?x=1\n"
        "host: peer.example:8443\n"
        "date: Wed, 01 May 2024 12:00:00 GMT\n"
        f"digest: {digest_header(BODY)}"
    )


def test_sign_request_get_has_no_digest_and_drops_default_port(keypair: tuple[str, str]) -> None:
    headers = sign_request(
        "GET", "https://peer.example:443/users/bob", None, None, KEY_ID, keypair[0], NOW
    )
    assert headers["Host"] == "peer.example"
    assert "Digest" not in headers
    assert parse_signature_header(headers["Signature"]).headers == (
        "(request-target)",
        "host",
        "date",
    )


def test_sign_request_signs_the_host_the_client_sends(keypair: tuple[str, str]) -> None:
    headers = sign_request(
        "GET", "https://peer.example/a", {"host": "peer.example"}, None, KEY_ID, keypair[0], NOW
    )
    assert headers["Host"] == "peer.example"
    with pytest.raises(ValueError, match="timezone"):
        sign_request(
            "GET", "https://peer.example/a", None, None, KEY_ID, keypair[0], datetime(2024, 5, 1)
        )


def test_digest_only_when_a_body_is_given(keypair: tuple[str, str]) -> None:
    empty = sign_request("POST", INBOX, None, b"", KEY_ID, keypair[0], NOW)
    assert empty["Digest"] == digest_header(b"")
    assert "digest" in parse_signature_header(empty["Signature"]).headers
    bodiless = sign_request("POST", INBOX, None, None, KEY_ID, keypair[0], NOW)
    assert "Digest" not in bodiless
    assert parse_signature_header(bodiless["Signature"]).headers == (
        "(request-target)",
        "host",
        "date",
    )


async def test_cavage_signer_adapter_round_trip(keypair: tuple[str, str]) -> None:
    signer = CavageSigner(KEY_ID, keypair[0], clock=lambda: NOW)
    added = signer.sign("POST", INBOX, {"Host": "peer.example"}, BODY)
    req = SignedRequest("POST", "/inbox", list(added.items()), BODY)
    assert (await check(req, FakeKeys(keypair[1]))).ok


# -- draft-cavage: verification --------------------------------------------------------------


async def test_cavage_round_trip_post_and_get(keypair: tuple[str, str]) -> None:
    keys = FakeKeys(keypair[1])
    post = await check(signed("POST", INBOX, keypair[0], BODY), keys, expected_actor=ACTOR)
    assert post == VerifyResult(True, None, "signature verified", KEY_ID, ACTOR, "cavage")
    get = await check(signed("GET", "https://peer.example/users/bob?page=2", keypair[0]), keys)
    assert get.ok and get.scheme == "cavage"
    assert keys.calls == [(KEY_ID, False), (KEY_ID, False)]


async def test_authorization_signature_form_is_accepted(keypair: tuple[str, str]) -> None:
    req = signed("GET", "https://peer.example/users/bob", keypair[0])
    moved = [
        (("Authorization", "Signature " + v) if n == "Signature" else (n, v))
        for n, v in req.headers
    ]
    assert (await check(SignedRequest("GET", req.raw_target, moved), FakeKeys(keypair[1]))).ok


async def test_no_signature(keypair: tuple[str, str]) -> None:
    keys = FakeKeys(keypair[1])
    result = await check(_base("GET", "/users/bob"), keys)
    assert (result.ok, result.reason, result.scheme) == (False, R.NO_SIGNATURE, None)
    assert keys.calls == []


async def test_unknown_algorithm(keypair: tuple[str, str]) -> None:
    req = signed("GET", "https://peer.example/users/bob", keypair[0])
    headers = [
        (n, v.replace('algorithm="rsa-sha256"', 'algorithm="rsa-sha512"')) for n, v in req.headers
    ]
    result = await check(SignedRequest("GET", req.raw_target, headers), FakeKeys(keypair[1]))
    assert result.reason is R.UNKNOWN_ALGORITHM


async def test_key_fetch_failed(keypair: tuple[str, str]) -> None:
    keys = FakeKeys(None)
    result = await check(signed("POST", INBOX, keypair[0], BODY), keys)
    assert (result.reason, result.key_id) == (R.KEY_FETCH_FAILED, KEY_ID)
    assert keys.calls == [(KEY_ID, False)]


async def test_unloadable_published_key_is_key_fetch_failed(keypair: tuple[str, str]) -> None:
    result = await check(signed("POST", INBOX, keypair[0], BODY), FakeKeys("not a pem"))
    assert result.reason is R.KEY_FETCH_FAILED


async def test_digest_missing_on_post(keypair: tuple[str, str]) -> None:
    req = cavage_sign(
        _base("POST", "/inbox", BODY, digest=False),
        ("(request-target)", "host", "date"),
        keypair[0],
    )
    assert (await check(req, FakeKeys(keypair[1]))).reason is R.DIGEST_MISSING


async def test_digest_mismatch(keypair: tuple[str, str]) -> None:
    # Validly signed, but the signer's Digest is of another body.
    req = _base("POST", "/inbox", BODY, digest=False)
    req = SignedRequest("POST", "/inbox", [*req.headers, ("Digest", digest_header(b"other"))], BODY)
    req = cavage_sign(req, ("(request-target)", "host", "date", "digest"), keypair[0])
    assert (await check(req, FakeKeys(keypair[1]))).reason is R.DIGEST_MISMATCH


async def test_signature_not_covering_digest(keypair: tuple[str, str]) -> None:
    req = cavage_sign(
        _base("POST", "/inbox", BODY), ("(request-target)", "host", "date"), keypair[0]
    )
    assert req.header("digest") == digest_header(BODY)  # present and right, but unsigned
    assert (await check(req, FakeKeys(keypair[1]))).reason is R.DIGEST_NOT_SIGNED


async def test_digest_required_on_get_with_body_and_can_be_forced(
    keypair: tuple[str, str],
) -> None:
    get = cavage_sign(
        _base("GET", "/x", BODY, digest=False), ("(request-target)", "host", "date"), keypair[0]
    )
    assert (await check(get, FakeKeys(keypair[1]))).reason is R.DIGEST_MISSING
    plain = signed("GET", "https://peer.example/x", keypair[0])
    forced = await check(plain, FakeKeys(keypair[1]), require_digest=True)
    assert forced.reason is R.DIGEST_MISSING


async def test_date_window(keypair: tuple[str, str]) -> None:
    keys = FakeKeys(keypair[1])
    old = await check(signed("POST", INBOX, keypair[0], BODY, when=NOW - timedelta(hours=13)), keys)
    ahead = await check(
        signed("POST", INBOX, keypair[0], BODY, when=NOW + timedelta(hours=2)), keys
    )
    recent = await check(
        signed("POST", INBOX, keypair[0], BODY, when=NOW - timedelta(hours=11)), keys
    )
    assert (old.reason, ahead.reason, recent.ok) == (R.EXPIRED, R.FUTURE, True)
    assert keys.calls == [(KEY_ID, False)]  # refused requests never reach the resolver


async def test_created_and_expires_with_hs2019(keypair: tuple[str, str]) -> None:
    created = int(NOW.timestamp()) - 60
    covered = ("(request-target)", "host", "(created)", "(expires)", "digest")
    base = _base("POST", "/inbox", BODY)
    fresh = cavage_sign(
        base,
        covered,
        keypair[0],
        algorithm="hs2019",
        created=created,
        expires=created + 3600,
    )
    assert (await check(fresh, FakeKeys(keypair[1]))).ok
    gone = cavage_sign(
        base,
        covered,
        keypair[0],
        algorithm="hs2019",
        created=created,
        expires=created + 30,
    )
    assert (await check(gone, FakeKeys(keypair[1]))).reason is R.EXPIRED


async def test_created_pseudo_header_with_rsa_sha256_is_malformed(
    keypair: tuple[str, str],
) -> None:
    req = cavage_sign(
        _base("POST", "/inbox", BODY),
        ("(request-target)", "host", "(created)", "digest"),
        keypair[0],
        created=int(NOW.timestamp()),
    )
    assert (await check(req, FakeKeys(keypair[1]))).reason is R.MALFORMED


async def test_coverage_rules(keypair: tuple[str, str]) -> None:
    keys = FakeKeys(keypair[1])
    base = _base("GET", "/users/bob")
    no_target = cavage_sign(base, ("host", "date"), keypair[0])
    no_host = cavage_sign(base, ("(request-target)", "date"), keypair[0])
    no_date = cavage_sign(base, ("(request-target)", "host"), keypair[0])
    for req in (no_target, no_host, no_date):
        assert (await check(req, keys)).reason is R.INSUFFICIENT_COVERAGE
    absent = SignedRequest(
        "GET",
        "/users/bob",
        [
            ("Host", "peer.example"),
            ("Date", http_date(NOW)),
            (
                "Signature",
                f'keyId="{KEY_ID}",headers="(request-target) host date accept",signature="AAAA"',
            ),
        ],
    )
    assert (await check(absent, keys)).reason is R.MISSING_HEADER
    assert keys.calls == []


async def test_failure_detail_never_echoes_markup(keypair: tuple[str, str]) -> None:
    # ``detail`` goes into the 401 body; peer-chosen names are excerpted, never echoed raw.
    req = SignedRequest(
        "GET",
        "/users/bob",
        [
            ("Host", "peer.example"),
            ("Date", http_date(NOW)),
            (
                "Signature",
                f'keyId="{KEY_ID}",headers="(request-target) host date <b>x</b>",signature="AAAA"',
            ),
        ],
    )
    result = await check(req, FakeKeys(keypair[1]))
    assert result.reason is R.MISSING_HEADER
    assert "<" not in result.detail and "?b?x?/b?" in result.detail


async def test_owner_mismatch(keypair: tuple[str, str]) -> None:
    result = await check(
        signed("POST", INBOX, keypair[0], BODY),
        FakeKeys(keypair[1]),
        expected_actor="https://example.com/users/mallory",
    )
    assert (result.reason, result.key_owner) == (R.OWNER_MISMATCH, ACTOR)


async def test_tampered_body(keypair: tuple[str, str]) -> None:
    req = signed("POST", INBOX, keypair[0], BODY)
    tampered = SignedRequest(
        req.method, req.raw_target, req.headers, BODY.replace(b"Follow", b"Block")
    )
    assert (await check(tampered, FakeKeys(keypair[1]))).reason is R.DIGEST_MISMATCH


async def test_tampered_path(keypair: tuple[str, str]) -> None:
    req = signed("POST", INBOX, keypair[0], BODY)
    keys = FakeKeys(keypair[1], keypair[1])
    moved = SignedRequest(req.method, "/users/bob/inbox", req.headers, req.body)
    assert (await check(moved, keys)).reason is R.BAD_SIGNATURE
    assert keys.calls == [(KEY_ID, False), (KEY_ID, True)]  # one refresh, then give up


async def test_signature_over_decoded_path_fails_raw_verifies(keypair: tuple[str, str]) -> None:
    raw = "/inbox/a%2Fb?x=1%20y"
    decoded = unquote(raw)
    assert decoded == "/inbox/a/b?x=1 y"
    keys = FakeKeys(keypair[1])
    # End to end: sign_request keeps the target raw, the verifier uses it raw.
    assert (await check(signed("POST", f"https://peer.example{raw}", keypair[0], BODY), keys)).ok
    unsigned = _base("POST", raw, BODY)
    covered = ("(request-target)", "host", "date", "digest")
    good = cavage_sign(unsigned, covered, keypair[0])
    assert (await check(good, keys)).ok
    # A signing string built from the DECODED target does not verify against the request
    # as received ...
    over_decoded = cavage_sign(
        SignedRequest("POST", decoded, unsigned.headers, BODY), covered, keypair[0]
    )
    received = SignedRequest("POST", raw, over_decoded.headers, BODY)
    assert (await check(received, keys)).reason is R.BAD_SIGNATURE
    # ... and a verifier handed the decoded path would refuse the genuine signature.
    handed_decoded = SignedRequest("POST", decoded, good.headers, BODY)
    assert (await check(handed_decoded, keys)).reason is R.BAD_SIGNATURE


async def test_key_rotation_refreshes_once(
    keypair: tuple[str, str], other_keypair: tuple[str, str]
) -> None:
    keys = FakeKeys(first=keypair[1], refreshed=other_keypair[1])
    result = await check(signed("POST", INBOX, other_keypair[0], BODY), keys)
    assert result.ok, result
    assert keys.calls == [(KEY_ID, False), (KEY_ID, True)]


async def test_pkcs1_public_key_pem_accepted(keypair: tuple[str, str]) -> None:
    pkcs1 = (
        load_public_key(keypair[1])
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
        .decode()
    )
    assert pkcs1.startswith("-----BEGIN RSA PUBLIC KEY-----")
    assert (await check(signed("POST", INBOX, keypair[0], BODY), FakeKeys(pkcs1))).ok


async def test_hs2019_with_ed25519_key() -> None:
    private, public = generate_ed25519_keypair()
    req = _base("POST", "/inbox", BODY)
    sig = CavageSignature(KEY_ID, "hs2019", ("(request-target)", "host", "date", "digest"), b"")
    raw = algorithms.sign(
        "ed25519", load_private_key(private), build_signing_string(req, sig).encode()
    )
    header = (
        f'keyId="{KEY_ID}",algorithm="hs2019",headers="(request-target) host date digest",'
        f'signature="{base64.b64encode(raw).decode()}"'
    )
    req = SignedRequest("POST", "/inbox", [*req.headers, ("Signature", header)], BODY)
    assert (await check(req, FakeKeys(public))).ok


def test_signature_header_parsing() -> None:
    sig = parse_signature_header(
        'keyId="k", algorithm="HS2019",created="1756126694", headers="(Request-Target) Host",'
        'unknown=1,signature="YWJj"'
    )
    assert (sig.key_id, sig.algorithm, sig.created, sig.signature) == (
        "k",
        "hs2019",
        1756126694,
        b"abc",
    )
    assert sig.headers == ("(request-target)", "host")
    assert parse_signature_header('keyId="k",signature="YWJj"').headers == ("(created)",)
    assert parse_signature_header('keyId="k",algorithm="rsa-sha256",signature="YWJj"').headers == (
        "date",
    )
    for bad in (
        'keyId="k",signature="YWJj",signature="YWJj"',
        'signature="YWJj"',
        'keyId="k",signature="***"',
        'keyId="k",headers="",signature="YWJj"',
        'keyId="k",created=soon,signature="YWJj"',
        'keyId="k",signature="YWJj',
    ):
        with pytest.raises(CavageParseError):
            parse_signature_header(bad)


def test_signing_string_joins_repeated_headers_and_rejects_line_breaks() -> None:
    req = SignedRequest("GET", "/a", [("Host", "h"), ("Accept", " a/b "), ("accept", "c/d")])
    sig = CavageSignature("k", None, ("(request-target)", "accept"), b"")
    assert build_signing_string(req, sig) == "(request-target): get /a\naccept: a/b, c/d"
    broken = SignedRequest("GET", "/a\nhost: evil", [("Host", "h")])
    with pytest.raises(CavageParseError):
        build_signing_string(broken, CavageSignature("k", None, ("(request-target)",), b""))


# -- RFC 9421 ---------------------------------------------------------------------------------


def _signed9421(
    private_pem: str,
    method: str = "POST",
    target: str = "/inbox",
    body: bytes = BODY,
    **kwargs: Any,
) -> SignedRequest:
    req = SignedRequest(method, target, [("Host", "peer.example")], body)
    added = sign_request_rfc9421(
        req,
        key_id=KEY_ID,
        private_key_pem=private_pem,
        created=NOW - timedelta(minutes=1),
        **kwargs,
    )
    return SignedRequest(method, target, [*req.headers, *added.items()], body)


async def test_rfc9421_round_trip_rsa(keypair: tuple[str, str]) -> None:
    req = _signed9421(keypair[0])
    assert req.header("content-digest") == content_digest_header(BODY)
    assert req.header("signature-input") == (
        f'sig1=("@method" "@target-uri" "content-digest");created={int(NOW.timestamp()) - 60};'
        f'keyid="{KEY_ID}"'
    )
    result = await check(req, FakeKeys(keypair[1]), expected_actor=ACTOR)
    assert (result.ok, result.scheme, result.key_id, result.key_owner) == (
        True,
        "rfc9421",
        KEY_ID,
        ACTOR,
    )
    get = _signed9421(
        keypair[0], "GET", "/users/bob?page=1", b"", components=("@method", "@target-uri")
    )
    assert (await check(get, FakeKeys(keypair[1]))).ok


async def test_rfc9421_round_trip_ed25519_and_pss(keypair: tuple[str, str]) -> None:
    private, public = generate_ed25519_keypair()
    assert (await check(_signed9421(private), FakeKeys(public))).ok
    pss = _signed9421(keypair[0], alg="rsa-pss-sha512")
    assert 'alg="rsa-pss-sha512"' in (pss.header("signature-input") or "")
    assert (await check(pss, FakeKeys(keypair[1]))).ok
    # alg names the algorithm: an Ed25519 signature claimed as RSA does not verify
    lying = _signed9421(private, alg="ed25519")
    headers = [(n, v.replace('alg="ed25519"', 'alg="rsa-v1_5-sha256"')) for n, v in lying.headers]
    assert (
        await check(SignedRequest("POST", "/inbox", headers, BODY), FakeKeys(public))
    ).reason is R.BAD_SIGNATURE


async def test_rfc9421_refusals(keypair: tuple[str, str]) -> None:
    keys = FakeKeys(keypair[1], keypair[1])
    good = _signed9421(keypair[0])
    tampered = SignedRequest("POST", "/inbox", good.headers, BODY + b" ")
    moved = SignedRequest("POST", "/other", good.headers, BODY)
    assert (await check(tampered, keys)).reason is R.DIGEST_MISMATCH
    assert (await check(moved, keys)).reason is R.BAD_SIGNATURE
    unsigned_digest = _signed9421(keypair[0], components=("@method", "@target-uri"))
    unsigned_digest = SignedRequest(
        "POST",
        "/inbox",
        [*unsigned_digest.headers, ("Content-Digest", content_digest_header(BODY))],
        BODY,
    )
    assert (await check(unsigned_digest, keys)).reason is R.DIGEST_NOT_SIGNED
    narrow = _signed9421(keypair[0], components=("@target-uri", "content-digest"))
    assert (await check(narrow, keys)).reason is R.INSUFFICIENT_COVERAGE
    expired = _signed9421(keypair[0], expires=NOW - timedelta(seconds=1))
    assert (await check(expired, keys)).reason is R.EXPIRED
    hmac_alg = [
        (n, v.replace(f'keyid="{KEY_ID}"', f'keyid="{KEY_ID}";alg="hmac-sha256"'))
        for n, v in good.headers
    ]
    assert (
        await check(SignedRequest("POST", "/inbox", hmac_alg, BODY), keys)
    ).reason is R.UNKNOWN_ALGORITHM
    no_created = [
        (n, v.replace(f";created={int(NOW.timestamp()) - 60}", "")) for n, v in good.headers
    ]
    assert (
        await check(SignedRequest("POST", "/inbox", no_created, BODY), keys)
    ).reason is R.MALFORMED
    garbage = [(n, "sig1=(((" if n == "Signature-Input" else v) for n, v in good.headers]
    assert (await check(SignedRequest("POST", "/inbox", garbage, BODY), keys)).reason is R.MALFORMED


async def test_rfc9421_label_selects_among_signatures(
    keypair: tuple[str, str], other_keypair: tuple[str, str]
) -> None:
    first = _signed9421(other_keypair[0], label="proxy")
    second = sign_request_rfc9421(
        first, key_id=KEY_ID, private_key_pem=keypair[0], created=NOW, label="sender"
    )
    assert set(second) == {"Signature-Input", "Signature"}  # Content-Digest already there
    req = SignedRequest("POST", "/inbox", [*first.headers, *second.items()], BODY)
    keys = FakeKeys(keypair[1], keypair[1])
    assert (await check(req, keys, label="sender")).ok
    assert (await check(req, keys)).reason is R.BAD_SIGNATURE  # default: the first one


# -- digests, keys, structured fields ----------------------------------------------------------


def test_digest_headers() -> None:
    assert verify_digest_header(digest_header(BODY).replace("SHA", "sha"), BODY).ok  # Fedify style
    both = f"{digest_header(BODY, 'sha-512')},MD5=abc"
    assert verify_digest_header(both, BODY).ok
    assert verify_digest_header("MD5=abc", BODY).status is DigestStatus.UNSUPPORTED
    assert verify_digest_header("SHA-256=!!", BODY).status is DigestStatus.MALFORMED
    assert verify_digest_header(digest_header(b"x"), BODY).status is DigestStatus.MISMATCH
    assert verify_content_digest(content_digest_header(BODY, "sha-512"), BODY).ok
    upper = content_digest_header(BODY).replace("sha-256", "SHA-256")
    assert verify_content_digest(upper, BODY).status is DigestStatus.MALFORMED
    assert verify_content_digest("sha-256=abc", BODY).status is DigestStatus.MALFORMED


async def test_unsupported_digest_algorithm_counts_as_missing(keypair: tuple[str, str]) -> None:
    req = _base("POST", "/inbox", BODY, digest=False)
    req = SignedRequest("POST", "/inbox", [*req.headers, ("Digest", "MD5=AAAA")], BODY)
    req = cavage_sign(req, ("(request-target)", "host", "date", "digest"), keypair[0])
    assert (await check(req, FakeKeys(keypair[1]))).reason is R.DIGEST_MISSING


def test_key_loading_variants(keypair: tuple[str, str]) -> None:
    pem = keypair[1]
    assert public_key_to_pem(load_public_key(pem.replace("\n", "\r\n"))) == pem
    assert load_public_key(pem.replace("\n", "\\n")) is not None  # JSON-escaped newlines
    with pytest.raises(KeyLoadError):
        load_public_key("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----")
    _private, public = generate_ed25519_keypair()
    raw = load_ed25519_public_key(public).public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    assert (
        load_ed25519_public_key(raw).public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        == raw
    )
    with pytest.raises(KeyLoadError):
        load_ed25519_public_key(pem)


def test_structured_fields() -> None:
    parsed = parse_dictionary('sig1=("@method" "@query-param";name="a b");created=1;alg=tok, x=?0')
    inner = parsed["sig1"]
    assert isinstance(inner, InnerList)
    assert inner.items[1] == Item("@query-param", {"name": "a b"})
    assert inner.params == {"created": 1, "alg": Token("tok")}
    assert parsed["x"] == Item(False)
    assert serialize_inner_list(inner) == '("@method" "@query-param";name="a b");created=1;alg=tok'
    assert parse_dictionary("d=:AQI=:")["d"] == Item(b"\x01\x02")
    for bad in ("A=1", "a=1,", 'a="unterminated', "a=(1 2", "a=:!!:", "a=1234567890123456"):
        with pytest.raises(StructuredFieldError):
            parse_dictionary(bad)


def test_ld_signature_round_trip(keypair: tuple[str, str]) -> None:
    root = corpus_dir("contexts")  # cached JSON-LD contexts; skips when the corpus is absent
    docs = {
        "https://" + str(p.relative_to(root).with_suffix("")): json.loads(p.read_text())
        for p in root.rglob("*.json")
    }
    loader = static_document_loader(docs)
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://example.com/activities/1",
        "type": "Announce",
        "actor": ACTOR,
        "object": "https://example.com/notes/1",
    }
    doc = sign_ld_document(
        activity,
        creator=KEY_ID,
        created="2024-05-01T12:00:00Z",
        private_key_pem=keypair[0],
        loader=loader,
    )
    assert ld_signature_creator(doc) == KEY_ID
    assert verify_ld_signature(doc, keypair[1], loader)
    assert not verify_ld_signature(
        {**doc, "object": "https://example.com/notes/2"}, keypair[1], loader
    )
    with pytest.raises(LdSignatureError):  # a context that is not cached is never fetched
        verify_ld_signature({**doc, "@context": "https://unknown.example/ctx"}, keypair[1], loader)
