"""The browser app's pure-Python parts (no browser): the View and its URL query, the two-step
ensemble (preview, then full) simulated by the worker processes and its supersession (the
workers stopped), the scenario file the page offers, uploads,
one world played month by month, the headline sentences, the figures and the downloads.

Runs are the baseline cut to 24 months (every scheduled event of 2024-2025 included) with a few
hundred worlds at most; every draw is a function of (seed, world, month, stream), so runs with
the same seed are compared world by world and exactly."""

from __future__ import annotations

import io
import json
import os
import signal
import tempfile

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
import xarray as xr

import sim
import viz.ensemble as ensemble_module
import viz.explore as explore_module
import viz.workers as workers_module
from sim.analysis.experiments import inputs
from sim.core.params import compile_scenario
from sim.errors import ScenarioError
from sim.results.reduce import world_quantiles
from sim.scenario.loading import load_scenario
from viz import explore, figures
from viz.ensemble import (
    dataset_netcdf,
    ensemble,
    headline,
    influence_csv,
    paired,
    run_ensemble,
    scenario_yaml,
)
from viz.plot import plot_json
from viz.uploads import MAX_UPLOAD, read_upload
from viz.view import PREVIEW_WORLDS, View, scenario_of, view_from_query
from viz.workers import SharedRecord, Stopped, Superseded, WorkerDied, simulate, simulate_slice
from viz.world import OneWorld

MONTHS = 24
WORLDS = 200  # the page's preview (PREVIEW_WORLDS, 100), then the rest
SEED = 7
STATE = "AFG"


# ---- fixtures ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def scenario(baseline):
    short = baseline.replace(horizon_months=MONTHS)
    assert short.horizon_months == MONTHS and short.events == baseline.events
    return short


@pytest.fixture(scope="module")
def steps(scenario):
    """What ensemble() yields for WORLDS worlds: [preview, full]."""
    return list(ensemble(scenario, WORLDS, SEED, PREVIEW_WORLDS))


@pytest.fixture(scope="module")
def full(steps):
    return steps[-1]


@pytest.fixture(scope="module")
def cli_run(scenario):
    """The same run as the command line makes it (sim.run)."""
    return sim.run(scenario, worlds=WORLDS, seed=SEED)


@pytest.fixture(scope="module")
def strong(scenario):
    """Russian security engagement at its high bound, paired with `full` (same seed, worlds)."""
    lever = scenario.lever("russia_security")
    assert scenario.lever_values()["russia_security"] < lever.high
    moved = scenario.with_values(russia_security=lever.high)
    *_, last = ensemble(moved, WORLDS, SEED, PREVIEW_WORLDS)
    return last


def recording_slices(monkeypatch) -> list[tuple[int, int]]:
    """(first world, worlds) of every slice handed to the workers, which still simulate it."""
    calls: list[tuple[int, int]] = []
    real = workers_module._submit

    def submit(fn, *args):
        if fn is simulate_slice:
            calls.append(args[4:6])
        return real(fn, *args)

    monkeypatch.setattr(workers_module, "_submit", submit)
    return calls


def influence(res) -> np.ndarray:
    return res.series("influence").values


# ---- View and its URL query ----------------------------------------------------------------
def moved_view(baseline) -> View:
    """A view with every field off its default: a lever and an uncertainty moved."""
    lever, item = baseline.lever("us_aid"), baseline.uncertainty("sanctions_drag")
    written = baseline.factor_values()
    assert written["us_aid"] != lever.high and written["sanctions_drag"] != item.low
    view = View(
        preset="termez_closure",
        worlds=PREVIEW_WORLDS * 2,
        seed=SEED,
        state="TJK",
        month=5,
        against="us_reengagement",
        assumptions="fixed",  # an assumption's value applies with fixed assumptions only
    )
    view = view.with_value("us_aid", lever.high, written["us_aid"])
    return view.with_value("sanctions_drag", item.low, written["sanctions_drag"])


def test_query_round_trip_reproduces_the_view(baseline):
    view = moved_view(baseline)
    for field in ("preset", "worlds", "seed", "state", "month", "against", "assumptions"):
        assert getattr(view, field) != getattr(View(), field), field
    assert len(view.values) == 2
    back = view_from_query(view.query())
    assert back == view
    assert back.problems == ()


def test_default_view_has_an_empty_query():
    assert View().query() == ""
    assert view_from_query("") == View()
    assert view_from_query(None) == View()


def test_query_round_trip_keeps_every_digit_of_a_value(baseline):
    view = View().with_value("us_aid", 123.4567, baseline.lever_values()["us_aid"])
    assert view_from_query(view.query()) == view


