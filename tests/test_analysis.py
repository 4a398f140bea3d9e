"""The analysis API: paired comparisons (`sim.compare`), policy tables (`sim.policy_table`), the
Sobol route of `sim.sensitivity`, the figures of the analysis, and `run_batch` on a Dask client.
(The default, given-data route of sensitivity, discovery, regret and lever search:
tests/test_exploration.py.)

Runs are the shipped baseline cut to 24 months (every scheduled event of 2024-2025 included) with
a few hundred worlds and one seed: two runs with the same seed share every draw world by world
(common random numbers), so a paired difference isolates the scenario change. Russian security
engagement with Afghanistan (the lever russia_security, 0.1 as written) is the strong lever: it
enters Russia's security dependence of Afghanistan directly."""

from __future__ import annotations

import textwrap
from itertools import product

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from commands import BASELINE
from matplotlib.collections import PolyCollection
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.figure import Figure
from scipy import stats

import sim
from sim import ResultError, Scenario, ScenarioError, compare, policy_table, sensitivity

SEED = 11
WORLDS = 200
MONTHS = 24
POWERS = 3  # RUS, CHN, USA
NEIGHBOURS = 7  # every neighbour holds influence over the host (AFG) beside the powers
SENS_PARAMETERS = ["russia_security", "termez_reroute", "sanctions_drag"]
SENS_OUTCOMES = ["russia_over_afghanistan", "us_over_afghanistan"]
SENS_N = 32
SENS_WORLDS = 20


# ---- fixtures ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def scenario24(baseline):
    return baseline.replace(horizon_months=MONTHS)


@pytest.fixture(scope="module")
def runs(scenario24):
    """The baseline twice (two separate runs), Russian security at its high and low bound, all
    with the same seed and worlds; and runs that cannot be paired with them."""
    up = scenario24.with_values(russia_security=1.0).replace(name="russia_up")
    down = scenario24.with_values(russia_security=0.0).replace(name="russia_down")
    return {
        "base": sim.run(scenario24, worlds=WORLDS, seed=SEED),
        "again": sim.run(scenario24, worlds=WORLDS, seed=SEED),
        "up": sim.run(up, worlds=WORLDS, seed=SEED),
        "down": sim.run(down, worlds=WORLDS, seed=SEED),
    }


def final_cell(res, power: str, state: str) -> np.ndarray:
    """The last month's influence of `power` over `state` in every world, float64."""
    data = res.series("influence", power=power, state=state).isel(month=-1)
    return data.values.astype("float64")


def row(table: pd.DataFrame, **where) -> pd.Series:
    mask = np.logical_and.reduce([table[k] == v for k, v in where.items()])
    found = table[mask]
    assert len(found) == 1, (where, len(found))
    return found.iloc[0]


# ---- 1. a run compared with itself ---------------------------------------------------------
def test_a_run_compared_with_itself_or_its_rerun_differs_nowhere(runs):
    base, again = runs["base"], runs["again"]
    # the rerun is the same run: same seed and worlds give the same draws
    np.testing.assert_array_equal(base.dataset.influence.values, again.dataset.influence.values)
    states = len(base.labels("state"))
    for a, b in ((base, base), (base, again), (again, base)):
        c = compare(a, b)
        t = c.table
        assert len(t) == MONTHS * (POWERS * states + NEIGHBOURS)
        assert (t.difference == 0).all()
        assert ((t.ci_low <= 0) & (t.ci_high >= 0)).all()
        assert (t[["diff_q05", "diff_median", "diff_q95", "relative"]].fillna(0) == 0).all().all()
        assert (t.share_positive == 0).all()
        np.testing.assert_array_equal(t.mean_a.values, t.mean_b.values)
        assert set(c.final().month) == {MONTHS - 1}
        assert len(c.final()) == POWERS * states + NEIGHBOURS
        assert set(c.effects().effect) == {"none"}


