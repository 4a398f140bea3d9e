"""The command line as a user runs it: `python -m sim run | explain | schema` in a subprocess.

Three small batches (20 worlds x 24 months) are run once per module and shared: the baseline by
path, the same again by shipped name into an existing result folder (refused, then replaced with
--force), and the baseline with a lever set. Series are read from `sim export`'s Parquet files.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from commands import BASELINE, ROOT, sim

POWERS = ["RUS", "CHN", "USA"]
STATES = ["AFG", "TJK", "UZB", "TKM", "KAZ", "KGZ", "IRN", "PAK"]
WORLDS, MONTHS, SEED = 20, 24, 3
BATCH = ["--worlds", str(WORLDS), "--months", str(MONTHS), "--seed", str(SEED), "--no-progress"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def exported(out: Path) -> Path:
    """The result folder's tidy Parquet export (`sim export OUT --format parquet`, into
    OUT/export-parquet/, a file per series), written on first use."""
    folder = out / "export-parquet"
    if not folder.exists():
        ok(sim("export", out, "--format", "parquet"))
    return folder


def series(out: Path, name: str) -> pd.DataFrame:
    """A recorded series from a result folder (its Parquet export), in month, world order."""
    frame = pd.read_parquet(exported(out) / f"{name}.parquet")
    return frame.sort_values(["month", "world"], kind="stable").reset_index(drop=True)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (by relative path) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr
    return proc


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    """The baseline by file path into a fresh folder: (process, folder)."""
    out = tmp_path_factory.mktemp("first") / "baseline"
    return ok(sim("run", BASELINE, *BATCH, "--out", out)), out


@pytest.fixture(scope="module")
def second(first, tmp_path_factory):
    """The same batch by shipped name (`sim run baseline`), written over a copy of the first
    folder into which stale files of an earlier run were planted (listed by its manifest, as
    if that run had written them: a file the manifest does not list makes even --force
    refuse). Without --force the run is refused;
    with it, the folder is replaced: (forced process, folder, stale files, refused process,
    the folder's files before and after the refused run)."""
    out = tmp_path_factory.mktemp("second") / "baseline"
    shutil.copytree(first[1], out)
    stale = [out / "plots" / "influence_XXX.png", out / "series.zarr" / "x"]
    for path in stale:
        path.write_text("left over from an earlier run")
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["files"]["plots/influence_XXX.png"] = "sha256 of an earlier run's plot"
    manifest["metadata"]["files"]["x"] = 29
    (out / "manifest.json").write_text(json.dumps(manifest))
    before = snapshot(out)
    refused = sim("run", "baseline", *BATCH, "--out", out)
    after = snapshot(out)
    forced = ok(sim("run", "baseline", *BATCH, "--out", out, "--force"))
    return forced, out, stale, refused, before, after


@pytest.fixture(scope="module")
def sanctioned(tmp_path_factory):
    out = tmp_path_factory.mktemp("sanctioned") / "sanctions"
    proc = ok(sim("run", BASELINE, *BATCH, "--set", "us_sanctions=0.9", "--out", out))
    return proc, out


# ---- sim run: the summary table ---------------------------------------------------------------


def test_run_prints_summary_table(first):
    proc, out = first
    lines = proc.stdout.splitlines()
    header = next(line for line in lines if line.startswith("power"))
    assert header.split() == ["power", *STATES]
    rows = {line.split()[0]: line for line in lines if line[:3] in POWERS}
    assert list(rows) == POWERS
    for line in rows.values():
        # a cell per state: median [q05,q95]
        assert line.count("[") == len(STATES), line
    assert lines[0].startswith(f"Influence in 2025-12 (median [5%, 95%] over {WORLDS} worlds")
    assert f"{WORLDS} worlds x {MONTHS} months" in proc.stdout
    assert str(out) in proc.stdout


# ---- sim run: the output folder ---------------------------------------------------------------


def test_run_writes_manifest(first):
    _, out = first
    manifest = json.loads((out / "manifest.json").read_text())
    for key in ("scenario_hash", "seed", "worlds", "months", "versions", "timings", "scenario"):
        assert key in manifest, key
    assert (manifest["seed"], manifest["worlds"], manifest["months"]) == (SEED, WORLDS, MONTHS)
    assert manifest["scenario"]["name"] == "baseline"
    assert manifest["scenario"]["horizon_months"] == MONTHS
    canonical = json.dumps(manifest["scenario"], sort_keys=True).encode()
    assert manifest["scenario_hash"] == hashlib.sha256(canonical).hexdigest()
    assert {"python", "numpy", "mesa", "pydantic"} <= set(manifest["versions"])
    assert manifest["timings"]["seconds"] > 0
    # every file of the folder is listed (with its checksum) by the manifest: summary and
    # plots, the store's layout, and the chunks of every block of worlds, which cover all worlds
    assert [(b["first_world"], b["worlds"]) for b in manifest["blocks"]] == [(0, WORLDS)]
    store = [
        f"{manifest['store']}/{name}"
        for entry in (manifest["metadata"], *manifest["blocks"])
        for name in entry["files"]
    ]
    listed = sorted([*manifest["files"], *store, "manifest.json"])
    files = [p.relative_to(out) for p in out.rglob("*") if p.is_file()]
    # (a `sim export` of the folder, in export-*/, lists its own files in its own manifest)
    exports = {p.name for p in out.glob("export-*")}
    on_disk = sorted(str(p) for p in files if p.parts[0] not in exports)
    assert listed == on_disk
    for name in exports:
        export = json.loads((out / name / "manifest.json").read_text())
        assert sorted([*export["files"], "manifest.json"]) == sorted(
            str(p.relative_to(out / name)) for p in (out / name).rglob("*") if p.is_file()
        )


def test_run_writes_summary_csv(first):
    _, out = first
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == ["power", "state", "median", "q05", "q95", "change"]
    # every power over every state, then the neighbours holding influence over the host
    held = [(code, "AFG") for code in STATES[1:]]  # every neighbour holds influence over AFG
    assert len(summary) == len(POWERS) * len(STATES) + len(held)
    pairs = list(zip(summary["power"], summary["state"], strict=True))
    assert set(pairs) == {(p, s) for p in POWERS for s in STATES} | set(held)
    assert pairs[-len(held) :] == held
    assert summary[["median", "q05", "q95", "change"]].notna().all().all()
    assert (summary["q05"] <= summary["median"]).all()
    assert (summary["median"] <= summary["q95"]).all()
    assert summary["median"].between(0, 1).all()


def test_run_writes_readable_trajectories(first):
    _, out = first
    names = {p.name.removesuffix(".parquet") for p in exported(out).glob("*.parquet")}
    assert {"influence", "trade", "engagement"} <= names
    for name in names:
        frame = series(out, name)
        assert list(frame.columns[:3]) == ["month", "date", "world"], name
        assert frame.columns[-1] == "value", name
        assert len(frame) > 0 and len(frame) % (MONTHS * WORLDS) == 0, name
    influence = series(out, "influence")
    assert list(influence.columns) == ["month", "date", "world", "power", "state", "value"]
    assert len(influence) == MONTHS * WORLDS * len(POWERS) * len(STATES)
    assert sorted(influence["month"].unique()) == list(range(MONTHS))
    assert sorted(influence["world"].unique()) == list(range(WORLDS))
    assert list(dict.fromkeys(influence["power"])) == POWERS
    assert set(influence["state"]) == set(STATES)
    assert influence["date"].min() == pd.Timestamp("2024-01-01")
    assert influence["date"].max() == pd.Timestamp("2025-12-01")
    # the summary is the final month of the trajectories
    final = influence[(influence["month"] == MONTHS - 1)]
    afg = final[(final["power"] == "RUS") & (final["state"] == "AFG")]["value"]
    summary = pd.read_csv(out / "summary.csv").set_index(["power", "state"])
    assert summary.loc[("RUS", "AFG"), "median"] == pytest.approx(afg.median(), abs=1e-4)


def test_run_writes_plots(first):
    _, out = first
    names = {p.name for p in (out / "plots").glob("*.png")}
    assert names == {f"influence_{s}.png" for s in STATES} | {"overview.png"}
    for name in names:
        data = (out / "plots" / name).read_bytes()
        assert data.startswith(PNG_MAGIC), name
        assert len(data) > 5000, name


# ---- reproducibility, shipped names, replacing a folder ---------------------------------------


def test_same_seed_gives_identical_summary(first, second):
    assert (first[1] / "summary.csv").read_bytes() == (second[1] / "summary.csv").read_bytes()
    a, b = series(first[1], "influence"), series(second[1], "influence")
    pd.testing.assert_frame_equal(a, b)


def test_shipped_scenario_name_runs(first, second):
    proc, out, *_ = second
    assert proc.stdout.splitlines()[0] == first[0].stdout.splitlines()[0]
    one = json.loads((first[1] / "manifest.json").read_text())
    two = json.loads((out / "manifest.json").read_text())
    assert two["scenario_hash"] == one["scenario_hash"]


def test_rerun_without_force_is_refused_and_leaves_the_folder_untouched(second):
    _, out, stale, refused, before, after = second
    assert refused.returncode == 2, f"{refused.stdout}\n{refused.stderr}"
    assert "holds an earlier result" in refused.stderr and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert after == before  # every file as it was, the stale ones included
    assert all(str(path.relative_to(out)) in before for path in stale)


def test_rerun_replaces_existing_folder(second):
    _, out, stale, *_ = second
    for path in stale:
        assert not path.exists(), f"{path} survived the re-run"
    assert (out / "manifest.json").exists() and (out / "summary.csv").exists()
    assert len(list((out / "plots").glob("*.png"))) == len(STATES) + 1
    assert sorted(p.name for p in out.parent.iterdir()) == ["baseline"]  # no .partial, no .old


def test_set_lever_changes_result(first, sanctioned):
    proc, out = sanctioned
    manifest = json.loads((out / "manifest.json").read_text())
    usa = next(a for a in manifest["scenario"]["actors"] if a["code"] == "USA")
    assert usa["sanctions"]["value"] == 0.9
    base = json.loads((first[1] / "manifest.json").read_text())
    assert manifest["scenario_hash"] != base["scenario_hash"]
    a = pd.read_csv(first[1] / "summary.csv")
    b = pd.read_csv(out / "summary.csv")
    assert not a.equals(b)
    assert list(a[["power", "state"]].itertuples(index=False)) == list(
        b[["power", "state"]].itertuples(index=False)
    )


# ---- explain, schema, help --------------------------------------------------------------------


def test_explain_grep_lists_units_and_sources():
    proc = ok(sim("explain", "baseline", "--grep", "fuel"))
    lines = proc.stdout.splitlines()
    assert len(lines) > 5
    for line in lines:
        assert "fuel" in line.lower(), line
    assert any(line.startswith("trade.RUS-AFG-fuel ") for line in lines)
    assert any(line.startswith("commodities.fuel.price ") for line in lines)
    assert any("USD M/year" in line for line in lines)
    assert any("USD/t" in line for line in lines)
    kinds = ("article:", "statistic:", "assumption:", "calibrated:")
    assert all(any(k in line for k in kinds) for line in lines)


def test_explain_grep_without_match():
    proc = ok(sim("explain", BASELINE, "--grep", "no-such-text-anywhere"))
    assert proc.stdout.strip() == "no parameter matches"


def test_explain_piped_into_head_is_quiet():
    cmd = f"'{sys.executable}' -m sim explain baseline | head -n 1"
    proc = subprocess.run(cmd, shell=True, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.stdout.startswith("actors.")
    assert "Traceback" not in proc.stderr
    assert "BrokenPipeError" not in proc.stderr


def test_schema_is_json_schema():
    schema = json.loads(ok(sim("schema")).stdout)
    assert schema["type"] == "object"
    props = schema["properties"]
    for field in ("name", "start", "horizon_months", "actors", "trade", "events", "levers"):
        assert field in props, field
    assert set(schema["required"]) >= {"name", "start", "horizon_months", "actors"}
    assert "Quantity" in schema["$defs"]
    assert schema["$defs"]["Quantity"].get("additionalProperties") is False


def test_module_help():
    proc = ok(sim("--help"))
    for command in ("run", "explain", "schema"):
        assert command in proc.stdout
    proc = ok(sim("run", "--help"))
    for option in ("--worlds", "--seed", "--months", "--out", "--set", "--no-progress"):
        assert option in proc.stdout


def test_no_command_is_a_usage_error():
    proc = sim()
    assert proc.returncode == 2
    assert "usage: sim" in proc.stderr
    assert "Traceback" not in proc.stderr


# ---- help: each command says what it does ----------------------------------------------------

DOES = {  # what each command's help must say it does
    "run": "run one scenario's ensemble of worlds",
    "batch": "run scenario files and their sweeps as one batch",
    "compare": "paired differences of influence between two result folders",
    "report": "write a brief of a run, or of a run against another",
    "discover": "find the assumptions under which an outcome meets a condition",
    "export": "write a result folder's series as Parquet, NetCDF or CSV",
    "explain": "print every parameter with value, unit and source",
    "schema": "print the JSON Schema of scenario files",
    "validate": "check the baseline against calibration targets",
    "calibrate": "fit the targets file's free trade parameters",
    "backtest": "score the hindcast from January 2023 against the record of 2024",
    "ui": "serve the browser app",
}


def help_text(capsys, *args: str) -> str:
    """`sim ARGS --help` in this process, its words joined by single spaces."""
    import sim.cli

    with pytest.raises(SystemExit) as done:
        sim.cli.main([*args, "--help"])
    assert done.value.code == 0
    return " ".join(capsys.readouterr().out.split())


def test_every_command_has_a_help_that_says_what_it_does(capsys):
    import sim.cli

    assert sorted(command.__name__.rsplit(".")[-1] for command in sim.cli.COMMANDS) == sorted(DOES)
    overview = help_text(capsys)
    for command, does in DOES.items():
        assert f" {command} {does}" in overview, command
        assert does in help_text(capsys, command), command


def test_run_says_it_runs_one_scenario_not_a_batch(capsys):
    text = help_text(capsys, "run")
    assert "run one scenario's ensemble of worlds" in text
    assert "scenario batch" not in text


# ---- options several commands share (parent parsers) ------------------------------------------

SHARED = {  # each option, and the commands that take it
    "--worlds": ["run", "batch", "validate", "calibrate", "backtest"],
    "--seed": ["run", "batch", "validate", "calibrate", "backtest"],
    "--out": [
        "run",
        "batch",
        "compare",
        "report",
        "discover",
        "export",
        "validate",
        "calibrate",
        "backtest",
    ],
    "--force": ["run", "batch", "compare", "report", "discover", "export", "validate", "backtest"],
    "--no-progress": ["run", "batch"],
}
REQUIRED = {  # what each command needs besides its options
    "run": ["baseline"],
    "batch": ["baseline"],
    "compare": ["a", "b"],
    "report": ["folder"],
    "discover": ["folder", "--outcome", "x", "--top", "0.2"],
    "export": ["folder", "--format", "csv"],
    "validate": [],
    "calibrate": [],
    "backtest": [],
}


@pytest.mark.parametrize("command", DOES)
def test_each_command_takes_the_shared_options_listed(command, capsys):
    usage = help_text(capsys, command).partition(" options: ")[0]
    takes = {option for option in SHARED if f"[{option} " in usage or f"[{option}]" in usage}
    assert takes == {option for option, commands in SHARED.items() if command in commands}


def parsed(command: str, *args: str):
    import sim.cli

    return sim.cli.build_parser().parse_args([command, *REQUIRED[command], *args])


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--worlds", "0", "argument --worlds: must be at least 1, got 0"),
        ("--worlds", "many", "argument --worlds: expected a whole number, got 'many'"),
        ("--seed", str(2**63), f"argument --seed: must lie in [0, 2**63), got {2**63}"),
        ("--seed", "-1", "argument --seed: must lie in [0, 2**63), got -1"),
    ],
)
def test_a_shared_option_refuses_a_bad_value_alike_on_every_command(option, value, message, capsys):
    for command in SHARED[option]:
        with pytest.raises(SystemExit) as done:
            parsed(command, option, value)
        assert done.value.code == 2, command
        assert capsys.readouterr().err.splitlines()[-1] == f"sim {command}: error: {message}"


