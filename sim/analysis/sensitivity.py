"""Global sensitivity: which levers and uncertainties drive an outcome.

First-order and total Sobol indices of each outcome (scipy.stats.sobol_indices, the Saltelli
2010 estimators) over a Saltelli design: two matrices A and B from a scrambled Sobol sequence
and, for each parameter i, A with its column i taken from B. Each sample point is a scenario
run as an ensemble of `worlds` worlds with the same seed (common random numbers, so two points
differ only by their parameters), and its outcome is the mean over those worlds. The intervals
are percentile bootstraps over the design's rows (scipy.stats.bootstrap, seeded).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

from sim.analysis.effects import CONFIDENCE
from sim.batch.executors import check_scheduler, make_executor
from sim.batch.runner import check_run, run
from sim.batch.sweeps import written_values
from sim.core.assumptions import FIXED
from sim.results.outcomes import outcome_values
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Outcome, Scenario

POINT_WORLDS = 50  # worlds per sample point: enough for a mean whose noise is small against the
# spread of the outcome over the sample (common random numbers remove most of the rest)


@dataclass
class Sensitivity:
    """Sobol indices of outcomes to parameters. `indices`: a row per (outcome, parameter) with
    first-order and total indices and their intervals; `samples`: a row per sample point with
    its design matrix, the parameters' values and the outcomes' means over worlds."""

    scenario: Scenario
    parameters: list[str]
    outcomes: list[str]
    n: int
    worlds: int
    seed: int
    confidence: float
    indices: pd.DataFrame
    samples: pd.DataFrame

    def __repr__(self) -> str:
        return (
            f"<Sensitivity of {', '.join(self.outcomes)} to {len(self.parameters)} parameters: "
            f"{self.scenario.name}, n={self.n} ({len(self.samples)} points of {self.worlds} "
            "worlds)>"
        )

    def ranked(self, outcome: str | None = None) -> pd.DataFrame:
        """One outcome's indices (default: the first), a row per parameter, the largest total
        index first."""
        outcome = outcome or self.outcomes[0]
        if outcome not in self.outcomes:
            raise KeyError(f"no outcome {outcome!r}; outcomes: {', '.join(self.outcomes)}")
        rows = self.indices[self.indices.outcome == outcome].drop(columns="outcome")
        table = rows.set_index("parameter").sort_values("total", ascending=False)
        table.attrs = {"outcome": outcome}
        return table

    def describe(self, outcome: str | None = None) -> str:
        """One outcome's indices as text, a line per parameter, ranked."""
        table = self.ranked(outcome)
        lines = [
            f"{table.attrs['outcome']}: Sobol indices over {len(self.samples)} points of "
            f"{self.worlds} worlds ({self.confidence:.0%} interval)"
        ]
        for name, row in table.iterrows():
            lines.append(
                f"  {name:<24} total {row.total:5.2f} [{row.total_low:5.2f}, {row.total_high:5.2f}]"
                f"  first {row.first:5.2f} [{row.first_low:5.2f}, {row.first_high:5.2f}]"
                f"  ({row.kind})"
            )
        return "\n".join(lines)

    def plot(self, outcome: str | None = None, ax=None):
        """Bars of one outcome's first-order and total indices with their intervals."""
        from sim.analysis.figures import indices_chart

        return indices_chart(self, outcome, ax=ax)