def test_scenario_of_a_view_has_its_moved_values_and_says_so(baseline):
    view = moved_view(baseline)
    scenario = scenario_of(view)
    preset = load_scenario(view.preset)
    expected = preset.with_values(**dict(view.values))
    assert scenario.factor_values() == expected.factor_values() != preset.factor_values()
    assert scenario.name != preset.name and scenario.name.startswith(f"{preset.name}.")
    assert all(name in scenario.name for name, _ in view.values)
    assert scenario_of(view.replace(values=())).content_hash() == preset.content_hash()


def test_scenario_of_an_upload_with_a_large_lever_value(baseline):
    big = {"name": "big_aid", "path": "relations.USA-AFG.aid", "low": 0.0, "high": 1e7}
    levers = [lever.model_dump() for lever in baseline.levers]
    upload = baseline.replace(name="mine", levers=[*levers, {**big, "step": 1e3, "label": "big"}])
    view = View().with_value("big_aid", 2e6, upload.lever_values()["big_aid"])
    assert scenario_of(view, upload).lever_values()["big_aid"] == 2e6


def bad_entries(baseline) -> dict[str, str]:
    """A bad query entry per field it names."""
    lever = baseline.lever("us_aid")
    return {
        "preset": "preset=no_such_scenario",
        "worlds": f"worlds={PREVIEW_WORLDS - 95}",
        "us_aid": f"v.us_aid={lever.high + lever.step:g}",
        "no_such_lever": "v.no_such_lever=1",
        "state": "state=XXX",
    }


VALID = "seed=3&month=5&against=us_reengagement&assumptions=fixed&v.sanctions_drag=0.2"


def test_an_assumption_from_a_link_applies_only_with_fixed_assumptions():
    """Drawn (the default), every world draws the assumption: a value for it in a link is
    dropped with a note; fixed, it applies."""
    drawn = view_from_query("v.sanctions_drag=0.2&v.us_aid=100")
    assert drawn.values == (("us_aid", 100.0),) and drawn.assumptions == "drawn"
    assert drawn.problems == ("sanctions_drag: drawn per world; its value applies with fixed "
                              "assumptions",)  # fmt: skip
    fixed = view_from_query("assumptions=fixed&v.sanctions_drag=0.2")
    assert fixed.values == (("sanctions_drag", 0.2),) and fixed.problems == ()
    assert "assumptions=fixed" in fixed.query() and "assumptions" not in drawn.query()
    assert view_from_query("assumptions=guessed").problems[0].startswith("assumptions: ")


@pytest.mark.parametrize(
    "field,entry",
    [
        ("preset", None),
        ("worlds", None),
        ("worlds", "worlds=abc"),
        ("us_aid", None),
        ("no_such_lever", None),
        ("state", None),
    ],
    ids=["unknown-preset", "worlds-below-preview", "worlds-abc", "lever-out-of-bounds",
         "unknown-lever", "unknown-state"],
)  # fmt: skip
def test_a_bad_query_entry_is_dropped_with_one_problem_naming_it(baseline, field, entry):
    entry = entry or bad_entries(baseline)[field]
    expected = view_from_query(VALID)
    assert expected.problems == ()
    assert expected != View()  # the valid entries do show
    view = view_from_query(f"{VALID}&{entry}")
    assert view == expected
    assert len(view.problems) == 1, view.problems
    assert view.problems[0].split()[0].rstrip(":") == field, view.problems


def test_a_query_of_many_bad_entries_lists_a_problem_per_entry(baseline):
    entries = bad_entries(baseline)
    view = view_from_query("&".join([VALID, *entries.values()]))
    assert view == view_from_query(VALID)
    named = [problem.split()[0].rstrip(":") for problem in view.problems]
    assert sorted(named) == sorted(entries), view.problems
    worlds_abc = view_from_query(f"{VALID}&worlds=abc&seed=xyz")
    assert [p.split(":")[0] for p in worlds_abc.problems] == ["worlds", "seed"]
    assert (worlds_abc.worlds, worlds_abc.seed) == (View().worlds, View().seed)


def test_with_value_drops_a_value_equal_to_the_written_one(baseline):
    written = baseline.lever_values()["us_aid"]
    lever = baseline.lever("us_aid")
    moved = View().with_value("us_aid", lever.high, written)
    assert moved.values == (("us_aid", lever.high),)
    back = moved.with_value("us_aid", written, written)
    assert back.values == ()
    assert back == View() and back.query() == ""
    assert View().with_value("us_aid", written, written).values == ()


# ---- the ensemble --------------------------------------------------------------------------
def test_preview_is_the_first_worlds_of_the_full_run(steps):
    preview, full = steps
    assert (preview.worlds, full.worlds) == (PREVIEW_WORLDS, WORLDS)
    head = full.dataset.isel(world=slice(0, PREVIEW_WORLDS))
    for name in preview.dataset.data_vars:
        np.testing.assert_array_equal(preview.dataset[name].values, head[name].values, name)
    np.testing.assert_array_equal(preview.dataset.world.values, np.arange(PREVIEW_WORLDS))


