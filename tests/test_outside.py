"""A build reads only files inside the issue folder, its publication folder and the site root:
`../`, absolute paths and symlinks that lead elsewhere are errors naming the file and line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from masthead import build
from masthead.cli import app

runner = CliRunner()
MANIFEST = '[issue]\nnumber = 1\n[[sections]]\ntitle = "S"\narticles = ["a.md"]\n'


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 800), "teal").save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    """A publication with one issue, and a secret picture and text outside it."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.jpg").write_bytes(jpeg())
    (outside / "secret.md").write_text("---\ntitle: Secret\n---\nPrivate words.\n")
    publication = tmp_path / "pub"
    issue = publication / "no-1"
    issue.mkdir(parents=True)
    (publication / "publication.toml").write_text('name = "Pub"\n')
    (publication / "shared").mkdir()
    (publication / "shared" / "photo.jpg").write_bytes(jpeg())
    (issue / "issue.toml").write_text(MANIFEST)
    return {"outside": outside, "publication": publication, "issue": issue, "out": tmp_path / "o"}


def refused(layout: dict[str, Path], expected: str) -> None:
    out = layout["out"]
    out.mkdir(exist_ok=True)
    (out / "keep.txt").write_text("earlier build")
    for command in (
        ["build", str(layout["issue"]), "--out", str(out)],
        ["check", str(layout["issue"])],
    ):
        result = runner.invoke(app, command)
        assert result.exit_code == 1, result.output
        message = result.stderr.strip()
        assert len(message.splitlines()) == 1 and "Traceback" not in result.output, message
        assert message.startswith(f"error: {expected}"), message
        assert "is outside the publication" in message and "secret" in message
        assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_an_image_by_dot_dot_is_refused(layout: dict[str, Path]) -> None:
    article = layout["issue"] / "a.md"
    article.write_text("---\ntitle: A\n---\nText.\n\n![A photo](../../elsewhere/secret.jpg)\n")
    refused(layout, f"{article}:6: image ../../elsewhere/secret.jpg is outside the publication")


def test_an_absolute_image_path_is_refused(layout: dict[str, Path]) -> None:
    article = layout["issue"] / "a.md"
    secret = layout["outside"] / "secret.jpg"
    article.write_text(f"---\ntitle: A\nimage: {secret}\nimage_alt: A photo\n---\nText.\n")
    refused(layout, f"{article}:3: image {secret} is outside the publication")


def test_a_symlinked_image_leading_outside_is_refused(layout: dict[str, Path]) -> None:
    (layout["issue"] / "photo.jpg").symlink_to(layout["outside"] / "secret.jpg")
    article = layout["issue"] / "a.md"
    article.write_text("---\ntitle: A\n---\nText.\n\n![A photo](photo.jpg)\n")
    refused(layout, f"{article}:6: image photo.jpg is outside the publication (it leads to ")


def test_an_article_listed_outside_is_refused(layout: dict[str, Path]) -> None:
    manifest = layout["issue"] / "issue.toml"
    manifest.write_text(MANIFEST.replace('"a.md"', '"../../elsewhere/secret.md"'))
    refused(layout, f"{manifest}:5: article ../../elsewhere/secret.md is outside the publication")


def test_a_symlinked_article_leading_outside_is_refused(layout: dict[str, Path]) -> None:
    (layout["issue"] / "a.md").symlink_to(layout["outside"] / "secret.md")
    manifest = layout["issue"] / "issue.toml"
    refused(layout, f"{manifest}:5: article a.md is outside the publication (it leads to ")


def test_a_symlinked_article_in_a_zero_config_folder_is_refused(layout: dict[str, Path]) -> None:
    (layout["issue"] / "issue.toml").unlink()
    (layout["issue"] / "fine.md").write_text("---\ntitle: Fine\n---\nWords.\n")
    link = layout["issue"] / "b.md"
    link.symlink_to(layout["outside"] / "secret.md")
    refused(layout, f"{link}: article (a symlink) is outside the publication (it leads to ")


def test_a_cover_image_outside_is_refused(layout: dict[str, Path]) -> None:
    (layout["issue"] / "a.md").write_text("---\ntitle: A\n---\nText.\n")
    manifest = layout["issue"] / "issue.toml"
    secret = layout["outside"] / "secret.jpg"
    manifest.write_text(MANIFEST.replace("number = 1\n", f'number = 1\ncover_image = "{secret}"\n'))
    refused(layout, f"{manifest}:3: `cover_image` file is outside the publication")


def test_files_of_the_publication_folder_and_links_inside_are_read(
    layout: dict[str, Path],
) -> None:
    issue = layout["issue"]
    (issue / "same.jpg").symlink_to(layout["publication"] / "shared" / "photo.jpg")
    (issue / "a.md").write_text(
        "---\ntitle: A\n---\nText.\n\n![Shared](../shared/photo.jpg)\n\n![Linked](same.jpg)\n"
    )
    result = build(issue, out_dir=layout["out"], formats=("epub",))
    assert [p.suffix for p in result.outputs] == [".epub"]
