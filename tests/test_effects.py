"""Effects reported honestly (sim.analysis.effects): for every holder of influence (the powers over
every state, Iran and Pakistan over Afghanistan), the mean paired effect with its interval, its
spread across worlds, the share of worlds with a gain, the effect against the baseline's level,
and "negligible" judged against that level; in `sim compare`, the policy table and the words.

Runs are the baseline and US re-engagement (from July 2026) cut to 36 months, paired by seed."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from commands import sim as run_sim

import sim
from sim import compare, policy_table
from sim.analysis.effects import (
    NEGLIGIBLE_FLOOR,
    NEGLIGIBLE_SHARE,
    earned_decimals,
    label_effects,
    rounded,
    signed,
    spread_source,
)
from sim.errors import ResultError
from sim.results.dataset import Results

SEED = 5
WORLDS = 60
MONTHS = 36
HOST = "AFG"
NEIGHBOURS = ["TJK", "UZB", "TKM", "KAZ", "KGZ", "IRN", "PAK"]  # all hold influence over AFG


@pytest.fixture(scope="module")
def pair(short):
    """US re-engagement and the baseline, the same worlds (common random numbers: the same
    dice and, drawn by default, the same assumptions)."""
    policy = sim.load_scenario("us_reengagement").replace(horizon_months=MONTHS)
    return sim.run(policy, worlds=WORLDS, seed=SEED), sim.run(short, worlds=WORLDS, seed=SEED)


@pytest.fixture(scope="module")
def comparison(pair):
    return compare(*pair)


def per_world(res: Results, holder: str, state: str) -> np.ndarray:
    """The last month's influence of `holder` over `state` in every world, by hand: a power's
    from `influence`, a neighbour's from `host_influence`."""
    if holder in res.labels("power"):
        data = res.dataset["influence"].sel(power=holder, state=state)
    else:
        assert state == res.scenario.codes("host")[0]
        data = res.dataset["host_influence"].sel(holder=holder)
    return data.isel(month=-1).values.astype("float64")


# ---- every holder ----------------------------------------------------------------------------
def test_a_comparison_covers_the_neighbours_that_hold_influence_over_the_host(comparison):
    last = comparison.final()
    neighbours = last[last.holder_kind == "neighbour"]
    assert sorted(neighbours.holder) == sorted(NEIGHBOURS)
    assert set(neighbours.state) == {HOST}  # they hold influence over the host alone
    powers = last[last.holder_kind == "power"]
    assert set(powers.holder) == set(comparison.a.labels("power"))
    assert len(powers) == len(comparison.a.labels("power")) * len(comparison.a.labels("state"))
    assert list(comparison.effects(HOST).holder) == ["RUS", "CHN", "USA", *NEIGHBOURS]
    assert set(comparison.effects("TJK").holder) == {"RUS", "CHN", "USA"}
    only = compare(comparison.a, comparison.b, state=HOST).final()
    assert sorted(only[only.holder_kind == "neighbour"].holder) == sorted(NEIGHBOURS)


@pytest.mark.parametrize(("holder", "state"), [("IRN", HOST), ("PAK", HOST), ("USA", HOST),
                                               ("CHN", "TJK")])  # fmt: skip
def test_each_row_is_the_per_world_effect_computed_by_hand(comparison, pair, holder, state):
    a, b = (per_world(res, holder, state) for res in pair)
    diff = a - b
    got = comparison.final(state).set_index("holder").loc[holder]
    assert got.difference == pytest.approx(diff.mean(), rel=1e-9, abs=1e-12)
    assert got.mean_b == pytest.approx(b.mean(), rel=1e-12)
    # the spread across worlds: ordered, the median within, the quantiles of the differences
    assert got.diff_q05 <= got.diff_median <= got.diff_q95
    assert (got.diff_q05, got.diff_median, got.diff_q95) == pytest.approx(
        tuple(np.quantile(diff, [0.05, 0.5, 0.95])), rel=1e-9, abs=1e-12
    )
    # the share of gains: the worlds where a ends higher, counted by hand
    assert got.share_positive == np.count_nonzero(diff > 0) / WORLDS
    # relative to the baseline's level
    assert got.relative == pytest.approx(diff.mean() / b.mean(), rel=1e-9)


def test_the_spread_is_ordered_for_every_row_and_month(comparison):
    t = comparison.table
    assert ((t.diff_q05 <= t.diff_median) & (t.diff_median <= t.diff_q95)).all()
    assert t.share_positive.between(0, 1).all()
    assert t[t.month == 0].difference.eq(0).all()  # the same start in every world


