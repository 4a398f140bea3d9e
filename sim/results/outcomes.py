"""Outcomes: the named measures a scenario declares, one number per world (the EMA Workbench's
outcomes), checked against the recorded series and computed from a run's Dataset."""

from __future__ import annotations

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


def outcome_values(dataset: xr.Dataset, outcomes: list[Outcome]) -> pd.DataFrame:
    """A row per world, a column per outcome (float64)."""
    columns = {}
    for outcome in outcomes:
        data = dataset[outcome.series].sel(outcome.select).astype("float64")
        reduced = (
            data.isel(month=-1) if outcome.over == "last" else getattr(data, outcome.over)("month")
        )
        columns[outcome.name] = reduced.compute().to_numpy()
    return pd.DataFrame(columns, index=pd.Index(dataset["world"].to_numpy(), name="world"))
