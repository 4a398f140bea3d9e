"""Scenario batches: sweep points, uncertainties, bit-identical results on every executor
(inline, local process pool, Dask), resume after SIGKILL, SIGINT and SIGTERM without
recomputing a finished block, failed scenario files, folder safety, batch results as one
Dataset, and paired comparisons (`sim.compare`, `sim compare`, the lines `sim batch` prints).

Scenarios are tiny overlays of the shipped baseline written into tmp_path (24 months: the
baseline schedules events up to 2025-11; a few worlds)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import Executor
from itertools import product
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from commands import BASELINE, ROOT

import sim.batch.batch as batch_module
from sim import ResultError, ScenarioError, compare, load_results, load_scenario
from sim.batch.batch import plan_runs, resume_hint, run_batch
from sim.batch.executors import InlineExecutor, LocalPool, make_executor
from sim.batch.journal import Journal
from sim.batch.runner import run as run_scenario
from sim.batch.sweeps import sweep_points
from sim.results.collection import BatchResults
from sim.results.dataset import Results

SIM = Path(sys.executable).parent / "sim"  # the venv's console script, as a user runs it
MONTHS = 24  # the shortest horizon that holds every scheduled event of the baseline
NOTES = "a user's notes, to be kept\n"
SOURCE = "assumption: a test range"


# ---- helpers -------------------------------------------------------------------------------
def overlay(folder: Path, name: str, body: str = "", worlds=20, months=MONTHS, **top) -> Path:
    """A scenario file extending the baseline: `name`, the horizon, worlds, then `body`."""
    lines = [f"extends: {BASELINE}", f"name: {name}", f"horizon_months: {months}"]
    lines += [f"worlds: {worlds}", *(f"{k}: {v}" for k, v in top.items())]
    path = folder / f"{name}.yaml"
    path.write_text("\n".join(lines) + "\n" + textwrap.dedent(body))
    return path


UNCERTAINTIES = f"""\
uncertainties:
  - {{name: test_growth, path: networks.trafficking.growth, low: 0.03, high: 0.12,
     distribution: triangular, source: "{SOURCE}"}}
  - {{name: test_initial, path: networks.trafficking.initial, low: 0.1, high: 0.5,
     source: "{SOURCE}"}}
