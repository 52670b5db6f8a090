"""parse_document edge cases that the corpus does not isolate, and the embedded-object trust
predicate. Payload shapes follow the peers named in each test."""

from __future__ import annotations

from typing import Any

import pytest

from federation.parse import (
    Rejected,
    RejectReason,
    TrustReason,
    embedded_object_trust,
    is_embedded_object_trusted,
    parse_document,
)
from federation.wire import PUBLIC, Activity, ActorDoc, APObject, Tombstone

AS = "https://www.w3.org/ns/activitystreams"


def note(**extra: Any) -> dict[str, Any]:
    return {
        "id": "https://a.example/notes/1",
        "type": "Note",
        "attributedTo": "https://a.example/users/alice",
        "content": "<p>hi</p>",
        **extra,
    }


def create(obj: Any, **extra: Any) -> dict[str, Any]:
    return {
        "@context": AS,
        "id": "https://a.example/activities/1",
        "type": "Create",
        "actor": "https://a.example/users/alice",
        "object": obj,
        **extra,
    }


def rejected(doc: Any) -> RejectReason:
    result = parse_document(doc)
    assert isinstance(result, Rejected), result
    assert not result and result.detail
    return result.reason


@pytest.mark.parametrize("doc", [[], "https://a.example/notes/1", None, 42])
def test_not_an_object(doc: Any) -> None:
    assert rejected(doc) is RejectReason.NOT_AN_OBJECT


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ({"id": "https://a.example/1"}, RejectReason.MISSING_TYPE),
        ({"id": "https://a.example/1", "type": "Arrive"}, RejectReason.UNSUPPORTED_TYPE),
        (
            {"id": "https://a.example/1", "type": ["Arrive", "Travel"]},
            RejectReason.UNSUPPORTED_TYPE,
        ),
        ({"id": "https://a.example/1", "type": {"no": 1}}, RejectReason.BAD_FIELD),
        (create({"id": "https://a.example/x", "type": "Lock"}), RejectReason.UNSUPPORTED_TYPE),
        (note(id=None), RejectReason.MISSING_ID),
        (note(id="/notes/1"), RejectReason.BAD_ID),
        (note(id="ftp://a.example/notes/1"), RejectReason.BAD_ID),
        (note(id="https://a .example/notes/1"), RejectReason.BAD_ID),
        (note(id="https://a<b>.example/notes/1"), RejectReason.BAD_ID),
        (note(id="https://"), RejectReason.BAD_ID),
        (note(id="https://a.example:99999/notes/1"), RejectReason.BAD_ID),
        (create(note(), actor=None), RejectReason.MISSING_ACTOR),
        (create(note(), actor=7), RejectReason.BAD_FIELD),
        (create(note(), actor="acct:alice@a.example"), RejectReason.BAD_FIELD),
        (create(None), RejectReason.MISSING_OBJECT),
        (create([]), RejectReason.MISSING_OBJECT),
        (create("not a uri"), RejectReason.BAD_FIELD),
        (create(note(id=None)), RejectReason.MISSING_ID),
        (create(note(attributedTo=[{"type": "Person"}])), RejectReason.BAD_FIELD),
        (create(note(), id="https://{{domain}}/activities/1"), RejectReason.TEMPLATE_PLACEHOLDER),
        ({"id": "https://a.example/users/x", "type": "Person"}, RejectReason.MISSING_INBOX),
        (
            {"id": "https://a.example/users/x", "type": "Person", "inbox": "/inbox"},
            RejectReason.BAD_FIELD,
        ),
    ],
)
def test_rejections(doc: dict[str, Any], reason: RejectReason) -> None:
    assert rejected(doc) is reason


def test_placeholder_in_free_text_is_not_a_template() -> None:
    result = parse_document(create(note(content="<p>use {{name}} in jinja</p>")))
    assert isinstance(result, Activity) and "{{name}}" in result.object.content


@pytest.mark.parametrize("kind", ["Move", "Add", "Remove"])
def test_target_required(kind: str) -> None:
    doc = create("https://a.example/users/alice", type=kind)
    assert rejected(doc) is RejectReason.MISSING_TARGET
    parsed = parse_document({**doc, "target": {"type": "Person", "id": "https://b.example/u/al"}})
    assert isinstance(parsed, Activity) and parsed.target == "https://b.example/u/al"


def test_nesting_limit() -> None:
    doc: dict[str, Any] = note()
    for i in range(8):
        doc = create(doc, id=f"https://a.example/activities/{i}", type="Announce")
    assert rejected(doc) is RejectReason.TOO_DEEP


def test_objects_as_links_and_bare_ids() -> None:
    link = parse_document(
        create({"type": "Link", "href": "https://b.example/notes/9"}, type="Like")
    )
    assert isinstance(link, Activity) and link.object == "https://b.example/notes/9"
    assert not link.object_is_embedded and link.object_id == "https://b.example/notes/9"
    bare = parse_document(create({"id": "https://b.example/notes/9"}, type="Like"))
    assert isinstance(bare, Activity) and bare.object == "https://b.example/notes/9"


