"""Outcomes: the named measures a scenario declares, one number per world (the EMA Workbench's
outcomes), checked against the recorded series and computed from a run's Dataset."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from sim.core.params import Params, compile_scenario
from sim.core.series import SERIES, dim_labels
from sim.errors import ScenarioError
from sim.scenario.schema import Outcome, Scenario

OUTCOMES = "outcomes.csv"  # a result folder's outcomes: a row per world, a column per outcome


def check_outcomes(scenario: Scenario, params: Params | None = None) -> None:
    """Every outcome names a recorded series and one existing label on each of its dims
    (`params`: the scenario compiled, if the caller has it)."""
    labels = dim_labels(compile_scenario(scenario) if params is None else params)
    for i, outcome in enumerate(scenario.outcomes):
        field = f"outcomes[{i}] ({outcome.name})"
        if outcome.series not in SERIES:
            raise ScenarioError(
                f"{field}.series",
                f"unknown series {outcome.series!r}; series: {', '.join(SERIES)}",
            )
        dims = SERIES[outcome.series].dims
        if sorted(outcome.select) != sorted(dims):
            raise ScenarioError(
                f"{field}.select",
                f"series {outcome.series} has dims {', '.join(dims)}: give one label for each "
                f"(got {', '.join(outcome.select) or 'none'})",
            )
        for dim, label in outcome.select.items():
            if label not in labels[dim]:
                raise ScenarioError(
                    f"{field}.select.{dim}",
                    f"unknown {dim} {label!r}; allowed: {', '.join(labels[dim])}",
                )
        for month in outcome.window or ():
            if not 0 <= scenario.month_index(month) < scenario.horizon_months:
                raise ScenarioError(
                    f"{field}.window",
                    f"{month} is outside the run: {scenario.start} and the "
                    f"{scenario.horizon_months - 1} months after it",
                )


def outcome_values(dataset: xr.Dataset, outcomes: list[Outcome]) -> pd.DataFrame:
    """A row per world, a column per outcome (float64)."""
    columns = {}
    for outcome in outcomes:
        data = dataset[outcome.series].sel(outcome.select).astype("float64")
        if outcome.window:
            first, last = (pd.Timestamp(f"{month}-01") for month in outcome.window)
            dates = dataset["date"].to_numpy()
            data = data.isel(month=np.flatnonzero((dates >= first) & (dates <= last)))
        columns[outcome.name] = _reduced(data, outcome).compute().to_numpy()
    return pd.DataFrame(columns, index=pd.Index(dataset["world"].to_numpy(), name="world"))


def _reduced(data: xr.DataArray, outcome: Outcome) -> xr.DataArray:
    """The months of one world's series reduced to one number. The months until a threshold is
    crossed count from the window's first month; a world that never crosses it counts the
    window's length (the month after it: censored)."""
    if outcome.over == "last":
        return data.isel(month=-1)
    if outcome.over in ("first_above", "first_below"):
        crossed = (
            data >= outcome.threshold
            if outcome.over == "first_above"
            else (data <= outcome.threshold)
        )
        never = ~crossed.any("month")
        return crossed.argmax("month").where(~never, data.sizes["month"]).astype("float64")
    return getattr(data, outcome.over)("month")
