"""The crisis detector: reads a post and says ``none``, ``concern`` (distress, passive
ideation, someone worried about another person) or ``urgent`` (the writer's intent, plan,
imminent danger, self-harm in progress), whether it holds or seeks method details, the
evidence (what matched) and the language. It runs offline, from phrase lists per language
(``moderation/crisis/data/LANG.json``, which an instance can extend).

Phrases are found clause by clause, and each finding is weighed in its clause:
- a negation shortly before it ("I would never kill myself") drops it;
- an idiom covering it ("this homework is killing me") drops it;
- talk about someone else ("my friend says she wants to die") is concern, not urgent;
- a recovery story in the past ("two years ago I tried to end my life") drops it, unless
  the same clause says it is happening now;
- quotation, song lyrics and news drop it to none.
Indirect warning signs (farewells, giving things away, refusing help, hiding) count only
together: two of them, or one with distress or method talk, make a post urgent; so does
method talk with a time ("tonight", "now").
It is a safety net for humans, not a judge: it holds and alerts, never deletes."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from moderation.crisis.lexicon import Lexicon, load_lexicons

LEVELS = ("none", "concern", "urgent")
_BUT = {"en": "but", "es": "pero|sino", "de": "aber|sondern", "fr": "mais", "pt": "mas|porem"}
_SENTENCE = r"(?<=[.!?;\n])\s+"
# Inside a clause, a negation does not reach past a comma, colon or dash.
_PAUSE = re.compile(r"[,:\u2013\u2014(]|\s-\s")


@dataclass(frozen=True)
class Finding:
    kind: str  # urgent, concern or method
    phrase: str  # the text that matched
    dropped: str = ""  # why it does not count (negation, idiom, past, quote), else ""


@dataclass(frozen=True)
class CrisisResult:
    level: str
    method: bool
    evidence: tuple[str, ...]
    lang: str
    findings: tuple[Finding, ...] = field(default=(), compare=False)

    def as_json(self) -> dict[str, object]:
        return {"level": self.level, "method": self.method, "evidence": list(self.evidence),
                "lang": self.lang}  # fmt: skip


def fold(text: str) -> str:
    """Lower case without accents or typographic quotes: how phrases are matched."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class Detector:
    def __init__(self, lexicons: dict[str, Lexicon] | None = None) -> None:
        self.lexicons = lexicons if lexicons is not None else load_lexicons()

    def language(self, text: str) -> str:
        """The language with the most of its common words in the text (English if none)."""
        words = re.findall(r"\w+", fold(text))
        scores = {
            lang: sum(w in lex.stopwords for w in words) for lang, lex in self.lexicons.items()
        }
        best = max(scores, key=lambda lang: (scores[lang], lang == "en"))
        return best if scores[best] > 0 else "en"

    def check(self, text: str, lang: str | None = None) -> CrisisResult:
        lang = lang if lang in self.lexicons else self.language(text)
        lexicon = self.lexicons[lang]
        folded = fold(text)
        whole_quoted = lexicon.quoted(folded)
        findings: list[Finding] = []
        but = _BUT.get(lang, _BUT["en"])
        for clause in re.split(rf"{_SENTENCE}|\s+(?:{but})\s+", folded):
            findings += self._clause(lexicon, clause, whole_quoted)
        counted = [f for f in findings if not f.dropped]
        kinds = {f.kind for f in counted}
        warnings = {f.phrase for f in counted if f.kind == "warning"}
        method = "method" in kinds
        if "urgent" in kinds:
            level = "urgent"
        elif len(warnings) >= 2 or (warnings and ("concern" in kinds or method)):
            level = "urgent"  # warning signs together, or with distress or means
        elif method and not whole_quoted and lexicon.imminent(folded):
            level = "urgent"  # means and a time: "the rope is ready. saturday"
        elif "concern" in kinds or method:
            level = "concern"  # talk of means outside a quotation is never "none"
        else:
            level = "none"
        if level != "urgent":
            counted = [f for f in counted if f.kind != "warning"]  # alone they say little
        evidence = tuple(dict.fromkeys(f.phrase for f in counted))
        return CrisisResult(level, method, evidence, lang, tuple(findings))

    def _clause(self, lexicon: Lexicon, clause: str, whole_quoted: bool) -> list[Finding]:
        found = []
        for kind in ("urgent", "warning", "concern", "method"):
            for match in lexicon.find(kind, clause):
                found.append(self._weigh(lexicon, kind, match, clause, whole_quoted))
        return found

    def _weigh(
        self, lexicon: Lexicon, kind: str, match: re.Match[str], clause: str, quoted: bool
    ) -> Finding:
        phrase = match.group(0).strip()
        before = _PAUSE.split(clause[max(0, match.start() - 40) : match.start()])[-1]
        if lexicon.negated(before, phrase):
            return Finding(kind, phrase, "negation")
        if lexicon.idiom_covers(clause, match.start(), match.end()):
            return Finding(kind, phrase, "idiom")
        if quoted or lexicon.quoted(clause):
            return Finding(kind, phrase, "quotation")
        if lexicon.past(clause) and not lexicon.present(clause):
            return Finding(kind, phrase, "past")
        if kind in ("urgent", "warning") and (
            lexicon.about_someone_else(clause, match.start(), match.end())
            or lexicon.in_quotation_marks(clause, match.start())
        ):
            return Finding("concern", phrase)  # someone else's words or plight
        return Finding(kind, phrase)
