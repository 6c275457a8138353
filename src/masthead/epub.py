"""Stage 5a — package the EPUB 3: ebooklib builds the container; masthead fixes its gaps."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from ebooklib import epub

from masthead.model import Issue
from masthead.render import RenderedEpub

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
EPOCH_MIN = dt.datetime(1980, 1, 1, tzinfo=dt.UTC)  # Zip dates cannot be earlier.


class _Writer(epub.EpubWriter):
    """ebooklib's writer with our own nav and NCX (from templates) and `xml:lang` on the package."""

    def __init__(
        self,
        target: io.BytesIO,
        book: epub.EpubBook,
        options: dict,
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


def package_epub(issue: Issue, rendered: RenderedEpub, modified: dt.datetime) -> bytes:
    """The EPUB file's bytes: reproducible for the same input and `modified` time."""
    pub = issue.publication
    info = issue.info
    book = epub.EpubBook()
    book.set_identifier(issue.identifier)
    book.set_title(issue.full_title)
    book.set_language(pub.language)
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
    if pub.publisher:
        book.add_metadata("DC", "publisher", pub.publisher)
    if info.date:
        book.add_metadata("DC", "date", info.date.isoformat())
    description = info.description or pub.description or pub.tagline
    if description:
        book.add_metadata("DC", "description", description)
    for tag in sorted({t for a in issue.articles for t in a.tags}, key=str.casefold):
        book.add_metadata("DC", "subject", tag)
    if pub.rights:
        book.add_metadata("DC", "rights", pub.rights)

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
    for n, asset in enumerate(sorted(issue.assets, key=lambda a: a.href), start=1):
        item = epub.EpubItem(
            uid=f"img-{n}",
            file_name=asset.href,
            media_type=asset.media_type,
            content=asset.source.read_bytes(),
        )
        if issue.cover_image is not None and asset.href == issue.cover_image.href:
            item.properties = ["cover-image"]
            book.add_metadata(None, "meta", "", {"name": "cover", "content": item.id})
        book.add_item(item)
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
    writer = _Writer(
        buffer, book, {"epub3_pages": False, "mtime": modified}, rendered, pub.language
    )
    writer.process()
    writer.write()
    return reproducible_zip(buffer.getvalue(), modified)


def reproducible_zip(data: bytes, when: dt.datetime) -> bytes:
    """Re-zip: `mimetype` first and stored, then sorted entries with one timestamp and mode."""
    stamp = max(when, EPOCH_MIN).astimezone(dt.UTC).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        names = src.namelist()
        ordered = ["mimetype"] + sorted(n for n in names if n != "mimetype")
        for name in ordered:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            dst.writestr(info, src.read(name), compresslevel=9 if name != "mimetype" else None)
    return out.getvalue()
