"""The page's worlds simulated in worker processes beside the server, so that the server's
interpreter stays free to draw the page while worlds are stepped, and a superseded run stops.

A run's series (months x worlds each) live in one block of shared memory, a `SharedRecord`,
that the server allocates and the workers fill in place, each its slice of worlds: nothing comes
back through a pipe, and the server's Results are built on that same memory (without copying).
The block's first byte is the run's stop flag: when a newer change supersedes the run, the
server raises it and cancels the slices not started yet, and every worker reads it after each
month, so a running slice stops within a month.

The workers are a ProcessPoolExecutor of WORKERS processes forked from a forkserver that has
imported the engine, started by `warm` when the server loads the page: no run pays for imports.
A worker that dies fails the run it was simulating with a message (the page shows it) and the
next run gets a new pool; the workers end with the server.
"""

from __future__ import annotations

import math
import os
import threading
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context, parent_process
from multiprocessing.connection import wait as wait_for
from multiprocessing.shared_memory import SharedMemory

import numpy as np

from sim.batch.runner import fill
from sim.core.params import Params, compile_scenario
from sim.core.series import SERIES, shapes
from sim.scenario.schema import Scenario

WORKERS = max(1, min(4, os.cpu_count() or 1))  # a preview's worlds are split between them
FULL_SLICES = max(1, WORKERS - 1)  # the rest of a run leaves a core to draw the preview
POLL = 0.02  # s between looks, while the workers simulate, at whether the run is still wanted
ALIGN = 64  # bytes: each series starts on a multiple of it (the stop flag at 0)
CONTEXT = get_context("forkserver")
CONTEXT.set_forkserver_preload([__name__])  # the forkserver imports the engine once


class Superseded(Exception):
    """A newer change on the page made this computation pointless."""


class Stopped(Exception):
    """A worker saw its run's stop flag raised and dropped its slice of worlds."""


class WorkerDied(RuntimeError):
    """A worker process ended while it simulated (killed, or out of memory)."""


class SharedRecord:
    """A run's series in one block of shared memory: `arrays` (months, worlds, ...), as
    sim.core.series.allocate shapes them, and the run's stop flag. Created by the server
    (`name` None), which unlinks it when the run is over; opened by name in a worker. The
    memory stays mapped in a process while any of its arrays (or a view of one) lives."""

    def __init__(self, p: Params, months: int, worlds: int, name: str | None = None):
        places, size = _places(p, months, worlds)
        self.worlds = worlds
        self.memory = SharedMemory(name, create=name is None, size=size)
        flat = np.ndarray(size, np.uint8, buffer=self.memory.buf)
        weakref.finalize(flat, self.memory.close)  # unmapped once no array of it is left
        self.flag = flat[:1]
        self.arrays = {
            key: flat[at : at + dtype.itemsize * math.prod(shape)].view(dtype).reshape(shape)
            for key, dtype, shape, at in places
        }

    @property
    def name(self) -> str:
        return self.memory.name

    def stop(self) -> None:
        self.flag[0] = 1

    def check(self, _worlds: int = 0) -> None:
        """Raise Stopped if the run's stop flag is up (a worker calls it after every month)."""
        if self.flag[0]:
            raise Stopped

    def unlink(self) -> None:
        """Free the memory once every process has let go of it (the server's Results keep
        their arrays)."""
        self.memory.unlink()


def _places(p: Params, months: int, worlds: int) -> tuple[list, int]:
    """(name, dtype, shape, offset) of every series in a run's block, and the block's size."""
    places, at = [], ALIGN
    for key, shape in shapes(p, months, worlds).items():
        dtype = np.dtype(SERIES[key].dtype)
        places.append((key, dtype, shape, at))
        at += math.ceil(dtype.itemsize * math.prod(shape) / ALIGN) * ALIGN
    return places, at


def simulate_slice(
    name: str, scenario: Scenario, worlds: int, seed: int, first: int, count: int,
    assumptions: str,
) -> int:  # fmt: skip
    """In a worker: worlds first..first+count-1 of the run simulated into its shared record;
    raises Stopped after the month in which the run's stop flag went up. Returns the worker's
    process id. (The scenario is compiled here: quicker than sending it compiled.)"""
    p = compile_scenario(scenario)
    record = SharedRecord(p, scenario.horizon_months, worlds, name)
    part = {key: array[:, first : first + count] for key, array in record.arrays.items()}
    fill(scenario, seed, first, part, on_month=record.check, params=p, assumptions=assumptions)
    return os.getpid()


def simulate(
    record: SharedRecord, scenario: Scenario, seed: int, span: range,
    assumptions: str, current: Callable[[], bool] = lambda: True, slices: int = WORKERS,
) -> set[int]:  # fmt: skip
    """Simulate the worlds in `span` of the run into `record` in the workers, in `slices` slices
    side by side; return the process ids that did. Raises Superseded as soon as `current()` turns
    false (nothing is started if it already is), once the workers have stopped; a worker's
    error as the run's, and WorkerDied if a worker ended."""
    if not current():
        raise Superseded
    futures = [
        _submit(simulate_slice, record.name, scenario, record.worlds, seed, first, count,
                assumptions)
        for first, count in _slices(span, slices)
    ]  # fmt: skip
    try:
        _wait(futures, current)
        return {future.result() for future in futures}
    except BaseException:
        record.stop()
        for future in futures:
            future.cancel()
        wait(futures)  # the running slices stop within a month
        raise


def _slices(span: range, parts: int) -> Iterator[tuple[int, int]]:
    """(first world, worlds) of `parts` slices of `span` as even as can be (none empty)."""
    bounds = np.linspace(span.start, span.stop, min(parts, len(span)) + 1).round()
    for first, stop in zip(bounds[:-1], bounds[1:], strict=True):
        yield int(first), int(stop - first)


def _wait(futures: list[Future], current: Callable[[], bool]) -> None:
    """Until every future is done; raises the first error, or Superseded."""
    pending = set(futures)
    while pending:
        done, pending = wait(pending, POLL, FIRST_EXCEPTION)
        for future in done:
            if isinstance(future.exception(), BrokenProcessPool):
                raise WorkerDied(
                    "a worker process ended while it simulated the run (killed, or out of "
                    "memory?); the next change starts new workers"
                ) from future.exception()
            future.result()
        if pending and not (current() and threading.main_thread().is_alive()):
            raise Superseded  # by a newer change, or the server is stopping


_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor(broken: ProcessPoolExecutor | None = None) -> ProcessPoolExecutor:
    """The server's pool of workers; a new one in place of `broken`."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool is broken:
            if _pool is not None:
                _pool.shutdown(wait=False, cancel_futures=True)
            _pool = ProcessPoolExecutor(WORKERS, CONTEXT, initializer=_end_with_the_server)
        return _pool


def _submit(fn, *args) -> Future:
    pool = _executor()
    try:
        return pool.submit(fn, *args)
    except BrokenProcessPool:  # a worker died after the last run: this one starts new workers
        return _executor(broken=pool).submit(fn, *args)


def _end_with_the_server() -> None:
    """In a worker: exit as soon as the server does, however it ends (killed, it cannot tell
    its workers to)."""
    server = parent_process().sentinel
    threading.Thread(target=lambda: wait_for([server]) and os._exit(0), daemon=True).start()


def warm() -> None:
    """Start the workers (and the forkserver, which imports the engine) before the first run,
    without waiting for them."""
    threading.Thread(target=_start_workers, name="warm workers", daemon=True).start()


def _start_workers() -> None:
    wait([_submit(os.getpid) for _ in range(WORKERS)])
