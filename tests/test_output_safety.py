"""Output safety, with real processes and real files: `sim run --out` never deletes or replaces
what the project did not write, finds every path problem before simulating, refuses a second
run into a folder in use, and leaves nothing half-written when interrupted or killed. Outputs
never destroy inputs: no command writes its output as, over or inside one of its inputs, and
--force replaces only an earlier output of the same kind. A sibling file beside the output
folder must survive every case."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from commands import BASELINE, ROOT, sim

import sim as api
from sim.results.folder import MANIFEST, kind_of
from sim.results.store import read_manifest, verify

SMALL = ("--worlds", "20", "--months", "12", "--no-progress")
LONG = ("--worlds", "40000", "--no-progress")  # minutes: always interrupted first
SIBLING_TEXT = "a user's notes, to be kept\n"


@pytest.fixture
def place(tmp_path):
    """A folder with a user's sibling file; the test's output goes to place / 'out'."""
    (tmp_path / "notes.txt").write_text(SIBLING_TEXT)
    yield tmp_path
    assert (tmp_path / "notes.txt").read_text() == SIBLING_TEXT, "the sibling file was touched"


def hidden_leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def start(*args) -> subprocess.Popen:
    """`python -m sim ARGS` in the background, in its own session (signals reach it alone)."""
    return subprocess.Popen(
        [sys.executable, "-m", "sim", *map(str, args)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for_partial(parent: Path, name: str, process: subprocess.Popen) -> Path:
    """The hidden partial folder of a run in progress, once it is simulating."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = list(parent.glob(f".{name}.partial-*"))
        if found and (found[0] / "series.zarr" / "zarr.json").exists():
            time.sleep(1.0)  # inside the simulation of the first block
            return found[0]
        assert process.poll() is None, process.communicate()
        time.sleep(0.1)
    raise AssertionError("the run never started writing")


def test_a_folder_that_is_not_ours_is_refused_and_left_as_it_was(place):
    out = place / "out"
    out.mkdir()
    (out / "thesis.tex").write_text("chapter 1")
    done = sim("run", BASELINE, *SMALL, "--out", out)
    assert done.returncode == 2, done.stderr
    assert "is not empty and is not a result folder" in done.stderr
    assert "Traceback" not in done.stderr
    assert [p.name for p in out.iterdir()] == ["thesis.tex"]
    assert (out / "thesis.tex").read_text() == "chapter 1"
    assert hidden_leftovers(place) == []


def test_the_folder_holding_the_scenario_is_refused(place):
    scenario = place / "my.yaml"
    scenario.write_text(BASELINE.read_text())
    done = sim("run", scenario, *SMALL, "--out", place, "--force")
    assert done.returncode == 2, done.stderr
    assert f"error: {place}: holds the file {scenario} that this command reads" in done.stderr
    assert scenario.read_text() == BASELINE.read_text()


def test_a_file_in_the_way_is_refused(place):
    out = place / "out"
    out.write_text("not a folder")
    done = sim("run", BASELINE, *SMALL, "--out", out, "--force")
    assert done.returncode == 2 and "a file is in the way" in done.stderr
    assert out.read_text() == "not a folder"


def test_an_earlier_result_is_replaced_only_with_force(place):
    out = place / "out"
    first = sim("run", BASELINE, *SMALL, "--seed", "1", "--out", out)
    assert first.returncode == 0, first.stderr
    before = json.loads((out / "manifest.json").read_text())
    again = sim("run", BASELINE, *SMALL, "--seed", "2", "--out", out)
    assert again.returncode == 2 and "--force" in again.stderr
    assert json.loads((out / "manifest.json").read_text()) == before
    forced = sim("run", BASELINE, *SMALL, "--seed", "2", "--out", out, "--force")
    assert forced.returncode == 0, forced.stderr
    assert json.loads((out / "manifest.json").read_text())["seed"] == 2
    assert hidden_leftovers(place) == []


def test_a_result_folder_holding_a_users_file_is_not_replaced_even_with_force(place):
    out = place / "out"
    assert sim("run", BASELINE, *SMALL, "--out", out).returncode == 0
    (out / "my_analysis.ipynb").write_text("{}")
    done = sim("run", BASELINE, *SMALL, "--out", out, "--force")
    assert done.returncode == 2 and "my_analysis.ipynb" in done.stderr
    assert (out / "my_analysis.ipynb").read_text() == "{}"
    assert (out / "manifest.json").exists()


def test_a_users_file_inside_a_result_folder_is_not_deleted_even_with_force(place):
    out = place / "out"
    assert sim("run", BASELINE, *SMALL, "--out", out).returncode == 0
    (out / "plots" / "annotated.png").write_bytes(b"my own figure")
    done = sim("run", BASELINE, *SMALL, "--out", out, "--force")
    assert done.returncode == 2 and "plots/annotated.png" in done.stderr
    assert (out / "plots" / "annotated.png").read_bytes() == b"my own figure"


