"""Builders for the non-activity wire types: objects, actors, tombstones, collections.

Called by ``federation.parse`` once the node's type is known. Required fields raise
``ParseError``; optional ones that are malformed become ``None``/empty, as in Mastodon's
``ActivityPub::Parser`` classes, because one peer's odd optional field should not lose a post.
"""

from __future__ import annotations

from typing import Any

from federation.parse_values import (
    ParseError,
    RejectReason,
    addresses,
    as_list,
    boolean,
    integer,
    is_http_uri,
    lang_text,
    ref,
    refs,
    require_id,
    text,
    timestamp,
)
from federation.sanitize import sanitize_html, text_to_html, to_plain_text
from federation.wire import (
    ActorDoc,
    APObject,
    Attachment,
    Collection,
    Emoji,
    Hashtag,
    Mention,
    Poll,
    PollOption,
    PropertyValue,
    PublicKey,
    Tombstone,
)

ACTOR_TYPES = frozenset({"Person", "Group", "Service", "Application", "Organization"})
OBJECT_TYPES = frozenset(
    {"Note", "Article", "Page", "Question", "Image", "Video", "Event", "Audio", "Document",
     "ChatMessage"}
)  # fmt: skip
COLLECTION_TYPES = frozenset(
    {"Collection", "OrderedCollection", "CollectionPage", "OrderedCollectionPage"}
)
# Content sent as text, not HTML: PeerTube's Video description is "text/markdown".
_TEXT_MEDIA_TYPES = frozenset({"text/markdown", "text/plain", "text/x.misskeymarkdown"})


def best_url(value: Any) -> str | None:
    """``url`` may be a URI, a Link, or a list of Links (PeerTube); prefer the HTML page."""
    items = as_list(value)
    for item in items:
        if isinstance(item, dict) and text(item.get("mediaType")) == "text/html":
            href = item.get("href")
            if is_http_uri(href):
                return href
    for item in items:
        if isinstance(item, dict) and is_http_uri(item.get("href")):
            return item["href"]
        candidate = ref(item)
        if candidate:
            return candidate
    return None


def media_url(value: Any) -> str | None:
    """URL of an ``icon``/``image``: a URI, an Image object (its ``url``), or a list of those."""
    for item in as_list(value):
        if isinstance(item, str) and is_http_uri(item):
            return item
        if isinstance(item, dict):
            url = best_url(item.get("url")) or (
                item.get("href") if is_http_uri(item.get("href")) else None
            )
            if url:
                return url
    return None


def _emoji(tag: dict[str, Any]) -> Emoji | None:
    name = text(tag.get("name"))
    if not name:
        return None
    tag_id = tag.get("id")
    return Emoji(
        name=name, icon_url=media_url(tag.get("icon")), id=tag_id if is_http_uri(tag_id) else None
    )


def emojis_of(node: dict[str, Any]) -> tuple[Emoji, ...]:
    out = []
    for tag in as_list(node.get("tag")):
        if isinstance(tag, dict) and tag.get("type") == "Emoji":
            emoji = _emoji(tag)
            if emoji:
                out.append(emoji)
    return tuple(out)


def _is_fep_e232_object_link(tag: dict[str, Any]) -> bool:
    # FEP-e232: a Link whose mediaType is the AS2 (or ld+json AS profile) media type points at
    # an object; Misskey/Akkoma/Mastodon 4.4 use it for quotes.
    media = text(tag.get("mediaType")) or ""
    return tag.get("type") == "Link" and (
        media.startswith("application/activity+json")
        or ("application/ld+json" in media and "activitystreams" in media)
    )


def _tags(node: dict[str, Any]) -> tuple[tuple[Mention, ...], tuple[Hashtag, ...], str | None]:
    mentions: list[Mention] = []
    hashtags: list[Hashtag] = []
    quote_link: str | None = None
    for tag in as_list(node.get("tag")):  # Kroeg sends a single object, not an array
        if not isinstance(tag, dict):
            continue
        kind = tag.get("type")
        href = tag.get("href") if is_http_uri(tag.get("href")) else None
        name = text(tag.get("name"))
        if kind == "Mention" and href:
            mentions.append(Mention(href=href, name=name))
        elif kind == "Hashtag" and name:
            hashtags.append(Hashtag(name=name.lstrip("#"), href=href))
        elif quote_link is None and href and _is_fep_e232_object_link(tag):
            quote_link = href
    return tuple(mentions), tuple(hashtags), quote_link


