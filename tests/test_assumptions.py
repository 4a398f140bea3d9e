"""Assumptions drawn per world: every world draws each declared uncertainty once, keyed by
(seed, world, name); a drawn run equals each of its worlds run alone with its draws written in;
draws do not depend on the block, the run's size or the scenario; the distributions have the
shapes they claim; fixed mode is the scenario as written."""

from __future__ import annotations

import json

import numpy as np
import pytest
from commands import sim
from scipy import stats

import sim as api
from sim.core import rng
from sim.core.assumptions import DRAWN, FIXED, NOT_DRAWN, draw, drawn_paths, matches, with_draws
from sim.errors import ScenarioError
from sim.model import RegionalInfluenceModel
from sim.scenario.loading import load_scenario
from sim.scenario.paths import get_path, item_key, set_path
from sim.scenario.schema import Scenario, Shares, Uncertainty

pytestmark = pytest.mark.model  # the engine's arithmetic: run again on Python 3.12, mesa 3.5

SEED = 11


def with_values_written(scenario: Scenario, values: dict[str, float]) -> Scenario:
    """The scenario with each drawn column's value written at its path, validated again."""
    data = scenario.model_dump(mode="json")
    for column, path in drawn_paths(scenario).items():
        set_path(data, path, float(values[column]))
    return Scenario.model_validate(data)


def assert_each_world_runs_alone(scenario: Scenario, first: int, count: int) -> dict:
    """A drawn run of worlds first..first+count-1 equals, series by series, each of its worlds
    run alone in fixed mode with its drawn values written into the scenario; returns the
    drawn run's record."""
    model = RegionalInfluenceModel(scenario, count, seed=SEED, first_world=first, assumptions=DRAWN)
    model.run()
    for i in range(count):
        values = {k: v[0] for k, v in draw(scenario, SEED, [first + i]).items()}
        alone = RegionalInfluenceModel(
            with_values_written(scenario, values), 1, seed=SEED, first_world=first + i,
            assumptions=FIXED,
        )  # fmt: skip
        alone.run()
        for name, series in model.recorded.items():
            np.testing.assert_allclose(
                series[:, i], alone.recorded[name][:, 0], rtol=1e-12, atol=1e-15,
                err_msg=f"{name}, world {first + i}",
            )  # fmt: skip
    return model.recorded


@pytest.mark.parametrize("levers", [{}, {"us_sanctions": 0.5}])
def test_a_drawn_world_is_the_world_run_alone_with_its_draws_written_in(short, levers):
    """The vectorised pass over drawn parameters is exact: world by world, every recorded
    series equals a fixed-mode run of that one world with its drawn values written into the
    scenario (levers moved included: the start balance follows each world's own values)."""
    scenario = short.replace(horizon_months=18).with_levers(**levers)
    # 7 worlds: no axis of the model has 7 entries, so a mix-up shows
    recorded = assert_each_world_runs_alone(scenario, first=3, count=7)
    spread = np.ptp(recorded["influence"][-1], axis=0).max()
    assert spread > 1e-3, "the drawn worlds should differ"


def numbers(node, path=""):
    """(path, value) of every number of scenario data: Quantities by their path, plain numbers
    inside list items (a flow's trend)."""
    if isinstance(node, dict):
        if "value" in node and "unit" in node:
            yield path, node["value"]
            return
        for key, value in node.items():
            yield from numbers(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, dict) and item_key(item):
                yield from numbers(item, f"{path}.{item_key(item)}")
    elif isinstance(node, int | float) and not isinstance(node, bool) and path.count(".") >= 2:
        yield path, node


def test_every_number_a_world_may_draw_is_drawn_exactly(short):
    """Every number of the baseline outside NOT_DRAWN (levers, drawn uncertainties and the
    influence weights, which must keep their sum, aside) made an uncertainty 2% wide: the drawn
    run still equals each world alone with its values written in. So no parameter is read
    where a drawn world would see another world's value, or the written one."""
    data = short.replace(horizon_months=18).model_dump(mode="json")
    taken = {x["path"] for x in data["levers"] + data["uncertainties"]}
    weights = {f"influence.{k}" for k in ("trade", "security", "economic", "diplomatic")}
    model_data = {k: v for k, v in data.items() if k not in ("levers", "uncertainties", "events")}
    found = [
        (path, value)
        for path, value in numbers(model_data)
        if path not in taken | weights | {"influence.leverage"}
        and not any(matches(path, pattern) for pattern in NOT_DRAWN)
    ]
    assert len(found) > 400
    data["uncertainties"] += [
        {"name": f"n{i}", "path": path, "low": value * (0.98 if value > 0 else 1.02),
         "high": value, "source": "assumption: a test"}
        for i, (path, value) in enumerate(found)
    ]  # fmt: skip
    scenario = Scenario.model_validate(data)
    assert_each_world_runs_alone(scenario, first=2, count=5)


