"""The points of a sweep: a grid over levers, or a Latin-hypercube or Sobol sample (scipy.stats.qmc)
over levers and uncertainties, mapped from the unit cube onto each factor's range."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
from scipy import stats
from scipy.stats import qmc

from sim.scenario.paths import get_path
from sim.scenario.schema import Lever, Scenario, Uncertainty


def sweep_points(scenario: Scenario) -> list[dict[str, float]]:
    """The sweep's points as {factor name: value}; one empty point when there is no sweep."""
    sweep = scenario.sweep
    if sweep is None:
        return [{}]
    factors = scenario.factors()
    if sweep.grid is not None:
        axes = {
            name: values if isinstance(values, list) else _levels(factors[name], values)
            for name, values in sweep.grid.items()
        }
        return [dict(zip(axes, combo, strict=True)) for combo in itertools.product(*axes.values())]
    names = sweep.over or list(factors)
    unit = _unit_sample(sweep.sample, len(names), sweep.points, sweep.seed)
    columns = {n: _from_unit(factors[n], unit[:, i], scenario) for i, n in enumerate(names)}
    return [{name: float(columns[name][k]) for name in names} for k in range(sweep.points)]


def _levels(factor, count: int) -> list[float]:
    return [float(v) for v in np.linspace(factor.low, factor.high, count)]


def _unit_sample(method: str, dims: int, points: int, seed: int) -> np.ndarray:
    if method == "latin_hypercube":
        sampler = qmc.LatinHypercube(d=dims, rng=np.random.default_rng(seed))
    else:
        sampler = qmc.Sobol(d=dims, scramble=True, rng=np.random.default_rng(seed))
    with warnings.catch_warnings():  # Sobol balance is best at 2**k points; any count works
        warnings.filterwarnings("ignore", "The balance properties of Sobol", UserWarning)
        return sampler.random(points)


def factor_distribution(factor: Lever | Uncertainty, scenario: Scenario):
    """The factor's distribution (a frozen scipy.stats distribution) over [low, high]: uniform
    for levers, or the uncertainty's own (a triangular one peaks at the scenario's value)."""
    width = factor.high - factor.low
    if isinstance(factor, Uncertainty) and factor.distribution == "triangular" and width > 0:
        mode = scenario.at_reference().model_dump(mode="json")
        peak = (float(get_path(mode, factor.path)) - factor.low) / width
        return stats.triang(c=peak, loc=factor.low, scale=width)
    return stats.uniform(loc=factor.low, scale=width)


def _from_unit(factor, u: np.ndarray, scenario: Scenario) -> np.ndarray:
    """Quantiles u of the factor's distribution (its low for a factor of no width)."""
    if factor.high == factor.low:
        return np.full_like(u, factor.low)
    return factor_distribution(factor, scenario).ppf(u)
