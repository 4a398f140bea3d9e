"""Exploring what we do not know, over the worlds of a drawn ensemble: scenario discovery
(`sim.discover`, `sim discover`), the given-data route of `sim.sensitivity`, robust policy
tables (regret, satisficing) and the lever search.

The key scenario is built so that one outcome depends on two named uncertainties only: the
baseline with every random shock switched off (so the dice do nearly nothing), drawing the
extremist network's growth and foreign cooperation (the drivers) beside three uncertainties
about attacks, which cannot act when no attack happens (the decoys; checked first). PRIM must
restrict exactly the drivers, and the given-data sensitivity must rank them first. Those tests
are model tests: `make test` runs them again under Python 3.12, where the EMA Workbench is 3.0."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest
from commands import BASELINE
from commands import sim as sim_cli
from scipy import stats

import sim
from sim.analysis.discovery import discover
from sim.analysis.experiments import inputs, outcome_of
from sim.analysis.given_data import ensemble_sensitivity
from sim.analysis.search import search_levers
from sim.errors import ScenarioError
from sim.results.outcomes import outcome_values
from sim.scenario.paths import resolve
from sim.scenario.schema import Outcome, Scenario

DRIVERS = {"extremist_growth", "extremist_cooperation"}
DECOYS = {"host_attack_magnitude", "host_attack_spread", "abroad_attack_magnitude"}
TWO_WORLDS = 2000
SEED = 7
MONTHS = 24


# ---- fixtures ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def two_drivers(baseline) -> Scenario:
    data = baseline.model_dump(mode="json")
    for shock in data["shocks"]:
        shock["base_rate"]["value"] = 0.0
    data["uncertainties"] = [u for u in data["uncertainties"] if u["name"] in DRIVERS | DECOYS]
    data["shares"] = []
    data["outcomes"].append({"name": "extremist_mean", "series": "networks",
                             "select": {"network": "extremist"}, "over": "mean"})  # fmt: skip
    return Scenario.model_validate(data).replace(name="two_drivers", horizon_months=60)


@pytest.fixture(scope="module")
def two_run(two_drivers):
    return sim.run(two_drivers, worlds=TWO_WORLDS, seed=SEED)


@pytest.fixture(scope="module")
def short(baseline) -> Scenario:
    return baseline.replace(horizon_months=MONTHS)


@pytest.fixture(scope="module")
def policies():
    """The baseline and two library policies to their horizon, drawn, the same seed and
    worlds."""
    names = ["baseline", "us_reengagement", "china_bri_push"]
    return {n: sim.run(sim.load_scenario(n), worlds=300, seed=SEED) for n in names}


def extremist_mean(scenario, **values):
    res = sim.run(scenario.with_values(**values), worlds=4, seed=SEED, assumptions="fixed")
    return res.outcomes()["extremist_mean"].to_numpy()


# ---- the test scenario is what it claims ---------------------------------------------------
def test_the_decoys_do_nothing_and_the_drivers_move_the_outcome(two_drivers):
    for name in DECOYS:
        u = two_drivers.uncertainty(name)
        np.testing.assert_array_equal(
            extremist_mean(two_drivers, **{name: u.low}),
            extremist_mean(two_drivers, **{name: u.high}),
        )
    for name in DRIVERS:
        u = two_drivers.uncertainty(name)
        low, high = (
            extremist_mean(two_drivers, **{name: u.low}),
            extremist_mean(two_drivers, **{name: u.high}),
        )
        assert np.abs(high - low).min() > 0.01, name


# ---- scenario discovery --------------------------------------------------------------------
@pytest.mark.model  # again under Python 3.12, with the EMA Workbench 3.0 and SALib there
def test_prim_restricts_exactly_the_two_drivers(two_run, two_drivers):
    found = discover(two_run, "extremist_mean", top=0.25)
    assert set(found.restrictions.index) == DRIVERS
    assert found.method == "prim" and found.of_interest == TWO_WORLDS // 4
    for share in (found.coverage, found.density, found.mass):
        assert 0 <= share <= 1
    assert found.density > 2 * 0.25  # far denser than the worlds at large
    assert (found.restrictions.p_value < 0.05).all()
    # in the scenario's own labels and units
    data = two_drivers.model_dump(mode="json")
    for name, row in found.restrictions.iterrows():
        declared = two_drivers.uncertainty(name)
        assert row.label == declared.label
        assert row.unit == resolve(data, declared.path)[0]["unit"]
        assert declared.low <= row.range_low <= row.low <= row.high <= row.range_high
    text = found.describe()
    assert "coverage" in text and all(two_drivers.uncertainty(n).label in text for n in DRIVERS)
    # the trajectory: the chosen box is one of its rows, all shares in [0, 1]
    path = found.trajectory
    assert path.chosen.sum() == 1
    assert path[["coverage", "density", "mass"]].stack().between(0, 1).all()


def test_a_boxs_statistics_and_significance_are_those_of_its_worlds(two_run):
    found = discover(two_run, "extremist_mean", top=0.25)
    x, _ = inputs(two_run)
    y = outcome_of(two_run, "extremist_mean").to_numpy()
    interest = y > np.quantile(y, 0.75)
    inside = np.ones(len(x), dtype=bool)
    for name, row in found.restrictions.iterrows():
        inside &= x[name].between(row.low, row.high).to_numpy()
    assert found.coverage == pytest.approx(interest[inside].sum() / interest.sum())
    assert found.density == pytest.approx(interest[inside].mean())
    assert found.mass == pytest.approx(inside.mean())
    # each restriction's quasi-p: the box's worlds of interest against the density of the box
    # without that restriction (one-sided binomial)
    name = found.restrictions.index[0]
    other = found.restrictions.drop(index=name).iloc[0]
    relaxed = x[other.name].between(other.low, other.high).to_numpy()
    expected = stats.binom.sf(interest[inside].sum() - 1, inside.sum(), interest[relaxed].mean())
    assert found.restrictions.loc[name, "p_value"] == pytest.approx(expected, rel=1e-9)


@pytest.mark.model  # again under Python 3.12, with the EMA Workbench 3.0 and SALib there
def test_cart_is_the_alternative_and_finds_a_driver(two_run):
    found = discover(two_run, "extremist_mean", top=0.25, method="cart")
    assert found.method == "cart"
    assert set(found.restrictions.index) and set(found.restrictions.index) <= DRIVERS
    assert found.density > 0.5


def test_conditions_select_the_worlds_they_say(two_run):
    y = outcome_of(two_run, "extremist_mean").to_numpy()
    cut = float(np.median(y))
    assert discover(two_run, "extremist_mean", below=cut).of_interest == int((y < cut).sum())
    assert discover(two_run, "extremist_mean", above=cut).of_interest == int((y > cut).sum())
    bottom = discover(two_run, "extremist_mean", bottom=0.1)
    assert bottom.of_interest == int((y < np.quantile(y, 0.1)).sum())
    # per-world values work as an outcome, named by the Series
    values = pd.Series(-y, name="minus")
    assert discover(two_run, values, top=0.1).outcome == "minus"


def test_discover_refuses_what_it_cannot_answer(two_drivers, two_run):
    fixed = sim.run(two_drivers, worlds=20, seed=SEED, assumptions="fixed")
    with pytest.raises(ValueError, match="no assumption or lever varies"):
        discover(fixed, "extremist_mean", top=0.2)
    with pytest.raises(ValueError, match="in no world: nothing to discover"):
        discover(two_run, "extremist_mean", above=5)
    with pytest.raises(ValueError, match="exactly one of below, above, top or bottom"):
        discover(two_run, "extremist_mean", above=0.1, below=0.2)
    with pytest.raises(ValueError, match="between 0 and 1"):
        discover(two_run, "extremist_mean", top=1.5)
    with pytest.raises(ValueError, match="unknown method 'tree'"):
        discover(two_run, "extremist_mean", top=0.2, method="tree")
    with pytest.raises(ValueError, match="declares no outcome 'nope'"):
        discover(two_run, "nope", top=0.2)
    with pytest.raises(ValueError, match="one outcome value per world"):
        discover(two_run, np.zeros(3), top=0.2)


def test_discovery_on_a_paired_effect_reads_the_difference_world_by_world(policies):
    policy, base = policies["us_reengagement"], policies["baseline"]
    effect = outcome_of(policy, "us_over_afghanistan", against=base)
    expected = (
        policy.outcomes()["us_over_afghanistan"] - base.outcomes()["us_over_afghanistan"]
    ).to_numpy()
    np.testing.assert_allclose(effect.to_numpy(), expected, rtol=0, atol=0)
    cut = float(np.quantile(expected, 0.3))
    found = discover(policy, "us_over_afghanistan", below=cut, against=base)
    assert found.of_interest == int((expected < cut).sum())
    assert "us_reengagement - baseline" in found.outcome
    assert set(found.restrictions.index) <= {u.name for u in policy.scenario.uncertainties} | {
        p for s in policy.scenario.shares for p in s.parts
    }
    other = sim.run(base.scenario, worlds=300, seed=SEED + 1)
    with pytest.raises(sim.ResultError, match="seed"):
        discover(policy, "us_over_afghanistan", below=cut, against=other)


def test_discovery_over_a_batch_takes_its_levers_as_inputs(tmp_path):
    file = tmp_path / "sweep.yaml"
    file.write_text(
        textwrap.dedent(f"""\
        extends: {BASELINE}
        name: sweep
        horizon_months: {MONTHS}
        sweep: {{grid: {{russia_security: [0.0, 1.0]}}, worlds: 150}}
        """)
    )
    report = sim.run_batch([file], tmp_path / "batch", workers=1, seed=SEED)
    assert report.ok
    batch = sim.load_results(tmp_path / "batch")
    x, described = inputs(batch)
    assert "russia_security" in x.columns and described["russia_security"].kind == "lever"
    assert len(x) == 300
    found = discover(batch, "russia_over_afghanistan", top=0.5)
    # Russian security engagement is the strong lever of Russian influence over Afghanistan
    assert "russia_security" in found.restrictions.index
    assert found.restrictions.loc["russia_security", "low"] > 0.0  # the worlds at 1, not 0


# ---- sensitivity from the ensemble ---------------------------------------------------------
@pytest.mark.model  # again under Python 3.12, with the EMA Workbench 3.0 and SALib there
def test_given_data_sensitivity_ranks_the_two_drivers_first(two_run):
    found = ensemble_sensitivity(two_run, "extremist_mean", resamples=20)
    ranked = found.ranked()
    assert set(ranked.index[:2]) == DRIVERS
    assert set(found.drivers()) == DRIVERS  # both above the noise floor, the decoys not
    assert not ranked.loc[list(DECOYS), "distinguishable"].any()
    assert (ranked.loc[list(DECOYS), "index"] < ranked.loc[list(DRIVERS), "index"].min()).all()
    assert (ranked.low <= ranked["index"]).all() and (ranked["index"] <= ranked.high).all()
    assert ranked.noise.nunique() == 1 and 0 < ranked.noise.iloc[0] < 0.2
    # the same data and seed give the same numbers; SALib's seeding leaves numpy's alone
    state = np.random.get_state()[1].copy()  # noqa: NPY002
    again = ensemble_sensitivity(two_run, "extremist_mean", resamples=20)
    pd.testing.assert_frame_equal(found.indices, again.indices)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # noqa: NPY002
    assert "noise floor" in found.describe()


def test_the_delta_measure_ranks_the_drivers_first_too(two_run):
    found = ensemble_sensitivity(two_run, "extremist_mean", measure="delta", resamples=2)
    assert set(found.ranked().index[:2]) == DRIVERS


def test_sensitivity_from_a_scenario_runs_the_ensemble_and_can_take_a_policy(short):
    direct = sim.sensitivity(short, outcome="us_over_afghanistan", worlds=200, resamples=0)
    run = sim.run(short, worlds=200)
    assert direct.indices.equals(
        ensemble_sensitivity(run, "us_over_afghanistan", resamples=0).indices
    )
    policy = {"us_aid": 60.0}
    effect = sim.sensitivity(short, outcome="us_over_afghanistan", worlds=200, resamples=0,
                             policy=policy)  # fmt: skip
    treated = sim.run(short.with_levers(**policy), worlds=200)
    expected = ensemble_sensitivity(treated, "us_over_afghanistan", against=run, resamples=0)
    assert effect.indices.equals(expected.indices)
    assert effect.outcomes == ["us_over_afghanistan (paired effect)"]
    with pytest.raises(ValueError, match="runs its own design"):
        sim.sensitivity(run, method="sobol")
    with pytest.raises(ValueError, match="not drawn in these worlds"):
        sim.sensitivity(run, ["us_aid"], "us_over_afghanistan")


# ---- outcomes that register timing ---------------------------------------------------------
def test_outcomes_over_a_window_and_the_months_to_a_threshold(policies):
    res = policies["baseline"]
    series = res.dataset.influence.sel(power="CHN", state="AFG").to_numpy().astype("float64")
    window = ("2026-07", "2029-06")
    first, last = res.scenario.month_index(window[0]), res.scenario.month_index(window[1])
    part = series[first : last + 1]
    threshold = float(np.median(part))
    specs = [
        Outcome(name="mean", series="influence", select={"power": "CHN", "state": "AFG"},
                window=window, over="mean"),
        Outcome(name="reach", series="influence", select={"power": "CHN", "state": "AFG"},
                window=window, over="first_above", threshold=threshold),
    ]  # fmt: skip
    got = outcome_values(res.dataset, specs)
    np.testing.assert_allclose(got["mean"], part.mean(axis=0), rtol=1e-12)
    crossed = part >= threshold
    expected = np.where(crossed.any(axis=0), crossed.argmax(axis=0), len(part))
    np.testing.assert_array_equal(got["reach"], expected)
    assert (got["reach"] == len(part)).any() and (got["reach"] < len(part)).any()


def test_an_outcome_window_outside_the_run_is_refused(short):
    data = short.model_dump(mode="json")
    data["outcomes"] = [{"name": "late", "series": "influence", "over": "mean",
                         "select": {"power": "CHN", "state": "AFG"},
                         "window": ["2024-01", "2031-01"]}]  # fmt: skip
    with pytest.raises(ScenarioError) as err:
        sim.run(Scenario.model_validate(data), worlds=2)
    assert "outcomes[0] (late).window" in str(err.value) and "2031-01" in str(err.value)
    data["outcomes"][0] |= {"window": ["2024-01", "2024-06"], "over": "first_above"}
    with pytest.raises(ValueError, match="need a threshold"):
        Scenario.model_validate(data)


# ---- robust policy tables ------------------------------------------------------------------
def test_policy_regret_and_shares_are_read_world_by_world(policies):
    table = sim.policy_table(policies, "USA", "AFG", baseline="baseline", threshold=0.03)
    values = {
        name: res.influence_of("USA", "AFG").isel(month=-1).to_numpy().astype(float)
        for name, res in policies.items()
    }
    matrix = np.stack(list(values.values()))
    best = matrix.max(axis=0)
    for i, name in enumerate(values):
        regret = best - matrix[i]
        row = table.loc[name]
        assert row.regret_mean == pytest.approx(regret.mean(), abs=1e-12)
        assert row.regret_q90 == pytest.approx(np.quantile(regret, 0.9), abs=1e-12)
        assert row.share_best == pytest.approx(np.mean(regret == 0))
        assert row.share_meeting == pytest.approx(np.mean(matrix[i] >= 0.03))
    assert table.share_best.sum() >= 1 - 1e-12  # every world has a best policy
    assert (table.regret_mean >= 0).all()
    # the US policy is best for US influence in most worlds, and the table says so
    assert table.index[0] == "us_reengagement" and table.share_best.iloc[0] > 0.5
    # to minimise, the ranking and the regret turn around
    low = sim.policy_table(policies, "USA", "AFG", goal="min")
    assert low.index[-1] == "us_reengagement"
    assert low.loc["us_reengagement", "regret_mean"] == pytest.approx(
        (matrix[1] - matrix.min(axis=0)).mean(), abs=1e-12
    )


def test_policy_tables_over_declared_outcomes_with_a_goal_each(policies):
    table = sim.policy_table(policies, outcome=["us_over_afghanistan", "extremist_peak"],
                             goal={"extremist_peak": "min"},
                             threshold={"us_over_afghanistan": 0.03})  # fmt: skip
    assert table.index.names == ["outcome", "policy"]
    peak = table.loc["extremist_peak"]
    assert peak["mean"].is_monotonic_increasing  # the lowest peak ranks first
    assert "share_meeting" in table.columns and peak.share_meeting.isna().all()
    us = table.loc["us_over_afghanistan"]
    outcomes = {name: res.outcomes()["us_over_afghanistan"] for name, res in policies.items()}
    for name, values in outcomes.items():
        assert us.loc[name, "mean"] == pytest.approx(values.mean(), rel=1e-12)
    with pytest.raises(ValueError, match="unknown goal"):
        sim.policy_table(policies, "USA", goal="most")
    with pytest.raises(ValueError, match="not both"):
        sim.policy_table(policies, "USA", outcome="us_over_afghanistan")


# ---- lever search --------------------------------------------------------------------------
SEARCH = {
    "objectives": [
        {"outcome": "us_over_afghanistan", "statistic": "q10", "goal": "max"},
        {"lever": "us_aid", "goal": "min"},
    ],
    "levers": ["us_aid"],
    "worlds": 20,
    "months": MONTHS,
    "evaluations": 30,
    "population": 10,
}


def test_lever_search_returns_a_reproducible_pareto_set(short):
    found = search_levers(short, **SEARCH, search_seed=3)
    pareto = found.pareto
    assert len(pareto) > 0 and found.evaluations >= 30
    lever = next(item for item in short.levers if item.name == "us_aid")
    assert pareto.us_aid.between(lever.low, lever.high).all()
    np.testing.assert_allclose(pareto.us_aid % lever.step, 0, atol=1e-9)  # on the lever's steps
    # no row is beaten on both objectives by another
    q10, aid = pareto["max q10 us_over_afghanistan"].to_numpy(), pareto.us_aid.to_numpy()
    for i in range(len(pareto)):
        beaten = (q10 >= q10[i]) & (aid <= aid[i]) & ((q10 > q10[i]) | (aid < aid[i]))
        assert not beaten.any()
    # a row's objective is that setting run over the same worlds
    row = pareto.iloc[-1]
    res = sim.run(short.with_levers(us_aid=float(row.us_aid)), worlds=20, seed=short.seed)
    expected = np.quantile(res.outcomes()["us_over_afghanistan"], 0.1)
    assert row["max q10 us_over_afghanistan"] == pytest.approx(expected, rel=1e-12)
    again = search_levers(short, **SEARCH, search_seed=3)
    pd.testing.assert_frame_equal(pareto, again.pareto)
    assert "us_aid" in found.describe()


def test_lever_search_respects_constraints_and_refuses_bad_input(short):
    limit = [{"outcome": "us_over_afghanistan", "min": 0.02}]
    found = search_levers(short, **(SEARCH | {"evaluations": 20}), constraints=limit)
    for aid in found.pareto.us_aid:
        res = sim.run(short.with_levers(us_aid=float(aid)), worlds=20, seed=short.seed)
        assert res.outcomes()["us_over_afghanistan"].mean() >= 0.02
    bad = [
        ({"levers": ["nope"]}, "not a lever"),
        ({"objectives": [{"outcome": "nope"}]}, "not an outcome"),
        ({"objectives": [{"outcome": "us_over_afghanistan", "statistic": "q101"}]}, "statistic"),
        ({"objectives": [{"outcome": "us_over_afghanistan", "goal": "up"}]}, "goal"),
        ({"objectives": [{"lever": "china_economic"}]}, "not among those searched"),
    ]
    for change, message in bad:
        with pytest.raises(ValueError, match=message):
            search_levers(short, **(SEARCH | change))


# ---- the command line ----------------------------------------------------------------------
def test_sim_discover_on_a_drawn_baseline_of_2000_worlds(tmp_path, baseline):
    done = sim_cli("run", "baseline", "--worlds", 2000, "--seed", SEED, "--out", tmp_path / "run",
                   "--no-progress")  # fmt: skip
    assert done.returncode == 0, done.stderr
    done = sim_cli("discover", tmp_path / "run", "--outcome", "us_over_afghanistan", "--top", 0.2,
                   "--out", tmp_path / "box")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "PRIM box: coverage" in done.stdout
    box = pd.read_csv(tmp_path / "box" / "box.csv", index_col=0)
    drawn = {u.name for u in baseline.uncertainties} | {
        part for shares in baseline.shares for part in shares.parts
    }
    assert len(box) > 0 and set(box.index) <= drawn
    assert (box.p_value <= 0.05).all()
    path = pd.read_csv(tmp_path / "box" / "trajectory.csv")
    assert path[["coverage", "density", "mass"]].stack().between(0, 1).all()
    assert path.chosen.sum() == 1
    for name in ("discovery.png", "discovery.txt", "manifest.json"):
        assert (tmp_path / "box" / name).is_file(), name
    # a second time: the earlier output is ours, replaced only with --force
    args = ["discover", tmp_path / "run", "--outcome", "us_over_afghanistan", "--top", 0.2]
    again = sim_cli(*args, "--out", tmp_path / "box")
    assert again.returncode == 2 and "--force" in again.stderr
    # a user's folder is never written over
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    refused = sim_cli(*args, "--out", mine, "--force")
    assert refused.returncode == 2 and (mine / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]


def test_sim_discover_refuses_bad_input_with_exit_2(tmp_path, two_drivers):
    import yaml

    scenario = tmp_path / "two.yaml"
    scenario.write_text(yaml.safe_dump(two_drivers.model_dump(mode="json"), sort_keys=False))
    fixed = tmp_path / "fixed"
    assert sim_cli("run", scenario, "--worlds", 20, "--out", fixed, "--assumptions", "fixed",
                   "--no-progress").returncode == 0  # fmt: skip
    cases = [
        (["--outcome", "nope", "--top", "0.2"], "declares no outcome 'nope'"),
        (["--outcome", "extremist_mean", "--top", "0.2"], "no assumption or lever varies"),
        (["--outcome", "extremist_mean", "--top", "2"], "between 0 and 1"),
        (["--outcome", "extremist_mean"], "one of the arguments"),
    ]
    for args, message in cases:
        done = sim_cli("discover", fixed, *args)
        assert done.returncode == 2 and message in done.stderr, (args, done.stderr)
    missing = sim_cli("discover", tmp_path / "none", "--outcome", "x", "--top", "0.2")
    assert missing.returncode == 2 and "does not exist" in missing.stderr
