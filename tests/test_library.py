"""The scenario library in scenarios/: every file loads, says which question it answers, runs,
and (but the baseline) is an overlay on the baseline; where a scenario's direction is not in
doubt, a paired comparison with the baseline (same seed, same worlds) confirms it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import sim
from sim.scenario.loading import read_yaml
from sim.scenario.vocab import flow_label

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
FILES = sorted(SCENARIOS.glob("*.yaml"))
OVERLAYS = [path for path in FILES if path.stem != "baseline"]
WORLDS, SEED = 200, 1  # paired comparisons: both runs share the seed and the worlds


def test_the_library_is_there():
    names = {path.stem for path in FILES}
    assert "baseline" in names
    assert len(OVERLAYS) >= 9, sorted(names)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_scenario_loads_names_its_question_and_runs(path):
    raw = read_yaml(path)
    assert str(raw.get("question", "")).strip(), "the file must say which question it answers"
    scenario = sim.load_scenario(path)
    assert scenario.name == path.stem
    assert scenario.question.strip()
    res = sim.run(scenario, worlds=4, months=3, seed=SEED)
    influence = res.series("influence").values
    assert influence.shape[:2] == (3, 4)
    assert np.isfinite(influence).all()


@pytest.mark.parametrize("path", OVERLAYS, ids=lambda p: p.stem)
def test_library_file_extends_the_baseline(path):
    base = read_yaml(path).get("extends")
    assert isinstance(base, str), "a library file is an overlay: it needs `extends:`"
    assert (path.parent / base).resolve() == (SCENARIOS / "baseline.yaml").resolve()


# ---- paired comparisons with the baseline ---------------------------------------------------

FUTURE = [  # scenarios that change the world from 2026 on only
    "russia_recognition_surge",
    "us_conditionality",
    "us_reengagement",
    "china_bri_push",
    "tajikistan_attack_border_crisis",
    "termez_closure",
    "trans_afghan_railway",
    "trafficking_resurgence",
]


@pytest.mark.parametrize("name", FUTURE)
def test_scenario_leaves_the_known_period_as_in_the_baseline(name):
    """Up to its first event of its own, a library scenario is the baseline, world by world."""
    base = sim.load_scenario(SCENARIOS / "baseline.yaml")
    scenario = sim.load_scenario(SCENARIOS / f"{name}.yaml")
    known = {(e.month, e.type, e.label) for e in base.events}
    added = [e for e in scenario.events if (e.month, e.type, e.label) not in known]
    first = min(scenario.month_index(e.month) for e in added)
    assert first >= base.month_index("2026-01"), "library events lie in the future"
    run = {"worlds": 20, "months": first, "seed": SEED}
    a, b = sim.run(scenario, **run), sim.run(base, **run)
    np.testing.assert_array_equal(a.series("influence").values, b.series("influence").values)


def paired_runs(name: str, months: int):
    """The scenario and the baseline, same seed and worlds, over `months` months; every event of
    the scenario falls inside them."""
    scenario = sim.load_scenario(SCENARIOS / f"{name}.yaml")
    last = max(scenario.month_index(e.month) for e in scenario.events)
    assert last < months, f"{name}: an event at month {last} lies beyond the {months} run"
    base = sim.load_scenario(SCENARIOS / "baseline.yaml")
    run = {"worlds": WORLDS, "months": months, "seed": SEED}
    return sim.run(scenario, **run), sim.run(base, **run)


def final_influence(res, power: str, state: str) -> np.ndarray:
    return res.series("influence", power=power, state=state).isel(month=-1).values.astype(float)


def test_us_reengagement_raises_us_influence_over_afghanistan():
    scenario, base = paired_runs("us_reengagement", months=48)
    a, b = final_influence(scenario, "USA", "AFG"), final_influence(base, "USA", "AFG")
    assert stats.ttest_rel(a, b, alternative="greater").pvalue < 1e-6
    assert np.mean(a - b) > 0.002  # about 0.003 to 0.013 by the end of 2027 (200 worlds)


def test_russian_security_surge_raises_russian_influence():
    scenario, base = paired_runs("russia_recognition_surge", months=48)
    for state in ("AFG", "TJK"):
        a, b = final_influence(scenario, "RUS", state), final_influence(base, "RUS", state)
        assert stats.ttest_rel(a, b, alternative="greater").pvalue < 1e-6, state


def test_termez_closure_lowers_the_flow_through_termez():
    scenario, base = paired_runs("termez_closure", months=36)
    routed = [
        flow_label(f.exporter, f.importer, f.commodity)
        for f in scenario.scenario.trade
        if f.route == "termez_hairatan"
    ]
    assert routed
    closed = slice(scenario.scenario.month_index("2026-06"), None)  # closed to the last month

    def through_termez(res) -> np.ndarray:
        trade = res.series("trade").sel(flow=routed).sum("flow")
        return trade.isel(month=closed).mean("month").values.astype(float)

    a, b = through_termez(scenario), through_termez(base)
    assert stats.ttest_rel(a, b, alternative="less").pvalue < 1e-6
    assert np.mean(a) < 0.7 * np.mean(b)  # 90% blocked, part of it rerouted via Turkmenistan


# ---- outcomes that answer each question --------------------------------------------------------


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_scenario_declares_outcomes_about_its_question(path):
    """Every library file declares outcomes of its own (an overlay beyond the baseline's it
    inherits), each labelled; one over a window of a scenario that changes the future starts
    it no earlier than the scenario's first event, so it measures the event's months and
    after, not the years before."""
    scenario = sim.load_scenario(path)
    base = sim.load_scenario(SCENARIOS / "baseline.yaml")
    own = (
        scenario.outcomes
        if path == SCENARIOS / "baseline.yaml"
        else [o for o in scenario.outcomes if o not in base.outcomes]
    )
    assert own, "the file must declare outcomes that answer its question"
    known = {(e.month, e.type, e.label) for e in base.events}
    first = min(
        (e.month for e in scenario.events if (e.month, e.type, e.label) not in known), default=""
    )
    for outcome in own:
        assert outcome.label, f"{outcome.name}: say what it measures, with its unit and months"
        if outcome.window and path.stem in FUTURE:
            assert outcome.window[0] >= first, (outcome.name, first)


def test_termez_closure_answers_its_question_with_trade_and_transit():
    names = {o.series for o in sim.load_scenario(SCENARIOS / "termez_closure.yaml").outcomes}
    assert {"host_trade", "crossing_trade", "transit_revenue", "influence"} <= names


def test_termez_closure_reroutes_trade_through_turkmenistan_only_while_it_lasts():
    """Paired with the baseline (50 worlds, common random numbers): the trade rerouted through
    Serhetabat-Torghundi is the baseline's to the month before the closure, far above it while
    Termez is closed, and back near it a year after the closure ends (the blockage decays)."""
    scenario = sim.load_scenario(SCENARIOS / "termez_closure.yaml")
    base = sim.load_scenario(SCENARIOS / "baseline.yaml")
    run = {"worlds": 50, "months": 54, "seed": SEED}  # to 2028-06
    a, b = sim.run(scenario, **run), sim.run(base, **run)
    sel = {"crossing": "serhetabat_torghundi", "passage": "rerouted"}
    rerouted = a.series("crossing_trade", **sel).values.astype(float) - b.series(
        "crossing_trade", **sel
    ).values.astype(float)  # (month, world)
    start, end = (scenario.month_index(m) for m in ("2026-06", "2027-05"))
    during = rerouted[start : end + 1].mean(axis=0)
    assert np.all(rerouted[:start] == 0.0)
    assert stats.ttest_1samp(during, 0.0, alternative="greater").pvalue < 1e-6
    assert np.mean(during) > 50.0  # USD M/month: 60% of the blocked 90% of ~230 at Termez
    assert np.abs(rerouted[-6:].mean(axis=0)).mean() < 0.05 * np.mean(during)
    outcome = sim.compare(a, b).outcomes().loc["rerouted_turkmenistan_closure"]
    assert outcome.diff_q05 > 0.0 and outcome.share_positive == 1.0


def test_a_run_cut_short_keeps_the_outcomes_its_months_hold():
    scenario = sim.load_scenario(SCENARIOS / "termez_closure.yaml")
    cut = scenario.replace(horizon_months=scenario.month_index("2027-05") + 1)
    kept = {o.name for o in cut.outcomes}
    assert "rerouted_turkmenistan_closure" in kept and "russia_over_afghanistan" in kept
    assert "china_over_afghanistan_after" not in kept  # its window ends in 2030-05
    assert {o.name for o in scenario.first_months(24).outcomes} == {
        o.name for o in scenario.outcomes if not o.window
    }
