"""Stage 5b — package the PDF: WeasyPrint lays out the rendered issue, offline."""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from lxml import html as lxml_html

from masthead.errors import InputError
from masthead.model import BuildWarning, Issue, PageStart
from masthead.render.documents import RenderedPdf

# CSS `size` values; the small-screen size suits tablets and e-ink readers.
PAGE_SIZES = {"a4": "A4", "letter": "letter", "a5": "A5", "tablet": "6in 9in"}
ASSET_BASE = "file:///masthead-assets/"
# WeasyPrint variants offered (`--pdf-variant`). The default is tagged PDF/UA-1 (structure tree,
# language, title shown); the PDF/A ones are for archives and stay tagged too. "none": untagged.
# Without a validator here (no veraPDF) a build claims only what it asked for, never conformance.
PDF_VARIANTS = ("pdf/ua-1", "pdf/a-2b", "pdf/a-3b", "pdf/a-2u", "pdf/a-3u", "pdf/a-3a", "none")
DEFAULT_PDF_VARIANT = "pdf/ua-1"
# Images are downsampled to this resolution at their printed size and recompressed: sharp on
# paper and screens, small enough to email (see the publication's `email_limit_mb`).
IMAGE_DPI = 200
# Images larger than IMAGE_DPI at the size they are shown are made smaller, and then saved
# optimised (_before_drawing). Not `optimize_images` or `jpeg_quality`: with either WeasyPrint
# decodes and encodes every JPEG again as it reads it, before making it smaller (decoding,
# scaling and encoding it again): a fifth of the time of laying out an article with a photo.
IMAGE_OPTIONS = {"optimize_images": False, "jpeg_quality": None, "dpi": IMAGE_DPI}


def pdf_variant(name: str | None) -> str:
    """A PDF variant name from the CLI or a caller: one of PDF_VARIANTS (any case)."""
    chosen = (name or DEFAULT_PDF_VARIANT).strip().lower()
    if chosen not in PDF_VARIANTS:
        raise InputError(
            f"unknown PDF variant '{name}'", hint=f"use one of: {', '.join(PDF_VARIANTS)}"
        )
    return chosen


def page_size_css(name: str) -> str:
    try:
        return PAGE_SIZES[name.lower()]
    except KeyError:
        raise InputError(
            f"unknown page size '{name}'", hint=f"use one of: {', '.join(PAGE_SIZES)}"
        ) from None


@dataclass(frozen=True)
class PdfOutput:
    data: bytes
    pages: int
    warnings: tuple[BuildWarning, ...]
    page_map: tuple[PageStart, ...] = ()
    # The page of every anchor an internal link points to, like (("night-ferry", 9), …): kept
    # by the build so that the next layout of the issue can be given them (see lay_out).
    numbers: tuple[tuple[str, int], ...] = ()


def page_map(document) -> tuple[PageStart, ...]:  # type: ignore[no-untyped-def]
    """For each page, the first element that starts on it (else the one continuing onto it)."""
    starts: list[PageStart] = []
    previous: set[str] = set()
    last = "cover"
    for number, page in enumerate(document.pages, start=1):
        # Anchors in reading order; for equal positions an element comes before its children.
        ordered = sorted(page.anchors.items(), key=lambda item: (item[1][1], item[1][0]))
        fresh = [name for name, _ in ordered if name not in previous]
        if fresh:
            last = fresh[0]
        elif ordered:
            # Nothing starts here: the innermost element continuing from the page before.
            top = ordered[0][1][1]  # Anchor boxes are (x1, y1, x2, y2).
            last = [name for name, box in ordered if box[1] == top][-1]
        starts.append(PageStart(number, last))
        previous = {name for name, _ in ordered}
    return tuple(starts)


class _Collect(logging.Handler):
    """WeasyPrint reports skipped images and bad CSS through logging; keep them as warnings."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _weasyprint_warnings() -> Iterator[_Collect]:
    logger = logging.getLogger("weasyprint")
    handler = _Collect()
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def asset_fetcher(issue: Issue):  # type: ignore[no-untyped-def]
    """A WeasyPrint URL fetcher serving the issue's images by their EPUB names, offline."""
    from weasyprint.urls import URLFetcher

    sources = {f"{ASSET_BASE}{a.href}": a.source for a in issue.assets}

    class AssetFetcher(URLFetcher):
        def fetch(self, url: str, headers: dict | None = None):  # type: ignore[no-untyped-def]
            source = sources.get(url.split("#")[0])
            if source is not None:
                url = Path(source).as_uri()
            return super().fetch(url, headers)

    return AssetFetcher(allowed_protocols=["file", "data"])


