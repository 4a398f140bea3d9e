"""A drawn ensemble as experiments: each world's inputs (its drawn assumptions and a batch's
levers) and one outcome per world, with the labels and units the scenario gives its inputs.
What scenario discovery and the given-data sensitivity read."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis.compare import check_paired
from sim.results.collection import BatchResults
from sim.results.dataset import Results
from sim.results.outcomes import outcome_values
from sim.scenario.paths import resolve
from sim.scenario.schema import Outcome, Scenario


@dataclass(frozen=True)
class Input:
    """One column of the experiments: what it is called in the scenario and its unit."""

    name: str
    label: str
    unit: str
    kind: str  # uncertainty, share, lever or scenario


def inputs(results: Results | BatchResults) -> tuple[pd.DataFrame, dict[str, Input]]:
    """The inputs of every world, a row each (float columns; a batch of several scenarios adds
    a categorical `scenario`), keeping only the columns that vary across worlds; and what each
    column is. Refuses an ensemble in which nothing varies (a run with fixed assumptions)."""
    table = results.experiments()
    described = describe_inputs(scenarios(results))
    columns = [c for c in table.columns if c in described]
    x = table[columns].astype("float64")
    if isinstance(results, BatchResults) and table["scenario"].nunique() > 1:
        x.insert(0, "scenario", table["scenario"].astype("category"))
        described["scenario"] = Input("scenario", "Scenario", "", "scenario")
    varying = [c for c in x.columns if x[c].notna().all() and x[c].nunique() > 1]
    if not varying:
        raise ValueError(
            f"{_name(results)}: no assumption or lever varies across its worlds; run it with "
            "--assumptions drawn (or sweep levers in a batch) to have experiments"
        )
    return x[varying].reset_index(drop=True), {c: described[c] for c in varying}


def describe_inputs(scenarios: list[Scenario]) -> dict[str, Input]:
    """Every uncertainty, share and lever of the scenarios, by its column name."""
    found: dict[str, Input] = {}
    for scenario in scenarios:
        data = scenario.model_dump(mode="json")
        for item in [*scenario.uncertainties, *scenario.levers]:
            node, _ = resolve(data, item.path)
            unit = node.get("unit", "") if isinstance(node, dict) else ""
            found.setdefault(item.name, Input(item.name, item.label or item.name, unit, item.kind))
        for shares in scenario.shares:
            for part in shares.parts:
                label = f"{part.rsplit('.', 1)[-1]} ({shares.label or shares.name})"
                found.setdefault(part, Input(part, label, "share", "share"))
    return found


def outcome_of(
    results: Results | BatchResults,
    outcome: str | dict | Outcome | pd.Series | np.ndarray,
    against: Results | None = None,
) -> pd.Series:
    """One number per world, in the order of `inputs`: a declared outcome's name, an outcome
    spec ({series, select, over}) or values given per world; with `against` (a run of the
    same worlds), the paired effect: the outcome minus the same outcome in that run."""
    if isinstance(outcome, pd.Series | np.ndarray | list):
        values = np.asarray(outcome, dtype=np.float64)
        rows = len(results.experiments()) if isinstance(results, BatchResults) else results.worlds
        if values.shape != (rows,):
            raise ValueError(f"give one outcome value per world: {rows}, got {values.shape}")
        if against is not None:
            raise ValueError("`against` needs a declared outcome or a spec, not values")
        name = getattr(outcome, "name", None) or "outcome"
        return pd.Series(values, name=str(name))
    spec = _spec(scenarios(results)[0], outcome)
    values = _values(results, spec)
    if against is not None:
        if not isinstance(results, Results):
            raise ValueError("`against` pairs one run with another: give one run, not a batch")
        check_paired(results, against)
        values = values - _values(against, spec)
        a, b = results.scenario.name, against.scenario.name
        return pd.Series(values, name=f"{spec.name} ({a} - {b})" if a != b else f"{spec.name} "
                         "(paired effect)")  # fmt: skip
    return pd.Series(values, name=spec.name)


def _spec(scenario: Scenario, outcome) -> Outcome:
    if isinstance(outcome, Outcome):
        return outcome
    if isinstance(outcome, dict):
        return Outcome.model_validate(outcome)
    declared = {o.name: o for o in scenario.outcomes}
    if outcome not in declared:
        raise ValueError(
            f"{scenario.name} declares no outcome {outcome!r}; declared: "
            f"{', '.join(declared) or 'none'} (or give a spec: series, select, over)"
        )
    return declared[outcome]


def _values(results: Results | BatchResults, spec: Outcome) -> np.ndarray:
    runs = (
        [results]
        if isinstance(results, Results)
        else [results.results(s, int(p)) for s, p in zip(*_index(results), strict=True)]
    )
    return np.concatenate([outcome_values(r.dataset, [spec])[spec.name].to_numpy() for r in runs])


def _index(batch: BatchResults):
    return batch.index["scenario"], batch.index["point"]


def scenarios(results: Results | BatchResults) -> list[Scenario]:
    """The scenario of each run, in the order of the batch's index (one for a run)."""
    if isinstance(results, Results):
        return [results.scenario]
    return [results.results(s, int(p)).scenario for s, p in zip(*_index(results), strict=True)]


def _name(results: Results | BatchResults) -> str:
    return (
        str(results.folder or results.scenario.name)
        if isinstance(results, Results)
        else str(results.folder)
    )