def sensitivity(
    scenario: Scenario | str | Path,
    parameters: list[str] | None = None,
    outcome: str | dict | Outcome | list | None = None,
    n: int = 64,
    worlds: int = POINT_WORLDS,
    seed: int | None = None,
    months: int | None = None,
    confidence: float = CONFIDENCE,
    resamples: int = 1000,
    sample_seed: int = 0,
    workers: int | None = None,
    scheduler=None,
    progress: bool = False,
) -> Sensitivity:
    """Sobol indices of outcomes to a scenario's levers and uncertainties.

    `parameters`: names of levers and uncertainties (default: all), each varied over its
    range (levers uniformly, uncertainties by their distribution). `outcome`: the name of a
    declared outcome, an outcome spec ({series, select, over}) or a list of them (default:
    every declared outcome). `n` (a power of 2) sets the design: n * (len(parameters) + 2)
    points, each run with `worlds` worlds and `seed` (default: the scenario's) over `months`
    (default: its horizon). Points run on `workers` processes (default: all cores; 1 runs
    them here) or a Dask cluster (`scheduler`: an address or a `distributed.Client`).

    Example::

        s = sensitivity("baseline", ["russia_security", "sanctions_drag"],
                        outcome="russia_over_afghanistan", n=32)
        s.ranked()  # a row per parameter, the largest total index first
        s.plot()
    """
    check_scheduler(scheduler)  # a malformed address is refused before any work
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if months is not None:
        scenario = scenario.replace(horizon_months=months)
    outcomes = _outcomes(scenario, outcome)
    scenario = scenario.replace(outcomes=outcomes)
    seed = scenario.seed if seed is None else seed
    check_run(scenario, worlds, seed, in_memory=True)
    factors = _factors(scenario, parameters)
    if n < 4 or n & (n - 1):
        raise ValueError(f"n must be a power of 2, at least 4 (got {n})")

    design, labels = _design(scenario, factors, n, sample_seed)
    points = [dict(zip(factors, map(float, row), strict=True)) for row in design]
    means = _run_points(scenario, points, worlds, seed, workers, scheduler, progress)
    d, s = len(factors), len(outcomes)
    f_a, f_b = means[:n].T, means[n : 2 * n].T
    f_ab = means[2 * n :].reshape(d, n, s).transpose(0, 2, 1)
    first, total = _sobol(f_a, f_b, f_ab, n, d, s)
    low, high = _bootstrap(f_a, f_b, f_ab, n, d, s, confidence, resamples, sample_seed)
    indices = _index_table(scenario, factors, first, total, low, high)
    samples = pd.DataFrame(design, columns=factors)
    samples.insert(0, "design", labels)
    samples[[out.name for out in outcomes]] = means
    return Sensitivity(scenario, factors, [o.name for o in outcomes], n, worlds, seed,
                       confidence, indices, samples)  # fmt: skip


def _index_table(scenario: Scenario, factors: list[str], first, total, low, high) -> pd.DataFrame:
    """A row per (outcome, parameter): first-order and total indices with their intervals;
    the index arrays are (outcomes, parameters), the bounds (first|total, ...)."""
    declared = scenario.factors()
    return pd.DataFrame(
        [
            {
                "outcome": out.name,
                "parameter": name,
                "kind": declared[name].kind,
                "first": first[k, i],
                "first_low": low[0, k, i],
                "first_high": high[0, k, i],
                "total": total[k, i],
                "total_low": low[1, k, i],
                "total_high": high[1, k, i],
            }
            for k, out in enumerate(scenario.outcomes)
            for i, name in enumerate(factors)
        ]
    )


def point_outcomes(
    scenario: Scenario, points: list[dict[str, float]], worlds: int, seed: int
) -> np.ndarray:
    """Each point's outcomes, the mean over its worlds: (points, outcomes). The unit of work
    handed to the workers."""
    rows = []
    for values in points:
        # the point sets the factors; the rest stay as written (a Sobol design varies them)
        res = run(scenario.with_values(**values), worlds=worlds, seed=seed, assumptions=FIXED)
        rows.append(outcome_values(res.dataset, scenario.outcomes).mean().to_numpy())
    return np.array(rows, dtype=np.float64)


def _outcomes(scenario: Scenario, outcome) -> list[Outcome]:
    """The outcomes asked for: declared names, or specs."""
    if outcome is None:
        if not scenario.outcomes:
            raise ValueError(f"{scenario.name} declares no outcomes: give `outcome`")
        return list(scenario.outcomes)
    declared = {o.name: o for o in scenario.outcomes}
    found = []
    for item in outcome if isinstance(outcome, list) else [outcome]:
        if isinstance(item, str):
            if item not in declared:
                raise ValueError(
                    f"{scenario.name} declares no outcome {item!r}; declared: "
                    f"{', '.join(declared) or 'none'} (or give a spec: series, select, over)"
                )
            found.append(declared[item])
        else:
            found.append(item if isinstance(item, Outcome) else Outcome.model_validate(item))
    names = [o.name for o in found]
    if len(set(names)) < len(names):
        raise ValueError(f"outcomes named twice: {', '.join(names)}")
    return found


