"""How the worker processes of ``engage evaluate --jobs`` are started.

Workers are forked from a *fork server*: a clean process, started from nothing, that
imports the worker's modules once and then forks a worker for each request for one.  It
is started as soon as the command line asks for several processes (:func:`prestart`), so
that it imports while this process imports and loads the rules itself; the workers then
only load the rules.  Each worker is never a fork of this process, which may hold
durable-rules state, a progress bar's thread or output not yet flushed.

Where there is no fork server (Windows), each worker is a fresh interpreter ("spawn").

This module imports only the standard library: it runs before the engine is imported.
"""

from __future__ import annotations

import multiprocessing
import os
from multiprocessing.context import BaseContext

WORKER_MODULE = "engine.batches.parallel"  # what a worker runs: the fork server imports it once
AUTO_JOBS_FROM = 5_000  # below this many requests, starting processes costs more than it gains


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
