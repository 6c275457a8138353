"""The archive step: after the issues are built, the site in `out_dir/archive/` (pages, feeds,
covers, the issues' files) is made in memory and only what changed is written."""

from __future__ import annotations

import io
import json
import os
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from masthead.archive.feeds import render_feeds
from masthead.archive.pages import render_pages
from masthead.archive.related import read_pages
from masthead.archive.views import Sources, make_site
from masthead.errors import OutputError
from masthead.files import write_all
from masthead.model import BuildResult
from masthead.render.theme import Theme

if TYPE_CHECKING:
    from masthead.archive.plan import Planner
    from masthead.errors import MastheadError

ARCHIVE_DIR = "archive"
COVER_WIDTH = 800
THUMB_WIDTH = 240


@dataclass
class SiteResult:
    folder: Path  # Like dist/archive.
    written: list[Path] = field(default_factory=list)  # Files this run wrote (changed or new).
    removed: list[Path] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def index(self) -> Path:
        return self.folder / "index.html"


def write_site(planner: Planner, results: dict[Path, BuildResult | MastheadError]) -> SiteResult:
    started = time.perf_counter()
    archive = planner.archive
    out_dir = planner.options.out_dir
    folder = out_dir / ARCHIVE_DIR
    state = planner.state / ARCHIVE_DIR
    built = {p.resolve() for p, r in results.items() if isinstance(r, BuildResult)}
    built_records = [r for r in archive.issues if r.folder.resolve() in built]
    pages = read_pages(planner.state)
    covers, cover_files, cover_state = _covers(built_records, out_dir, folder, state)
    sources = Sources(
        targets=planner.targets,
        suggestions=planner.suggestions,
        pages={r.stem: pages(r.stem) for r in built_records},
        out_dir=out_dir,
        covers=covers,
        built={r.folder for r in built_records},
    )
    site = make_site(archive, sources, planner.base_url)
    if not built_records:
        site.issues = []
    publication = archive.publication
    theme = Theme(publication.template_dirs, publication.language)
    made = render_pages(site, theme) | render_feeds(site, theme)
    files = {folder / path: data for path, data in made.items()} | cover_files
    changed = {path: data for path, data in files.items() if not _same(path, data)}
    downloads = {folder / e.href: e.source for issue in site.issues for e in issue.editions}
    wanted = set(files) | set(downloads) | {folder / path for path in _kept_covers(covers)}
    manifest = state / "site.json"
    removed = [p for p in _previous(manifest) if p not in wanted and p.exists()]
    changed[manifest] = json.dumps(sorted(str(p) for p in wanted), indent=0).encode()
    changed[state / "covers.json"] = json.dumps(cover_state, indent=1, sort_keys=True).encode()
    changed = {p: d for p, d in changed.items() if not _same(p, d)}
    write_all(changed)
    linked = _link_downloads(downloads)
    for path in removed:
        path.unlink(missing_ok=True)
    result = SiteResult(
        folder,
        sorted([p for p in changed if not p.is_relative_to(state)] + linked),
        removed,
    )
    result.timings["plan"] = planner.plan_seconds
    result.timings["site"] = time.perf_counter() - started
    result.timings["archive"] = planner.plan_seconds + result.timings["site"]
    return result


def _same(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _previous(manifest: Path) -> list[Path]:
    try:
        return [Path(p) for p in json.loads(manifest.read_text())]
    except (OSError, ValueError, TypeError):
        return []


def _kept_covers(covers: dict[str, tuple[str, str]]) -> list[str]:
    return [path for pair in covers.values() for path in pair if path]


def _link_downloads(downloads: dict[Path, Path]) -> list[Path]:
    """Each issue's built files, in the archive folder as hard links (no copy on disk; a copy
    where links are not possible): the folder can be put on a host as it is."""
    made: list[Path] = []
    for target, source in downloads.items():
        try:
            if target.exists() and os.path.samefile(target, source):
                continue
        except OSError:
            pass
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.tmp")
        temp.unlink(missing_ok=True)
        try:
            try:
                os.link(source, temp)
            except OSError:
                temp.write_bytes(source.read_bytes())
            os.replace(temp, target)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise OutputError(f"cannot write the archive ({exc.strerror})", target) from exc
        made.append(target)
    return made


def _covers(records, out_dir: Path, folder: Path, state: Path):  # type: ignore[no-untyped-def]
    """Each issue's cover and thumbnail (JPEG), from its EPUB's cover image (else its PDF's
    first page); made again only when that file changed."""
    try:
        kept = json.loads((state / "covers.json").read_text())
    except (OSError, ValueError):
        kept = {}
    covers: dict[str, tuple[str, str]] = {}
    files: dict[Path, bytes] = {}
    now: dict[str, list[object]] = {}
    for record in records:
        source = next(
            (
                out_dir / f"{record.stem}{suffix}"
                for suffix in (".epub", ".kepub.epub", ".pdf")
                if (out_dir / f"{record.stem}{suffix}").is_file()
            ),
            None,
        )
        if source is None:
            continue
        stat = source.stat()
        signature = [source.name, stat.st_size, stat.st_mtime_ns]
        paths = (f"covers/{record.slug}.jpg", f"covers/{record.slug}-thumb.jpg")
        if kept.get(record.slug) == signature and all((folder / p).is_file() for p in paths):
            covers[record.slug] = paths
            now[record.slug] = signature
            continue
        image = _cover_image(source)
        if image is None:
            continue
        cover, thumb = _jpegs(image)
        files[folder / paths[0]] = cover
        files[folder / paths[1]] = thumb
        covers[record.slug] = paths
        now[record.slug] = signature
    return covers, files, now


def _cover_image(source: Path) -> bytes | None:
    if source.suffix == ".epub":
        with zipfile.ZipFile(source) as book:
            names = [n for n in book.namelist() if n.endswith("images/cover.jpg")]
            return book.read(names[0]) if names else None
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(source))
    try:
        image = pdf[0].render(scale=COVER_WIDTH / pdf[0].get_width()).to_pil()
    finally:
        pdf.close()
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _jpegs(data: bytes) -> tuple[bytes, bytes]:
    from PIL import Image

    made = []
    with Image.open(io.BytesIO(data)) as opened:
        image = opened.convert("RGB")
        for width in (COVER_WIDTH, THUMB_WIDTH):
            copy = image.copy()
            copy.thumbnail((width, width * 2), Image.Resampling.LANCZOS)
            buffer = io.BytesIO()
            copy.save(buffer, "JPEG", quality=82, optimize=True, progressive=True)
            made.append(buffer.getvalue())
    return made[0], made[1]