def test_flag_with_several_objects() -> None:
    # Mastodon: object = [account, status, status], content = the comment.
    objects = [
        "https://b.example/users/x",
        "https://b.example/notes/1",
        "https://b.example/notes/2",
    ]
    parsed = parse_document(create(objects, type="Flag", content="<p>spam &amp; abuse</p>"))
    assert isinstance(parsed, Activity)
    assert parsed.objects == tuple(objects) and parsed.object == objects[0]
    assert parsed.content == "spam & abuse"


def test_attributed_to_array_prefers_the_person() -> None:
    # PeerTube: [channel Group, account Person] in either order.
    attributed = [
        {"type": "Group", "id": "https://v.example/video-channels/c"},
        {"type": "Person", "id": "https://v.example/accounts/p"},
    ]
    parsed = parse_document(note(type="Video", attributedTo=attributed))
    assert isinstance(parsed, APObject)
    assert parsed.attributed_to == "https://v.example/accounts/p"
    assert parsed.attribution == (
        "https://v.example/video-channels/c",
        "https://v.example/accounts/p",
    )


def test_tags_single_object_and_list() -> None:
    single = parse_document(
        note(tag={"type": "Hashtag", "name": "#Support", "href": "https://a.example/t/s"})
    )
    assert isinstance(single, APObject) and [h.name for h in single.hashtags] == ["Support"]
    tags = [
        {"type": "Mention", "href": "https://b.example/users/bob", "name": "@bob@b.example"},
        {
            "type": "Emoji",
            "name": ":blob:",
            "icon": {"type": "Image", "url": "https://a.example/e.png"},
        },
        {"type": "Hashtag", "name": "#care"},
        "junk",
    ]
    parsed = parse_document(note(tag=tags))
    assert isinstance(parsed, APObject)
    assert [m.href for m in parsed.mentions] == ["https://b.example/users/bob"]
    assert [(e.name, e.icon_url) for e in parsed.emojis] == [(":blob:", "https://a.example/e.png")]
    assert [h.name for h in parsed.hashtags] == ["care"]


def test_missing_addressing_is_empty_not_public() -> None:
    parsed = parse_document(note())
    assert isinstance(parsed, APObject)
    assert parsed.to == () and parsed.cc == () and not parsed.is_public
    unlisted = parse_document(note(to=["https://a.example/users/alice/followers"], cc="as:Public"))
    assert isinstance(unlisted, APObject) and unlisted.is_public and not unlisted.is_listed


def test_content_variants() -> None:
    misskey = parse_document(note(content=None, _misskey_content="**hi** <b>x</b>"))
    assert isinstance(misskey, APObject) and misskey.content == "<p>**hi** &lt;b&gt;x&lt;/b&gt;</p>"
    mapped = parse_document(
        note(content=None, contentMap={"de": "<p>Hallo</p>", "en": "<p>Hi</p>"})
    )
    assert isinstance(mapped, APObject) and (mapped.content, mapped.language) == (
        "<p>Hallo</p>",
        "de",
    )
    dirty = parse_document(
        note(content='<p onclick="x()">a<script>b</script></p>', summary="<b>CW</b>")
    )
    assert isinstance(dirty, APObject) and dirty.content == "<p>a</p>" and dirty.summary == "CW"


def test_lemmy_page_with_title_and_community() -> None:
    page = note(
        type="Page",
        name="Need advice",
        audience="https://l.example/c/support",
        to=["https://l.example/c/support", PUBLIC],
        attachment=[{"type": "Link", "href": "https://news.example/story"}],
        sensitive="true",
        commentsEnabled=False,
    )
    parsed = parse_document(page)
    assert isinstance(parsed, APObject) and parsed.type == "Page"
    assert parsed.name == "Need advice" and parsed.audience == ("https://l.example/c/support",)
    assert parsed.attachments[0].url == "https://news.example/story"
    assert parsed.sensitive is True and parsed.comments_enabled is False


@pytest.mark.parametrize(("key", "multiple"), [("oneOf", False), ("anyOf", True)])
def test_question(key: str, multiple: bool) -> None:
    choices = [
        {"type": "Note", "name": "yes", "replies": {"type": "Collection", "totalItems": 3}},
        {"type": "Note", "name": "no", "replies": {"type": "Collection", "totalItems": 1}},
    ]
    parsed = parse_document(
        note(type="Question", endTime="2024-01-01T00:00:00Z", votersCount=4, **{key: choices})
    )
    assert isinstance(parsed, APObject) and parsed.poll is not None
    assert [(o.name, o.votes) for o in parsed.poll.options] == [("yes", 3), ("no", 1)]
    assert parsed.poll.multiple is multiple and parsed.poll.voters_count == 4
    assert parsed.poll.end_time is not None and parsed.poll.end_time.year == 2024


@pytest.mark.parametrize("emoji", ["👍", "👍🏽", "🇺🇦", "👩\u200d👩\u200d👧", "❤️", "1️⃣", ":blobcat:"])
def test_emoji_react_valid(emoji: str) -> None:
    parsed = parse_document(create("https://b.example/notes/1", type="EmojiReact", content=emoji))
    assert isinstance(parsed, Activity) and parsed.content == emoji


