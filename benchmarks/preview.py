"""The live preview's reload latency on the 50-article benchmark issue, in a real browser.

    .venv/bin/python benchmarks/preview.py              # 10 edits, results into RESULTS.md
    .venv/bin/python benchmarks/preview.py --runs 3     # three rounds of 10 edits
    .venv/bin/python benchmarks/preview.py --nice -10   # then again, ahead of other work

`masthead preview` runs on the synthetic 50-article issue of benchmarks/run.py (same seed);
Debian's chromium (through chromium-driver) shows one article. Each edit adds a sentence to the
article shown (a different article each time, spread over the issue). The time of an edit is
from just before the file is written to when the sentence is in the page: in the EPUB view's
chapter, and in the text layer of a PDF page whose new image has loaded. Both clocks are the
machine's (Python's time.time(), the page's Date.now()). Written into benchmarks/RESULTS.md
between the `preview` markers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402  (the benchmark issue and the machine's description)

START, END = "<!-- preview:start -->", "<!-- preview:end -->"
EDITS = 10
WAIT = 180.0
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1500,1000",
]
# Polls the page every 5 ms, and notes when the sentence is shown in each view.
WATCH = r"""
// A line's text ends with a space; a word broken at a line's end, with a hyphen (U+2010).
const joined = (text) => text.replace(/\u2010\s*/g, '').replace(/\s+/g, ' ');
const sentence = arguments[0];
window.__shown = {};
const timer = setInterval(() => {
  const frame = document.getElementById('epub-frame');
  const body = frame.contentDocument && frame.contentDocument.body;
  if (!window.__shown.epub && body && body.textContent.includes(sentence)) {
    window.__shown.epub = Date.now();
  }
  if (!window.__shown.pdf) {
    for (const page of document.querySelectorAll('#pdf-pages .pdf-page')) {
      const image = page.querySelector('img');
      if (image.complete && image.naturalWidth && joined(page.textContent).includes(sentence)) {
        window.__shown.pdf = Date.now();
        break;
      }
    }
  }
  if (window.__shown.epub && window.__shown.pdf) clearInterval(timer);
}, 5);
"""
SHOWN = """
const frame = document.getElementById('epub-frame');
const body = frame.contentDocument && frame.contentDocument.body;
const pages = document.querySelectorAll('#pdf-pages .pdf-page[data-version]');
return Boolean(body && body.textContent.includes(arguments[0]) && pages.length &&
  [...pages].every((p) => p.textContent.length > 0));