def test_re_engagement_moves_us_and_neighbour_influence_over_the_host(comparison):
    effects = comparison.effects(HOST).set_index("holder")
    assert effects.effect["USA"] == "gain"
    # neighbours are judged like powers, against their own level
    assert set(effects.effect[NEIGHBOURS]) <= {"gain", "loss", "mixed", "negligible", "unclear"}
    assert (effects.negligible_below >= NEGLIGIBLE_FLOOR).all()
    np.testing.assert_allclose(
        effects.negligible_below,
        np.maximum(NEGLIGIBLE_SHARE * effects.mean_b, NEGLIGIBLE_FLOOR),
    )


# ---- the relative effect and the negligible rule --------------------------------------------
def effect_of(**columns) -> pd.Series:
    """label_effects of one row as paired_effects gives it; by default a sure effect of +0.004
    (+0.002 to +0.006 across worlds) at a level of 0.02."""
    row = {"difference": 0.004, "ci_low": 0.003, "ci_high": 0.005, "diff_q05": 0.002,
           "diff_median": 0.004, "diff_q95": 0.006, "mean_b": 0.02} | columns  # fmt: skip
    return label_effects(pd.DataFrame([row])).iloc[0]


def test_negligible_is_judged_against_the_level():
    small_level, large_level = effect_of(mean_b=0.02), effect_of(mean_b=0.6)
    assert small_level.effect == "gain"  # 20% of its level
    assert large_level.effect == "negligible"  # under 1% of its level
    assert large_level.negligible_below == pytest.approx(NEGLIGIBLE_SHARE * 0.6)
    # at a level near zero, the absolute floor decides
    tiny = effect_of(difference=0.0005, ci_low=0.0004, ci_high=0.0006, mean_b=0.001)
    assert tiny.negligible_below == NEGLIGIBLE_FLOOR and tiny.effect == "negligible"
    # a loss mirrors a gain
    loss = effect_of(difference=-0.004, ci_low=-0.005, ci_high=-0.003, diff_q05=-0.006,
                     diff_q95=-0.002)  # fmt: skip
    assert loss.effect == "loss"


def test_an_unsure_or_two_sided_effect_is_not_a_gain():
    # the interval covers zero and reaches past the negligible band
    assert effect_of(ci_low=-0.002, diff_q05=0.0).effect == "unclear"
    # a small mean that hides large effects both ways
    small = {"difference": 0.0001, "ci_low": -0.0002, "ci_high": 0.0004, "mean_b": 0.5}
    assert effect_of(**small, diff_q05=-0.03, diff_q95=0.03).effect == "mixed"
    # unsure of its sign, sure it is small
    assert effect_of(**small, diff_q05=-0.001, diff_q95=0.001).effect == "negligible"
    zero = dict.fromkeys(["difference", "ci_low", "ci_high", "diff_q05", "diff_q95"], 0.0)
    assert effect_of(**zero).effect == "none"


def test_a_tiny_effect_on_a_small_level_counts_and_on_a_large_one_does_not(pair):
    """The same +0.004 (with a little noise across worlds) added to run b's influence at two
    levels, 0.02 and 0.6: a gain at the first, negligible at the second; relative = d / level."""
    _, b = pair
    rng = np.random.default_rng(0)
    level = b.dataset["influence"].astype("float64") * 0 + 0.3
    level.loc[{"power": "USA", "state": "KGZ"}] = 0.02
    level.loc[{"power": "RUS", "state": "TJK"}] = 0.6
    bump = 0.004 + 0.0005 * rng.standard_normal(level.shape)
    base = Results(b.dataset.assign(influence=level), b.scenario)
    moved = Results(b.dataset.assign(influence=level + bump), b.scenario)
    effects = compare(moved, base).effects().set_index(["holder", "state"])
    small, large = effects.loc[("USA", "KGZ")], effects.loc[("RUS", "TJK")]
    assert small.ci_low > 0 and large.ci_low > 0  # both sure
    assert small.effect == "gain" and large.effect == "negligible"
    assert small.relative == pytest.approx(small.difference / 0.02, rel=1e-6)
    assert large.relative == pytest.approx(large.difference / 0.6, rel=1e-6)


def test_the_relative_effect_of_a_level_below_the_floor_is_not_given(comparison):
    t = comparison.table
    low = t.mean_b < NEGLIGIBLE_FLOOR
    assert t.relative[low].isna().all()
    high = t[~low & (t.month > 0)]
    np.testing.assert_allclose(high.relative, high.difference / high.mean_b, rtol=1e-12)


