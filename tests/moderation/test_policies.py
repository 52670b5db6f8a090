"""Each built-in policy on a matching and a non-matching activity, the chain's ordering,
shadow mode, group policies (stricter, never looser) and the policy file (errors by line,
hot reload that keeps the previous chain when the new file is bad)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from federation.parse import parse_document
from federation.screening import (
    Action,
    Facts,
    RewriteKind,
    Subject,
    apply_rewrites,
    subject_of,
)
from federation.wire import Activity, APObject
from moderation.policies.config import PolicyFileError, build_chain, parse_file
from moderation.policies.store import PolicyFile

AS = "https://www.w3.org/ns/activitystreams"
PUBLIC = AS + "#Public"
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def create(
    content: str = "<p>hello everyone</p>",
    *,
    actor: str = "https://social.example/users/alice",
    summary: str | None = None,
    tags: list[dict[str, Any]] | None = None,
    attachments: int = 0,
    published: datetime = NOW,
    public: bool = True,
) -> Activity:
    note: dict[str, Any] = {
        "id": f"{actor}/statuses/1", "type": "Note", "attributedTo": actor,
        "content": content, "to": [PUBLIC] if public else [f"{actor}/followers"], "cc": [],
        "published": published.strftime("%Y-%m-%dT%H:%M:%SZ"), "tag": tags or [],
        "attachment": [{"type": "Document", "mediaType": "image/png",
                        "url": f"{actor}/media/{i}.png"} for i in range(attachments)],
    }  # fmt: skip
    if summary:
        note["summary"] = summary
    doc = {"@context": AS, "id": f"{actor}/statuses/1/activity", "type": "Create",
           "actor": actor, "to": note["to"], "cc": [], "object": note}  # fmt: skip
    parsed = parse_document(doc)
    assert isinstance(parsed, Activity)
    return parsed


def subject(activity: Activity, **facts: Any) -> Subject:
    return replace(subject_of(activity), facts=Facts(**facts))


def chain(toml: str, scope: str = "instance") -> Any:
    if scope == "instance":
        return parse_file(toml)
    import tomllib

    return build_chain(tomllib.loads(toml)["policy"], scope)


def decide(toml: str, activity: Activity, scope: str = "instance", **facts: Any) -> Any:
    return chain(toml, scope).evaluate(subject(activity, **facts), NOW)


def mention(n: int) -> list[dict[str, Any]]:
    return [{"type": "Mention", "href": f"https://m.example/users/u{i}"} for i in range(n)]


# --- domain -------------------------------------------------------------------------------

DOMAINS = """
[[policy]]
type = "domain"
reject = ["spam.example", "*.bad.example"]
media_removal = ["pics.example"]
media_nsfw = ["nsfw.example"]
followers_only = ["quiet.example"]
reject_reports = ["noisy.example"]
reject_deletes = ["flaky.example"]
avatar_removal = ["faces.example"]
banner_removal = ["faces.example"]
"""


@pytest.mark.parametrize(
    ("actor_host", "action"),
    [
        ("spam.example", Action.REJECT),
        ("www.spam.example", Action.ACCEPT),  # a plain domain names that host only
        ("bad.example", Action.REJECT),  # *.bad.example covers the domain itself...
        ("a.b.bad.example", Action.REJECT),  # ...and every subdomain
        ("BAD.example.", Action.REJECT),  # compared normalized
        ("good.example", Action.ACCEPT),
    ],
)
def test_domain_reject(actor_host: str, action: Action) -> None:
    verdict = decide(DOMAINS, create(actor=f"https://{actor_host}/users/x"))
    assert verdict.action == action
    assert verdict.policy == ("domain" if action == Action.REJECT else "")


def test_domain_accept_only_is_an_allowlist() -> None:
    toml = '[[policy]]\ntype = "domain"\naccept = ["friends.example"]\n'
    assert decide(toml, create(actor="https://friends.example/u/a")).action == Action.ACCEPT
    refused = decide(toml, create(actor="https://other.example/u/a"))
    assert refused.action == Action.REJECT and "accept list" in refused.reason


def test_domain_rewrites_media_sensitive_and_followers_only() -> None:
    stripped = decide(DOMAINS, create(actor="https://pics.example/u/a", attachments=2))
    assert [r.kind for r in stripped.rewrites] == [RewriteKind.STRIP_MEDIA]
    assert decide(DOMAINS, create(actor="https://pics.example/u/a")).action == Action.ACCEPT
    nsfw = decide(DOMAINS, create(actor="https://nsfw.example/u/a"))
    assert [r.kind for r in nsfw.rewrites] == [RewriteKind.SENSITIVE]
    quiet = create(actor="https://quiet.example/u/a")
    verdict = decide(DOMAINS, quiet)
    assert [r.kind for r in verdict.rewrites] == [RewriteKind.FOLLOWERS_ONLY]
    rewritten = apply_rewrites(quiet, verdict.rewrites)
    assert not rewritten.is_public and isinstance(rewritten.object, APObject)
    assert not rewritten.object.is_public


def test_domain_reject_reports_and_deletes_only_those_types() -> None:
    def activity(kind: str, host: str) -> Activity:
        actor = f"https://{host}/actor"
        obj = ["https://x.example/u/1"] if kind == "Flag" else "https://x.example/u/1/s/2"
        parsed = parse_document({"@context": AS, "id": f"https://{host}/a/1", "type": kind,
                                 "actor": actor, "object": obj})  # fmt: skip
        assert isinstance(parsed, Activity)
        return parsed

    assert decide(DOMAINS, activity("Flag", "noisy.example")).action == Action.REJECT
    assert decide(DOMAINS, activity("Flag", "flaky.example")).action == Action.ACCEPT
    assert decide(DOMAINS, activity("Delete", "flaky.example")).action == Action.REJECT
    assert decide(DOMAINS, activity("Delete", "noisy.example")).action == Action.ACCEPT


def test_domain_avatar_and_banner_removal_on_actor_updates() -> None:
    def update(host: str) -> Activity:
        actor = f"https://{host}/users/a"
        person = {"id": actor, "type": "Person", "inbox": f"{actor}/inbox",
                  "icon": {"type": "Image", "url": f"https://{host}/a.png"},
                  "image": {"type": "Image", "url": f"https://{host}/b.png"}}  # fmt: skip
        parsed = parse_document({"@context": AS, "id": f"{actor}#update", "type": "Update",
                                 "actor": actor, "object": person})  # fmt: skip
        assert isinstance(parsed, Activity)
        return parsed

    faces = update("faces.example")
    verdict = decide(DOMAINS, faces)
    kinds = {r.kind for r in verdict.rewrites}
    assert kinds == {RewriteKind.STRIP_AVATAR, RewriteKind.STRIP_BANNER}
    rewritten = apply_rewrites(faces, verdict.rewrites).raw["object"]
    assert "icon" not in rewritten and "image" not in rewritten
    assert decide(DOMAINS, update("plain.example")).action == Action.ACCEPT


# --- keyword ------------------------------------------------------------------------------

KEYWORDS = """
[[policy]]
type = "keyword"
[[policy.rules]]
match = "buy followers"
action = "reject"
[[policy.rules]]
regex = "crypto\\\\s*giveaway"
action = "hold"
[[policy.rules]]
match = "spoilers"
action = "content_warning"
warning = "Spoilers"
"""


def test_keyword_phrases_match_whole_words_case_insensitively() -> None:
    assert decide(KEYWORDS, create("<p>Buy Followers now!</p>")).action == Action.REJECT
    # "followers" alone, or the words apart, do not match the phrase
    assert decide(KEYWORDS, create("<p>buy more followers</p>")).action == Action.ACCEPT
    assert decide(KEYWORDS, create("<p>rebuy followersx</p>")).action == Action.ACCEPT


def test_keyword_regex_holds_and_warning_rewrites() -> None:
    held = decide(KEYWORDS, create("<p>huge CRYPTO  giveaway</p>"))
    assert held.action == Action.HOLD and held.policy == "keyword"
    warned = decide(KEYWORDS, create("<p>no spoilers please</p>"))
    assert warned.action == Action.REWRITE
    assert warned.rewrites[0].kind == RewriteKind.CONTENT_WARNING
    assert warned.rewrites[0].value == "Spoilers"
    # the content warning text (summary) and names are searched too
    assert decide(KEYWORDS, create("<p>x</p>", summary="buy followers")).action == Action.REJECT


def test_keyword_a_reject_beats_a_hold_in_one_post() -> None:
    verdict = decide(KEYWORDS, create("<p>crypto giveaway: buy followers</p>"))
    assert verdict.action == Action.REJECT


# --- hashtag ------------------------------------------------------------------------------


def test_hashtag_actions() -> None:
    toml = """
