"""A sanitised web page's article as Markdown: blocks, inline markup, links and images."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import lxml.html


def local_path(src: str, path: Path) -> str:
    """`src` as a path relative to the page, if that file was saved beside it; else ""."""
    parts = urlsplit(src)
    if parts.scheme or src.startswith("//") or not parts.path:
        return ""
    target = (path.parent / unquote(parts.path)).resolve()
    return unquote(parts.path) if target.is_file() else ""


_BLOCKS = {"p", "div", "section", "article", "main", "header", "footer", "figure", "body", "html"}


def to_markdown(html: str, path: Path, base: str = "") -> str:
    """The extracted article as Markdown: headings, paragraphs, lists, quotes, code, images,
    links and emphasis. Text is escaped so that nothing in it can become HTML or markup."""
    tree = lxml.html.fragment_fromstring(html or "<p></p>", create_parent="div")
    blocks: list[str] = []
    _blocks_of(tree, blocks, path, base, quote=0)
    return "\n\n".join(b for b in blocks if b.strip()) + "\n"


def _blocks_of(
    el: lxml.html.HtmlElement, out: list[str], path: Path, base: str, quote: int
) -> None:
    inline: list[str] = []

    def flush() -> None:
        # <br><br> separates paragraphs on many pages; a single <br> is a line break.
        for part in re.split(r"\n[ \t]*(?:\n\s*)+", "".join(inline)):
            lines = [" ".join(line.split()) for line in part.split("\n")]
            if text := "\n".join(line for line in lines if line):
                out.append(_escape_start(text))
        inline.clear()

    if el.text:
        inline.append(_escape(el.text))
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            flush()
            text = " ".join(_inline(child, path, base).split())
            if text:
                out.append(f"{'#' * int(tag[1])} {text}")
        elif tag in ("ul", "ol"):
            flush()
            lines = []
            for n, li in enumerate((c for c in child if c.tag == "li"), start=1):
                text = " ".join(_inline(li, path, base).split())
                if text:
                    lines.append(f"{n}. {text}" if tag == "ol" else f"- {text}")
            if lines:
                out.append("\n".join(lines))
        elif tag == "blockquote":
            flush()
            inner: list[str] = []
            _blocks_of(child, inner, path, base, quote + 1)
            if inner:
                out.append(
                    "\n>\n".join("\n".join(f"> {line}" for line in b.split("\n")) for b in inner)
                )
        elif tag == "pre":
            flush()
            code = child.text_content().rstrip("\n")
            fence = "~~~~" if "```" in code else "```"
            out.append(f"{fence}\n{code}\n{fence}")
        elif tag == "table":
            flush()
            rows = [
                [
                    " ".join(_inline(c, path, base).split()).replace("|", "\\|")
                    for c in tr
                    if c.tag in ("td", "th")
                ]
                for tr in child.iter("tr")
            ]
            rows = [r for r in rows if r]
            if rows:
                width = max(len(r) for r in rows)
                rows = [r + [""] * (width - len(r)) for r in rows]
                lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * width]
                lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
                out.append("\n".join(lines))
        elif tag in _BLOCKS or tag in ("aside", "nav", "dl", "hr"):
            flush()
            if tag != "hr":
                _blocks_of(child, out, path, base, quote)
        else:
            inline.append(_inline(child, path, base, tail=False))
        if child.tail:
            inline.append(_escape(child.tail))
    flush()


def _inline(el: lxml.html.HtmlElement, path: Path, base: str, tail: bool = False) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""
    inner = _escape(el.text or "") + "".join(
        _inline(c, path, base) + _escape(c.tail or "") for c in el
    )
    if tag == "br":
        text = "\n"
    elif tag == "img":
        text = _image(el, path, base)
    elif tag == "a":
        href = (el.get("href") or "").strip()
        label = " ".join(inner.split())
        if href and not href.startswith("#") and label:
            href = href if urlsplit(href).scheme or not base else urljoin(base, href)
            text = f"[{label}]({href.replace(' ', '%20').replace(')', '%29')})"
        else:
            text = inner
    elif tag in ("em", "i", "cite") and inner.strip():
        text = f"*{inner.strip()}*"
    elif tag in ("strong", "b") and inner.strip():
        text = f"**{inner.strip()}**"
    elif tag == "code" and inner.strip():
        text = f"`{el.text_content()}`"
    else:
        text = inner
    return text + (_escape(el.tail or "") if tail else "")


def _image(img: lxml.html.HtmlElement, path: Path, base: str) -> str:
    src = (img.get("src") or "").strip()
    alt = " ".join((img.get("alt") or "").split()).replace("[", "(").replace("]", ")")
    local = local_path(src, path)
    if local:
        return f"![{alt}]({local.replace(' ', '%20')})"
    if src and (urlsplit(src).scheme in ("http", "https") or base):
        return f"![{alt}]({urljoin(base, src)})"
    return f"*[Image: {alt}]*" if alt else ""


def _escape(text: str) -> str:
    """Text that stays text: no HTML tags or entities, no accidental emphasis or links."""
    text = re.sub(r"&(?=#?\w+;)", "&amp;", text.replace("\\", "\\\\")).replace("<", "&lt;")
    return re.sub(r"([*_`\[\]])", r"\\\1", text)


def _escape_start(text: str) -> str:
    """A paragraph must not turn into a heading, quote or list by its first characters."""
    return re.sub(r"^(#{1,6}\s|>|[-+*]\s|\d+[.)]\s)", r"\\\1", text)
