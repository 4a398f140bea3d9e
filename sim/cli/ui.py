"""`sim ui`: the browser app, served by this process until Ctrl-C."""

from __future__ import annotations

import os
import sys

HELP = "serve the browser app: run scenarios, move levers, compare runs (works offline)"


def add(subparsers) -> None:
    parser = subparsers.add_parser("ui", help=HELP, description=HELP)
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    parser.add_argument("--port", type=int, default=8765, help="port (default: %(default)s)")
    parser.set_defaults(handler=handle)


def handle(args) -> int:
    """This process becomes `python -m viz` (viz is the layer above the command line; it is
    started as a program, never imported here)."""
    argv = [sys.executable, "-m", "viz", "--host", args.host, "--port", str(args.port)]
    os.execv(sys.executable, argv)
    return 0  # not reached
