"""The policy every new group starts with: posts about suicide, self-harm, eating disorders
or abuse that carry no content warning are given one naming the topic ("Mentions:
self-harm"), or held when the group prefers. Groups created before it existed are left as
they were. A group changes or drops it like any of its policies (``PUT
/api/v1/admin/groups/SLUG/policies``).

Words and phrases match whole words, any case (``moderation.policies.text``): each form
(plural, verb) is listed. English, with the common words in Spanish, German, French and
Portuguese."""

from __future__ import annotations

from typing import Any

import asyncpg

from storage import group_policies

ACTIONS = ("add", "hold")
WARNING = "Mentions: {topic}"

TOPICS: dict[str, list[str]] = {
    "suicide": [
        "suicide", "suicides", "suicidal", "kill myself", "killing myself", "end my life",
        "ending my life", "take my own life", "taking my own life", "want to die",
        "wanna die", "suicide attempt", "attempted suicide",
        # es
        "suicidio", "suicidios", "suicida", "suicidarme", "quitarme la vida", "quiero morir",
        # de
        "suizid", "selbstmord", "suizidal", "suizidgedanken", "mich umbringen",
        "sterben wollen",
        # fr
        "suicidaire", "me suicider", "mettre fin à mes jours", "envie de mourir",
        # pt
        "suicídio", "me matar", "tirar minha vida", "tirar a minha vida",
        "quero morrer",
    ],
    "self-harm": [
        "self-harm", "self harm", "selfharm", "self-harming", "self harming", "self-harmed",
        "self-injury", "self injury", "self-mutilation", "cutting myself", "cut myself",
        "burning myself",
        # es
        "autolesión", "autolesion", "autolesiones", "autolesionarme", "cortarme",
        # de
        "selbstverletzung", "selbstverletzendes verhalten", "ritzen", "mich ritzen",
        # fr
        "automutilation", "scarification", "me scarifier", "me mutiler",
        # pt
        "automutilação", "automutilacao", "autolesão", "autolesao", "me cortar",
    ],
    "eating disorders": [
        "eating disorder", "eating disorders", "anorexia", "anorexic", "bulimia", "bulimic",
        "binge eating", "binge-eating", "pro-ana", "pro ana", "arfid",
        # es
        "trastorno alimentario", "trastornos alimentarios", "trastorno de la conducta "
        "alimentaria", "anoréxica", "anoréxico", "bulímica", "bulímico",
        # de
        "essstörung", "essstörungen", "magersucht", "magersüchtig", "bulimie", "anorexie",
        # fr
        "trouble alimentaire", "troubles alimentaires", "troubles du comportement "
        "alimentaire", "anorexique", "boulimie", "boulimique",
        # pt
        "transtorno alimentar", "transtornos alimentares", "compulsão alimentar",
    ],
    "abuse": [
        "abuse", "abused", "abuser", "abusers", "abusive", "domestic violence",
        "sexual assault", "sexually assaulted", "rape", "raped", "molested", "molestation",
        "child abuse",
        # es
        "abuso", "abusos", "abusó", "maltrato", "violencia doméstica", "violación",
        "agresión sexual",
        # de
        "missbrauch", "missbraucht", "häusliche gewalt", "vergewaltigung", "vergewaltigt",
        "sexuelle gewalt",
        # fr
        "abus", "maltraitance", "violence conjugale", "violences conjugales", "viol", "violée",
        "agression sexuelle",
        # pt
        "abusada", "abusado", "violência doméstica", "estupro", "estuprada", "abuso sexual",
    ],
}  # fmt: skip


def group_policies_for(action: str = "add") -> list[dict[str, Any]]:
    """A new group's policy tables: the content-warning policy with ``action`` ``add`` (the
    default) or ``hold``."""
    if action not in ACTIONS:
        raise ValueError(f"content warnings: one of {', '.join(ACTIONS)}")
    return [{
        "type": "require_content_warning", "name": "sensitive topics",
        "topics": {topic: list(words) for topic, words in TOPICS.items()},
        "action": action, "warning": WARNING,
    }]  # fmt: skip


async def start_group(db: asyncpg.Connection | asyncpg.Pool, group_id: int, action: str) -> None:
    """Give a group created just now its default policies (in the creating transaction)."""
    await group_policies.put(db, group_id, group_policies_for(action))
