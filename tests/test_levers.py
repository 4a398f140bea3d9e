"""Every lever the baseline declares moves at least one outcome measurably between its bounds
(paired runs, common random numbers): a lever that moves nothing is a promise the model breaks.

Measurable: the paired mean difference has a 95% interval that excludes 0 and is at least
0.005 of influence (the final year's mean, any power over any state), or 1% of a flow's trade
or an actor's transit revenue (over the whole run, relative to the low run's mean)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.batch.runner import run
from sim.scenario.loading import load_scenario
from sim.scenario.schema import drop_dangling_factors

pytestmark = pytest.mark.model

BASELINE = load_scenario("baseline")
WORLDS, SEED, Z95 = 200, 3, 1.959964


def measurable(diff: np.ndarray, least: float) -> bool:
    """Any column of a (worlds, k) paired difference with |mean| >= least and a 95% interval
    that excludes zero."""
    mean = diff.mean(axis=0)
    half = Z95 * diff.std(axis=0, ddof=1) / np.sqrt(diff.shape[0])
    return bool(np.any((np.abs(mean) >= least) & (np.abs(mean) > half)))


def moved(low, high) -> list[str]:
    """The outcomes the lever moves measurably from its low to its high end."""
    found = []
    influence = [r.dataset["influence"].values[-12:].mean(axis=0) for r in (low, high)]
    if measurable((influence[1] - influence[0]).reshape(WORLDS, -1), 0.005):
        found.append("influence")
    for name in ("trade", "transit_revenue"):
        a, b = (r.dataset[name].values.astype(np.float64).mean(axis=0) for r in (low, high))
        scale = np.maximum(np.abs(a).mean(axis=0), 1e-9)
        if measurable((b - a) / scale, 0.01):
            found.append(name)
    return found


@pytest.mark.parametrize("lever", BASELINE.levers, ids=lambda lever: lever.name)
def test_every_baseline_lever_moves_an_outcome(lever):
    low, high = (
        run(BASELINE.with_levers(**{lever.name: end}), worlds=WORLDS, seed=SEED)
        for end in (lever.low, lever.high)
    )
    assert moved(low, high), f"{lever.name} moves no outcome between {lever.low} and {lever.high}"


def test_a_lever_on_a_parameter_nothing_reads_moves_nothing():
    """The check itself can fail: the Termez reroute share with no way for Termez to close
    (no closures, no border clashes in Uzbekistan) changes nothing."""
    data = BASELINE.model_dump(mode="json")
    data["shocks"] = [t for t in data["shocks"] if t["name"] not in ("closure", "border_clash")]
    data["events"] = [e for e in data["events"] if e["type"] not in ("closure", "border_clash")]
    drop_dangling_factors(data)  # the closure rate's uncertainty goes with its shock
    quiet = BASELINE.model_validate(data)
    lever = quiet.lever("termez_reroute")
    low, high = (
        run(quiet.with_levers(termez_reroute=end), worlds=WORLDS, seed=SEED)
        for end in (lever.low, lever.high)
    )
    assert moved(low, high) == []
