"""The seed article's 15 "Related articles" name earlier pieces of its magazine: imported into
the second issue of a publication whose first issue holds five of them (titles only; the
articles are our own text), they link there, and the ten others print as "Also from"."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from conftest import SEED, need_shared
from masthead.batch import build_all
from masthead.cli import app
from masthead.model import BuildResult

PUBLICATION = 'name = "The Courier"\nlanguage = "en"\nurl = "https://courier.example.org"\n'


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], BuildResult]:
    need_shared(SEED)
    root = tmp_path_factory.mktemp("seed")
    pub = root / "courier"
    second = pub / "no-2"
    second.mkdir(parents=True)
    (pub / "publication.toml").write_text(PUBLICATION)
    result = CliRunner().invoke(app, ["import", str(SEED), "--out", str(second)])
    assert result.exit_code == 0, result.output
    imported = Path(result.stdout.split()[0])
    meta = yaml.safe_load(imported.read_text().split("---")[1])
    titles = [r if isinstance(r, str) else r["title"] for r in meta["related"]]
    assert len(titles) == 15
    (second / "issue.toml").write_text(
        '[issue]\nnumber = 2\ndate = 2012-11-15\ntitle = "Second"\n\n'
        f'[[sections]]\ntitle = "News"\narticles = ["{imported.name}"]\n'
    )
    first = pub / "no-1"
    first.mkdir()
    names = []
    for n, title in enumerate(titles[:5]):
        # Every other one in other capitals, as an editor might retype it.
        written = title.upper() if n % 2 else title
        (first / f"a{n}.md").write_text(
            f'---\ntitle: "{written.replace(chr(34), "")}"\ndate: 2012-06-0{n + 1}\n---\n\n'
            f"Our own report number {n}, about rivers, bridges and the weather in spring.\n"
        )
        names.append(f'"a{n}.md"')
    (first / "issue.toml").write_text(
        '[issue]\nnumber = 1\ndate = 2012-06-15\ntitle = "First"\n\n'
        f'[[sections]]\ntitle = "News"\narticles = [{", ".join(names)}]\n'
    )
    out = root / "dist"
    batch = build_all([pub], out_dir=out, formats=("epub", "pdf"), jobs=2)
    assert all(isinstance(r, BuildResult) for r in batch.results), batch.results
    second_result = batch.results[1]
    assert isinstance(second_result, BuildResult)
    return out, titles, second_result


def test_seed_related_titles_link_to_the_earlier_issue(
    seeded: tuple[Path, list[str], BuildResult],
) -> None:
    out, titles, result = seeded
    pdf = next(p for p in result.outputs if p.suffix == ".pdf")
    text = " ".join(
        subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout.split()
    )
    # Printed with the earlier article's own title (in capitals for every other one).
    low = text.lower()
    linked = [
        t for t in titles if t.lower() in low and "— no. 1, p." in low.split(t.lower(), 1)[1][:20]
    ]
    assert len(linked) == 5, linked
    epub = next(p for p in result.outputs if p.suffix == ".epub")
    with zipfile.ZipFile(epub) as book:
        chapter = next(
            book.read(n).decode()
            for n in book.namelist()
            if n.endswith(".xhtml") and "a" in n and b'class="related"' in book.read(n)
        )
    assert chapter.count('<span class="in-issue">No. 1</span>') == 5
    assert chapter.count("Also from The Courier: ") == 10
    warned = [w for w in result.warnings if "names no article of the archive" in w.message]
    assert len(warned) == 10
    assert {t for t in titles[5:] if any(f"'{t}'" in w.message for w in warned)} == set(titles[5:])
    archive_page = next((out / "archive" / "articles" / "no-2").glob("*.html")).read_text()
    assert archive_page.count('href="../../articles/no-1/') == 5
