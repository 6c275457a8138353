"""Stage 5a — package the EPUB 3: ebooklib builds the container; masthead fixes its gaps."""

from __future__ import annotations

import datetime as dt
import io
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

from ebooklib import epub
from PIL import Image as PILImage

from masthead.compose.people import sort_name
from masthead.derived import DerivedFiles
from masthead.model import Asset, Issue
from masthead.render.documents import COVER_HREF, RenderedEpub
from masthead.render.svgfonts import theme_fonts

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
EPOCH_MIN = dt.datetime(1980, 1, 1, tzinfo=dt.UTC)  # Zip dates cannot be earlier.
STORED_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")  # Compressed already.


class _Writer(epub.EpubWriter):  # type: ignore[misc]  # ebooklib has no type hints.
    """ebooklib's writer with our own nav and NCX (from templates) and `xml:lang` on the package."""

    def __init__(
        self,
        target: io.BytesIO,
        book: epub.EpubBook,
        options: dict[str, Any],
        rendered: RenderedEpub,
        language: str,
    ) -> None:
        super().__init__(target, book, options)
        self._rendered = rendered
        self._language = language

    def _get_nav(self, item: epub.EpubNav) -> bytes:
        return self._rendered.nav.encode("utf-8")

    def _get_ncx(self) -> bytes:
        return self._rendered.ncx.encode("utf-8")

    def _write_opf_file(self, root) -> None:  # type: ignore[no-untyped-def]
        root.set(XML_LANG, self._language)  # Ace flags a package without xml:lang.
        super()._write_opf_file(root)


MAX_IMAGE_PIXELS = 4_000_000  # Apple Books: interior images under about 4 megapixels.


def file_as(name: str) -> str:
    """Sort form of a name: "Harriet Vance" -> "Vance, Harriet"; organisations ("The Rust
    Team", "Jekyll Core Team") stay as written (compose.people)."""
    return sort_name(name)


def accessibility_metadata(issue: Issue, has_pages: bool) -> list[tuple[str, str]]:
    """EPUB Accessibility 1.1 metadata (schema.org properties) that holds for this issue."""
    images = [asset for article in issue.articles for asset in article.assets]
    all_alt = all(a.missing_alt == 0 for a in issue.articles) and all(
        a.lead_image is None or a.lead_image.asset is None or a.lead_image.alt
        for a in issue.articles
    )
    modes = [("schema:accessMode", "textual")]
    if images:
        modes.append(("schema:accessMode", "visual"))
    sufficient = "textual" if (not images or all_alt) else "textual,visual"
    features = [
        "structuralNavigation",
        "tableOfContents",
        "readingOrder",
        "displayTransformability",
    ]
    if images and all_alt:
        features.append("alternativeText")
    if has_pages:
        features.append("pageNavigation")
        features.append("printPageNumbers")
    summary = (
        "Every article is a structured chapter with headings in order, reachable from the table "
        "of contents and the navigation document."
        + (" Images have text alternatives." if images and all_alt else "")
        + (" Page markers match the PDF edition." if has_pages else "")
    )
    return [
        *modes,
        ("schema:accessModeSufficient", sufficient),
        *[("schema:accessibilityFeature", f) for f in features],
        ("schema:accessibilityHazard", "none"),
        ("schema:accessibilitySummary", summary),
    ]


ODD_MODES = {"CMYK", "I;16", "LAB"}  # Modes e-readers may not show: converted to RGB.
EPUB_IMAGE = "epub-4mp-2"  # The cache's name (and version) for an image made fit for readers.