def test_a_missing_parent_is_reported_before_any_simulation(place):
    # 5 million worlds would run for hours: a quick answer shows nothing was simulated
    done = sim("run", BASELINE, "--worlds", "5000000", "--out", place / "no" / "such" / "out")
    assert done.returncode == 2, done.stderr
    assert "parent folder" in done.stderr and "does not exist" in done.stderr
    assert not (place / "no").exists()


@pytest.fixture
def read_only(tmp_path):
    """A read-only folder: a read-only tmpfs for root (who ignores permission bits), else
    a folder without write permission."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(folder)])
    if mounted.returncode != 0:
        pytest.skip("cannot mount a read-only tmpfs here")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


def test_a_read_only_place_is_reported_before_any_simulation(read_only):
    done = sim("run", BASELINE, "--worlds", "5000000", "--out", read_only / "out")
    assert done.returncode == 2, done.stderr
    assert "cannot be written" in done.stderr and "Traceback" not in done.stderr
    assert list(read_only.iterdir()) == []


def test_result_folders_get_ordinary_permissions(place):
    out = place / "out"
    done = subprocess.run(
        [
            "sh",
            "-c",
            f'umask 022 && "{sys.executable}" -m sim run "{BASELINE}" '
            f"{' '.join(SMALL)} --out {out}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert out.stat().st_mode & 0o777 == 0o755
    assert (out / "manifest.json").stat().st_mode & 0o777 == 0o644


def test_a_second_run_into_the_same_folder_refuses_while_the_first_runs(place):
    out = place / "out"
    first = start("run", BASELINE, *LONG, "--out", out)
    try:
        wait_for_partial(place, "out", first)
        second = sim("run", BASELINE, *SMALL, "--out", out, "--force")
        assert second.returncode == 2, second.stderr
        assert "another run" in second.stderr and str(first.pid) in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=60)
    assert not out.exists() and hidden_leftovers(place) == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_run_stops_cleanly_and_leaves_nothing(place, signum):
    out = place / "out"
    process = start("run", BASELINE, *LONG, "--out", out)
    wait_for_partial(place, "out", process)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert not out.exists()
    assert hidden_leftovers(place) == []


def test_after_a_killed_run_the_next_run_cleans_up_and_says_so(place):
    out = place / "out"
    process = start("run", BASELINE, *LONG, "--out", out)
    partial = wait_for_partial(place, "out", process)
    process.kill()
    process.communicate(timeout=30)
    assert partial.exists() and not out.exists()  # SIGKILL cannot be cleaned up after...
    done = sim("run", BASELINE, *SMALL, "--out", out)
    assert done.returncode == 0, done.stderr
    assert f"removed {partial}" in done.stderr  # ...so the next run into the place does
    assert not partial.exists() and hidden_leftovers(place) == []
    assert (out / "manifest.json").exists()


# ---- outputs never destroy inputs (issue 24) -------------------------------------------------
@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    """Two paired result folders, a/ and b/ (same seed and worlds), written once."""
    folder = tmp_path_factory.mktemp("inputs")
    for name in ("a", "b"):
        done = sim("run", BASELINE, *SMALL, "--seed", "3", "--out", folder / name)
        assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture
def pair(runs, place) -> tuple[Path, Path]:
    """Copies of a/ and b/ beside the user's sibling file, for a test to try to damage."""
    import shutil

    for name in ("a", "b"):
        shutil.copytree(runs / name, place / name)
    return place / "a", place / "b"