def test_a_shared_option_means_the_same_on_every_command():
    for command in SHARED["--worlds"]:
        args = parsed(command, "--worlds", "7", "--seed", "5")
        assert (args.worlds, args.seed) == (7, 5), command
        assert (parsed(command).worlds, parsed(command).seed) == (None, None), command
    for option in ("--force", "--no-progress"):
        dest = option.lstrip("-").replace("-", "_")
        for command in SHARED[option]:
            assert getattr(parsed(command, option), dest) is True, (command, option)
            assert getattr(parsed(command), dest) is False, (command, option)
    for command in SHARED["--out"]:
        assert parsed(command, "--out", "x/y").out == Path("x/y"), command


# ---- sim batch --seed: the root seed of every run ---------------------------------------------


def test_batch_seed_is_the_root_seed_of_every_run(tmp_path):
    files = []
    for name, seed in (("first", 11), ("second", 12)):  # each scenario with a seed of its own
        files.append(tmp_path / f"{name}.yaml")
        files[-1].write_text(
            f"extends: {BASELINE}\nname: {name}\nhorizon_months: 24\nseed: {seed}\n"
        )
    small = ["--worlds", "5", "--workers", "1", "--no-progress"]

    def seeds(folder: Path) -> dict[str, int]:
        manifests = sorted(folder.glob("runs/*/p*/manifest.json"))
        return {p.parent.parent.name: json.loads(p.read_text())["seed"] for p in manifests}

    ok(sim("batch", *files, *small, "--seed", "7", "--out", tmp_path / "seeded"))
    assert seeds(tmp_path / "seeded") == {"first": 7, "second": 7}
    ok(sim("batch", *files, *small, "--out", tmp_path / "own"))
    assert seeds(tmp_path / "own") == {"first": 11, "second": 12}


