"""Running the command line as a user does, for the tests: `python -m sim ...` in a subprocess,
or, for many command lines in a row, in processes forked from one that imported sim once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
# imported once by the forking server: what the commands import anyway, each on first use
PRELOAD = ("sim.cli", "sim.results.folder", "sim.scenario.loading", "sim.batch.runner")


def sim(*args, cwd: Path = ROOT, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `python -m sim ARGS` in `cwd`, capturing its text output."""
    return subprocess.run(
        [sys.executable, "-m", "sim", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class Forks:
    """`python -m sim ARGS` run in a fresh process forked from a server that has imported sim
    (PRELOAD) once: the same code, exit code and output as the real command, without the
    seconds each new interpreter spends importing numpy, pandas, xarray and zarr. The
    standard input is /dev/null, as with `subprocess.run(..., stdin=DEVNULL)`. One command at a
    time per server (use one per thread)."""

    def __init__(self):
        self.server = subprocess.Popen(
            [sys.executable, __file__, *PRELOAD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lock = threading.Lock()

    def sim(self, *args, cwd: Path, timeout: int = 120) -> subprocess.CompletedProcess:
        with tempfile.TemporaryDirectory() as tmp, self.lock:
            job = {"args": [*map(str, args)], "cwd": str(cwd), "out": tmp, "timeout": timeout}
            self.server.stdin.write(json.dumps(job) + "\n")
            self.server.stdin.flush()
            reply = self.server.stdout.readline()
            assert reply, "the forking server died"
            code = json.loads(reply)
            out, err = (Path(tmp, name).read_text() for name in ("stdout", "stderr"))
        return subprocess.CompletedProcess(["python", "-m", "sim", *job["args"]], code, out, err)

    def close(self) -> None:
        self.server.stdin.close()
        self.server.wait(timeout=60)


def _serve(preload: list[str]) -> None:
    """The forking server: a command line (JSON) per line in, its exit code per line out."""
    import importlib

    for name in preload:
        importlib.import_module(name)
    requests, replies = os.fdopen(os.dup(0)), os.fdopen(os.dup(1), "w")
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)  # the children's standard streams are never the server's pipes
    for line in requests:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            requests.close()
            replies.close()
            _child(job)
        replies.write(json.dumps(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])) + "\n")
        replies.flush()


def _child(job: dict) -> None:
    """Run `python -m sim ARGS` as the interpreter would, then end the process."""
    import atexit
    import runpy
    import signal
    import traceback

    os.chdir(job["cwd"])
    for fd, name in ((1, "stdout"), (2, "stderr")):
        os.dup2(os.open(Path(job["out"], name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
    sys.argv = ["-m", *job["args"]]
    sys.path[0] = os.getcwd()  # as `python -m` puts it
    signal.alarm(job["timeout"])  # then killed by SIGALRM: exit code -14
    try:
        runpy.run_module("sim", run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as done:  # what the interpreter makes of sys.exit(code)
        code = 0 if done.code is None else done.code
        if not isinstance(code, int):
            print(code, file=sys.stderr)
            code = 1
    except BaseException:  # noqa: BLE001 (uncaught: the interpreter prints it and exits 1)
        traceback.print_exc()
        code = 1
    threading._shutdown()  # the interpreter's shutdown: threads' exit hooks, then joins,
    atexit._run_exitfuncs()  # then atexit, then the streams flushed
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    _serve(sys.argv[1:])
