"""Writing outputs safely: every file of a step lands at once, or none does."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from masthead.errors import OutputError

_CHUNK = 1 << 20  # Read files in blocks of this many bytes.


def write_all(files: dict[Path, bytes]) -> tuple[Path, ...]:
    """Write every file to a temporary name beside its target, then rename them all.

    A failure before the renames leaves the output folder as it was: never a half-written file.
    """
    temps: list[tuple[Path, Path]] = []
    try:
        for target, data in files.items():
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp_name = tempfile.mkstemp(
                    prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
                )
            except OSError as exc:
                raise OutputError(f"cannot write output ({exc.strerror})", target.parent) from exc
            temps.append((Path(tmp_name), target))
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.chmod(tmp_name, 0o644)
            except OSError as exc:  # A full disk, a quota.
                raise OutputError(f"cannot write output ({exc.strerror})", target) from exc
        for tmp, target in temps:
            try:
                os.replace(tmp, target)
            except OSError as exc:
                raise OutputError(f"cannot write output ({exc.strerror})", target) from exc
    finally:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
    return tuple(files)


def inside(path: Path, roots: Sequence[Path]) -> bool:
    """Whether `path`, symlinks followed, lies in one of the (resolved) `roots`."""
    real = Path(path).resolve()
    return any(real.is_relative_to(root) for root in roots)


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()
