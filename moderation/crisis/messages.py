"""The message a person in crisis gets from the group: one caring sentence written by the
instance (a template per language), the crisis lines that fit them, and how to ask for
another country's lines.

Safe-messaging guidance (and TalkLife's, Reddit's practice) is to answer fast, warmly and
briefly, to put a way to reach a person first, and never to lecture or to repeat what the
person wrote. The shipped sentences can be replaced per language in
``DATA_DIR/crisis_messages.json`` (``{"en": {"caring": "…"}, …}``; any key below; not in
``DATA_DIR/crisis/``, whose files are phrase lists)."""

from __future__ import annotations

import json
from pathlib import Path

from federation.screening import CrisisReply
from moderation.crisis.resources import Resource

TEMPLATES: dict[str, dict[str, str]] = {
    "en": {
        "title": "Crisis lines and support",
        "more": "More lines, for every country:",
        "caring": "Thank you for telling us. You matter, and you don't have to face this alone: "
        "a moderator of {group} will read your message soon.",
        "lines": "If you are in danger or thinking of ending your life, please reach out now:",
        "none": "We could not find a crisis line for you; please call your local emergency number.",
        "country": "Somewhere else? Reply with your country's two-letter code (for example "
        "GB, US, DE) and we will send that country's lines.",
    },
    "es": {
        "title": "Líneas de crisis y apoyo",
        "more": "Más líneas, para cada país:",
        "caring": "Gracias por contárnoslo. Importas, y no tienes que pasar por esto solo/a: "
        "un moderador de {group} leerá tu mensaje pronto.",
        "lines": "Si estás en peligro o piensas en quitarte la vida, por favor contacta ahora:",
        "none": "No encontramos una línea de crisis para ti; llama al número de emergencias "
        "de tu país.",
        "country": "¿Estás en otro país? Responde con su código de dos letras (por ejemplo "
        "ES, MX, AR) y te enviaremos sus líneas.",
    },
    "de": {
        "title": "Krisentelefone und Hilfe",
        "more": "Weitere Nummern, für jedes Land:",
        "caring": "Danke, dass du es uns sagst. Du bist wichtig, und du musst da nicht allein "
        "durch: Ein Moderator von {group} liest deine Nachricht bald.",
        "lines": "Wenn du in Gefahr bist oder daran denkst, dir das Leben zu nehmen, melde "
        "dich bitte jetzt:",
        "none": "Wir haben keine Krisennummer für dich gefunden; bitte ruf den Notruf an.",
        "country": "Woanders? Antworte mit dem zweistelligen Ländercode (zum Beispiel DE, AT, "
        "CH), dann schicken wir dir die Nummern dieses Landes.",
    },
    "fr": {
        "title": "Lignes d'écoute et soutien",
        "more": "D'autres lignes, pour chaque pays :",
        "caring": "Merci de nous l'avoir dit. Tu comptes, et tu n'as pas à traverser cela "
        "seul·e : un modérateur de {group} va lire ton message bientôt.",
        "lines": "Si tu es en danger ou si tu penses à mettre fin à ta vie, contacte maintenant :",
        "none": "Nous n'avons pas trouvé de ligne d'écoute pour toi ; appelle le numéro "
        "d'urgence de ton pays.",
        "country": "Ailleurs ? Réponds avec le code à deux lettres de ton pays (par exemple "
        "FR, BE, CA) et nous t'enverrons ses lignes.",
    },
    "pt": {
        "title": "Linhas de crise e apoio",
        "more": "Mais linhas, para cada país:",
        "caring": "Obrigado por nos contar. Você importa, e não precisa enfrentar isso "
        "sozinho/a: um moderador de {group} vai ler sua mensagem em breve.",
        "lines": "Se você está em perigo ou pensando em tirar a própria vida, procure ajuda agora:",
        "none": "Não encontramos uma linha de apoio para você; ligue para o número de "
        "emergência do seu país.",
        "country": "Está em outro país? Responda com o código de duas letras (por exemplo "
        "BR, PT) e enviaremos as linhas desse país.",
    },
}
MESSAGES_FILE = "crisis_messages.json"  # in the data directory
KEYS = ("title", "more", "caring", "lines", "none", "country")


class MessagesError(ValueError):
    pass


def load_templates(path: Path | None) -> dict[str, dict[str, str]]:
    """The shipped templates with the instance's own sentences over them."""
    templates = {lang: dict(texts) for lang, texts in TEMPLATES.items()}
    if path is None or not path.is_file():
        return templates
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MessagesError(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise MessagesError(f"{path}: must be an object of languages")
    for lang, texts in data.items():
        if not isinstance(texts, dict) or not all(
            k in KEYS and isinstance(v, str) for k, v in texts.items()
        ):
            keys = ", ".join(KEYS)
            raise MessagesError(f"{path}: {lang}: keys must be among {keys}, each a text")
        base = templates.get(lang, templates["en"])
        templates[lang] = {**base, **texts}
    return templates


def describe(resource: Resource) -> str:
    """One line: the name, how to reach it, when."""
    reach = " · ".join(x for x in (resource.phone, resource.url) if x)
    hours = f" ({resource.hours})" if resource.hours else ""
    return f"{resource.name}: {reach}{hours}" if reach else resource.name


def compose(
    templates: dict[str, dict[str, str]],
    lang: str,
    country: str,
    chosen: list[Resource],
    group: str,
) -> CrisisReply:
    texts = templates.get(lang) or templates["en"]
    lang = lang if lang in templates else "en"
    lines = tuple(describe(r) for r in chosen)
    caring = texts["caring"].replace("{group}", group)
    middle = (texts["lines"],) if lines else (texts["none"],)
    return CrisisReply(lang, country, (caring, *middle, *lines, texts["country"]), lines)


def pinned(
    templates: dict[str, dict[str, str]], lang: str, country: str, chosen: list[Resource],
    page: str,
) -> tuple[str, tuple[str, ...]]:  # fmt: skip
    """A group's pinned post: its title, then the lines and where to find more."""
    texts = templates.get(lang) or templates["en"]
    lines = tuple(describe(r) for r in chosen)
    return texts["title"], (texts["lines"], *lines, f"{texts['more']} {page}")
