"""Worker processes that stay quiet: they ignore Ctrl-C (their parent decides what an interrupt
means and stops them), and a pool is shut down only once its processes are gone.

Started inside `children_ignore_sigint()`, a process does not raise KeyboardInterrupt: forked,
it inherits a handler that only holds the signal; spawned, SIGINT ignored (an ignored signal
stays ignored across exec, and Python then installs no KeyboardInterrupt handler). A
terminal's Ctrl-C reaches the whole process group; without this, each worker printed its own
KeyboardInterrupt traceback.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from multiprocessing.process import BaseProcess


@contextmanager
def children_ignore_sigint(forked: bool = True) -> Iterator[set[BaseProcess]]:
    """Processes started inside ignore SIGINT; yields the set of them, filled on the way out.

    `forked`: the children are forked (not spawned), so a Python handler they inherit is
    enough: this process holds a Ctrl-C that comes meanwhile and raises it on the way out,
    where SIG_IGN would lose it. (Spawned children need SIG_IGN itself: a handler does not
    survive exec.) A forked child holds its own the same way until its pool's initializer
    ignores SIGINT."""
    started: set[BaseProcess] = set()
    if threading.current_thread() is not threading.main_thread():
        yield started  # Signal dispositions can only be changed from the main thread.
        return
    held: list[int] = []
    before = set(multiprocessing.active_children())
    previous = signal.signal(
        signal.SIGINT, (lambda signum, _frame: held.append(signum)) if forked else signal.SIG_IGN
    )
    try:
        yield started
    finally:
        signal.signal(signal.SIGINT, previous)
        started.update(set(multiprocessing.active_children()) - before)
    if held and callable(previous):
        previous(signal.SIGINT, None)  # Python's own raises KeyboardInterrupt here.


def ignore_sigint() -> None:
    """A pool's initializer: this worker ignores SIGINT (for any started outside the above)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def terminate(processes: set[BaseProcess]) -> None:
    """End these processes now, and wait until they have: their pool then finds them gone and
    sends them nothing more (a message into a closed pipe prints "Broken pipe")."""
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(10)


def stop_pool(pool: Executor, processes: set[BaseProcess], at_once: bool) -> None:
    """Shut `pool` down and wait for its processes to end. `at_once`: end the work in hand
    too (an interrupt, a failed build), by terminating `processes` first.

    Never `shutdown(wait=False)`: its manager thread then races the interpreter's exit, which
    can close its wake-up pipe under it ("Bad file descriptor" printed at exit)."""
    if at_once:
        terminate(processes)
    pool.shutdown(wait=True, cancel_futures=True)