# ---- words ----------------------------------------------------------------------------------
def test_the_words_lead_with_the_share_of_worlds_and_say_where_the_spread_comes_from(comparison):
    text = comparison.describe(HOST)
    usa = comparison.effects(HOST).set_index("holder").loc["USA"]
    assert f"  USA gains influence: higher in {usa.share_positive:.0%} of worlds; +" in text
    for holder in NEIGHBOURS:
        assert re.search(rf"^  {holder} .*higher in \d+% of worlds", text, re.M), text
    assert "across worlds (5-95%)" in text
    assert "the declared assumptions (drawn per world) and the dice" in text  # drawn: the default
    assert "the dice alone" not in text
    # no more than three decimals on any effect or level
    assert not re.search(r"\d\.\d{4}", text), text


def test_drawn_assumptions_are_named_as_a_source_of_the_spread(pair):
    a, b = pair

    def marked(res: Results, mode: str) -> Results:
        return Results(res.dataset.assign_attrs(assumptions=mode), res.scenario)

    fixed = [marked(res, "fixed") for res in (a, b)]
    assert spread_source(*fixed) == "the dice alone (every world has the same assumptions)"
    assert "the declared assumptions (drawn per world) and the dice" == spread_source(a, b)
    assert "declared assumptions" in compare(a, b).describe()
    assert "the dice alone" in compare(*fixed).describe()
    with pytest.raises(ResultError, match="its assumptions are fixed, the other run's drawn"):
        compare(fixed[0], b)


def test_sim_compare_names_iran_and_pakistan_and_the_share_of_worlds(tmp_path):
    folders = {}
    for name in ("baseline", "us_reengagement"):
        folders[name] = tmp_path / name
        done = run_sim("run", name, "--worlds", 20, "--months", MONTHS, "--seed", 3,
                       "--out", folders[name])  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
    done = run_sim("compare", folders["us_reengagement"], folders["baseline"])
    assert done.returncode == 0, done.stderr[-2000:]
    expected = compare(folders["us_reengagement"], folders["baseline"]).effects(HOST)
    for row in expected.itertuples():
        line = f"  {row.holder} "
        (found,) = [x for x in done.stdout.splitlines() if x.startswith(line)]
        assert f"higher in {row.share_positive:.0%} of worlds" in found
        assert f"{signed(row.diff_q05)} to {signed(row.diff_q95)} across worlds" in found
    assert {"  IRN ", "  PAK "} <= {x[:6] for x in done.stdout.splitlines()}
    assert "the declared assumptions (drawn per world) and the dice" in done.stdout


# ---- policy tables --------------------------------------------------------------------------
def test_a_policy_table_reports_the_spread_and_share_of_gains_for_a_neighbour(pair):
    policy, base = pair
    table = policy_table({"baseline": base, "us": policy}, "IRN", baseline="baseline")
    assert table.attrs["holder"] == "IRN" and table.attrs["state"] == HOST
    a, b = per_world(policy, "IRN", HOST), per_world(base, "IRN", HOST)
    us = table.loc["us"]
    assert us["mean"] == pytest.approx(a.mean(), rel=1e-12)
    assert us.difference == pytest.approx((a - b).mean(), rel=1e-9, abs=1e-12)
    assert (us.diff_q05, us.diff_median, us.diff_q95) == pytest.approx(
        tuple(np.quantile(a - b, [0.05, 0.5, 0.95])), rel=1e-9, abs=1e-12
    )
    assert us.share_higher == np.count_nonzero(a > b) / WORLDS
    assert us.relative == pytest.approx((a - b).mean() / b.mean(), rel=1e-9)
    same = table.loc["baseline"]
    assert same.diff_q05 == same.diff_q95 == same.share_higher == same.relative == 0
    with pytest.raises(KeyError, match="'IRN' holds no recorded influence over 'TJK'"):
        policy_table([base, policy], "IRN", "TJK")


def test_a_number_gets_the_decimals_its_spread_earns():
    assert earned_decimals(12.3) == 0 and earned_decimals(0.0042) == 4  # two digits of the width
    assert earned_decimals(0.0, 0.123) == 3  # no spread: three significant digits of the value
    assert earned_decimals(0.0, 0.0) == 0
    assert rounded(-0.0004, 3, sign=True) == "0" and rounded(0.0123, 3, sign=True) == "+0.012"
