"""Stage 2 — normalise: front matter interpreted, Markdown rendered and cleaned, images resolved."""

from __future__ import annotations

import datetime as dt
import functools
import re
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import lxml.html
import nh3
from lxml import etree
from markdown_it import MarkdownIt
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from PIL import Image as PILImage
from PIL import UnidentifiedImageError

from masthead.compose.blocks import make_callouts, replace_media
from masthead.compose.links import (
    LinkContext,
    body_line,
    resolve_links,
    scan_hrefs,
    site_image,
)
from masthead.compose.people import people
from masthead.compose.typeset import highlight, mark_lead_ins, mark_numeric_columns
from masthead.compose.typography import fix_elisions_in, quotes_for
from masthead.errors import InputError
from masthead.model import Article, Asset, BuildWarning, Image, RawArticle, RelatedLink
from masthead.sources.frontmatter import article_date
from masthead.sources.templating import expand_templates
from masthead.text import slugify

KNOWN_KEYS = {
    "title",
    "subtitle",
    "dek",
    "authors",
    "author",
    "date",
    "tags",
    "summary",
    "description",
    "image",
    "image_alt",
    "image_caption",
    "image_credit",
    "related",
    "url",
    "slug",
}
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
}
# Tags and attributes an article body may carry; everything else (script, style, iframe, form,
# event handlers) is dropped so no output is "scripted" or fetches remote content.
ALLOWED_TAGS = set(nh3.ALLOWED_TAGS) - {"map", "area", "center", "acronym", "tt", "strike"} | {
    "section",
    "figure",
    "figcaption",
    "sup",
    "sub",
    "hr",
}
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"id", "class", "title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "style"},
    "th": {"colspan", "rowspan", "scope", "style"},
    "ol": {"start", "reversed", "type"},
    "code": {"class"},
    "time": {"datetime"},
}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
URL_SCHEMES = {"http", "https", "mailto", "ftp", "tel"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def markdown_renderer(language: str = "en") -> MarkdownIt:
    md = MarkdownIt(
        "commonmark", {"html": True, "typographer": True, "quotes": quotes_for(language)}
    )
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.use(footnote_plugin)
    md.use(deflist_plugin)  # "Term\n: definition" (Hugo's Goldmark, kramdown, PHP Markdown Extra).
    # Every link becomes <a>, whatever its scheme: compose/links.py then says which addresses
    # are followed and which (javascript:…) become plain text, instead of raw Markdown showing.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    return md


@functools.lru_cache(maxsize=8)
def _markdown(language: str) -> MarkdownIt:
    return markdown_renderer(language)


def article_ids(
    raws: tuple[RawArticle, ...], warnings: list[BuildWarning] | None = None
) -> dict[Path, str]:
    """Unique ids for every article: `slug`, else the file name (bundle folder for index.md).
    Two articles with the same `slug` get "-2", "-3"…, and a warning (into `warnings`)."""
    ids: dict[Path, str] = {}
    used: dict[str, Path] = {}
    for raw in raws:
        base = raw.meta.get("slug") or (
            raw.path.parent.name if raw.path.stem == "index" else raw.path.stem
        )
        slug = slugify(str(base), "article")
        if slug[0].isdigit():
            slug = f"a-{slug}"  # XML ids cannot start with a digit.
        if slug in {"cover", "contents", "nav", "toc", "style", "images"}:
            slug = f"{slug}-article"
        if slug in used:
            n = 2
            while f"{slug}-{n}" in used:
                n += 1
            if raw.meta.get("slug") and warnings is not None:
                warnings.append(
                    BuildWarning(
                        f"duplicate slug '{slug}' (also {used[slug]}): this article is "
                        f"'{slug}-{n}'",
                        raw.path,
                        raw.meta_line("slug"),
                    )
                )
            slug = f"{slug}-{n}"
        used[slug] = raw.path
        ids[raw.path] = slug
    return ids


def normalise(
    raw: RawArticle,
    ids: dict[Path, str],
    links: LinkContext | None = None,
    language: str = "en",
) -> tuple[Article, list[BuildWarning]]:
    """Turn one raw article into an Article; warnings are returned, never printed. `links`
    tells where links can point (the issue's articles, the static site it came from);
    `language` chooses the quotation marks."""
    links = links or LinkContext(ids)
    meta = dict(raw.meta)
    warnings: list[BuildWarning] = []
    article_id = ids[raw.path]
    body, template_warnings, read_files = expand_templates(raw, links.site)
    warnings.extend(template_warnings)
    body = _CONTROL.sub("", body)

    title = _text(meta, "title", raw)
    if not title:
        match = re.match(r"\s*#\s+(.+?)\s*#*\s*(\n|$)", body)
        if not match:
            raise InputError(
                "has no title",
                raw.path,
                1,
                "add `title` to the front matter or start the body with a `# Heading`",
            )
        title = match.group(1).strip()
        body = body[match.end() :]

    authors: list[str]
    if "authors" in meta:
        value = meta["authors"]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
            raise InputError(
                "`authors` must be a list of names",
                raw.path,
                raw.meta_line("authors"),
                'write authors = ["Ada Lovelace"]',
            )
        authors = [a.strip() for a in value if a.strip()]
    elif "author" in meta:
        authors = [_text(meta, "author", raw)]
    else:
        authors = []
    named = [person for value in authors for person in people(value)]
    authors = [name for name, _ in named]
    roles = [role for _, role in named]

    tags = meta.get("tags", [])
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",")]
    if not isinstance(tags, list):
        raise InputError("`tags` must be a list", raw.path, raw.meta_line("tags"))

    assets: dict[str, Asset] = {}
    lead_image = None
    if not meta.get("image") and (meta.get("image_caption") or meta.get("image_credit")):
        lead_image = Image(
            None, "", _text(meta, "image_caption", raw), _text(meta, "image_credit", raw)
        )
    if meta.get("image"):
        src = _text(meta, "image", raw)
        asset = _asset(src, raw, article_id, assets, raw.meta_line("image"), links)
        if asset is None:
            warnings.append(
                BuildWarning(
                    f"lead image is not a local file, skipped: {src}",
                    raw.path,
                    raw.meta_line("image"),
                )
            )
        else:
            alt = _text(meta, "image_alt", raw)
            if not alt:
                warnings.append(
                    BuildWarning(
                        "lead image has no `image_alt` text", raw.path, raw.meta_line("image")
                    )
                )
            lead_image = Image(
                asset, alt, _text(meta, "image_caption", raw), _text(meta, "image_credit", raw)
            )

    html = _markdown(language).render(body)
    html = replace_media(html, raw, warnings)
    scan_hrefs(html, raw, warnings)
    html = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        link_rel=None,
        url_schemes=URL_SCHEMES,
        strip_comments=True,
    )
    tree = lxml.html.fragment_fromstring(html, create_parent="div")
    make_callouts(tree)
    missing_alt = _clean_tree(tree, raw, article_id, links, assets, warnings)
    fix_elisions_in(tree, language)
    word_count = len(tree.text_content().split())
    highlight(tree)
    mark_numeric_columns(tree)
    mark_lead_ins(tree)
    body_xhtml, body_html = _serialise(tree, ids)

    extra = {k: v for k, v in meta.items() if k not in KNOWN_KEYS}
    article = Article(
        id=article_id,
        title=title,
        source=raw.path,
        section=raw.section,
        dek=_text(meta, "dek", raw) or _text(meta, "subtitle", raw),
        authors=tuple(authors),
        author_roles=tuple(roles) if any(roles) else (),
        date=article_date(raw),
        tags=tuple(str(t) for t in tags if str(t).strip()),
        summary=_text(meta, "summary", raw) or _text(meta, "description", raw),
        url=_text(meta, "url", raw),
        lead_image=lead_image,
        related=_related(meta.get("related"), raw),
        body_xhtml=body_xhtml,
        body_html=body_html,
        assets=tuple(assets.values()),
        word_count=word_count,
        missing_alt=missing_alt,
        read_files=tuple(read_files),
        extra=extra,
    )
    return article, warnings


