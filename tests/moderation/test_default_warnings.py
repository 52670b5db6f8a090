"""The content-warning policy every new group starts with (moderation/policies/defaults.py)
and the topic tables of ``require_content_warning`` it uses: the warning names the topics
that matched, in five languages."""

from __future__ import annotations

import pytest

from federation.screening import Action, RewriteKind
from moderation.policies.config import PolicyFileError, build_chain, parse_file
from moderation.policies.defaults import TOPICS, group_policies_for
from tests.moderation.test_policies import NOW, create, subject


def warning_for(text: str, action: str = "add", summary: str | None = None) -> str | None:
    """The content warning the default policy adds to a post saying ``text`` (None: none)."""
    verdict = build_chain(group_policies_for(action), "group").evaluate(
        subject(create(f"<p>{text}</p>", summary=summary)), NOW
    )
    if verdict.action == Action.ACCEPT:
        return None
    assert verdict.action == Action.REWRITE, verdict
    [rewrite] = verdict.rewrites
    assert rewrite.kind == RewriteKind.CONTENT_WARNING
    return rewrite.value


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("our talk on self-harm recovery is on Tuesday", "self-harm"),
        ("I used to self harm and want to talk about it", "self-harm"),
        ("a documentary about suicide prevention", "suicide"),
        ("reading about anorexia and recovery", "eating disorders"),
        ("resources for survivors of domestic violence", "abuse"),
        ("hablemos de la autolesión en la adolescencia", "self-harm"),
        ("prevención del suicidio en las escuelas", "suicide"),
        ("ein Vortrag über Essstörungen bei Jugendlichen", "eating disorders"),
        ("Hilfe nach häusliche Gewalt finden", "abuse"),
        ("un atelier sur l'automutilation chez les ados", "self-harm"),
        ("vivre après la boulimie", "eating disorders"),
        ("apoio para quem sofreu violência doméstica", "abuse"),
        ("conversa sobre suicídio e luto", "suicide"),
    ],
)
def test_each_topic_is_named_in_the_warning(text: str, topic: str) -> None:
    assert warning_for(text) == f"Mentions: {topic}"


def test_several_topics_are_named_in_their_order() -> None:
    text = "abuse left me with an eating disorder and thoughts of suicide"
    assert warning_for(text) == "Mentions: suicide, eating disorders, abuse"


def test_posts_with_a_warning_or_on_other_topics_pass() -> None:
    assert warning_for("our talk on self-harm recovery", summary="recovery talk") is None
    assert warning_for("had a good day at the allotment, tomatoes are in") is None
    assert warning_for("I cut my finger making dinner") is None  # not "cut myself"


def test_a_group_that_prefers_hold_holds_them() -> None:
    verdict = build_chain(group_policies_for("hold"), "group").evaluate(
        subject(create("<p>our talk on self-harm recovery</p>")), NOW
    )
    assert verdict.action == Action.HOLD
    assert "self-harm" in verdict.reason
    with pytest.raises(ValueError, match="add, hold"):
        group_policies_for("delete")


def test_every_topic_and_phrase_is_usable() -> None:
    assert set(TOPICS) == {"suicide", "self-harm", "eating disorders", "abuse"}
    for topic, phrases in TOPICS.items():
        assert len(phrases) == len(set(phrases)), topic
        for phrase in phrases:
            assert warning_for(f"x {phrase} x") is not None, (topic, phrase)


def test_topic_tables_in_the_policy_file() -> None:
    toml = """
[[policy]]
type = "require_content_warning"
action = "add"
warning = "CW: {topic}"
[policy.topics]
"gambling" = ["casino", "slot machines"]
"""
    verdict = parse_file(toml).evaluate(subject(create("<p>slot machines again</p>")), NOW)
    assert [r.value for r in verdict.rewrites] == ["CW: gambling"]
    # A plain list names the phrase that matched.
    listed = '[[policy]]\ntype = "require_content_warning"\ntopics = ["casino"]\n'
    verdict = parse_file(listed + 'action = "add"\nwarning = "About {topic}"\n').evaluate(
        subject(create("<p>the casino</p>")), NOW
    )
    assert [r.value for r in verdict.rewrites] == ["About casino"]
    described = parse_file(toml).describe()[0]["params"]
    assert described["topics"] == {"gambling": ["casino", "slot machines"]}
    for bad, why in (
        ('[policy.topics]\n"gambling" = []\n', "'topics.gambling' must list"),
        ('[policy.topics]\n"gambling" = ["casino", ""]\n', "non-empty strings"),
        ('topics = "casino"\n', "'topics' must be a list or a table"),
        ("topics = []\n", "at least one word"),
        ('topics = ["casino"]\nwarning = " "\n', "'warning' must not be empty"),
    ):
        with pytest.raises(PolicyFileError, match=why):
            parse_file('[[policy]]\ntype = "require_content_warning"\n' + bad)
