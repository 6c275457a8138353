"""masthead's benchmark: synthetic issues of 10, 50 and 200 articles and the rust-blog corpus.

    .venv/bin/python benchmarks/run.py            # everything (about 10-15 minutes on 2 cores)
    .venv/bin/python benchmarks/run.py --quick    # without the 200-article issue

Each measurement runs in a fresh subprocess, so imports count and peak memory is that build's
own: the resident memory of the process and all its children, sampled every 20 ms from /proc
(a build that lays out pages in worker processes is measured with its workers). The results
table is written into benchmarks/RESULTS.md between the `results` markers; the prose around it
(where the time goes) is kept.
"""

from __future__ import annotations

import argparse
import datetime as dt
import inspect
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUST_BLOG = ROOT.parent / "shared" / "corpora" / "rust-blog-2018"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
PYTHON = sys.executable
SEED = 20261128
START, END = "<!-- results:start -->", "<!-- results:end -->"

WORDS = """night lamp harbour street window light city river bridge market ferry moth room
dark star signal winter evening keeper stair lantern quiet crossing island tide bread shift
nurse porter engine glass copper pavement corner baker clock tower shadow rain fog wire gas
sodium council survey volunteer measure sky horizon glow orange amber silver black cold warm
the a of and in on to with for by from at over under after before between through across
is was were has had will would could should may might keeps walks counts carries waits
listens remembers opens closes burns fades rises falls turns holds every most some many
few long short old new early late slow fast bright dim small large first last"""
WORDS = WORDS.split()


# --- synthetic issues ----------------------------------------------------------------------------


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 22))]
    return " ".join(words).capitalize() + rng.choice([".", ".", ".", "?", ";"]).replace(";", ".")


def _paragraph(rng: random.Random, words: int) -> str:
    out: list[str] = []
    while sum(len(s.split()) for s in out) < words:
        out.append(_sentence(rng))
    return " ".join(out)