def test_the_preview_is_not_simulated_twice(scenario, monkeypatch):
    calls = recording_slices(monkeypatch)
    results = list(ensemble(scenario, WORLDS + 50, SEED, PREVIEW_WORLDS))
    assert [r.worlds for r in results] == [PREVIEW_WORLDS, WORLDS + 50]
    simulated = [w for first, count in calls for w in range(first, first + count)]
    assert sorted(simulated) == list(range(WORLDS + 50))  # each world once


def test_the_page_run_equals_the_command_line_run(full, cli_run):
    for name in ("influence", "trade"):
        np.testing.assert_array_equal(full.series(name).values, cli_run.series(name).values)
    assert full.seed == cli_run.seed == SEED


def test_the_worlds_are_simulated_in_worker_processes(scenario, monkeypatch):
    """Every slice of the preview and of the full run is simulated by a process other than the
    one that asked for it (the server's, here the test's)."""
    pids: list[set[int]] = []

    def recording(*args, **kwargs):
        pids.append(simulate(*args, **kwargs))
        return pids[-1]

    monkeypatch.setattr(ensemble_module, "simulate", recording)
    assert [r.worlds for r in ensemble(scenario, WORLDS, SEED, PREVIEW_WORLDS)] == [100, 200]
    assert len(pids) == 2 and all(pids)
    assert os.getpid() not in set().union(*pids)


def test_a_superseded_ensemble_starts_no_more_worlds(scenario, monkeypatch):
    calls = recording_slices(monkeypatch)
    wanted = {"run": True}
    run = ensemble(scenario, WORLDS, SEED, PREVIEW_WORLDS, current=lambda: wanted["run"])
    assert next(run).worlds == PREVIEW_WORLDS
    wanted["run"] = False  # a newer change, once the preview is shown
    with pytest.raises(Superseded):
        next(run)
    assert next(run, None) is None  # nothing further
    assert sum(count for _, count in calls) == PREVIEW_WORLDS  # the rest never handed out


def test_an_ensemble_superseded_at_once_runs_nothing(scenario, monkeypatch):
    calls = recording_slices(monkeypatch)
    run = ensemble(scenario, WORLDS, SEED, PREVIEW_WORLDS, current=lambda: False)
    with pytest.raises(Superseded):
        next(run)
    assert calls == []


@pytest.fixture
def shared_record():
    """Makes records in shared memory as ensemble() does (all zeros until a worker writes),
    unlinked after the test."""
    made: list[SharedRecord] = []

    def make(scenario, worlds: int) -> SharedRecord:
        made.append(SharedRecord(compile_scenario(scenario), scenario.horizon_months, worlds))
        return made[-1]

    yield make
    for record in made:
        record.unlink()


def test_a_worker_drops_its_slice_after_the_month_the_stop_flag_went_up(baseline, shared_record):
    """The flag is up before the run starts: each worker simulates its worlds' first month,
    sees it, and stops; no later month of any world is written."""
    record = shared_record(baseline, 50)
    record.stop()
    with pytest.raises(Stopped):
        simulate(record, baseline, SEED, range(50), "drawn")
    written = record.arrays["influence"]
    assert written[0].reshape(50, -1).any(axis=1).all()  # the first month of every world
    assert not written[1:].any()  # then nothing


def test_a_run_superseded_while_it_is_simulated_stops_its_workers(baseline, shared_record):
    """Once a worker has written the first month, the run is no longer wanted: simulate raises
    Superseded after the workers stopped, and no world of the run reached its last month."""
    record = shared_record(baseline, 400)
    written = record.arrays["influence"]

    def current() -> bool:  # wanted until a worker has simulated a month
        return not written[0].any()

    with pytest.raises(Superseded):
        simulate(record, baseline, SEED, range(400), "drawn", current)
    assert written[0].any()
    assert not written[-1].any()
    assert record.flag[0]


def test_a_worker_that_dies_fails_its_run_with_a_message_and_the_next_run_works(
    scenario, full, shared_record
):
    """A worker killed mid-run: the run raises WorkerDied (which the page shows), not a hang;
    the next run gets new workers, and the same numbers."""
    record = shared_record(scenario, WORLDS)
    written = record.arrays["influence"]
    workers = simulate(shared_record(scenario, 2), scenario, SEED, range(2), "drawn")

    def current() -> bool:  # kills a worker once the run's first month is simulated
        if written[0].any() and workers:
            os.kill(workers.pop(), signal.SIGKILL)
        return True

    with pytest.raises(WorkerDied, match="a worker process ended"):
        simulate(record, scenario, SEED, range(WORLDS), "drawn", current)
    *_, again = ensemble(scenario, WORLDS, SEED, PREVIEW_WORLDS)
    np.testing.assert_array_equal(again.series("influence").values, influence(full))


