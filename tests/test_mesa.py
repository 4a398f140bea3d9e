"""The model as an ordinary Mesa model: agents by type, DataCollector, horizon, batch_run.

With worlds=1 the model takes plain keyword parameters (levers) and a seed, which is how
`mesa.batch_run` drives it. mesa 3.3 passes no seed (we put `rng` among the parameters);
mesa 3.5 passes its `rng=` values itself. Both must give the same worlds as the runner.
"""

from __future__ import annotations

import inspect

import mesa
import numpy as np
import pytest

from agents import Host, Neighbor, Power, ThreatNetwork
from sim.batch import runner
from sim.core.assumptions import drawn_paths
from sim.core.params import compile_scenario
from sim.model import RegionalInfluenceModel

pytestmark = pytest.mark.model

SEED = 4242
HORIZON = 6


@pytest.fixture(scope="module")
def small(short):
    """The baseline's first months, with the events (and levers) that fall inside them."""
    return short.first_months(HORIZON)


def batch(parameters: dict, seeds: list[int], max_steps: int) -> list[dict]:
    """mesa.batch_run with one run per seed and parameter combination, in this process."""
    options = {"number_processes": 1, "max_steps": max_steps, "display_progress": False}
    if "rng" in inspect.signature(mesa.batch_run).parameters:  # mesa >= 3.4
        return mesa.batch_run(RegionalInfluenceModel, parameters, rng=seeds, **options)
    return mesa.batch_run(RegionalInfluenceModel, {**parameters, "rng": seeds}, **options)


def codes_of(model, cls) -> set[str]:
    return {agent.code for agent in model.agents_by_type[cls]}


# ---- construction ------------------------------------------------------------------------
def test_the_model_builds_under_the_installed_mesa(small):
    """mesa >= 3.5 gives Model a `scenario` property whose setter writes `scenario.model`;
    the model must build whatever its own scenario object allows."""
    model = RegionalInfluenceModel(small, worlds=2, seed=SEED)
    assert model.params.scenario == small
    assert model.worlds == 2 and model.seed == SEED and model.month == 0
    assert model.running


# ---- agents ------------------------------------------------------------------------------
def test_agents_by_type_hold_every_actor_with_its_code(small):
    model = RegionalInfluenceModel(small, worlds=1, seed=SEED)
    assert codes_of(model, Power) == set(small.codes("power")) == {"RUS", "CHN", "USA"}
    assert codes_of(model, Host) == set(small.codes("host")) == {"AFG"}
    assert codes_of(model, Neighbor) == set(small.codes("neighbor"))
    assert {"TJK", "UZB", "TKM", "KAZ", "KGZ", "IRN", "PAK"} <= codes_of(model, Neighbor)
    assert codes_of(model, ThreatNetwork) == {"extremist", "trafficking"}
    assert len(model.agents) == len(small.actors) + 2


def test_agents_view_their_own_slice_of_the_state(small):
    model = RegionalInfluenceModel(small, worlds=3, seed=SEED)
    model.step()
    codes = model.params.codes
    for agent in model.agents_by_type[Power]:
        assert agent.influence.shape == (3, len(model.params.states))
        np.testing.assert_array_equal(
            agent.influence, model.state.influence[:, model.params.power_index(agent.code)]
        )
    for agent in [*model.agents_by_type[Neighbor], *model.agents_by_type[Host]]:
        np.testing.assert_array_equal(
            agent.threat_perception, model.state.threat[:, codes.index(agent.code)]
        )
    for network in model.agents_by_type[ThreatNetwork]:
        assert network.strength.shape == (3,)


# ---- stepping, horizon, DataCollector ----------------------------------------------------
def test_the_model_stops_at_its_horizon(small):
    model = RegionalInfluenceModel(small, worlds=1, seed=SEED)
    assert model.running
    steps = 0
    while model.running:
        model.step()
        steps += 1
        assert steps <= HORIZON
    assert steps == HORIZON and model.month == HORIZON
    assert model.running is False
    last = model.state
    model.step()  # a step past the horizon changes nothing
    assert model.month == HORIZON and model.state is last and model.running is False


def test_the_datacollector_collects_one_row_per_step(small):
    model = RegionalInfluenceModel(small, worlds=1, seed=SEED)
    for month in range(1, 4):
        model.step()
        assert len(model.datacollector.get_model_vars_dataframe()) == month
    model.run()
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == HORIZON
    for column in ("influence_RUS_AFG", "influence_CHN_TJK", "threat_TJK", "extremist"):
        assert column in frame.columns
    p = model.params
    rus, afg = p.power_index("RUS"), p.state_index("AFG")
    assert frame["influence_RUS_AFG"].iloc[-1] == pytest.approx(
        float(model.state.influence[0, rus, afg])
    )
    assert frame["threat_TJK"].iloc[-1] == pytest.approx(
        float(model.state.threat[0, p.index("TJK")])
    )


