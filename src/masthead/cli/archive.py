"""The `related` command: the archive's suggested reading, accepted into front matter."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from masthead.cli.app import app, err, fail
from masthead.errors import InputError, MastheadError


@app.command("related")
def related_command(
    accept: Annotated[
        Path,
        typer.Option(
            "--accept",
            help="Issue folder whose suggested reading (from the last build of its "
            "publication) becomes its articles' `related` front matter.",
            metavar="ISSUE",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder of that build.")] = Path(
        "dist"
    ),
) -> None:
    """Accept the suggested reading of an issue: each article's suggestions are added to its
    `related` list (the rest of the file is left as it was); prints each file changed."""
    from masthead.archive.accept import accept as accept_suggestions
    from masthead.archive.plan import STATE_DIR
    from masthead.archive.records import load_archive
    from masthead.batch import find_issues, publication_of

    try:
        publication = publication_of(accept)
        if publication is None:
            raise InputError(
                "is not an issue folder of a publication",
                accept,
                hint="give an issue folder (with issue.toml) beside a publication.toml",
            )
        state = out / STATE_DIR
        archive = load_archive(publication, find_issues([publication]), state)
        accepted = accept_suggestions(archive, accept, state)
    except MastheadError as exc:
        fail(exc)
        return
    for item in accepted:
        err.print(f"{item.path.name}: {'; '.join(item.titles)}", highlight=False, markup=False)
        print(item.path)
