"""Regenerate the README's picture of `masthead preview`: docs/images/preview.png.

    .venv/bin/python scripts/preview_screenshot.py

Runs the preview of a copy of examples/the-lantern, opens one article in Debian's chromium
(headless, through chromium-driver), adds a sentence to it on disk (so the status shows what an
edit costs), and once both views show it saves the window as an optimised PNG.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "the-lantern"
OUT = ROOT / "docs" / "images" / "preview.png"
ARTICLE = "night-ferry.xhtml"
SENTENCE = "At Skerrin the pier lights went out one by one as the ferry turned for home."
READY = """
const frame = document.getElementById('epub-frame');
const body = frame.contentDocument && frame.contentDocument.body;
const pages = [...document.querySelectorAll('#pdf-pages .pdf-page')];
return Boolean(body && body.textContent.includes(arguments[0]) && pages.length &&
  pages.every((p) => p.dataset.version && p.querySelector('img').complete) &&
  document.getElementById('status').textContent.startsWith('Up to date'));
"""


def main() -> int:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    with tempfile.TemporaryDirectory() as tmp:
        publication = Path(tmp) / "the-lantern"
        shutil.copytree(EXAMPLE, publication)
        env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
        server = subprocess.Popen(
            [sys.executable, "-m", "masthead", "preview", str(publication / "no-7")]
            + ["--port", "0", "--out", str(Path(tmp) / "out")],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for flag in [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1440,1000",
            "--force-device-scale-factor=1",
            "--hide-scrollbars",
        ] + [f"--user-data-dir={Path(tmp) / 'profile'}"]:
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        try:
            driver.get(f"{url}i/no-7/#doc={ARTICLE}")
            wait = WebDriverWait(driver, 300, poll_frequency=0.2)
            wait.until(lambda d: d.execute_script(READY, "Last Boat to Skerrin"))
            article = publication / "no-7" / "night-ferry.md"
            article.write_text(article.read_text() + f"\n{SENTENCE}\n")
            wait.until(lambda d: d.execute_script(READY, SENTENCE))
            png = driver.get_screenshot_as_png()
        finally:
            driver.quit()
            server.send_signal(2)
            server.wait(30)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    image.save(OUT, optimize=True)
    print(f"{OUT.relative_to(ROOT)}: {image.width}x{image.height}, {OUT.stat().st_size // 1000} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