"""  # added to the baseline's own uncertainties (names and paths of their own)


def with_sweep(sweep: str) -> str:
    return UNCERTAINTIES + f"sweep: {sweep}\n"


def run_sim(*args, timeout: float = 300) -> subprocess.CompletedProcess:
    """`sim ARGS` (the installed command) in a subprocess, its text output captured."""
    return subprocess.run(
        [str(SIM), *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start(logs: Path, *args) -> subprocess.Popen:
    """`sim ARGS` in the background, in its own session (a signal reaches it alone), its output
    into files (with one worker, Mesa's step notes would fill a pipe nobody reads)."""
    logs.mkdir(exist_ok=True)
    # a child inherits an ignored SIGINT (as when the tests run under `... &`) but starts with
    # the default action for a handled one: handle it while the child starts
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with open(logs / "stdout", "w") as out, open(logs / "stderr", "w") as err:
            return subprocess.Popen(
                [str(SIM), *map(str, args)],
                cwd=ROOT,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
    finally:
        signal.signal(signal.SIGINT, previous)


def block_lines(folder: Path) -> dict[tuple[str, int], list[str]]:
    """The sha256 of every block line of the journal, by (run, first world), in order."""
    found: dict[tuple[str, int], list[str]] = {}
    for line in (folder / "journal.jsonl").read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # torn by the kill
        if entry["kind"] == "block":
            found.setdefault((entry["run"], entry["first_world"]), []).append(entry["sha256"])
    return found


def wait_for_blocks(folder: Path, count: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if (folder / "journal.jsonl").exists() and len(block_lines(folder)) >= count:
            return
        assert process.poll() is None, f"the batch ended early ({process.returncode})"
        time.sleep(0.02)
    raise AssertionError(f"fewer than {count} blocks were journalled in time")


def final_blocks(folder: Path) -> dict[tuple[str, int], str]:
    return {key: shas[-1] for key, shas in block_lines(folder).items()}


def assert_same_batch(a: Path, b: Path) -> None:
    """The same blocks with the same chunk bytes, the same index, the same data (`a` checked
    against its checksums as it loads)."""
    assert final_blocks(a) == final_blocks(b)
    ra, rb = load_results(a), load_results(b, verify_data=False)
    pd.testing.assert_frame_equal(ra.index, rb.index)
    xr.testing.assert_identical(ra.dataset, rb.dataset)


def status(folder: Path) -> str:
    return json.loads((folder / "batch.json").read_text())["status"]


# ---- 1. sweeps ---------------------------------------------------------------------------
def test_a_grid_is_every_combination_of_its_values(tmp_path):
    path = overlay(tmp_path, "g", "sweep: {grid: {us_aid: [0, 50, 150], us_sanctions: [0.2, 0.9]}}")
    scenario = load_scenario(path)
    points = sweep_points(scenario)
    expected = [
        {"us_aid": a, "us_sanctions": s} for a, s in product([0.0, 50.0, 150.0], [0.2, 0.9])
    ]
    assert points == expected
    runs, failed = plan_runs([path])
    assert failed == {}
    assert [r.key for r in runs] == [f"runs/g/p{i:03d}" for i in range(6)]
    for run, point in zip(runs, expected, strict=True):
        assert run.values == point
        levers = run.scenario.lever_values()
        assert {k: levers[k] for k in point} == point
        assert run.worlds == 20 and run.seed == scenario.seed
    assert len({r.scenario.content_hash() for r in runs}) == 6


def test_levels_are_evenly_spaced_from_low_to_high(tmp_path):
    path = overlay(tmp_path, "g", "sweep: {grid: {us_aid: 4, russia_fuel_trend: 3}}")
    points = sweep_points(load_scenario(path))
    assert len(points) == 12
    assert sorted({p["us_aid"] for p in points}) == [0.0, 50.0, 100.0, 150.0]
    trends = sorted({p["russia_fuel_trend"] for p in points})
    assert trends == pytest.approx([-0.2, 0.15, 0.5], abs=1e-12)


@pytest.mark.parametrize("method", ["latin_hypercube", "sobol"])
def test_a_sample_has_its_points_within_bounds_and_is_reproducible(tmp_path, method):
    over = "[us_aid, termez_reroute, test_growth, test_initial]"
    sweep = f"{{sample: {method}, points: 9, over: {over}, seed: %d}}"
    scenario = load_scenario(overlay(tmp_path, "s", with_sweep(sweep % 5)))
    points = sweep_points(scenario)
    assert len(points) == 9
    factors = scenario.factors()
    names = ["us_aid", "termez_reroute", "test_growth", "test_initial"]
    for point in points:
        assert list(point) == names
        for name, value in point.items():
            assert factors[name].low <= value <= factors[name].high, (name, value)
    assert len({tuple(p.values()) for p in points}) == 9
    assert sweep_points(load_scenario(overlay(tmp_path, "s", with_sweep(sweep % 5)))) == points
    other = sweep_points(load_scenario(overlay(tmp_path, "s", with_sweep(sweep % 6))))
    assert len(other) == 9 and other != points
    if method == "latin_hypercube":  # one point in each ninth of every uniform factor's range
        for name in ("us_aid", "termez_reroute", "test_initial"):
            f = factors[name]
            bins = sorted(int((p[name] - f.low) / (f.high - f.low) * 9) for p in points)
            assert bins == list(range(9)), name


def test_a_sample_over_nothing_named_varies_every_lever_and_uncertainty(tmp_path):
    scenario = load_scenario(overlay(tmp_path, "s", with_sweep("{sample: sobol, points: 4}")))
    points = sweep_points(scenario)
    assert len(points) == 4
    assert all(list(p) == list(scenario.factors()) for p in points)
    assert "test_growth" in points[0] and "us_aid" in points[0]


def test_a_triangular_uncertainty_is_sampled_from_its_triangle(tmp_path):
    sweep = "{sample: latin_hypercube, points: 64, over: [test_growth], seed: 2}"
    scenario = load_scenario(overlay(tmp_path, "t", with_sweep(sweep)))
    values = np.array([p["test_growth"] for p in sweep_points(scenario)])
    assert len(values) == 64
    assert values.min() >= 0.03 and values.max() <= 0.12
    # the triangle (0.03, 0.05 as written, 0.12) has mean 0.0667; a uniform over the range 0.075
    assert values.mean() == pytest.approx((0.03 + 0.05 + 0.12) / 3, abs=1e-3)
    # and the scenario at a point carries the value
    point = scenario.with_values(test_growth=float(values[0]))
    assert point.networks.trafficking.growth.value == pytest.approx(values[0])


@pytest.mark.parametrize(
    ("sweep", "field", "text"),
    [
        ("{grid: {nope: [1]}}", "sweep.grid.nope", "not a declared lever or uncertainty"),
        ("{sample: sobol, points: 4, over: [nope]}", "sweep.over.nope", "not a declared"),
        (
            "{grid: {us_aid: [0, 200]}}",
            "sweep.grid.us_aid",
            "outside the lever's bounds [0.0, 150.0]",
        ),
        ("{grid: {test_growth: [0.5]}}", "sweep.grid.test_growth", "outside"),
        ("{sample: latin_hypercube}", "sweep", "needs points"),
        ("{grid: {us_aid: [0]}, sample: sobol, points: 3}", "sweep", "either grid"),
        ("{grid: {us_aid: []}}", "sweep", "at least one value"),
        ("{grid: {us_aid: [true]}}", "sweep.grid.us_aid[0]", "valid number (got True)"),
    ],
    ids=[
        "grid-unknown",
        "over-unknown",
        "grid-out-of-bounds",
        "grid-uncertainty-out",
        "no-points",
        "grid-and-sample",
        "grid-empty",
        "grid-a-boolean",
    ],
)
def test_a_bad_sweep_is_refused_naming_the_field(tmp_path, sweep, field, text):
    path = overlay(tmp_path, "bad", with_sweep(sweep))
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert err.value.field == field
    assert text in err.value.message
    assert str(path) in str(err.value)


# ---- 2. uncertainties --------------------------------------------------------------------
def uncertainty(path: str, low: float, high: float) -> str:
    item = f'{{name: x, path: {path}, low: {low}, high: {high}, source: "{SOURCE}"}}'
    return f"uncertainties:\n  - {item}\n"


@pytest.fixture(scope="module")
def first_new():
    """The index of an overlay's first uncertainty: after the baseline's own."""
    return len(load_scenario(BASELINE).uncertainties)


@pytest.mark.parametrize(
    ("item", "field", "text"),
    [
        (("networks.trafficking.nope", 0, 1), "uncertainties[{}].path", "no field 'nope'"),
        (("networks.trafficking.growth", 0.06, 0.08), "uncertainties[{}] (x)", "value 0.05"),
        (
            ("actors.USA.sanctions", 0.1, 0.3),
            "uncertainties[{}] (x)",
            "outside the uncertainty's bounds",
        ),
    ],
    ids=["no-such-path", "above-the-value", "below-the-value"],
)
def test_an_uncertainty_that_cannot_be_used_is_refused(tmp_path, first_new, item, field, text):
    path = overlay(tmp_path, "u", uncertainty(*item))
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert err.value.field == field.format(first_new)
    assert text in err.value.message and str(path) in str(err.value)


def test_an_uncertainty_whose_end_is_an_invalid_scenario_is_refused(tmp_path):
    path = overlay(tmp_path, "u", uncertainty("networks.trafficking.initial", 0.1, 1.5))
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    # the message names the end, the field it makes invalid and why
    assert "x=1.5" in err.value.message
    assert "networks.trafficking.initial" in err.value.message
    assert "[0.0, 1.0]" in err.value.message and str(path) in str(err.value)


def test_an_invalid_uncertainty_end_names_the_uncertainty_as_the_field(tmp_path):
    path = overlay(tmp_path, "u", uncertainty("networks.trafficking.initial", 0.1, 1.5))
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert err.value.field.startswith("uncertainties[")


def test_sim_explain_lists_the_uncertainties(tmp_path):
    path = overlay(tmp_path, "u", with_sweep("{sample: sobol, points: 4, seed: 1}"))
    done = run_sim("explain", path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "\nuncertainties:\n" in out and "\nlevers:\n" in out
    section = out.split("\nuncertainties:\n")[1]
    growth = next(line for line in section.splitlines() if "test_growth" in line)
    assert "0.05" in growth and "[0.03, 0.12]" in growth and "triangular" in growth
    assert "networks.trafficking.growth" in growth
    initial = next(line for line in section.splitlines() if "test_initial" in line)
    assert "[0.1, 0.5]" in initial and "uniform" in initial
    assert SOURCE in section
    assert "sweep:" in section and "sobol" in section
    assert "test_growth" not in out.split("\nuncertainties:\n")[0]  # not among the levers


# ---- 3, 4, 9. the same batch inline, on a process pool and on Dask; batch results ---------
TASK = 10  # worlds per block in these in-process batches


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A grid of 2 points (25 worlds: blocks of 10, 10, 5) and a Latin-hypercube sample of 3
    points over two uncertainties (20 worlds: blocks of 10, 10)."""
    folder = tmp_path_factory.mktemp("files")
    grid = overlay(folder, "grid", "sweep: {grid: {us_aid: [0, 150]}}", worlds=25)
    sample = "{sample: latin_hypercube, points: 3, seed: 11, over: [test_growth, test_initial]}"
    unc = overlay(folder, "unc", with_sweep(sample), worlds=20)
    return [str(grid), str(unc)]


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(batch_module, "TASK_WORLDS", TASK)


@pytest.fixture(scope="module")
def inline(files, tmp_path_factory):
    out = tmp_path_factory.mktemp("inline") / "batch"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(batch_module, "TASK_WORLDS", TASK)
        report = run_batch(files, out, workers=1)
    assert report.ok, (report.failed_files, report.failed_blocks)
    return out


def test_the_executors_are_those_asked_for():
    assert isinstance(make_executor(1), InlineExecutor)
    pool = make_executor(2)
    try:
        assert isinstance(pool, LocalPool) and pool.workers == 2
    finally:
        pool.shutdown()


def test_a_batch_runs_every_block_of_every_point(inline):
    blocks = block_lines(inline)
    grid = {(f"runs/grid/p{p:03d}", w) for p in range(2) for w in (0, 10, 20)}
    unc = {(f"runs/unc/p{p:03d}", w) for p in range(3) for w in (0, 10)}
    assert set(blocks) == grid | unc
    assert all(len(shas) == 1 for shas in blocks.values())  # each block once
    assert status(inline) == "complete"
    for key in {k for k, _ in blocks}:
        manifest = json.loads((inline / key / "manifest.json").read_text())
        assert [b["sha256"] for b in manifest["blocks"]] == [
            blocks[key, b["first_world"]][0] for b in manifest["blocks"]
        ]
    # a single-point scenario gets plots; the points of a sweep do not
    assert not (inline / "runs/grid/p000/plots").exists()


def test_a_process_pool_gives_bit_identical_results(inline, files, tmp_path, small_blocks):
    out = tmp_path / "batch"
    report = run_batch(files, out, workers=2)
    assert report.ok, report.failed_blocks
    assert_same_batch(out, inline)
    # in memory too: every series of every run
    for key in ("runs/grid/p001", "runs/unc/p002"):
        a, b = load_results(out / key), load_results(inline / key)
        for name in a.dataset.data_vars:
            np.testing.assert_array_equal(a.dataset[name].values, b.dataset[name].values)


def test_dask_gives_bit_identical_results(inline, files, tmp_path, small_blocks):
    from distributed import LocalCluster

    out = tmp_path / "batch"
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        report = run_batch(files, out, scheduler=cluster.scheduler_address)
    assert report.ok, report.failed_blocks
    assert_same_batch(out, inline)


def test_a_batch_folder_loads_as_batch_results(inline):
    res = load_results(inline)
    assert isinstance(res, BatchResults)
    index = pd.read_csv(inline / "index.csv")
    pd.testing.assert_frame_equal(res.index, index)
    assert list(index.scenario) == ["grid"] * 2 + ["unc"] * 3
    assert list(index.point) == [0, 1, 0, 1, 2]
    assert list(index.worlds) == [25, 25, 20, 20, 20] and index.complete.all()
    assert list(index.us_aid[:2]) == [0.0, 150.0]
    assert index.test_growth[:2].isna().all()  # the grid's file does not declare it
    assert res.scenarios == ["grid", "unc"]

    ds = res.dataset
    assert ds.sizes["scenario"] == 2 and ds.sizes["point"] == 3 and ds.sizes["world"] == 25
    assert list(ds.scenario.values) == ["grid", "unc"] and list(ds.point.values) == [0, 1, 2]
    for factor in ("us_aid", "test_growth", "test_initial"):
        assert ds[factor].dims == ("scenario", "point")
    for row in index.itertuples():
        for factor in ("us_aid", "us_sanctions", "test_growth", "test_initial"):
            got = float(ds[factor].sel(scenario=row.scenario, point=row.point))
            np.testing.assert_equal(got, getattr(row, factor))
        own = load_results(inline / row.folder)
        assert isinstance(res.results(row.scenario, row.point), Results)
        assert res.results(row.scenario, row.point).folder == inline / row.folder
        part = ds.sel(scenario=row.scenario, point=row.point).sel(world=own.dataset.world)
        for name in own.dataset.data_vars:
            np.testing.assert_array_equal(part[name].values, own.dataset[name].values)
        np.testing.assert_array_equal(part.date.values, own.dataset.date.values)
    # what no run has is padded: the grid's third point, unc's worlds 20-24
    assert np.isnan(ds.influence.sel(scenario="grid", point=2).values).all()
    assert np.isnan(ds.influence.sel(scenario="unc", world=slice(20, 24)).values).all()
    assert not np.isnan(ds.influence.sel(scenario="unc", world=slice(0, 19)).values).any()
    with pytest.raises(KeyError, match="no run 'grid' point 7"):
        res.results("grid", 7)


def test_the_sampled_values_are_the_points_run(inline):
    index = pd.read_csv(inline / "index.csv")
    rows = index[index.scenario == "unc"].itertuples()
    for point, row in zip(sweep_points(load_scenario(index.file[2])), rows, strict=True):
        res = load_results(inline / row.folder)
        assert res.scenario.networks.trafficking.growth.value == point["test_growth"]
        assert row.test_growth == pytest.approx(point["test_growth"], rel=1e-12)


# ---- 5, 6. resume after SIGKILL, SIGINT, SIGTERM -------------------------------------------
POINTS = 8  # grid points, one block each of a few tenths of a second


@pytest.fixture(scope="module")
def long_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("long")
    return overlay(folder, "long", "sweep: {grid: {us_aid: 4, us_sanctions: 2}}", months=96)


@pytest.fixture(scope="module")
def reference(long_file, tmp_path_factory):
    """The batch uninterrupted."""
    out = tmp_path_factory.mktemp("reference") / "batch"
    assert run_batch([str(long_file)], out, workers=1).ok
    assert len(block_lines(out)) == POINTS
    return out


def batch_args(long_file, out, *more):
    return ("batch", long_file, "--out", out, "--workers", "1", "--no-progress", *more)


def check_resumed(out: Path, before: dict, reference: Path) -> None:
    assert 2 <= len(before) < POINTS, "the interruption came too late to test anything"
    assert all(len(shas) == 1 for shas in before.values())
    after = block_lines(out)
    assert set(after) == set(block_lines(reference))
    for key, shas in before.items():
        assert after[key] == shas, f"{key} was computed again"
    assert all(len(after[key]) == 1 for key in set(after) - set(before))
    assert status(out) == "complete"
    assert_same_batch(out, reference)


def test_a_killed_batch_resumes_without_recomputing_a_block(long_file, reference, tmp_path):
    out = tmp_path / "batch"
    process = start(tmp_path / "logs", *batch_args(long_file, out))
    wait_for_blocks(out, 2, process)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    before = block_lines(out)
    assert status(out) == "running"
    with pytest.raises(ResultError, match="--resume"):
        load_results(out)
    done = run_sim(*batch_args(long_file, out, "--resume"))
    assert done.returncode == 0, done.stderr[-3000:]
    check_resumed(out, before, reference)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_batch_stops_keeps_its_blocks_and_resumes(
    long_file, reference, tmp_path, signum
):
    out, logs = tmp_path / "batch", tmp_path / "logs"
    process = start(logs, *batch_args(long_file, out))
    wait_for_blocks(out, 2, process)
    process.send_signal(signum)
    sent = time.monotonic()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError("the batch did not stop within 15 s of the signal") from None
    assert time.monotonic() - sent < 15
    stderr = (logs / "stderr").read_text()
    assert process.returncode == 130, stderr[-3000:]
    assert "Traceback" not in stderr
    assert "finished blocks are kept" in stderr
    assert f"sim batch {long_file} --out {out} --resume" in stderr  # the command to go on
    before = block_lines(out)
    assert status(out) == "running"
    with pytest.raises(ResultError, match="--resume"):
        load_results(out)
    assert not list(tmp_path.glob(".batch.lock"))  # the lock is gone with the process
    done = run_sim(*batch_args(long_file, out, "--resume"))
    assert done.returncode == 0, done.stderr[-3000:]
    check_resumed(out, before, reference)


def test_a_block_resumed_after_a_kill_in_its_write_has_its_usual_checksum(tmp_path):
    path = overlay(tmp_path, "two", "sweep: {grid: {us_aid: [0, 150]}}")
    out = tmp_path / "batch"
    assert run_batch([str(path)], out, workers=1).ok
    clean = final_blocks(out)
    # what `sim batch` killed while writing the block of p001 leaves (seen with SIGKILL): the
    # block not journalled, the run not finished, and zarr's temporary file beside a chunk
    journal = out / "journal.jsonl"
    kept = [
        line
        for line in journal.read_text().splitlines()
        if not (json.loads(line)["kind"] == "block" and json.loads(line)["run"] == "runs/two/p001")
    ]
    journal.write_text("\n".join(kept) + "\n")
    (out / "runs/two/p001/manifest.json").unlink()
    chunk = next((out / "runs/two/p001/series.zarr/trade/c").glob("*/0/*"))
    chunk.with_name(f"{chunk.name}.{'0' * 32}.partial").write_bytes(chunk.read_bytes()[:64])
    assert run_batch([str(path)], out, workers=1, resume=True).ok
    assert final_blocks(out) == clean
    assert not any("partial" in f for f in block_lines_files(out, "runs/two/p001"))


def block_lines_files(folder: Path, run: str) -> list[str]:
    entries = [json.loads(line) for line in (folder / "journal.jsonl").read_text().splitlines()]
    return [f for e in entries if e["kind"] == "block" and e["run"] == run for f in e["files"]]


# ---- 7. a failed scenario file -----------------------------------------------------------
def test_a_bad_file_fails_alone_and_joins_when_fixed(tmp_path):
    good = overlay(tmp_path, "good")
    bad = overlay(tmp_path, "bad", worlds=-3)
    out = tmp_path / "batch"
    done = run_sim("batch", good, bad, "--out", out, "--workers", "1", "--no-progress")
    assert done.returncode == 1, done.stderr[-3000:]
    assert f"error: {bad}: field 'worlds'" in done.stderr
    assert f"sim batch {good} {bad} --out {out} --resume" in done.stderr
    assert "Traceback" not in done.stderr
    assert (out / "runs/good/p000/manifest.json").is_file()
    assert not (out / "runs/bad").exists()
    assert list(pd.read_csv(out / "index.csv").scenario) == ["good"]
    plan = json.loads((out / "batch.json").read_text())
    assert list(plan["failed_files"]) == [str(bad)] and plan["status"] == "failed"
    assert load_results(out).scenarios == ["good"]  # what finished still loads
    before = block_lines(out)
    assert list(before) == [("runs/good/p000", 0)]

    overlay(tmp_path, "bad", worlds=20)  # fixed
    done = run_sim("batch", good, bad, "--out", out, "--workers", "1", "--no-progress", "--resume")
    assert done.returncode == 0, done.stderr[-3000:]
    after = block_lines(out)
    assert set(after) == {("runs/good/p000", 0), ("runs/bad/p000", 0)}
    assert after["runs/good/p000", 0] == before["runs/good/p000", 0]  # not run again
    res = load_results(out)
    assert res.scenarios == ["good", "bad"] and res.index.complete.all()
    assert json.loads((out / "batch.json").read_text())["failed_files"] == {}


class CtrlC(Executor):
    """Ctrl-C as the first block is handed out."""

    def submit(self, fn, /, *args, **kwargs):
        raise KeyboardInterrupt


def test_an_interrupted_resume_adding_a_fixed_file_leaves_a_batch_to_finish_or_replace(tmp_path):
    good, bad = overlay(tmp_path, "good"), overlay(tmp_path, "bad", worlds=-3)
    files, out = [str(good), str(bad)], tmp_path / "batch"
    assert list(run_batch(files, out, workers=1).failed_files) == [str(bad)]
    overlay(tmp_path, "bad")  # fixed
    with pytest.raises(KeyboardInterrupt):
        run_batch(files, out, resume=True, executor=CtrlC())
    assert (out / "runs/bad/p000/series.zarr").is_dir()  # laid out before the interruption
    with pytest.raises(ResultError, match="--resume"):
        load_results(out)  # not finished
    assert run_batch(files, out, workers=1, force=True).ok  # and all ours to replace


def test_sim_batch_with_one_worker_writes_no_note_per_month(tmp_path):
    done = run_sim("batch", overlay(tmp_path, "one"), "--out", tmp_path / "b", "--workers", "1")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "calling model.step" not in done.stderr


def test_a_file_with_an_invalid_sweep_point_runs_no_point(tmp_path):
    body = f"""\
    uncertainties:
      - {{name: excitation, path: shocks.attack_host.excitation, low: 0.1, high: 0.25,
         source: "{SOURCE}"}}
      - {{name: half_life, path: shocks.attack_host.excitation_half_life, low: 1, high: 4,
         source: "{SOURCE}"}}
    sweep: {{grid: {{excitation: [0.15, 0.25], half_life: [2, 4]}}}}
    """
    path = overlay(tmp_path, "hawkes", body)  # (0.25, 4) gives a branching ratio above 1
    runs, failed = plan_runs([path])
    assert str(path) in failed and "branching ratio" in failed[str(path)]
    assert runs == []


# ---- 8. folder safety --------------------------------------------------------------------
@pytest.fixture
def place(tmp_path):
    """A folder with a user's file beside the batch folder, which must survive every case."""
    (tmp_path / "notes.txt").write_text(NOTES)
    yield tmp_path
    assert (tmp_path / "notes.txt").read_text() == NOTES, "the sibling file was touched"


def small_batch(place: Path, out: Path, *more) -> subprocess.CompletedProcess:
    good = place / "small.yaml"
    if not good.exists():
        overlay(place, "small", worlds=10)
    return run_sim("batch", good, "--out", out, "--workers", "1", "--no-progress", *more)


def test_a_new_batch_into_a_users_folder_is_refused(place):
    out = place / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("chapter 1")
    for flags in ((), ("--force",)):
        done = small_batch(place, out, *flags)
        assert done.returncode == 2, done.stderr
        assert "is not a result folder of this project" in done.stderr
        assert "Traceback" not in done.stderr
        assert [p.name for p in out.iterdir()] == ["thesis.tex"]
        assert (out / "thesis.tex").read_text() == "chapter 1"
    resumed = small_batch(place, out, "--resume")
    assert resumed.returncode == 2 and "no batch.json" in resumed.stderr
    assert [p.name for p in out.iterdir()] == ["thesis.tex"]


def test_a_finished_batch_is_replaced_only_with_force_and_resumed_only_alike(place):
    out = place / "batch"
    assert small_batch(place, out).returncode == 0
    plan = (out / "batch.json").read_bytes()

    again = small_batch(place, out)
    assert again.returncode == 2, again.stderr
    assert "--resume" in again.stderr and "--force" in again.stderr
    assert (out / "batch.json").read_bytes() == plan

    other = small_batch(place, out, "--worlds", "12", "--resume")
    assert other.returncode == 2, other.stderr
    assert "cannot resume: run runs/small/p000 was started with another worlds" in other.stderr
    assert "(10 then, 12 now)" in other.stderr
    assert (out / "batch.json").read_bytes() == plan
    assert load_results(out).index.worlds.tolist() == [10]

    same = small_batch(place, out, "--resume")  # nothing left to do: kept as it is
    assert same.returncode == 0, same.stderr
    assert len(block_lines(out)["runs/small/p000", 0]) == 1

    forced = small_batch(place, out, "--worlds", "12", "--force")
    assert forced.returncode == 0, forced.stderr
    assert load_results(out).index.worlds.tolist() == [12]
    assert load_results(out).results("small").worlds == 12
    assert not [p for p in place.iterdir() if p.name.startswith(".batch.old")]

    (out / "runs" / "small" / "my_plot.png").write_bytes(b"mine")
    kept = small_batch(place, out, "--force")
    assert kept.returncode == 2, kept.stderr
    assert "runs/small/my_plot.png" in kept.stderr
    assert (out / "runs" / "small" / "my_plot.png").read_bytes() == b"mine"


def test_resume_with_other_files_is_refused(place):
    out = place / "batch"
    assert small_batch(place, out).returncode == 0
    extra = overlay(place, "extra", worlds=10)
    done = run_sim("batch", place / "small.yaml", extra, "--out", out, "--resume")
    assert done.returncode == 2, done.stderr
    assert "cannot resume: run runs/extra/p000 was not in the batch" in done.stderr
    changed = overlay(place, "small", worlds=10, seed=5)
    done = run_sim("batch", changed, "--out", out, "--resume")
    assert done.returncode == 2 and "another scenario_hash" in done.stderr


# ---- 10, 11. paired comparisons ----------------------------------------------------------
WORLDS = 120


@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    """`sim batch` of a baseline, more US aid (a lever at its high bound, one point), a sweep of
    US sanctions, and a run with another seed."""
    folder = tmp_path_factory.mktemp("policy")
    files = [
        overlay(folder, "baseline", worlds=WORLDS),
        overlay(folder, "more_aid", "sweep: {grid: {us_aid: [150]}}", worlds=WORLDS),
        overlay(folder, "sanctions", "sweep: {grid: {us_sanctions: [0, 0.3]}}", worlds=WORLDS),
        overlay(folder, "reseeded", worlds=WORLDS, seed=7),
    ]
    out = folder / "batch"
    done = run_sim("batch", *files, "--out", out, "--workers", "2", "--no-progress")
    assert done.returncode == 0, done.stderr[-3000:]
    return out, done.stdout


def test_sim_batch_prints_each_scenario_against_the_baseline(policy):
    out, stdout = policy
    assert f"more_aid - baseline: influence over AFG in 2025-12, paired over {WORLDS} worlds" in (
        stdout
    )
    usa = next(line for line in stdout.splitlines() if line.startswith("  USA gains influence:"))
    assert float(usa.split("; ")[1].split()[0]) > 0  # the mean effect
    assert "sanctions - baseline: influence over AFG at the end, 2 sweep points" in stdout
    for holder in ("RUS", "CHN", "USA", "UZB", "IRN", "PAK"):  # holders of influence over AFG
        assert sum(line.startswith(f"  {holder}") for line in stdout.splitlines()) == 2
    assert "reseeded: not compared (seed 7 differs" in stdout
    assert "baseline - baseline" not in stdout
    assert f"5 run(s), {5 * WORLDS:,} worlds" in stdout
    # lines agree with the comparison of the folders
    c = compare(out / "runs/more_aid/p000", out / "runs/baseline/p000")
    assert c.describe("AFG") in stdout


def test_a_run_compared_with_itself_differs_nowhere(policy):
    out, _ = policy
    base = load_results(out / "runs/baseline/p000")
    c = compare(base, base)
    assert len(c.table) == base.months * (3 * len(base.labels("state")) + 7)  # the neighbours
    assert (c.table.difference == 0).all()
    assert (c.table.ci_low == 0).all() and (c.table.ci_high == 0).all()
    assert (c.table.share_positive == 0).all()
    np.testing.assert_array_equal(c.table.mean_a, c.table.mean_b)


def test_runs_with_other_seeds_are_not_compared(policy):
    out, _ = policy
    with pytest.raises(ResultError, match=r"seed 7 differs from the other run's 20240101"):
        compare(out / "runs/reseeded/p000", out / "runs/baseline/p000")


def test_more_us_aid_raises_us_influence_and_less_sanctions_open_the_host(policy):
    out, _ = policy
    base = load_results(out / "runs/baseline/p000")
    c = compare(load_results(out / "runs/more_aid/p000"), base)  # aid from 2025: 5 -> 150
    usa = c.final("AFG").set_index("holder").loc["USA"]
    assert usa.difference > 0 and usa.ci_low > 0
    assert usa.share_positive > 0.9 and usa.mean_a > usa.mean_b
    assert c.a.worlds == WORLDS

    # easing sanctions (0.6 -> 0 or 0.3) opens the host to the US, the more the lower they go;
    # it also gives up the leverage of conditioning (docs/model.md 3.3.11), so US influence
    # itself is a trade-off and is not asserted here
    def openness_gain(key: str) -> np.ndarray:
        final = {
            name: load_results(out / name).dataset["host_openness"].sel(power="USA").isel(month=-1)
            for name in (key, "runs/baseline/p000")
        }
        return (final[key] - final["runs/baseline/p000"]).values

    low, mid = openness_gain("runs/sanctions/p000"), openness_gain("runs/sanctions/p001")
    assert (low > 0).mean() > 0.9 and (mid > 0).mean() > 0.9
    assert (low > mid).mean() > 0.9


def test_sim_compare_writes_a_table_and_plots_and_keeps_a_users_folder(policy, tmp_path):
    out, _ = policy
    a, b = out / "runs/more_aid/p000", out / "runs/baseline/p000"
    target = tmp_path / "cmp"
    done = run_sim("compare", a, b, "--out", target)
    assert done.returncode == 0, done.stderr
    assert "more_aid - baseline: influence over AFG" in done.stdout
    table = pd.read_csv(target / "comparison.csv")
    expected = compare(a, b).table
    assert len(table) == len(expected)
    np.testing.assert_allclose(table.difference, expected.difference, atol=1e-6)
    states = load_results(b).labels("state")
    assert sorted(p.name for p in target.glob("*.png")) == sorted(
        f"comparison_{s}.png" for s in states
    )
    assert all((target / f"comparison_{s}.png").read_bytes()[:4] == b"\x89PNG" for s in states)

    again = run_sim("compare", a, b, "--out", target)
    assert again.returncode == 2 and "--force" in again.stderr

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text(NOTES)
    refused = run_sim("compare", a, b, "--out", mine, "--force")
    assert refused.returncode == 2, refused.stderr
    assert "not a result folder" in refused.stderr and "Traceback" not in refused.stderr
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    assert (mine / "notes.txt").read_text() == NOTES

    reseeded = run_sim("compare", out / "runs/reseeded/p000", b)
    assert reseeded.returncode == 2 and "seed 7 differs" in reseeded.stderr


def test_a_batch_where_every_file_fails_is_refused_before_any_folder(tmp_path):
    out, bad = tmp_path / "batch", overlay(tmp_path, "bad", worlds=-3)
    with pytest.raises(ScenarioError, match="no file of the batch can be run") as caught:
        run_batch([bad], out, workers=1)
    assert f"{bad}: field 'worlds'" in str(caught.value)
    assert not out.exists()


def test_an_unreachable_scheduler_claims_no_folder(tmp_path):
    out = tmp_path / "batch"
    done = run_sim("batch", overlay(tmp_path, "one"), "--out", out, "--scheduler",
                   "tcp://127.0.0.1:9", "--no-progress", timeout=60)  # fmt: skip
    assert done.returncode == 2, done.stderr[-2000:]
    assert "no Dask scheduler answers at tcp://127.0.0.1:9" in done.stderr
    assert not out.exists()


def test_resume_redoes_a_finished_block_whose_file_was_removed(tmp_path):
    file, out = overlay(tmp_path, "one"), tmp_path / "batch"
    assert run_batch([file], out, workers=1).ok
    before = load_results(out).results("one").dataset.influence.values
    entry = Journal(out / "journal.jsonl").blocks()["runs/one/p000", 0]
    (out / "runs/one/p000/series.zarr" / next(iter(entry["files"]))).unlink()
    with pytest.raises(ResultError, match="missing"):
        load_results(out)
    assert run_batch([file], out, workers=1, resume=True).ok
    assert np.array_equal(load_results(out).results("one").dataset.influence.values, before)


# ---- the root seed of a batch ------------------------------------------------------------
def manifest_seed(out: Path, run_key: str) -> int:
    return json.loads((out / run_key / "manifest.json").read_text())["seed"]


def test_a_batch_seed_is_every_runs_seed_and_gives_the_worlds_of_a_run(tmp_path):
    file, out = overlay(tmp_path, "s", "sweep: {grid: {us_aid: [0, 150]}}", worlds=6), tmp_path
    assert run_batch([file], out / "batch", workers=1, seed=7).ok
    assert [manifest_seed(out / "batch", f"runs/s/p00{p}") for p in (0, 1)] == [7, 7]
    batch = load_results(out / "batch")
    assert batch.index.seed.tolist() == [7, 7]
    alone = run_scenario(load_scenario(file).with_values(us_aid=150), seed=7)
    point = batch.results("s", 1).dataset
    assert set(point.data_vars) == set(alone.dataset.data_vars)
    for name, data in alone.dataset.data_vars.items():  # bit for bit
        assert data.values.tobytes() == point[name].values.tobytes(), name


def test_resuming_with_another_seed_is_refused_as_another_plan(tmp_path):
    file, out = overlay(tmp_path, "one", worlds=4), tmp_path / "batch"
    own = load_scenario(file).seed
    assert run_batch([file], out, workers=1).ok
    assert manifest_seed(out, "runs/one/p000") == own  # by default, the scenario's own
    plan = (out / "batch.json").read_bytes()
    with pytest.raises(ResultError, match=rf"another seed \({own} then, 7 now\).*--seed"):
        run_batch([file], out, workers=1, seed=7, resume=True)
    assert (out / "batch.json").read_bytes() == plan
    assert run_batch([file], out, workers=1, seed=own, resume=True).ok  # the same plan


def test_the_resume_hint_repeats_worlds_and_seed():
    hint = resume_hint(["a.yaml", "b.yaml"], Path("out/x"), 12, seed=7)
    assert hint == "sim batch a.yaml b.yaml --worlds 12 --seed 7 --out out/x --resume"
    assert resume_hint(["a.yaml"], Path("o"), None) == "sim batch a.yaml --out o --resume"
    assert resume_hint(["a.yaml"], Path("o"), None, seed=0).endswith("--seed 0 --out o --resume")


# ---- outcomes ------------------------------------------------------------------------------
def test_outcomes_reach_the_index_and_the_table_of_experiments(tmp_path):
    body = with_sweep("{grid: {us_sanctions: [0.0, 1.0]}}")
    out = tmp_path / "batch"
    assert run_batch([overlay(tmp_path, "two", body)], out, workers=1).ok
    batch = load_results(out)
    names = [o.name for o in load_scenario(BASELINE).outcomes]
    assert names  # the baseline declares outcomes
    table = batch.outcomes()
    assert len(table) == 2 * 20 and list(table.columns[:3]) == ["scenario", "point", "world"]
    for point in (0, 1):
        res = batch.results("two", point)
        rows = table[table.point == point].set_index("world")[names]
        pd.testing.assert_frame_equal(rows, res.outcomes(), check_names=False)
        last = res.dataset.influence.sel(power="RUS", state="AFG").isel(month=-1).values
        assert np.allclose(rows["russia_over_afghanistan"], last, rtol=1e-6)
        mean = batch.index.loc[point, "mean_russia_over_afghanistan"]
        assert mean == pytest.approx(rows["russia_over_afghanistan"].mean(), rel=1e-5)
    assert set(table[table.point == 1].us_sanctions) == {1.0}
    # paired: full US sanctions drag the host's trade, so Uzbek fuel exports to Afghanistan are
    # lower in (almost) every world
    low, high = (table[table.point == p].set_index("world") for p in (0, 1))
    assert (low.uzbek_fuel_exports > high.uzbek_fuel_exports).mean() > 0.9


@pytest.mark.parametrize(
    ("outcome", "field", "wanted"),
    [
        ("{name: o, series: influnce, select: {}}", "outcomes[6] (o).series", "influence"),
        ("{name: o, series: influence, select: {power: RUS}}", "(o).select", "power, state"),
        ("{name: o, series: networks, select: {network: cartel}}", "(o).select.network",
         "extremist"),
        ("{name: us_aid, series: networks, select: {network: extremist}}", "outcomes",
         "duplicate"),
    ],
)  # fmt: skip
def test_a_bad_outcome_is_refused_with_its_field(tmp_path, outcome, field, wanted):
    assert len(load_scenario(BASELINE).outcomes) == 6  # the overlay's outcome comes 7th
    path = overlay(tmp_path, "bad", f"outcomes:\n  - {outcome}\n")
    runs, failed = plan_runs([path])
    assert not runs
    assert field in failed[str(path)] and wanted in failed[str(path)], failed


# ---- clear answers -----------------------------------------------------------------------
def test_a_file_given_twice_runs_once_with_a_note(tmp_path):
    path = overlay(tmp_path, "twice", worlds=4)
    out = tmp_path / "batch"
    done = run_sim("batch", path, tmp_path / ".." / tmp_path.name / "twice.yaml", "--out", out,
                   "--workers", "1", "--no-progress")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "is given twice" in done.stderr and "it runs once" in done.stderr
    assert list(pd.read_csv(out / "index.csv").scenario) == ["twice"]


def test_a_resume_after_an_edit_reports_the_files_own_error(tmp_path):
    kept, path = overlay(tmp_path, "kept", worlds=4), overlay(tmp_path, "edited", worlds=4)
    out = tmp_path / "batch"
    assert run_batch([str(kept), str(path)], out, workers=1).ok
    path.write_text(path.read_text().replace("worlds: 4", "worlds: -3"))
    done = run_sim("batch", kept, path, "--out", out, "--workers", "1", "--no-progress",
                   "--resume")  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert f"cannot resume: {path}: field 'worlds'" in done.stderr
    assert "is not in the files given now" not in done.stderr
    assert "Traceback" not in done.stderr