# ---- how a command ends: each kind of error, its exit code and message --------------------------


def _failing_command(monkeypatch, error: Exception) -> None:
    import sim.cli

    def fail(args):
        raise error

    monkeypatch.setattr(sim.cli.schema, "handle", fail)


@pytest.mark.parametrize(
    ("kind", "error", "message"),
    [
        (
            "ScenarioError",
            ("levers.x", "must lie in [0, 1]", "my.yaml"),
            "my.yaml: field 'levers.x': must lie in [0, 1]",
        ),
        ("ResultError", ("out/run", "has no manifest.json"), "out/run: has no manifest.json"),
        ("UsageError", ("--state", "unknown state 'XYZ'"), "field '--state': unknown state 'XYZ'"),
        (
            "MissingDependencyError",
            ("--scheduler", "Dask distributed", "dask"),
            "field '--scheduler': needs Dask distributed: pip install "
            "'regional-influence-sim[dask]'",
        ),
    ],
)
def test_each_kind_of_input_error_exits_2_with_its_message(
    kind, error, message, monkeypatch, capsys
):
    import sim.cli
    import sim.errors

    error = getattr(sim.errors, kind)(*error)
    assert isinstance(error, sim.errors.InputError)
    assert error.exit_code == sim.cli.EXIT_BAD_INPUT == 2
    _failing_command(monkeypatch, error)
    assert sim.cli.main(["schema"]) == 2
    assert capsys.readouterr().err == f"error: {message}\n"


