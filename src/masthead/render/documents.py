"""Stage 4 — render: the assembled issue through the theme's templates into documents."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from lxml import etree

from masthead.language import direction
from masthead.model import Article, Issue, PageStart, PageTarget, Section
from masthead.render.codestyle import code_css, night_code_css
from masthead.render.scripts import isolate_latin
from masthead.render.theme import Theme


@dataclass(frozen=True)
class Document:
    """One rendered file of the EPUB, like "night-walkers.xhtml"."""

    file_name: str
    title: str
    content: str


@dataclass(frozen=True)
class RenderedEpub:
    documents: tuple[Document, ...]  # In spine order: cover, contents, articles, colophon.
    nav: str
    ncx: str
    stylesheet: str
    title: str = ""  # The issue's full title in its language ("" for Issue.full_title).
    direction: str = "ltr"  # Page progression: "rtl" for an issue in Arabic, Hebrew…


@dataclass(frozen=True)
class RenderedPdf:
    html: str  # One document: cover, contents, every article; CSS inline.


@dataclass(frozen=True)
class ArticlePlace:
    """Where an article stands in the issue, for "3 of 12" and previous/next links."""

    article: Article
    section: Section
    position: int  # 1-based across the whole issue.
    total: int
    previous: Article | None
    next: Article | None
    opens: bool = True  # Starts a page of the PDF (article_break "auto"); see opens_page.
    long: bool = False  # At least LONG_WORDS: runs on only where half a page is left.
    lang: str = "en"  # The article's language (its own, else the issue's).
    dir: str = "ltr"  # Its direction: "rtl" for Arabic, Persian, Hebrew, Urdu…

    @property
    def own_language(self) -> bool:
        """Whether the article is in another language than the issue (set `lang` on it)."""
        return bool(self.article.language)


# A piece this long (words) runs on only where half the page is left (a short one: a third).
LONG_WORDS = 1500


def opens_page(article: Article) -> bool:
    """Whether an article starts a page when breaks are "auto": a feature (front matter
    `feature: true`, or lead art) does; other pieces run on after the one before, a long one
    where half a page is left. `feature: false` runs any piece on.

    Long pieces without art do not always take a new page: that left the page before them
    nearly empty too often (7 of 69 pages of rust-blog-2018 under a third full)."""
    feature = article.extra.get("feature")
    if isinstance(feature, bool):
        return feature
    return article.lead_image is not None and article.lead_image.asset is not None


def theme_for(issue: Issue, bytecode_dir: Path | None = None) -> Theme:
    labels = issue.publication.extra.get("labels")
    return Theme(issue.publication.template_dirs, issue.language, bytecode_dir, labels)


def places(issue: Issue) -> list[ArticlePlace]:
    flat = [(_in_direction(a, issue), s) for s in issue.sections for a in s.articles]
    return [
        ArticlePlace(
            article=a,
            section=s,
            position=i + 1,
            total=len(flat),
            previous=flat[i - 1][0] if i > 0 else None,
            next=flat[i + 1][0] if i + 1 < len(flat) else None,
            opens=i == 0 or opens_page(a),
            long=a.word_count >= LONG_WORDS,
            lang=a.language or issue.language,
            dir=direction(a.language or issue.language),
        )
        for i, (a, s) in enumerate(flat)
    ]


def _in_direction(article: Article, issue: Issue) -> Article:
    """A right-to-left article with its Latin names isolated (render/scripts.py)."""
    if direction(article.language or issue.language) != "rtl":
        return article
    return replace(
        article,
        body_xhtml=isolate_latin(article.body_xhtml),
        body_html=isolate_latin(article.body_html),
    )


def context(issue: Issue) -> dict[str, object]:
    titles = {a.id: a.title for a in issue.articles}
    return {
        "issue": issue,
        "publication": issue.publication,
        "info": issue.info,
        "lang": issue.language,
        "dir": direction(issue.language),
        "sections": issue.sections,
        "articles": issue.articles,
        "titles": titles,
        "cover_lines": issue.info.cover_lines or tuple(a.title for a in issue.articles[:3]),
        "code_css": code_css(),
        "night_code_css": night_code_css(),
    }


COVER_HREF = "images/cover.jpg"
EPUB_NS = "http://www.idpf.org/2007/ops"
XHTML_NS = "http://www.w3.org/1999/xhtml"


def page_targets(issue: Issue, page_map: tuple[PageStart, ...]) -> tuple[PageTarget, ...]:
    """Map each PDF page's first element to the EPUB file and element that holds it."""
    places_by_anchor: dict[str, tuple[str, str]] = {
        "cover": ("cover.xhtml", "cover"),
        "contents-title": ("contents.xhtml", "contents-title"),
    }
    for article in issue.articles:
        file_name = f"{article.id}.xhtml"
        places_by_anchor[article.id] = (file_name, f"{article.id}-title")
        places_by_anchor[f"{article.id}-related"] = (file_name, f"{article.id}-related")
    prefixes = {f"{a.id}--": f"{a.id}.xhtml" for a in issue.articles}
    targets: list[PageTarget] = []
    for start in page_map:
        place = places_by_anchor.get(start.anchor)
        if place is None:
            prefix = start.anchor.split("--", 1)[0] + "--"
            if prefix in prefixes:
                place = (prefixes[prefix], start.anchor)
        if place is None and targets:
            place = (targets[-1].file_name, targets[-1].element_id)
        if place is not None:
            targets.append(PageTarget(start.page, *place))
    return tuple(targets)


