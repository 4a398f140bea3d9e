"""The EMA Workbench connector (sim.connectors.ema): the model declares the scenario's
uncertainties, levers and outcomes; EMA's experiments, run by its sequential and multiprocessing
evaluators, are our own fixed-mode runs with the sampled values written in; the same seed gives
the same numbers; a policy's lever moves its outcome; bad input and a missing EMA are clear
errors. Model tests: `make test` runs them again under Python 3.12, where EMA is 3.0."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.batch.runner import run
from sim.batch.sweeps import written_values
from sim.connectors import ema as connector
from sim.errors import MissingDependencyError, ScenarioError
from sim.results.outcomes import outcome_values
from sim.scenario.schema import Scenario

pytestmark = pytest.mark.model  # EMA 2.5 on Python 3.11, EMA 3.0 on Python 3.12

ROOT = Path(__file__).resolve().parent.parent
WORLDS, SEED, EXPERIMENTS = 3, 7, 8
EMA_COLUMNS = {"scenario", "policy", "model"}


@pytest.fixture(scope="module")
def ema():
    return connector.workbench()


@pytest.fixture(scope="module")
def small(baseline):
    return baseline.replace(horizon_months=12)


@pytest.fixture(scope="module")
def sequential(ema, small):
    """8 experiments of the small baseline through the sequential evaluator."""
    with ema.SequentialEvaluator(connector.model(small, worlds=WORLDS, seed=SEED)) as evaluator:
        return evaluator.perform_experiments(EXPERIMENTS)


def own_means(scenario: Scenario, values: dict[str, float], seed: int = SEED) -> dict:
    """Our own run of the scenario with the values written in (fixed mode): each outcome's
    mean over the worlds."""
    res = run(scenario.with_values(**values), worlds=WORLDS, seed=seed, assumptions="fixed")
    return outcome_values(res.dataset, scenario.outcomes).mean().to_dict()


def points(ema, experiments, names: list[str], rows) -> list:
    """EMA scenarios (2.5: Scenario; 3.0: Sample) holding the given rows' values."""
    kind = ema.Scenario if connector.major_version(ema) < 3 else ema.Sample
    return [kind(f"row{i}", **{n: float(experiments[n].iloc[i]) for n in names}) for i in rows]


def row_values(experiments, scenario: Scenario, i: int) -> dict[str, float]:
    factors = scenario.factors()
    return {k: float(v) for k, v in experiments.iloc[i].items() if k in factors}


# ---- the model -------------------------------------------------------------------------------


def test_model_declares_uncertainties_levers_outcomes_and_constants(ema, small):
    model = connector.model(small, worlds=WORLDS, seed=SEED)
    written = written_values(small)
    assert [u.name for u in model.uncertainties] == [u.name for u in small.uncertainties]
    assert [lv.name for lv in model.levers] == [lv.name for lv in small.levers]
    assert [o.name for o in model.outcomes] == [o.name for o in small.outcomes]
    assert all(isinstance(o, ema.ScalarOutcome) for o in model.outcomes)
    assert {c.name: c.value for c in model.constants} == {"worlds": WORLDS, "seed": SEED}
    q = np.array([0.01, 0.3, 0.5, 0.7, 0.99])
    for item in [*small.uncertainties, *small.levers]:
        parameter = (model.uncertainties if item.kind == "uncertainty" else model.levers)[item.name]
        assert (parameter.lower_bound, parameter.upper_bound) == (item.low, item.high), item.name
        assert parameter.default == written[item.name], item.name
        ours = item.sampling_distribution(written[item.name]).ppf(q)
        np.testing.assert_allclose(parameter.dist.ppf(q), ours, rtol=1e-12, err_msg=item.name)
    kinds = {u.distribution for u in small.uncertainties}
    assert {"triangular", "loguniform", "normal"} <= kinds  # the distributions checked above