[[policy]]
type = "hashtag"
reject = ["spam"]
hold = ["#Selfharm"]
content_warning = ["nsfw"]
warning = "NSFW"
"""

    def tagged(*names: str) -> Activity:
        return create(tags=[{"type": "Hashtag", "name": f"#{n}"} for n in names])

    assert decide(toml, tagged("Spam")).action == Action.REJECT
    assert decide(toml, tagged("selfharm")).action == Action.HOLD
    nsfw = decide(toml, tagged("nsfw", "cats"))
    assert nsfw.action == Action.REWRITE and nsfw.rewrites[0].value == "NSFW"
    assert decide(toml, tagged("cats", "dogs")).action == Action.ACCEPT


# --- link spam, mention flood, object age, first contact, required warning ---------------

LINK = '<p>look <a href="https://shop.example/deal">here</a></p>'


def test_link_spam_holds_links_from_unknown_or_young_accounts() -> None:
    toml = '[[policy]]\ntype = "link_spam"\nmin_account_age_days = 7\n'
    unknown = decide(toml, create(LINK), actor_known=False)
    assert unknown.action == Action.HOLD and "not seen before" in unknown.reason
    young = decide(toml, create(LINK), actor_known=True, actor_created=NOW - timedelta(days=2))
    assert young.action == Action.HOLD and "younger than 7 days" in young.reason
    old = decide(toml, create(LINK), actor_known=True, actor_created=NOW - timedelta(days=30))
    assert old.action == Action.ACCEPT
    # no links: nothing to hold, even from a stranger
    assert decide(toml, create("<p>hi</p>"), actor_known=False).action == Action.ACCEPT
    # mentions and hashtags are not links
    tagged = create('<p><a href="https://m.example/users/u0" class="u-url mention">@u0</a></p>',
                    tags=mention(1))  # fmt: skip
    assert decide(toml, tagged, actor_known=False).action == Action.ACCEPT


def test_mention_flood() -> None:
    toml = '[[policy]]\ntype = "mention_flood"\nhold_above = 3\nreject_above = 10\n'
    assert decide(toml, create(tags=mention(3))).action == Action.ACCEPT
    assert decide(toml, create(tags=mention(4))).action == Action.HOLD
    assert decide(toml, create(tags=mention(11))).action == Action.REJECT


def test_object_age() -> None:
    toml = '[[policy]]\ntype = "object_age"\nmax_age_days = 7\n'
    old = decide(toml, create(published=NOW - timedelta(days=8)))
    assert old.action == Action.REJECT and "7 days" in old.reason
    assert decide(toml, create(published=NOW - timedelta(days=6))).action == Action.ACCEPT


def test_first_contact_is_a_group_policy() -> None:
    toml = '[[policy]]\ntype = "first_contact"\n'
    first = decide(toml, create(), scope="group", posts_in_group=0)
    assert first.action == Action.HOLD
    assert decide(toml, create(), scope="group", posts_in_group=2).action == Action.ACCEPT
    with pytest.raises(PolicyFileError, match="per group"):
        parse_file(toml)


def test_require_content_warning_holds_or_adds_one() -> None:
    hold = '[[policy]]\ntype = "require_content_warning"\ntopics = ["self-harm", "suicide"]\n'
    about = create("<p>Some thoughts on self harm and recovery</p>")
    assert decide(hold, about).action == Action.HOLD
    warned = create("<p>Some thoughts on self harm</p>", summary="self-harm mention")
    assert decide(hold, warned).action == Action.ACCEPT
    assert decide(hold, create("<p>Some thoughts on gardening</p>")).action == Action.ACCEPT
    add = hold + 'action = "add"\nwarning = "Mental health: self-harm"\n'
    verdict = decide(add, about)
    assert verdict.action == Action.REWRITE
    rewritten = apply_rewrites(about, verdict.rewrites)
    assert isinstance(rewritten.object, APObject)
    assert rewritten.object.summary == "Mental health: self-harm" and rewritten.object.sensitive


# --- the chain ----------------------------------------------------------------------------


def test_the_first_reject_or_hold_ends_the_chain_and_rewrites_accumulate() -> None:
    toml = """