def fingerprint(folder: Path) -> dict[str, str]:
    """Every file under the folder with the sha256 of its bytes."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def assert_whole(run: Path, before: dict[str, str]) -> None:
    """The run is as it was, byte for byte, and still reads as a verified result folder."""
    assert fingerprint(run) == before
    verify(run, read_manifest(run))
    assert api.load_results(run).worlds == 20


def refused(done, *says: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    for text in says:
        assert text in done.stderr, done.stderr


@pytest.mark.parametrize("spelling", ["a", "a/../a/.", "link"])
def test_an_export_over_its_own_run_is_refused_and_the_run_stays_whole(pair, spelling):
    a, _ = pair
    (a.parent / "link").symlink_to(a)
    before = fingerprint(a)
    out = a.parent / spelling
    done = sim("export", a, "--format", "csv", "--out", out, "--force")
    refused(done, f"{out}: is the run folder {a} that this command reads", "--force does not")
    assert_whole(a, before)
    assert hidden_leftovers(a.parent) == []


def test_a_comparison_over_one_of_its_runs_is_refused_and_the_run_stays_whole(pair):
    a, b = pair
    before = fingerprint(a)
    done = sim("compare", a, b, "--out", a, "--force")
    refused(done, f"{a}: is the run folder {a} that this command reads")
    assert_whole(a, before)


@pytest.mark.parametrize("inside", ["series.zarr", "series.zarr/influence", "plots/mine"])
def test_an_export_inside_its_run_is_refused(pair, inside):
    a, _ = pair
    before = fingerprint(a)
    done = sim("export", a, "--format", "csv", "--out", a / inside, "--force")
    refused(done, f"lies inside the run folder {a}")
    assert_whole(a, before)


def test_an_output_holding_its_input_is_refused(pair):
    a, b = pair
    before = fingerprint(a), fingerprint(b)
    refused(sim("compare", a, b, "--out", a.parent, "--force"), f"holds the run folder {a}")
    assert (fingerprint(a), fingerprint(b)) == before


def test_force_over_an_output_of_another_kind_is_refused(pair):
    a, b = pair
    run_b = fingerprint(b)
    refused(sim("export", a, "--format", "csv", "--out", b, "--force"),
            f"{b}: holds this project's run, not an earlier export")  # fmt: skip
    assert_whole(b, run_b)
    comparison = a.parent / "cmp"
    assert sim("compare", a, b, "--out", comparison).returncode == 0
    kept = fingerprint(comparison)
    refused(sim("export", a, "--format", "csv", "--out", comparison, "--force"),
            "holds this project's comparison, not an earlier export")  # fmt: skip
    assert fingerprint(comparison) == kept
    export = a.parent / "csv"
    assert sim("export", a, "--format", "csv", "--out", export).returncode == 0
    kept = fingerprint(export)
    refused(sim("compare", a, b, "--out", export, "--force"),
            "holds this project's export, not an earlier comparison")  # fmt: skip
    refused(sim("run", BASELINE, *SMALL, "--out", export, "--force"),
            "holds this project's export, not an earlier run")  # fmt: skip
    assert fingerprint(export) == kept


def test_force_still_replaces_an_earlier_output_of_the_same_kind(pair):
    a, b = pair
    export, comparison = a.parent / "csv", a.parent / "cmp"
    for _ in range(2):  # the second time over the first, with --force
        done = sim("export", a, "--format", "csv", "--series", "influence", "--out", export,
                   "--force")  # fmt: skip
        assert done.returncode == 0, done.stderr
        done = sim("compare", a, b, "--out", comparison, "--force")
        assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in export.iterdir()) == ["influence.csv", MANIFEST]
    assert kind_of(export) == "export" and kind_of(comparison) == "comparison"
    done = sim("export", a, "--format", "parquet", "--series", "trade", "--force")
    assert done.returncode == 0, done.stderr  # its default place: the run's own a/export-parquet
    assert (a / "export-parquet" / "trade.parquet").is_file()
    verify(a, read_manifest(a))
    assert hidden_leftovers(a.parent) == []


def test_a_listing_without_a_kind_is_recognised_by_what_it_is_of(tmp_path):
    """Export folders written before kinds were recorded: one folder in `of` is an export, two
    a comparison, none a validation; a listing of an unknown kind is no output of ours."""
    for of, kind in (("out/a", "export"), (["a", "b"], "comparison"), (None, "validation")):
        folder = tmp_path / kind
        folder.mkdir()
        info = {"format": "regional-influence-sim/results/export", "of": of, "files": []}
        (folder / MANIFEST).write_text(json.dumps(info))
        assert kind_of(folder) == kind
        (folder / MANIFEST).write_text(json.dumps({**info, "kind": "scenario"}))
        assert kind_of(folder) is None


def test_calibrate_and_validate_never_write_over_their_scenario_or_targets(place):
    overlay = place / "calibrated.yaml"  # an earlier overlay: sim calibrate may replace it...
    overlay.write_text("# Written by `sim calibrate`\n" + BASELINE.read_text())
    before = overlay.read_text()
    done = sim("calibrate", "--scenario", overlay, "--out", overlay)
    refused(done, f"{overlay}: is the file {overlay} that this command reads")  # ...not its input
    targets = ROOT / "scenarios" / "calibration" / "targets.yaml"
    done = sim("validate", "--scenario", overlay, "--out", place, "--force")
    refused(done, f"{place}: holds the file {overlay}")
    done = sim("validate", "--targets", targets, "--out", targets.parent, "--force")
    refused(done, f"holds the file {targets}")
    assert overlay.read_text() == before
    assert sorted(p.name for p in place.iterdir()) == ["calibrated.yaml", "notes.txt"]


def test_the_files_a_scenario_extends_are_inputs_too(place):
    """An overlay reads the file it extends: an output over that file, or a folder holding it,
    is refused like one over the overlay itself, and both files are left as they were."""
    base = place / "base" / "mine.yaml"
    base.parent.mkdir()
    base.write_text(BASELINE.read_text())
    overlay = place / "overlay.yaml"
    overlay.write_text("extends: base/mine.yaml\nname: overlay\nhorizon_months: 12\n")
    texts = {path: path.read_text() for path in (base, overlay)}
    refused(sim("run", overlay, "--out", base, "--force", *SMALL[:2]), f"is the file {base}")
    refused(sim("run", overlay, "--out", base.parent, "--force"), f"holds the file {base}")
    done = sim("batch", overlay, "--out", base.parent, "--force", "--worlds", "5")
    refused(done, f"holds the file {base}")
    assert {path: path.read_text() for path in texts} == texts
    assert sorted(p.name for p in place.iterdir()) == ["base", "notes.txt", "overlay.yaml"]