def test_collected_series_match_the_recorder(small):
    model = RegionalInfluenceModel(small, worlds=1, seed=SEED)
    model.run()
    frame = model.datacollector.get_model_vars_dataframe()
    p = model.params
    recorded = model.recorder.arrays["influence"][:, 0, p.power_index("USA"), p.state_index("PAK")]
    np.testing.assert_allclose(frame["influence_USA_PAK"].to_numpy(), recorded, rtol=1e-6)


def test_an_ensemble_does_not_fill_the_datacollector_unless_asked(small):
    quiet = RegionalInfluenceModel(small, worlds=4, seed=SEED)
    quiet.run()
    assert len(quiet.datacollector.get_model_vars_dataframe()) == 0
    loud = RegionalInfluenceModel(small, worlds=4, seed=SEED, collect=True)
    loud.run()
    assert len(loud.datacollector.get_model_vars_dataframe()) == HORIZON


def test_levers_as_keyword_arguments_change_the_scenario(small):
    model = RegionalInfluenceModel(small, worlds=1, seed=SEED, us_sanctions=0.25)
    assert model.params.scenario.lever_values()["us_sanctions"] == 0.25
    assert model.params.power.initial_sanctions[model.params.power_index("USA")] == 0.25


def test_a_seed_passed_as_rng_seeds_the_worlds(small):
    by_rng = RegionalInfluenceModel(small, worlds=1, rng=SEED)
    by_seed = RegionalInfluenceModel(small, worlds=1, seed=SEED)
    assert by_rng.seed == by_seed.seed == SEED
    by_rng.run()
    by_seed.run()
    np.testing.assert_array_equal(by_rng.recorder.arrays["trade"], by_seed.recorder.arrays["trade"])


def test_stepping_the_model_equals_the_runner(small):
    model = RegionalInfluenceModel(small, worlds=1, seed=SEED)
    model.run()
    block = runner.run_block(small, SEED, first=0, count=1)
    for name, values in block.items():
        np.testing.assert_array_equal(model.recorder.arrays[name], values, err_msg=name)


# ---- batch_run ---------------------------------------------------------------------------
def test_batch_run_sweeps_a_lever_over_seeds(small):
    seeds = [SEED, SEED + 1]
    results = batch({"scenario": [small], "china_economic": [0.0, 1.0]}, seeds, max_steps=50)
    assert len(results) == 2 * len(seeds)  # one row per run: collected at its last step
    for row in results:
        assert {"RunId", "Step", "china_economic", "influence_CHN_AFG", "threat_TJK"} <= set(row)
        assert int(row["Step"]) in (HORIZON - 1, HORIZON)  # 3.3 counts from 0, 3.5 from 1
        assert 0.0 <= row["influence_CHN_AFG"] <= 1.0
    assert sorted(row["china_economic"] for row in results) == [0.0, 0.0, 1.0, 1.0]
    # more Chinese economic engagement, more Chinese influence over the host, seed by seed
    by_level = {
        level: sorted(r["influence_CHN_AFG"] for r in results if r["china_economic"] == level)
        for level in (0.0, 1.0)
    }
    assert min(by_level[1.0]) > max(by_level[0.0])
    # each run is the runner's world 0 for its seed: batch_run really seeds the model
    p = compile_scenario(small)
    chn, afg = p.power_index("CHN"), p.state_index("AFG")
    found = set()
    for row in results:
        scenario = small.with_levers(china_economic=row["china_economic"])
        matches = [
            seed
            for seed in seeds
            if np.isclose(
                runner.run_block(scenario, seed, first=0, count=1)["influence"][-1, 0, chn, afg],
                row["influence_CHN_AFG"],
                rtol=1e-6,
                atol=0.0,
            )
        ]
        assert len(matches) == 1
        found.add((row["china_economic"], matches[0]))
    assert len(found) == len(results)


def test_batch_run_stops_at_max_steps_before_the_horizon(small):
    results = batch({"scenario": [small.replace(horizon_months=36)]}, [SEED], max_steps=3)
    assert len(results) == 1
    # mesa 3.3 runs max_steps + 1 steps, mesa 3.5 exactly max_steps; both stop early
    assert int(results[0]["Step"]) <= 4


def test_compiled_params_are_taken_only_with_their_own_scenario(small):
    """With assumptions fixed the model takes the params given; drawn, it compiles its own
    worlds' values over them (tests/test_assumptions.py)."""
    p = compile_scenario(small)
    model = RegionalInfluenceModel(small, params=p, assumptions="fixed")
    assert model.params is p
    drawn = RegionalInfluenceModel(small, worlds=3, params=p, assumptions="drawn").params
    assert drawn is not p and all(len(v) == 3 for v in drawn.assumptions.values())
    assert drawn.assumptions.keys() == set(drawn_paths(small))  # uncertainties and shares
    assert RegionalInfluenceModel(params=p).spec == small
    with pytest.raises(ValueError, match="compiled from another scenario"):
        RegionalInfluenceModel(small.replace(seed=small.seed + 1), params=p)
    lever = small.levers[0]
    with pytest.raises(ValueError, match="compiled from another scenario"):
        RegionalInfluenceModel(small, params=p, **{lever.name: lever.high})
