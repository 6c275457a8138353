"""Processed images and the EPUB from cold: best-of-N wall times in fresh processes.

- An image-heavy folder (6 articles, 4 large PNGs that e-readers need smaller): the EPUB-only
  build from cold, and the rebuild after one article is edited (the images' facts and resized
  copies come from dist/.masthead/images/).
- rust-blog-2018: the EPUB-only build from cold (nothing in dist/.masthead) against pandoc's
  EPUB of the same posts.

    .venv/bin/python benchmarks/images.py [--runs 5] [--src OTHER/src] [--no-write]

`--src` measures another checkout's code (say main before a change) with the same inputs.
Writes its table into RESULTS.md between the images markers.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
RUST_BLOG = ROOT.parent / "shared" / "corpora" / "rust-blog-2018"
START, END = "<!-- images:start -->", "<!-- images:end -->"
BUILD = (
    "import sys; from masthead.build import build; "
    "build(sys.argv[1], out_dir=sys.argv[2], formats=('epub',), use_cache=sys.argv[3] == '1')"
)


def image_heavy(folder: Path) -> Path:
    """Six short articles, four of them with a 3000 x 2200 PNG (6.6 megapixels)."""
    from PIL import Image

    folder.mkdir(parents=True)
    names = []
    for i in range(6):
        name = f"post-{i + 1}.md"
        names.append(name)
        picture = ""
        if i < 4:
            base = Image.linear_gradient("L").resize((3000, 2200)).convert("RGB")
            noise = Image.effect_noise((3000, 2200), 20 + 10 * i).convert("RGB")
            Image.blend(base, noise, 0.3).save(folder / f"photo-{i + 1}.png")
            picture = f"\n![A photograph, number {i + 1}](photo-{i + 1}.png)\n"
        words = " ".join(["Words of the article, one after another."] * 40)
        (folder / name).write_text(f"---\ntitle: Post {i + 1}\n---\n\n{words}\n{picture}")
    (folder / "issue.toml").write_text(
        f'[issue]\nnumber = 1\n\n[[sections]]\ntitle = "Posts"\narticles = {names!r}\n'.replace(
            "'", '"'
        )
    )
    return folder


def timed(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, env=env, capture_output=True)
    return time.perf_counter() - start


def best(times: list[float]) -> str:
    return f"{min(times):.2f} ({', '.join(f'{t:.2f}' for t in times)})"


def pandoc_sources(folder: Path) -> list[str]:
    """rust-blog's posts for pandoc, the ones masthead builds (page bundles included): each body
    under its title (pandoc reads no TOML front matter), written beside the originals as hidden
    files masthead does not read."""
    sys.path.insert(0, str(ROOT / "src"))
    from masthead.sources.folder import load

    found = []
    for i, raw in enumerate(load(folder).articles):
        copy = raw.path.parent / f".pandoc-{i:03d}.md"
        copy.write_text(f"# {raw.meta.get('title', raw.path.stem)}\n\n{raw.body}")
        found.append(str(copy))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--src", default=str(ROOT / "src"), help="the masthead code to measure")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": args.src}
    python = [sys.executable, "-c", BUILD]
    rows: dict[str, list[float]] = {"cold": [], "edit": [], "rust": [], "pandoc": []}
    with tempfile.TemporaryDirectory(prefix="masthead-images-") as tmp:
        work = Path(tmp)
        heavy = image_heavy(work / "heavy")
        rust = work / "rust-blog-2018"
        shutil.copytree(RUST_BLOG, rust)
        sources = pandoc_sources(rust)
        first = heavy / "post-1.md"
        original = first.read_text()
        for run in range(args.runs):
            out = work / f"out-{run}"
            rows["cold"].append(timed([*python, str(heavy), str(out), "0"], env))
            first.write_text(original + f"\nAn edit, number {run}.\n")
            rows["edit"].append(timed([*python, str(heavy), str(out), "1"], env))
            first.write_text(original)
            rust_out = work / f"rust-out-{run}"
            rows["rust"].append(timed([*python, str(rust), str(rust_out), "0"], env))
            folders = ":".join(sorted({str(Path(source).parent) for source in sources}))
            pandoc = ["pandoc", "--resource-path", folders, "--metadata", "title=rust-blog"]
            rows["pandoc"].append(
                timed([*pandoc, "-o", str(work / f"pandoc-{run}.epub"), *sources], env)
            )
    ratio = min(rows["rust"]) / min(rows["pandoc"])
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    body = "\n".join(
        [
            f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; code: `{args.src}`",
            f"- machine: `{' '.join(os.uname())}`, {os.cpu_count()} cores; load average at the "
            f"end {load} (other engineers' builds and tests ran on the same 2 cores: wall times "
            "are noisy, each is the best of the runs, all runs listed)",
            f"- command: `.venv/bin/python benchmarks/images.py --runs {args.runs}`",
            "",
            "| EPUB-only build (wall s, best of runs) | s |",
            "| --- | --- |",
            f"| image-heavy folder (4 PNGs of 6.6 MP), from cold | {best(rows['cold'])} |",
            f"| the same after editing one article | {best(rows['edit'])} |",
            f"| rust-blog-2018, from cold | {best(rows['rust'])} |",
            f"| pandoc's EPUB of rust-blog-2018 | {best(rows['pandoc'])} |",
            f"| rust-blog-2018 cold / pandoc | {ratio:.2f}x |",
        ]
    )
    print(body)
    if not args.no_write:
        old = RESULTS.read_text()
        if START not in old:
            old = old.rstrip() + f"\n\n{START}\n{END}\n"
        head, rest = old.split(START, 1)
        RESULTS.write_text(f"{head}{START}\n{body}\n{END}{rest.split(END, 1)[1]}")


if __name__ == "__main__":
    main()
