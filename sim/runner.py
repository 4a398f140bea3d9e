"""Running a scenario: worlds split into blocks of the ensemble, stepped, gathered into Results.

The unit of work is (scenario, block of worlds). A block's worlds are identified by their global
indices, so the same seed gives the same world whatever the block size.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import numpy as np

from sim.model import RegionalInfluenceModel
from sim.results import Results
from sim.scenario import Scenario

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
) -> dict[str, np.ndarray]:
    """Run one block of worlds to the horizon; return its recorded arrays. `on_month` is called
    with the block's number of worlds after every month (for progress)."""
    model = RegionalInfluenceModel(
        scenario, worlds=count, seed=seed, first_world=first, collect=False
    )
    while model.running:
        model.step()
        if on_month is not None:
            on_month(count)
    return model.recorder.arrays


def run(
    scenario: Scenario,
    worlds: int | None = None,
    seed: int | None = None,
    months: int | None = None,
    block_size: int = DEFAULT_BLOCK,
    progress: bool = False,
) -> Results:
    """Run `worlds` worlds of a scenario (defaults from the scenario) and return Results."""
    if months is not None:
        scenario = scenario.replace(horizon_months=months)
    worlds = scenario.worlds if worlds is None else worlds
    seed = scenario.seed if seed is None else seed
    if worlds < 1:
        raise ValueError(f"worlds must be at least 1, got {worlds}")
    started = time.time()
    parts = []
    bar = _progress(worlds * scenario.horizon_months, progress)
    for first, count in blocks(worlds, block_size):
        parts.append(run_block(scenario, seed, first, count, on_month=bar.update))
    bar.close()
    arrays = {k: np.concatenate([p[k] for p in parts], axis=1) for k in parts[0]}
    timings = {"started": started, "finished": time.time(), "seconds": time.time() - started}
    return Results(scenario, arrays, seed=seed, timings=timings)


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