# ---- 2. a strong lever ---------------------------------------------------------------------
def test_more_russian_security_raises_russian_influence_with_an_interval_above_zero(runs):
    up, down = runs["up"], runs["down"]
    c = compare(up, down)
    rus = row(c.final("AFG"), holder="RUS")
    assert rus.difference > 0 and rus.ci_low > 0
    assert rus.ci_low <= rus.difference <= rus.ci_high
    assert rus.mean_a > rus.mean_b
    assert rus.difference == pytest.approx(rus.mean_a - rus.mean_b, abs=1e-12)
    assert rus.share_positive > 0.9  # common random numbers: higher in (nearly) every world

    # reversed, the comparison is the mirror image
    back = compare(down, up)
    rev = row(back.final("AFG"), holder="RUS")
    assert rev.difference == pytest.approx(-rus.difference, abs=1e-12)
    assert rev.ci_low == pytest.approx(-rus.ci_high, abs=1e-12)
    assert rev.ci_high == pytest.approx(-rus.ci_low, abs=1e-12)
    assert rev.share_positive == pytest.approx(1 - rus.share_positive)  # no ties here

    # pairing pays: world i of one run shares its draws with world i of the other, so for a
    # small change (the baseline's 0.1 against 0) the paired interval is far narrower than one
    # over independent ensembles (Welch). (For a change as large as 0 to 1 the two runs' worlds
    # need not stay correlated, and the gain may vanish: no claim is made there.)
    a_run, b_run = runs["base"], down
    a, b = final_cell(a_run, "RUS", "AFG"), final_cell(b_run, "RUS", "AFG")
    paired = row(compare(a_run, b_run).final("AFG"), holder="RUS")
    welch = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert paired.ci_high - paired.ci_low < 0.5 * (welch.high - welch.low)

    assert "russia_up - russia_down" in c.describe("AFG")
    line = f"  RUS gains influence: higher in {rus.share_positive:.0%} of worlds; +"
    assert line in c.describe("AFG")


def test_the_state_argument_restricts_the_table_to_that_state(runs):
    up, down = runs["up"], runs["down"]
    full = compare(up, down).table
    only = compare(up, down, state="AFG")
    assert set(only.table.state) == {"AFG"}
    assert len(only.table) == MONTHS * (POWERS + NEIGHBOURS)
    expected = full[full.state == "AFG"].reset_index(drop=True)
    pd.testing.assert_frame_equal(only.table.reset_index(drop=True), expected)
    assert set(only.final().state) == {"AFG"}
    with pytest.raises(KeyError, match="unknown state 'XXX'"):
        compare(up, down, state="XXX")


def test_runs_that_are_not_the_same_worlds_are_not_compared(scenario24, runs):
    small = sim.run(scenario24, worlds=20, seed=SEED)
    with pytest.raises(ResultError, match=f"seed {SEED + 1} differs"):
        compare(sim.run(scenario24, worlds=20, seed=SEED + 1), small)
    with pytest.raises(ResultError, match="worlds"):
        compare(small, runs["base"])  # 20 worlds against 200
    with pytest.raises(ResultError, match="months differ"):
        compare(sim.run(scenario24, worlds=20, seed=SEED, months=12), small)


# ---- 3. the interval is the paired Student t interval --------------------------------------
@pytest.mark.parametrize(
    ("month", "power", "state"), [(MONTHS - 1, "RUS", "AFG"), (7, "USA", "TJK")]
)
def test_the_interval_is_the_paired_t_interval_over_worlds(runs, month, power, state):
    up, down = runs["up"], runs["down"]
    a = up.series("influence", power=power, state=state).isel(month=month).values
    b = down.series("influence", power=power, state=state).isel(month=month).values
    a, b = a.astype("float64"), b.astype("float64")
    ci = stats.ttest_rel(a, b).confidence_interval(0.95)
    got = row(compare(up, down).table, month=month, holder=power, state=state)
    assert got.difference == pytest.approx(np.mean(a - b), rel=1e-9, abs=1e-12)
    assert got.ci_low == pytest.approx(ci.low, rel=1e-9, abs=1e-12)
    assert got.ci_high == pytest.approx(ci.high, rel=1e-9, abs=1e-12)
    assert got.mean_a == pytest.approx(a.mean(), rel=1e-12)
    assert got.mean_b == pytest.approx(b.mean(), rel=1e-12)
    assert got.share_positive == pytest.approx(np.mean(a > b))
    # another confidence gives the t quantile of that confidence
    wide = row(compare(up, down, confidence=0.99).table, month=month, holder=power, state=state)
    ci99 = stats.ttest_rel(a, b).confidence_interval(0.99)
    assert wide.ci_low == pytest.approx(ci99.low, rel=1e-9, abs=1e-12)
    assert wide.ci_high - wide.ci_low > got.ci_high - got.ci_low


