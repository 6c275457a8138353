"""Images: every file an article or the issue shows, found inside the publication and checked
before any edition is made.

- Only files inside the publication's folders (the issue folder, its publication folder, the site
  root) are read: a `../`, an absolute path or a symlink that leads elsewhere is an error.
- Each image is decoded once: a decompression bomb (more pixels than Pillow accepts), a truncated
  or corrupt file is an error naming it and the line that uses it, or, for a picture in an
  article's body, which the words can do without, a warning and its alt text in its place.
- An animated image prints its most telling frame (the one with the most visual information),
  never a blank or black first frame.
- An image printed below MIN_PRINT_PPI at the size the PDF gives it gets a warning.
- SVG is sanitised (compose/svg.py).

What decoding finds is kept by content in the build's state folder (derived.py), so a rebuild
decodes nothing it has seen.
"""

from __future__ import annotations

import io
import json
import re
import warnings as python_warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html
from lxml import etree
from PIL import Image as PILImage
from PIL import ImageFile, UnidentifiedImageError

from masthead.compose.links import LinkContext, body_line, site_image
from masthead.compose.print_size import PRINTED_PAGES, PrintedPage, low_resolution
from masthead.compose.svg import SvgError, sanitise_svg
from masthead.derived import DerivedFiles
from masthead.errors import InputError
from masthead.files import inside
from masthead.model import Asset, BuildWarning, LoadedIssue, RawArticle
from masthead.settings import key_line
from masthead.sources.folder import outside_error
from masthead.text import slugify

IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
}
FORMAT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp"}
# Pillow's own limit for a possible decompression bomb (about 89 megapixels, 9500 x 9500).
MAX_PIXELS = PILImage.MAX_IMAGE_PIXELS or 89_478_485
# The frames of an animated image compared to find its most telling one, at most.
MAX_FRAMES = 300
MAX_FRAME_PIXELS = 60_000_000  # Summed over the frames compared.
FACTS = "facts-2"  # The name (and version) of the cached facts of an image.
TELLING_FRAME = "telling-frame-1.png"  # And of an animation's frame printed in its place.


@dataclass(frozen=True)
class ImageRules:
    """What a build asks of the images it reads."""

    roots: tuple[Path, ...] = ()  # Folders files may come from; () : anywhere.
    page_size: str | None = None  # The PDF's page size ("a4", "A4", "letter"…); None: no PDF.
    store: DerivedFiles = field(default_factory=lambda: DerivedFiles(None))

    @property
    def page(self) -> PrintedPage | None:
        return PRINTED_PAGES.get((self.page_size or "").strip().lower())


@dataclass(frozen=True)
class ImageFacts:
    """What decoding an image found."""

    media_type: str
    width: int | None = None
    height: int | None = None
    frames: int = 1  # More than one: an animation.
    problem: str = ""  # Why it cannot be used ("" when it can), like "is truncated".


def is_remote(src: str) -> bool:
    """A URL with a scheme or a host: never fetched (the outputs stay offline)."""
    parts = urlsplit(src)
    return bool(parts.scheme) or src.startswith("//")


def find_image(
    src: str, raw: RawArticle, line: int | None, roots: tuple[Path, ...], links: LinkContext
) -> Path:
    """The file a local image reference names: relative to the article, or site-absolute
    ("/img/x.png", in its static site). It must exist, be an image type masthead ships, and lie
    inside `roots` (when given)."""
    path = site_image(src, raw, line, links) or (raw.path.parent / unquote(urlsplit(src).path))
    path = path.resolve()
    if roots and not inside(path, roots) and path.exists():  # (Else: "not found", below.)
        raise outside_error(f"image {src}", path, raw.path, line)
    if path.suffix.lower() not in IMAGE_TYPES:
        raise InputError(
            f"unsupported image type: {src}", raw.path, line, "use PNG, JPEG, GIF, SVG or WebP"
        )
    if not path.is_file():
        raise InputError(
            f"image not found: {src}",
            raw.path,
            line,
            "check the file name (relative to the article)",
        )
    return path


def image_facts(data: bytes, media_type: str, store: DerivedFiles) -> ImageFacts:
    """Decode an image (once: the facts are kept by content) and say what it is."""
    if media_type == "image/svg+xml":
        return ImageFacts(media_type)
    cached = store.get(data, FACTS)
    if cached is not None:
        try:
            return ImageFacts(**json.loads(cached))
        except (TypeError, ValueError):
            pass
    facts = _decode(data, media_type)
    store.put(data, FACTS, json.dumps(facts.__dict__).encode())
    return facts


def _decode(data: bytes, media_type: str) -> ImageFacts:
    # WeasyPrint, once imported, tells Pillow to fill truncated images in silently (a grey
    # box in print): here they must fail.
    lenient = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        return _decode_strictly(data, media_type)
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = lenient