def epub_image(asset: Asset, store: DerivedFiles | None = None) -> bytes:
    """Image bytes for e-readers: RGB, under about 4 megapixels; others pass through as they are.
    Those that must be converted or made smaller are kept in `store` by content: a rebuild does
    not resize or encode them again."""
    data = asset.data
    if asset.media_type == "image/svg+xml":
        return theme_fonts(data)  # Generic font families in the theme's faces.
    if asset.media_type not in {"image/jpeg", "image/png", "image/webp"}:
        return data
    with PILImage.open(io.BytesIO(data)) as opened:  # Reads the header only.
        fits = opened.width * opened.height <= MAX_IMAGE_PIXELS and opened.mode not in ODD_MODES
    if fits:
        return data
    store = store or DerivedFiles(None)
    cached = store.get(data, EPUB_IMAGE)
    if cached is not None:
        return cached
    return store.put(data, EPUB_IMAGE, _fit_for_readers(data, asset.media_type))


def _fit_for_readers(data: bytes, media_type: str) -> bytes:
    with PILImage.open(io.BytesIO(data)) as opened:
        opened.load()
        image: PILImage.Image = opened
        if image.mode in ODD_MODES or media_type == "image/jpeg":
            image = image.convert("RGB")
        if image.width * image.height > MAX_IMAGE_PIXELS:
            scale = (MAX_IMAGE_PIXELS / (image.width * image.height)) ** 0.5
            size = (int(image.width * scale), int(image.height * scale))
            image = image.resize(size, PILImage.Resampling.LANCZOS)
        out = io.BytesIO()
        kind = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}[media_type]
        # PNG at zlib's default level, not `optimize`: 0.9 s instead of 3.2 s for 4 megapixels
        # of a photograph, 20% larger (and done once: the result is kept by content).
        image.save(out, kind, **({"quality": 88} if kind != "PNG" else {}))
        return out.getvalue()