# ---- 4. policy tables ----------------------------------------------------------------------
def test_a_policy_table_ranks_the_policies_and_pairs_them_with_the_baseline(runs):
    base, up, down = runs["base"], runs["up"], runs["down"]
    table = policy_table({"base": base, "up": up, "down": down}, "RUS", "AFG", baseline="base")
    assert list(table["rank"]) == [1, 2, 3]
    assert table["mean"].is_monotonic_decreasing
    assert set(table.index) == {"base", "up", "down"}
    # the strong lever up ranks above it down (and above the baseline's 0.1)
    assert table.loc["up", "rank"] < table.loc["down", "rank"]
    assert table.loc["up", "rank"] == 1
    # the baseline against itself
    b = table.loc["base"]
    assert b.difference == 0 and b.diff_low == 0 and b.diff_high == 0 and b.share_higher == 0
    # paired mean identity: the mean difference is the difference of the means
    np.testing.assert_allclose(
        table.difference, table["mean"] - table.loc["base", "mean"], rtol=0, atol=1e-9
    )
    assert table.share_higher.between(0, 1).all()
    assert (table.diff_low <= table.difference).all()
    assert (table.difference <= table.diff_high).all()
    assert table.loc["up", "diff_low"] > 0

    # each row from the worlds themselves
    values = final_cell(up, "RUS", "AFG")
    ci = stats.t.interval(0.95, WORLDS - 1, loc=values.mean(), scale=stats.sem(values))
    u = table.loc["up"]
    assert u["mean"] == pytest.approx(values.mean(), rel=1e-12)
    assert (u.ci_low, u.ci_high) == pytest.approx(ci, rel=1e-9)
    assert (u.q05, u["median"], u.q95) == pytest.approx(
        tuple(np.quantile(values, [0.05, 0.5, 0.95])), rel=1e-9
    )
    other = final_cell(base, "RUS", "AFG")
    assert u.share_higher == pytest.approx(np.mean(values > other))

    expected_date = pd.Timestamp(base.scenario.start) + pd.DateOffset(months=MONTHS - 1)
    assert table.attrs["holder"] == "RUS" and table.attrs["state"] == "AFG"
    assert table.attrs["date"] == f"{expected_date:%Y-%m}"
    assert table.attrs["worlds"] == WORLDS


def test_a_policy_table_takes_a_list_named_by_scenario_and_defaults_to_the_host(runs):
    base, up, down, again = runs["base"], runs["up"], runs["down"], runs["again"]
    table = policy_table([down, base, up], "RUS", baseline="baseline")
    assert set(table.index) == {"baseline", "russia_up", "russia_down"}
    assert table.attrs["state"] == base.scenario.codes("host")[0]
    assert table.loc["baseline", "difference"] == 0
    # the same numbers as the dict with the same runs
    by_dict = policy_table({"baseline": base, "russia_up": up, "russia_down": down}, "RUS", "AFG",
                           baseline="baseline")  # fmt: skip
    pd.testing.assert_frame_equal(table, by_dict)
    # without a baseline, no paired columns
    plain = policy_table([base, up], "RUS", "AFG")
    assert "difference" not in plain.columns and list(plain["rank"]) == [1, 2]
    # a baseline given as Results that is not among the runs
    against = policy_table([up, down], "RUS", "AFG", baseline=base)
    assert against.loc["russia_up", "difference"] == pytest.approx(
        np.mean(final_cell(up, "RUS", "AFG") - final_cell(base, "RUS", "AFG")), rel=1e-9
    )

    with pytest.raises(ValueError, match="two runs are named 'baseline'"):
        policy_table([base, again], "RUS", "AFG")
    with pytest.raises(KeyError, match="no run labelled 'nope'"):
        policy_table([base, up], "RUS", "AFG", baseline="nope")
    with pytest.raises(ValueError, match="no runs given"):
        policy_table([], "RUS")


