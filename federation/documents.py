"""The JSON documents we publish: actors, collections, WebFinger, host-meta and NodeInfo."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from federation.urls import LocalUrls
from storage.actors import LocalActor

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AP_CONTENT_TYPE = "application/activity+json"
LD_CONTENT_TYPE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'

# Inline extension terms, as Mastodon writes them, so peers that process JSON-LD read the
# same meaning (and no peer has to fetch a context of ours).
ACTOR_CONTEXT: list[Any] = [
    AS_CONTEXT,
    SECURITY_CONTEXT,
    {
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "schema": "http://schema.org#",
        "PropertyValue": "schema:PropertyValue",
        "value": "schema:value",
        "sensitive": "as:sensitive",
        "toot": "http://joinmastodon.org/ns#",
        "discoverable": "toot:discoverable",
        "featured": {"@id": "toot:featured", "@type": "@id"},
        "lemmy": "https://join-lemmy.org/ns#",
        "postingRestrictedToMods": "lemmy:postingRestrictedToMods",
        "moderators": {"@id": "lemmy:moderators", "@type": "@id"},
    },
]


def actor_document(
    actor: LocalActor, urls: LocalUrls, *, fields: Sequence[tuple[str, str]] = ()
) -> dict[str, Any]:
    """An actor; ``fields`` (name, HTML value) are profile fields after a group's rules (a
    professional's verification, see federation/verification.py)."""
    actor_id = urls.actor(actor.kind, actor.username)
    doc: dict[str, Any] = {
        "@context": ACTOR_CONTEXT,
        "id": actor_id,
        "type": actor.kind,
        "preferredUsername": actor.username,
        "name": actor.name,
        "summary": actor.summary,
        "url": actor_id,
        "inbox": f"{actor_id}/inbox",
        "outbox": f"{actor_id}/outbox",
        "followers": f"{actor_id}/followers",
        "following": f"{actor_id}/following",
        "featured": f"{actor_id}/featured",
        "endpoints": {"sharedInbox": urls.shared_inbox()},
        "publicKey": {
            "id": urls.key_id(actor_id),
            "owner": actor_id,
            "publicKeyPem": actor.public_key_pem,
        },
        "manuallyApprovesFollowers": actor.manually_approves_followers,
        "discoverable": actor.discoverable,
        "published": actor.published.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if actor.icon_url:
        doc["icon"] = {"type": "Image", "url": actor.icon_url}
    if actor.kind == "Group":
        # Lemmy reads this to decide whether it may post; FEP-1b12 groups relay members' posts.
        doc["postingRestrictedToMods"] = actor.posting == "moderators"
        # FEP-1b12 / Lemmy: a group is attributed to its moderators collection.
        doc["attributedTo"] = f"{actor_id}/moderators"
        doc["moderators"] = f"{actor_id}/moderators"
        if actor.rules:
            # Mastodon shows PropertyValue attachments as profile fields: the rules stay in
            # view of anyone looking at the group from there.
            doc["attachment"] = [
                {"type": "PropertyValue", "name": f"Rule {n}", "value": html.escape(rule)}
                for n, rule in enumerate(actor.rules, start=1)
            ]
    if fields:
        doc.setdefault("attachment", []).extend(
            {"type": "PropertyValue", "name": name, "value": value} for name, value in fields
        )
    if actor.kind == "Application":
        # Mastodon's instance actor shape: no followers, never discoverable.
        doc["manuallyApprovesFollowers"] = True
        doc["discoverable"] = False
    return doc


def ordered_collection(
    collection_id: str, total: int, *, first_page: bool = True
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": collection_id,
        "type": "OrderedCollection",
        "totalItems": total,
    }
    if first_page:
        doc["first"] = f"{collection_id}?page=1"
    return doc


def ordered_collection_page(
    collection_id: str, page: int, items: list[Any], *, total: int, page_size: int
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": f"{collection_id}?page={page}",
        "type": "OrderedCollectionPage",
        "partOf": collection_id,
        "totalItems": total,
        "orderedItems": items,
    }
    if page * page_size < total:
        doc["next"] = f"{collection_id}?page={page + 1}"
    if page > 1:
        doc["prev"] = f"{collection_id}?page={page - 1}"
    return doc


def webfinger_document(actor: LocalActor, urls: LocalUrls) -> dict[str, Any]:
    actor_id = urls.actor(actor.kind, actor.username)
    return {
        "subject": f"acct:{actor.username}@{urls.domain}",
        "aliases": [actor_id],
        "links": [
            {"rel": "self", "type": AP_CONTENT_TYPE, "href": actor_id},
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": actor_id},
        ],
    }


def host_meta_xml(urls: LocalUrls) -> str:
    template = f"{urls.base_url}/.well-known/webfinger?resource={{uri}}"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template="{template}"/>\n'
        "</XRD>\n"
    )


def host_meta_json(urls: LocalUrls) -> dict[str, Any]:
    template = f"{urls.base_url}/.well-known/webfinger?resource={{uri}}"
    return {"links": [{"rel": "lrdd", "template": template}]}


def nodeinfo_links(urls: LocalUrls) -> dict[str, Any]:
    return {
        "links": [
            {
                "rel": f"http://nodeinfo.diaspora.software/ns/schema/{v}",
                "href": f"{urls.base_url}/nodeinfo/{v}",
            }
            for v in ("2.0", "2.1")
        ]
    }


def nodeinfo_document(
    version: str,
    *,
    software_version: str,
    users: int,
    groups: int,
    local_posts: int,
    blocked_domains: int,
    instance_name: str,
    policies: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """NodeInfo; ``policies`` (the moderation policies in force, with their public
    parameters) goes in ``metadata.federation`` as Pleroma lists its MRF policies."""
    software: dict[str, Any] = {"name": "peerhaven", "version": software_version}
    return {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": False,
        "usage": {
            "users": {"total": users, "activeMonth": users, "activeHalfyear": users},
            "localPosts": local_posts,
        },
        "metadata": {
            "nodeName": instance_name,
            "groups": groups,
            "federation": {
                "enabled": True,
                "signatures": ["draft-cavage rsa-sha256", "rfc9421"],
                "mrf_policies": ["domain_block"],
                **(policies or {}),
                "blocked_domains": blocked_domains,
            },
        },
    }
