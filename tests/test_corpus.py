"""The bad-input corpus (tests/data/bad_input/cases.yaml): every case is a real command line in
a fresh folder, and each must be refused with exit code 2, no traceback, a message that says
what the case lists (file, line or field, what is allowed), and nothing written, changed or
removed in the folder.

The cases run in processes forked from one that imported sim once (commands.Forks: the same
code and output, without an interpreter's seconds of imports per case); the first case of each
command runs as a real `python -m sim` too, and must give the same exit code and output."""

from __future__ import annotations

import hashlib
import os
import queue
import shutil
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from commands import ROOT, Forks

CORPUS = ROOT / "tests" / "data" / "bad_input"
CASES = yaml.safe_load((CORPUS / "cases.yaml").read_text())
HUGE = 50 * 2**20
PARALLEL = 3  # cases at a time (one forking server each)
COMMANDS = dict.fromkeys(case["args"][0] for case in CASES)
# the first case of each command, run as a real `python -m sim` as well
REAL = [next(case["id"] for case in CASES if case["args"][0] == name) for name in COMMANDS]


@pytest.fixture(scope="module")
def servers():
    """The forking servers, handed out one per thread."""
    pool = queue.Queue()
    for _ in range(PARALLEL):
        pool.put(Forks())
    yield pool
    for _ in range(PARALLEL):
        pool.get().close()


def forked(servers: queue.Queue, *args, cwd: Path) -> subprocess.CompletedProcess:
    server = servers.get()
    try:
        return server.sim(*args, cwd=cwd)
    finally:
        servers.put(server)


def real(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def result_folder(tmp_path_factory, servers) -> Path:
    """Small result folders of ours, copied into the cases that need one: result/ and other/
    (another seed, so not paired with it)."""
    folder = tmp_path_factory.mktemp("results")
    for name, seed in (("result", "1"), ("other", "2")):
        done = forked(servers, "run", "baseline", "--worlds", "4", "--months", "6", "--seed", seed,
                      "--no-progress", "--out", folder / name, cwd=folder)  # fmt: skip
        assert done.returncode == 0, done.stderr
    return folder


def prepare(folder: Path, setup: str, result: Path) -> None:
    """The case's folder: the corpus files, then what its setup names."""
    shutil.copytree(CORPUS / "files", folder / "files")
    for part in filter(None, setup.split("+")):
        kind, _, damage = part.partition(":")
        if kind == "huge":
            with open(folder / "files" / "huge.yaml", "wb") as f:
                f.write(b"- 1\n" * (HUGE // 4))
        elif kind == "fifo":
            os.mkfifo(folder / "files" / "fifo")
        elif kind == "user-folder":
            (folder / "mine").mkdir()
            (folder / "mine" / "notes.md").write_text("my notes\n")
        elif kind == "user-file":
            (folder / "notes.txt").write_text("my notes\n")
        elif kind == "result":
            shutil.copytree(result / "result", folder / "result")
            damage_result(folder / "result", damage)
        elif kind == "other-seed":
            shutil.copytree(result / "other", folder / "other")
        else:
            raise AssertionError(f"unknown setup {part!r}")


def damage_result(folder: Path, damage: str) -> None:
    chunks = sorted(p for p in (folder / "series.zarr").rglob("c/*") if p.is_file())
    chunks = chunks or sorted(p for p in (folder / "series.zarr").rglob("*") if p.is_file())
    if damage == "no-manifest":
        (folder / "manifest.json").unlink()
    elif damage == "torn-manifest":
        text = (folder / "manifest.json").read_text()
        (folder / "manifest.json").write_text(text[: len(text) // 2])
    elif damage == "deep-manifest":
        (folder / "manifest.json").write_text("[" * 100_000 + "]" * 100_000)
    elif damage == "changed-chunk":
        flip_a_byte(chunks[-1])
    elif damage == "changed-data-chunk":
        flip_a_byte(sorted(p for p in (folder / "series.zarr" / "influence").rglob("*")
                           if p.is_file() and p.name != "zarr.json")[0])  # fmt: skip
    elif damage == "missing-chunk":
        chunks[-1].unlink()
    elif damage:
        raise AssertionError(f"unknown damage {damage!r}")


def flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every path under the folder with its kind, size and (regular files under 1 MB) content
    hash; special files are never opened."""
    found = {}
    for path in folder.rglob("*"):
        info = path.lstat()
        key = path.relative_to(folder).as_posix()
        if stat.S_ISREG(info.st_mode):
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if info.st_size < 2**20 else ""
            found[key] = ("file", info.st_size, info.st_mtime_ns, digest)
        else:
            found[key] = ("dir" if stat.S_ISDIR(info.st_mode) else "special",)
    return found


def run_case(command, case: dict, folder: Path, result: Path) -> tuple:
    folder.mkdir(parents=True)
    prepare(folder, case.get("setup", ""), result)
    before = snapshot(folder)
    proc = command(*case["args"], cwd=folder)
    return proc, before, snapshot(folder)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory, result_folder, servers) -> dict[tuple[str, str], tuple]:
    """Every case run once forked, and the first of each command once really, a few at a
    time (each in a process of its own): by (how, case id)."""
    base = tmp_path_factory.mktemp("corpus")
    jobs = [("forked", case) for case in CASES]
    jobs += [("real", case) for case in CASES if case["id"] in REAL]
    commands = {"real": real, "forked": lambda *args, cwd: forked(servers, *args, cwd=cwd)}
    with ThreadPoolExecutor(PARALLEL) as pool:
        futures = {
            (how, case["id"]): pool.submit(
                run_case, commands[how], case, base / how / case["id"], result_folder
            )
            for how, case in jobs
        }
        return {key: future.result() for key, future in futures.items()}


def test_the_corpus_is_large_and_every_id_is_unique():
    ids = [case["id"] for case in CASES]
    assert len(ids) >= 60 and len(set(ids)) == len(ids)
    used = {arg.split("/")[1] for case in CASES for arg in case["args"] if arg.startswith("files/")}
    shipped = {p.name for p in (CORPUS / "files").iterdir()}
    assert shipped - used <= {"cycle-b.yaml"}, f"corpus files no case uses: {shipped - used}"


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_bad_input_is_refused_cleanly(case, outcomes):
    proc, before, after = outcomes["forked", case["id"]]
    err = proc.stderr
    assert proc.returncode == case.get("exit", 2), f"exit {proc.returncode}\n{proc.stdout}\n{err}"
    assert "Traceback" not in err, err
    assert err.startswith(("error: ", "usage: ")), err
    assert "\n\n" not in err.strip(), f"more than one paragraph:\n{err}"
    assert proc.stdout == "", proc.stdout
    for text in case["says"]:
        assert text in err, f"{text!r} not in the message:\n{err}"
    assert after == before, "the folder changed: " + ", ".join(
        sorted(set(after).symmetric_difference(before))
        or [k for k in after if after[k] != before[k]]
    )


@pytest.mark.parametrize("case_id", REAL)
def test_a_forked_case_is_the_real_command(case_id, outcomes):
    """The real command gives what the case gives forked (but for its folder's name), and
    leaves its folder as it was too."""
    real, before, after = outcomes["real", case_id]
    fork = outcomes["forked", case_id][0]
    assert after == before
    assert (real.returncode, real.stdout, real.stderr.replace("/real/", "/forked/")) == (
        fork.returncode,
        fork.stdout,
        fork.stderr,
    )