# ---- the scenario file offered for download ------------------------------------------------
def test_scenario_yaml_loads_back_and_runs_the_same(scenario, tmp_path):
    lever, item = scenario.lever("russia_security"), scenario.uncertainty("sanctions_drag")
    moved = scenario.with_values(russia_security=lever.high, sanctions_drag=item.high)
    assert moved.content_hash() != scenario.content_hash()
    path = tmp_path / f"{moved.name}.yaml"
    path.write_bytes(scenario_yaml(moved))
    back = load_scenario(path)
    assert back.content_hash() == moved.content_hash()
    assert back.factor_values() == moved.factor_values()
    assert (
        back.lever_reference
        == moved.lever_reference
        == {"russia_security": scenario.lever_values()["russia_security"]}
    )
    a, b = sim.run(moved, worlds=20, seed=SEED), sim.run(back, worlds=20, seed=SEED)
    np.testing.assert_array_equal(influence(a), influence(b))
    assert not np.array_equal(influence(a), influence(sim.run(scenario, worlds=20, seed=SEED)))


# ---- uploads -------------------------------------------------------------------------------
class Reader(io.BytesIO):
    """An uploaded file that notes the sim-upload-* folders present while it is read."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.seen: set[str] | None = None

    def read(self, *args):
        self.seen = uploads_folders()
        return super().read(*args)


class Unreadable:
    """An uploaded file that must not be read."""

    def read(self, *args):
        raise AssertionError("the upload was read")


def uploads_folders() -> set[str]:
    return {p for p in os.listdir(tempfile.gettempdir()) if p.startswith("sim-upload-")}


@pytest.fixture
def temp(tmp_path, monkeypatch):
    """A temporary directory of the test's own (no other process writes there): after the
    test, no sim-upload-* folder is left in it."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    before = uploads_folders()
    yield folder
    assert uploads_folders() == before


def test_a_valid_overlay_upload_loads(baseline, temp):
    data = Reader(b"extends: baseline\nname: mine\n")
    scenario = read_upload("mine.yaml", len(data.getvalue()), data)
    assert scenario.name == "mine"
    assert scenario.replace(name=baseline.name).content_hash() == baseline.content_hash()
    assert data.seen and len(data.seen) == 1  # it was read in a temporary folder ...
    assert not data.seen & uploads_folders()  # ... removed since


def test_bad_yaml_names_the_uploaded_file_and_the_line(temp):
    data = Reader(b"extends: baseline\nname: [mine\n")
    with pytest.raises(ScenarioError) as caught:
        read_upload("some/folder/broken.yaml", len(data.getvalue()), data)
    message = str(caught.value)
    assert message.startswith("broken.yaml: ") and caught.value.file == "broken.yaml"
    assert "line" in message
    assert (
        str(temp) not in message and "sim-upload-" not in message and "upload.yaml" not in message
    )
    assert data.seen  # the refusal came from parsing it


def test_an_upload_over_the_limit_is_refused_before_it_is_read(temp):
    with pytest.raises(ScenarioError, match="limited to") as caught:
        read_upload("big.yaml", MAX_UPLOAD + 1, Unreadable())
    assert caught.value.file == "big.yaml"
    lying = Reader(b"# " + b"x" * MAX_UPLOAD + b"\nname: big\n")
    with pytest.raises(ScenarioError, match="larger than") as caught:  # its size given wrong
        read_upload("big.yaml", 100, lying)
    assert caught.value.file == "big.yaml"


def test_an_upload_not_named_yaml_is_refused(temp):
    with pytest.raises(ScenarioError, match=r"\.yaml") as caught:
        read_upload("notes.txt", 30, Unreadable())
    assert caught.value.file == "notes.txt"


def test_an_upload_with_a_python_tag_is_refused_and_runs_nothing(temp, monkeypatch):
    ran: list[str] = []
    monkeypatch.setattr(os, "system", lambda command: ran.append(command) or 0)
    marker = temp.parent / "ran"
    body = f'extends: baseline\nname: !!python/object/apply:os.system ["touch {marker}"]\n'
    data = Reader(body.encode())
    with pytest.raises(ScenarioError, match="python") as caught:
        read_upload("evil.yaml", len(data.getvalue()), data)
    assert caught.value.file == "evil.yaml"
    assert ran == [] and not marker.exists()


def test_an_upload_may_extend_only_a_shipped_scenario(temp, tmp_path):
    secret = tmp_path / "secret.yaml"
    secret.write_text("name: secret\n")
    for base in (str(secret), "../../baseline.yaml", "/etc/passwd"):
        data = Reader(f"extends: {base}\nname: mine\n".encode())
        with pytest.raises(ScenarioError, match="only a shipped scenario") as caught:
            read_upload("mine.yaml", len(data.getvalue()), data)
        assert caught.value.field == "extends" and caught.value.file == "mine.yaml"


