"""The crisis detector's rules, one by one, and ``peerhaven crisis check``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moderation.crisis.detector import Detector
from moderation.crisis.lexicon import LexiconError, load_lexicons
from tests.processes import clean_env, peerhaven


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector()


@pytest.mark.parametrize(
    ("text", "level", "method", "dropped"),
    [
        ("I'm going to kill myself tonight", "urgent", False, None),
        ("I'm not going to kill myself, don't worry", "none", False, "negation"),
        ("I would never kill myself", "none", False, None),
        ("this homework is killing me", "none", False, None),
        ("my friend says she wants to die", "concern", False, None),
        ("Two years ago I tried to end my life. Today I'm doing well.", "none", False, None),
        ("the article says suicide rates rose last year", "none", False, None),
        ("I have taken all my pills", "urgent", True, None),
        ("sometimes I wish I wouldn't wake up", "concern", False, None),
        ("had a lovely walk by the river", "none", False, None),
        ("Voy a matarme esta noche", "urgent", False, None),
        ("Ich bringe mich heute um", "urgent", False, None),
        ("je vais en finir ce soir", "urgent", False, None),
        ("vou me matar hoje", "urgent", False, None),
        ("este calor me está matando", "none", False, None),
    ],
)  # fmt: skip
def test_rules(
    detector: Detector, text: str, level: str, method: bool, dropped: str | None
) -> None:
    result = detector.check(text)
    assert (result.level, result.method) == (level, method), result
    if level != "none":
        assert result.evidence
    if dropped is not None:
        assert any(f.dropped == dropped for f in result.findings)


def test_language_is_detected_or_taken(detector: Detector) -> None:
    assert detector.check("je ne sais plus quoi faire de ma vie").lang == "fr"
    assert detector.check("no sé qué hacer con mi vida, estoy muy cansada").lang == "es"
    assert detector.check("hello", lang="pt").lang == "pt"


def test_an_instance_extends_the_phrase_lists(tmp_path: Path) -> None:
    (tmp_path / "en.json").write_text(json.dumps({"concern": ["the grey fog is back"]}))
    extended = Detector(load_lexicons(tmp_path))
    assert extended.check("the grey fog is back again").level == "concern"
    assert Detector().check("the grey fog is back again").level == "none"
    (tmp_path / "de.json").write_text(json.dumps({"urgent": ["(unclosed"]}))
    with pytest.raises(LexiconError, match="de"):
        load_lexicons(tmp_path)


def test_crisis_check_cli(tmp_path: Path) -> None:
    env = clean_env()
    data = ["--data-dir", str(tmp_path)]
    one = peerhaven("crisis", "check", "I'm going to end it tonight", *data, env=env)
    assert one.returncode == 0, one.stderr
    lines = one.stdout.splitlines()
    assert lines[:3] == ["level: urgent", "method: no", "lang: en"]
    assert lines[3].startswith("evidence: ")
    many = peerhaven("crisis", "check", "-", "--lang", "es", *data, env=env,
                     input="estoy bien\nya no aguanto más\n")  # fmt: skip
    rows = [json.loads(line) for line in many.stdout.splitlines()]
    assert [(r["level"], r["lang"]) for r in rows] == [("none", "es"), ("concern", "es")]
    assert set(rows[1]) == {"level", "method", "evidence", "lang"}
