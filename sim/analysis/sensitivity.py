"""Global sensitivity: which uncertainties drive an outcome.

Two routes. The default reads a drawn ensemble as given data (sim.analysis.given_data: PAWN or
delta over its worlds, each with its own draws of every uncertainty): no design of its own,
every uncertainty at once, nonlinear effects included, and a noise floor.

The Sobol route (`method="sobol"`) computes first-order and total Sobol indices
(scipy.stats.sobol_indices, the Saltelli 2010 estimators) over a Saltelli design of the
uncertainties named: two matrices A and B from a scrambled Sobol sequence and, for each
uncertainty i, A with its column i taken from B. Levers are choices, not uncertainties: they
are never in the design, and `levers` holds them at one setting for every point. Each point
is the scenario run as an ensemble of `worlds` worlds with the same seed (common random
numbers), its outcome the mean over those worlds, or with `policy`, the mean paired effect of
that setting of levers at that point. The intervals are percentile bootstraps over the
design's rows (scipy.stats.bootstrap, seeded); an index whose interval is wider than WIDE or
reaches more than OUTSIDE past 0 or 1 is flagged: n is too small for it.
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
from sim.analysis.given_data import MEASURES, RESAMPLES, ensemble_sensitivity
from sim.batch.executors import check_scheduler, make_executor
from sim.batch.runner import check_run, run
from sim.batch.sweeps import written_values
from sim.core.assumptions import FIXED
from sim.results.collection import BatchResults, load_results
from sim.results.dataset import Results
from sim.results.outcomes import outcome_values
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Outcome, Scenario

POINT_WORLDS = 50  # worlds per sample point: enough for a mean whose noise is small against the
# spread of the outcome over the sample (common random numbers remove most of the rest)
ENSEMBLE_WORLDS = 1000  # worlds of the drawn ensemble the default route runs from a scenario
METHODS = ("pawn", "delta", "sobol")
WIDE = 0.3  # a Sobol interval wider than this ranks nothing
OUTSIDE = 0.05  # an interval reaching this far past 0 or 1 says the estimator is off; an index
# near 0 whose interval dips just below it is noise of the size its width shows, not a flag


@dataclass
class Sensitivity:
    """Sobol indices of outcomes to uncertainties. `indices`: a row per (outcome, parameter)
    with first-order and total indices, their intervals and a flag where the intervals rank
    nothing; `samples`: a row per sample point with its design matrix, the parameters' values
    and the outcomes' means over worlds (with a `policy`, its mean paired effect)."""

    scenario: Scenario
    parameters: list[str]
    outcomes: list[str]
    n: int
    worlds: int
    seed: int
    confidence: float
    indices: pd.DataFrame
    samples: pd.DataFrame
    policy: dict[str, float]

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
        effect = f" (the paired effect of {_setting(self.policy)})" if self.policy else ""
        lines = [
            f"{table.attrs['outcome']}{effect}: Sobol indices over {len(self.samples)} points "
            f"of {self.worlds} worlds ({self.confidence:.0%} interval)"
        ]
        for name, row in table.iterrows():
            flag = f"  ! {row.flag}" if row.flag else ""
            lines.append(
                f"  {name:<24} total {row.total:5.2f} [{row.total_low:5.2f}, {row.total_high:5.2f}]"
                f"  first {row.first:5.2f} [{row.first_low:5.2f}, {row.first_high:5.2f}]{flag}"
            )
        flagged = int((table.flag != "").sum())
        if flagged:
            lines.append(
                f"{flagged} of {len(table)} indices are flagged: their intervals are too wide "
                "to rank them; raise n, or use the default route over a drawn ensemble"
            )
        return "\n".join(lines)

    def plot(self, outcome: str | None = None, ax=None):
        """Bars of one outcome's first-order and total indices with their intervals."""
        from sim.analysis.figures import indices_chart

        return indices_chart(self, outcome, ax=ax)