def test_sequential_experiments_are_our_own_runs(small, sequential):
    experiments, outcomes = sequential
    names = [u.name for u in small.uncertainties]
    assert set(experiments.columns) - EMA_COLUMNS == set(names)  # no policy: no lever columns
    assert len(experiments) == EXPERIMENTS
    assert list(outcomes) == [o.name for o in small.outcomes]
    assert all(values.shape == (EXPERIMENTS,) for values in outcomes.values())
    for u in small.uncertainties:
        column = experiments[u.name].to_numpy()
        assert ((u.low <= column) & (column <= u.high)).all(), u.name
        # a Latin hypercube of our distribution: one value in each eighth of its probability
        cdf = u.sampling_distribution(written_values(small)[u.name]).cdf(column)
        assert sorted(np.floor(cdf * EXPERIMENTS).astype(int)) == list(range(EXPERIMENTS)), u.name
    for i in range(EXPERIMENTS):
        expected = own_means(small, row_values(experiments, small, i))
        for name, mean in expected.items():
            assert outcomes[name][i] == pytest.approx(mean, rel=1e-12, abs=1e-15), (i, name)
    assert all(np.ptp(values) > 0 for values in outcomes.values())  # the values matter


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded")  # EMA 3.0 forks its pool
def test_multiprocessing_per_world_outcomes_match_the_sequential_means(ema, small, sequential):
    """The same 8 experiments on two processes, every world's value kept: their mean is the
    sequential run's outcome (the worlds do not depend on the process that ran them)."""
    experiments, outcomes = sequential
    names = [u.name for u in small.uncertainties]
    model = connector.model(small, worlds=WORLDS, seed=SEED, shape="per_world")
    assert all(isinstance(o, ema.ArrayOutcome) for o in model.outcomes)
    with ema.MultiprocessingEvaluator(model, n_processes=2) as evaluator:
        found, per_world = evaluator.perform_experiments(
            points(ema, experiments, names, range(EXPERIMENTS))
        )
    assert set(found.columns) - EMA_COLUMNS == set(names)
    assert list(per_world) == list(outcomes)
    order = [int(name.removeprefix("row")) for name in found["scenario"].astype(str)]
    for name, values in per_world.items():
        assert values.shape == (EXPERIMENTS, WORLDS)
        np.testing.assert_allclose(values.mean(axis=1), outcomes[name][order], rtol=1e-12)
    assert any((np.ptp(values, axis=1) > 0).all() for values in per_world.values())  # the dice


def test_same_seed_same_outcomes_another_seed_others(ema, small, sequential):
    experiments, outcomes = sequential
    names = [u.name for u in small.uncertainties]
    twice = points(ema, experiments, names, [0, 0])
    _, again = ema.perform_experiments(connector.model(small, worlds=WORLDS, seed=SEED), twice)
    _, other = ema.perform_experiments(connector.model(small, worlds=WORLDS, seed=SEED + 1), twice)
    for name in outcomes:
        assert again[name][0] == again[name][1] == outcomes[name][0], name
    assert any(other[name][0] != outcomes[name][0] for name in outcomes)


def test_a_policy_moves_the_outcome_of_its_lever(ema, small, sequential):
    """China's economic engagement with Afghanistan raises Chinese influence there (checked on
    our own runs first); a policy setting it does the same through EMA, scenario by scenario."""
    lever, outcome = small.lever("china_economic"), "china_over_afghanistan"
    low = own_means(small, {lever.name: lever.low})
    high = own_means(small, {lever.name: lever.high})
    assert high[outcome] - low[outcome] > 0.05  # the premise, in our own runs
    experiments, _ = sequential
    names = [u.name for u in small.uncertainties]
    policies = [connector.policy("low", china_economic=lever.low),
                connector.policy("high", china_economic=lever.high)]  # fmt: skip
    found, outcomes = ema.perform_experiments(
        connector.model(small, worlds=WORLDS, seed=SEED), points(ema, experiments, names, [0, 1]),
        policies,
    )  # fmt: skip
    assert set(found.columns) - EMA_COLUMNS == {*names, lever.name}
    pairs = zip(found.scenario.astype(str), found.policy.astype(str), strict=True)
    by = {pair: i for i, pair in enumerate(pairs)}
    for row in ("row0", "row1"):
        gain = outcomes[outcome][by[row, "high"]] - outcomes[outcome][by[row, "low"]]
        assert gain > 0.05, row
    i = by["row1", "high"]
    expected = own_means(small, row_values(found, small, i))
    assert found[lever.name].iloc[i] == lever.high
    assert outcomes[outcome][i] == pytest.approx(expected[outcome], rel=1e-12)


