"""Policies side by side over the same worlds: each run's value of an outcome (by default one
holder's influence over one state in the last month) with its interval and its spread across
worlds, its paired effect against a baseline, and how robust it is.

Robustness is read world by world, since policies run with the same seed share their worlds
(the dice, and in drawn mode each world's assumptions): a policy's regret in a world is how
far it falls short of the best policy in that same world (Savage's regret, as robust decision
making uses it), and a policy is best in a world, or meets a threshold there (satisficing), or
not. Summaries across worlds then say how a policy fares over the futures we cannot rule out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from sim.analysis.compare import check_paired
from sim.analysis.effects import CONFIDENCE, SPREAD, mean_interval, paired_effects
from sim.analysis.experiments import outcome_of
from sim.analysis.runs import labelled_runs
from sim.errors import ResultError
from sim.results.dataset import Results
from sim.results.reduce import QUANTILES
from sim.scenario.schema import Outcome

# paired_effects' names, as the columns of a policy table
PAIRED = {
    "difference": "difference",
    "ci_low": "diff_low",
    "ci_high": "diff_high",
    **{name: name for name in SPREAD},
    "share_positive": "share_higher",
    "relative": "relative",
}
GOALS = ("max", "min")
REGRET_QUANTILE = 0.9


def policy_table(
    runs,
    holder: str | None = None,
    state: str | None = None,
    baseline: str | Results | None = None,
    confidence: float = CONFIDENCE,
    *,
    outcome=None,
    goal: str | dict[str, str] = "max",
    threshold: float | dict[str, float] | None = None,
) -> pd.DataFrame:
    """A row per policy, ranked by the mean of its value (the best first): `holder`'s
    influence (a power, or a neighbour holding influence over the host) over `state` (default:
    the host) in the last month, or `outcome` (a declared outcome's name or a spec; a list
    gives a row per outcome and policy).

    Columns: the mean with its confidence interval (Student t over worlds), the 5%, 50% and
    95% across worlds; for runs of the same worlds, the regret (per world, how far the policy
    falls short of the best policy in that world: its mean and 90th percentile), the share of
    worlds where it is best, and, given a `threshold`, the share where it meets it; given a
    `baseline` (a run's label, or Results of the same worlds), the paired effect against it:
    the mean difference with its interval, its 5%, 50% and 95% across worlds, the share of
    worlds where the policy ends higher and the difference relative to the baseline's mean.
    `goal`: "max" (more is better) or "min"; `goal` and `threshold` may be
    given per outcome, as {outcome: value}.

    `runs`: a list of Results (or result folders), {label: Results}, or a batch (BatchResults
    or its folder, a row per run). The table's `attrs` say what was measured.

    Example::

        policy_table(load_results("out/batch"), "USA", "AFG", threshold=0.02)
        policy_table(runs, outcome=["us_over_afghanistan", "extremist_peak"], goal="max")
    """
    for given in goal.values() if isinstance(goal, dict) else [goal]:
        if given not in GOALS:
            raise ValueError(f"unknown goal {given!r}; goals: {', '.join(GOALS)}")
    runs = labelled_runs(runs)
    if isinstance(baseline, str) and baseline not in runs:
        raise KeyError(f"no run labelled {baseline!r}; runs: {', '.join(runs)}")
    if outcome is not None and holder is not None:
        raise ValueError("give a holder (and state), or an outcome, not both")
    if outcome is None and holder is None:
        raise ValueError("give a holder (and state) or an outcome")
    base = runs[baseline] if isinstance(baseline, str) else baseline
    if base is not None:
        for res in runs.values():
            check_paired(res, base)
    first = next(iter(runs.values()))
    measures = (
        [_influence(holder, state or first.scenario.codes("host")[0])]
        if outcome is None
        else [_outcome(item) for item in (outcome if isinstance(outcome, list) else [outcome])]
    )
    paired = _paired(runs)
    tables = []
    for name, measure in measures:
        aim = goal.get(name, "max") if isinstance(goal, dict) else goal
        values = {label: measure(res) for label, res in runs.items()}
        table = _table(values, measure(base) if base is not None else None, confidence, aim)
        if paired:
            bar = threshold.get(name) if isinstance(threshold, dict) else threshold
            table = table.join(_robustness(values, aim, bar))
        tables.append(table.assign(outcome=name))
    table = pd.concat(tables)
    if len(measures) > 1:
        table = table.set_index("outcome", append=True).reorder_levels(["outcome", "policy"])
    else:
        table = table.drop(columns="outcome")
    table.attrs = {
        "holder": holder,
        "state": (state or first.scenario.codes("host")[0]) if holder else None,
        "outcome": ", ".join(name for name, _ in measures),
        "date": f"{first.dates[-1]:%Y-%m}",
        "worlds": first.worlds,
        "confidence": confidence,
        "goal": goal,
        "threshold": threshold,
        "paired": paired,
        "baseline": baseline if isinstance(baseline, str) or base is None else base.scenario.name,
    }
    return table


def _influence(holder: str, state: str):
    def last_month(res: Results) -> xr.DataArray:
        return res.influence_of(holder, state).isel(month=slice(-1, None)).compute()

    return f"{holder} over {state}", last_month


def _outcome(outcome):
    def value(res: Results) -> xr.DataArray:
        found = outcome_of(res, outcome)
        return xr.DataArray(found.to_numpy()[None], dims=("month", "world"))

    if isinstance(outcome, dict):
        outcome = Outcome.model_validate(outcome)
    return outcome if isinstance(outcome, str) else outcome.name, value


def _table(values: dict[str, xr.DataArray], other, confidence, goal) -> pd.DataFrame:
    """Mean, interval, spread and the paired effect against `other`, a row per policy,
    ranked by the mean, the best first."""
    rows = []
    for label, final in values.items():
        row = {"policy": label, **_numbers(mean_interval(final.isel(month=0), confidence))}
        spread = final.isel(month=0).astype("float64").quantile(list(QUANTILES), dim="world")
        row |= dict(zip(("q05", "median", "q95"), spread.values.tolist(), strict=True))
        if other is not None:
            effect = paired_effects(final, other, confidence).isel(month=0)
            row |= {column: float(effect[name]) for name, column in PAIRED.items()}
        rows.append(row)
    table = pd.DataFrame(rows).set_index("policy").sort_values("mean", ascending=goal == "min")
    table.insert(0, "rank", range(1, len(table) + 1))
    return table


def _robustness(values: dict[str, xr.DataArray], goal: str, threshold) -> pd.DataFrame:
    """Per policy: the mean and 90th percentile of its regret over worlds, the share of
    worlds where it is best (ties count for each) and, with a threshold, where it meets it."""
    labels = list(values)
    matrix = np.stack([values[label].isel(month=0).to_numpy() for label in labels]).astype(float)
    signed = matrix if goal == "max" else -matrix
    regret = signed.max(axis=0) - signed  # (policies, worlds), 0 for the best in each world
    table = pd.DataFrame(
        {
            "regret_mean": regret.mean(axis=1),
            f"regret_q{round(REGRET_QUANTILE * 100)}": np.quantile(regret, REGRET_QUANTILE, axis=1),
            "share_best": (regret == 0).mean(axis=1),
        },
        index=pd.Index(labels, name="policy"),
    )
    if threshold is not None:
        meets = matrix >= threshold if goal == "max" else matrix <= threshold
        table["share_meeting"] = meets.mean(axis=1)
    return table


def _paired(runs: dict[str, Results]) -> bool:
    """Whether every run has the worlds of the first: the condition of regret."""
    first = next(iter(runs.values()))
    try:
        for res in runs.values():
            check_paired(res, first)
    except ResultError:
        return False
    return True


def _numbers(stats: xr.Dataset) -> dict[str, float]:
    return {name: float(stats[name]) for name in ("mean", "ci_low", "ci_high")}