def test_a_number_no_world_may_draw_is_refused_before_a_drawn_run(tmp_path):
    overlay = tmp_path / "aid.yaml"
    overlay.write_text(
        "extends: baseline\nname: aid\nuncertainties:\n  - {name: afghan_aid, path: "
        "relations.USA-AFG.aid, low: 30, high: 90, source: 'assumption: a test'}\n"
    )
    done = sim("run", overlay, "--assumptions", "drawn", "--out", tmp_path / "out",
               "--worlds", "3", "--months", "2")  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "relations.USA-AFG.aid cannot be drawn per world" in done.stderr
    assert "--assumptions fixed" in done.stderr and not (tmp_path / "out").exists()
    done = sim("run", overlay, "--assumptions", "fixed", "--out", tmp_path / "out",
               "--worlds", "3", "--months", "2", "--no-progress")  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_a_world_draws_the_same_whatever_the_run_and_block(baseline):
    small = api.run(baseline, worlds=100, months=2, seed=SEED, assumptions=DRAWN)
    large = api.run(baseline, worlds=3000, months=2, seed=SEED, block_size=700, assumptions=DRAWN)
    a, b = small.experiments(), large.experiments()
    columns = list(drawn_paths(baseline))
    assert len(b) == 3000 and list(a.columns[1 : 1 + len(columns)]) == columns
    np.testing.assert_array_equal(a[columns].to_numpy(), b[columns].to_numpy()[:100])
    assert (b[columns].nunique() > 2900).all(), "each world draws its own values"


def test_scenarios_that_declare_an_uncertainty_draw_it_alike(baseline):
    other = load_scenario("us_reengagement")
    shared = set(drawn_paths(baseline)) & set(drawn_paths(other))
    assert shared
    worlds = np.arange(50)
    ours, theirs = draw(baseline, SEED, worlds), draw(other, SEED, worlds)
    for name in shared:
        np.testing.assert_array_equal(ours[name], theirs[name])
    other_seed = draw(baseline, SEED + 1, worlds)
    assert not np.array_equal(ours[sorted(shared)[0]], other_seed[sorted(shared)[0]])


def test_fixed_mode_takes_every_value_as_written(baseline):
    res = api.run(baseline, worlds=5, months=2, seed=SEED, assumptions=FIXED)
    table = res.experiments()
    data = baseline.model_dump(mode="json")
    for column, path in drawn_paths(baseline).items():
        assert (table[column] == float(get_path(data, path))).all(), column
    assert res.assumptions == FIXED


def test_experiments_hold_a_row_per_world_with_assumptions_and_outcomes(baseline):
    res = api.run(baseline, worlds=30, months=3, seed=SEED, assumptions=DRAWN)
    table = res.experiments()
    assert list(table["world"]) == list(range(30))
    expected = ["world", *drawn_paths(baseline), *(o.name for o in baseline.outcomes)]
    assert list(table.columns) == expected
    assert res.assumptions == DRAWN


def uncertainty(**fields) -> Uncertainty:
    return Uncertainty(name="x", path="a.b", source="assumption: a test", **fields)


def test_each_distribution_has_its_shape():
    u = (np.arange(20000) + 0.5) / 20000  # evenly spread quantiles: the exact shape
    tri = uncertainty(low=0.0, high=1.0, distribution="triangular").from_unit(u, 0.2)
    assert abs(tri.mean() - 0.4) < 1e-3 and abs(np.median(tri) - (1 - np.sqrt(0.4))) < 2e-3
    log = uncertainty(low=0.01, high=1.0, distribution="loguniform").from_unit(u, 0.1)
    assert abs(np.median(log) - 0.1) < 1e-3, "the median of a log-uniform is the geometric mean"
    normal = uncertainty(low=0.0, high=1.0, distribution="normal", sd=0.1).from_unit(u, 0.3)
    assert normal.min() >= 0.0 and normal.max() <= 1.0
    assert abs(np.median(normal) - 0.3) < 1e-3 and abs(normal.std() - 0.1) < 0.01
    choice = uncertainty(distribution="choice", values=[1, 2, 5]).from_unit(u, 2)
    assert choice.min() == 1 and choice.max() == 5
    assert np.allclose([np.mean(choice == v) for v in (1, 2, 5)], 1 / 3, atol=1e-3)


def test_shares_keep_their_sum_and_centre_on_the_written_shares(baseline):
    shares = Shares(name="w", paths=[f"influence.{k}" for k in ("trade", "security", "economic",
                    "diplomatic")], concentration=40, source="assumption: a test")  # fmt: skip
    data = baseline.model_dump(mode="json")
    data["shares"] = [shares.model_dump()]
    data["influence"]["leverage"]["value"] = 0.0
    data["influence"]["trade"]["value"] += baseline.influence.leverage.value
    scenario = Scenario.model_validate(data)
    values = draw(scenario, SEED, np.arange(4000))
    parts = np.stack([values[p] for p in shares.parts], axis=1)
    written = np.array([data["influence"][k]["value"] for k in ("trade", "security",
                        "economic", "diplomatic")])  # fmt: skip
    np.testing.assert_allclose(parts.sum(axis=1), written.sum(), rtol=1e-12)
    np.testing.assert_allclose(parts.mean(axis=0), written, atol=0.01)
    beta_sd = np.sqrt(written * (1 - written) / 41)  # a Dirichlet's marginal is a beta
    np.testing.assert_allclose(parts.std(axis=0), beta_sd, rtol=0.1)
    assert (
        stats.kstest(parts[:, 0], stats.beta(40 * written[0], 40 * (1 - written[0])).cdf)[1] > 0.001
    )


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"low": 0, "high": 1, "distribution": "normal"}, "distribution normal needs `sd`"),
        ({"low": 0, "high": 1, "sd": 0.1}, "`sd` is only for distribution: normal"),
        ({"low": 0, "high": 1, "distribution": "loguniform"}, "must lie above 0"),
        ({"low": 0, "high": 1, "distribution": "choice", "values": [0.5, 2]}, "within [0.0, 1.0]"),
    ],
)
def test_a_distribution_without_what_it_needs_is_refused(fields, says):
    with pytest.raises(ValueError, match=says.replace("[", r"\[").replace("]", r"\]")):
        uncertainty(**fields)