def _factors(scenario: Scenario, parameters: list[str] | None) -> list[str]:
    factors = scenario.factors()
    names = list(factors) if parameters is None else list(parameters)
    for name in names:
        if name not in factors:
            raise ValueError(
                f"{name!r} is not a lever or uncertainty of {scenario.name}; declared: "
                f"{', '.join(factors) or 'none'}"
            )
        if factors[name].high <= factors[name].low:
            raise ValueError(
                f"{name}: its range [{factors[name].low}, {factors[name].high}] is empty"
            )
    if len(set(names)) < len(names) or not names:
        raise ValueError(f"give each parameter once, at least one (got {names})")
    return names


def _design(scenario: Scenario, factors: list[str], n: int, seed: int):
    """The points of the Saltelli design in the parameters' units: A (n rows), B (n rows), and
    A with column i from B for each parameter i (n rows each); and each row's matrix label."""
    d = len(factors)
    unit = qmc.Sobol(2 * d, scramble=True, rng=np.random.default_rng(seed)).random(n)
    a, b = unit[:, :d], unit[:, d:]
    ab = np.repeat(a[None], d, axis=0)
    for i in range(d):
        ab[i, :, i] = b[:, i]
    rows = np.vstack([a, b, *ab])
    declared = scenario.factors()
    written = written_values(scenario)
    dists = [declared[name].sampling_distribution(written[name]) for name in factors]
    values = np.column_stack([dist.ppf(rows[:, i]) for i, dist in enumerate(dists)])
    labels = ["A"] * n + ["B"] * n + [f"AB[{name}]" for name in factors for _ in range(n)]
    return values, labels


def _run_points(scenario, points, worlds, seed, workers, scheduler, progress) -> np.ndarray:
    """The points' outcome means, computed in chunks on the executor, in order."""
    from tqdm.auto import tqdm

    executor = make_executor(workers, scheduler)
    size = max(1, min(16, math.ceil(len(points) / (4 * getattr(executor, "workers", 1)))))
    chunks = [points[i : i + size] for i in range(0, len(points), size)]
    bar = tqdm(total=len(points), unit=" point", desc="sensitivity", disable=not progress)
    try:
        futures = [executor.submit(point_outcomes, scenario, c, worlds, seed) for c in chunks]
        parts = []
        for future, chunk in zip(futures, chunks, strict=True):
            parts.append(future.result())
            bar.update(len(chunk))
        return np.vstack(parts)
    finally:
        bar.close()
        executor.shutdown(wait=True, cancel_futures=True)


def _sobol(f_a, f_b, f_ab, n, d, s):
    """First-order and total indices, (outcomes, parameters)."""
    found = stats.sobol_indices(func={"f_A": f_a, "f_B": f_b, "f_AB": f_ab}, n=n)
    return (np.reshape(found.first_order, (s, d)), np.reshape(found.total_order, (s, d)))


def _bootstrap(f_a, f_b, f_ab, n, d, s, confidence, resamples, seed):
    """Percentile bootstrap intervals of both indices over the design's rows: (low, high),
    each (2, outcomes, parameters). (BCa would need leave-one-out designs, whose size is no
    power of 2.)"""

    def statistic(rows):
        first, total = _sobol(f_a[:, rows], f_b[:, rows], f_ab[..., rows], n, d, s)
        return np.concatenate([first.ravel(), total.ravel()])

    found = stats.bootstrap(
        (np.arange(n),),
        statistic,
        vectorized=False,
        n_resamples=resamples,
        confidence_level=confidence,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    ci = found.confidence_interval
    return ci.low.reshape(2, s, d), ci.high.reshape(2, s, d)