def sensitivity(
    source,
    parameters: list[str] | None = None,
    outcome: str | dict | Outcome | list | None = None,
    *,
    method: str = "pawn",
    n: int = 64,
    worlds: int | None = None,
    seed: int | None = None,
    months: int | None = None,
    levers: dict[str, float] | None = None,
    policy: dict[str, float] | None = None,
    against: Results | None = None,
    confidence: float = CONFIDENCE,
    resamples: int | None = None,
    sample_seed: int = 0,
    workers: int | None = None,
    scheduler=None,
    progress: bool = False,
):
    """Which uncertainties drive outcomes: the default route reads a drawn ensemble (PAWN, or
    `method="delta"`), the Sobol route runs a design of its own (`method="sobol"`).

    `source`: a drawn run (Results, a batch, or a result folder) or a scenario (a Scenario, a
    library name or a file). From a scenario, the default route runs a drawn ensemble of
    `worlds` worlds (default 1,000) first. `parameters`: the uncertainties (default: all).
    `outcome`: a declared outcome's name, an outcome spec ({series, select, over, window,
    threshold}) or a list of them (default: every declared outcome). `levers` holds levers at
    a setting; `policy` makes the outcome the paired effect of that setting of levers (from a
    run, `against` gives the run it is compared with).

    Sobol: `n` (a power of 2) sets the design: n * (len(parameters) + 2) points, each run with
    `worlds` worlds (default 50) and `seed` (default: the scenario's) over `months` (default:
    its horizon), on `workers` processes (default: all cores; 1 runs them here) or a Dask
    cluster (`scheduler`: an address or a `distributed.Client`).

    Example::

        s = sensitivity(sim.run(sim.load_scenario("baseline"), worlds=2000, seed=1),
                        outcome="us_over_afghanistan")
        s.ranked(); s.drivers(); s.plot()
        s = sensitivity("baseline", ["extremist_growth", "sanctions_drag"],
                        outcome="russia_over_afghanistan", method="sobol", n=32)
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; methods: {', '.join(METHODS)}")
    check_scheduler(scheduler)  # a malformed address is refused before any work
    if isinstance(source, Results | BatchResults) or _is_result_folder(source):
        if method == "sobol":
            raise ValueError("the Sobol route runs its own design: give it a scenario, not a run")
        if levers or policy:
            raise ValueError("a run's levers are set: give `against` to compare it with another")
        results = load_results(source) if isinstance(source, str | Path) else source
        return ensemble_sensitivity(results, outcome, parameters, method, against,
                                    _resamples(resamples), confidence, sample_seed)  # fmt: skip
    scenario = source if isinstance(source, Scenario) else load_scenario(source)
    if months is not None:
        scenario = scenario.replace(horizon_months=months)
    if levers:
        scenario = scenario.with_levers(**levers)
    outcomes = _outcomes(scenario, outcome)
    scenario = scenario.replace(outcomes=outcomes)
    seed = scenario.seed if seed is None else seed
    if method in MEASURES:
        worlds = ENSEMBLE_WORLDS if worlds is None else worlds
        check_run(scenario, worlds, seed, in_memory=True)
        base = run(scenario, worlds=worlds, seed=seed, progress=progress)
        treated = run(scenario.with_levers(**policy), worlds=worlds, seed=seed) if policy else None
        return ensemble_sensitivity(treated or base, [o.name for o in outcomes], parameters,
                                    method, base if policy else None,
                                    _resamples(resamples), confidence, sample_seed)  # fmt: skip
    worlds = POINT_WORLDS if worlds is None else worlds
    check_run(scenario, worlds, seed, in_memory=True, assumptions=FIXED)
    factors = _uncertainties(scenario, parameters)
    if policy:
        scenario.with_levers(**policy)  # a bad setting is refused before any work
    if n < 4 or n & (n - 1):
        raise ValueError(f"n must be a power of 2, at least 4 (got {n})")

    design, labels = _design(scenario, factors, n, sample_seed)
    points = [dict(zip(factors, map(float, row), strict=True)) for row in design]
    means = _run_points(scenario, points, worlds, seed, policy, workers, scheduler, progress)
    d, s = len(factors), len(outcomes)
    f_a, f_b = means[:n].T, means[n : 2 * n].T
    f_ab = means[2 * n :].reshape(d, n, s).transpose(0, 2, 1)
    first, total = _sobol(f_a, f_b, f_ab, n, d, s)
    low, high = _bootstrap(f_a, f_b, f_ab, n, d, s, confidence,
                           resamples or 1000, sample_seed)  # fmt: skip
    indices = _index_table(scenario, factors, first, total, low, high)
    samples = pd.DataFrame(design, columns=factors)
    samples.insert(0, "design", labels)
    samples[[out.name for out in outcomes]] = means
    return Sensitivity(scenario, factors, [o.name for o in outcomes], n, worlds, seed,
                       confidence, indices, samples, policy or {})  # fmt: skip


def _setting(levers: dict[str, float]) -> str:
    return ", ".join(f"{name} = {value:g}" for name, value in levers.items())


def _resamples(resamples: int | None) -> int:
    return RESAMPLES if resamples is None else resamples


def _is_result_folder(source) -> bool:
    return isinstance(source, str | Path) and Path(source).is_dir()


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
                "flag": _flag(low[:, k, i], high[:, k, i]),
            }
            for k, out in enumerate(scenario.outcomes)
            for i, name in enumerate(factors)
        ]
    )


def _flag(low: np.ndarray, high: np.ndarray) -> str:
    """Why an index's intervals (first, total) rank nothing, if they do not."""
    flags = []
    if (high - low > WIDE).any():
        flags.append(f"interval wider than {WIDE:g}")
    if (low < -OUTSIDE).any() or (high > 1 + OUTSIDE).any():
        flags.append("interval outside [0, 1]")
    return "; ".join(flags)


