"""Limits that used to slip through: duplicate YAML keys, .nan and .inf in numbers, seeds outside
[0, 2**63), more worlds than a run allows, and plots that switched a notebook's backend."""

from __future__ import annotations

import subprocess
import sys

import pytest
from commands import BASELINE, ROOT, sim

from sim.batch.runner import check_run, run
from sim.errors import ScenarioError
from sim.scenario.loading import load_scenario

EXTENDS = f"extends: {BASELINE}\n"
SMALL = ("--worlds", "2", "--months", "3", "--no-progress")


def refused(done: subprocess.CompletedProcess, *wanted: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    for text in wanted:
        assert text in done.stderr, done.stderr


def test_a_duplicate_key_is_an_error_naming_both_lines(tmp_path):
    path = tmp_path / "twice.yaml"
    path.write_text(EXTENDS + "name: first\nhorizon_months: 12\nname: second\n")
    with pytest.raises(
        ScenarioError, match=r"line 4.*duplicate key 'name' \(first given at line 2\)"
    ):
        load_scenario(path)
    done = sim("run", path, *SMALL, "--out", tmp_path / "out")
    refused(done, "twice.yaml", "duplicate key 'name'", "each key may appear once")
    assert not (tmp_path / "out").exists()


def test_a_duplicate_key_deep_inside_is_found(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text(
        EXTENDS + "dynamics:\n  threat_memory: {value: 0.8, unit: share, value: 0.9,"
        ' source: "assumption: x"}\n'
    )
    with pytest.raises(ScenarioError, match="duplicate key 'value'"):
        load_scenario(path)


@pytest.mark.parametrize(
    "patch",
    [
        "dynamics:\n  threat_memory: {value: .nan, unit: share, source: 'assumption: x'}\n",
        "trade:\n  - {exporter: RUS, importer: AFG, commodity: fuel, value: .inf}\n",
        "trade:\n  - {exporter: RUS, importer: AFG, commodity: fuel, trend: .nan}\n",
        "actors:\n  - code: RUS\n    gdp: {value: -.inf, unit: USD bn, source: 'assumption: x'}\n",
        "levers:\n  - {name: us_sanctions, low: .nan}\n",
    ],
    ids=["quantity", "flow-value", "flow-trend", "actor", "lever-bound"],
)
def test_nan_and_inf_are_refused_in_numbers(tmp_path, patch):
    path = tmp_path / "notfinite.yaml"
    path.write_text(EXTENDS + patch)
    with pytest.raises(ScenarioError, match="finite number"):
        load_scenario(path)


def test_a_nan_lever_setting_is_refused(baseline):
    with pytest.raises(ScenarioError, match="outside the lever's bounds"):
        baseline.with_levers(us_sanctions=float("nan"))


@pytest.mark.parametrize("seed", ["-1", str(2**63), str(2**64 + 5)])
def test_seeds_outside_the_range_are_refused_on_the_command_line(tmp_path, seed):
    done = sim("run", BASELINE, *SMALL, "--seed", seed, "--out", tmp_path / "out")
    refused(done, "--seed", "[0, 2**63)")


def test_seeds_outside_the_range_are_refused_by_the_api_and_the_file(baseline, tmp_path):
    with pytest.raises(ScenarioError, match=r"outside the allowed range \[0, 2\*\*63\)"):
        run(baseline, worlds=1, months=1, seed=2**64 + 1)  # once reduced modulo 2**64
    path = tmp_path / "seed.yaml"
    path.write_text(EXTENDS + f"seed: {2**63}\n")
    with pytest.raises(ScenarioError, match="field 'seed'"):
        load_scenario(path)


def test_too_many_worlds_are_refused_up_front_with_the_estimate(tmp_path):
    done = sim("run", BASELINE, "--worlds", "20000000", "--out", tmp_path / "out")
    refused(done, "above the limit of 10,000,000 worlds", "GB")
    assert not (tmp_path / "out").exists()


def test_a_run_in_memory_too_large_points_to_an_output_folder(baseline):
    with pytest.raises(ScenarioError, match=r"in memory .* out=DIR"):
        check_run(baseline, worlds=200_000, seed=1, in_memory=True)
    check_run(baseline, worlds=200_000, seed=1, in_memory=False)  # streamed: fine


def test_plots_never_switch_the_matplotlib_backend():
    code = (
        "import matplotlib; matplotlib.use('svg'); from sim import load_scenario, run; "
        "res = run(load_scenario('baseline'), worlds=3, months=6, seed=1); "
        "res.plot_influence('AFG'); res.plot_overview(); print(matplotlib.get_backend())"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "svg"