def test_a_policy_table_refuses_a_baseline_of_other_worlds(scenario24, runs):
    other = sim.run(scenario24, worlds=WORLDS, seed=SEED + 1)
    with pytest.raises(ResultError, match="seed"):
        policy_table([runs["up"], runs["down"]], "RUS", "AFG", baseline=other)


def test_a_policy_tables_attrs_name_the_baseline_by_its_label(runs):
    # the runs are given by label; the baseline is one of them: the attrs (and the axis label
    # of policy_chart) must name that row, not another run's scenario name
    table = policy_table({"status quo": runs["base"], "more": runs["up"], "less": runs["down"]},
                         "RUS", "AFG", baseline="less")  # fmt: skip
    assert table.loc["less", "difference"] == 0
    assert table.attrs["baseline"] == "less"


def test_a_policy_table_of_no_runs_is_a_clear_error_for_a_dict_too():
    with pytest.raises(ValueError, match="no runs given"):
        policy_table({}, "RUS")


# ---- 5. sensitivity ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def no_termez_closure(baseline):
    """The baseline where Termez-Hairatan can never close: no unscheduled closures, no border
    clashes (a clash with Uzbekistan blocks its crossing), and no scheduled event that closes
    Termez. Its reroute share then multiplies a blocked share that is always zero. The Sobol
    design varies uncertainties only: Russian security engagement and the reroute share, levers
    of the baseline, become uncertainties of the same names here."""
    data = baseline.model_dump(mode="json")
    for shock in data["shocks"]:
        if shock["name"] in ("closure", "border_clash"):
            shock["base_rate"]["value"] = 0.0
    # the uncertainties over these rates have no meaning once the shocks are off
    zeroed = {"shocks.closure.base_rate", "shocks.border_clash.base_rate"}
    data["uncertainties"] = [u for u in data["uncertainties"] if u["path"] not in zeroed]
    termez = next(c for c in data["crossings"] if c["id"] == "termez_hairatan")
    data["events"] = [
        e
        for e in data["events"]
        if not (e["type"] == "closure" and e["crossing"] == termez["id"])
        and not (e["type"] == "border_clash" and e["target"] == termez["transit_state"])
    ]
    moved = {lever["name"]: lever for lever in data["levers"] if lever["name"] in SENS_PARAMETERS}
    data["levers"] = [lever for lever in data["levers"] if lever["name"] not in moved]
    data["lever_reference"] = {k: v for k, v in data["lever_reference"].items() if k not in moved}
    data["uncertainties"] += [
        {"name": name, "path": lever["path"], "low": lever["low"], "high": lever["high"],
         "source": "assumption: a lever of the baseline, varied here as an uncertainty"}
        for name, lever in moved.items()
    ]  # fmt: skip
    return Scenario.model_validate(data).replace(horizon_months=MONTHS)


def test_the_termez_reroute_share_does_nothing_when_termez_cannot_close(
    no_termez_closure, scenario24
):
    """The precondition of the sensitivity test below, and its control."""

    def influence(scenario, share):
        res = sim.run(scenario.with_values(termez_reroute=share), worlds=100, seed=SEED,
                      assumptions="fixed")  # fmt: skip
        return res.dataset.influence.values

    np.testing.assert_array_equal(
        influence(no_termez_closure, 0.0), influence(no_termez_closure, 1.0)
    )
    # where Termez can close, the share matters
    assert not np.array_equal(influence(scenario24, 0.0), influence(scenario24, 1.0))


@pytest.fixture(scope="module")
def sens(no_termez_closure):
    return sensitivity(no_termez_closure, SENS_PARAMETERS, SENS_OUTCOMES, method="sobol",
                       n=SENS_N, worlds=SENS_WORLDS, months=MONTHS, workers=1)  # fmt: skip


