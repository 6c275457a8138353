"""The `import` command: crawled text and saved web pages in, Markdown articles out."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from masthead.cli.app import app, err, fail
from masthead.errors import MastheadError

if TYPE_CHECKING:
    pass


@app.command("import")
def import_command(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Crawled articles: .txt (text as the crawler left it) or .html (saved web pages)."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the Markdown files.")],
    explain_: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="List what was removed or moved, with its kind, first words and lines.",
        ),
    ] = False,
    publication: Annotated[
        Path | None,
        typer.Option(
            "--publication",
            help="publication.toml whose [import] boilerplate patterns apply "
            "(default: one in --out or its parent folder).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace Markdown files that already exist.")
    ] = False,
) -> None:
    """Turn crawled articles into clean Markdown with front matter; prints each file written."""
    from masthead.sources.imported import (
        explain,
        import_files,
        settings_file,
        settings_from,
        write_imports,
    )

    try:
        settings = settings_from(settings_file(out, publication))
        results = import_files(files, out, settings, overwrite=force)
        written = write_imports(results)
    except MastheadError as exc:
        fail(exc)
        return
    for (article, target), path in zip(results, written, strict=True):
        if explain_:
            err.print(f"{article.source} → {target}", highlight=False, soft_wrap=True, markup=False)
            for line in explain(article):
                err.print(f"  {line}", highlight=False, soft_wrap=True, markup=False)
        print(path)
