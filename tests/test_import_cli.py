"""`masthead import`: Markdown files out, --explain, one clear line for bad input, no traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import SEED, need_shared
from masthead.build import prepare
from masthead.cli import app
from masthead.sources.frontmatter import split_front_matter

runner = CliRunner()
FIXTURES = Path(__file__).parent / "fixtures" / "import"


def test_import_seed_with_explain(tmp_path: Path) -> None:
    need_shared(SEED)
    result = runner.invoke(app, ["import", str(SEED), "--out", str(tmp_path), "--explain"])
    assert result.exit_code == 0, result.output
    target = tmp_path / "u-s-troops-working-with-mexico-on-drug-war.md"
    assert result.stdout.strip() == str(target)
    meta, body, _ = split_front_matter(target.read_text(encoding="utf-8"), target)
    assert meta["title"] == "U.S. Troops Working with Mexico on Drug War"
    assert meta["authors"] == ["Alex Newman"]
    assert len(meta["related"]) == 15
    assert len(body.strip().split("\n\n")) == 20
    explained = result.stderr
    assert "line 5 " in explained and "byline" in explained
    assert "Written by Alex Newman" in explained
    assert "lines 99-121" in explained and "boilerplate" in explained
    assert "→ related" in explained and "→ image_caption" in explained
    assert "lines 47+53" in explained and "joined" in explained


def test_import_several_files_and_build_them(tmp_path: Path) -> None:
    need_shared(SEED)
    issue = tmp_path / "issue"
    result = runner.invoke(
        app, ["import", str(SEED), str(FIXTURES / "tram-depot.html"), "--out", str(issue)]
    )
    assert result.exit_code == 0, result.output
    written = [Path(line) for line in result.stdout.split()]
    assert [p.name for p in written] == [
        "u-s-troops-working-with-mexico-on-drug-war.md",
        "the-tram-depot-that-never-sleeps.md",
    ]
    assert result.stderr == ""  # Quiet without --explain.
    loaded, warnings = prepare(issue, title="Imported")  # A zero-config folder of the imports.
    assert sorted(a.title for a in loaded.articles) == [
        "The tram depot that never sleeps",
        "U.S. Troops Working with Mexico on Drug War",
    ]
    # The seed's photo was not saved: its caption stays in the front matter, unprinted, and the
    # build says so (one warning naming the line); its related titles name no article here
    # and have no address: one warning names them.
    caption, related = (str(w) for w in warnings)
    assert caption == f"{written[0]}:6: `image_caption` without an `image`: not printed"
    assert related.startswith(f"{written[0]}:")
    assert "related reading that leads nowhere" in related
    assert "'Obama Demands More War-making Powers from Congress'" in related


def test_existing_file_is_kept_without_force(tmp_path: Path) -> None:
    source = tmp_path / "wall.txt"
    source.write_text("The Harbour Wall\n\nIt stands.\n", encoding="utf-8")
    out = tmp_path / "out"
    assert runner.invoke(app, ["import", str(source), "--out", str(out)]).exit_code == 0
    target = out / "the-harbour-wall.md"
    target.write_text("edited by hand", encoding="utf-8")
    result = runner.invoke(app, ["import", str(source), "--out", str(out)])
    assert result.exit_code == 1
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert target.read_text(encoding="utf-8") == "edited by hand"
    result = runner.invoke(app, ["import", str(source), "--out", str(out), "--force"])
    assert result.exit_code == 0 and "It stands." in target.read_text(encoding="utf-8")


def test_publication_boilerplate_applies(tmp_path: Path) -> None:
    (tmp_path / "publication.toml").write_text(
        'name = "The Lantern"\n[import]\nboilerplate = ["^The Lantern is reader-funded"]\n'
    )
    source = tmp_path / "wall.txt"
    source.write_text("The Harbour Wall\n\nIt stands.\n\nThe Lantern is reader-funded. Thanks.\n")
    out = tmp_path / "no-1"  # An issue of the publication: its parent holds publication.toml.
    result = runner.invoke(app, ["import", str(source), "--out", str(out), "--explain"])
    assert result.exit_code == 0, result.output
    assert "reader-funded" not in (out / "the-harbour-wall.md").read_text(encoding="utf-8")
    assert "boilerplate" in result.stderr


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "is empty"),
        (b"By Ada Lovelace\n", "only a byline"),
        (b"The wall was built in a single winter by men who had never built one.\n", "no title"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ],
)
def test_bad_input_is_one_line_and_nothing_written(tmp_path: Path, data: bytes, words: str) -> None:
    good = tmp_path / "good.txt"
    good.write_text("The Harbour Wall\n\nIt stands.\n", encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(data)
    out = tmp_path / "out"
    result = runner.invoke(app, ["import", str(good), str(bad), "--out", str(out)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "bad.txt" in lines[0]
    assert "Traceback" not in result.output
    assert not out.exists()  # All or nothing: the good file was not written either.


def test_latin1_and_missing_and_unsupported(tmp_path: Path) -> None:
    latin = tmp_path / "cafe.txt"
    latin.write_bytes("Le Café\n\nDu thé à minuit.\n".encode("latin-1"))
    result = runner.invoke(app, ["import", str(latin), "--out", str(tmp_path), "--explain"])
    assert result.exit_code == 0 and "not UTF-8" in result.stderr
    assert "Du thé à minuit." in (tmp_path / "le-cafe.md").read_text(encoding="utf-8")
    for name, words in (("nope.txt", "no such file"), ("x.pdf", "cannot import")):
        path = tmp_path / name
        if name.endswith(".pdf"):
            shutil.copy(latin, path)
        result = runner.invoke(app, ["import", str(path), "--out", str(tmp_path)])
        assert result.exit_code == 1 and words in result.stderr


def test_import_requires_out(tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", str(tmp_path / "a.txt")])
    assert result.exit_code == 2


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "is empty"),
        (b"Written by Ada Lovelace on March 3, 2021\n", "only a byline"),
        (b"The wall was built in a single winter by men who had never built one.\n", "no title"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ],
)
def test_build_of_a_bad_raw_file_is_one_line(tmp_path: Path, data: bytes, words: str) -> None:
    issue = tmp_path / "issue"
    issue.mkdir()
    (issue / "issue.toml").write_text(
        '[issue]\ntitle = "T"\n[[sections]]\ntitle = "S"\narticles = ["raw.txt"]\n'
    )
    (issue / "raw.txt").write_bytes(data)
    result = runner.invoke(app, ["build", str(issue), "--out", str(tmp_path / "dist")])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "raw.txt" in lines[0]
    assert not (tmp_path / "dist").exists()


def test_build_of_a_latin1_raw_file(tmp_path: Path) -> None:
    issue = tmp_path / "issue"
    issue.mkdir()
    (issue / "issue.toml").write_text(
        '[issue]\ntitle = "T"\n[[sections]]\ntitle = "S"\narticles = ["cafe.htm", "raw.txt"]\n'
    )
    (issue / "raw.txt").write_bytes("Le Café\n\nBy Zoë Brontë\n\nDu thé.\n".encode("latin-1"))
    (issue / "cafe.htm").write_text(
        "<html><head><title>Night Tea</title></head><body><article><h1>Night Tea</h1>"
        "<p>" + "Tea is served at midnight in the harbour café. " * 6 + "</p></article>"
        "</body></html>",
        encoding="utf-8",
    )
    loaded, warnings = prepare(issue)
    assert [(a.title, a.authors) for a in loaded.articles] == [
        ("Night Tea", ()),
        ("Le Café", ("Zoë Brontë",)),
    ]
    assert "Du thé." in loaded.articles[1].body_html
