"""Where the blocks of a batch run, behind one interface: concurrent.futures.Executor.

In this process for one worker, a local process pool for several (default: all cores), or a
Dask distributed cluster given its scheduler's address. Each is an Executor (`submit` returns a
concurrent.futures.Future; Dask's comes from `Client.get_executor`), so the batch loop is the
same for all three, and results are bit-identical: every world's draws depend only on the seed
and the world's index.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager

from sim.errors import MissingDependencyError, UsageError

CONNECT_SECONDS = 10  # how long a Dask scheduler has to answer before the batch gives up
SCHEMES = ("tcp", "tls", "ws", "wss")  # the address schemes Dask distributed ships
ADDRESS_FORM = "tcp://HOST:PORT (or tls://, ws://, wss://; PORT a whole number 1-65535)"

log = logging.getLogger("sim")


class InlineExecutor(Executor):
    """Runs each task in this process when it is submitted (one worker, nothing to start)."""

    workers = 1
    ahead = 0  # blocks handed out beyond one per worker: none, so progress shows each block

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as err:  # noqa: BLE001 (the batch reports it with its block)
            future.set_exception(err)
        return future


def _worker_setup(parent: int) -> None:
    """Workers leave Ctrl-C to the batch (the terminal sends it to the whole process group):
    the batch stops handing out blocks and lets those running finish. A worker whose batch was
    killed (SIGKILL leaves no time to stop it) exits within a second instead of waiting for
    work forever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


class LocalPool(ProcessPoolExecutor):
    """A pool of worker processes on this machine (started fresh, not forked, so a worker
    holds no copy of the parent's threads or open stores)."""

    def __init__(self, workers: int):
        self.workers = workers
        super().__init__(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_setup,
            initargs=(os.getpid(),),
        )

    def submit(self, fn, /, *args, **kwargs) -> Future:
        with _main_script_hidden():  # workers are started here, when work is handed out
            return super().submit(fn, *args, **kwargs)


@contextmanager
def _main_script_hidden():
    """While the pool starts workers, the main script is hidden from them. Python's spawn
    would otherwise run a script's top level again in every worker, so that an unguarded
    `run_batch(...)` in a script (no `if __name__ == "__main__"`) starts batches inside its
    workers, and a script read from stdin kills them. The workers run only this package's
    functions and need nothing from the script."""
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    saved = {name: getattr(main, name) for name in ("__file__", "__spec__") if hasattr(main, name)}
    main.__spec__ = None
    main.__dict__.pop("__file__", None)
    try:
        yield
    finally:
        main.__dict__.update(saved)


class DaskExecutor(Executor):
    """Blocks run on a Dask distributed cluster (`pip install .[dask]`), given its scheduler's
    address or a `distributed.Client` (which is then left open: it is the caller's); its
    workers must import this package and reach the output folder (a shared file system).
    A scheduler that does not answer within `seconds` is a ConnectionError."""

    def __init__(self, scheduler, seconds: float = CONNECT_SECONDS):
        check_scheduler(scheduler)
        try:
            from distributed import Client
        except ImportError:
            raise MissingDependencyError("--scheduler", "Dask distributed", "dask") from None
        self.own = not isinstance(scheduler, Client)
        if self.own and isinstance(scheduler, str):
            _handshake(scheduler, seconds)
        try:
            self.client = Client(scheduler, timeout=f"{seconds}s") if self.own else scheduler
        except OSError as err:
            raise _unreachable(scheduler, err) from None
        self.workers = max(1, sum(self.client.nthreads().values()))
        self._executor = self.client.get_executor(pure=False)

    def submit(self, fn, /, *args, **kwargs) -> Future:
        return self._executor.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._executor.shutdown(wait=wait)
        if self.own:
            self.client.close()


def check_scheduler(scheduler) -> None:
    """Refuse a scheduler address Dask could not use, saying what one looks like; None, a
    `distributed.Client` or a cluster object passes."""
    if isinstance(scheduler, str) and (problem := _address_problem(scheduler)):
        raise UsageError(
            "--scheduler", f"{scheduler!r} {problem}; a scheduler address looks like {ADDRESS_FORM}"
        )


def _address_problem(address: str) -> str:
    """What is wrong with a scheduler address ([SCHEME://]HOST:PORT), or ''."""
    if not address.strip():
        return "is empty"
    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "tcp", address
    if scheme not in SCHEMES:
        return f"has an unknown scheme {scheme!r}"
    host, colon, port = rest.rpartition(":")
    if not colon:
        return "names no port"
    if not host.strip("[]") or any(c.isspace() or c == "/" for c in host):
        return f"names no valid host ({host!r})"
    if not (port.isascii() and port.isdigit()):
        return f"has a port {port!r} that is not a number"
    if not 1 <= int(port) <= 65535:
        return f"has a port {port} outside 1-65535"
    return ""


def _handshake(address: str, seconds: float) -> None:
    """Open a connection to the scheduler and wait for its handshake, at most `seconds`: Dask's
    own connect retries a refused connection until its timeout (here half of `seconds`, so
    that its reason is the one reported), but then waits for the handshake without end, so
    something that accepts connections and never speaks would hang the batch. Run on a thread
    of its own, with its own event loop (a notebook has one running)."""
    from distributed.comm import connect

    async def meet() -> None:
        comm = await asyncio.wait_for(connect(address, timeout=seconds / 2), seconds)
        await comm.close()

    outcome: Future = Future()

    def probe() -> None:
        try:
            outcome.set_result(asyncio.run(meet()))
        except BaseException as err:  # noqa: BLE001 (handed to the caller's thread)
            outcome.set_exception(err)

    threading.Thread(target=probe, daemon=True, name="dask-handshake").start()
    try:
        outcome.result()  # bounded: meet() gives up after `seconds`
    except TimeoutError:
        raise ConnectionError(
            f"no Dask scheduler answered at {address} within {seconds:g} s (something accepted "
            "the connection but did not answer); check the address and that the scheduler runs"
        ) from None
    except OSError as err:
        raise _unreachable(address, err) from None


def _unreachable(address, err: OSError) -> ConnectionError:
    """A scheduler that refused the connection, or whose name did not resolve."""
    return ConnectionError(f"no Dask scheduler answers at {address} ({err})")


def make_executor(workers: int | None = None, scheduler=None) -> Executor:
    """The executor for `sim batch --workers N [--scheduler ADDRESS]`; `scheduler` may also be
    a `distributed.Client` (from a notebook). More workers than the machine's cores are capped
    to the cores, with a note: the blocks are computation, and more processes than cores only
    add memory and switching."""
    if scheduler is not None:
        return DaskExecutor(scheduler)
    workers = _capped_workers(workers)
    return InlineExecutor() if workers == 1 else LocalPool(workers)


def _capped_workers(workers: int | None) -> int:
    """`workers`, at most the machine's cores (all of them when None)."""
    cores = os.cpu_count() or 1
    if workers is not None and workers > cores:
        log.info(
            "--workers %d is more than this machine's %d cores; using %d", workers, cores, cores
        )
        return cores
    return workers or cores
