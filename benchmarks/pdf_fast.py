"""The fast PDF's targets alone, with its checks on: the default (tagged) PDF of the synthetic
issue against plain WeasyPrint on the same HTML, a rebuild after a one-article edit against a
full build, and what the checks of the joined PDF cost.

    .venv/bin/python benchmarks/pdf_fast.py [--articles 50] [--runs 3]

Each build runs in a fresh subprocess (run.py's `measure`); the best of `--runs` is kept, as
other work on the machine only ever adds time. Prints a Markdown table for RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # noqa: E402  (run.py beside this file: the synthetic issue and the measurements)


def child_build(spec: dict) -> dict:
    """In the child: masthead.build(), timing the checks of the joined PDF as they run."""
    import masthead
    from masthead.editions.pdf import fast

    spent: list[float] = []
    original = fast.check

    def timed(*args: object, **kwargs: object) -> None:
        start = time.perf_counter()
        try:
            original(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            spent.append(time.perf_counter() - start)

    fast.check = timed  # type: ignore[assignment]
    result = masthead.build(
        Path(spec["path"]), out_dir=Path(spec["out"]), formats=("pdf",), **spec["options"]
    )
    fell_back = [w.message for w in result.warnings if "one pass" in w.message]
    return {"pages": result.pdf_pages, "check": sum(spent), "fell_back": fell_back}


def _build(path: Path, out: Path, **options: object) -> dict:
    spec = json.dumps({"path": str(path), "out": str(out), "options": options})
    return run.measure([sys.executable, __file__, "--child", spec])


def _best(runs: list[dict]) -> dict:
    return min(runs, key=lambda m: m["wall"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child_build(json.loads(args.child))))
        return
    with tempfile.TemporaryDirectory(prefix="masthead-pdf-bench-") as tmp:
        work = Path(tmp)
        issue = run.make_issue(work / "pub" / "issue", args.articles)
        plain, full, edit = [], [], []
        for number in range(args.runs):
            print(f"run {number + 1}: plain WeasyPrint", file=sys.stderr, flush=True)
            spec = {"path": str(issue), "out": str(work / "weasyprint.pdf")}
            plain.append(run.measure(run.py("weasyprint", spec)))
            out = work / f"out-{number}"
            print(f"run {number + 1}: default PDF, full build", file=sys.stderr, flush=True)
            full.append(_build(issue, out, use_cache=False))
            articles = sorted(issue.glob("*.md"))
            target = articles[len(articles) // 2]
            original = target.read_text()
            target.write_text(original.rstrip() + "\n\nOne more sentence, by the benchmark.\n")
            try:
                print(f"run {number + 1}: one article edited", file=sys.stderr, flush=True)
                edit.append(_build(issue, out))
            finally:
                target.write_text(original)
    weasy, whole, edited = _best(plain), _best(full), _best(edit)
    rows = [
        ("plain WeasyPrint, same HTML", weasy, "—"),
        ("default PDF (tagged, fast), full build", whole, f"{whole['wall'] / weasy['wall']:.2f}x"),
        ("rebuild after a one-article edit", edited, f"{edited['wall'] / whole['wall']:.2f}x full"),
    ]
    print(f"| {args.articles}-article issue | wall (best of {args.runs}) | checks | ratio |")
    print("| --- | --- | --- | --- |")
    for label, m, ratio in rows:
        check = m.get("check")
        share = f"{check:.2f} s ({check / m['wall']:.1%})" if check else "—"
        print(f"| {label} | {m['wall']:.2f} s | {share} | {ratio} |")
    for label, runs in (("plain", plain), ("full", full), ("edit", edit)):
        walls = ", ".join(f"{m['wall']:.2f}" for m in runs)
        checks = ", ".join(f"{m.get('check', 0):.2f}" for m in runs)
        fell = {w for m in runs for w in m.get("fell_back", [])}
        print(f"- {label}: wall {walls} s; checks {checks} s; fell back: {sorted(fell) or 'no'}")


if __name__ == "__main__":
    main()