def package_epub(
    issue: Issue,
    rendered: RenderedEpub,
    modified: dt.datetime,
    cover_jpeg: bytes | Callable[[], bytes],
    has_pages: bool = False,
    store: DerivedFiles | None = None,
) -> bytes:
    """The EPUB file's bytes: reproducible for the same input and `modified` time. `store`:
    where images made fit for readers are kept between builds."""
    pub = issue.publication
    info = issue.info
    book = epub.EpubBook()
    book.set_identifier(issue.identifier)
    book.set_title(rendered.title or issue.full_title)
    book.set_language(issue.language)
    if rendered.direction == "rtl":
        # `page-progression-direction="rtl"` on the spine: pages turn from right to left.
        book.set_direction("rtl")
    authors = list(dict.fromkeys(name for a in issue.articles for name in a.authors))
    for index, name in enumerate(authors, start=1):
        uid = f"creator-{index}"
        book.add_metadata("DC", "creator", name, {"id": uid})
        book.add_metadata(
            None,
            "meta",
            "aut",
            {"refines": f"#{uid}", "property": "role", "scheme": "marc:relators"},
        )
        book.add_metadata(
            None, "meta", file_as(name), {"refines": f"#{uid}", "property": "file-as"}
        )
    if pub.publisher:
        book.add_metadata("DC", "publisher", pub.publisher)
    if issue.date:
        book.add_metadata("DC", "date", issue.date.isoformat())
    description = info.description or pub.description or pub.tagline
    if description:
        book.add_metadata("DC", "description", description)
    for tag in sorted({t for a in issue.articles for t in a.tags}, key=str.casefold):
        book.add_metadata("DC", "subject", tag)
    if pub.rights:
        book.add_metadata("DC", "rights", pub.rights)
    if info.number is not None:
        # Series in both dialects: EPUB 3 collections and Calibre's (read by Kobo and others).
        book.add_metadata(
            None, "meta", pub.name, {"property": "belongs-to-collection", "id": "series"}
        )
        book.add_metadata(
            None, "meta", "series", {"refines": "#series", "property": "collection-type"}
        )
        book.add_metadata(
            None, "meta", str(info.number), {"refines": "#series", "property": "group-position"}
        )
        book.add_metadata(None, "meta", "", {"name": "calibre:series", "content": pub.name})
        book.add_metadata(
            None, "meta", "", {"name": "calibre:series_index", "content": str(info.number)}
        )
    for prop, value in accessibility_metadata(issue, has_pages):
        book.add_metadata(None, "meta", value, {"property": prop})
    if has_pages:
        book.add_metadata(None, "meta", pdf_edition_id(issue), {"property": "pageBreakSource"})

    css = epub.EpubItem(
        uid="style",
        file_name="style.css",
        media_type="text/css",
        content=rendered.stylesheet.encode("utf-8"),
    )
    book.add_item(css)
    spine = []
    for doc in rendered.documents:
        item = epub.EpubItem(
            uid=f"doc-{doc.file_name.removesuffix('.xhtml')}",
            file_name=doc.file_name,
            media_type="application/xhtml+xml",
            content=doc.content.encode("utf-8"),
        )
        book.add_item(item)
        spine.append(item)
    # The cover's bytes are added last (reproducible_zip): a cover still being rendered by a
    # helper process is waited for only once everything else is packed.
    cover = epub.EpubItem(
        uid="cover-image", file_name=COVER_HREF, media_type="image/jpeg", content=b""
    )
    cover.properties = ["cover-image"]
    book.add_item(cover)
    book.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})
    article_assets = {a.href: a for art in issue.articles for a in art.assets}
    for n, asset in enumerate(sorted(article_assets.values(), key=lambda a: a.href), start=1):
        book.add_item(
            epub.EpubItem(
                uid=f"img-{n}",
                file_name=asset.href,
                media_type=asset.media_type,
                content=epub_image(asset, store),
            )
        )
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = spine
    first_article = (
        rendered.documents[2].file_name if len(rendered.documents) > 2 else "cover.xhtml"
    )
    book.guide = [
        {"type": "cover", "href": "cover.xhtml", "title": "Cover"},
        {"type": "toc", "href": "contents.xhtml", "title": "Contents"},
        {"type": "text", "href": first_article, "title": "Start of reading"},
    ]

    buffer = io.BytesIO()
    # Stored, not compressed: reproducible_zip compresses each entry once, as it re-zips.
    options = {"epub3_pages": False, "mtime": modified, "compresslevel": 0}
    writer = _Writer(buffer, book, options, rendered, issue.language)
    writer.process()
    writer.write()
    late = cover_jpeg if callable(cover_jpeg) else lambda: cover_jpeg
    return reproducible_zip(buffer.getvalue(), modified, (f"{book.FOLDER_NAME}/{COVER_HREF}", late))


def pdf_edition_id(issue: Issue) -> str:
    """A stable identifier for the issue's PDF edition: the source of the EPUB's page list."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, issue.identifier + '#pdf')}"


def reproducible_zip(
    data: bytes, when: dt.datetime, last: tuple[str, Callable[[], bytes]] | None = None
) -> bytes:
    """Re-zip: `mimetype` first and stored, then sorted entries with one timestamp and mode, and
    `last` (a name and what gives its bytes, called at the very end) after them. Pictures are
    stored as they are (compressing them again gains nothing and costs time)."""
    stamp = max(when, EPOCH_MIN).astimezone(dt.UTC).timetuple()[:6]
    out = io.BytesIO()

    def write(archive: zipfile.ZipFile, name: str, content: bytes) -> None:
        info = zipfile.ZipInfo(name, date_time=stamp)
        info.create_system = 3
        info.external_attr = 0o100644 << 16
        packed = name == "mimetype" or name.lower().endswith(STORED_SUFFIXES)
        info.compress_type = zipfile.ZIP_STORED if packed else zipfile.ZIP_DEFLATED
        archive.writestr(info, content, compresslevel=None if packed else 9)

    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        names = [n for n in src.namelist() if last is None or n != last[0]]
        for name in ["mimetype"] + sorted(n for n in names if n != "mimetype"):
            write(dst, name, src.read(name))
        if last is not None:
            write(dst, last[0], last[1]())
    return out.getvalue()
