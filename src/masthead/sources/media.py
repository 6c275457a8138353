"""Embedded players (`<iframe>`, `<video>`, `<audio>`), which no edition can play, described as
the page a reader would open: "Video: Title (youtube.com)". A site's `.html` post has them made
links before it is sanitised (media_as_links; a saved page's are furniture, dropped); the build
does the same to rendered Markdown, with warnings (compose/blocks.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import lxml.html
from lxml import etree

MEDIA_TAGS = ("iframe", "video", "audio", "embed", "object")
MEDIA = re.compile(r"<(?:iframe|video|audio|embed|object)\b", re.I)
VIDEO_HOSTS = (
    "youtube.com",
    "youtube-nocookie.com",
    "youtu.be",
    "vimeo.com",
    "dailymotion.com",
    "twitch.tv",
    "streamable.com",
    "loom.com",
    "wistia.com",
    "ted.com",
)
# Where a player stands as a block of its own (its link becomes a paragraph).
BLOCK_PARENTS = ("div", "figure", "body", "section", "article", "main")
AUDIO_HOSTS = ("soundcloud.com", "spotify.com", "anchor.fm", "bandcamp.com", "podcasts.apple.com")


def describe(element: lxml.html.HtmlElement) -> tuple[str, str, str]:
    """(kind, address to follow, title) of an embedded player."""
    src = element.get("src") or element.get("data") or ""
    if not src:
        source = next(element.iter("source"), None)
        src = source.get("src", "") if source is not None else ""
    url = watch_url(src.strip())
    host = host_of(url)
    if element.tag == "audio" or any(host.endswith(h) for h in AUDIO_HOSTS):
        kind = "Audio"
    elif element.tag == "video" or any(host.endswith(h) for h in VIDEO_HOSTS):
        kind = "Video"
    else:
        kind = "Embedded page"
    title = (element.get("title") or element.get("aria-label") or "").strip()
    if not title and element.tag in ("video", "audio"):
        title = " ".join(element.text_content().split())
    if not url.startswith(("http://", "https://")):
        url = ""  # A local file or a script: nothing a reader can open from the edition.
    return kind, url, title


def watch_url(src: str) -> str:
    """An embed's address as the page a reader would open (YouTube, Vimeo players)."""
    if src.startswith("//"):
        src = "https:" + src
    parts = urlsplit(src)
    host = parts.netloc.lower()
    match = re.match(r"^/embed/([\w-]+)", parts.path)
    if "youtube" in host and match:
        start = parse_qs(parts.query).get("start", [""])[0]
        return f"https://www.youtube.com/watch?v={match.group(1)}" + (
            f"&t={start}s" if start.isdigit() else ""
        )
    match = re.match(r"^/video/(\d+)", parts.path)
    if host == "player.vimeo.com" and match:
        return f"https://vimeo.com/{match.group(1)}"
    return src


def host_of(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")


def label(kind: str, url: str, title: str) -> str:
    """The words a player is replaced by: its kind, title and host."""
    host = host_of(url)
    return f"{kind}: {title or host or 'untitled'}" + (f" ({host})" if host and title else "")


def replace_players(
    tree: lxml.html.HtmlElement,
    unlinked: Callable[[lxml.html.HtmlElement, str], None] | None = None,
) -> None:
    """Each player in `tree` (not one inside another) replaced by its linked title, a paragraph
    of its own where it stood as a block; one without an address by its title alone, and
    `unlinked(element, kind)` told of it."""
    for element in list(tree.iter(*MEDIA_TAGS)):
        parent = element.getparent()
        if parent is None or any(a.tag in MEDIA_TAGS for a in element.iterancestors()):
            continue
        kind, url, title = describe(element)
        link = lxml.html.Element("a", {"href": url}) if url else lxml.html.Element("span")
        link.set("class", "embed")
        link.text = label(kind, url, title)
        if not url and unlinked is not None:
            unlinked(element, kind)
        if parent is tree or parent.tag in BLOCK_PARENTS:
            block = lxml.html.Element("p", {"class": "embed-block"})
            block.append(link)
            link = block
        link.tail = element.tail
        parent.replace(element, link)


def fragment_html(tree: lxml.html.HtmlElement) -> str:
    """The HTML inside `tree` (a fragment parsed with a parent made up for it)."""
    parts = [tree.text or ""] + [
        etree.tostring(child, method="html", encoding="unicode", with_tail=True) for child in tree
    ]
    return "".join(parts)


def media_as_links(html: str) -> str:
    """A saved page or an HTML body with each player replaced by its linked title."""
    if not MEDIA.search(html):
        return html
    if html.lstrip()[:15].lower().startswith(("<!doctype", "<html")):
        page = lxml.html.document_fromstring(html)
        replace_players(page)
        return str(etree.tostring(page, method="html", encoding="unicode"))
    tree = lxml.html.fragment_fromstring(html, create_parent="div")
    replace_players(tree)
    return fragment_html(tree)
