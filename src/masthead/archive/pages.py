"""The archive's HTML pages, through the theme's `archive/*.html` templates (a publication
overrides any of them by file name, like every other template)."""

from __future__ import annotations

from masthead.archive.views import Group, Site
from masthead.render.theme import Theme


def _root(path: str) -> str:
    """The way back to the archive folder from a page at `path`."""
    return "../" * path.count("/")


def render_pages(site: Site, theme: Theme) -> dict[str, bytes]:
    """Every page of the archive, by path inside the archive folder."""
    publication = site.archive.publication
    common = {"site": site, "publication": publication, "lang": publication.language}
    pages: dict[str, str] = {}

    def page(path: str, template: str, **context: object) -> None:
        pages[path] = theme.render(f"archive/{template}", root=_root(path), **common, **context)

    page("index.html", "home.html")
    for issue in site.issues:
        page(issue.href, "issue.html", issue=issue)
        for article in issue.articles:
            page(article.href, "article.html", article=article, issue=issue)
    for kind, groups, title in (
        ("authors", site.authors, "Authors"),
        ("tags", site.tags, "Topics"),
    ):
        page(f"{kind}.html", "groups.html", kind=kind, groups=groups, title=title)
        for group in groups:
            page(group.href, "group.html", kind=kind, group=group, title=_group_title(kind, group))
    files = {path: html.encode() for path, html in pages.items()}
    files["style.css"] = theme.render("archive/style.css", **common).encode()
    return files


def _group_title(kind: str, group: Group) -> str:
    return group.name if kind == "authors" else f"Topic: {group.name}"
