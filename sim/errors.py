"""Errors a user can act on: each names the file, the field and what is allowed (a leaf).

Every kind is an InputError, and the command line ends each with the kind's exit code
(docs/reliability.md): a scenario or other input file, a result folder, a command line, a
missing optional package.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

DISTRIBUTION = "regional-influence-sim"  # the name pip installs this project by


class InputError(ValueError):
    """Input that cannot be used, with where and why; nothing was run or written."""

    exit_code = 2

    def __init__(self, field: str, message: str, file: str | None = None):
        self.field, self.message, self.file = field, message, file
        super().__init__(self.describe())

    def in_file(self, file: str) -> InputError:
        return type(self)(self.field, self.message, file)

    def describe(self) -> str:
        where = f"{self.file}: " if self.file else ""
        field = f"field '{self.field}': " if self.field else ""
        return f"{where}{field}{self.message}"


class ScenarioError(InputError):
    """A scenario (or other input file) that cannot be used, with where and why."""


class ResultError(ScenarioError):
    """A result folder that cannot be written where asked, or read back as it was written."""

    def __init__(self, path, message: str, field: str = ""):
        super().__init__(field, message, str(path))

    def in_file(self, file: str) -> ResultError:
        return ResultError(file, self.message, self.field)


class UsageError(InputError):
    """A command line that cannot be followed: an option given twice, or naming what is not
    there (`field` is the option)."""


class MissingDependencyError(InputError):
    """An optional package that is not installed: `field` needs `package`, which the extra
    `extra` of this project installs."""

    def __init__(self, field: str, package: str, extra: str, file: str | None = None):
        self.package, self.extra = package, extra
        super().__init__(field, f"needs {package}: pip install '{DISTRIBUTION}[{extra}]'", file)

    def in_file(self, file: str) -> MissingDependencyError:
        return MissingDependencyError(self.field, self.package, self.extra, file)


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
