"""Serving the app: the `solara run` command line `sim ui` executes, and `running_app` (or
`running_server`), which starts it in a subprocess and waits until it answers (for the browser
tests and bench_ui.py).

The front end is served from the solara-assets package installed with the project (Solara
otherwise fetches it from a CDN), so the app works with no internet access; telemetry is off.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8765
OFFLINE = {"SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
# for tests: an asset the set-up forgot is then a failed request, not a download
NO_CDN = {**OFFLINE, "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/npm/"}


def solara_command(host: str, port: int) -> list[str]:
    return [
        sys.executable, "-m", "solara", "run", "viz.app",
        "--host", host, "--port", str(port), "--production", "--no-open",
    ]  # fmt: skip


def port_problem(host: str, port: int) -> str | None:
    """Why the app cannot listen there, or None."""
    if not 1 <= port <= 65535:
        return f"{port} is not a port number (1-65535)"
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError as err:
            return f"cannot listen on {host}:{port} ({err.strerror}); give another --port or --host"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((DEFAULT_HOST, 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_server(
    port: int | None = None, log: Path | None = None, timeout: float = 90.0
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Start the app on a free local port (assets from disk only) and yield its URL and its
    process; the server is stopped on exit. Its output goes to `log` if given."""
    port = port or free_port()
    url = f"http://{DEFAULT_HOST}:{port}/"
    out = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 (closed below)
    server = subprocess.Popen(
        solara_command(DEFAULT_HOST, port),
        env={**os.environ, **NO_CDN},
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the app did not start at {url} (log: {log})") from None
                time.sleep(0.3)
        yield url, server
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        if log:
            out.close()


@contextlib.contextmanager
def running_app(
    port: int | None = None, log: Path | None = None, timeout: float = 90.0
) -> Iterator[str]:
    """As running_server, yielding the URL only."""
    with running_server(port, log, timeout) as (url, _):
        yield url
