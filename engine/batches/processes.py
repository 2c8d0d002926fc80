"""How the worker processes of ``engage evaluate --jobs`` are started.

Workers are forked from a *fork server*: a clean process, started from nothing, that
imports the worker's modules once and then forks a worker for each request for one.  It
is started as soon as the command line asks for several processes (:func:`prestart`), so
that it imports while this process imports and loads the rules itself; the workers then
only load the rules.  Each worker is never a fork of this process, which may hold
durable-rules state, a progress bar's thread or output not yet flushed.

Where there is no fork server (Windows), each worker is a fresh interpreter ("spawn").

A worker ends when the ``engage`` process that asked for it ends, however it ends (even by
SIGKILL, which leaves no time to clean up): :func:`end_with_parent`.  Without that, a
worker blocked writing to a result pipe nobody reads would wait for ever, and with it the
fork server, which stops only when every holder of its "alive" pipe (each worker too) has
gone; all of them would keep the command's standard output open.

This module imports only the standard library: it runs before the engine is imported.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import BaseContext
from typing import Any

WORKER_MODULE = "engine.batches.parallel"  # what a worker runs: the fork server imports it once
AUTO_JOBS_FROM = 5_000  # below this many requests, starting processes costs more than it gains
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
POLL_SECONDS = 0.5  # where a process cannot be watched by a pidfd, how often to look


def default_jobs(expected: int | None) -> int:
    """All the cores for a batch large enough to gain from them, else one process."""
    if expected is None or expected < AUTO_JOBS_FROM:
        return 1
    return max(1, os.cpu_count() or 1)


def context() -> BaseContext:
    """The fork server where the platform has one, else a fresh interpreter per worker."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        forkserver = multiprocessing.get_context("forkserver")
        forkserver.set_forkserver_preload([WORKER_MODULE])
        return forkserver
    return multiprocessing.get_context("spawn")


def prestart() -> None:
    """Start the fork server now, if there is one; it imports while the caller goes on."""
    if context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def worker_pool(jobs: int, initializer: Callable[..., None], initargs: tuple[Any, ...]) -> ProcessPoolExecutor:
    """``jobs`` worker processes from the fork server, each ending with this process, each set up by ``initializer``.

    For the parts that may not import this one (the decision log's verify): they are given it.
    """
    return ProcessPoolExecutor(
        max_workers=jobs, mp_context=context(), initializer=_start_worker, initargs=(os.getpid(), initializer, initargs)
    )


def _start_worker(parent: int, initializer: Callable[..., None], initargs: tuple[Any, ...]) -> None:
    end_with_parent(parent)
    initializer(*initargs)


def end_with_parent(parent: int) -> None:
    """In a worker: end this process as soon as process ``parent`` (the ``engage`` command) ends.

    A worker's own parent is the fork server, so the kernel's parent-death signal covers the
    fork server's death only; a watchdog thread waits on the command's pidfd for the rest.
    """
    if sys.platform.startswith("linux"):
        # A libc without prctl: the watchdog still runs.
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    threading.Thread(target=_watch, args=(parent,), name="engage-parent-watchdog", daemon=True).start()


def _watch(parent: int) -> None:
    try:
        handle = os.pidfd_open(parent)  # readable once the process has ended
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):  # pragma: no cover - no pidfd (not Linux, or an old kernel): poll
        while _exists(parent):
            time.sleep(POLL_SECONDS)
        os._exit(1)
    select.select([handle], [], [])
    os._exit(1)  # no clean-up: the results would go to a process that is not there


def _exists(pid: int) -> bool:  # pragma: no cover - only where there is no pidfd
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
