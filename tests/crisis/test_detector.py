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


@pytest.mark.parametrize(
    ("text", "lang", "level"),
    [
        # negation stops at a comma / colon
        ('no aguanto más, hoy me mato', None, 'urgent'),
        ('Não aguento mais, hoje eu me mato', None, 'urgent'),
        ('Bitte keine Predigt, ich hab mich entschieden.', None, 'urgent'),
        ("Je n'en peux plus, je vais me tuer ce soir", None, 'urgent'),
        ("please no lectures: I'm going to kill myself tonight", None, 'urgent'),
        # warning signs together
        ('I gave my guitar to my brother. Thank you for everything.', None, 'urgent'),
        ('Thank you for everything!', None, 'none'),
        ('Regalé mi gato a mi prima. Gracias por todo.', None, 'urgent'),
        ('gracias por todo, nos vemos mañana', None, 'none'),
        ('Ich habe meine Bücher verschenkt. Danke für alles.', None, 'urgent'),
        ('Danke für alles, bis morgen!', None, 'none'),
        ("J'ai donné mon chien à ma soeur. Merci pour tout.", None, 'urgent'),
        ('Merci pour tout, à demain !', None, 'none'),
        ('Doei minhas roupas e deixei uma carta pra minha mãe.', None, 'urgent'),
        ('obrigada por tudo, até amanhã', None, 'none'),
        # means with a time
        ('I have the pills here. Tonight.', None, 'urgent'),
        ('Tengo la cuerda en el coche. El sábado.', None, 'urgent'),
        ('Das Seil liegt im Keller. Morgen.', 'de', 'urgent'),
        ("J'ai la corde. Ce soir.", None, 'urgent'),
        ('A corda tá no armário. Hoje à noite.', None, 'urgent'),
        # third person: someone else's intent is concern
        ("my friend posted that she's ending it tonight", None, 'concern'),
        ("my brother doesn't know I'm ending it tonight", None, 'urgent'),
        ('Mi amiga publicó que esta noche se termina todo', None, 'concern'),
        ('Ein Kollege hat seine Sachen verschenkt und sich verabschiedet', None, 'concern'),
        ('Mon coloc a donné ses affaires et dit adieu à tout le monde', None, 'concern'),
        ('Meu amigo disse que hoje acaba com tudo', None, 'concern'),
        # quotation marks: someone's words
        ("my son said 'I'm going to kill myself' and laughed", None, 'concern'),
        ('Mi novio me dijo "me voy a matar" y colgó', None, 'concern'),
        # German negation after the verb
        ('Ich bringe mich nicht um, keine Sorge', None, 'none'),
        ('Ich bringe mich heute um', None, 'urgent'),
        # past with a year
        ("En 2018 j'avais avalé toutes mes pilules. Aujourd'hui je vais bien.", None, 'none'),
        ('In 2015 I swallowed all my pills. Now I volunteer at a crisis line.', None, 'none'),
        ('Em 2019 tomei todos os meus remédios. Hoje estou bem.', None, 'none'),
        # idioms: hair cut
        ('me corté el flequillo yo sola, qué desastre', None, 'none'),
        ('Je me suis coupé la frange, catastrophe', None, 'none'),
        ('cortei o cabelo sozinha, ficou horrível', None, 'none'),
        # last post (previous post) vs last post
        ('Thanks for the replies on my last post!', None, 'none'),
        ('last post. take care of each other', None, 'urgent'),
        ('gracias por los comentarios en mi último post', None, 'none'),
        # location now
        ('estoy en la azotea y no pienso bajar', None, 'urgent'),
        ("Je suis sur le pont, c'est assez haut", None, 'urgent'),
        ('tô na beira da ponte agora', 'pt', 'urgent'),
        ('Ich stehe auf der Brücke', None, 'urgent'),
        ("I'm standing on the overpass", None, 'urgent'),
        # refusing help + already done
        ('não vou ligar pra ninguém. já fiz', None, 'urgent'),
        ('no quiero ambulancia, ya me las tomé', None, 'urgent'),
    ],
)  # fmt: skip
def test_rules_in_each_language(
    detector: Detector, text: str, lang: str | None, level: str
) -> None:
    """Negation stops at a pause; warning signs count together or with means; means with a
    time is urgent; someone else's words or plight is concern; idioms, past, previous posts."""
    result = detector.check(text, lang)
    assert result.level == level, result


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
