"""Sanitize HTML that arrives from other servers, and turn it into plain text.

Remote ``content``/``summary`` is attacker-controlled markup. We keep the small set of tags and
attributes that Mastodon's ``Sanitize::Config::MASTODON_STRICT`` keeps (app/lib/sanitize_config.rb),
so posts look the same here as on the sender's side, and drop everything else: scripts, styles,
event handlers, iframes, images (attachments travel separately), inline styles and ids.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import nh3

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "p", "br", "span", "a",
        "strong", "b", "em", "i", "u", "s", "del",
        "code", "pre", "blockquote",
        "ul", "ol", "li",
        "h1", "h2", "h3", "h4", "h5", "h6",
    }
)  # fmt: skip

# `rel` is not listed: nh3 (ammonia) forces it through `link_rel`, which replaces whatever the
# sender put there, so a peer cannot drop "nofollow" or add "opener".
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "class"},
    "span": {"class"},
    "ol": {"start", "reversed"},
    "li": {"value"},
}

URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer"

# Mastodon keeps only microformats classes (h-card, u-url, …) and the few it styles itself
# (CLASS_WHITELIST_TRANSFORMER in sanitize_config.rb); anything else could hook our own CSS.
_CLASS_ALLOWED = re.compile(r"^(?:(?:h|p|u|dt|e)-[a-z0-9-]+|mention|hashtag|ellipsis|invisible)$")

# Elements removed together with their text, not just unwrapped.
_DROP_WITH_CONTENT: frozenset[str] = frozenset(
    {"script", "style", "template", "iframe", "object", "embed", "noscript", "svg", "math"}
)


def _filter_attribute(element: str, attribute: str, value: str) -> str | None:
    if attribute == "class":
        kept = [c for c in value.split() if _CLASS_ALLOWED.match(c)]
        return " ".join(kept) or None
    return value


def sanitize_html(raw: str | None) -> str:
    """Return ``raw`` reduced to the safe subset of HTML; ``""`` for ``None``."""
    if not raw:
        return ""
    return nh3.clean(
        raw,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(_DROP_WITH_CONTENT),
        # "*" replaces ammonia's default generic attributes (lang, title) with none.
        attributes={"*": set(), **{k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()}},
        attribute_filter=_filter_attribute,
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    ).strip()


def text_to_html(text: str | None) -> str:
    """Escape plain text (PeerTube's ``text/markdown``, Misskey's MFM source) into paragraphs.

    We do not render Markdown: an escaped rendering is always safe, and the sender's HTML
    ``content`` is preferred whenever there is one.
    """
    if not text:
        return ""
    paragraphs = re.split(r"\r?\n\s*\r?\n", text.strip())
    out = []
    for para in paragraphs:
        lines = [html.escape(line, quote=False) for line in re.split(r"\r?\n", para)]
        out.append("<p>" + "<br>".join(lines) + "</p>")
    return "".join(out)


class _TextExtractor(HTMLParser):
    _BLOCK = frozenset({"p", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP_WITH_CONTENT:
            self._skip += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_WITH_CONTENT:
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def to_plain_text(raw: str | None) -> str:
    """Plain text of an HTML fragment: ``<br>`` → newline, paragraphs → blank line, entities
    decoded, scripts/styles dropped. For notifications, search, and content warnings."""
    if not raw:
        return ""
    parser = _TextExtractor()
    parser.feed(raw)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()
