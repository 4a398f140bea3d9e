"""Every long command stops cleanly on SIGINT (Ctrl-C) and SIGTERM: within seconds, exit code
130, a message saying what was kept and how to go on, no traceback, and no partial output left
(`sim batch` keeps its finished blocks and resumes: tests/test_batch.py). Real signals are sent
to real processes, once each has visibly started its work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from commands import sim as run_sim

from sim.errors import interrupts_held

SIGNALS = [signal.SIGINT, signal.SIGTERM]
IDS = ["SIGINT", "SIGTERM"]


def start(folder: Path, *args) -> subprocess.Popen:
    """`python -m sim ARGS` in `folder`, in its own session, its output into files."""
    # a child inherits an ignored SIGINT (tests run under `... &`), not a handled one
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with open(folder / "stdout", "w") as out, open(folder / "stderr", "w") as err:
            return subprocess.Popen(
                [sys.executable, "-m", "sim", *map(str, args)],
                cwd=folder,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
    finally:
        signal.signal(signal.SIGINT, previous)


def wait_until(started, process: subprocess.Popen, what: str, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if started():
            return
        assert process.poll() is None, f"ended before {what} ({process.returncode})"
        time.sleep(0.02)
    raise AssertionError(f"no sign of {what} within {limit} s")


def stop(process: subprocess.Popen, signum: int, folder: Path, output: str) -> str:
    """Send the signal; the process must end within 10 s with exit code 130 and no traceback,
    leaving neither its `output` nor a partial folder, lock or temporary file; returns its
    stderr."""
    process.send_signal(signum)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError("did not stop within 10 s of the signal") from None
    err = (folder / "stderr").read_text()
    assert process.returncode == 130, err[-2000:]
    assert "Traceback" not in err, err[-4000:]
    assert "interrupted:" in err
    assert not (folder / output).exists()
    assert leftovers(folder) == []
    return err


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial" in p.name or ".lock" in p.name)


def stderr_says(folder: Path, text: str):
    return lambda: text in (folder / "stderr").read_text()


@pytest.mark.parametrize("signum", SIGNALS, ids=IDS)
def test_an_interrupted_run_leaves_nothing_and_says_how_to_resume(tmp_path, signum):
    process = start(tmp_path, "run", "baseline", "--worlds", "4000", "--out", "r")
    wait_until(lambda: any(tmp_path.glob(".r.partial-*/series.zarr")), process, "the run")
    err = stop(process, signum, tmp_path, "r")
    assert "nothing was written to r/" in err
    assert "sim batch baseline --out DIR" in err and "--resume" in err


def test_a_held_interrupt_is_acted_on_when_the_write_ends():
    """Signals that arrive during a store's write wait for it (the write's threads would
    otherwise recreate the partial folder after its removal, as CI once saw): the block runs to
    its end, then Ctrl-C raises KeyboardInterrupt and SIGTERM runs its handler."""
    terminated = []
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    previous_term = signal.signal(signal.SIGTERM, lambda signum, frame: terminated.append(signum))
    finished = False
    try:
        with pytest.raises(KeyboardInterrupt):
            with interrupts_held():
                os.kill(os.getpid(), signal.SIGINT)
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.1)  # the handlers run between bytecodes: they have had the chance
                finished = True
        assert finished
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        with interrupts_held():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.1)
            assert terminated == []
        assert terminated == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.signal(signal.SIGTERM, previous_term)


@pytest.mark.parametrize("signum", SIGNALS, ids=IDS)
def test_an_interrupted_validation_writes_nothing(tmp_path, signum):
    process = start(tmp_path, "validate", "--worlds", "3000", "--out", "v")
    wait_until(stderr_says(tmp_path, "note: checking baseline"), process, "the validation")
    stop(process, signum, tmp_path, "v")


@pytest.mark.parametrize("signum", SIGNALS, ids=IDS)
def test_an_interrupted_calibration_writes_nothing(tmp_path, signum):
    process = start(tmp_path, "calibrate", "--worlds", "400", "--out", "fit.yaml")
    wait_until(stderr_says(tmp_path, "note: fitting"), process, "the fit")
    time.sleep(0.5)  # into the fitting itself (no file shows it; the note comes just before)
    stop(process, signum, tmp_path, "fit.yaml")


@pytest.fixture(scope="module")
def result(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("result") / "res"
    done = run_sim("run", "baseline", "--worlds", "300", "--no-progress", "--out", folder)
    assert done.returncode == 0, done.stderr
    return folder


def listing(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_size for p in folder.rglob("*")}


@pytest.mark.parametrize("signum", SIGNALS, ids=IDS)
def test_an_interrupted_export_leaves_the_result_and_no_export(tmp_path, result, signum):
    before = listing(result)
    process = start(tmp_path, "export", result, "--format", "csv", "--out", tmp_path / "e")
    wait_until(lambda: any(tmp_path.glob(".e.partial-*/*.csv")), process, "the export")
    stop(process, signum, tmp_path, "e")
    assert listing(result) == before


@pytest.mark.parametrize("signum", SIGNALS, ids=IDS)
def test_the_browser_app_stops_on_a_signal(tmp_path, signum):
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = start(tmp_path, "ui", "--port", port)

    def answers() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as reply:
                return reply.status == 200
        except OSError:
            return False

    wait_until(answers, process, "the server answering", limit=90)
    process.send_signal(signum)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError("the server did not stop within 10 s") from None
    err = (tmp_path / "stderr").read_text()
    assert "Traceback" not in err, err[-4000:]
    assert not answers()