def _image(path: Path, rng: random.Random) -> None:
    from PIL import Image, ImageDraw

    width, height = 1200, 800
    image = Image.new("RGB", (width, height), tuple(rng.randrange(30, 90) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(width), rng.randrange(height)
        w, h = rng.randrange(40, 400), rng.randrange(40, 300)
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            draw.ellipse((x, y, x + w, y + h), fill=colour)
        else:
            draw.rectangle((x, y, x + w, y + h), fill=colour)
    image.save(path, "JPEG", quality=85)


def make_issue(folder: Path, count: int, seed: int = SEED) -> Path:
    """An issue of `count` articles of about 1,000 words, one image each, in four sections."""
    rng = random.Random(seed + count)
    folder.mkdir(parents=True)
    (folder / "images").mkdir()
    (folder.parent / "publication.toml").write_text(
        'name = "The Benchmark"\ntagline = "Synthetic articles, fixed seed"\nlanguage = "en"\n'
        'publisher = "masthead"\n'
    )
    titles = [f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} no. {i + 1}" for i in range(count)]
    names = [f"article-{i + 1:03d}.md" for i in range(count)]
    for i, (name, title) in enumerate(zip(names, titles, strict=True)):
        _image(folder / "images" / f"image-{i + 1:03d}.jpg", rng)
        related = rng.sample([t for t in titles if t != title], k=min(2, count - 1))
        parts = [_paragraph(rng, 120)]
        note = i % 3 == 0
        while sum(len(p.split()) for p in parts) < 1000:
            if rng.random() < 0.2:
                parts.append(f"## {_sentence(rng).rstrip('.?')}")
            parts.append(_paragraph(rng, rng.randint(60, 140)))
        if note:
            parts[2] += "[^1]"
            parts.append(f"[^1]: {_sentence(rng)}")
        front = {
            "title": title,
            "dek": _sentence(rng),
            "authors": [f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()}"],
            "date": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "image": f"images/image-{i + 1:03d}.jpg",
            "image_alt": "Coloured shapes on a dark ground.",
            "image_caption": _sentence(rng),
            "related": related,
        }
        (folder / name).write_text(
            "---\n" + json.dumps(front, indent=1) + "\n---\n\n" + "\n\n".join(parts) + "\n"
        )
    sections = ["Features", "Dispatches", "Essays", "Letters"]
    per = -(-count // len(sections))
    toml = [
        "[issue]",
        "volume = 1",
        f"number = {count}",
        "date = 2026-11-01",
        f'title = "{count} articles"',
    ]
    for s, section in enumerate(sections):
        chunk = names[s * per : (s + 1) * per]
        if chunk:
            toml += ["", "[[sections]]", f'title = "{section}"', f"articles = {json.dumps(chunk)}"]
    (folder / "issue.toml").write_text("\n".join(toml) + "\n")
    return folder


# --- one measurement in a subprocess -------------------------------------------------------------


def _tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    stack.extend(int(c) for c in f.read().split())
        except (OSError, ValueError):
            continue
    return total


def measure(args: list[str], cwd: Path | None = None, env: dict | None = None) -> dict:
    """Run a command; wall time, peak memory of its process tree, and its JSON output if any."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd, env=env
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    result: dict = {"wall": wall, "cpu": cpu, "peak": peak, "rc": proc.returncode}
    if proc.returncode != 0:
        result["error"] = (err or out).strip().splitlines()[-1:] or ["failed"]
        print(f"    ! {' '.join(map(str, args[:4]))}…: {result['error'][0]}", file=sys.stderr)
    last = out.strip().splitlines()[-1] if out.strip() else ""
    if last.startswith("{"):
        result.update(json.loads(last))
    return result


def child_build(spec: dict) -> dict:
    """In the child: masthead.build() with the given options; stage timings, pages, sizes."""
    import resource

    import masthead

    accepted = inspect.signature(masthead.build).parameters
    options = {k: v for k, v in spec.get("options", {}).items() if k in accepted}
    if "formats" in spec:
        options["formats"] = tuple(spec["formats"])
    result = masthead.build(Path(spec["path"]), out_dir=Path(spec["out"]), **options)
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "timings": result.timings,
        "pages": result.pdf_pages,
        "sizes": {p.suffix: p.stat().st_size for p in result.outputs},
        "maxrss_self": usage * 1024,
        "maxrss_child": children * 1024,
    }


def child_weasyprint(spec: dict) -> dict:
    """In the child: masthead's final HTML laid out by plain single-process WeasyPrint."""
    from weasyprint import HTML

    from masthead.build import prepare
    from masthead.editions.pdf import single as pdf
    from masthead.render.documents import render_pdf

    issue, _ = prepare(Path(spec["path"]))
    html = render_pdf(issue, pdf.page_size_css(issue.publication.page_size)).html
    finish = getattr(pdf, "finish_html", None)  # Footnotes, drop caps: part of the final HTML.
    if finish is not None:
        html = finish(html)
    if spec.get("save_html"):
        Path(spec["save_html"]).write_text(html)
    start = time.perf_counter()
    document = HTML(string=html, base_url=pdf.ASSET_BASE, url_fetcher=pdf.asset_fetcher(issue))
    data = document.write_pdf()
    Path(spec["out"]).write_bytes(data)
    from pypdf import PdfReader

    return {"layout": time.perf_counter() - start, "pages": len(PdfReader(spec["out"]).pages)}


def child_final_html(spec: dict) -> dict:
    """In the child: write the final HTML with images beside it under their hrefs (for Prince)."""
    from masthead.build import prepare
    from masthead.editions.pdf import single as pdf
    from masthead.render.documents import render_pdf

    issue, _ = prepare(Path(spec["path"]))
    html = render_pdf(issue, pdf.page_size_css(issue.publication.page_size)).html
    finish = getattr(pdf, "finish_html", None)
    if finish is not None:
        html = finish(html)
    folder = Path(spec["folder"])
    for asset in issue.assets:
        target = folder / asset.href
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            target.symlink_to(asset.source)
    (folder / "issue.html").write_text(html)
    return {"articles": [str(a.source) for a in issue.articles]}


def child(kind: str, spec: dict) -> None:
    run = {"build": child_build, "weasyprint": child_weasyprint, "html": child_final_html}[kind]
    print(json.dumps(run(spec)))


def py(kind: str, spec: dict) -> list[str]:
    return [PYTHON, str(Path(__file__).resolve()), "--child", kind, json.dumps(spec)]


# --- scenarios -----------------------------------------------------------------------------------


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p): (p.stat().st_mtime_ns, p.stat().st_ino) for p in folder.rglob("*") if p.is_file()
    }


def pandoc_sources(articles: list[str], folder: Path) -> list[str]:
    """The posts for pandoc: each article's body under a YAML title block (pandoc reads no TOML)."""
    sys.path.insert(0, str(ROOT / "src"))
    from masthead.sources.folder import split_front_matter

    out: list[str] = []
    for i, name in enumerate(articles):
        source = Path(name)
        meta, body, _ = split_front_matter(source.read_text(), source)
        title = str(meta.get("title", source.stem)).replace('"', "'")
        copy = source.parent / f".pandoc-{i:03d}.md"
        copy.write_text(f"# {title}\n\n{body}")
        out.append(str(copy))
    return out


def bench_issue(name: str, path: Path, work: Path, full: bool) -> dict:
    """Every measurement for one issue; `full` adds format-alone, rebuild and edit scenarios."""
    row: dict = {"name": name}
    out = work / "out"

    def build(key: str, out_dir: Path, formats=("epub", "pdf"), **options) -> dict:
        spec = {"path": str(path), "out": str(out_dir), "formats": list(formats)}
        spec["options"] = options
        print(f"  {name}: {key}", file=sys.stderr, flush=True)
        row[key] = measure(py("build", spec))
        return row[key]

    # The default build: both formats, tagged PDF (PDF/UA-1), laid out in pieces in parallel
    # (fastpdf.py) from 3 articles, in one pass below that.
    build("both", out / "both", use_cache=False)
    # Untagged ("draft") PDFs, laid out in pieces.
    draft = {"pdf_variant": "none", "use_cache": False}
    build("draft_fast", out / "draft_fast", formats=("pdf",), pdf_mode="fast", **draft)
    if full:
        build("epub", out / "epub", formats=("epub",), use_cache=False)
        # The EPUB alone again where the full build left its cover image (dist/.masthead).
        build("epub_warm", out / "both", formats=("epub",))
        build("pdf", out / "pdf", formats=("pdf",), use_cache=False)
        build("pdf_single", out / "pdf_single", formats=("pdf",), pdf_mode="single",
              use_cache=False)  # fmt: skip
        build("draft_single", out / "draft_single", formats=("pdf",), pdf_mode="single", **draft)
        build("both_draft", out / "both_draft", pdf_mode="fast", **draft)
        # No change: the command as an editor types it, startup included; nothing rewritten.
        before = snapshot(out / "both")
        cli = [str(Path(PYTHON).parent / "masthead"), "build", str(path)]
        cli += ["--out", str(out / "both")]
        print(f"  {name}: no-change rebuild", file=sys.stderr, flush=True)
        row["nochange"] = measure(cli)
        row["nochange"]["rewrote"] = snapshot(out / "both") != before
        # One article edited (a sentence added in the middle of the issue), PDF rebuilt: the
        # fast draft PDF (its pieces cached), and the default one-pass PDF.
        articles = sorted(path.glob("*.md")) or sorted(path.glob("*/index.md"))
        target = articles[len(articles) // 2]
        original = target.read_text()
        target.write_text(original.rstrip() + "\n\nOne more sentence, added by the benchmark.\n")
        try:
            build("edit", out / "draft_fast", formats=("pdf",), pdf_variant="none", pdf_mode="fast")
            build("edit_tagged", out / "pdf", formats=("pdf",))
            build("edit_single", out / "pdf_single", formats=("pdf",), pdf_mode="single")
        finally:
            target.write_text(original)
    print(f"  {name}: plain WeasyPrint", file=sys.stderr, flush=True)
    row["weasyprint"] = measure(
        py("weasyprint", {"path": str(path), "out": str(work / "weasyprint.pdf")})
    )
    html_dir = work / "html"
    html_dir.mkdir(exist_ok=True)
    info = measure(py("html", {"path": str(path), "folder": str(html_dir)}))
    row["articles"] = len(info.get("articles", [])) or "—"
    sources = pandoc_sources(info.get("articles", []), work)
    resource_path = ":".join(dict.fromkeys(str(Path(a).parent) for a in info.get("articles", [])))
    env = dict(os.environ, PATH=f"{Path(PYTHON).parent}:{os.environ['PATH']}")
    if shutil.which("pandoc"):
        print(f"  {name}: pandoc", file=sys.stderr, flush=True)
        common = ["pandoc", "--resource-path", resource_path, "--metadata", f"title={name}"]
        row["pandoc_epub"] = measure([*common, "-o", str(work / "pandoc.epub"), *sources], env=env)
        row["pandoc_pdf"] = measure(
            [*common, "--pdf-engine=weasyprint", "-o", str(work / "pandoc.pdf"), *sources],
            cwd=path,
            env=env,
        )
        for key, file in (("pandoc_epub", "pandoc.epub"), ("pandoc_pdf", "pandoc.pdf")):
            if (work / file).exists():
                row[key]["size"] = (work / file).stat().st_size
        if (work / "pandoc.pdf").exists():
            row["pandoc_pdf"]["pages"] = _pages(work / "pandoc.pdf")
    prince = shutil.which("prince") or shutil.which("prince", path=str(Path(PYTHON).parent))
    if prince:
        print(f"  {name}: Prince", file=sys.stderr, flush=True)
        row["prince"] = measure(
            [prince, str(html_dir / "issue.html"), "-o", str(work / "prince.pdf")]
        )
        if (work / "prince.pdf").exists():
            row["prince"]["pages"] = _pages(work / "prince.pdf")
    return row


def _pages(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)


# --- report --------------------------------------------------------------------------------------


def machine() -> str:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        ram = int(Path("/proc/meminfo").read_text().split()[1]) / 1024**2
    except OSError:
        ram = 0.0
    return (
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC\n"
        f"- machine: `{' '.join(platform.uname())}`\n"
        f"- CPU: {cpu}; {os.cpu_count()} cores; RAM {ram:.1f} GiB\n"
        f"- load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
        "(other work on the machine makes wall times noisy; CPU seconds are steadier)\n"
        f"- Python {platform.python_version()}; "
        f"WeasyPrint {_version('weasyprint')}; pandoc {_pandoc_version()}; "
        f"Prince {_prince_version()}\n"
    )


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def _pandoc_version() -> str:
    if not shutil.which("pandoc"):
        return "not installed"
    return subprocess.run(["pandoc", "--version"], capture_output=True, text=True).stdout.split()[1]


def _prince_version() -> str:
    prince = shutil.which("prince") or shutil.which("prince", path=str(Path(PYTHON).parent))
    if not prince:
        return "not installed"
    return subprocess.run([prince, "--version"], capture_output=True, text=True).stdout.split()[1]


def _s(m: dict | None, key: str = "wall") -> str:
    if not m or m.get("rc", 0) != 0 or key not in m:
        return "—"
    return f"{m[key]:.2f}"


def _mb(value: float | None) -> str:
    return "—" if not value else f"{value / 1e6:.0f}"


def _ratio(a: dict | None, b: dict | None, key_a: str = "wall", key_b: str = "wall") -> str:
    if not a or not b or a.get("rc", 0) or b.get("rc", 0) or key_a not in a or key_b not in b:
        return "—"
    return f"{a[key_a] / b[key_b]:.2f}x"


def _cpu(m: dict | None) -> str:
    return _s(m, "cpu")


def report(rows: list[dict], header: str, skipped: list[str]) -> str:
    lines = [header, ""]
    lines += [
        "### Default build (EPUB + tagged PDF/UA-1, in pieces from 3 articles), stage times "
        "from BuildResult.timings",
        "",
        "| issue | articles | pages | load s | render s | EPUB s | PDF s | write s | wall s "
        "| CPU s | peak MB | EPUB MB | PDF MB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        both = row.get("both", {})
        t = both.get("timings", {})
        sizes = both.get("sizes", {})
        lines.append(
            f"| {row['name']} | {row.get('articles', '—')} | {both.get('pages', '—')} | "
            + " | ".join(
                f"{t[k]:.2f}" if k in t else "—" for k in ("load", "render", "epub", "pdf", "write")
            )
            + f" | {_s(both)} | {_cpu(both)} | {_mb(both.get('peak'))} | "
            f"{_mb(sizes.get('.epub'))} | {_mb(sizes.get('.pdf'))} |"
        )
    lines += [
        "",
        "### PDF: masthead's ways against plain WeasyPrint, pandoc and Prince (wall s; pages)",
        "",
        "| issue | tagged, one pass | tagged, default | untagged, one pass | untagged, fast "
        "| plain WeasyPrint | fast / plain | tagged default / plain | fast PDF MB (one pass MB) "
        "| fast peak MB | pandoc PDF | Prince | fast / Prince |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        fast, plain = row.get("draft_fast"), row.get("weasyprint")
        one_pass = row.get("draft_single") or row.get("pdf") or {}
        pp, pr = row.get("pandoc_pdf", {}), row.get("prince", {})
        fast_mb = _mb((fast or {}).get("sizes", {}).get(".pdf"))
        single_mb = _mb(one_pass.get("sizes", {}).get(".pdf"))
        lines.append(
            f"| {row['name']} | {_s(row.get('pdf_single'))} | {_s(row.get('pdf'))} | "
            f"{_s(row.get('draft_single'))} | "
            f"{_s(fast)} ({(fast or {}).get('pages', '—')}) | "
            f"{_s(plain)} ({(plain or {}).get('pages', '—')}) | {_ratio(fast, plain)} | "
            f"{_ratio(row.get('pdf'), plain)} | "
            f"{fast_mb} ({single_mb}) | {_mb((fast or {}).get('peak'))} | "
            f"{_s(pp)} ({pp.get('pages', '—')}) | {_s(pr)} ({pr.get('pages', '—')}) | "
            f"{_ratio(fast, pr)} |"
        )
    lines += [
        "",
        "### EPUB against pandoc (wall s)",
        "",
        "| issue | masthead EPUB only | pandoc EPUB | masthead / pandoc | EPUB only, cover "
        "already rendered | that / pandoc |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        if "epub" in row:
            lines.append(
                f"| {row['name']} | {_s(row['epub'])} | {_s(row.get('pandoc_epub'))} | "
                f"{_ratio(row['epub'], row.get('pandoc_epub'))} | {_s(row.get('epub_warm'))} | "
                f"{_ratio(row.get('epub_warm'), row.get('pandoc_epub'))} |"
            )
    lines += [
        "",
        "### Rebuilds and the targets (wall s)",
        "",
        "| issue | no change (CLI) | rewrote | fast PDF after 1 edit | edit / fast full | "
        "tagged PDF after 1 edit | edit / tagged full | one-pass PDF after 1 edit | "
        "both fast / (EPUB + fast PDF) | both tagged / (EPUB + PDF) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        if "nochange" not in row:
            continue
        epub = row.get("epub")
        lines.append(
            f"| {row['name']} | {_s(row['nochange'])} | "
            f"{'yes' if row['nochange'].get('rewrote') else 'no'} | {_s(row.get('edit'))} | "
            f"{_ratio(row.get('edit'), row.get('draft_fast'))} | {_s(row.get('edit_tagged'))} | "
            f"{_ratio(row.get('edit_tagged'), row.get('pdf'))} | {_s(row.get('edit_single'))} | "
            f"{_sum_ratio(row.get('both_draft'), epub, row.get('draft_fast'))} | "
            f"{_sum_ratio(row.get('both'), epub, row.get('pdf'))} |"
        )
    names = {r["name"]: r for r in rows}
    if "synthetic-50" in names and "synthetic-200" in names:
        a, b = names["synthetic-50"], names["synthetic-200"]
        lines += [
            "",
            "200 articles / 50 articles: fast PDF "
            f"{_ratio(b.get('draft_fast'), a.get('draft_fast'))}"
            f", default build {_ratio(b.get('both'), a.get('both'))}; peak of the 200-article "
            f"fast PDF {_mb(b.get('draft_fast', {}).get('peak'))} MB, default build "
            f"{_mb(b.get('both', {}).get('peak'))} MB.",
        ]
    if skipped:
        lines += [""] + [f"Skipped: {s}" for s in skipped]
    lines += [
        "",
        "Wall seconds of a fresh process (imports included) unless marked; CPU s is user + "
        'system time of the process and its workers. "plain WeasyPrint" is masthead\'s final '
        "HTML through `HTML(string=…).write_pdf()` with the same URL fetcher (untagged, one "
        'layout). "fast" is `pdf_variant="none", pdf_mode="fast"`; "tagged, default" is the '
        'default PDF (PDF/UA-1, `pdf_mode="auto"`: in pieces from 3 articles). Peak is the '
        "summed resident memory of the process and its workers, sampled every 20 ms.",
    ]
    return "\n".join(lines)


def _sum_ratio(whole: dict | None, a: dict | None, b: dict | None) -> str:
    parts = (whole, a, b)
    if any(not p or p.get("rc", 0) or "wall" not in p for p in parts):
        return "—"
    return f"{whole['wall'] / (a['wall'] + b['wall']):.2f}x"  # type: ignore[index]


def write_results(body: str) -> None:
    old = RESULTS.read_text() if RESULTS.exists() else f"# Benchmark results\n\n{START}\n{END}\n"
    if START not in old or END not in old:
        old = old.rstrip() + f"\n\n{START}\n{END}\n"
    head, rest = old.split(START, 1)
    tail = rest.split(END, 1)[1]
    RESULTS.write_text(f"{head}{START}\n{body}\n{END}{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 200-article issue")
    parser.add_argument("--sizes", default=None, help="comma-separated article counts")
    parser.add_argument("--no-write", action="store_true", help="print; leave RESULTS.md alone")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], json.loads(args.child[1]))
        return
    # As an installed package has it (an editable install compiles nothing, and this machine
    # sets PYTHONDONTWRITEBYTECODE): each run would otherwise compile masthead's modules again.
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(ROOT / "src")], check=False)
    sizes = [10, 50] if args.quick else [10, 50, 200]
    if args.sizes:
        sizes = [int(s) for s in args.sizes.split(",")]
    rows: list[dict] = []
    skipped: list[str] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="masthead-bench-") as tmp:
        work = Path(tmp)
        cases: list[tuple[str, Path, int | str]] = []
        for count in sizes:
            folder = make_issue(work / f"pub-{count}" / "issue", count)
            cases.append((f"synthetic-{count}", folder, count))
        if RUST_BLOG.is_dir():
            copy = work / "rust-blog-2018"
            shutil.copytree(RUST_BLOG, copy)
            cases.append(("rust-blog-2018", copy, 0))
        else:
            skipped.append(f"rust-blog-2018: {RUST_BLOG} is absent")
            print(f"skipping rust-blog-2018: {RUST_BLOG} is absent", file=sys.stderr)
        for name, folder, count in cases:
            case_work = work / f"work-{name}"
            case_work.mkdir()
            # The 200-article issue: the full build and the baselines only, to stay in time.
            rows.append(bench_issue(name, folder, case_work, full=count != 200))
    total = time.perf_counter() - started
    header = machine() + "- command: `.venv/bin/python benchmarks/run.py"
    header += f"{' --quick' if args.quick else ''}` ({total / 60:.1f} min)\n"
    body = report(rows, header, skipped)
    print(body)
    if not args.no_write:
        # The raw numbers behind the tables, beside them.
        (ROOT / "benchmarks" / "last-run.json").write_text(json.dumps(rows, indent=1, default=str))
        write_results(body)


if __name__ == "__main__":
    main()