def lay_out(
    source_html: str,
    fetcher,  # type: ignore[no-untyped-def]
    known: dict[str, int] | None = None,
    numbering: bool = True,
    **options,  # type: ignore[no-untyped-def]
):  # type: ignore[no-untyped-def]
    """Finish the rendered HTML and lay it out: (finished HTML, WeasyPrint document).

    Shared by the one-pass layout here and the pieces of fastpdf.py. `options` go to
    `HTML.render` (font_config, stylesheets).

    Page references (`target-counter()`, "p. 14"): WeasyPrint waits for each target and lays
    the page holding the reference out again when it gets there. With a reference in every
    article that is 40% of the layout time of a 50-article issue, and those second layouts can
    lose footnotes. So when the page numbers are `known` (from the last build of the issue),
    they are given to WeasyPrint up front and no page is laid out twice; and when a first,
    unaided layout lost footnotes, it is done again that way with the numbers it found. The
    numbers are checked against where the targets land, and laid out again until they agree
    (at worst WeasyPrint is left to do it alone). `numbering=False` leaves page references
    alone (fastpdf.py numbers them itself).
    """
    from weasyprint import HTML

    def plain(html: str):  # type: ignore[no-untyped-def]
        return HTML(string=html, base_url=ASSET_BASE, url_fetcher=fetcher).render(
            **IMAGE_OPTIONS, **options
        )

    def numbered(html: str, numbers: dict[str, int]):  # type: ignore[no-untyped-def]
        from masthead.editions.pdf.fast import known_targets

        targets = link_targets(html) & set(_ID.findall(html))
        numbers = {name: page for name, page in numbers.items() if name in targets}
        if not numbering or not numbers:
            return plain(html)
        for _ in range(3):
            with known_targets(numbers):
                document = plain(html)
            found = anchor_pages(document, numbers)
            if found == numbers:
                return document
            numbers = found
        return plain(html)

    html = finish_html(source_html)
    document = numbered(html, known) if known else plain(html)
    lost = lost_footnotes(html, document)
    if lost and numbering:
        # Lost in a second layout of their page: laid out once, with the numbers now known.
        document = numbered(html, anchor_pages(document, link_targets(html)))
        lost = lost_footnotes(html, document)
    if lost:
        # WeasyPrint 70 can drop a footnote whose paragraph is pushed to the next page to
        # keep its widows and orphans. Never lose words: those articles get endnotes.
        found = anchor_pages(document, link_targets(html))
        html = finish_html(source_html, endnotes={note.split("--")[0] for note in lost})
        document = numbered(html, found)
    for page in document.pages:
        _before_drawing(page._page_box)
    return html, document


def _before_drawing(box) -> None:  # type: ignore[no-untyped-def]
    """Images: saved optimised when they are made smaller (see IMAGE_OPTIONS). Leaders: one
    run of text (join_leaders)."""
    if box.is_leader:
        join_leaders(box)
        return
    image = getattr(box, "replacement", None)
    if image is not None and hasattr(image, "optimize"):
        image.optimize = True
    for child in getattr(box, "children", ()):
        _before_drawing(child)


def join_leaders(box) -> None:  # type: ignore[no-untyped-def]
    """Draw a leader as one run of text instead of one text box per dot.

    WeasyPrint lays a `leader(dotted)` out as a box per ". ", each drawn on its own: with a
    contents page of 50 entries that is 6,000 text objects, most of the time it takes to draw
    the contents. The boxes sit side by side at equal steps, so one box holding the same dots
    puts every glyph where it was.
    """
    from weasyprint.formatting_structure import boxes
    from weasyprint.text.line_break import create_layout, line_size

    if box.is_leader and len(box.children) > 1:
        dots = sorted(box.children, key=lambda child: child.position_x)
        first = dots[0]
        step = first.width
        equal = all(
            isinstance(d, boxes.TextBox) and d.text == first.text and d.width == step for d in dots
        )
        even = all(
            abs(b.position_x - a.position_x - step) < 1e-6 for a, b in itertools.pairwise(dots)
        )
        if equal and even:
            text = first.text * len(dots)
            layout = create_layout(text, first.style, None, None, 0)
            width = line_size(layout.get_first_line()[0], first.style)[0]
            if abs(width - step * len(dots)) < 0.01:  # No kerning or spacing between dots.
                joined = first.copy_with_text(text)
                joined.pango_layout = layout
                joined.width = width
                box.children = (joined,)


def anchor_pages(document, names) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """The page number (1-based) of each of these anchors in a laid-out document."""
    wanted = set(names)
    found: dict[str, int] = {}
    for number, page in enumerate(document.pages, start=1):
        for name in page.anchors:
            if name in wanted and name not in found:
                found[name] = number
    return found


