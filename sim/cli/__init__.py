"""The command line: `sim run | batch | compare | report | discover | export | explain | schema |
validate | calibrate | backtest | ui` (also `python -m sim`).

A thin layer over the Python API: a module per command declares its subparser and handles it,
the work done in the packages; the options several commands take are parent parsers
(options.py). Imports are lazy so `sim --help` answers at once. A new command is a module with
`add(subparsers)`, which sets its `handler`, and its name in COMMANDS.

Every way a command ends has its exit code and one message (exits.py, docs/reliability.md):
bad input of any kind (sim.errors.InputError) names the file, the field and what is allowed,
exit 2; an interrupted command (Ctrl-C, SIGTERM) stops cleanly with 130 and leaves no partial
result behind; checks that failed give 1, and a bug 3 with its traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys

from sim.cli import (
    backtest,
    batch,
    calibrate,
    compare,
    discover,
    explain,
    export,
    report,
    run,
    schema,
    ui,
    validate,
)
from sim.cli.exits import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERNAL, EXIT_INTERRUPTED

__all__ = [
    "COMMANDS",
    "EXIT_BAD_INPUT",
    "EXIT_FAILED",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "build_parser",
    "main",
]

COMMANDS = (
    run,
    batch,
    compare,
    report,
    discover,
    export,
    explain,
    schema,
    validate,
    calibrate,
    backtest,
    ui,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sim",
        description="Regional influence simulator: Russia, China, the US, the Taliban government "
        "of Afghanistan and the Central Asian states, month by month, over many worlds.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; every way it can end has its exit code and one message: 0 done, 1 ran
    and checks or blocks failed, 2 bad input (usage, files, paths, a missing optional
    package), 3 a bug (with its traceback), 130 interrupted."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        args = build_parser().parse_args(argv)
        _log_notes()
        return args.handler(args)
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (sim.errors.Interrupted)
        print(
            "\ninterrupted: stopped cleanly; no unfinished result was left behind",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # output piped into a reader that stopped early (`| head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except Exception as err:  # noqa: BLE001 (each kind gets its message and exit code)
        return _report(err)


def _terminate(signum, frame):
    from sim.errors import Interrupted

    raise Interrupted


def _report(err: Exception) -> int:
    """The message and exit code of an error that ended a command."""
    from sim.errors import InputError

    if isinstance(err, InputError):  # a scenario, a result, a command line, a missing package
        print(f"error: {err.describe()}", file=sys.stderr)
        return err.exit_code
    if isinstance(err, OSError):  # a path the system refused, a scheduler that does not answer
        where = f"{err.filename}: " if err.filename else ""
        print(f"error: {where}{err.strerror or err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if isinstance(err, MemoryError):  # what no check before the work bounded: say what it was
        what = str(err) or "Python gave no size"
        print(f"error: out of memory: the command needed more than this machine has free "
              f"({what})", file=sys.stderr)  # fmt: skip
        return EXIT_BAD_INPUT
    import traceback

    traceback.print_exception(err, file=sys.stderr)
    print(
        f"internal error: {type(err).__name__}: {err}\nthis is a bug in sim; please report it "
        "with the traceback above and the command that caused it",
        file=sys.stderr,
    )
    return EXIT_INTERNAL


def _log_notes() -> None:
    """Our notes (logger 'sim') on stderr as 'note: ...', not other libraries' logs."""
    notes = logging.StreamHandler(sys.stderr)
    notes.setFormatter(logging.Formatter("note: %(message)s"))
    log = logging.getLogger("sim")
    log.addHandler(notes)
    log.setLevel(logging.INFO)
    log.propagate = False
