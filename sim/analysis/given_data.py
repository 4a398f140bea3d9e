"""Sensitivity from the ensemble itself: which drawn assumptions an outcome depends on, read
from the worlds of one drawn run (given data), with no design of its own.

PAWN (Pianosi and Wagener 2015; SALib) compares the outcome's distribution over all worlds
with its distribution over the worlds whose input lies in each tenth of its range: the index
is the median Kolmogorov-Smirnov distance over those tenths, 0 when the input does not matter.
Delta (Borgonovo 2007; SALib, slower) measures the same shift with densities. Both depend on
every input at once, nonlinear effects and interactions included.

From finite worlds, an input that does not matter still scores above 0. So the worlds are
given NOISE_INPUTS inputs of pure noise, and the largest index among them is the noise floor.
The worlds are resampled (a bootstrap): an input is distinguishable from noise when it scores
above the floor of the same resample in at least `confidence` of them. Its interval is the
spread of its resampled indices, centred on the estimate (resampling worlds with replacement
repeats some, which inflates every Kolmogorov-Smirnov distance alike).
"""

from __future__ import annotations

import inspect
import textwrap
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis.effects import CONFIDENCE
from sim.analysis.experiments import inputs, outcome_of, scenarios
from sim.results.collection import BatchResults
from sim.results.dataset import Results

MEASURES = ("pawn", "delta")
NOISE_INPUTS = 10
RESAMPLES = 20  # bootstrap resamples of the worlds: enough for a rough interval of a ranking
SLIDES = 10  # PAWN's conditioning intervals: tenths of each input's range


@dataclass
class EnsembleSensitivity:
    """Indices of outcomes to the drawn inputs of one ensemble. `indices`: a row per (outcome,
    input) with label, kind, the index and its interval, the noise floor and whether the input
    is distinguishable from noise."""

    measure: str
    outcomes: list[str]
    worlds: int
    resamples: int
    confidence: float
    indices: pd.DataFrame

    def __repr__(self) -> str:
        inputs = self.indices.parameter.nunique()
        return (
            f"<EnsembleSensitivity ({self.measure}) of {', '.join(self.outcomes)} to {inputs} "
            f"inputs, {self.worlds} worlds>"
        )

    def ranked(self, outcome: str | None = None) -> pd.DataFrame:
        """One outcome's indices (default: the first), a row per input, the largest first."""
        outcome = outcome or self.outcomes[0]
        if outcome not in self.outcomes:
            raise KeyError(f"no outcome {outcome!r}; outcomes: {', '.join(self.outcomes)}")
        rows = self.indices[self.indices.outcome == outcome].drop(columns="outcome")
        table = rows.set_index("parameter").sort_values("index", ascending=False)
        table.attrs = {"outcome": outcome, "measure": self.measure}
        return table

    def drivers(self, outcome: str | None = None) -> list[str]:
        """The inputs distinguishable from noise, the largest index first."""
        table = self.ranked(outcome)
        return list(table.index[table.distinguishable])

    def describe(self, outcome: str | None = None, top: int = 10) -> str:
        """One outcome's leading inputs as text."""
        table = self.ranked(outcome)
        noise = table.noise.iloc[0]
        count = int(table.distinguishable.sum())
        lines = [
            f"{table.attrs['outcome']}: {self.measure.upper()} index over {self.worlds} drawn "
            f"worlds ({self.confidence:.0%} bootstrap interval, {self.resamples} resamples); "
            f"noise floor {noise:.3f}; {count} of {len(table)} inputs are distinguishable from "
            f"noise (above the floor of the same resample in {self.confidence:.0%} of them)"
        ]
        for name, row in table.head(top).iterrows():
            mark = "" if row.distinguishable else "  (not distinguishable from noise)"
            label = textwrap.shorten(row.label, 48, placeholder="...")
            lines.append(
                f"  {label:<48} {row['index']:5.3f} [{row.low:5.3f}, {row.high:5.3f}]  {name}{mark}"
            )
        return "\n".join(lines)

    def plot(self, outcome: str | None = None, top: int = 15, ax=None):
        """Bars of one outcome's leading indices with their intervals and the noise floor."""
        from sim.analysis.figures import importance_chart

        return importance_chart(self, outcome, top, ax=ax)