@pytest.mark.parametrize("content", [None, "", "~", "ok", "👍👍", ":not a code:"])
def test_emoji_react_invalid(content: str | None) -> None:
    doc = create("https://b.example/notes/1", type="EmojiReact", content=content)
    assert rejected(doc) is RejectReason.BAD_FIELD


def test_chat_message_and_tombstone() -> None:
    chat = parse_document(create(note(type="ChatMessage", to="https://b.example/users/bob")))
    assert isinstance(chat, Activity) and isinstance(chat.object, APObject)
    assert chat.object.type == "ChatMessage" and chat.object.recipients == {
        "https://b.example/users/bob"
    }
    deleted = parse_document(
        create({"type": "Tombstone", "id": "https://a.example/notes/1"}, type="Delete")
    )
    assert isinstance(deleted, Activity) and isinstance(deleted.object, Tombstone)


def test_actor_document() -> None:
    actor = {
        "@context": AS,
        "id": "https://a.example/c/support",
        "type": "Group",
        "preferredUsername": "support",
        "inbox": "https://a.example/c/support/inbox",
        "endpoints": {"sharedInbox": "https://a.example/inbox"},
        "publicKey": [
            {
                "id": "https://a.example/c/support#main-key",
                "owner": "https://a.example/c/support",
                "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
            }
        ],
        "manuallyApprovesFollowers": "true",
        "summary": "<p>peer support</p><script>x</script>",
        "movedTo": "https://b.example/c/support",
        "alsoKnownAs": ["https://b.example/c/support"],
        "attachment": [
            {"type": "PropertyValue", "name": "Rules", "value": "<a href='javascript:x'>r</a>"}
        ],
    }
    parsed = parse_document(actor)
    assert isinstance(parsed, ActorDoc) and parsed.is_group
    assert parsed.shared_inbox == "https://a.example/inbox" and parsed.handle == "support@a.example"
    assert parsed.public_key is not None and parsed.public_key.id.endswith("#main-key")
    assert parsed.manually_approves_followers is True
    assert parsed.summary == "<p>peer support</p>"
    assert parsed.moved_to == "https://b.example/c/support"
    assert parsed.fields[0].name == "Rules" and "javascript" not in parsed.fields[0].value


# --- embedded object trust ------------------------------------------------------------------


def test_trust_by_reference_and_same_origin() -> None:
    by_ref = parse_document(create("https://b.example/notes/1", type="Like"))
    assert isinstance(by_ref, Activity)
    verdict = embedded_object_trust(by_ref)
    assert verdict and verdict.reason is TrustReason.BY_REFERENCE
    same = parse_document(create(note()))
    assert isinstance(same, Activity) and is_embedded_object_trusted(same)
    assert embedded_object_trust(same).reason is TrustReason.SAME_ORIGIN


def test_cross_origin_object_untrusted() -> None:
    forged = parse_document(
        create(note(id="https://victim.example/notes/1", attributedTo="https://victim.example/u/v"))
    )
    assert isinstance(forged, Activity)
    verdict = embedded_object_trust(forged)
    assert not verdict and verdict.reason is TrustReason.CROSS_ORIGIN_OBJECT
    assert verdict.object_id == "https://victim.example/notes/1"
    assert not is_embedded_object_trusted(forged)


def test_cross_origin_author_untrusted() -> None:
    doc = create(note(attributedTo="https://victim.example/users/v"))
    parsed = parse_document(doc)
    assert isinstance(parsed, Activity)
    assert embedded_object_trust(parsed).reason is TrustReason.CROSS_ORIGIN_AUTHOR


def test_group_announce_of_remote_create_must_be_fetched() -> None:
    # Lemmy: the community on a.example announces a Create made on b.example.
    inner = {
        "id": "https://b.example/activities/create/1",
        "type": "Create",
        "actor": "https://b.example/u/bob",
        "object": {
            **note(),
            "id": "https://b.example/post/1",
            "attributedTo": "https://b.example/u/bob",
        },
    }
    parsed = parse_document(create(inner, type="Announce", actor="https://a.example/c/support"))
    assert isinstance(parsed, Activity)
    verdict = embedded_object_trust(parsed)
    assert not verdict and verdict.object_id == "https://b.example/activities/create/1"
    local = {
        **inner,
        "id": "https://a.example/activities/create/1",
        "actor": "https://a.example/u/al",
        "object": note(id="https://a.example/post/1", attributedTo="https://a.example/u/al"),
    }
    ok = parse_document(create(local, type="Announce", actor="https://a.example/c/support"))
    assert isinstance(ok, Activity) and embedded_object_trust(ok)
    spoofed = {**local, "actor": "https://victim.example/u/v"}
    bad = parse_document(create(spoofed, type="Announce", actor="https://a.example/c/support"))
    assert isinstance(bad, Activity)
    assert embedded_object_trust(bad).reason is TrustReason.CROSS_ORIGIN_ACTOR