def test_a_lever_set_twice_is_a_usage_error(capsys):
    import sim.cli

    assert sim.cli.main(["run", "baseline", "--set", "a=1", "--set", "a=2"]) == 2
    err = capsys.readouterr().err
    assert err == "error: field '--set': a is set twice (1 and 2); give it once\n"


def test_a_missing_optional_package_names_the_extra_to_install(monkeypatch, tmp_path, capsys):
    import sim.cli
    from sim.errors import MissingDependencyError

    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    with pytest.raises(MissingDependencyError, match=r"regional-influence-sim\[dask\]"):
        from sim.batch.executors import DaskExecutor

        DaskExecutor("tcp://127.0.0.1:9")
    out = tmp_path / "batch"
    args = ["batch", "baseline", "--scheduler", "tcp://127.0.0.1:9", "--out", out]
    assert sim.cli.main([*map(str, args), "--no-progress"]) == 2
    assert capsys.readouterr().err == (
        "error: field '--scheduler': needs Dask distributed: pip install "
        "'regional-influence-sim[dask]'\n"
    )
    assert not out.exists()


def test_the_kinds_of_input_error_stay_apart():
    from sim.errors import (
        InputError,
        MissingDependencyError,
        ResultError,
        ScenarioError,
        UsageError,
    )

    assert issubclass(ResultError, ScenarioError)  # (callers catch both as ScenarioError)
    for kind in (ScenarioError, UsageError, MissingDependencyError):
        assert issubclass(kind, InputError) and issubclass(kind, ValueError)
    assert not issubclass(UsageError, ScenarioError)
    assert not issubclass(MissingDependencyError, ScenarioError)
    moved = MissingDependencyError("--scheduler", "Dask distributed", "dask").in_file("b.yaml")
    assert (type(moved), moved.extra, moved.file) == (MissingDependencyError, "dask", "b.yaml")
    assert UsageError("--set", "twice").in_file("x").describe() == "x: field '--set': twice"


def test_a_bug_exits_3_with_its_traceback_and_a_request_to_report_it(monkeypatch, capsys):
    import sim.cli

    _failing_command(monkeypatch, ZeroDivisionError("the model divided by zero"))
    assert sim.cli.main(["schema"]) == sim.cli.EXIT_INTERNAL == 3
    err = capsys.readouterr().err
    assert "Traceback" in err and "ZeroDivisionError: the model divided by zero" in err
    assert "internal error" in err and "please report it" in err


def test_a_path_the_system_refuses_exits_2_with_its_name(monkeypatch, capsys):
    import sim.cli

    _failing_command(monkeypatch, PermissionError(13, "Permission denied", "/srv/out"))
    assert sim.cli.main(["schema"]) == 2
    err = capsys.readouterr().err
    assert err == "error: /srv/out: Permission denied\n"