def test_sensitivity_ranks_the_dominant_parameter_first_and_a_null_one_at_zero(sens):
    ranked = sens.ranked("russia_over_afghanistan")
    assert list(ranked.index)[0] == "russia_security"
    assert ranked.equals(sens.ranked())  # the first outcome by default
    top = ranked.loc["russia_security"]
    # Russian influence over Afghanistan is (nearly) a function of this lever alone here: its
    # total index is about 1, and the interval of 32 design rows keeps well above one half
    assert top.total_low > 0.5
    assert top.total_low <= 1.0 <= top.total_high
    assert top.first_low <= top["first"] <= top.first_high
    assert top.kind == "uncertainty"

    null = ranked.loc["termez_reroute"]
    assert abs(null["first"]) < 1e-12 and abs(null.total) < 1e-12
    assert null.first_low <= 0 <= null.first_high
    assert null.total_low <= 0 <= null.total_high
    assert null.total_high - null.total_low < 0.01

    weak = ranked.loc["sanctions_drag"]
    assert weak.kind == "uncertainty"
    assert weak.total < top.total_low
    assert sens.describe().splitlines()[1].split()[0] == "russia_security"
    # an index whose interval is wide or leaves [0, 1] is flagged, and only such an index
    bounds = ranked[["first_low", "first_high", "total_low", "total_high"]]
    outside = (bounds.lt(-0.05) | bounds.gt(1.05)).any(axis=1)
    wide = (ranked.first_high - ranked.first_low > 0.3) | (
        ranked.total_high - ranked.total_low > 0.3
    )
    assert (ranked.flag.str.contains("outside") == outside).all()
    assert (ranked.flag.str.contains("wider") == wide).all()
    assert outside["russia_security"]  # its total index is about 1: its interval reaches past 1
    assert "flagged" in sens.describe()
    with pytest.raises(KeyError, match="no outcome 'nope'"):
        sens.ranked("nope")


def test_sensitivity_tables_have_a_row_per_outcome_and_parameter_and_per_point(
    sens, no_termez_closure
):
    d, n = len(SENS_PARAMETERS), SENS_N
    ix = sens.indices
    assert len(ix) == len(SENS_OUTCOMES) * d
    assert set(zip(ix.outcome, ix.parameter, strict=True)) == set(
        product(SENS_OUTCOMES, SENS_PARAMETERS)
    )
    assert sens.outcomes == SENS_OUTCOMES and sens.parameters == SENS_PARAMETERS
    assert (sens.n, sens.worlds, sens.seed) == (n, SENS_WORLDS, no_termez_closure.seed)

    s = sens.samples
    assert len(s) == n * (d + 2)
    labels = s.design.value_counts()
    assert labels["A"] == n and labels["B"] == n
    assert all(labels[f"AB[{p}]"] == n for p in SENS_PARAMETERS)
    factors = {u.name: u for u in no_termez_closure.uncertainties}
    for p in SENS_PARAMETERS:
        assert s[p].between(factors[p].low, factors[p].high).all(), p
    # the Saltelli design: AB[i] is A with column i taken from B
    a = s[s.design == "A"][SENS_PARAMETERS].to_numpy()
    b = s[s.design == "B"][SENS_PARAMETERS].to_numpy()
    for i, p in enumerate(SENS_PARAMETERS):
        ab = s[s.design == f"AB[{p}]"][SENS_PARAMETERS].to_numpy()
        expected = a.copy()
        expected[:, i] = b[:, i]
        np.testing.assert_array_equal(ab, expected)


