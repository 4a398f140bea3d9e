"""Errors a user can act on: each names the file, the field and what is allowed (a leaf)."""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager


class ScenarioError(ValueError):
    """A scenario (or other input) that cannot be used, with where and why."""

    def __init__(self, field: str, message: str, file: str | None = None):
        self.field, self.message, self.file = field, message, file
        super().__init__(self.describe())

    def in_file(self, file: str) -> ScenarioError:
        return type(self)(self.field, self.message, file)

    def describe(self) -> str:
        where = f"{self.file}: " if self.file else ""
        field = f"field '{self.field}': " if self.field else ""
        return f"{where}{field}{self.message}"


class ResultError(ScenarioError):
    """A result folder that cannot be written where asked, or read back as it was written."""

    def __init__(self, path, message: str, field: str = ""):
        super().__init__(field, message, str(path))

    def in_file(self, file: str) -> ResultError:
        return ResultError(file, self.message, self.field)


class Interrupted(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so that cleanup runs as for Ctrl-C."""


@contextmanager
def interrupts_held():
    """Hold Ctrl-C and SIGTERM until the block ends, then act on them as they would have. For
    writes that run in threads of their own (zarr's event loop, dask's pool): interrupted
    midway, those threads would go on writing after the cleanup has removed their folder. Only
    the main thread receives signals, so elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    previous = {s: handler for s, handler in previous.items() if handler is not None}
    for signum in previous:  # (None: a handler not set from Python, left alone)
        signal.signal(signum, lambda signum, frame: held.append(signum))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if held:
            handler = previous[held[0]]
            if callable(handler):
                handler(held[0], None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(held[0])
