"""Import a saved web page: metadata from meta tags and JSON-LD, the article through trafilatura,
sanitised with nh3, written as Markdown and then cleaned by the text importer's rules."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import lxml.html
import nh3
from lxml import etree

from masthead.errors import InputError
from masthead.sources.clues import parse_date, split_credit
from masthead.sources.crawled import ImportedArticle, ImportSettings
from masthead.sources.html_markdown import local_path, to_markdown
from masthead.sources.patterns import RELATED_HEADING, plain
from masthead.sources.text_import import import_text

# What may reach the extractor: structure and text only. Scripts, styles, iframes, forms, embeds
# and every attribute but these (so no on* handlers) are removed before anything reads the page.
PAGE_TAGS = {
    "html",
    "body",
    "main",
    "article",
    "section",
    "header",
    "footer",
    "nav",
    "aside",
    "div",
    "span",
    "p",
    "br",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "q",
    "cite",
    "pre",
    "code",
    "em",
    "i",
    "strong",
    "b",
    "u",
    "s",
    "del",
    "ins",
    "mark",
    "small",
    "sub",
    "sup",
    "abbr",
    "time",
    "a",
    "img",
    "figure",
    "figcaption",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "caption",
}
DROPPED_WITH_CONTENT = {
    "script",
    "style",
    "iframe",
    "form",
    "noscript",
    "template",
    "object",
    "embed",
    "svg",
    "math",
    "button",
    "select",
    "textarea",
    "head",
    "title",
    "canvas",
    "video",
    "audio",
    "frameset",
}
PAGE_ATTRIBUTES = {
    "*": {"class", "id", "itemprop", "datetime"},
    "a": {"href", "rel"},
    "img": {"src", "alt", "title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
URL_SCHEMES = {"http", "https", "mailto"}
ARTICLE_TYPES = re.compile(r"(Article|BlogPosting|Posting|Report)$")


def sanitise(html: str) -> str:
    """The page with only harmless structure left (nh3, the same sanitiser the build uses)."""
    return nh3.clean(
        html,
        tags=PAGE_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=PAGE_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )


def import_html(html: str, path: Path, settings: ImportSettings | None = None) -> ImportedArticle:
    """One saved web page → an imported article (see importer.import_text for the rules)."""
    if not html.strip():
        raise InputError(
            "is empty: there is no page to import", path, hint="give the saved HTML of an article"
        )
    try:
        page = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        raise InputError(
            f"cannot be read as HTML ({exc})", path, hint="give the saved HTML of an article"
        ) from exc
    meta = page_metadata(page, _trafilatura_metadata(html))
    clean = sanitise(html)
    related = _related_links(clean, meta.get("url", ""))
    body_html = _extract(clean)
    markdown = to_markdown(body_html, path, meta.get("url", ""))
    lead = _lead_image(meta, clean, path)
    if lead.get("image"):
        markdown = _drop_first_image(markdown, lead["image"])
    known = {**meta, **lead}
    known.pop("image_url_local", None)
    if related:
        known["related"] = related
    if not markdown.strip() and not known.get("title"):
        raise InputError("holds no article text", path, hint="give the saved page of an article")
    return import_text(markdown or "\n", path, settings, known=known)


def _trafilatura_metadata(html: str) -> dict[str, Any]:
    from trafilatura import extract_metadata

    try:
        found = extract_metadata(html)
    except (ValueError, TypeError):  # Pages it cannot parse: the page's own tags still count.
        return {}
    return {k: v for k, v in (found.as_dict() if found else {}).items() if isinstance(v, str)}


def _extract(clean: str) -> str:
    import trafilatura  # Imported here: it is slow to import and only HTML needs it.

    extracted = trafilatura.extract(
        clean,
        output_format="html",
        include_links=True,
        include_images=True,
        include_formatting=True,
        include_tables=True,
        include_comments=False,
        favor_recall=True,
    )
    if extracted:
        return extracted
    # A very short page trafilatura will not call an article: keep its body, less the furniture.
    tree = lxml.html.fragment_fromstring(clean or "<p></p>", create_parent="div")
    for el in tree.xpath("//nav|//header|//footer|//aside"):
        el.drop_tree()
    return str(lxml.html.tostring(tree, encoding="unicode"))


# --- Metadata -----------------------------------------------------------------------------------


def page_metadata(page: lxml.html.HtmlElement, fallback: dict[str, Any]) -> dict[str, Any]:
    """title, authors, date, url, image_url, image_alt, image_caption, summary, tags — what the
    page says about itself in JSON-LD, then Open Graph / meta tags, then what trafilatura's
    metadata finds (`fallback`: it trims the site's name off <title>), then <h1> and <title>."""
    ld = _json_ld_article(page)
    metas: dict[str, str] = {}
    for el in page.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        value = (el.get("content") or "").strip()
        if key and value:
            metas.setdefault(key, value)
    links = {(el.get("rel") or "").lower(): el.get("href") or "" for el in page.iter("link")}
    meta: dict[str, Any] = {}

    title = _text(ld.get("headline")) or metas.get("og:title") or metas.get("twitter:title")
    title = title or fallback.get("title") or ""
    if not title:
        h1 = page.find(".//h1")
        title = h1.text_content() if h1 is not None else page.findtext(".//title") or ""
    if title := " ".join(title.split()):
        meta["title"] = title

    authors = _ld_names(ld.get("author"))
    if not authors:
        for key in (
            "author",
            "article:author",
            "byl",
            "dc.creator",
            "parsely-author",
            "sailthru.author",
        ):
            value = metas.get(key, "")
            if value and not value.startswith(("http://", "https://")):
                authors = [a.strip() for a in re.split(r"\s*(?:;|,|\band\b)\s*", value)]
                break
    if not authors and fallback.get("author"):
        authors = str(fallback["author"]).split(";")
    if authors := [re.sub(r"^by\s+", "", a.strip(), flags=re.I) for a in authors if a.strip()]:
        meta["authors"] = list(dict.fromkeys(authors))

    for value in (
        _text(ld.get("datePublished")),
        metas.get("article:published_time"),
        metas.get("date"),
        metas.get("pubdate"),
        metas.get("publishdate"),
        metas.get("dc.date"),
        metas.get("dcterms.created"),
        metas.get("parsely-pub-date"),
        _text(ld.get("dateCreated")),
        metas.get("og:updated_time"),
        *(t.get("datetime") for t in page.iter("time")),
        fallback.get("date"),
    ):
        date = _date(value)
        if date is not None:
            meta["date"] = date
            break

    entity = ld.get("mainEntityOfPage")
    entity_url = entity.get("@id") if isinstance(entity, dict) else entity
    for value in (links.get("canonical"), metas.get("og:url"), _text(ld.get("url")), entity_url):
        if isinstance(value, str) and urlsplit(value).scheme in ("http", "https"):
            meta["url"] = value.strip()
            break

    image, caption = _ld_image(ld.get("image"))
    image = image or metas.get("og:image") or metas.get("twitter:image") or ""
    if image:
        meta["image_url"] = urljoin(meta.get("url", ""), image)
        if alt := metas.get("og:image:alt") or metas.get("twitter:image:alt"):
            meta["image_alt"] = alt
        if caption:
            meta["image_caption"] = caption

    summary = (
        _text(ld.get("description")) or metas.get("description") or metas.get("og:description")
    )
    if summary:
        meta["summary"] = " ".join(summary.split())
    keywords = ld.get("keywords") or metas.get("keywords") or ""
    if isinstance(keywords, str):
        keywords = re.split(r"\s*,\s*", keywords)
    if not isinstance(keywords, list):
        keywords = []
    tags = [str(k).strip() for k in keywords if str(k).strip()]
    if tags:
        meta["tags"] = tags
    return meta


def _json_ld_article(page: lxml.html.HtmlElement) -> dict[str, Any]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            kinds = node.get("@type", [])
            kinds = [kinds] if isinstance(kinds, str) else kinds
            if any(isinstance(k, str) and ARTICLE_TYPES.search(k) for k in kinds):
                found.append(node)
            walk(node.get("@graph", []))

    for script in page.xpath('//script[@type="application/ld+json"]'):
        try:
            walk(json.loads(script.text or ""))
        except (ValueError, RecursionError):
            continue
    return found[0] if found else {}


def _text(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return value.strip() if isinstance(value, str) else ""


def _ld_names(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and name.strip():
            names.append(" ".join(name.split()))
    return names


def _ld_image(value: Any) -> tuple[str, str]:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str):
        return value, ""
    if isinstance(value, dict):
        url = value.get("url") or value.get("contentUrl") or ""
        return (url if isinstance(url, str) else ""), _text(value.get("caption"))
    return "", ""


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return parse_date(value)


def _related_links(clean: str, base: str) -> list[Any]:
    """A "Related articles" heading followed by a list of links, anywhere on the page."""
    tree = lxml.html.fragment_fromstring(clean or "<p></p>", create_parent="div")
    items: list[Any] = []
    for heading in tree.xpath("//h2|//h3|//h4|//h5|//h6|//p|//strong|//div[not(*)]|//span"):
        if not RELATED_HEADING.match(plain(heading.text_content()).rstrip(":").strip()):
            continue
        following = heading.getnext()
        if following is None or following.tag not in ("ul", "ol"):
            continue
        for a in following.iter("a"):
            title = " ".join(a.text_content().split())
            href = urljoin(base, a.get("href") or "") if base else a.get("href") or ""
            if title:
                items.append({"title": title, "url": href} if href.startswith("http") else title)
        if items:
            return items
    return items


def _lead_image(meta: dict[str, Any], clean: str, path: Path) -> dict[str, str]:
    """The page's lead image as front matter: a local file saved beside the page, if there is
    one (`image`), and its caption and credit from the page's <figure>."""
    url = meta.get("image_url", "")
    if not url:
        return {}
    name = Path(unquote(urlsplit(url).path)).name
    tree = lxml.html.fragment_fromstring(clean or "<p></p>", create_parent="div")
    for img in tree.iter("img"):
        src = img.get("src") or ""
        if not name or Path(unquote(urlsplit(src).path)).name != name:
            continue
        found: dict[str, str] = {}
        local = local_path(src, path)
        if local:
            found["image"] = local
            if alt := (img.get("alt") or "").strip():
                found.setdefault("image_alt", alt)
        figure = next((a for a in img.iterancestors() if a.tag == "figure"), None)
        caption = figure.find(".//figcaption") if figure is not None else None
        if caption is not None:
            text, credit = split_credit(" ".join(caption.text_content().split()))
            text = re.sub(r"\s*\b(?:photo|image)\s*:?\s*$", "", text, flags=re.I).strip()
            if text:
                found["image_caption"] = text
            if credit:
                found["image_credit"] = credit
        return found
    return {}


def _drop_first_image(markdown: str, src: str) -> str:
    pattern = re.compile(r"^!\[[^\]]*\]\(<?" + re.escape(src) + r">?\)\s*$", re.M)
    return pattern.sub("", markdown, count=1)


# --- HTML to Markdown ---------------------------------------------------------------------------