def _decode_strictly(data: bytes, media_type: str) -> ImageFacts:
    with python_warnings.catch_warnings():
        python_warnings.simplefilter("error", PILImage.DecompressionBombWarning)
        try:
            with PILImage.open(io.BytesIO(data)) as image:
                found = FORMAT_TYPES.get(image.format or "", media_type)
                width, height = image.size
                if width * height > MAX_PIXELS:
                    problem = _bomb(width * height, f"{width}×{height} pixels, ")
                    return ImageFacts(found, width, height, problem=problem)
                frames = getattr(image, "n_frames", 1)
                if image.format == "PNG" and frames == 1:
                    # Every chunk's checksum and the end marker: truncation and damage are found
                    # without decompressing (3 ms for rust-blog's 32 pictures, not 120).
                    image.verify()
                else:
                    if image.format == "JPEG":
                        # Decoded at an eighth of its size: every byte is still read, so a
                        # truncated file is still found, at a fraction of the time.
                        image.draft(image.mode, (width // 8, height // 8))
                    image.load()
        except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as exc:
            # Pillow refuses before the size is known here; its message gives the pixel count.
            found_pixels = re.search(r"\((\d+) pixels\)", str(exc))
            pixels = int(found_pixels.group(1)) if found_pixels else MAX_PIXELS + 1
            return ImageFacts(media_type, problem=_bomb(pixels))
        except UnidentifiedImageError:
            return ImageFacts(media_type, problem="is not an image file that can be read")
        except Exception as exc:  # Pillow's decoders raise many kinds (OSError, SyntaxError…).
            return ImageFacts(media_type, problem=f"is damaged or incomplete ({_short(exc)})")
    return ImageFacts(found, width, height, frames)


def _bomb(pixels: int, size: str = "") -> str:
    return (
        f"is {size}{pixels / 1e6:.0f} megapixels, more than the {MAX_PIXELS / 1e6:.0f} an image "
        "may have (a decompression bomb, or a picture far larger than any page needs)"
    )


def _short(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 80 else text[:77] + "…"


def telling_frame(image: PILImage.Image) -> int:
    """The frame of an animated image with the most visual information (the highest entropy of
    its colours): a blank or black opening frame is never the one printed."""
    best, best_score = 0, -1.0
    budget = MAX_FRAME_PIXELS
    for index in range(min(getattr(image, "n_frames", 1), MAX_FRAMES)):
        budget -= image.width * image.height
        if budget < 0:
            break
        image.seek(index)
        score = image.convert("RGB").entropy()
        if score > best_score + 1e-6:
            best, best_score = index, score
    image.seek(0)
    return best


def printed_frame(data: bytes, store: DerivedFiles) -> bytes | None:
    """What the PDF prints for an animated image: its most telling frame as a PNG (None when
    that is its first frame, which WeasyPrint shows anyway). Kept by content: finding it decodes
    every frame (0.2 s for rust-blog's 66-frame GIF)."""
    cached = store.get(data, TELLING_FRAME)
    if cached is not None:
        return cached or None
    try:
        with PILImage.open(io.BytesIO(data)) as image:
            frame = telling_frame(image)
            image.seek(frame)
            picture = image.convert("RGBA")
    except Exception:  # A later frame is damaged: the first one is printed.
        frame = 0
    if frame == 0:
        store.put(data, TELLING_FRAME, b"")
        return None
    if picture.getchannel("A").getextrema() == (255, 255):
        picture = picture.convert("RGB")  # Opaque: no alpha channel for the PDF to carry.
    out = io.BytesIO()
    picture.save(out, "PNG")
    return store.put(data, TELLING_FRAME, out.getvalue())


@dataclass
class ArticleImages:
    """The images one article uses, as it meets them: assets by their EPUB name, and warnings."""

    raw: RawArticle
    article_id: str
    rules: ImageRules
    warnings: list[BuildWarning]
    links: LinkContext
    assets: dict[str, Asset] = field(default_factory=dict)
    _found: dict[Path, tuple[Asset | None, str]] = field(default_factory=dict)

    def use(self, src: str, line: int | None, role: str) -> Asset | None:
        """The asset for a local image reference. A broken image is an error, except in the
        body ("body" `role`): there it is a warning and None (the caller shows its alt text)."""
        path = find_image(src, self.raw, line, self.rules.roots, self.links)
        if path not in self._found:
            self._found[path] = self._prepare(path, src, line)
        asset, problem = self._found[path]
        if asset is None:
            if role != "body":
                raise InputError(
                    f"image {src} {problem}", self.raw.path, line, "replace it with a good copy"
                )
            self.warnings.append(
                BuildWarning(
                    f"image {src} {problem}; its alt text is printed instead",
                    self.raw.path,
                    line,
                )
            )
            return None
        if note := low_resolution(asset, self.rules.page, role):  # (None without a size.)
            self.warnings.append(BuildWarning(f"image {src} {note}", self.raw.path, line))
        return asset

    def _prepare(self, path: Path, src: str, line: int | None) -> tuple[Asset | None, str]:
        data = path.read_bytes()
        media_type = IMAGE_TYPES[path.suffix.lower()]
        content = None
        if media_type == "image/svg+xml":
            try:
                content, removed = sanitise_svg(data)
            except SvgError as exc:
                return None, str(exc)
            if removed:
                self.warnings.append(
                    BuildWarning(
                        f"SVG image {src} sanitised, removed: {', '.join(removed)}",
                        self.raw.path,
                        line,
                    )
                )
        facts = image_facts(data, media_type, self.rules.store)
        if facts.problem:
            return None, facts.problem
        extension = EXTENSIONS.get(facts.media_type, path.suffix.lower())
        stem = f"images/{self.article_id}-{slugify(path.stem, 'image')}"
        href, number = f"{stem}{extension}", 1
        while href in self.assets:  # Two files of one name (in two folders): two names.
            number += 1
            href = f"{stem}-{number}{extension}"
        printed = None
        if facts.frames > 1 and self.rules.page is not None:
            printed = printed_frame(data, self.rules.store)
        self.assets[href] = Asset(
            path,
            href,
            facts.media_type,
            facts.width,
            facts.height,
            content=content,
            print_image=printed,
        )
        return self.assets[href], ""


def place_body_images(tree: lxml.html.HtmlElement, images: ArticleImages) -> int:
    """Point the body's images at their assets, with their sizes; a picture alone in its
    paragraph becomes a figure (captioned by its title). An image that cannot be shown (remote,
    broken) leaves its alt text. Returns how many images have no alt text."""
    raw = images.raw
    missing_alt = 0
    for img in list(tree.iter("img")):
        src = (img.get("src") or "").strip()
        alt = (img.get("alt") or "").strip()
        line = body_line(raw, src) if src else None
        asset = None
        if src and is_remote(src):
            images.warnings.append(
                BuildWarning(f"remote image not included: {src}", raw.path, line)
            )
        elif src:
            asset = images.use(src, line, "body")
        if asset is None:
            # Outputs stay offline and never show a broken picture: the words stand in for it.
            note = lxml.html.Element("span", {"class": "remote-image"})
            note.text = f"[Image: {alt or 'untitled'}]"
            note.tail = img.tail
            img.getparent().replace(img, note)
            continue
        img.set("src", asset.href)
        img.set("alt", alt)
        if not alt:
            missing_alt += 1
            images.warnings.append(
                BuildWarning(
                    f"image has no alt text: {src} (describe it in ![…](…))", raw.path, line
                )
            )
        if asset.width and asset.height:
            img.set("width", str(asset.width))
            img.set("height", str(asset.height))
        parent = img.getparent()
        if asset.width and asset.width >= 300:
            img.set("class", ((img.get("class") or "") + " wide").strip())
        if (
            parent.tag == "p"
            and len(parent) == 1
            and not (parent.text or "").strip()
            and not (img.tail or "").strip()
        ):
            parent.tag = "figure"
            parent.set("class", "figure")
            title = img.attrib.pop("title", "")
            if title:
                caption = etree.SubElement(parent, "figcaption")
                caption.text = title
    return missing_alt


def cover_asset(
    loaded: LoadedIssue, rules: ImageRules, warnings: list[BuildWarning]
) -> Asset | None:
    """The issue's cover art (`cover_image`), checked like an article's lead image; its finished
    EPUB cover (`epub_cover`) is checked too. Errors name issue.toml and the key's line."""
    info = loaded.info
    manifest = loaded.source / "issue.toml"
    cover = None
    for key, path in (("cover_image", info.cover_image), ("epub_cover", info.epub_cover)):
        if path is None:
            continue
        line = key_line(manifest.read_text(encoding="utf-8"), key) if manifest.is_file() else None
        media_type = IMAGE_TYPES.get(path.suffix.lower())
        if media_type is None or (key == "epub_cover" and media_type == "image/svg+xml"):
            raise InputError(
                f"unsupported image type for `{key}`: {path.name}",
                manifest,
                line,
                "use PNG, JPEG or WebP" + (", GIF or SVG" if key == "cover_image" else ""),
            )
        data = path.read_bytes()
        content = None
        if media_type == "image/svg+xml":
            try:
                content, removed = sanitise_svg(data)
            except SvgError as exc:
                raise InputError(f"`{key}` {path.name} {exc}", manifest, line) from exc
            if removed:
                warnings.append(
                    BuildWarning(
                        f"SVG image {path.name} sanitised, removed: {', '.join(removed)}",
                        manifest,
                        line,
                    )
                )
        facts = image_facts(data, media_type, rules.store)
        if facts.problem:
            raise InputError(
                f"`{key}` {path.name} {facts.problem}",
                manifest,
                line,
                "replace it with a good copy",
            )
        if key == "epub_cover":
            continue
        if note := low_resolution(facts, rules.page, "cover"):
            warnings.append(BuildWarning(f"cover image {path.name} {note}", manifest, line))
        extension = EXTENSIONS.get(facts.media_type, path.suffix.lower())
        cover = Asset(
            path,
            f"images/cover-art{extension}",
            facts.media_type,
            facts.width,
            facts.height,
            content=content,
            print_image=printed_frame(data, rules.store) if facts.frames > 1 else None,
        )
    return cover