# ---- one world -----------------------------------------------------------------------------
def test_one_world_months_not_simulated_yet_are_zero_and_world_numbers_are_checked(scenario):
    world = OneWorld(scenario, SEED, world=3)
    for _ in range(5):
        world.step()
    rest = world.results().dataset.isel(month=slice(5, None))
    assert all(not rest[name].values.any() for name in rest.data_vars)
    with pytest.raises(ScenarioError, match="not a world number"):
        OneWorld(scenario, SEED, world=-1)


def test_one_world_is_that_world_of_the_ensemble(scenario, full):
    k, m = 7, MONTHS // 2
    world = OneWorld(scenario, SEED, world=k)
    for _ in range(m):
        world.step()
    assert world.month == m and not world.finished
    res = world.results()
    assert res.dataset.world.values.tolist() == [k]
    mine = res.series("influence").values[:, 0]
    np.testing.assert_array_equal(mine[:m], full.series("influence").sel(world=k).values[:m])
    assert not np.array_equal(mine[:m], full.series("influence").sel(world=k + 1).values[:m])


def test_one_world_lists_the_scheduled_events_of_the_month(scenario):
    month = min(scenario.month_index(e.month) for e in scenario.events)
    assert 0 < month < MONTHS
    due = [e.label or e.type for e in scenario.events if scenario.month_index(e.month) == month]
    world = OneWorld(scenario, SEED, world=3)
    assert world.events() == []
    for _ in range(month):
        world.step()
    before = [line for line in world.events() if line.startswith("scheduled:")]
    assert not any(label in line for label in due for line in before)
    world.step()
    scheduled = [line for line in world.events() if line.startswith("scheduled:")]
    assert len(scheduled) == len(due)
    for label in due:
        assert any(line.startswith(f"scheduled: {label} (") for line in scheduled), scheduled


# ---- headline ------------------------------------------------------------------------------
def test_a_run_against_itself_is_the_same(full, cli_run):
    for other in (full, cli_run):
        lines = headline(paired(full, other), STATE)
        assert len(lines) == 1 and "same" in lines[0]


def line_of(lines: list[str], power: str) -> str:
    (line,) = [line for line in lines if line.startswith(f"{power} ")]
    return line


def test_a_strong_lever_shows_as_a_gain_and_reversed_as_a_loss(full, strong):
    assert strong.worlds == full.worlds >= 100
    ahead = headline(paired(strong, full), STATE)
    behind = headline(paired(full, strong), STATE)
    holders = full.labels("holder")  # the powers, then Iran and Pakistan over the host
    assert {"IRN", "PAK"} <= set(holders)
    assert len(ahead) == len(behind) == 2 + len(holders)  # a line per holder, and the legend
    for holder in holders:
        assert "% of worlds;" in line_of(ahead, holder)
    assert f"paired over {WORLDS} worlds" in ahead[0]
    gain, loss = line_of(ahead, "RUS"), line_of(behind, "RUS")
    when = f"over {STATE} by {full.dates[-1]:%Y-%m}: higher in"
    assert gain.startswith(f"RUS gains influence {when}")
    assert loss.startswith(f"RUS loses influence {when}")
    assert "; +" in gain and "; -" in loss  # the mean's sign
    assert "across worlds (5-95%)" in gain and "of its level" in gain
    assert ahead[1] == gain  # the largest gain first
    # where the spread across worlds comes from: the app runs drawn by default
    assert "the declared assumptions (drawn per world) and the dice" in ahead[-1]


def test_a_preview_is_paired_with_the_first_worlds_of_a_full_run(steps, strong):
    preview, _ = steps
    lines = headline(paired(preview, strong), STATE)
    assert f"paired over {PREVIEW_WORLDS} worlds" in lines[0]
    assert line_of(lines, "RUS").startswith("RUS loses")