def test_sensitivity_indices_are_the_saltelli_estimators_of_its_samples(sens):
    """Saltelli (2010), Table 2 (b) and (f), from the samples table, by the rows' labels."""
    s = sens.samples
    for outcome in SENS_OUTCOMES:
        f_a = s[s.design == "A"][outcome].to_numpy()
        f_b = s[s.design == "B"][outcome].to_numpy()
        mean = np.concatenate([f_a, f_b]).mean()
        f_a, f_b = f_a - mean, f_b - mean
        var = np.concatenate([f_a, f_b]).var()
        for p in SENS_PARAMETERS:
            f_ab = s[s.design == f"AB[{p}]"][outcome].to_numpy() - mean
            got = row(sens.indices, outcome=outcome, parameter=p)
            assert got["first"] == pytest.approx(np.mean(f_b * (f_ab - f_a)) / var, abs=1e-10)
            assert got.total == pytest.approx(0.5 * np.mean((f_a - f_ab) ** 2) / var, abs=1e-10)


def test_a_sensitivity_sample_point_is_the_mean_of_its_run(sens, no_termez_closure):
    s = sens.samples
    point = s[s.design == "B"].iloc[3]
    values = {p: float(point[p]) for p in SENS_PARAMETERS}
    # the design's points run with the assumptions fixed: each point sets its factors
    res = sim.run(no_termez_closure.with_values(**values), worlds=SENS_WORLDS, assumptions="fixed")
    assert res.seed == sens.seed
    for outcome, (power, state) in zip(SENS_OUTCOMES, [("RUS", "AFG"), ("USA", "AFG")],
                                       strict=True):  # fmt: skip
        assert point[outcome] == pytest.approx(final_cell(res, power, state).mean(), rel=1e-6)


# ---- 6. sensitivity input errors -----------------------------------------------------------
SMALL = {"method": "sobol", "n": 4, "worlds": 3, "months": 6, "workers": 1}


def test_sensitivity_refuses_bad_input_before_running(baseline):
    with pytest.raises(ValueError, match="'nope' is not an uncertainty"):
        sensitivity(baseline, ["sanctions_drag", "nope"], "russia_over_afghanistan", **SMALL)
    # a lever is a choice: never in the design of uncertainties
    with pytest.raises(ValueError, match="'russia_security' is a lever"):
        sensitivity(baseline, ["russia_security", "sanctions_drag"], "us_over_afghanistan",
                    **SMALL)  # fmt: skip
    for n in (6, 2, 12):
        with pytest.raises(ValueError, match="power of 2"):
            sensitivity(baseline, ["sanctions_drag"], "russia_over_afghanistan",
                        **(SMALL | {"n": n}))  # fmt: skip
    with pytest.raises(ValueError, match="declares no outcome 'nope'"):
        sensitivity(baseline, ["sanctions_drag"], "nope", **SMALL)
    bad = {"name": "x", "series": "influence", "select": {"power": "CHN", "state": "XXX"}}
    with pytest.raises(ScenarioError) as err:
        sensitivity(baseline, ["sanctions_drag"], bad, **SMALL)
    assert "XXX" in err.value.message
    with pytest.raises(ValueError, match="unknown method 'sobel'"):
        sensitivity(baseline, ["sanctions_drag"], method="sobel")


def test_sensitivity_takes_an_outcome_spec(baseline):
    spec = {"name": "china_over_tajikistan", "series": "influence",
            "select": {"power": "CHN", "state": "TJK"}}  # fmt: skip
    s = sensitivity(baseline, ["china_budget", "sanctions_drag"], spec, **SMALL)
    assert s.outcomes == ["china_over_tajikistan"]
    assert set(s.indices.outcome) == {"china_over_tajikistan"}
    assert len(s.indices) == 2 and len(s.samples) == 4 * (2 + 2)
    # the sample's outcome is the mean over worlds of that series' last month
    first = s.samples.iloc[0]
    values = {p: float(first[p]) for p in ("china_budget", "sanctions_drag")}
    res = sim.run(baseline.with_values(**values), worlds=3, months=6, assumptions="fixed")
    expected = final_cell(res, "CHN", "TJK").mean()
    assert first["china_over_tajikistan"] == pytest.approx(expected, rel=1e-6)