[[policy]]
type = "domain"
media_nsfw = ["social.example"]
[[policy]]
type = "keyword"
name = "hold words"
words = ["trigger"]
action = "hold"
[[policy]]
type = "keyword"
name = "reject words"
words = ["trigger"]
action = "reject"
"""
    verdict = decide(toml, create("<p>a trigger word</p>"))
    # the hold comes first in the file, so it wins over the later reject
    assert (verdict.action, verdict.policy) == (Action.HOLD, "hold words")
    assert [r.kind for r in verdict.rewrites] == [RewriteKind.SENSITIVE]
    swapped = toml.replace('name = "hold words"', 'name = "x"').replace(
        'name = "reject words"', 'name = "hold words"'
    )
    reordered = chain(swapped)
    assert [p.name for p in reordered.policies] == ["domain", "x", "hold words"]
    plain = decide(toml, create("<p>nothing to see</p>"))
    assert plain.action == Action.REWRITE and plain.policy == "domain"


def test_shadow_policies_record_without_acting() -> None:
    toml = """
[[policy]]
type = "keyword"
name = "trial"
shadow = true
words = ["refund"]
action = "reject"
[[policy]]
type = "mention_flood"
hold_above = 2
"""
    verdict = decide(toml, create("<p>refund please</p>"))
    assert verdict.action == Action.ACCEPT
    assert [(d.policy, d.action) for d in verdict.shadow] == [("trial", Action.REJECT)]
    assert verdict.acts  # recorded
    both = decide(toml, create("<p>refund</p>", tags=mention(3)))
    assert both.action == Action.HOLD and both.policy == "mention_flood"
    assert len(both.shadow) == 1


def test_exempt_accounts_skip_a_policy() -> None:
    toml = """