def test_uniform_choice_and_zero_width_uncertainties(ema, small):
    """A uniform uncertainty is a plain RealParameter; a choice, a CategoricalParameter of its
    values; one of no width, a constant at its value (EMA cannot sample an empty range)."""
    data = small.model_dump(mode="json")
    by_name = {u["name"]: u for u in data["uncertainties"]}
    by_name["influence_inertia"].update(distribution="choice", values=[0.1, 0.15, 0.25])
    by_name["export_dependence"].update(distribution="uniform")
    by_name["rest_dependence"].update(low=0.5, high=0.5)  # its written value
    scenario = Scenario.model_validate(data)
    model = connector.model(scenario, worlds=WORLDS, seed=SEED)
    choice = model.uncertainties["influence_inertia"]
    assert isinstance(choice, ema.CategoricalParameter)
    assert [c.value for c in choice.categories] == [0.1, 0.15, 0.25]
    uniform = model.uncertainties["export_dependence"]
    assert uniform.dist.dist.name == "uniform"
    assert (uniform.lower_bound, uniform.upper_bound) == (0.25, 0.75)
    assert "rest_dependence" not in [u.name for u in model.uncertainties]
    assert {c.name: c.value for c in model.constants}["rest_dependence"] == 0.5
    experiments, outcomes = ema.perform_experiments(model, 3)
    assert set(experiments["influence_inertia"].astype(float)) <= {0.1, 0.15, 0.25}
    expected = own_means(scenario, {**row_values(experiments, scenario, 2), "rest_dependence": 0.5})
    assert outcomes["russia_over_afghanistan"][2] == pytest.approx(
        expected["russia_over_afghanistan"], rel=1e-12
    )


def test_directions_set_the_kind_of_scalar_outcomes(ema, small):
    model = connector.model(
        small, worlds=WORLDS, directions={"russia_over_afghanistan": "minimize",
                                          "china_over_afghanistan": "maximize"},
    )  # fmt: skip
    kinds = {o.name: o.kind for o in model.outcomes}
    assert kinds["russia_over_afghanistan"] == ema.ScalarOutcome.MINIMIZE
    assert kinds["china_over_afghanistan"] == ema.ScalarOutcome.MAXIMIZE
    assert kinds["extremist_peak"] == ema.ScalarOutcome.INFO


def test_a_model_of_each_shape_in_one_process(ema, small):
    """EMA registers one outcome class per name in a process: the connector lets a per-world
    model follow a scalar one with the same outcome names, and the other way round."""
    for shape, kind in [("mean", ema.ScalarOutcome), ("per_world", ema.ArrayOutcome)] * 2:
        model = connector.model(small, worlds=WORLDS, shape=shape)
        assert all(isinstance(o, kind) for o in model.outcomes)


def test_the_model_and_its_function_pickle(small):
    import pickle

    model = connector.model(small, worlds=WORLDS, seed=SEED)
    copy = pickle.loads(pickle.dumps(model))
    assert isinstance(copy.function, connector.Experiment)
    assert copy.function.scenario == small
    values = written_values(small)
    assert copy.function(worlds=WORLDS, seed=SEED, **values) == pytest.approx(
        own_means(small, values), rel=1e-12
    )


# ---- bad input -------------------------------------------------------------------------------