# ---- 7. determinism, inline and on a process pool ------------------------------------------
def test_sensitivity_is_reproducible_inline_and_on_a_process_pool(baseline):
    args = (baseline, ["extremist_growth", "sanctions_drag"], SENS_OUTCOMES)
    tiny = {"method": "sobol", "n": 4, "worlds": 5, "months": 12}
    inline = sensitivity(*args, **tiny, workers=1)
    again = sensitivity(*args, **tiny, workers=1)
    pool = sensitivity(*args, **tiny, workers=2)
    for other in (again, pool):
        pd.testing.assert_frame_equal(inline.indices, other.indices, check_exact=True)
        pd.testing.assert_frame_equal(inline.samples, other.samples, check_exact=True)
    # the interval columns are bootstrap intervals: not a copy of the estimates
    assert (inline.indices.total_high > inline.indices.total_low).any()
    # another design seed is another design
    other = sensitivity(*args, **tiny, workers=1, sample_seed=1)
    assert not np.array_equal(other.samples[args[1]].to_numpy(), inline.samples[args[1]].to_numpy())


# ---- 8. figures ----------------------------------------------------------------------------
def median_lines(ax):
    return [line for line in ax.lines if not line.get_label().startswith("_")]


def test_a_fan_chart_draws_a_median_and_two_bands_per_run(runs, tmp_path):
    fig = sim.fan_chart({"up": runs["up"], "down": runs["down"]}, "RUS", "AFG")
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    lines = median_lines(ax)
    assert [line.get_label() for line in lines] == ["up", "down"]
    fills = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(fills) == 4
    for line, key in zip(lines, ("up", "down"), strict=True):
        data = runs[key].series("influence", power="RUS", state="AFG").values.astype("float64")
        np.testing.assert_allclose(line.get_ydata(), np.median(data, axis=1), rtol=1e-9)
        assert len(line.get_xdata()) == MONTHS
    path = tmp_path / "fan.png"
    fig.savefig(path, dpi=60)
    assert path.stat().st_size > 1000 and path.read_bytes()[:4] == b"\x89PNG"

    # one run alone, drawn into axes given
    mine = Figure()
    left, right = mine.subplots(1, 2)
    assert sim.fan_chart(runs["base"], "USA", "AFG", ax=right) is mine
    assert not left.lines and len(median_lines(right)) == 1
    assert median_lines(right)[0].get_label() == "baseline"


def test_a_comparison_plot_draws_a_line_per_power_and_the_zero_line(runs):
    c = compare(runs["up"], runs["down"])
    fig = c.plot("AFG")
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    holders = {"RUS", "CHN", "USA", "TJK", "UZB", "TKM", "KAZ", "KGZ", "IRN", "PAK"}  # over AFG
    assert len(ax.lines) == len(holders) + 1
    assert len([x for x in ax.collections if isinstance(x, PolyCollection)]) == len(holders)
    by_label = {line.get_label(): line for line in ax.lines}
    assert holders <= set(by_label)
    rus = c.table[(c.table.state == "AFG") & (c.table.holder == "RUS")]
    np.testing.assert_allclose(by_label["RUS"].get_ydata(), rus.difference)
    assert by_label["IRN"].get_linestyle() == "--" and by_label["RUS"].get_linestyle() == "-"
    zero = [line for line in ax.lines if line.get_label() not in holders]
    assert len(zero) == 1 and set(np.asarray(zero[0].get_ydata(), float)) == {0.0}
    assert len(c.plot("TJK").axes[0].lines) == POWERS + 1  # no neighbour holds TJK

    mine = Figure()
    ax = mine.add_subplot()
    assert compare(runs["up"], runs["down"], state="AFG").plot(ax=ax) is mine
    assert len(ax.lines) == len(holders) + 1
    with pytest.raises(KeyError):
        compare(runs["up"], runs["down"], state="AFG").plot("TJK")