def _text(meta: dict[str, Any], key: str, raw: RawArticle) -> str:
    value = meta.get(key)
    if value is None:
        return ""
    if isinstance(value, dt.date | int | float) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise InputError(f"`{key}` must be text", raw.path, raw.meta_line(key))
    return value.strip()


def _related(value: Any, raw: RawArticle) -> tuple[RelatedLink, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InputError(
            "`related` must be a list",
            raw.path,
            raw.meta_line("related"),
            "list titles, or tables with `title` and `url`",
        )
    items: list[RelatedLink] = []
    for entry in value:
        slug = ""
        if isinstance(entry, str):
            title, url = entry, ""
        elif isinstance(entry, dict) and any(
            isinstance(entry.get(k), str) for k in ("title", "slug", "url")
        ):
            # An article of the archive may be named by its slug or address alone.
            slug = str(entry.get("slug") or "").strip()
            url = str(entry.get("url") or "")
            title = str(entry.get("title") or slug or url)
        else:
            raise InputError(
                f"a `related` item is neither a title nor a table with `title`: {entry!r}",
                raw.path,
                raw.meta_line("related"),
            )
        url = url.strip()
        if url in ("#", "") or urlsplit(url).scheme not in URL_SCHEMES:
            url = ""
        if title.strip():
            items.append(RelatedLink(title=title.strip(), url=url, slug=slug))
    return tuple(items)


def _asset(
    src: str,
    raw: RawArticle,
    article_id: str,
    assets: dict[str, Asset],
    line: int | None,
    links: LinkContext | None = None,
) -> Asset | None:
    """Resolve a relative image reference to a file; None for remote images."""
    parts = urlsplit(src)
    if parts.scheme or src.startswith("//"):
        return None
    path = site_image(src, raw, line, links) or (raw.path.parent / unquote(parts.path)).resolve()
    suffix = path.suffix.lower()
    if suffix not in IMAGE_TYPES:
        raise InputError(
            f"unsupported image type: {src}", raw.path, line, "use PNG, JPEG, GIF, SVG or WebP"
        )
    if not path.is_file():
        raise InputError(
            f"image not found: {src}",
            raw.path,
            line,
            "check the file name (relative to the article)",
        )
    extension = ".jpg" if suffix == ".jpeg" else suffix
    href = f"images/{article_id}-{slugify(path.stem, 'image')}{extension}"
    if href not in assets:
        width = height = None
        if suffix != ".svg":
            try:
                with PILImage.open(path) as im:
                    width, height = im.size
            except (UnidentifiedImageError, OSError) as exc:
                raise InputError(
                    f"image cannot be read: {src}",
                    raw.path,
                    line,
                    "replace it with a valid image file",
                ) from exc
        assets[href] = Asset(path, href, IMAGE_TYPES[suffix], width, height)
    return assets[href]


def _clean_tree(
    tree: lxml.html.HtmlElement,
    raw: RawArticle,
    article_id: str,
    links: LinkContext,
    assets: dict[str, Asset],
    warnings: list[BuildWarning],
) -> int:
    prefix = f"{article_id}--"
    # Every id is prefixed with the article's, so ids stay unique in the one-document PDF.
    # Headings get ids the way Markdown sites make them, so "#some-heading" links keep working.
    anchors: dict[str, str] = {}
    used: set[str] = set()
    for el in tree.iter():
        original = el.get("id")
        if not original and (el.tag in HEADINGS or el.tag == "dt"):  # Hugo names terms too.
            original = el.text_content()
        if not original:
            continue
        new_id = prefix + slugify(original, "x")
        while new_id in used:
            new_id += "-1"
        used.add(new_id)
        el.set("id", new_id)
        for alias in (original, slugify(original), _github_slug(original)):
            anchors.setdefault(alias, new_id)

    resolve_links(tree, raw, links, anchors, warnings)

    missing_alt = 0
    for img in list(tree.iter("img")):
        src = (img.get("src") or "").strip()
        alt = (img.get("alt") or "").strip()
        line = body_line(raw, src)
        asset = _asset(src, raw, article_id, assets, line, links) if src else None
        if asset is None:
            # Remote or empty: outputs stay offline, so keep the words and the address.
            note = lxml.html.Element("span", {"class": "remote-image"})
            note.text = f"[Image: {alt or 'untitled'}]"
            if src:
                warnings.append(
                    BuildWarning(f"remote image not included: {src}", raw.path, body_line(raw, src))
                )
            note.tail = img.tail
            img.getparent().replace(img, note)
            continue
        img.set("src", asset.href)
        img.set("alt", alt)
        if not alt:
            missing_alt += 1
            warnings.append(
                BuildWarning(
                    f"image has no alt text: {src} (describe it in ![…](…))",
                    raw.path,
                    body_line(raw, src),
                )
            )
        if asset.width and asset.height:
            img.set("width", str(asset.width))
            img.set("height", str(asset.height))
        parent = img.getparent()
        if asset.width and asset.width >= 300:
            img.set("class", ((img.get("class") or "") + " wide").strip())
        # A paragraph holding only an image becomes a figure (caption from the image title).
        if (
            parent.tag == "p"
            and len(parent) == 1
            and not (parent.text or "").strip()
            and not (img.tail or "").strip()
        ):
            parent.tag = "figure"
            parent.set("class", "figure")
            title = img.attrib.pop("title", "")
            if title:
                caption = etree.SubElement(parent, "figcaption")
                caption.text = title

    _fix_headings(tree)
    for table in list(tree.iter("table")):
        wrapper = lxml.html.Element("div", {"class": "table-wrap"})
        table.addprevious(wrapper)
        wrapper.append(table)
    _anchor_blocks(tree, prefix, used)
    for sec in tree.iter("section"):
        if "footnotes" in (sec.get("class") or ""):
            sec.set("role", "doc-endnotes")
    for sup in tree.iter("sup"):
        if "footnote-ref" in (sup.get("class") or ""):
            for a in sup.iter("a"):
                a.set("role", "doc-noteref")
    for a in tree.iter("a"):
        if "footnote-backref" in (a.get("class") or ""):
            a.set("role", "doc-backlink")
            a.set("title", "Back to text")
    return missing_alt


# Blocks that get an id, so the PDF's page breaks can be mapped to places in the EPUB.
ANCHORED_BLOCKS = {"p", "li", "figure", "pre", "blockquote", "div", "h2", "h3", "h4", "h5", "h6"}


def _anchor_blocks(tree: lxml.html.HtmlElement, prefix: str, used: set[str]) -> None:
    count = 0
    for el in tree.iterdescendants():
        if el.tag in ANCHORED_BLOCKS and not el.get("id"):
            count += 1
            while f"{prefix}b{count}" in used:
                count += 1
            el.set("id", f"{prefix}b{count}")


def _github_slug(text: str) -> str:
    """The anchor GitHub and most static site generators give a heading."""
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def _fix_headings(tree: lxml.html.HtmlElement) -> None:
    """Body headings start at h2 (the title is h1) and never skip a level."""
    headings = [el for el in tree.iter() if el.tag in HEADINGS]
    if not headings:
        return
    # Shift so the body's highest level becomes h2; siblings keep one level between them.
    shift = 2 - min(int(el.tag[1]) for el in headings)
    previous = 1
    for el in headings:
        wanted = max(2, min(int(el.tag[1]) + shift, previous + 1, 6))
        el.tag = f"h{wanted}"
        previous = wanted


def _serialise(tree: lxml.html.HtmlElement, ids: dict[Path, str]) -> tuple[str, str]:
    """The same tree as XHTML (EPUB: links to other files) and HTML (PDF: one document)."""
    links = [a for a in tree.iter("a") if a.get("data-article")]
    for a in links:
        a.set("href", f"{a.attrib.pop('data-article')}.xhtml")
    xhtml = _inner(tree, "xml")
    for a in links:
        a.set("href", "#" + a.get("href").removesuffix(".xhtml"))
    html = _inner(tree, "html")
    return xhtml, html


def _inner(tree: lxml.html.HtmlElement, method: str) -> str:
    parts = [escape(tree.text, quote=False)] if tree.text else []
    parts += [etree.tostring(c, method=method, encoding="unicode", with_tail=True) for c in tree]
    return "".join(parts)
