"""No-change rebuilds: a content hash of every input, checked before anything is parsed.

A build records, in the output folder's state directory (`dist/.masthead/`), the hash of its
inputs and the size and hash of each output it wrote. The next build with the same inputs and
options finds the record, checks that the outputs are still there as written, and returns at
once, without parsing an article or importing the layout engines.

The inputs are, deliberately coarse so that nothing is missed: every file under the issue folder
(hidden folders and the output folder excepted), `publication.toml` and the `templates/` folder
beside it, the default theme, masthead's own source and version, the versions of the engines,
`SOURCE_DATE_EPOCH`, and the build options. Files an issue uses from outside those folders (an
image given as `../shared/photo.jpg`) are listed in the record by the build that read them and
hashed again on every check.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from masthead.files import file_digest, inside
from masthead.model import BuildResult, BuildWarning

RECORD_VERSION = 2  # 2: warnings with their lines
# Versions of the libraries whose output ends up in the files.
ENGINES = ("weasyprint", "pydyf", "ebooklib", "pikepdf", "markdown-it-py", "jinja2", "lxml")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Inputs:
    """What a build reads, hashed before it reads anything; `record` is where its record lives."""

    folder: Path  # The issue folder.
    digest: str  # Hash of every input file and option.
    record: Path  # Like dist/.masthead/build-3f2a….json.


def _theme_dir() -> Path:
    # As theme.default_theme_dir(), without importing Jinja2 and Babel for it.
    package = Path(__file__).resolve().parent
    packaged = package / "templates"
    return packaged if packaged.is_dir() else package.parents[1] / "templates"


def _files(folder: Path, skip: Path | None) -> Iterable[Path]:
    """Every regular file under `folder`, sorted; not in hidden folders, not under `skip`, and
    not a symlink leading out of `folder` (never read: the build refuses such a file, and a
    link to a device or a pipe would never finish hashing)."""
    if not folder.is_dir():
        return
    real = folder.resolve()
    for root, dirs, names in os.walk(folder):
        here = Path(root)
        dirs[:] = sorted(
            d for d in dirs if not d.startswith(".") and (skip is None or here / d != skip)
        )
        for name in sorted(names):
            path = here / name
            if path.is_file() and (not path.is_symlink() or inside(path, (real,))):
                yield path


def _issue_folder(path: Path) -> Path | None:
    path = Path(path).resolve()
    if path.is_file() and path.name == "issue.toml":
        return path.parent
    return path if path.is_dir() else None


def _engine_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str] = {}
    for name in ENGINES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = ""
    return found


def inputs(path: Path, out_dir: Path, options: Mapping[str, object]) -> Inputs | None:
    """Hash an issue's inputs and the build options; None when `path` is not an issue folder."""
    folder = _issue_folder(path)
    if folder is None:
        return None
    out = Path(out_dir).resolve()
    digest = hashlib.sha256()
    settings = {
        "record": RECORD_VERSION,
        "options": {k: options[k] for k in sorted(options)},
        "source_date_epoch": os.environ.get("SOURCE_DATE_EPOCH", ""),
        "engines": _engine_versions(),
    }
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    roots = [("issue", folder), ("theme", _theme_dir()), ("code", Path(__file__).parent)]
    if (folder / "issue.toml").is_file():  # Zero-config folders keep these inside themselves.
        roots.append(("templates", folder.parent / "templates"))
        shared = folder.parent / "publication.toml"
        if shared.is_file():
            digest.update(f"\0publication\0{file_digest(shared)}".encode())
    for label, root in roots:
        for file in _files(root, out):
            if label == "code" and file.suffix != ".py":
                continue
            digest.update(f"\0{label}\0{file.relative_to(root)}\0{file_digest(file)}".encode())
    key = hashlib.sha256(json.dumps([str(folder), settings["options"]], default=str).encode())
    record = out / ".masthead" / f"build-{key.hexdigest()[:20]}.json"
    return Inputs(folder, digest.hexdigest(), record)


def outside_files(folder: Path, used: Iterable[Path]) -> dict[str, str]:
    """The files a build used from outside the hashed folders, with their hashes."""
    folder = folder.resolve()
    roots = (folder, folder.parent / "templates", _theme_dir())
    found: dict[str, str] = {}
    for path in used:
        path = Path(path).resolve()
        if any(path.is_relative_to(r) for r in roots) or str(path) in found:
            continue
        if path.is_file():
            found[str(path)] = file_digest(path)
    return found


def record_bytes(
    found: Inputs,
    outputs: Mapping[Path, bytes],  # The files in the output folder, by path.
    result: BuildResult,
    extra: Mapping[str, str],
) -> bytes:
    """The record of a finished build, written with its outputs."""
    return json.dumps(
        {
            "inputs": found.digest,
            "outputs": {
                path.name: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                for path, data in outputs.items()
            },
            "extra": dict(extra),
            "pdf_pages": result.pdf_pages,
            "warnings": [
                [w.message, str(w.path) if w.path else None, w.line] for w in result.warnings
            ],
        },
        indent=1,
    ).encode()


def cached_result(found: Inputs, out_dir: Path) -> BuildResult | None:
    """The recorded result when inputs, outside files and outputs are all as recorded."""
    try:
        data = json.loads(found.record.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("inputs") != found.digest:
        return None
    try:
        for name, digest in data.get("extra", {}).items():
            if file_digest(Path(name)) != digest:
                return None
        outputs = []
        for name, meta in data["outputs"].items():
            path = Path(out_dir) / name
            if path.stat().st_size != meta["size"] or file_digest(path) != meta["sha256"]:
                return None
            outputs.append(path)
        warnings = tuple(
            BuildWarning(message, Path(where) if where else None, line)
            for message, where, line in data.get("warnings", [])
        )
    except (OSError, KeyError, TypeError, ValueError):
        return None
    return BuildResult(
        outputs=tuple(sorted(outputs)),
        warnings=warnings,
        pdf_pages=data.get("pdf_pages"),
    )
