"""No more than two hyphenated line-ends in a row (WeasyPrint 70 has no hyphenate-limit-lines):
a paragraph with more is set again without hyphenation, in one pass as in pieces."""

from __future__ import annotations

from pathlib import Path

import pytest
from pages import pdfs_by_mode, text_lines

BODY_PT = 10.25  # The default theme's body size on A4 (tests/test_magazine.py).
HYPHENS = "\u2010-\u00ad"
LONG_WORDS = (
    "uncharacteristically internationalisation counterrevolutionaries incomprehensibility "
    "disproportionately electroencephalography interdisciplinary institutionalisation "
    "compartmentalisation misunderstandings overrepresentation "
)
MANIFEST = """[publication]\nname = "Hyphens"\narticle_break = "page"\n
[issue]\nnumber = 1\n[[sections]]\ntitle = "S"\narticles = ["a.md", "b.md"]\n"""


def _issue(tmp_path: Path) -> Path:
    folder = tmp_path / "issue"
    folder.mkdir()
    (folder / "issue.toml").write_text(MANIFEST)
    ladder = " ".join([LONG_WORDS] * 6)
    (folder / "a.md").write_text(f"---\ntitle: Long Words\n---\n\nShort words first.\n\n{ladder}\n")
    (folder / "b.md").write_text("---\ntitle: Plain\n---\n\nNothing to hyphenate here.\n")
    return folder


def _worst_run(pdf: Path) -> int:
    """The most hyphenated line-ends in a row, in any column (a column: the lines of a page
    that start at one place, in order)."""
    columns: dict[tuple[int, int], list[str]] = {}
    for line in text_lines(pdf, BODY_PT):
        columns.setdefault((line.page, round(line.left)), []).append(line.text.rstrip())
    worst = 0
    for lines in columns.values():
        run = 0
        for text in lines:
            run = run + 1 if text.endswith(tuple(HYPHENS)) else 0
            worst = max(worst, run)
    return worst


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The issue as one pass and in pieces; and one pass with the limit turned off."""
    tmp = tmp_path_factory.mktemp("hyphens")
    folder = _issue(tmp)
    return pdfs_by_mode(folder, tmp)


def test_without_the_limit_the_paragraph_makes_a_ladder(pdfs: dict[str, Path]) -> None:
    assert _worst_run(pdfs["off"]) >= 3


@pytest.mark.parametrize("mode", ["single", "fast"])
def test_no_more_than_two_hyphenated_lines_in_a_row(pdfs: dict[str, Path], mode: str) -> None:
    assert _worst_run(pdfs[mode]) <= 2
    words = " ".join(line.text for line in text_lines(pdfs[mode], BODY_PT))
    assert "uncharacteristically internationalisation" in words  # The paragraph is there.


def test_one_pass_and_pieces_agree(pdfs: dict[str, Path]) -> None:
    one, two = (
        [line.text for line in text_lines(pdfs[mode], BODY_PT)] for mode in ("single", "fast")
    )
    assert one == two
