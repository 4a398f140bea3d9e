"""Invariants that hold in every world and month: bounds, signs, finiteness.

Checked over several seeds of the 36-month baseline and over a stressed variant (many attacks,
closures and policy swings) that drives quantities toward their bounds.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.batch import runner
from sim.core.params import compile_scenario
from sim.scenario.schema import Event

pytestmark = pytest.mark.model

WORLDS = 150
SEEDS = (1, 2, 3)
TOLERANCE = 1e-6


def event(**fields) -> dict:
    fields.setdefault("unit", "test")
    fields.setdefault("source", "assumption: stress test")
    return Event(**fields).model_dump()


def stressed(scenario):
    """The baseline plus repeated major attacks, closures of every crossing and policy swings."""
    extra = []
    for month in ("2024-02", "2024-05", "2024-09", "2025-03", "2025-08", "2026-02"):
        extra.append(event(month=month, type="attack", target="AFG", value=1.0))
        extra.append(event(month=month, type="attack", target="TJK", value=1.0))
        extra.append(event(month=month, type="trafficking_surge", value=1.0))
    for crossing in compile_scenario(scenario).crossing.ids:
        extra.append(
            event(month="2024-04", type="closure", crossing=crossing, value=1.0, duration_months=3)
        )
    extra += [
        event(month="2024-03", type="border_clash", target="UZB", value=1.0),
        event(month="2024-06", type="sanctions", actor="USA", value=1.0),
        event(
            month="2024-06",
            type="engagement",
            actor="RUS",
            target="AFG",
            instrument="security",
            value=1.0,
        ),
        event(
            month="2024-06",
            type="engagement",
            actor="CHN",
            target="AFG",
            instrument="economic",
            value=-1.0,
        ),
        event(month="2024-07", type="recognition", actor="CHN", value=1),
        event(month="2024-08", type="agreement", actor="CHN", target="AFG", value=3.0),
        event(month="2024-08", type="aid", actor="USA", target="AFG", value=0.0),
        event(month="2024-09", type="migration", actor="RUS", target="TJK", value=0.0),
        event(month="2025-01", type="infrastructure", crossing="termez_hairatan", value=2.0),
    ]
    return scenario.replace(events=[*(e.model_dump() for e in scenario.events), *extra])


CASES = [("baseline", seed) for seed in SEEDS] + [("stressed", 4)]


@pytest.fixture(scope="module")
def runs(short):
    scenarios = {"baseline": short, "stressed": stressed(short)}
    return {
        (name, seed): runner.run_block(scenarios[name], seed, first=0, count=WORLDS)
        for name, seed in CASES
    }


@pytest.fixture(params=CASES, ids=[f"{name}-seed{seed}" for name, seed in CASES])
def arrays(request, runs):
    return runs[request.param]


def assert_within(values: np.ndarray, low: float, high: float, name: str) -> None:
    lo, hi = float(values.min()), float(values.max())
    assert lo >= low - TOLERANCE and hi <= high + TOLERANCE, f"{name} spans [{lo}, {hi}]"


def test_every_recorded_array_is_finite(arrays):
    for name, values in arrays.items():
        assert values.shape[:2] == (36, WORLDS), name
        assert np.all(np.isfinite(values)), f"{name} holds NaN or inf"


def test_influence_is_a_share(arrays):
    influence = arrays["influence"]
    assert_within(influence, 0.0, 1.0, "influence")
    total = influence.astype(np.float64).sum(axis=2)  # over powers: (month, world, state)
    assert total.max() <= 1.0 + TOLERANCE
    assert influence.max() > 0.0
    # over the host, the neighbours holding influence count too: still at most 1 in all
    held = arrays["host_influence"]
    assert_within(held, 0.0, 1.0, "host_influence")
    assert held.astype(np.float64).sum(axis=2).max() <= 1.0 + TOLERANCE
    assert held.shape[2] > influence.shape[2] and held[..., influence.shape[2] :].max() > 0.0


def test_trade_and_migrants_are_never_negative(arrays):
    assert arrays["trade"].min() >= 0.0
    assert arrays["migrants"].min() >= 0.0
    assert arrays["transit_revenue"].min() >= 0.0


def test_networks_threat_and_disruption_stay_in_the_unit_interval(arrays):
    for name in ("networks", "threat", "disruption"):
        assert_within(arrays[name], 0.0, 1.0, name)


def test_policy_variables_stay_in_the_unit_interval(arrays):
    for name in ("engagement", "sanctions", "host_openness", "host_effort", "posture"):
        assert_within(arrays[name], 0.0, 1.0, name)
    assert set(np.unique(arrays["recognition"])) <= {0.0, 1.0}


def test_event_counts_are_non_negative_integers(arrays):
    events = arrays["events"]
    assert np.issubdtype(events.dtype, np.integer)
    assert events.min() >= 0


def test_the_stress_scenario_reaches_the_bounds(runs):
    """The stressed run must actually push quantities to their limits, or it tests nothing."""
    arrays = runs[("stressed", 4)]
    assert arrays["threat"].max() >= 1.0 - TOLERANCE
    assert arrays["disruption"].max() >= 1.0 - TOLERANCE
    assert arrays["sanctions"].max() >= 0.99
    assert arrays["engagement"].max() > 0.9
    baseline = runs[("baseline", 1)]
    assert arrays["networks"].max() > baseline["networks"].max()


def test_crossing_and_host_trade_add_up_to_the_flows(short, arrays):
    """What passes the crossings (carried, plus rerouted through another) is the realised trade
    of the routed flows; the host's trade with its partners sums to `all`, the trade of every
    flow touching the host; nothing lost is negative."""
    p = compile_scenario(short)
    trade = arrays["trade"].astype(np.float64)
    at_crossings = arrays["crossing_trade"].astype(np.float64)
    passed = at_crossings[..., :2].sum(axis=(2, 3))  # carried and rerouted, every crossing
    np.testing.assert_allclose(passed, trade[..., p.flow.routed].sum(axis=2), rtol=1e-5)
    assert at_crossings.min() >= 0.0
    host = arrays["host_trade"].astype(np.float64)
    np.testing.assert_allclose(host[..., :-1].sum(axis=2), host[..., -1], rtol=1e-5)
    np.testing.assert_allclose(
        host[..., -1], trade[..., p.flow.touches_host].sum(axis=2), rtol=1e-5
    )


def test_the_stress_scenario_loses_trade_at_every_closed_crossing(runs):
    """Every crossing is closed whole for three months from 2024-04 (month 3), its alternate
    too: nothing is rerouted, and each crossing's own flows are lost whole."""
    closed = runs[("stressed", 4)]["crossing_trade"][3]  # (world, crossing, passage)
    assert closed[..., 0].max() == 0.0 and closed[..., 1].max() == 0.0
    assert closed[..., 2].min() > 0.0
