"""Running a scenario: worlds split into blocks of the ensemble, stepped, gathered into Results.

The unit of work is (scenario, block of worlds). A block's worlds are identified by their global
indices, so the same seed gives the same world whatever the block size.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from sim.diskarray import MonthMajorArray
from sim.model import RegionalInfluenceModel
from sim.params import compile_scenario
from sim.recorder import Recorder, allocate
from sim.results import Results
from sim.scenario import Scenario
from sim.store import ResultFolder

DEFAULT_BLOCK = 1000


def blocks(worlds: int, size: int) -> Iterator[tuple[int, int]]:
    """(first world, number of worlds) of each block."""
    for first in range(0, worlds, size):
        yield first, min(size, worlds - first)


def run_block(
    scenario: Scenario,
    seed: int,
    first: int,
    count: int,
    on_month: Callable[[int], object] | None = None,
    into: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Run one block of worlds to the horizon and return its recorded arrays, written `into`
    the given arrays (months, count, ...) if any. `on_month` is called with the block's number
    of worlds after every month (for progress)."""
    model = RegionalInfluenceModel(
        scenario, worlds=count, seed=seed, first_world=first, collect=False
    )
    if into is not None:
        model.recorder = Recorder(model.params, model.horizon, count, arrays=into)
    while model.running:
        model.step()
        if on_month is not None:
            on_month(count)
    arrays, model.recorder = model.recorder.arrays, None  # the model (a reference cycle with
    return arrays  # its agents) must not keep a run's arrays alive until garbage collection


def run(
    scenario: Scenario,
    worlds: int | None = None,
    seed: int | None = None,
    months: int | None = None,
    block_size: int = DEFAULT_BLOCK,
    progress: bool = False,
    stream_to: str | Path | None = None,
    keep: Iterable[str] = ("influence",),
) -> Results:
    """Run `worlds` worlds of a scenario (defaults from the scenario) and return Results.

    All series are kept in memory, preallocated once. With `stream_to`, each block of worlds is
    written to that result folder as it finishes and the `keep` series go to month-major files
    there (`<series>.month-major.f32`) that summaries and plots read a few months at a time, so
    memory is bounded by one block whatever the number of worlds; the folder gets its summary,
    plots and manifest at the end and is moved into place atomically.
    """
    if months is not None:
        scenario = scenario.replace(horizon_months=months)
    worlds = scenario.worlds if worlds is None else worlds
    seed = scenario.seed if seed is None else seed
    if worlds < 1:
        raise ValueError(f"worlds must be at least 1, got {worlds}")
    p, horizon = compile_scenario(scenario), scenario.horizon_months
    started = time.time()
    bar = _progress(worlds * horizon, progress)
    if stream_to is None:
        arrays = allocate(p, horizon, worlds)
        for first, count in blocks(worlds, block_size):
            part = {k: v[:, first : first + count] for k, v in arrays.items()}
            run_block(scenario, seed, first, count, on_month=bar.update, into=part)
        bar.close()
        return Results(scenario, arrays, seed=seed, timings=_timings(started))

    out, keep = Path(stream_to), list(keep)
    return _run_streamed(scenario, p, worlds, seed, block_size, bar, out, keep, started)


def _run_streamed(scenario, p, worlds, seed, block_size, bar, out: Path, keep, started: float):
    """Blocks written to the result folder as they finish; `keep` series to month-major files."""
    horizon = scenario.horizon_months
    buffer = allocate(p, horizon, min(block_size, worlds))
    dates = pd.date_range(scenario.start_date, periods=horizon, freq="MS")
    with ResultFolder(out, p, dates) as folder:
        arrays = {
            name: MonthMajorArray(
                folder.work / f"{name}.month-major.f32", (horizon, worlds, *buffer[name].shape[2:])
            )
            for name in keep
        }
        for first, count in blocks(worlds, block_size):
            part = {k: v[:, :count] for k, v in buffer.items()}
            run_block(scenario, seed, first, count, on_month=bar.update, into=part)
            folder.write_block(first, part)
            for name in keep:
                arrays[name].write(first, part[name])
        bar.close()
        res = Results(scenario, arrays, seed=seed, timings=_timings(started))
        res.folder = folder.finish(res)
    for array in arrays.values():  # the folder was renamed into place
        array.path = res.folder / array.path.name
    return res


def _timings(started: float) -> dict:
    finished = time.time()
    return {"started": started, "finished": finished, "seconds": finished - started}


def _progress(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(
        total=total,
        unit=" world-months",
        unit_scale=True,
        desc="simulating",
        disable=not enabled,
        leave=False,
        mininterval=0.5,
    )
