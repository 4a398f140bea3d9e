"""Bad input is refused cleanly: exit code 2, one paragraph on stderr naming the file, the field
and what is allowed, no traceback, and no output folder (not even a half-written one). The
corpus of bad files and command lines is tests/data/bad_input (tests/test_corpus.py); these are
the cases that need more than a message checked, and the Python API's errors."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

import pytest
from commands import BASELINE
from commands import sim as run_sim

from sim.errors import ScenarioError
from sim.scenario.loading import load_scenario

EXTENDS = f"extends: {BASELINE}\n"
SMALL = ["--worlds", "2", "--months", "3", "--no-progress"]
sim = functools.partial(run_sim, timeout=120)


def refused(proc: subprocess.CompletedProcess, folder: Path, out: Path, *wanted: str) -> str:
    """Assert a clean refusal; return stderr."""
    err = proc.stderr
    assert proc.returncode == 2, f"exit {proc.returncode}\n{proc.stdout}\n{err}"
    assert "Traceback" not in err, err
    assert err.strip(), "no message on stderr"
    assert "\n\n" not in err.strip(), f"more than one paragraph:\n{err}"
    assert proc.stdout == "", proc.stdout
    for text in wanted:
        assert text in err, f"{text!r} not in message:\n{err}"
    assert not out.exists(), "an output folder was written"
    leftovers = [p.name for p in folder.iterdir() if p.name.startswith(".")]
    assert not leftovers, f"partial folders left: {leftovers}"
    return err


def scenario_error_line(err: str) -> str:
    """A scenario error is exactly one line: 'error: FILE: field 'FIELD': MESSAGE'."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    return lines[0]


def test_python_tag_is_refused_by_safe_loader(tmp_path):
    marker = tmp_path / "pwned"
    (tmp_path / "evil.yaml").write_text(
        EXTENDS + f'name: !!python/object/apply:os.system ["touch {marker}"]\n'
    )
    out = tmp_path / "out"
    proc = sim("run", "evil.yaml", *SMALL, "--out", out, cwd=tmp_path)
    err = refused(proc, tmp_path, out, "evil.yaml", "not valid YAML", "python", "plain YAML")
    scenario_error_line(err)
    assert not marker.exists(), "the python tag was executed"


# ---- the Python API ---------------------------------------------------------------------------


def test_api_raises_scenario_error_with_field_and_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(EXTENDS + "actors:\n  - code: RUS\n    colour: red\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    err = caught.value
    assert err.field == "actors[0] (RUS).colour"
    assert err.file == str(path)
    assert "unknown key" in err.message
    assert str(path) in str(err) and err.field in str(err)
    assert isinstance(err, ValueError)


def test_api_reference_error_names_field(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        EXTENDS + "trade:\n  - {exporter: XYZ, importer: AFG, commodity: fuel, value: 5,"
        ' source: "statistic: x"}\n'
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.field.startswith("trade[") and caught.value.field.endswith(".exporter")
    assert caught.value.file == str(path)
    assert "'XYZ'" in caught.value.message


def test_api_error_in_base_file_names_the_base(tmp_path):
    base = tmp_path / "base.yaml"
    base.write_text("name: x\n  start: 2024-01\n")
    (tmp_path / "child.yaml").write_text("extends: base.yaml\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "child.yaml")
    assert caught.value.file == str(base)


def test_api_missing_file():
    with pytest.raises(ScenarioError, match="file not found") as caught:
        load_scenario("/no/such/dir/scenario.yaml")
    assert caught.value.file == "/no/such/dir/scenario.yaml"


def test_api_bad_lever_through_load_scenario():
    with pytest.raises(ScenarioError) as caught:
        load_scenario(BASELINE, us_sanctions=5)
    assert caught.value.field == "levers.us_sanctions"
    assert caught.value.file == str(BASELINE)
