"""Worker processes that lay out chunks, overlays and font subsets."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

from masthead.editions.pdf.layout import warm


class Workers:
    """Processes that lay out chunks; started early, so they are ready when the chunks are."""

    def __init__(self, jobs: int, language: str = "en") -> None:
        self.jobs = max(1, jobs)
        self.pool: Executor | None = None
        if self.jobs > 1 and "fork" in multiprocessing.get_all_start_methods():
            # "fork": a caller's script is not run again in the workers (as "spawn" and
            # "forkserver" do without a main guard). Each imports WeasyPrint and sets up its
            # fonts as it starts, while this process goes on reading the issue.
            context = multiprocessing.get_context("fork")
            self.pool = ProcessPoolExecutor(
                self.jobs, mp_context=context, initializer=warm, initargs=(language,)
            )
            for _ in range(self.jobs):
                self.pool.submit(int)

    def submit(self, function: Callable[..., Any], *args: Any) -> Future[Any]:
        if self.pool is not None:
            return self.pool.submit(function, *args)
        done: Future[Any] = Future()
        done.set_result(function(*args))
        return done

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
