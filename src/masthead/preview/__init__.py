"""`masthead preview`: the issue as readers will see it, EPUB and PDF side by side, rebuilt and
shown again within a second or two of each save.

    app.py      the web application (Starlette): page, state by Server-Sent Events, documents
    session.py  one issue under preview: what is rebuilt on a change, and when
    rebuild.py  partial rebuilds through the pipeline's public stages (prepare, render_epub, build)
    worker.py   the process that runs the PDF builds
    pdfview.py  the built PDF's pages: which belong to which document, images, text
    watch.py    watchfiles, and which issue a changed file feeds
    safety.py   what is refused (paths that climb, files outside the publication)
    server.py   uvicorn, on a socket bound beforehand
"""

from masthead.preview.app import Preview, create_app
from masthead.preview.server import DEFAULT_HOST, DEFAULT_PORT, bind, is_loopback, serve, url_of

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "Preview",
    "bind",
    "create_app",
    "is_loopback",
    "serve",
    "url_of",
]