def cover_alt(issue: Issue, cover_lines: tuple[str, ...], title: str = "") -> str:
    """The cover image's alt text: everything the cover says (`title`: the full title in the
    issue's language)."""
    parts = [title or issue.full_title]
    if issue.publication.tagline:
        parts.append(issue.publication.tagline)
    parts.extend(cover_lines)
    return ". ".join(p.rstrip(".") for p in parts) + "."


def render_epub(
    issue: Issue, theme: Theme | None = None, pages: tuple[PageTarget, ...] = ()
) -> RenderedEpub:
    theme = theme or theme_for(issue)
    ctx = context(issue)
    title = theme.full_title(issue)
    ctx.update(
        pages=pages,
        cover_href=COVER_HREF,
        cover_alt=cover_alt(issue, ctx["cover_lines"], title),  # type: ignore[arg-type]
    )
    labels = theme.labels
    docs = [
        Document("cover.xhtml", labels.label("cover"), theme.render("epub/cover.xhtml", **ctx)),
        Document(
            "contents.xhtml",
            labels.label("contents_head"),
            theme.render("epub/contents.xhtml", **ctx),
        ),
    ]
    for place in places(issue):
        docs.append(
            Document(
                f"{place.article.id}.xhtml",
                place.article.title,
                theme.render("epub/article.xhtml", place=place, article=place.article, **ctx),
            )
        )
    docs.append(Document("colophon.xhtml", "Colophon", theme.render("epub/colophon.xhtml", **ctx)))
    if pages:
        docs = [_with_page_markers(doc, pages) for doc in docs]
    return RenderedEpub(
        documents=tuple(docs),
        nav=theme.render("epub/nav.xhtml", **ctx),
        ncx=theme.render("epub/toc.ncx", **ctx),
        stylesheet=theme.render("epub/style.css", **ctx),
        title=title,
        direction=direction(issue.language),
    )


# Elements whose children may not be a <span>: the marker goes inside the item instead.
_LIST_PARENTS = {"ol", "ul", "dl", "table", "thead", "tbody", "tr"}


def _with_page_markers(doc: Document, pages: tuple[PageTarget, ...]) -> Document:
    """Insert `<span role="doc-pagebreak">` markers where each PDF page begins."""
    mine = [p for p in pages if p.file_name == doc.file_name]
    if not mine:
        return doc
    tree = etree.ElementTree(etree.fromstring(doc.content.encode("utf-8")))
    root = tree.getroot()
    by_id = {el.get("id"): el for el in root.iter() if el.get("id")}
    for target in mine:
        element = by_id.get(target.element_id)
        if element is None:
            continue
        marker = etree.Element(
            f"{{{XHTML_NS}}}span",
            {
                "id": target.marker_id,
                f"{{{EPUB_NS}}}type": "pagebreak",
                "role": "doc-pagebreak",
                "aria-label": str(target.page),
            },
        )
        parent = element.getparent()
        local = etree.QName(parent).localname if parent is not None else ""
        if etree.QName(element).localname == "section" or local in _LIST_PARENTS:
            marker.tail = element.text
            element.text = None
            element.insert(0, marker)
        else:
            element.addprevious(marker)
    content = etree.tostring(tree, encoding="utf-8", xml_declaration=True).decode("utf-8")
    return replace(doc, content=content)


def render_pdf(issue: Issue, page_size: str, theme: Theme | None = None) -> RenderedPdf:
    theme = theme or theme_for(issue)
    ctx = context(issue)
    css = theme.render("pdf/style.css", page_size=page_size, **ctx)
    html = theme.render("pdf/issue.html", places=places(issue), stylesheet=css, **ctx)
    return RenderedPdf(html=html)
