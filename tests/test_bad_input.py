"""Bad input is refused cleanly: exit code 2, one paragraph on stderr naming the file, the field
and what is allowed, no traceback, and no output folder (not even a half-written one)."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

import pytest
from cli import BASELINE
from cli import sim as run_sim

from sim.errors import ScenarioError
from sim.spec.loading import load_scenario

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


# (id, YAML text, substrings the message must hold: file, field, what is allowed)
BAD_FILES = [
    (
        "mis-indented",
        EXTENDS + "name: x\n  horizon_months: 3\n",
        ["mis-indented.yaml", "not valid YAML", "line 3", "check the indentation"],
    ),
    (
        "tab",
        EXTENDS + "name: x\nhorizon_months:\t3\n",
        ["tab.yaml", "not valid YAML", "line 3", "spaces, not tabs"],
    ),
    (
        "unknown-top-level-key",
        EXTENDS + "horizon_monhts: 12\n",
        ["unknown-top-level-key.yaml", "field 'horizon_monhts'", "unknown key", "sim schema"],
    ),
    (
        "unknown-actor-key",
        EXTENDS + "actors:\n  - code: RUS\n    colour: red\n",
        ["unknown-actor-key.yaml", "field 'actors[0] (RUS).colour'", "unknown key"],
    ),
    (
        "unknown-actor-in-trade",
        EXTENDS + "trade:\n  - {exporter: XYZ, importer: AFG, commodity: fuel, value: 5,"
        ' source: "statistic: x"}\n',
        ["unknown-actor-in-trade.yaml", ".exporter'", "'XYZ'", "allowed: RUS, CHN, USA, AFG"],
    ),
    (
        "negative-trade",
        EXTENDS + "trade:\n  - {exporter: RUS, importer: AFG, commodity: fuel, value: -5}\n",
        [
            "negative-trade.yaml",
            "field 'trade[0] (RUS-AFG-fuel).value'",
            "greater than or equal to 0",
            "-5",
        ],
    ),
    (
        "negative-base-rate",
        EXTENDS + "shocks:\n  - name: closure\n"
        '    base_rate: {value: -0.1, unit: "events/month", source: "assumption: x"}\n',
        ["negative-base-rate.yaml", "(closure).base_rate'", "-0.1", "[0.0, 5.0]"],
    ),
    (
        "duration-on-an-attack",
        EXTENDS + "events:\n  - {month: 2024-05, type: attack, target: AFG, value: 0.3,"
        ' duration_months: 3, unit: magnitude, source: "assumption: x"}\n',
        ["duration-on-an-attack.yaml", "(2024-05 attack).duration_months", "only a closure"],
    ),
    (
        "zero-price",
        EXTENDS + "commodities:\n  - name: fuel\n"
        '    price: {value: 0, unit: "USD/t", source: "assumption: x"}\n',
        ["zero-price.yaml", "(fuel).price'", "0.01"],
    ),
    (
        "zero-horizon",
        EXTENDS + "horizon_months: 0\n",
        ["zero-horizon.yaml", "field 'horizon_months'", "greater than or equal to 1", "got 0"],
    ),
    (
        "unknown-event-type",
        EXTENDS + "events:\n  - {month: 2024-05, type: coup, target: AFG, value: 0.1, unit: x,"
        ' source: "assumption: x"}\n',
        ["unknown-event-type.yaml", "(2024-05 coup).type'", "'coup'", "'attack'", "'aid'"],
    ),
    (
        "month-not-yyyy-mm",
        EXTENDS + "events:\n  - {month: 2024-5, type: attack, target: AFG, value: 0.1, unit: x,"
        ' source: "assumption: x"}\n',
        ["month-not-yyyy-mm.yaml", "(2024-5 attack).month'", "YYYY-MM", "'2024-5'"],
    ),
    (
        "month-13",
        EXTENDS + "events:\n  - {month: 2024-13, type: attack, target: AFG, value: 0.1, unit: x,"
        ' source: "assumption: x"}\n',
        ["month-13.yaml", "(2024-13 attack).month'", "'2024-13'", "MM from 01 to 12"],
    ),
    (
        "start-month-00",
        EXTENDS + "start: 2024-00\n",
        ["start-month-00.yaml", "field 'start'", "'2024-00'", "MM from 01 to 12"],
    ),
    (
        "event-outside-horizon",
        EXTENDS + "events:\n  - {month: 2040-01, type: attack, target: AFG, value: 0.1, unit: x,"
        ' source: "assumption: x"}\n',
        ["event-outside-horizon.yaml", "(2040-01 attack).month'", "2024-01 + 132 months"],
    ),
    (
        "source-without-kind",
        EXTENDS + "actors:\n  - code: RUS\n"
        '    gdp: {value: 2100, unit: "USD bn", source: "Rosstat 2024"}\n',
        [
            "source-without-kind.yaml",
            "field 'actors[0] (RUS).gdp.source'",
            "article, statistic, assumption, calibrated",
        ],
    ),
    (
        "influence-weights-sum",
        EXTENDS + 'influence:\n  trade: {value: 0.5, unit: weight, source: "assumption: x"}\n',
        ["influence-weights-sum.yaml", "field 'influence'", "sum to 1.15", "must sum to 1"],
    ),
    (
        "priority-weight-out-of-range",
        EXTENDS + "actors:\n  - code: CHN\n    priorities:\n"
        '      economic: {value: 12, unit: weight, source: "assumption: x"}\n',
        [
            "priority-weight-out-of-range.yaml",
            "field 'actors[1] (CHN).priorities.economic'",
            "[0.0, 10.0]",
        ],
    ),
    (
        "worlds-not-a-number",
        EXTENDS + "worlds: many\n",
        ["worlds-not-a-number.yaml", "field 'worlds'", "valid integer", "'many'"],
    ),
    (
        "not-a-mapping",
        "- just\n- a list\n",
        ["not-a-mapping.yaml", "mapping of scenario fields"],
    ),
    (
        "missing-base",
        "extends: no-such-base.yaml\nname: x\n",
        ["no-such-base.yaml", "file not found", "baseline"],
    ),
]


@pytest.mark.parametrize(("name", "text", "wanted"), BAD_FILES, ids=[case[0] for case in BAD_FILES])
def test_bad_scenario_file_is_refused(tmp_path, name, text, wanted):
    (tmp_path / f"{name}.yaml").write_text(text)
    out = tmp_path / "out"
    proc = sim("run", f"{name}.yaml", *SMALL, "--out", out, cwd=tmp_path)
    scenario_error_line(refused(proc, tmp_path, out, *wanted))


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


def test_missing_file(tmp_path):
    out = tmp_path / "out"
    proc = sim("run", "missing.yaml", *SMALL, "--out", out, cwd=tmp_path)
    err = refused(proc, tmp_path, out, "missing.yaml", "file not found", "baseline")
    scenario_error_line(err)


def test_unknown_shipped_name(tmp_path):
    out = tmp_path / "out"
    proc = sim("run", "baselin", *SMALL, "--out", out, cwd=tmp_path)
    refused(proc, tmp_path, out, "baselin.yaml", "file not found", "baseline, china_bri_push")


@pytest.mark.parametrize(
    ("setting", "wanted"),
    [
        ("us_sanctions=5", ["baseline.yaml", "levers.us_sanctions", "5.0", "[0.0, 1.0]"]),
        ("us_sanctions=-0.1", ["baseline.yaml", "levers.us_sanctions", "[0.0, 1.0]"]),
        ("no_such_lever=1", ["baseline.yaml", "levers.no_such_lever", "us_sanctions", "us_aid"]),
    ],
)
def test_bad_lever_is_refused(tmp_path, setting, wanted):
    out = tmp_path / "out"
    proc = sim("run", BASELINE, *SMALL, "--set", setting, "--out", out, cwd=tmp_path)
    scenario_error_line(refused(proc, tmp_path, out, *wanted))


def test_months_beyond_schema_limit(tmp_path):
    out = tmp_path / "out"
    proc = sim("run", BASELINE, "--months", "700", "--out", out, "--no-progress", cwd=tmp_path)
    err = refused(proc, tmp_path, out, "baseline.yaml", "--months", "horizon_months", "600")
    scenario_error_line(err)


@pytest.mark.parametrize(
    ("args", "wanted"),
    [
        (["--worlds", "0"], ["--worlds", "at least 1"]),
        (["--worlds", "abc"], ["--worlds", "whole number", "'abc'"]),
        (["--months", "0"], ["--months", "at least 1"]),
        (["--seed", "-1"], ["--seed", "must lie in [0, 2**63), got -1"]),
        (["--set", "us_sanctions"], ["--set", "NAME=NUMBER"]),
        (["--set", "us_sanctions=high"], ["--set", "NAME=NUMBER"]),
    ],
    ids=["worlds-0", "worlds-abc", "months-0", "seed-negative", "set-no-value", "set-not-number"],
)
def test_bad_option_is_a_usage_error(tmp_path, args, wanted):
    out = tmp_path / "out"
    proc = sim("run", BASELINE, "--no-progress", *args, "--out", out, cwd=tmp_path)
    err = refused(proc, tmp_path, out, *wanted)
    assert "usage: sim run" in err


def test_explain_refuses_bad_file(tmp_path):
    (tmp_path / "bad.yaml").write_text(EXTENDS + "actors:\n  - code: RUS\n    colour: red\n")
    proc = sim("explain", "bad.yaml", cwd=tmp_path)
    line = scenario_error_line(refused(proc, tmp_path, tmp_path / "out", "bad.yaml"))
    assert "actors[0] (RUS).colour" in line


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
