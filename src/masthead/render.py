"""Stage 4 — render: the assembled issue through the theme's templates into documents."""

from __future__ import annotations

from dataclasses import dataclass

from masthead.model import Article, Issue, Section
from masthead.theme import Theme


@dataclass(frozen=True)
class Document:
    """One rendered file of the EPUB, like "night-walkers.xhtml"."""

    file_name: str
    title: str
    content: str
    linear: bool = True


@dataclass(frozen=True)
class RenderedEpub:
    documents: tuple[Document, ...]  # In spine order: cover, contents, articles.
    nav: str
    ncx: str
    stylesheet: str


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


def theme_for(issue: Issue) -> Theme:
    return Theme(issue.publication.template_dirs, issue.publication.language)


def places(issue: Issue) -> list[ArticlePlace]:
    flat = [(a, s) for s in issue.sections for a in s.articles]
    return [
        ArticlePlace(
            article=a,
            section=s,
            position=i + 1,
            total=len(flat),
            previous=flat[i - 1][0] if i > 0 else None,
            next=flat[i + 1][0] if i + 1 < len(flat) else None,
        )
        for i, (a, s) in enumerate(flat)
    ]


def _context(issue: Issue) -> dict[str, object]:
    titles = {a.id: a.title for a in issue.articles}
    return {
        "issue": issue,
        "publication": issue.publication,
        "info": issue.info,
        "lang": issue.publication.language,
        "sections": issue.sections,
        "articles": issue.articles,
        "titles": titles,
        "cover_lines": issue.info.cover_lines or tuple(a.title for a in issue.articles[:3]),
    }


def render_epub(issue: Issue, theme: Theme | None = None) -> RenderedEpub:
    theme = theme or theme_for(issue)
    ctx = _context(issue)
    docs = [
        Document("cover.xhtml", "Cover", theme.render("epub/cover.xhtml", **ctx)),
        Document("contents.xhtml", "Contents", theme.render("epub/contents.xhtml", **ctx)),
    ]
    for place in places(issue):
        docs.append(
            Document(
                f"{place.article.id}.xhtml",
                place.article.title,
                theme.render("epub/article.xhtml", place=place, article=place.article, **ctx),
            )
        )
    return RenderedEpub(
        documents=tuple(docs),
        nav=theme.render("epub/nav.xhtml", **ctx),
        ncx=theme.render("epub/toc.ncx", **ctx),
        stylesheet=theme.render("epub/style.css", **ctx),
    )


def render_pdf(issue: Issue, page_size: str, theme: Theme | None = None) -> RenderedPdf:
    theme = theme or theme_for(issue)
    ctx = _context(issue)
    css = theme.render("pdf/style.css", page_size=page_size, **ctx)
    html = theme.render("pdf/issue.html", places=places(issue), stylesheet=css, **ctx)
    return RenderedPdf(html=html)