def _attachments(node: dict[str, Any]) -> tuple[Attachment, ...]:
    out = []
    for att in as_list(node.get("attachment")):
        if isinstance(att, str) and is_http_uri(att):
            out.append(Attachment(url=att))
            continue
        if not isinstance(att, dict) or att.get("type") == "PropertyValue":
            continue
        url = best_url(att.get("url")) or (
            att.get("href") if is_http_uri(att.get("href")) else None
        )
        if not url:
            continue
        out.append(
            Attachment(
                url=url,
                type=text(att.get("type")) or "Document",
                media_type=text(att.get("mediaType")),
                name=text(att.get("name")) or lang_text(att, "name")[0],
                blurhash=text(att.get("blurhash")),
                width=integer(att.get("width")),
                height=integer(att.get("height")),
            )
        )
    return tuple(out)


def _attribution(node: dict[str, Any], where: str) -> tuple[str | None, tuple[str, ...]]:
    raw = node.get("attributedTo")
    if raw is None:
        return None, ()
    entries = as_list(raw)
    ids = refs(entries)
    if entries and not ids:
        raise ParseError(RejectReason.BAD_FIELD, f"{where}.attributedTo: no usable URI")
    # PeerTube/Lemmy list the author and the channel/community: the author is the first
    # entry that is not a Group.
    for entry in entries:
        if isinstance(entry, dict) and entry.get("type") in ACTOR_TYPES - {"Group"}:
            uri = ref(entry)
            if uri:
                return uri, ids
    return ids[0], ids