def link_targets(html: str) -> set[str]:
    """The anchors that internal links of the HTML point to."""
    return set(_INTERNAL_HREF.findall(html))


_INTERNAL_HREF = re.compile(r'href="#([^"]+)"')
_ID = re.compile(r' id="([^"]+)"')


def write_options(issue: Issue, variant: str) -> dict[str, object]:
    """`Document.write_pdf` options for a variant (see PDF_VARIANTS)."""
    return {
        "pdf_variant": None if variant == "none" else variant,
        "pdf_tags": variant != "none",
        # A stable first file identifier (the issue's); WeasyPrint adds a hash of the content.
        "pdf_identifier": issue.identifier.encode(),
    }


def size_warnings(issue: Issue, data: bytes) -> list[BuildWarning]:
    """A warning when the PDF is over the publication's email limit."""
    limit = issue.publication.email_limit_mb
    if len(data) <= limit * 1_000_000:
        return []
    return [
        BuildWarning(
            f"PDF is {len(data) / 1_000_000:.1f} MB, over the {limit:g} MB email limit "
            "(email_limit_mb): use smaller images or raise the limit",
            issue.source,
        )
    ]


def package_pdf(
    issue: Issue,
    rendered: RenderedPdf,
    variant: str = DEFAULT_PDF_VARIANT,
    known: dict[str, int] | None = None,
) -> PdfOutput:
    """Lay out the issue and write the PDF: tagged PDF/UA-1 unless another variant is asked for.

    `known`: page numbers of link targets from an earlier build (see lay_out).
    """
    variant = pdf_variant(variant)
    with _weasyprint_warnings() as log:
        _, document = lay_out(rendered.html, asset_fetcher(issue), known)
        data = document.write_pdf(**write_options(issue, variant))
    numbers = anchor_pages(document, link_targets(rendered.html))
    # Once each: a second layout repeats the first one's complaints.
    warnings = [BuildWarning(f"PDF: {m}", issue.source) for m in dict.fromkeys(log.messages)]
    warnings += size_warnings(issue, data)
    return PdfOutput(
        data=data,
        pages=len(document.pages),
        warnings=tuple(warnings),
        page_map=page_map(document),
        numbers=tuple(sorted(numbers.items())),
    )


# Finishing the issue HTML for pages: what CSS cannot do alone. Each step is switched on by an
# attribute that pdf/issue.html puts on `.article-body`, so a theme can leave any of them out.
_FIRST_LETTER = re.compile(r"^(\s*)([\"'“‘«„‚(\[¿¡]*\w)")
# The rest of the first word and two more, set in small capitals; stops at punctuation.
_LEAD_IN = re.compile(r"\S*(?:\s+[^\s,.;:!?—–]+){0,2}")
_DROP_CAP_MIN_CHARS = 230  # A shorter first paragraph cannot wrap three lines around the initial.
_SHORT_CODE_LINES = 14  # Code blocks up to this long are kept on one page.


def finish_html(html: str, endnotes: Collection[str] = ()) -> str:
    """Page footnotes, drop caps, pull quotes, end marks and unbroken short code blocks.

    `endnotes`: ids of articles whose notes stay at their end whatever the template asks.
    """
    root = lxml_html.document_fromstring(html)
    for body in root.find_class("article-body"):
        article = next(body.iterancestors("article"), None)
        in_endnotes = article is not None and article.get("id") in endnotes
        if body.get("data-footnotes") == "page" and not in_endnotes:
            _page_footnotes(body)
        if body.get("data-drop-cap") is not None:
            _drop_cap(body)
        _place_pull_quote(body)
        if body.get("data-end-mark") is not None:
            _end_mark(body)
        for pre in body.iter("pre"):
            if pre.text_content().rstrip("\n").count("\n") < _SHORT_CODE_LINES:
                _add_class(pre, "short")
    return lxml_html.tostring(root, doctype="<!DOCTYPE html>", encoding="unicode")


_FOOTNOTE_ID = re.compile(r'<span class="footnote" id="([^"]+)"')


def lost_footnotes(html: str, document) -> set[str]:  # type: ignore[no-untyped-def]
    """Ids of page footnotes in `html` that are on no page of the laid-out document."""
    placed = {name for page in document.pages for name in page.anchors}
    return set(_FOOTNOTE_ID.findall(html)) - placed


def _add_class(element, name: str) -> None:  # type: ignore[no-untyped-def]
    element.set("class", " ".join([*element.get("class", "").split(), name]))


def _blocks(body):  # type: ignore[no-untyped-def]
    """The body's top-level elements, without the endnotes markdown-it adds at the end."""
    return [
        child
        for child in body
        if isinstance(child.tag, str)
        and not {"footnotes", "footnotes-sep"} & set(child.get("class", "").split())
    ]