# ---- figures -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def played(scenario):
    """One world played halfway (the one-world view's charts cut at `until`)."""
    world = OneWorld(scenario, SEED, world=0)
    for _ in range(MONTHS // 2):
        world.step()
    return world.results()


FIGURES = {
    "map-first": lambda r, c, w: figures.map_figure(r, 0),
    "map-last": lambda r, c, w: figures.map_figure(r, r.months - 1),
    "influence": lambda r, c, w: figures.influence_chart(r, STATE),
    "influence-ghost": lambda r, c, w: figures.influence_chart(r, STATE, baseline=c.b),
    "heat-map": lambda r, c, w: figures.heat_map(r, r.months - 1),
    "threat": lambda r, c, w: figures.threat_chart(r, STATE),
    "trade": lambda r, c, w: figures.trade_chart(r, STATE),
    "difference": lambda r, c, w: figures.difference_chart(c, STATE),
    "why": lambda r, c, w: figures.why_chart(c, STATE),
    "why-elsewhere": lambda r, c, w: figures.why_chart(c, "TJK"),
    "world-influence": lambda r, c, w: figures.influence_chart(w, STATE, until=MONTHS // 2),
    "world-influence-unstarted": lambda r, c, w: figures.influence_chart(w, STATE, until=0),
    "world-heat-map": lambda r, c, w: figures.heat_map(w, MONTHS // 2 - 1),
    "world-threat": lambda r, c, w: figures.threat_chart(w, STATE, until=MONTHS // 2),
    "world-trade": lambda r, c, w: figures.trade_chart(w, STATE, until=MONTHS // 2),
    "world-map": lambda r, c, w: figures.map_figure(w, MONTHS // 2 - 1),
}


@pytest.mark.parametrize("make", FIGURES.values(), ids=FIGURES.keys())
def test_every_figure_draws(make, steps, strong, played):
    """Each figure is a Plotly figure with traces and a title, sent to the browser as JSON
    (the page's Plot widget), its revision a digest of it."""
    preview, _ = steps
    fig = make(preview, paired(preview, strong), played)
    assert isinstance(fig, go.Figure) and fig.data and fig.layout.title.text
    text, revision = plot_json(fig)
    sent = json.loads(text)
    assert len(sent["data"]) == len(fig.data) and sent["layout"]["height"] > 0
    assert plot_json(make(preview, paired(preview, strong), played))[1] == revision


def lines(fig: go.Figure) -> dict[str, go.Scatter]:
    """The named lines of a time chart (a median or a mean; bands and ghosts have no name)."""
    return {t.name: t for t in fig.data if t.type == "scatter" and t.name and t.mode == "lines"}


def test_the_influence_chart_hovers_each_median_with_its_band_and_the_baseline(steps, strong):
    """Each holder's line is its median over worlds; its hover label gives its 5-95% band and
    the baseline's median at the same month, and the date as YYYY-MM."""
    preview, _ = steps
    base = paired(preview, strong).b
    fig = figures.influence_chart(preview, STATE, baseline=base)
    russia = lines(fig)["RUS"]
    q05, median, q95 = world_quantiles(preview.series("influence", state=STATE, power="RUS")).values
    ghost = world_quantiles(base.series("influence", state=STATE, power="RUS")).values[1]
    np.testing.assert_allclose(russia.y, median)
    np.testing.assert_allclose(russia.customdata, np.column_stack([q05, q95, ghost]))
    assert "5-95%" in russia.hovertemplate and "baseline" in russia.hovertemplate
    assert fig.layout.hovermode == "x unified" and fig.layout.xaxis.hoverformat == "%Y-%m"


def test_the_why_chart_splits_each_holders_mean_change_into_its_components(full, strong):
    """A bar per holder over the state, a segment per component (gains right of zero, losses
    left: stacked relative to zero), and the holder's mean change as a tick where its segments
    add up to."""
    comparison = paired(strong, full)
    table = comparison.decompose(STATE)
    fig = figures.why_chart(comparison, STATE)
    bars = [t for t in fig.data if t.type == "bar"]
    assert [b.name for b in bars] == ["trade", "security", "economic", "diplomatic", "leverage"]
    assert fig.layout.barmode == "relative"
    holders = list(bars[0].y)
    assert holders == full.holders_over(STATE)
    for bar in bars:
        expected = table[table.component == bar.name].set_index("holder")["mean"]
        np.testing.assert_allclose(np.asarray(bar.x, float), expected.reindex(holders), atol=1e-12)
    (ticks,) = [t for t in fig.data if t.type == "scatter"]
    final = comparison.final(STATE).set_index("holder").difference
    np.testing.assert_allclose(ticks.x, final.reindex(holders), atol=1e-6)
    # Russian security engagement moves Russia's influence through its security component
    russia = table[table.holder == "RUS"].set_index("component")["mean"]
    assert russia.idxmax() == "security" and russia["security"] > 0.5 * russia.sum() > 0


def test_the_influence_chart_shows_the_neighbours_that_hold_influence_over_the_host(steps, played):
    """Iran and Pakistan (host_ties) hold influence over the host only: their medians are
    drawn over AFG, and over no other state; cut at `until` in the one-world view."""
    preview, _ = steps
    iran = preview.dataset["host_influence"].sel(holder="IRN").median("world").values
    for res, until in ((preview, None), (played, MONTHS // 2)):
        drawn = lines(figures.influence_chart(res, STATE, until=until))
        assert {"IRN", "PAK"} <= set(drawn)
        assert drawn["IRN"].line.dash == "dashdot"
        assert len(drawn["IRN"].y) == (res.months if until is None else until)
        if until is None:
            np.testing.assert_allclose(drawn["IRN"].y, iran, rtol=1e-6)
        elsewhere = lines(figures.influence_chart(res, "TJK", until=until))
        assert not {"IRN", "PAK"} & set(elsewhere)


def test_scheduled_events_show_as_dotted_lines_whose_marker_hovers_their_labels(full):
    fig = figures.influence_chart(full, STATE)
    markers = full.event_markers()
    months = sorted({month for month, _ in markers})
    assert len(fig.layout.shapes) == len(months) > 0
    (events,) = [t for t in fig.data if t.name == "scheduled events"]
    assert len(events.x) == len(months)
    shown = "<br>".join(events.customdata)
    for number, (_, label) in enumerate(markers, start=1):
        assert f"{number}. {label}" in shown


def test_trade_chart_of_a_world_not_started(scenario):
    figures.trade_chart(OneWorld(scenario, SEED).results(), STATE, until=0)


def map_texts(res, month: int) -> list[str]:
    fig = figures.map_figure(res, month)
    return [text for trace in fig.data for text in (trace.text or ())]


def test_the_map_marks_termez_closed_while_it_is_closed():
    scenario = load_scenario("termez_closure")
    (closure,) = [
        e for e in scenario.events if e.type == "closure" and e.crossing == "termez_hairatan"
    ]
    middle = scenario.month_index(closure.month) + closure.duration_months // 2
    closed = "termez_hairatan closed"
    runs = {
        name: sim.run(load_scenario(name), worlds=20, seed=SEED, months=middle + 1)
        for name in ("termez_closure", "baseline")
    }
    assert closed in map_texts(runs["termez_closure"], middle)
    assert closed not in map_texts(runs["termez_closure"], 0)
    assert closed not in map_texts(runs["baseline"], middle)  # the closure's doing, paired


# ---- downloads -----------------------------------------------------------------------------
def test_netcdf_download_holds_the_influence_of_the_run(full, tmp_path):
    path = tmp_path / "results.nc"
    path.write_bytes(dataset_netcdf(full))
    with xr.open_dataset(path, engine="netcdf4") as data:
        assert data["influence"].shape == full.dataset["influence"].shape
        np.testing.assert_array_equal(data["influence"].values, influence(full))
        assert data.attrs["scenario_hash"] == full.scenario.content_hash()
        assert set(data.data_vars) == set(full.dataset.data_vars)


def test_influence_csv_has_the_quantile_columns(full):
    table = pd.read_csv(io.BytesIO(influence_csv(full)))
    assert list(table.columns) == ["month", "date", "power", "state", "q05", "median", "q95"]
    powers, states = full.labels("power"), full.labels("state")
    assert len(table) == full.months * len(powers) * len(states)
    assert set(table.power) == set(powers) and set(table.state) == set(states)
    expected = full.quantiles("influence")
    np.testing.assert_allclose(table["median"], expected["median"], atol=1e-5)
    assert (table.q05 <= table["median"] + 1e-5).all() and (
        table["median"] <= table.q95 + 1e-5
    ).all()
    assert (pd.to_datetime(table.date).unique() == full.dates).all()


def test_a_certain_but_tiny_change_is_called_negligible(full):
    """An effect whose interval excludes zero but which is small against the holder's level,
    and the same way in most worlds, is no gain or loss."""
    tiny = full.scenario.with_values(us_aid=full.scenario.lever_values()["us_aid"] + 5)
    comparison = paired(sim.run(tiny, worlds=full.worlds, seed=full.seed), full)
    effects = comparison.effects(STATE).set_index("holder")
    band = effects.negligible_below
    certain = (effects.ci_low > 0) | (effects.ci_high < 0)
    one_way = (effects.diff_q05 > -band) | (effects.diff_q95 < band)
    small = effects[certain & one_way & (effects.difference.abs() < band)]
    assert len(small), effects  # the construction gives a certain, tiny effect to test
    for holder in small.index:
        assert effects.effect[holder] == "negligible"
        line = line_of(headline(comparison, STATE), holder)
        assert line.startswith(f"{holder} sees a negligible change of influence over {STATE}")


# ---- the explore panel ---------------------------------------------------------------------
def last_month(res, power: str, state: str) -> np.ndarray:
    return res.dataset["influence"].sel(power=power, state=state).isel(month=-1).values


def test_the_explore_ranking_lists_the_drawn_assumptions_by_label_above_a_noise_floor(full):
    assert full.assumptions == "drawn"
    ranked = explore.ranking(full, STATE, "RUS")
    assert ranked.message == "" and ranked.worlds == WORLDS
    assert ranked.outcome == f"RUS's influence over {STATE}, {full.dates[-1]:%Y-%m}"
    drawn, described = inputs(full)
    assert [item.name for item in ranked.inputs] != list(drawn.columns)  # ranked, not listed
    assert sorted(item.name for item in ranked.inputs) == sorted(drawn.columns)
    indices = [item.index for item in ranked.inputs]
    assert indices == sorted(indices, reverse=True) and indices[0] > indices[-1]
    labels = {u.name: u.label for u in full.scenario.uncertainties if u.label}
    assert len(labels) > 10
    for item in ranked.inputs:
        assert item.label == described[item.name].label
        if item.name in labels:
            assert item.label == labels[item.name] != item.name
    assert 0 < ranked.noise < indices[0]
    for item in ranked.inputs:
        assert item.distinguishable == (item.index > ranked.noise), item
    assert 0 < ranked.above < len(ranked.inputs)  # some above the floor, some greyed
    assert ranked.by_chance == pytest.approx(len(ranked.inputs) / 11)
    # the outcome is the last month's influence: another power's ranking differs
    assert explore.last_influence(full, "RUS", STATE).to_numpy().tolist() == (
        last_month(full, "RUS", STATE).astype(np.float64).tolist()
    )
    assert [i.name for i in explore.ranking(full, STATE, "USA").inputs] != [
        i.name for i in ranked.inputs
    ]


def test_the_explore_panel_ranks_nothing_in_a_fixed_run_and_says_why(scenario, monkeypatch):
    fixed = run_ensemble(scenario, PREVIEW_WORLDS, SEED, "fixed")

    def never(*args, **kwargs):
        raise AssertionError("a fixed run computes no sensitivity and no box")

    monkeypatch.setattr(explore_module, "ensemble_sensitivity", never)
    monkeypatch.setattr(explore_module, "discover", never)
    ranked = explore.ranking(fixed, STATE, "RUS")
    assert ranked.inputs == () and ranked.message == explore.FIXED
    assert "assumptions fixed" in ranked.message
    assert "Set the assumptions to drawn" in ranked.message
    box = explore.lead_box(fixed, STATE, "RUS")
    assert box.lines == () and box.message == explore.FIXED


def test_a_power_leads_where_it_holds_more_than_every_other_holder(full):
    """Over the host the neighbours, which hold influence over it, are rivals too; over another
    state only the powers."""
    neighbours_of_host = ["TJK", "UZB", "TKM", "KAZ", "KGZ", "IRN", "PAK"]
    assert full.holders_over(STATE) == ["RUS", "CHN", "USA", *neighbours_of_host]
    assert full.holders_over("TJK") == ["RUS", "CHN", "USA"]
    neighbours = full.dataset["host_influence"].isel(month=-1)
    rivals = np.max(
        [last_month(full, "CHN", STATE), last_month(full, "USA", STATE),
         *(neighbours.sel(holder=code).values for code in neighbours_of_host)],
        axis=0,
    )  # fmt: skip
    margin = explore.lead(full, "RUS", STATE)
    np.testing.assert_allclose(margin, last_month(full, "RUS", STATE) - rivals, atol=1e-7)
    assert 0 < (margin > 0).sum() < WORLDS
    tjk = last_month(full, "RUS", "TJK") - np.maximum(
        last_month(full, "CHN", "TJK"), last_month(full, "USA", "TJK")
    )
    np.testing.assert_allclose(explore.lead(full, "RUS", "TJK"), tjk, atol=1e-7)
    assert explore.leader(full, STATE) == "RUS"


def test_the_prim_box_of_the_worlds_where_a_power_leads(full):
    box = explore.lead_box(full, STATE, "RUS")
    leads = int((explore.lead(full, "RUS", STATE) > 0).sum())
    assert box.message == ""
    assert box.lines[0].startswith(f"RUS leads over {STATE} at {full.dates[-1]:%Y-%m} in {leads} ")
    assert 0 < box.coverage <= 1 and 0 < box.density <= 1
    assert f"coverage {box.coverage:.2f}" in box.lines[1]
    assert f"density {box.density:.2f}" in box.lines[1]
    nowhere = explore.lead_box(full, STATE, "USA")  # the USA leads over AFG in no world
    assert nowhere.lines == () and "in 0 of 200 worlds: there is no box" in nowhere.message
    everywhere = explore.lead_box(full, "TJK", "RUS")
    assert "in 200 of 200 worlds: there is no box" in everywhere.message


@pytest.mark.parametrize(
    "value, text",
    [(0.2, "0.20"), (0.1234, "0.12"), (0.0061234, "0.0061"), (0.999, "1.0"), (12.3, "12"),
     (123.0, "120")],
)  # fmt: skip
def test_an_index_shows_two_significant_digits(value, text):
    assert explore.significant(value) == text


def test_a_share_of_worlds_is_never_rounded_to_none_or_all():
    assert explore.share(2, 500) == "under 1%"
    assert explore.share(499, 500) == "over 99%"
    assert explore.share(310, 500) == "62%"
    assert explore.share(500, 500) == "100%"