def point_outcomes(
    scenario: Scenario,
    points: list[dict[str, float]],
    worlds: int,
    seed: int,
    policy: dict[str, float] | None = None,
) -> np.ndarray:
    """Each point's outcomes, the mean over its worlds (with `policy`, the mean paired effect
    of that setting of levers): (points, outcomes). The unit of work handed to the workers."""
    rows = []
    for values in points:
        # the point sets the uncertainties; the rest stay as written (the design varies them)
        at_point = scenario.with_values(**values)
        mean = _mean_outcomes(at_point, worlds, seed)
        if policy:
            mean = _mean_outcomes(at_point.with_levers(**policy), worlds, seed) - mean
        rows.append(mean)
    return np.array(rows, dtype=np.float64)


def _mean_outcomes(scenario: Scenario, worlds: int, seed: int) -> np.ndarray:
    res = run(scenario, worlds=worlds, seed=seed, assumptions=FIXED)
    return outcome_values(res.dataset, scenario.outcomes).mean().to_numpy()


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


def _uncertainties(scenario: Scenario, parameters: list[str] | None) -> list[str]:
    factors = {u.name: u for u in scenario.uncertainties}
    names = list(factors) if parameters is None else list(parameters)
    levers = {lever.name for lever in scenario.levers}
    for name in names:
        if name in levers:
            raise ValueError(
                f"{name!r} is a lever, a choice rather than an uncertainty: the design varies "
                "uncertainties only; hold levers with levers={...}, or compare settings with "
                "policy={...} or policy_table"
            )
        if name not in factors:
            raise ValueError(
                f"{name!r} is not an uncertainty of {scenario.name}; declared: "
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


def _run_points(scenario, points, worlds, seed, policy, workers, scheduler, progress):
    """The points' outcome means, computed in chunks on the executor, in order."""
    from tqdm.auto import tqdm

    executor = make_executor(workers, scheduler)
    size = max(1, min(16, math.ceil(len(points) / (4 * getattr(executor, "workers", 1)))))
    chunks = [points[i : i + size] for i in range(0, len(points), size)]
    bar = tqdm(total=len(points), unit=" point", desc="sensitivity", disable=not progress)
    try:
        futures = [
            executor.submit(point_outcomes, scenario, chunk, worlds, seed, policy)
            for chunk in chunks
        ]
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
