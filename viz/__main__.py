"""`python -m viz [--host H] [--port P]` (what `sim ui` runs): check the address, then become
the Solara server (so Ctrl-C and SIGTERM reach it directly)."""

from __future__ import annotations

import argparse
import os
import sys

from viz.server import DEFAULT_HOST, DEFAULT_PORT, OFFLINE, port_problem, solara_command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sim ui", description="serve the browser app")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    problem = port_problem(args.host, args.port)
    if problem:
        print(f"error: field '--port': {problem}", file=sys.stderr)
        return 2
    print(f"serving the app at http://{args.host}:{args.port}/ (Ctrl-C stops it)", flush=True)
    command = solara_command(args.host, args.port)
    os.execve(command[0], command, {**os.environ, **OFFLINE})
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
