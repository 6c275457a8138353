"""Blocks of an article body made ready for pages: code highlighted by its fence's language
(Pygments), one span per source line; numeric table columns marked; a paragraph that
introduces a code block, figure or table ("…you'd get this error:") marked to stay with it."""

from __future__ import annotations

import re

import lxml.html
from pygments.lexers import get_lexer_by_name
from pygments.token import STANDARD_TYPES, _TokenType
from pygments.util import ClassNotFound

# Longest source line (characters) kept whole in the narrowest column; longer ones may wrap, and
# carry the `wraps` class so the edition can mark their continuation lines.
WRAP_CHARS = 44
_NUMBER = re.compile(r"^[\s(+−\-–$€£¥]*[\d.,]+\s*(?:%|[a-zA-Z°/²³µ]{0,6})?[)]?\s*$")
_INTRODUCED = {"pre", "figure", "table"}


def token_class(kind: _TokenType) -> str:
    """Pygments' short CSS class for a token type ("k", "s2", "c1"), from its nearest kind."""
    while kind not in STANDARD_TYPES and kind.parent is not None:
        kind = kind.parent
    return str(STANDARD_TYPES.get(kind, ""))


def highlight(tree: lxml.html.HtmlElement) -> None:
    """Every `<pre><code class="language-X">` as lines of Pygments token spans; code without a
    language known to Pygments is split into lines only."""
    for pre in tree.iter("pre"):
        code = pre.find("code")
        holder = code if code is not None else pre
        if len(holder):
            continue  # Already marked up (raw HTML): left as written.
        text = (holder.text or "").rstrip("\n")
        language = next(
            (c[9:] for c in (holder.get("class") or "").split() if c.startswith("language-")), ""
        )
        tokens: list[tuple[str, str]]
        try:
            lexer = get_lexer_by_name(language, stripnl=False, ensurenl=False) if language else None
        except ClassNotFound:
            lexer = None
        if lexer is not None:
            tokens = [(token_class(kind), value) for kind, value in lexer.get_tokens(text)]
            pre.set("class", " ".join([*(pre.get("class") or "").split(), "highlight"]))
        else:
            tokens = [("", text)]
        holder.text = None
        _lines(holder, tokens)


def _lines(holder: lxml.html.HtmlElement, tokens: list[tuple[str, str]]) -> None:
    line = _new_line(holder)
    for css, value in tokens:
        parts = value.split("\n")
        for index, part in enumerate(parts):
            if index:
                line = _new_line(holder)
            if not part:
                continue
            if css:
                span = lxml.html.Element("span", {"class": css})
                span.text = part
                line.append(span)
            elif len(line):
                line[-1].tail = (line[-1].tail or "") + part
            else:
                line.text = (line.text or "") + part
    for line in holder:
        if len(line.text_content()) > WRAP_CHARS:
            line.set("class", "line wraps")
        # An empty line still takes its height.
        if not line.text_content():
            line.text = "\u200b"


def _new_line(holder: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    line = lxml.html.Element("span", {"class": "line"})
    holder.append(line)
    return line


def mark_numeric_columns(tree: lxml.html.HtmlElement) -> None:
    """Table columns whose body cells are all numbers (or empty) are aligned right: `num`."""
    for table in tree.iter("table"):
        rows = [[c for c in row if c.tag in {"td", "th"}] for row in table.iter("tr")]
        body = [r for r in rows if r and any(c.tag == "td" for c in r)]
        if not body:
            continue
        width = max(len(r) for r in rows)
        for column in range(width):
            cells = [r[column] for r in body if column < len(r)]
            texts = [c.text_content().strip() for c in cells]
            if any(texts) and all(not t or _NUMBER.match(t) for t in texts):
                for row in rows:
                    if column < len(row):
                        cell = row[column]
                        cell.set("class", " ".join([*(cell.get("class") or "").split(), "num"]))


def mark_lead_ins(tree: lxml.html.HtmlElement) -> None:
    """A paragraph ending in ":" right before code, a figure or a table: `leads-in`."""
    for p in tree.iter("p"):
        following = p.getnext()
        if following is None or not p.text_content().rstrip().endswith(":"):
            continue
        kind = following.tag
        if kind == "div" and "table-wrap" in (following.get("class") or ""):
            kind = "table"
        if kind in _INTRODUCED:
            p.set("class", " ".join([*(p.get("class") or "").split(), "leads-in"]))
