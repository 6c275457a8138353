"""Links in an article's body: every address validated, links to other articles of the issue
pointed at them, links to other pages of a static site pointed at the published site, and
anything a reader cannot follow made plain text, with a warning naming the file and line."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import lxml.html
import rfc3986
from rfc3986 import exceptions as rfc_exceptions
from rfc3986 import validators

from masthead.errors import InputError
from masthead.model import BuildWarning, RawArticle, Site
from masthead.sources.sites import content_file, page_path, site_url, static_file
from masthead.text import slugify

# Addresses a reader's device can open; anything else (javascript:, data:, file:, vbscript:,
# app-specific schemes) becomes plain text.
WEB_SCHEMES = {"http", "https", "mailto", "ftp", "tel"}
_VALIDATOR = (
    validators.Validator()
    .require_presence_of("scheme")
    .check_validity_of("scheme", "userinfo", "host", "port", "path", "query", "fragment")
)
# Characters RFC 3986 never allows unencoded, which rfc3986's checks let through in paths.
_FORBIDDEN = re.compile(r"[\s<>\"{}|\\^`\x00-\x1f\x7f]")
_HREF = re.compile(r"""<a\b[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)


@dataclass(frozen=True)
class LinkContext:
    """What a body's links can point at: the issue's articles (by file and by their address on
    the site) and the site they came from."""

    ids: dict[Path, str]
    site: Site | None = None
    pages: dict[str, str] = field(default_factory=dict)  # Site path ("/a/b/") → article id.


def page_map(
    site: Site | None, raws: tuple[RawArticle, ...], ids: dict[Path, str]
) -> dict[str, str]:
    """Each article's address on its site (and its aliases), to find links to it."""
    if site is None:
        return {}
    pages: dict[str, str] = {}
    for raw in raws:
        article_id = ids[raw.path]
        pages.setdefault(_page_key(page_path(site, raw.path, raw.meta)), article_id)
        aliases = raw.meta.get("aliases") or raw.meta.get("redirect_from") or []
        for alias in [aliases] if isinstance(aliases, str) else aliases:
            if isinstance(alias, str) and alias.startswith("/"):
                pages.setdefault(_page_key(site.base_path + alias), article_id)
    return pages


def _page_key(path: str) -> str:
    path = unquote(path).lower()
    for ending in ("/index.html", ".html", "/"):
        path = path.removesuffix(ending)
    return path or "/"


def checked_url(url: str) -> str | None:
    """`url` as a valid absolute address (non-ASCII percent-encoded), or None."""
    url = url.strip()
    if not url or _FORBIDDEN.search(url):
        return None
    if not url.isascii():
        url = quote(url, safe="!#$%&'()*+,/:;=?@[]~-._")
    try:
        reference = rfc3986.uri_reference(url)
        _VALIDATOR.validate(reference)
    except (rfc_exceptions.RFC3986Exception, ValueError):
        return None
    scheme = (reference.scheme or "").lower()
    if scheme in ("http", "https", "ftp") and not reference.host:
        return None
    if scheme == "mailto" and "@" not in (reference.path or ""):
        return None
    if reference.port and not 0 < int(reference.port) < 65536:
        return None
    return url


def scan_hrefs(html: str, raw: RawArticle, warnings: list[BuildWarning]) -> None:
    """Warn about links to addresses no reader can follow (javascript:, data:…), before the
    sanitiser drops them and leaves their words."""
    for match in _HREF.finditer(html):
        href = next(g for g in match.groups() if g is not None).strip()
        scheme = urlsplit(href).scheme.lower() if re.match(r"^[a-zA-Z][\w+.-]*:", href) else ""
        if scheme and scheme not in WEB_SCHEMES:
            warnings.append(
                BuildWarning(
                    f"link to a {scheme}: address made plain text", raw.path, body_line(raw, href)
                )
            )


def body_line(raw: RawArticle, needle: str) -> int | None:
    """The line of the file where `needle` first appears in the body (for messages)."""
    index = -1
    for form in (f"]({needle}", f"({needle}", f'"{needle}"', needle, unquote(needle)):
        index = raw.body.find(form) if needle else -1
        if index >= 0:
            break
    return raw.body_line + raw.body.count("\n", 0, index) if index >= 0 else None


