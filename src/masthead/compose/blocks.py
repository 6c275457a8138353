"""Blocks of a body that need more than sanitising: embedded media (`<iframe>`, `<video>`,
`<audio>`), which no edition can play, become a linked title ("Video: Title (youtube.com)");
GitHub-style alerts (`> [!NOTE]`) become callouts, a titled box in both editions."""

from __future__ import annotations

import re

import lxml.html

from masthead.model import BuildWarning, RawArticle
from masthead.sources.media import MEDIA, fragment_html, replace_players

# GitHub's alert kinds and the title each box gets.
ALERTS = {
    "NOTE": "Note",
    "TIP": "Tip",
    "IMPORTANT": "Important",
    "WARNING": "Warning",
    "CAUTION": "Caution",
}
_ALERT = re.compile(r"^\s*\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\][ \t]*\n?", re.I)


def replace_media(html: str, raw: RawArticle, warnings: list[BuildWarning]) -> str:
    """Embedded players in rendered HTML (before sanitising) as linked titles."""
    if not MEDIA.search(html):
        return html

    def unlinked(element: lxml.html.HtmlElement, kind: str) -> None:
        where = _line(raw, element.tag)
        message = f"embedded {kind.lower()} has no address to link to; only its title is kept"
        warnings.append(BuildWarning(message, raw.path, where))

    tree = lxml.html.fragment_fromstring(html, create_parent="div")
    replace_players(tree, unlinked)
    return fragment_html(tree)


def _line(raw: RawArticle, tag: str) -> int | None:
    match = re.search(rf"<{tag}\b", raw.body, re.I)
    return raw.body_line + raw.body.count("\n", 0, match.start()) if match else None


def make_callouts(tree: lxml.html.HtmlElement) -> None:
    """`> [!NOTE]` blockquotes (GitHub's alerts, used by Hugo and others) as callout boxes."""
    for quote in list(tree.iter("blockquote")):
        first = quote[0] if len(quote) else None
        if first is None or first.tag != "p":
            continue
        match = _ALERT.match(first.text or "")
        if not match:
            continue
        kind = match.group(1).upper()
        first.text = (first.text or "")[match.end() :]
        if len(first) and first[0].tag == "br" and not (first.text or "").strip():
            br = first[0]
            first.text = (br.tail or "").lstrip()
            first.remove(br)
        if not (first.text or "").strip() and not len(first):
            quote.remove(first)
        quote.tag = "div"
        quote.set("class", f"callout callout-{kind.lower()}")
        quote.set("role", "note")
        title = lxml.html.Element("p", {"class": "callout-title"})
        title.text = ALERTS[kind]
        quote.insert(0, title)
        title.tail = quote.text
        quote.text = None
    for box in tree.iter("div"):
        if "callout" in (box.get("class") or "").split() and not box.get("role"):
            box.set("role", "note")
