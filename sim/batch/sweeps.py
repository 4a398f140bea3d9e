"""The points of a sweep: a grid over levers, or a Latin-hypercube or Sobol sample (scipy.stats.qmc)
over levers and uncertainties, mapped from the unit cube onto each factor's range."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
from scipy.stats import qmc

from sim.scenario.paths import get_path
from sim.scenario.schema import MAX_POINTS, Scenario


def sweep_points(scenario: Scenario) -> list[dict[str, float]]:
    """The sweep's points as {factor name: value}; one empty point when there is no sweep."""
    sweep = scenario.sweep
    if sweep is None:
        return [{}]
    assert sweep.size() <= MAX_POINTS, "a sweep's size is checked when its scenario is loaded"
    factors = scenario.factors()
    if sweep.grid is not None:
        axes = {
            name: values if isinstance(values, list) else factors[name].levels(values)
            for name, values in sweep.grid.items()
        }
        return [dict(zip(axes, combo, strict=True)) for combo in itertools.product(*axes.values())]
    names = sweep.over or list(factors)
    unit = _unit_sample(sweep.sample, len(names), sweep.points, sweep.seed)
    written = written_values(scenario)
    columns = {n: factors[n].from_unit(unit[:, i], written[n]) for i, n in enumerate(names)}
    return [{name: float(columns[name][k]) for name in names} for k in range(sweep.points)]


def _unit_sample(method: str, dims: int, points: int, seed: int) -> np.ndarray:
    if method == "latin_hypercube":
        sampler = qmc.LatinHypercube(d=dims, rng=np.random.default_rng(seed))
    else:
        sampler = qmc.Sobol(d=dims, scramble=True, rng=np.random.default_rng(seed))
    with warnings.catch_warnings():  # Sobol balance is best at 2**k points; any count works
        warnings.filterwarnings("ignore", "The balance properties of Sobol", UserWarning)
        return sampler.random(points)


def written_values(scenario: Scenario) -> dict[str, float]:
    """The value the scenario writes for each factor (levers at their reference), read from
    one dump of the scenario as written."""
    data = scenario.at_reference().model_dump(mode="json")
    return {name: float(get_path(data, f.path)) for name, f in scenario.factors().items()}
