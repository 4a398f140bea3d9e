"""`sim backtest`: the scores on ensembles whose answer is known, what the calibration has seen
is never counted, the hindcast starts from 2023 with nothing of 2024 in it, and the command runs
end to end and refuses bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from commands import sim

from sim.calibration.backtest import (
    crps,
    direction_ok,
    format_table,
    inside,
    significant,
    status,
    target_overlaps,
)
from sim.calibration.record import Entry, load_record, scenario_path
from sim.calibration.targets import Targets
from sim.calibration.validate import load_targets
from sim.errors import ScenarioError
from sim.scenario.loading import load_scenario, scenario_data
from sim.scenario.vocab import flow_label


@pytest.fixture(scope="module")
def record():
    return load_record()


@pytest.fixture(scope="module")
def hindcast(record):
    return load_scenario(scenario_path(record))


# ---- the scores ------------------------------------------------------------------------------
def test_crps_of_a_point_ensemble_is_the_absolute_error():
    assert crps(np.full(7, 3.0), 5.5) == pytest.approx(2.5)
    assert crps(np.full(3, -1.0), -1.0) == 0.0


def test_crps_matches_the_integral_of_the_squared_distribution_gap():
    members = np.random.default_rng(1).gamma(2.0, 3.0, 40)
    for observed in (-2.0, 4.0, 6.5, 30.0):
        grid = np.linspace(-10, 60, 200_001)
        cdf = np.searchsorted(np.sort(members), grid, side="right") / len(members)
        gap = (cdf - (grid >= observed)) ** 2
        assert crps(members, observed) == pytest.approx(np.trapezoid(gap, grid), rel=1e-3)
    assert crps(np.array([0.0, 2.0]), 1.0) == pytest.approx(0.5)  # 1 - |0 - 2| / 2 / 2


def test_inside_the_band_and_a_lower_bound():
    members = np.arange(101.0)  # 5% and 95% quantiles: 5 and 95
    assert inside(members, 50.0) and inside(members, 5.0) and inside(members, 95.0)
    assert not inside(members, 4.0) and not inside(members, 96.0)
    assert inside(members, 90.0, at_least=True) and not inside(members, 96.0, at_least=True)


def test_direction_is_the_sign_of_the_median_change():
    assert direction_ok(np.array([-1.0, 2.0, 3.0]), before=10.0, observed=12.0)
    assert not direction_ok(np.array([-1.0, -2.0, 3.0]), before=10.0, observed=12.0)
    assert direction_ok(np.zeros(5), before=0.0, observed=0.0)
    assert not direction_ok(np.array([0.0, 1.0, 1.0]), before=0.0, observed=0.0)


def test_printed_figures_keep_three_significant_digits():
    assert significant(12_422.7) == "12,400"
    assert significant(0.0123456) == "0.0123"
    assert significant(2.46, 2) == "2.5"
    assert significant(float("nan")) == "-"


# ---- what the calibration has seen is never counted ------------------------------------------
def test_no_record_scored_out_of_sample_is_a_calibration_target(record, hindcast):
    """The overlap of the scored records and the targets is empty: no out-of-sample entry is
    measured, flow for flow over its months, by targets of targets.yaml, nor built in."""
    targets = load_targets()
    scored = [e for e in record.entries if status(e, hindcast, targets)[0] == "out"]
    assert {e.name for e in scored} == {"afghan_trade_2024", "recognition_2024"}
    for entry in scored:
        assert not target_overlaps(entry, hindcast, targets)[1], entry.name
        assert entry.in_sample is None and entry.conflict is None
    # the figures the baseline was set from are found in-sample, with the targets named
    check, why = status(next(e for e in record.entries if e.name == "iran_exports_2024"),
                        hindcast, targets)  # fmt: skip
    assert check == "in" and "iran_exports_to_afghanistan" in why


def test_a_target_measuring_an_entry_makes_it_in_sample(record, hindcast):
    """The check can fail: a target over the Central Asian flows of H1 2024 covers that entry."""
    entry = next(e for e in record.entries if e.name == "central_asia_trade_h1_2024")
    targets = load_targets()
    assert status(entry, hindcast, targets)[0] == "conflict"  # partly covered only
    data = targets.model_dump(mode="json")
    for i, flows in enumerate(entry.flows):
        data["targets"].append({
            "name": f"central_asia_{i}", "label": "x", "measure": "trade",
            "flows": flows.model_dump(mode="json"), "months": {"first": "2024-03",
            "last": "2024-03"}, "value": 1, "unit": "USD M", "tolerance": 1, "source": "x",
        })  # fmt: skip
    check, why = status(entry, hindcast, Targets.model_validate(data))
    assert check == "in" and "central_asia_0" in why and "central_asia_1" in why
    later = {**data, "targets": [{**t, "months": {"first": "2025-01", "last": "2025-12"}}
                                 for t in data["targets"]]}  # fmt: skip
    assert status(entry, hindcast, Targets.model_validate(later))[0] == "conflict"


def test_the_hindcast_starts_in_2023_with_nothing_of_2024(hindcast, baseline):
    assert (hindcast.start, hindcast.events) == ("2023-01", [])
    data = scenario_data(scenario_path(load_record()))
    targets = load_targets()
    for fitted in targets.calibrate:  # no value sim calibrate fitted to 2024-2025 is inherited
        _, key, field = fitted.path.split(".")
        flow = next(f for f in data["trade"] if flow_label(*key.split("-")) == flow_label(
            f["exporter"], f["importer"], f["commodity"]))  # fmt: skip
        assert "calibrated" not in flow["source"] and flow[field] == 0.0, fitted.path
    host = [f for f in hindcast.trade if "AFG" in (f.exporter, f.importer)]
    written = {flow_label(f.exporter, f.importer, f.commodity): f.source for f in baseline.trade}
    for f in host:  # a flow kept as the baseline wrote it cites no figure of 2024 or later
        if f.source == written[flow_label(f.exporter, f.importer, f.commodity)]:
            assert "2024" not in f.source and "2025" not in f.source, f.source
    afg = next(a for a in hindcast.actors if a.code == "AFG")
    total = sum(f.value for f in host) + afg.rest_of_world_trade.value  # MoIC's 2023 total
    assert total == pytest.approx(9590, abs=1)


def test_an_entry_needs_the_fields_of_its_measure():
    base = {"name": "x", "label": "x", "months": {"first": "2024-01", "last": "2024-12"},
            "value": 1, "unit": "x", "source": "x"}  # fmt: skip
    with pytest.raises(ValueError, match="`flows` is required"):
        Entry.model_validate({**base, "measure": "trade"})
    with pytest.raises(ValueError, match="`shock` is required"):
        Entry.model_validate({**base, "measure": "events"})
    with pytest.raises(ValueError, match="no direction"):
        Entry.model_validate({**base, "measure": "recognition", "kind": "at_least",
                              "before": {"value": 0, "source": "x"}})  # fmt: skip


# ---- the command -----------------------------------------------------------------------------
FORMAT_HEAD = "series record median 90% band inside direction CRPS /record sample".split()


def test_the_table_says_what_is_counted_and_why_not():
    row = {"label": "a", "unit": "USD M", "record": 10.0, "kind": "exact", "median": 9.87654,
           "low": 8.0, "high": 12.0, "inside": True, "direction_ok": None, "crps": 0.61234,
           "crps_relative": 0.061234, "status": "out", "why": ""}  # fmt: skip
    table = pd.DataFrame([row, {**row, "label": "b", "inside": False, "direction_ok": False,
                                "status": "in", "why": "target t"}])  # fmt: skip
    text = format_table(table)
    assert text.splitlines()[0].split() == FORMAT_HEAD
    assert "9.88" in text and "0.61" in text and "6.1%" in text and "9.87654" not in text
    assert "out of sample: 1 of 1 records inside the 90% band, 0 of 0 directions right" in text
    assert "cannot be told from 50% or 100%" in text
    assert "  in: b: target t" in text and "  out: a" not in text


@pytest.mark.model
def test_sim_backtest_prints_the_table_and_writes_the_csv(tmp_path, record):
    done = sim("backtest", "--worlds", "20", "--seed", "3", "--out", tmp_path / "b")
    assert done.returncode == 0, done.stdout + done.stderr
    table = pd.read_csv(tmp_path / "b" / "backtest.csv")
    assert list(table["name"]) == [e.name for e in record.entries]
    assert (table["low"] <= table["median"]).all() and (table["median"] <= table["high"]).all()
    exact = table["kind"] == "exact"
    assert (table.loc[exact, "crps"] >= 0).all() and table.loc[~exact, "crps"].isna().all()
    # the hindcast balances the MoIC total of 2023; trade of 2024 is simulated, not written
    total = table.set_index("name").loc["afghan_trade_2024"]
    assert 5_000 < total["median"] < 20_000 and total["high"] > total["low"]
    assert table.set_index("name").loc["recognition_2024", "median"] >= 0
    assert "out of sample:" in done.stdout and "20 worlds, seed 3" in done.stdout
    assert done.stdout.splitlines()[0].split() == FORMAT_HEAD
    again = sim("backtest", "--worlds", "20", "--seed", "3", "--out", tmp_path / "b", "--force")
    assert again.returncode == 0, again.stderr
    assert pd.read_csv(tmp_path / "b" / "backtest.csv").equals(table)  # same seed, same scores


def test_sim_backtest_refuses_zero_worlds_before_running(tmp_path):
    done = sim("backtest", "--worlds", "0", "--out", tmp_path / "b")
    assert done.returncode == 2
    assert "argument --worlds: must be at least 1, got 0" in done.stderr
    assert not (tmp_path / "b").exists()


def test_a_record_window_outside_the_hindcast_is_refused(record, hindcast):
    from sim.calibration.backtest import backtest

    late = record.entries[0].model_copy(
        update={"months": record.entries[0].months.model_copy(update={"last": "2025-06"})}
    )
    with pytest.raises(ScenarioError, match="not inside the run"):
        backtest(record.model_copy(update={"entries": [late]}), hindcast, load_targets(), 1)
