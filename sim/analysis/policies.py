"""Policies side by side: each run's influence of one holder over one state in the last month,
with intervals over worlds and its paired effect against a baseline, ranked."""

from __future__ import annotations

import pandas as pd
import xarray as xr

from sim.analysis.compare import check_paired
from sim.analysis.effects import CONFIDENCE, SPREAD, mean_interval, paired_effects
from sim.analysis.runs import labelled_runs
from sim.results.dataset import Results
from sim.results.reduce import QUANTILES

# paired_effects' names, as the columns of a policy table
PAIRED = {
    "difference": "difference",
    "ci_low": "diff_low",
    "ci_high": "diff_high",
    **{name: name for name in SPREAD},
    "share_positive": "share_higher",
    "relative": "relative",
}


def policy_table(
    runs,
    holder: str,
    state: str | None = None,
    baseline: str | Results | None = None,
    confidence: float = CONFIDENCE,
) -> pd.DataFrame:
    """A row per policy, ranked by the last month's mean influence of `holder` (a power, or a
    neighbour holding influence over the host) over `state` (default: the host): the mean with
    its confidence interval (Student t over worlds), the 5%, 50% and 95% quantiles over worlds,
    and, given a `baseline` (a run's label or Results with the same seed and worlds), the
    paired effect against it (sim.analysis.effects): the mean difference with its interval,
    its 5%, 50% and 95% across worlds, the share of worlds where the policy ends higher and
    the difference relative to the baseline's mean.

    `runs`: a list of Results (or result folders), {label: Results}, or a batch (BatchResults
    or its folder, a row per run). The table's `attrs` say holder, state, date and worlds.

    Example::

        policy_table(load_results("out/batch"), "IRN", "AFG", baseline="baseline")
    """
    runs = labelled_runs(runs)
    first = next(iter(runs.values()))
    state = state or first.scenario.codes("host")[0]
    if isinstance(baseline, str) and baseline not in runs:
        raise KeyError(f"no run labelled {baseline!r}; runs: {', '.join(runs)}")
    base = runs[baseline] if isinstance(baseline, str) else baseline
    if base is not None:  # read once, not once per policy
        other = _last_month(base, holder, state)
    rows = []
    for label, res in runs.items():
        final = _last_month(res, holder, state)
        row = {"policy": label, **_values(mean_interval(final.isel(month=0), confidence))}
        spread = final.isel(month=0).astype("float64").quantile(list(QUANTILES), dim="world")
        row |= dict(zip(("q05", "median", "q95"), spread.values.tolist(), strict=True))
        if base is not None:
            check_paired(res, base)
            paired = paired_effects(final, other, confidence).isel(month=0)
            row |= {column: float(paired[name]) for name, column in PAIRED.items()}
        rows.append(row)
    table = pd.DataFrame(rows).set_index("policy").sort_values("mean", ascending=False)
    table.insert(0, "rank", range(1, len(table) + 1))
    table.attrs = {
        "holder": holder,
        "state": state,
        "date": f"{first.dates[-1]:%Y-%m}",
        "worlds": first.worlds,
        "confidence": confidence,
        "baseline": baseline if isinstance(baseline, str) or base is None else base.scenario.name,
    }
    return table


def _last_month(res: Results, holder: str, state: str) -> xr.DataArray:
    """The last month of `holder`'s influence over `state`, (month: 1, world), computed."""
    return res.influence_of(holder, state).isel(month=slice(-1, None)).compute()


def _values(stats: xr.Dataset) -> dict[str, float]:
    return {name: float(stats[name]) for name in ("mean", "ci_low", "ci_high")}