def test_a_number_both_lever_and_uncertainty_is_refused(baseline):
    data = baseline.model_dump(mode="json")
    lever = data["levers"][0]
    data["uncertainties"].append({**data["uncertainties"][0], "name": "clash",
                                  "path": lever["path"], "low": lever["low"],
                                  "high": lever["high"]})  # fmt: skip
    from sim.scenario.references import check_references

    with pytest.raises(ScenarioError, match=f"is both the lever {lever['name']}"):
        check_references(Scenario.model_validate(data))


def test_the_command_line_records_the_mode(tmp_path):
    done = sim("run", "baseline", "--worlds", "4", "--months", "2", "--out", tmp_path / "f",
               "--assumptions", "fixed", "--no-progress")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "the spread is the shocks' alone" in done.stdout
    assert json.loads((tmp_path / "f" / "manifest.json").read_text())["assumptions"] == FIXED
    done = sim("run", "baseline", "--assumptions", "guessed", "--out", tmp_path / "g")
    assert done.returncode == 2 and "invalid choice: 'guessed'" in done.stderr
    assert not (tmp_path / "g").exists()


def test_drawn_bands_carry_the_assumptions(baseline):
    """The 5-95% band of Russian influence over Afghanistan in 2030 (the year's mean in each
    world) is at least 1.5 times as wide with the assumptions drawn as with them fixed: same
    seed, same worlds, so the same dice."""
    to_2030 = baseline.replace(horizon_months=baseline.month_index("2030-12") + 1)
    widths = {}
    for mode in (DRAWN, FIXED):
        res = api.run(to_2030, worlds=300, seed=SEED, assumptions=mode)
        year = res.dataset["influence"].sel(power="RUS", state="AFG").isel(month=slice(-12, None))
        q05, q95 = np.percentile(year.mean("month").values, [5, 95])
        widths[mode] = q95 - q05
    assert widths[DRAWN] >= 1.5 * widths[FIXED], widths


def test_each_uncertainty_is_drawn_from_its_own_distribution_at_its_own_uniform(baseline):
    """Draws of one distribution are taken together, their parameters as arrays: each column
    still equals its uncertainty's quantile at its own uniform, to the last bit, for every
    kind of distribution (a choice and a range of no width included)."""
    data = baseline.model_dump(mode="json")
    extra = [
        {"distribution": "normal", "sd": 0.05},
        {"distribution": "choice", "values": [0.2, 0.3]},
        {"distribution": "uniform"},
    ]
    for item, fields in zip(data["uncertainties"][-3:], extra, strict=True):
        item.update({"low": 0.2, "high": 0.3, **fields}, distribution=fields["distribution"])
    data["uncertainties"][0]["high"] = data["uncertainties"][0]["low"]  # no width
    scenario = Scenario.model_validate(data)
    kinds = {item.distribution for item in scenario.uncertainties}
    assert kinds == {"uniform", "triangular", "normal", "loguniform", "choice"}
    worlds = np.arange(500, dtype=np.uint64)
    drawn = draw(scenario, SEED, worlds)
    written = scenario.model_dump(mode="json")
    for item in scenario.uncertainties:
        u = rng.uniform(SEED, worlds, 0, rng.Stream.ASSUMPTIONS, rng.label_keys([item.name]))
        alone = item.from_unit(u[:, 0], float(get_path(written, item.path)))
        np.testing.assert_array_equal(drawn[item.name], alone, err_msg=item.name)


def test_drawing_leaves_the_scenario_as_it_was(baseline):
    """A block's draws go into a copy; the scenario itself, and every part it shares with the
    copy, keep their written values."""
    before = baseline.model_dump(mode="json")
    draws = draw(baseline, SEED, np.arange(4, dtype=np.uint64))
    copy = with_draws(baseline, draws)
    assert baseline.model_dump(mode="json") == before
    for column, path in drawn_paths(baseline).items():
        node = copy
        for segment in path.split("."):
            node = (
                next(i for i in node if item_key(i.__dict__) == segment)
                if isinstance(node, list)
                else getattr(node, segment)
            )
        value = getattr(node, "value", node)
        np.testing.assert_array_equal(value, draws[column], err_msg=path)
