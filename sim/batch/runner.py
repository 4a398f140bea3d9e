"""Running a scenario: worlds split into blocks of the ensemble, stepped, gathered into Results.

The unit of work is (scenario, block of worlds). A block's worlds are identified by their global
indices, so the same seed gives the same world whatever the block size. In memory, every block
writes into its slice of arrays allocated once; with `out`, every block is written to the result
folder's Zarr store as it finishes, from one buffer reused, so memory is bounded by a block
whatever the number of worlds. (Writing in a thread or a second process was tried: on the
2-core machines this is built on, it slowed the simulation by as much as it saved.)
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import dask
import numpy as np
import xarray as xr
from threadpoolctl import threadpool_limits

from sim.batch.progress import progress_bar
from sim.core.assumptions import DRAWN, check_assumptions, check_drawable
from sim.core.params import Params, compile_scenario
from sim.core.series import allocate, record_bytes
from sim.errors import ScenarioError
from sim.model import RegionalInfluenceModel
from sim.results.dataset import Results, build_dataset
from sim.results.folder import STORE, claim_output
from sim.results.outcomes import check_outcomes
from sim.results.store import ResultWriter, finish_folder, open_run, write_block
from sim.scenario.schema import MAX_WORLDS, Scenario
from sim.scenario.vocab import (
    DEFAULT_ASSUMPTIONS,
    MAX_SEED,
    SEED_RANGE_TEXT,
)

DEFAULT_BLOCK = 1000
STORED_BLOCKS = 2  # simulated blocks per block of the store: each write has a fixed cost
MEMORY_LIMIT = 8 * 2**30  # a run in memory larger than this is refused with the estimate


def blocks(worlds: int, size: int) -> Iterator[tuple[int, int]]:
    """(first world, number of worlds) of each block."""
    for first in range(0, worlds, size):
        yield first, min(size, worlds - first)


@functools.cache
def roomy_malloc() -> None:
    """Let glibc keep freed memory for reuse (trim above 128 MiB) and serve arrays under 32 MiB
    from the heap, and ask for the record's large arrays in ordinary pages, once per process.
    A block allocates and frees many arrays of a few hundred kB each month; with glibc's
    defaults some of them, and with the small trim threshold that Dask's nanny sets for its
    workers (MALLOC_TRIM_THRESHOLD_=65536), all of them are mapped and unmapped each time:
    measured 3.3x slower there, and 10% here. NumPy asks the kernel for huge pages for arrays
    of 4 MB and more; on a machine whose memory is fragmented, each first touch of a huge page
    may wait for the kernel to compact memory: filling the record of 1,000 worlds took from
    0.05 to 2.7 s so, and 0.09 s in ordinary pages (docs/performance.md)."""
    if sys.platform != "linux":
        return
    multiarray = getattr(np, "_core", getattr(np, "core", None)).multiarray
    getattr(multiarray, "_set_madvise_hugepage", lambda enabled: None)(False)
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(M_TRIM_THRESHOLD, 128 * 2**20)
        libc.mallopt(M_MMAP_THRESHOLD, 32 * 2**20)
    except (OSError, AttributeError):  # not glibc: its defaults stay
        pass


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt parameters (malloc.h)


def run_block(
    scenario: Scenario,
    seed: int,
    first: int,
    count: int,
    on_month: Callable[[int], object] | None = None,
    into: dict[str, np.ndarray] | None = None,
    params: Params | None = None,
    assumptions: str = DEFAULT_ASSUMPTIONS,
) -> dict[str, np.ndarray]:
    """Run one block of worlds to the horizon and return its recorded arrays, written `into`
    the given arrays (months, count, ...) if any. `on_month` is called with the block's number
    of worlds after every month (for progress); `params` is the scenario compiled, if the
    caller has it; `assumptions` drawn per world or fixed (sim.core.assumptions)."""
    roomy_malloc()
    model = RegionalInfluenceModel(
        scenario,
        worlds=count,
        seed=seed,
        first_world=first,
        collect=False,
        params=params,
        record_into=into,
        assumptions=assumptions,
    )
    # one BLAS thread: the model's small matrix products gain nothing from more, and threads
    # competing for the cores cost a fifth of a block alone and most of it beside other
    # workers (benchmarks/bench_batch.py)
    with threadpool_limits(limits=1, user_api="blas"):
        while model.running:
            model.step()
            if on_month is not None:
                on_month(count)
    return model.take_record()


def fill(
    scenario: Scenario,
    seed: int,
    first: int,
    into: dict[str, np.ndarray],
    block_size: int = DEFAULT_BLOCK,
    on_month: Callable[[int], object] | None = None,
    params: Params | None = None,
    assumptions: str = DEFAULT_ASSUMPTIONS,
) -> None:
    """Simulate worlds first.. into the arrays (months, count, ...), a block of `block_size`
    worlds at a time, each block written into its slice; the scenario compiled once (`params`,
    if the caller has it; drawn, each block compiles its own worlds' parameters)."""
    p = compile_scenario(scenario) if params is None else params
    count = next(iter(into.values())).shape[1]
    for offset, part_count in blocks(count, block_size):
        part = {k: v[:, offset : offset + part_count] for k, v in into.items()}
        run_block(scenario, seed, first + offset, part_count, on_month, into=part, params=p,
                  assumptions=assumptions)  # fmt: skip


def simulate_block(
    store: str,
    scenario: Scenario,
    seed: int,
    first: int,
    count: int,
    block: int,
    assumptions: str = DEFAULT_ASSUMPTIONS,
) -> dict:
    """A batch's unit of work: worlds first..first+count-1 simulated (in blocks of
    DEFAULT_BLOCK) and written into their chunks of the store; returns the block's entry."""
    p = compile_scenario(scenario)
    arrays = allocate(p, scenario.horizon_months, count)
    fill(scenario, seed, first, arrays, params=p, assumptions=assumptions)
    return write_block(Path(store), block, first, arrays)


def finish_run(work: str, scenario: Scenario, entries: list[dict], block: int, plots: bool):
    """A batch's last task for a run, once all its blocks are in: summary, plots (if asked)
    and the manifest, written last into the run's result folder."""
    from sim.results.plots import PLOTS, write_plots  # matplotlib: imported when plots are drawn

    work = Path(work)
    shutil.rmtree(work / PLOTS, ignore_errors=True)  # ours, from a finish cut short
    # computed here, on this worker's threads: a Dask worker would otherwise hand the reads to
    # the cluster's client from inside a task (with a client in the same process: KeyError)
    with dask.config.set(scheduler="threads"):
        res = Results(xr.open_zarr(work / STORE), scenario)
        finish_folder(work, res, entries, block, write_plots(res, work) if plots else [])


def check_run(
    scenario: Scenario,
    worlds: int,
    seed: int,
    in_memory: bool,
    params: Params | None = None,
    assumptions: str = DEFAULT_ASSUMPTIONS,
) -> None:
    """Refuse, before anything runs, a seed out of range or worlds beyond what the scenario
    allows or (in memory) what memory holds, with the estimate (from `params`, the scenario
    compiled, if the caller has it)."""
    if not 0 <= seed < MAX_SEED:
        raise ScenarioError("seed", f"{seed} is outside the allowed range {SEED_RANGE_TEXT}")
    if worlds < 1:
        raise ScenarioError("worlds", f"must be at least 1, got {worlds}")
    p = compile_scenario(scenario) if params is None else params
    check_outcomes(scenario, p)
    if assumptions == DRAWN:
        check_drawable(scenario)
    need = record_bytes(p, scenario.horizon_months, worlds)
    if worlds > MAX_WORLDS:
        raise ScenarioError(
            "worlds",
            f"{worlds:,} is above the limit of {MAX_WORLDS:,} worlds per run (it would record "
            f"about {_gb(need)}); split the work into several runs with other seeds",
        )
    if in_memory and need > MEMORY_LIMIT:
        raise ScenarioError(
            "worlds",
            f"{worlds:,} worlds would hold about {_gb(need)} in memory (limit "
            f"{_gb(MEMORY_LIMIT)}); give an output folder (`run(..., out=DIR)`, or `sim run`) "
            "to stream them to disk",
        )


def _gb(size: float) -> str:
    return f"{size / 2**30:,.1f} GB"


def run(
    scenario: Scenario,
    worlds: int | None = None,
    seed: int | None = None,
    months: int | None = None,
    block_size: int = DEFAULT_BLOCK,
    progress: bool = False,
    out: str | Path | None = None,
    force: bool = False,
    assumptions: str = DEFAULT_ASSUMPTIONS,
) -> Results:
    """Run `worlds` worlds of a scenario (defaults from the scenario) and return Results.

    `assumptions`: 'drawn' (the default), each world draws every declared uncertainty once
    (so the bands carry what we do not know as well as the dice), or 'fixed', every one at
    its written value (the dice alone: calibration, isolating chance).

    Without `out`, every series is kept in memory (preallocated once). With `out`, the run is
    written to that result folder block by block and the Results read it back lazily; the
    folder must not exist, or be an earlier result folder and `force` given (see
    sim.results.folder). Path problems are reported before anything runs.
    """
    if months is not None:
        scenario = scenario.replace(horizon_months=months)
    worlds = scenario.worlds if worlds is None else worlds
    seed = scenario.seed if seed is None else seed
    check_assumptions(assumptions)
    p = compile_scenario(scenario)  # once: the model, the store and the Dataset are given it
    check_run(scenario, worlds, seed, in_memory=out is None, params=p, assumptions=assumptions)
    if out is not None:
        with claim_output(out, force=force) as claim:
            return _run_to_folder(p, worlds, seed, block_size, progress, claim, assumptions)
    started = time.time()
    arrays = allocate(p, scenario.horizon_months, worlds)
    with _simulating(worlds * scenario.horizon_months, progress) as bar:
        fill(scenario, seed, 0, arrays, block_size, bar.update, params=p, assumptions=assumptions)
    dataset = build_dataset(scenario, arrays, seed, params=p, assumptions=assumptions)
    return Results(dataset, scenario, timings=_timings(started), params=p)


def _run_to_folder(p: Params, worlds, seed, block_size, progress, claim, assumptions):
    """Blocks written to the claimed folder's store as they finish, from one buffer reused:
    STORED_BLOCKS simulated blocks fill it, then it is written as one block of the store; then
    the plots, and the summary and manifest."""
    from sim.results.plots import write_plots  # matplotlib: imported when plots are drawn

    started = time.time()
    scenario, horizon = p.scenario, p.scenario.horizon_months
    size = min(block_size * STORED_BLOCKS, worlds)
    writer = ResultWriter(claim.work, scenario, seed, worlds, size, p, assumptions)
    buffer = allocate(p, horizon, size)
    with _simulating(worlds * horizon, progress) as bar:
        for first, count in blocks(worlds, size):
            part = {k: v[:, :count] for k, v in buffer.items()}
            fill(scenario, seed, first, part, block_size, bar.update, p, assumptions)
            writer.write_block(first, part)
    res = Results(writer.open(), scenario, timings=_timings(started), params=p)
    folder = writer.finish(res, claim, write_plots(res, claim.work))
    return open_run(folder, verify_data=False, timings=res.timings, params=p)  # just written


def _timings(started: float) -> dict:
    finished = time.time()
    return {"started": started, "finished": finished, "seconds": finished - started}


def _simulating(total: int, enabled: bool):
    """A bar of world-months simulated, gone when the run ends."""
    return progress_bar(total, enabled, " world-months", "simulating", unit_scale=True, leave=False)
