"""Blocks of a body that need more than sanitising: embedded media (`<iframe>`, `<video>`,
`<audio>`), which no edition can play, become a linked title ("Video: Title (youtube.com)");
GitHub-style alerts (`> [!NOTE]`) become callouts, a titled box in both editions."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from masthead.model import BuildWarning, RawArticle
from masthead.sources.media import MEDIA, MEDIA_TAGS, describe, label

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
    tree = lxml.html.fragment_fromstring(html, create_parent="div")
    for element in list(tree.iter(*MEDIA_TAGS)):
        if element.getparent() is None or any(
            ancestor.tag in MEDIA_TAGS for ancestor in element.iterancestors()
        ):
            continue
        kind, url, title = describe(element)
        replacement = lxml.html.Element("a", {"href": url}) if url else lxml.html.Element("span")
        replacement.set("class", "embed")
        replacement.text = label(kind, url, title)
        if not url:
            warnings.append(
                BuildWarning(
                    f"embedded {kind.lower()} has no address to link to; only its title is kept",
                    raw.path,
                    _line(raw, element.tag),
                )
            )
        block = element.getparent() is tree or element.getparent().tag in ("div", "figure")
        if block:
            wrapper = lxml.html.Element("p", {"class": "embed-block"})
            wrapper.append(replacement)
            replacement = wrapper
        replacement.tail = element.tail
        element.getparent().replace(element, replacement)
    parts = [tree.text or ""] + [
        etree.tostring(child, method="html", encoding="unicode", with_tail=True) for child in tree
    ]
    return "".join(parts)


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