def ensemble_sensitivity(
    results: Results | BatchResults,
    outcome=None,
    parameters: list[str] | None = None,
    measure: str = "pawn",
    against: Results | None = None,
    resamples: int = RESAMPLES,
    confidence: float = CONFIDENCE,
    seed: int = 0,
) -> EnsembleSensitivity:
    """Given-data indices of `outcome` (a declared name, a spec, values per world, or a list;
    default: every declared outcome; with `against`, the paired effect against that run) to
    the drawn inputs of `results` (or the `parameters` named), with bootstrap intervals over
    worlds (`resamples`, seeded by `seed`) and the noise floor."""
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; measures: {', '.join(MEASURES)}")
    x, described = inputs(results)
    x = x.drop(columns="scenario", errors="ignore")
    if parameters is not None:
        unknown = [p for p in parameters if p not in x.columns]
        if unknown:
            raise ValueError(
                f"{unknown[0]!r} is not drawn in these worlds; drawn: {', '.join(x.columns)}"
            )
        x = x[list(parameters)]
    rng = np.random.default_rng(seed)
    noise = rng.random((len(x), NOISE_INPUTS))
    data = np.column_stack([x.to_numpy(), noise])
    outcomes = _outcome_list(results, outcome)
    rows = []
    for item in outcomes:
        y = outcome_of(results, item, against)
        point, low, high, above = _indices(
            measure, data, y.to_numpy(), len(x.columns), resamples, confidence, rng
        )
        floor = float(point[len(x.columns) :].max())
        for i, name in enumerate(x.columns):
            rows.append(
                {
                    "outcome": str(y.name),
                    "parameter": name,
                    "label": described[name].label,
                    "kind": described[name].kind,
                    "index": point[i],
                    "low": low[i],
                    "high": high[i],
                    "noise": floor,
                    "distinguishable": bool(above[i]),
                }
            )
    indices = pd.DataFrame(rows)
    names = list(dict.fromkeys(indices.outcome))
    return EnsembleSensitivity(measure, names, len(x), resamples, confidence, indices)


def _outcome_list(results, outcome) -> list:
    if outcome is None:
        declared = scenarios(results)[0].outcomes
        if not declared:
            raise ValueError("the scenario declares no outcomes: give `outcome`")
        return [o.name for o in declared]
    return outcome if isinstance(outcome, list) else [outcome]


def _indices(measure, data, y, inputs, resamples, confidence, rng):
    """The index of each column of `data`, its interval and whether it lies above the noise
    floor (the largest index of the columns after the first `inputs`): PAWN's from a bootstrap
    over rows, delta's from SALib's own bootstrap, against the floor's interval."""
    tail = (1 - confidence) / 2
    if measure == "delta":
        found = _salib(_delta, data, y, max(resamples, 2), confidence)
        key = "delta_raw" if "delta_raw" in found else "delta"
        point, half = np.asarray(found[key]), np.asarray(found[f"{key}_conf"])
        floor = np.argmax(point[inputs:]) + inputs
        return point, point - half, point + half, point - half > point[floor] + half[floor]
    point = _salib(_pawn, data, y)
    if resamples < 2:
        nothing = np.full_like(point, np.nan)
        return point, nothing, nothing, point > point[inputs:].max()
    draws = np.array([_salib(_pawn, data[rows], y[rows])
                      for rows in rng.integers(0, len(y), (resamples, len(y)))])  # fmt: skip
    low, high = np.quantile(draws, [tail, 1 - tail], axis=0) - draws.mean(axis=0) + point
    above = (draws > draws[:, inputs:].max(axis=1, keepdims=True)).mean(axis=0) >= confidence
    return point, low, high, above


def _pawn(problem, data, y):
    from SALib.analyze import pawn

    return np.asarray(pawn.analyze(problem, data, y, S=SLIDES)["median"])


def _delta(problem, data, y, resamples, confidence):
    from SALib.analyze import delta

    options = {"num_resamples": resamples, "conf_level": confidence}
    if "method" in inspect.signature(delta.analyze).parameters:  # SALib 1.6: no Sobol estimate
        options["method"] = "delta"
    return delta.analyze(problem, data, y, **options)


def _salib(analyze, data: np.ndarray, y: np.ndarray, *args):
    """A SALib analysis of each column, with its warnings and its seeding of numpy's global
    generator kept from the caller."""
    problem = {
        "num_vars": data.shape[1],
        "names": [f"x{i}" for i in range(data.shape[1])],
        "bounds": [[float(c.min()), float(c.max())] for c in data.T],
    }
    state = np.random.get_state()  # noqa: NPY002 (SALib seeds the legacy global generator)
    try:
        with warnings.catch_warnings(record=True):
            return analyze(problem, data, y, *args)
    finally:
        np.random.set_state(state)  # noqa: NPY002
