"""Reproducibility: a world is a pure function of (scenario, seed, world index).

Same seed, same arrays bit for bit; a world run alone equals the same world inside any block;
the block size of a run changes nothing; a scenario change from month t on leaves every earlier
month untouched (common random numbers by construction).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.batch import runner
from sim.scenario.schema import Event

pytestmark = pytest.mark.model

SEED = 314159
MONTHS = 24


@pytest.fixture(scope="module")
def scenario(short):
    return short.replace(horizon_months=MONTHS)


@pytest.fixture(scope="module")
def block(scenario):
    """Worlds 0-7 run as one block."""
    return runner.run_block(scenario, SEED, first=0, count=8)


def assert_same_arrays(a: dict, b: dict) -> None:
    assert sorted(a) == sorted(b)
    for name in a:
        assert a[name].shape == b[name].shape, name
        assert a[name].dtype == b[name].dtype, name
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def arrays(res) -> dict:
    """A run's recorded series as numpy arrays (month, world, ...), as run_block returns them."""
    return {name: res.dataset[name].values for name in res.dataset.data_vars}


def test_block_records_every_series_for_every_month_and_world(block):
    expected = {"influence", "trade", "threat", "networks", "sanctions", "engagement", "events"}
    assert expected <= set(block)
    for name, values in block.items():
        assert values.shape[:2] == (MONTHS, 8), name


def test_same_seed_gives_bit_identical_arrays(scenario, block):
    again = runner.run_block(scenario, SEED, first=0, count=8)
    assert_same_arrays(block, again)


def test_a_different_seed_gives_different_worlds(scenario, block):
    other = runner.run_block(scenario, SEED + 1, first=0, count=8)
    for name in ("trade", "influence", "threat", "networks"):
        assert not np.array_equal(block[name], other[name]), name
    # the random parts differ in every world, not just in some
    trade_differs = np.any(block["trade"] != other["trade"], axis=(0, 2))
    assert trade_differs.all()


def test_worlds_of_a_block_differ_from_each_other(block):
    trade = block["trade"]
    for i in range(1, trade.shape[1]):
        assert not np.array_equal(trade[:, 0], trade[:, i])


@pytest.mark.parametrize("world", [0, 3, 7])
def test_a_world_run_alone_equals_the_same_world_in_a_block(scenario, block, world):
    alone = runner.run_block(scenario, SEED, first=world, count=1)
    assert_same_arrays(
        alone, {name: values[:, world : world + 1] for name, values in block.items()}
    )


def test_a_world_alone_equals_the_same_world_in_a_large_block(scenario):
    """Larger blocks take other numpy code paths (BLAS kernels); the world must not notice."""
    large = runner.run_block(scenario, SEED, first=0, count=300)
    alone = runner.run_block(scenario, SEED, first=271, count=1)
    assert_same_arrays(alone, {name: values[:, 271:272] for name, values in large.items()})


def test_a_block_starting_mid_ensemble_reproduces_those_worlds(scenario, block):
    tail = runner.run_block(scenario, SEED, first=5, count=3)
    assert_same_arrays(tail, {name: values[:, 5:8] for name, values in block.items()})


def test_block_size_does_not_change_the_run(scenario):
    small = runner.run(scenario, worlds=10, seed=SEED, block_size=3)
    whole = runner.run(scenario, worlds=10, seed=SEED, block_size=1000)
    assert small.worlds == whole.worlds == 10
    assert small.seed == whole.seed == SEED
    assert_same_arrays(arrays(small), arrays(whole))


def test_run_equals_its_blocks(scenario, block):
    results = runner.run(scenario, worlds=8, seed=SEED, block_size=4)
    assert_same_arrays(arrays(results), block)


def test_run_without_a_seed_uses_the_scenario_seed(scenario):
    default = runner.run(scenario, worlds=3)
    explicit = runner.run(scenario, worlds=3, seed=scenario.seed)
    assert default.seed == scenario.seed
    assert_same_arrays(arrays(default), arrays(explicit))


def test_a_late_change_leaves_earlier_months_untouched(scenario, block):
    """Common random numbers: an extra event in month 12 shifts no draw of months 0-11."""
    attack = Event(
        month="2025-01",
        type="attack",
        target="AFG",
        value=0.9,
        unit="magnitude",
        source="assumption: test event",
    )
    assert scenario.month_index(attack.month) == 12
    changed = scenario.replace(
        events=[*(e.model_dump() for e in scenario.events), attack.model_dump()]
    )
    treated = runner.run_block(changed, SEED, first=0, count=8)
    assert_same_arrays(
        {name: values[:12] for name, values in treated.items()},
        {name: values[:12] for name, values in block.items()},
    )
    assert not np.array_equal(treated["threat"][12], block["threat"][12])


def test_draws_belong_to_flows_and_channels_not_to_positions(baseline):
    """Adding a flow (or a shock channel) leaves every other flow's (channel's) draws as they
    were, so scenarios that differ in their lists still share random numbers."""
    from sim.core import rng
    from sim.core.params import compile_scenario

    data = baseline.model_dump(mode="json")
    new_flow = {
        "exporter": "KGZ",
        "importer": "AFG",
        "commodity": "manufactures",
        "value": 5.0,
        "source": "assumption: test flow",
    }
    data["trade"] = [new_flow, *data["trade"]]  # first, so every position shifts
    bigger = compile_scenario(type(baseline).model_validate(data))
    p = compile_scenario(baseline)
    worlds = np.arange(5, dtype=np.uint64)
    base = rng.normal(11, worlds, 7, rng.Stream.TRADE_NOISE, p.flow.keys)
    more = rng.normal(11, worlds, 7, rng.Stream.TRADE_NOISE, bigger.flow.keys)
    np.testing.assert_array_equal(more[:, 1:], base)
    assert not np.array_equal(more[:, 0], base[:, 0])
    shared = np.isin(bigger.channels.keys, p.channels.keys)
    assert shared.sum() == len(p.channels.keys)
    assert len(set(p.channels.keys.tolist())) == len(p.channels.keys)  # no two channels collide