def _page_footnotes(body) -> None:  # type: ignore[no-untyped-def]
    """Move each markdown-it endnote to its first reference as a `float: footnote` span.

    A note holding more than paragraphs (a list, code) cannot sit inside a line, so it stays an
    endnote. A second reference to a note repeats its number.
    """
    section = next(iter(body.find_class("footnotes")), None)
    if section is None:
        return
    notes = {li.get("id"): li for li in section.iter("li") if li.get("id")}
    numbers: dict[str, int] = {}
    for ref in list(body.find_class("footnote-ref")):
        link = ref.find("a")
        target = (link.get("href") or "").lstrip("#") if link is not None else ""
        note = notes.get(target)
        if note is None or any(child.tag != "p" for child in note):
            continue
        if target in numbers:
            # The note's number again, not a link: its anchor may sit in a footnote area.
            ref.remove(link)
            ref.text = str(numbers[target])
            _add_class(ref, "footnote-again")
            continue
        numbers[target] = len(numbers) + 1
        span = lxml_html.Element("span", {"class": "footnote", "id": target})
        for index, para in enumerate(list(note)):
            for backref in para.find_class("footnote-backref"):
                _drop(backref)
            # Inline: a block inside a footnote makes WeasyPrint 70 drop the whole note.
            if index:
                span.append(lxml_html.Element("br"))
            para.tag = "span"
            para.set("class", "footnote-para")
            para.tail = None
            span.append(para)
        span.tail = ref.tail
        ref.addnext(span)
        ref.getparent().remove(ref)
        note.getparent().remove(note)
    if not any(isinstance(li.tag, str) for li in section.iter("li")):
        for sep in body.find_class("footnotes-sep"):
            sep.getparent().remove(sep)
        section.getparent().remove(section)


def _drop(element) -> None:  # type: ignore[no-untyped-def]
    """Remove an element but keep the text that follows it."""
    parent = element.getparent()
    tail = (element.tail or "").rstrip()
    previous = element.getprevious()
    if previous is not None:
        previous.tail = ((previous.tail or "") + tail).rstrip() or None
    else:
        parent.text = ((parent.text or "") + tail).rstrip() or None
    parent.remove(element)


def _drop_cap(body) -> None:  # type: ignore[no-untyped-def]
    """A three-line initial on the first paragraph when it opens the article and is long enough."""
    blocks = _blocks(body)
    if not blocks or blocks[0].tag != "p":
        return
    first = blocks[0]
    if len(first.text_content()) < _DROP_CAP_MIN_CHARS:
        return
    match = _FIRST_LETTER.match(first.text or "")
    if match is None:
        return
    text = first.text or ""
    initial = lxml_html.Element("span", {"class": "drop-cap"})
    initial.text = match.group(2)
    rest = text[match.end(2) :]
    lead = _LEAD_IN.match(rest).group(0)  # type: ignore[union-attr]
    first.text = None
    first.insert(0, initial)
    if lead.strip():
        lead_in = lxml_html.Element("span", {"class": "lead-in"})
        lead_in.text = lead
        lead_in.tail = rest[len(lead) :]
        initial.addnext(lead_in)
    else:
        initial.tail = rest
    _add_class(first, "has-drop-cap")


def _place_pull_quote(body) -> None:  # type: ignore[no-untyped-def]
    """Move the article's pull quote between two paragraphs about two fifths into the body."""
    quote = body.getprevious()
    while quote is not None and "pull-quote" not in quote.get("class", "").split():
        quote = quote.getprevious()
    if quote is None:
        return
    blocks = _blocks(body)
    spots = [i for i in range(2, len(blocks)) if blocks[i].tag == "p" and blocks[i - 1].tag == "p"]
    if not spots:
        return
    best = min(spots, key=lambda i: abs(i - 0.4 * len(blocks)))
    quote.getparent().remove(quote)
    blocks[best].addprevious(quote)


def _end_mark(body) -> None:  # type: ignore[no-untyped-def]
    """■ after the article's last word: in its last paragraph, list item or quotation."""
    blocks = _blocks(body)
    last = blocks[-1] if blocks else None
    while last is not None and last.tag in {"ul", "ol", "li", "blockquote"}:
        children = [c for c in last if isinstance(c.tag, str)]
        if last.tag == "li" and (not children or children[-1].tag not in {"p", "ul", "ol"}):
            break
        last = children[-1] if children else None
    if last is None or last.tag not in {"p", "li"}:
        return  # Code, a figure or a table ends the article: no mark.
    mark = lxml_html.Element("span", {"class": "end-mark", "aria-hidden": "true"})
    mark.text = "■"
    last.append(mark)