def resolve_links(
    tree: lxml.html.HtmlElement,
    raw: RawArticle,
    ctx: LinkContext,
    anchors: dict[str, str],
    warnings: list[BuildWarning],
) -> None:
    """Point every link of the body somewhere a reader can follow, or make it plain text."""
    for a in list(tree.iter("a")):
        href = (a.get("href") or "").strip()
        if href in ("", "#"):
            if a.get("id"):
                a.attrib.pop("href", None)
            else:
                a.drop_tag()  # A link that leads nowhere becomes its text.
            continue
        if href.startswith("#"):
            fragment = unquote(href[1:])
            target_id = anchors.get(fragment) or anchors.get(slugify(fragment))
            if target_id:
                a.set("href", "#" + target_id)
            else:
                _plain(a, "link to a missing anchor made plain", href, raw, warnings)
            continue
        if href.startswith("//"):
            href = "https:" + href
        scheme = urlsplit(href).scheme.lower() if re.match(r"^[a-zA-Z][\w+.-]*:", href) else ""
        if scheme:
            url = checked_url(href)
            if scheme not in WEB_SCHEMES:
                _plain(a, f"link to a {scheme}: address made plain text", href, raw, None)
            elif url is None:
                _plain(a, "invalid address made plain text", href, raw, warnings)
            else:
                a.set("href", url)
            continue
        _resolve_local(a, href, raw, ctx, warnings)


def _resolve_local(
    a: lxml.html.HtmlElement,
    href: str,
    raw: RawArticle,
    ctx: LinkContext,
    warnings: list[BuildWarning],
) -> None:
    """A link without a scheme: another article of the issue, a page or file of the site, or
    (when it is neither) plain text."""
    parts = urlsplit(href)
    site = ctx.site
    target_id = ""
    published = ""  # The page's address on the site, when the issue does not hold it.
    if href.startswith("@/") and site is not None:  # Zola's link to a content file.
        found = content_file(site, parts.path[2:])
        if found is not None:
            target_id = ctx.ids.get(found, "")
            published = site_url(site, page_path(site, found, {}))
    elif parts.path.startswith("/"):
        if site is not None:
            target_id = _site_page(ctx, parts.path)
            if not target_id:
                published = site_url(site, _with_base(site, parts.path))
    else:
        target = (raw.path.parent / unquote(parts.path)).resolve()
        target_id = ctx.ids.get(target, "") or _bundle_id(ctx, target)
        if not target_id and site is not None and _exists_in(site, target):
            if static_file(site, "/" + str(target.relative_to(site.root))) is not None:
                published = site_url(site, "/" + str(target.relative_to(site.root)))
            else:
                published = site_url(site, page_path(site, target, {}))
    if target_id:
        # Rewritten per output in normalise._serialise; the fragment is the target's heading,
        # which the target renames: the link goes to the article's start.
        a.set("href", "#" + target_id)
        a.set("data-article", target_id)
        return
    if published:
        if parts.fragment:
            published += "#" + parts.fragment
        url = checked_url(published)
        if url is not None:
            a.set("href", url)
            return
    _plain(a, "link to a file outside the issue made plain", href, raw, warnings)


def _exists_in(site: Site, target: Path) -> bool:
    """Whether a relative link's target is a file (or a page's folder) of the site."""
    return target.is_relative_to(site.root) and (target.is_file() or target.is_dir())


def _site_page(ctx: LinkContext, path: str) -> str:
    """The article of this issue a site path ("/blog/post/") names, or ""."""
    site = ctx.site
    assert site is not None
    key = _page_key(path)
    found = ctx.pages.get(key)
    if found is None and site.base_path:
        found = ctx.pages.get(_page_key(site.base_path + path))
    if found is None:
        file = content_file(site, path) if site.content_dir is not None else None
        found = ctx.ids.get(file) if file is not None else None
    return found or ""


def _with_base(site: Site, path: str) -> str:
    """A site path with the site's base path in front (once)."""
    if site.base_path and not (path + "/").startswith(site.base_path + "/"):
        return site.base_path + path
    return path


def _bundle_id(ctx: LinkContext, target: Path) -> str:
    """The article a relative link to a folder or extensionless name means ("../other/")."""
    for candidate in (
        target / "index.md",
        target / "_index.md",
        target.with_suffix(".md"),
        target.with_suffix(".markdown"),
    ):
        if candidate in ctx.ids:
            return ctx.ids[candidate]
    return ""


def _plain(
    a: lxml.html.HtmlElement,
    message: str,
    href: str,
    raw: RawArticle,
    warnings: list[BuildWarning] | None,
) -> None:
    """The link becomes its words; `warnings` None: already warned (scan_hrefs)."""
    if warnings is not None:
        warnings.append(BuildWarning(f"{message}: {href}", raw.path, body_line(raw, href)))
    a.drop_tag()


def site_image(
    src: str, raw: RawArticle, line: int | None, links: LinkContext | None
) -> Path | None:
    """A site-absolute image ("/img/x.png") in the static site the article belongs to; never a
    file outside the site."""
    url_path = urlsplit(src).path
    if links is None or links.site is None or not url_path.startswith("/"):
        return None
    found = static_file(links.site, unquote(url_path))
    if found is None:
        folders = ", ".join(str(d.relative_to(links.site.root)) for d in links.site.static_dirs)
        raise InputError(
            f"image not found in the site: {src}",
            raw.path,
            line,
            f"site-absolute paths are looked for in {folders} of {links.site.root}",
        )
    return found