def renamed(scenario: Scenario, kind: str, old: str, new: str) -> Scenario:
    data = scenario.model_dump(mode="json")
    for item in data[kind]:
        if item["name"] == old:
            item["name"] = new
    return Scenario.model_validate(data)


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"shape": "scalar"}, "shape", "allowed: mean, per_world"),
        ({"worlds": 0}, "worlds", "at least 1"),
        ({"worlds": 2.5}, "worlds", "whole number"),
        ({"seed": -1}, "seed", "outside the allowed range"),
        ({"months": 0}, "months", "greater than or equal to 1"),
        ({"name": "my model"}, "name", "letters and digits"),
        ({"directions": {"nothing": "maximize"}}, "directions.nothing", "not a declared outcome"),
        ({"directions": {"extremist_peak": "up"}}, "directions.extremist_peak",
         "allowed: maximize, minimize"),
        ({"directions": {"extremist_peak": "minimize"}, "shape": "per_world"},
         "directions.extremist_peak", "scalar outcomes"),
    ],
)  # fmt: skip
def test_bad_arguments_name_the_field_and_what_is_allowed(small, change, field, says):
    with pytest.raises(ScenarioError) as caught:
        connector.model(small, **{"worlds": WORLDS, **change})
    assert caught.value.field == field
    assert says in caught.value.message


def test_bad_scenarios_name_the_field(small):
    cases = [
        (small.replace(outcomes=[]), "outcomes", "declares no outcomes"),
        (renamed(small, "uncertainties", "influence_inertia", "seed"), "uncertainties.seed",
         "constant of this name"),
        (renamed(small, "levers", "us_aid", "policy"), "levers.policy", "column of this name"),
        (renamed(small, "levers", "us_aid", "function"), "levers.function",
         "attribute of its Model"),
    ]  # fmt: skip
    for scenario, field, says in cases:
        with pytest.raises(ScenarioError) as caught:
            connector.model(scenario, worlds=WORLDS)
        assert (caught.value.field, says in caught.value.message) == (field, True)


def test_the_experiment_refuses_a_name_it_does_not_know(small):
    with pytest.raises(ScenarioError, match="not a lever, uncertainty or constant"):
        connector.Experiment(small)(worlds=WORLDS, seed=SEED, nothing=1.0)


def test_missing_ema_workbench_is_a_missing_dependency_error(small, monkeypatch):
    monkeypatch.setitem(sys.modules, "ema_workbench", None)  # `import ema_workbench` fails
    with pytest.raises(MissingDependencyError) as caught:
        connector.model(small, worlds=WORLDS)
    assert caught.value.extra == "ema"
    assert "pip install 'regional-influence-sim[ema]'" in str(caught.value)
    with pytest.raises(MissingDependencyError):
        connector.policy("p", us_aid=1.0)


def test_sim_and_its_command_line_do_not_import_ema_workbench():
    code = "import sys, sim, sim.cli, sim.connectors, sim.connectors.ema; "
    code += "print('ema_workbench' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "sim", "--help"], capture_output=True,
        text=True, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    imported = re.findall(r"\|\s+([\w.]+)\s*$", done.stderr, re.MULTILINE)
    assert "sim.cli" in imported and "ema_workbench" not in imported


# ---- the documentation -----------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # inside EMA 2.5's PRIM (pandas 3)
def test_docs_example_runs(ema, monkeypatch, capsys):
    """docs/ema.md's first example, with fewer worlds, months and experiments; EMA 3.0's PRIM
    takes no threshold."""
    text = (ROOT / "docs" / "ema.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    for number, block in enumerate(blocks):
        compile(block, f"ema.md[python block {number}]", "exec")
    body = blocks[0]
    smaller = {
        'model("baseline", worlds=20)': 'model("baseline", worlds=3, months=12)',
        "perform_experiments(baseline, 64)": "perform_experiments(baseline, 16)",
    }
    for written, small in smaller.items():
        assert written in body
        body = body.replace(written, small)
    if connector.major_version(ema) >= 3:
        assert ", threshold=0.8" in body
        body = body.replace(", threshold=0.8", "")
    exec(compile(body, "ema.md[python block 0]", "exec"), {})
    assert "coverage" in capsys.readouterr().out  # box.inspect() printed the box