def _content(node: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """(sanitized HTML, language, mediaType)."""
    content, lang = lang_text(node, "content")
    media_type = text(node.get("mediaType"))
    if content is None:
        misskey = text(node.get("_misskey_content"))
        return text_to_html(misskey), lang, media_type
    if media_type in _TEXT_MEDIA_TYPES:
        return text_to_html(content), lang, media_type
    return sanitize_html(content), lang, media_type


def _poll(node: dict[str, Any]) -> Poll | None:
    multiple = "anyOf" in node and "oneOf" not in node
    options = []
    for choice in as_list(node.get("anyOf" if multiple else "oneOf")):
        if not isinstance(choice, dict):
            continue
        name = text(choice.get("name")) or lang_text(choice, "name")[0]
        if name is None:
            continue
        replies = choice.get("replies")
        votes = integer(replies.get("totalItems")) if isinstance(replies, dict) else None
        options.append(PollOption(name=name, votes=votes))
    if not options:
        return None
    closed = node.get("closed")
    return Poll(
        options=tuple(options),
        multiple=multiple,
        end_time=timestamp(node.get("endTime")),
        # "closed" is a date, or (Misskey) sometimes just true
        closed=timestamp(closed) or (timestamp(node.get("endTime")) if closed is True else None),
        voters_count=integer(node.get("votersCount")),
    )


def parse_object(node: dict[str, Any], kind: str, where: str) -> APObject:
    object_id = require_id(node, where)
    attributed_to, attribution = _attribution(node, where)
    content, language, media_type = _content(node)
    summary, _ = lang_text(node, "summary")
    name, _ = lang_text(node, "name")
    source = node.get("source")
    mentions, hashtags, quote_link = _tags(node)
    quote = (
        ref(node.get("quote"))
        or ref(node.get("quoteUrl"))
        or ref(node.get("quoteUri"))
        or ref(node.get("_misskey_quote"))
        or quote_link
    )
    conversation = node.get("context", node.get("conversation"))
    return APObject(
        id=object_id,
        type=kind,
        attributed_to=attributed_to,
        attribution=attribution,
        content=content,
        summary=to_plain_text(summary) or None,
        sensitive=bool(boolean(node.get("sensitive"))),
        name=name,
        language=language,
        media_type=media_type,
        source=text(source.get("content"))
        if isinstance(source, dict)
        else text(node.get("_misskey_content")),
        source_media_type=text(source.get("mediaType")) if isinstance(source, dict) else None,
        in_reply_to=ref(node.get("inReplyTo")),
        url=best_url(node.get("url")),
        conversation=text(conversation) if isinstance(conversation, str) else ref(conversation),
        to=addresses(node.get("to")),
        cc=addresses(node.get("cc")),
        audience=addresses(node.get("audience")),
        mentions=mentions,
        hashtags=hashtags,
        emojis=emojis_of(node),
        attachments=_attachments(node),
        image=media_url(node.get("image")),
        quote=quote,
        poll=_poll(node) if kind == "Question" else None,
        start_time=timestamp(node.get("startTime")),
        end_time=timestamp(node.get("endTime")),
        comments_enabled=boolean(node.get("commentsEnabled")),
        stickied=boolean(node.get("stickied")),
        published=timestamp(node.get("published")),
        updated=timestamp(node.get("updated")),
        raw=node,
    )


def _public_key(value: Any) -> PublicKey | None:
    # Usually one object; some servers send an array of keys: take the first usable one.
    for key in as_list(value):
        if not isinstance(key, dict):
            continue
        key_id, pem = key.get("id"), text(key.get("publicKeyPem"))
        if is_http_uri(key_id) and pem and "BEGIN" in pem:
            return PublicKey(id=key_id, owner=ref(key.get("owner")), pem=pem)
    return None


def _fields(node: dict[str, Any]) -> tuple[PropertyValue, ...]:
    out = []
    for att in as_list(node.get("attachment")):
        if isinstance(att, dict) and att.get("type") == "PropertyValue":
            name, value = text(att.get("name")), text(att.get("value"))
            if name is not None and value is not None:
                out.append(PropertyValue(name=name, value=sanitize_html(value)))
    return tuple(out)


def parse_actor(node: dict[str, Any], kind: str, where: str) -> ActorDoc:
    actor_id = require_id(node, where)
    if node.get("inbox") in (None, ""):
        raise ParseError(RejectReason.MISSING_INBOX, f"{where}: actor {actor_id} has no inbox")
    inbox = ref(node.get("inbox"))
    if inbox is None:
        raise ParseError(RejectReason.BAD_FIELD, f"{where}.inbox: not an http(s) URI")
    endpoints = node.get("endpoints")
    summary, _ = lang_text(node, "summary")
    name, _ = lang_text(node, "name")
    return ActorDoc(
        id=actor_id,
        type=kind,
        inbox=inbox,
        preferred_username=text(node.get("preferredUsername")),
        name=name,
        summary=sanitize_html(summary),
        outbox=ref(node.get("outbox")),
        shared_inbox=ref(endpoints.get("sharedInbox")) if isinstance(endpoints, dict) else None,
        followers=ref(node.get("followers")),
        following=ref(node.get("following")),
        featured=ref(node.get("featured")),
        url=best_url(node.get("url")),
        icon=media_url(node.get("icon")),
        image=media_url(node.get("image")),
        manually_approves_followers=bool(boolean(node.get("manuallyApprovesFollowers"))),
        discoverable=boolean(node.get("discoverable")),
        indexable=boolean(node.get("indexable")),
        public_key=_public_key(node.get("publicKey")),
        moved_to=ref(node.get("movedTo")),
        also_known_as=refs(node.get("alsoKnownAs")),
        fields=_fields(node),
        emojis=emojis_of(node),
        moderators=ref(node.get("moderators")),
        posting_restricted_to_mods=boolean(node.get("postingRestrictedToMods")),
        published=timestamp(node.get("published")),
        updated=timestamp(node.get("updated")),
        raw=node,
    )


def parse_tombstone(node: dict[str, Any], where: str) -> Tombstone:
    return Tombstone(
        id=require_id(node, where),
        former_type=text(node.get("formerType")),
        deleted=timestamp(node.get("deleted")),
        raw=node,
    )


def parse_collection(node: dict[str, Any], kind: str, where: str) -> Collection:
    items = node.get("orderedItems", node.get("items"))
    return Collection(
        id=require_id(node, where),
        type=kind,
        total_items=integer(node.get("totalItems")),
        first=ref(node.get("first")),
        last=ref(node.get("last")),
        next=ref(node.get("next")),
        prev=ref(node.get("prev")),
        part_of=ref(node.get("partOf")),
        items=refs(items),
        raw=node,
    )