[[policy]]
type = "keyword"
words = ["refund"]
action = "reject"
exempt = ["support.example"]
"""
    assert decide(toml, create("<p>refund</p>")).action == Action.REJECT
    exempt = create("<p>refund</p>", actor="https://support.example/users/desk")
    assert decide(toml, exempt).action == Action.ACCEPT


def test_a_group_may_be_stricter_never_looser() -> None:
    stricter = '[[policy]]\ntype = "keyword"\nwords = ["diet"]\naction = "hold"\n'
    assert decide(stricter, create("<p>my diet</p>"), scope="group").action == Action.HOLD
    looser = stricter + 'exempt = ["social.example"]\n'
    with pytest.raises(PolicyFileError, match="only add restrictions"):
        chain(looser, scope="group")


# --- the file -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ('[[policy]]\ntype = "domain"\n\n[[policy]]\ntype = "nope"\n', 4, "unknown type"),
        ('[[policy]]\ntype = "domain"\nrejct = ["a.example"]\n', 1, "unknown key 'rejct'"),
        ('[[policy]]\ntype = "mention_flood"\nhold_above = true\n', 1, "not a boolean"),
        ('[[policy]]\ntype = "keyword"\n[[policy.rules]]\nregex = "("\n', 1, "bad regex"),
        ('[[policy]]\ntype = "domain"\nreject = "a.example"\n', 1, "must be a list"),
        ('[[policy]]\ntype = "domain\n', 2, ""),
        ('rules = ["Be kind"]\n[[policy]]\ntype = "domain"\n[[policy]]\ntype = "domain"\n', 4,
         "is taken"),
    ],
)  # fmt: skip
def test_a_bad_file_is_refused_with_its_line_and_reason(text: str, line: int, reason: str) -> None:
    with pytest.raises(PolicyFileError) as refused:
        parse_file(text)
    assert refused.value.line == line
    assert reason in str(refused.value)


def test_hot_reload_keeps_the_previous_chain_when_the_new_file_is_bad(tmp_path: Path) -> None:
    path = tmp_path / "policies.toml"
    path.write_text('[[policy]]\ntype = "keyword"\nwords = ["spam"]\naction = "reject"\n')
    clock = [0.0]
    policies = PolicyFile(path, check_every=1.0, monotonic=lambda: clock[0])
    assert [p.name for p in policies.current().policies] == ["keyword"]

    path.write_text('[[policy]]\ntype = "keyword"\nwords = [\n')  # broken mid-edit
    clock[0] += 2
    kept = policies.current()
    assert [p.name for p in kept.policies] == ["keyword"]
    assert policies.error is not None and "line" in policies.error
    assert kept.evaluate(subject(create("<p>spam</p>")), NOW).action == Action.REJECT

    path.write_text('[[policy]]\ntype = "mention_flood"\nhold_above = 1\n')
    clock[0] += 0.5  # checked at most once a second
    assert [p.name for p in policies.current().policies] == ["keyword"]
    clock[0] += 1
    assert [p.name for p in policies.current().policies] == ["mention_flood"]
    assert policies.error is None

    with pytest.raises(PolicyFileError):
        policies.replace('[[policy]]\ntype = "bogus"\n')
    assert "mention_flood" in path.read_text()  # the refused text was not written
    policies.replace("")  # an empty file: no policies
    assert policies.current().policies == () and path.read_text() == ""
