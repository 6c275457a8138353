"""Stage 2 — normalise: front matter interpreted, Markdown rendered and cleaned, images resolved."""

from __future__ import annotations

import datetime as dt
import functools
import re
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import lxml.html
import nh3
from lxml import etree
from markdown_it import MarkdownIt
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin

from masthead.compose.blocks import make_callouts, replace_media
from masthead.compose.images import (
    ArticleImages,
    ImageRules,
    is_remote,
    place_body_images,
)
from masthead.compose.links import (
    LinkContext,
    resolve_links,
    scan_hrefs,
)
from masthead.compose.people import people
from masthead.compose.typeset import highlight, mark_lead_ins, mark_numeric_columns
from masthead.compose.typography import fix_elisions_in, quotes_for
from masthead.errors import InputError
from masthead.language import LanguageTagError, check_tag
from masthead.model import Article, BuildWarning, Image, RawArticle, RelatedLink
from masthead.sources.frontmatter import article_date
from masthead.sources.templating import expand_templates
from masthead.text import count_words, slugify

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
    "language",
    "lang",
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
    rules: ImageRules | None = None,
    language: str = "en",
) -> tuple[Article, list[BuildWarning]]:
    """Turn one raw article into an Article; warnings are returned, never printed. `links`
    tells where links can point (the issue's articles, the static site it came from); `rules`
    what the build asks of images (compose/images.py); `language` chooses the quotation marks."""
    links = links or LinkContext(ids)
    rules = rules or ImageRules()
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

    images = ArticleImages(raw, article_id, rules, warnings, links)
    lead_image = _lead_image(meta, raw, images)

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
    missing_alt = _clean_tree(tree, raw, article_id, links, images)
    fix_elisions_in(tree, language)
    word_count = count_words(tree.text_content())
    highlight(tree)
    mark_numeric_columns(tree)
    mark_lead_ins(tree)
    body_xhtml, body_html = _serialise(tree, ids)

    extra = {k: v for k, v in meta.items() if k not in KNOWN_KEYS}
    if lead_image is None:
        # A caption or credit whose picture is not there stays with the article's data, unprinted.
        extra.update({k: meta[k] for k in ("image_caption", "image_credit") if meta.get(k)})
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
        assets=tuple(images.assets.values()),
        word_count=word_count,
        missing_alt=missing_alt,
        read_files=tuple(read_files),
        language=_language(meta, raw),
        extra=extra,
    )
    return article, warnings


def _language(meta: dict[str, Any], raw: RawArticle) -> str:
    """Front matter `language` (or `lang`, as Jekyll and Hugo write it), checked as BCP 47."""
    key = "language" if "language" in meta else "lang"
    value = _text(meta, key, raw)
    if not value:
        return ""
    try:
        return check_tag(value)
    except LanguageTagError as exc:
        raise InputError(
            f"`{key}` {exc}",
            raw.path,
            raw.meta_line(key),
            "use a BCP 47 language tag, like en, en-GB, pt-BR, ar, fa or zh-Hant",
        ) from exc


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


def _lead_image(meta: dict[str, Any], raw: RawArticle, images: ArticleImages) -> Image | None:
    """The `image` of the front matter, with its words; None when there is none (a caption or
    credit without a picture gets a warning: printed alone it would read as part of the byline)."""
    src = _text(meta, "image", raw)
    if not src:
        for key in ("image_caption", "image_credit"):
            if _text(meta, key, raw):
                images.warnings.append(
                    BuildWarning(
                        f"`{key}` without an `image`: not printed", raw.path, raw.meta_line(key)
                    )
                )
                break
        return None
    line = raw.meta_line("image")
    if is_remote(src):
        images.warnings.append(
            BuildWarning(f"lead image is not a local file, skipped: {src}", raw.path, line)
        )
        return None
    asset = images.use(src, line, "lead")
    alt = _text(meta, "image_alt", raw)
    if not alt:
        images.warnings.append(BuildWarning("lead image has no `image_alt` text", raw.path, line))
    return Image(asset, alt, _text(meta, "image_caption", raw), _text(meta, "image_credit", raw))


def _clean_tree(
    tree: lxml.html.HtmlElement,
    raw: RawArticle,
    article_id: str,
    links: LinkContext,
    images: ArticleImages,
) -> int:
    warnings = images.warnings
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

    missing_alt = place_body_images(tree, images)

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