def test_a_policy_chart_draws_each_policy_with_its_interval(runs):
    table = policy_table({"base": runs["base"], "up": runs["up"], "down": runs["down"]}, "RUS",
                         "AFG", baseline="base")  # fmt: skip
    fig = sim.policy_chart(table)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    (bars,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    points = bars.lines[0]
    xdata = np.asarray(points.get_xdata(), dtype=float)
    np.testing.assert_allclose(xdata, table.difference.to_numpy()[::-1])
    assert [t.get_text() for t in ax.get_yticklabels()] == list(table.index[::-1])
    assert "minus" in ax.get_xlabel()

    mine = Figure()
    ax = mine.add_subplot()
    plain = policy_table([runs["base"], runs["up"]], "RUS", "AFG")
    assert sim.policy_chart(plain, ax=ax) is mine
    (bars,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    xdata = np.asarray(bars.lines[0].get_xdata(), dtype=float)
    np.testing.assert_allclose(xdata, plain["mean"].to_numpy()[::-1])


def test_a_sensitivity_plot_draws_both_indices_of_each_parameter(sens):
    fig = sens.plot()
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    containers = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert len(containers) == 2
    assert len(ax.patches) == 2 * len(SENS_PARAMETERS)
    ranked = sens.ranked()
    total = [bar.get_width() for bar in containers[0]]
    np.testing.assert_allclose(total, ranked.total.to_numpy()[::-1])
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == list(ranked.index[::-1]) and labels[-1] == "russia_security"

    mine = Figure()
    ax = mine.add_subplot()
    assert sens.plot("us_over_afghanistan", ax=ax) is mine
    assert len(ax.patches) == 2 * len(SENS_PARAMETERS)
    assert "us_over_afghanistan" in ax.get_title()


# ---- 9. run_batch on a Dask client ---------------------------------------------------------
def test_run_batch_on_a_dask_client_leaves_it_open_and_gives_the_inline_results(tmp_path):
    from distributed import Client, LocalCluster, get_task_stream

    file = tmp_path / "tiny.yaml"
    file.write_text(
        textwrap.dedent(f"""\
        extends: {BASELINE}
        name: tiny
        horizon_months: {MONTHS}
        worlds: 10
        """)
    )
    (tmp_path / "dask").mkdir()
    (tmp_path / "inline").mkdir()
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        with get_task_stream(client) as stream:
            report = sim.run_batch([file], tmp_path / "dask" / "batch", scheduler=client)
        assert report.ok, (report.failed_files, report.failed_blocks)
        assert client.status == "running"  # the caller's client is left open
        assert len(stream.data) > 0  # the blocks ran on the cluster
        assert client.submit(sum, [1, 2]).result() == 3  # and it still takes work
    inline = sim.run_batch([file], tmp_path / "inline" / "batch", workers=1)
    assert inline.ok
    a = sim.load_results(tmp_path / "dask" / "batch")
    b = sim.load_results(tmp_path / "inline" / "batch")
    pd.testing.assert_frame_equal(a.outcomes(), b.outcomes())
    assert len(a.outcomes()) == 10
    xr.testing.assert_identical(a.results("tiny").dataset, b.results("tiny").dataset)


def test_an_unguarded_script_runs_batches_and_sensitivity_on_a_pool(tmp_path):
    """A script file with no `if __name__ == "__main__"`: spawn would run its top level again in
    every worker; the pool hides it from them, so the batch and the sample run once each."""
    import subprocess
    import sys

    script = tmp_path / "analysis.py"
    script.write_text(
        "import sim\n"
        "print('top level ran')\n"
        "report = sim.run_batch(['baseline', 'us_reengagement'], 'two', worlds=20, workers=2)\n"
        "assert report.ok, (report.failed_files, report.failed_blocks)\n"
        "s = sim.sensitivity('baseline', ['us_investment_reach', 'sanctions_drag'],\n"
        "                    'us_over_afghanistan', method='sobol', n=4, worlds=3, months=12,\n"
        "                    workers=2)\n"
        "print('ranked', list(s.ranked().index))\n"
    )
    for how in ("file", "stdin"):
        folder = tmp_path / how
        folder.mkdir()
        done = subprocess.run(
            [sys.executable, str(script)] if how == "file" else [sys.executable, "-"],
            input=None if how == "file" else script.read_text(),
            cwd=folder, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        assert done.stdout.count("top level ran") == 1, done.stdout  # not again in the workers
        assert "ranked" in done.stdout and (folder / "two" / "index.csv").is_file()
