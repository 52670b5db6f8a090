"""Incoming HTML: what must go, what must stay."""

from __future__ import annotations

import pytest

from federation.sanitize import LINK_REL, sanitize_html, text_to_html, to_plain_text

# Mastodon 4.x mention and hashtag markup, as sent in Note content.
MENTION = (
    '<span class="h-card" translate="no"><a href="https://social.example/@alice" '
    'class="u-url mention">@<span>alice</span></a></span>'
)
HASHTAG = (
    '<a href="https://social.example/tags/support" class="mention hashtag" rel="tag">'
    "#<span>support</span></a>"
)


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
        "<style>body{display:none}</style>",
        '<iframe src="https://evil.example"></iframe>',
        '<img src="x" onerror="alert(1)">',
        '<svg onload="alert(1)"><circle/></svg>',
        '<object data="https://evil.example/x.swf"></object>',
    ],
)
def test_dangerous_elements_removed_with_their_content(payload: str) -> None:
    out = sanitize_html(f"<p>before{payload}after</p>")
    assert out == "<p>beforeafter</p>"


@pytest.mark.parametrize(
    "attr", ['onclick="x()"', 'onmouseover="x()"', 'style="color:red"', 'id="top"', 'title="t"']
)
def test_event_handlers_and_stray_attributes_removed(attr: str) -> None:
    out = sanitize_html(f"<p {attr}>hi <span {attr}>there</span></p>")
    assert out == "<p>hi <span>there</span></p>"


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "  javascript:alert(1)",
        "java&#x09;script:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "ftp://files.example/x",
    ],
)
def test_unsafe_link_schemes_dropped(href: str) -> None:
    out = sanitize_html(f'<a href="{href}">link</a>')
    assert "href" not in out and "link" in out


@pytest.mark.parametrize(
    "href", ["https://ok.example/a", "http://ok.example/b", "mailto:someone@ok.example"]
)
def test_safe_link_schemes_kept(href: str) -> None:
    assert f'href="{href}"' in sanitize_html(f'<a href="{href}">x</a>')


def test_links_get_forced_rel() -> None:
    out = sanitize_html('<a href="https://x.example" rel="opener" target="_blank">x</a>')
    assert f'rel="{LINK_REL}"' in out
    assert 'opener"' not in out and "target" not in out


def test_mention_markup_kept() -> None:
    out = sanitize_html(f"<p>{MENTION} hello</p>")
    assert 'class="h-card"' in out
    assert 'class="u-url mention"' in out
    assert 'href="https://social.example/@alice"' in out
    assert "@<span>alice</span>" in out
    assert "translate" not in out


def test_hashtag_markup_kept() -> None:
    out = sanitize_html(f"<p>{HASHTAG}</p>")
    assert 'class="mention hashtag"' in out
    assert "#<span>support</span>" in out
    assert f'rel="{LINK_REL}"' in out  # rel="tag" is replaced, never trusted


def test_unknown_classes_dropped_microformats_kept() -> None:
    out = sanitize_html('<span class="invisible evil-admin-banner p-name">x</span>')
    assert out == '<span class="invisible p-name">x</span>'
    assert sanitize_html('<span class="evil">x</span>') == "<span>x</span>"


def test_formatting_tags_kept() -> None:
    html = (
        "<p><strong>a</strong><b>b</b><em>c</em><i>d</i><u>e</u><s>f</s><del>g</del>"
        "<code>h</code></p><pre>i</pre><blockquote>j</blockquote>"
        '<ul><li>k</li></ul><ol start="3"><li>l</li></ol><h1>m</h1><h6>n</h6><br>'
    )
    assert sanitize_html(html) == html


def test_other_tags_unwrapped_text_kept() -> None:
    assert sanitize_html("<div><table><tr><td>cell</td></tr></table></div>") == "cell"
    assert sanitize_html('<p>x<img src="https://i.example/a.png" alt="a"></p>') == "<p>x</p>"


def test_comments_and_none() -> None:
    assert sanitize_html("<p>a<!-- hidden --></p>") == "<p>a</p>"
    assert sanitize_html(None) == ""
    assert sanitize_html("") == ""


def test_to_plain_text() -> None:
    html = f"<p>Hi {MENTION}&amp; co<br>line two</p><p>para {HASHTAG}</p><script>x()</script>"
    assert to_plain_text(html) == "Hi @alice& co\nline two\n\npara #support"
    assert to_plain_text("<ul><li>one</li><li>two</li></ul>") == "one\ntwo"
    assert to_plain_text("&lt;b&gt;not markup&lt;/b&gt;") == "<b>not markup</b>"
    assert to_plain_text(None) == ""


def test_text_to_html_escapes() -> None:
    assert text_to_html("a <script>\n\nb\nc") == "<p>a &lt;script&gt;</p><p>b<br>c</p>"
    assert sanitize_html(text_to_html("<b>x</b>")) == "<p>&lt;b&gt;x&lt;/b&gt;</p>"
