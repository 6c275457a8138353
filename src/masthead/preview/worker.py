"""The build process: one long-lived process that runs the preview's PDF builds.

Started once (so WeasyPrint is imported once, and an edited article is laid out in a process
that has laid out before), apart from the server (a layout holds no lock the server needs; a
crash in the engine does not take the server down). It runs in a process group of its own: a
Ctrl-C in the terminal reaches the server only, which then stops the group, with any layout
workers a full build forked.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from masthead.errors import MastheadError
from masthead.preview.problems import Problem


class BuildFailed(Exception):
    """A job in the build process ended in an error, given as a Problem."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem.message))
        self.problem = problem


class BuildWorker:
    """Runs functions (module-level, picklable arguments) in the build process, one at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: Any = None
        self._conn: Connection | None = None
        self._closed = False  # Closed for good: no build process is started again.

    def _start(self) -> Connection:
        # "spawn": a fresh interpreter, not a copy of the server with its threads.
        context = multiprocessing.get_context("spawn")
        mine, theirs = context.Pipe()
        self._process = context.Process(target=_serve, args=(theirs,), name="masthead-preview")
        self._process.start()
        theirs.close()
        self._conn = mine
        return mine

    def call(self, function: Callable[..., Any], *args: Any) -> Any:
        """`function(*args)` in the build process; raises BuildFailed. Blocks: call it from a
        thread (asyncio.to_thread)."""
        with self._lock:
            if self._closed:
                # The preview is stopping: a call that comes late must not start a process
                # (and a whole build) that the server's exit would then wait for.
                raise BuildFailed(Problem("the preview is stopping", None))
            conn = self._conn or self._start()
            try:
                conn.send((function, args))
                kind, value = conn.recv()
            except (EOFError, OSError) as exc:
                self._stop()  # Died (killed, or the engine crashed): a new one next time.
                problem = Problem(f"the build process stopped ({exc or 'no reply'})", None)
                raise BuildFailed(problem) from exc
        if kind == "ok":
            return value
        raise BuildFailed(value)

    def close(self) -> None:
        self._closed = True
        self._stop()

    def _stop(self) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if conn is not None:
            conn.close()
        if process is None:
            return
        if process.is_alive() and process.pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGTERM)  # With the layout workers it forked.
            process.join(3)
            if process.is_alive():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.kill()  # Killed before it had made its group.
        process.join(3)


def _serve(conn: Connection) -> None:
    """The build process's loop: run each job sent, send back its result or its Problem."""
    os.setpgrp()  # Out of the terminal's process group: Ctrl-C is the server's to handle.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            function, args = conn.recv()
        except (EOFError, OSError):
            return  # The server has gone.
        try:
            reply: tuple[str, Any] = ("ok", function(*args))
        except MastheadError as exc:
            reply = ("problem", Problem.of_error(exc))
        except Exception as exc:  # A bug in one build must not end the preview.
            reply = ("problem", Problem.of_bug(exc, Path(args[0]) if args else Path(".")))
        try:
            conn.send(reply)
        except (EOFError, OSError):
            return
