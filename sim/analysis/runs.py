"""The runs an analysis is given, as {label: Results}: one Results, a list of them (or of result
folders), a {label: Results} dict, or a batch (BatchResults, or its folder)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sim.results.collection import BatchResults, load_results
from sim.results.dataset import Results


def labelled_runs(runs) -> dict[str, Results]:
    """Runs by label: the scenario's name (with /pNNN for a sweep's points in a batch)."""
    if isinstance(runs, str | Path):
        runs = load_results(runs)
    if isinstance(runs, BatchResults):
        return _batch_runs(runs)
    if not isinstance(runs, dict | list | tuple):
        runs = [runs]
    if not runs:
        raise ValueError("no runs given")
    if isinstance(runs, dict):
        return {str(label): _one(res) for label, res in runs.items()}
    runs = [_one(res) for res in runs]
    names = Counter(res.scenario.name for res in runs)
    twice = [name for name, count in names.items() if count > 1]
    if twice:
        raise ValueError(
            f"two runs are named {twice[0]!r}; give them as {{label: results}} to tell them apart"
        )
    return {res.scenario.name: res for res in runs}


def _one(res) -> Results:
    if isinstance(res, Results):
        return res
    if isinstance(res, str | Path):
        loaded = load_results(res)
        if isinstance(loaded, Results):
            return loaded
        raise ValueError(f"{res} is a batch folder: give it alone, not in a list of runs")
    raise TypeError(f"expected Results or a result folder, got {type(res).__name__}")


def _batch_runs(batch: BatchResults) -> dict[str, Results]:
    points = Counter(batch.index["scenario"])
    return {
        (name if points[name] == 1 else f"{name}/p{int(point):03d}"): batch.results(
            name, int(point)
        )
        for name, point in zip(batch.index["scenario"], batch.index["point"], strict=True)
    }
