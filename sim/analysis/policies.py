"""Policies side by side: each run's influence of one power over one state in the last month,
with intervals over worlds and its paired difference from a baseline, ranked."""

from __future__ import annotations

import pandas as pd
import xarray as xr

from sim.analysis.compare import CONFIDENCE, check_paired, mean_interval
from sim.analysis.runs import labelled_runs
from sim.results.dataset import Results
from sim.results.reduce import QUANTILES


def policy_table(
    runs,
    power: str,
    state: str | None = None,
    baseline: str | Results | None = None,
    confidence: float = CONFIDENCE,
) -> pd.DataFrame:
    """A row per policy, ranked by the last month's mean influence of `power` over `state`
    (default: the host): the mean with its confidence interval (Student t over worlds), the
    5%, 50% and 95% quantiles over worlds, and, given a `baseline` (a run's label or Results
    with the same seed and worlds), the paired difference from it with its interval and the
    share of worlds where the policy ends higher.

    `runs`: a list of Results (or result folders), {label: Results}, or a batch (BatchResults
    or its folder, a row per run). The table's `attrs` say power, state, date and worlds.

    Example::

        policy_table(load_results("out/batch"), "RUS", "AFG", baseline="baseline")
    """
    runs = labelled_runs(runs)
    first = next(iter(runs.values()))
    state = state or first.scenario.codes("host")[0]
    if isinstance(baseline, str) and baseline not in runs:
        raise KeyError(f"no run labelled {baseline!r}; runs: {', '.join(runs)}")
    base = runs[baseline] if isinstance(baseline, str) else baseline
    if base is not None:  # read once, not once per policy
        other = base.series("influence", power=power, state=state).isel(month=-1).compute()
    rows = []
    for label, res in runs.items():
        final = res.series("influence", power=power, state=state).isel(month=-1).compute()
        row = {"policy": label, **_values(mean_interval(final, confidence))}
        spread = final.astype("float64").quantile(list(QUANTILES), dim="world")
        row |= dict(zip(("q05", "median", "q95"), spread.values.tolist(), strict=True))
        if base is not None:
            check_paired(res, base)
            paired = _values(mean_interval(final - other, confidence))
            row |= {"difference": paired["mean"], "diff_low": paired["ci_low"]}
            row |= {"diff_high": paired["ci_high"], "share_higher": float((final > other).mean())}
        rows.append(row)
    table = pd.DataFrame(rows).set_index("policy").sort_values("mean", ascending=False)
    table.insert(0, "rank", range(1, len(table) + 1))
    table.attrs = {
        "power": power,
        "state": state,
        "date": f"{first.dates[-1]:%Y-%m}",
        "worlds": first.worlds,
        "confidence": confidence,
        "baseline": baseline if isinstance(baseline, str) or base is None else base.scenario.name,
    }
    return table


def _values(stats: xr.Dataset) -> dict[str, float]:
    return {name: float(stats[name]) for name in ("mean", "ci_low", "ci_high")}