"""


def browser():  # type: ignore[no-untyped-def]
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in [*FLAGS, f"--user-data-dir={tempfile.mkdtemp(prefix='masthead-bench-')}"]:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def until(driver, script: str, *args: object) -> object:  # type: ignore[no-untyped-def]
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT, poll_frequency=0.02).until(
        lambda d: d.execute_script(script, *args)
    )


def idle(url: str) -> dict:
    """The preview's state, once nothing is being rebuilt."""
    import urllib.request

    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        with urllib.request.urlopen(url + "state") as response:
            state = json.load(response)
        if state["pdf"] and not any(state["building"].values()):
            return state
        time.sleep(0.1)
    raise TimeoutError("the preview did not settle")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its living descendants (the server and its
    build process): what an edit costs, whatever else the machine is doing."""
    tick = os.sysconf("SC_CLK_TCK")
    total, stack = 0.0, [pid]
    while stack:
        current = stack.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError, IndexError):
            continue
    return total


def one_round(issue: Path, out: Path) -> list[dict]:
    env = dict(os.environ, PYTHONPATH=str(run.ROOT / "src"))
    server = subprocess.Popen(
        [run.PYTHON, "-m", "masthead", "preview", str(issue), "--port", "0", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert server.stdout is not None
    url = server.stdout.readline().strip() + f"i/{issue.name}/"
    driver = browser()
    edits: list[dict] = []
    try:
        articles = sorted(issue.glob("article-*.md"))
        step = len(articles) // EDITS
        for n, article in enumerate(articles[step - 1 :: step][:EDITS]):
            document = article.stem + ".xhtml"
            driver.get(f"{url}#doc={document}")
            state = idle(url)
            title = next(d["title"] for d in state["documents"] if d["file"] == document)
            until(driver, SHOWN, title)
            sentence = f"The benchmark wrote sentence number {n + 1} into this article"
            driver.execute_script(WATCH, sentence)
            text = article.read_text()
            cpu = cpu_seconds(server.pid)
            load = os.getloadavg()[0]
            started = time.time() * 1000
            article.write_text(text.rstrip() + f"\n\n{sentence}.\n")
            shown = until(
                driver, "return window.__shown.epub && window.__shown.pdf ? window.__shown : null"
            )
            after = idle(url)
            edits.append(
                {
                    "article": article.name,
                    "epub": (shown["epub"] - started) / 1000,  # type: ignore[index]
                    "pdf": (shown["pdf"] - started) / 1000,  # type: ignore[index]
                    "cpu": cpu_seconds(server.pid) - cpu,
                    "load": load,
                    "server": after["timings"],
                }
            )
            print(
                f"  {article.name}: EPUB {edits[-1]['epub']:.2f} s, PDF {edits[-1]['pdf']:.2f} s, "
                f"CPU {edits[-1]['cpu']:.2f} s, load {load:.1f} (server: {after['timings']})",
                file=sys.stderr,
                flush=True,
            )
    finally:
        driver.quit()
        server.send_signal(2)
        server.wait(30)
    return edits


def report(rounds: list[tuple[str, list[dict]]], load: tuple[float, ...], command: str) -> str:
    machine = [line for line in run.machine().splitlines() if "load average" not in line]
    lines = [
        *machine,
        f"- load average (1, 5, 15 min) at the start: {' '.join(f'{x:.2f}' for x in load)}; "
        f"at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (the machine is shared "
        "by about eight engineers' builds and tests: see the notes below the table)",
        f"- command: {command}",
        "",
        "| round | edits | load (1 min) | EPUB median s | EPUB best s | EPUB worst s "
        "| PDF median s | PDF best s | PDF worst s | CPU s an edit (median) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    groups: dict[str, list[dict]] = {}
    for label, edits in rounds:
        groups.setdefault(label.split(",")[0], []).extend(edits)
        lines.append(_row(label, edits))
    for label, edits in groups.items():
        if len(edits) > EDITS:
            lines.append(_row(f"{label}, all", edits))
    lines += [
        "",
        "Seconds from the write of the article's file to the sentence shown in the browser: in "
        "the EPUB view's chapter, and in the text layer of a PDF page whose new image has "
        "loaded. Each edit adds a sentence to a different article (5, 10, … 50), the one shown. "
        "Targets: EPUB view within 1 s, PDF view within 2 s (medians of 10 edits). CPU s: "
        "user + system seconds of the preview's server and build processes from the write until "
        "the preview had settled (the browser's own not counted): the work an edit costs, "
        'which a busy machine stretches into a longer wait. "shared": the preview and the '
        "browser at the default priority, sharing the machine with the other work on it; "
        '"nice N": their session (a kernel autogroup) at niceness N, ahead of that work, as '
        "on an editor's otherwise idle machine.",
    ]
    return "\n".join(lines)


def _row(name: str, edits: list[dict]) -> str:
    epub = [e["epub"] for e in edits]
    pdf = [e["pdf"] for e in edits]
    loads = [e["load"] for e in edits]
    return (
        f"| {name} | {len(edits)} | {min(loads):.1f}–{max(loads):.1f} | "
        f"{statistics.median(epub):.2f} | {min(epub):.2f} | {max(epub):.2f} | "
        f"{statistics.median(pdf):.2f} | {min(pdf):.2f} | {max(pdf):.2f} | "
        f"{statistics.median(e['cpu'] for e in edits):.2f} |"
    )


def write(body: str) -> None:
    old = run.RESULTS.read_text()
    if START not in old or END not in old:
        old = old.rstrip() + f"\n\n## Live preview (issue 16)\n\n{START}\n{END}\n"
    head, rest = old.split(START, 1)
    run.RESULTS.write_text(f"{head}{START}\n{body}\n{END}{rest.split(END, 1)[1]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="rounds of 10 edits")
    parser.add_argument("--no-write", action="store_true", help="print; leave RESULTS.md alone")
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="then the same rounds with the preview and the browser at this niceness "
        "(negative: ahead of the machine's other work; needs root), as on an idle machine",
    )
    args = parser.parse_args()
    load = os.getloadavg()
    started = time.perf_counter()
    rounds: list[tuple[str, list[dict]]] = []
    with tempfile.TemporaryDirectory(prefix="masthead-preview-bench-") as tmp:
        for nice in [0, args.nice] if args.nice else [0]:
            if nice:
                # Inherited by everything started from here: the preview, its build process,
                # the browser. With the kernel's autogroups, a session's processes share the
                # CPU with other sessions as one group: that group's niceness is what counts.
                os.nice(nice)
                Path("/proc/self/autogroup").write_text(str(nice))
            for n in range(args.runs):
                # A fresh copy of the issue and a first build, each round.
                label = f"{f'nice {nice}' if nice else 'shared'}, {n + 1}"
                folder = Path(tmp) / f"round-{nice}-{n}"
                issue = run.make_issue(folder / "issue", 50)
                print(label, file=sys.stderr, flush=True)
                rounds.append((label, one_round(issue, folder / "out")))
    minutes = (time.perf_counter() - started) / 60
    command = f"`.venv/bin/python benchmarks/preview.py --runs {args.runs}"
    command += f"{f' --nice {args.nice}' if args.nice else ''}` ({minutes:.1f} min)"
    body = report(rounds, load, command)
    print(body)
    if not args.no_write:
        (run.ROOT / "benchmarks" / "preview-last-run.json").write_text(json.dumps(rounds, indent=1))
        write(body)


if __name__ == "__main__":
    main()
