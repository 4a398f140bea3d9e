"""The page's computations: an ensemble run in two steps (a quick preview, then the full
ensemble) in worker processes beside the server (viz.workers), stopped as soon as a newer change
supersedes it; the paired comparison behind the page's text; results as files to download.
Nothing here knows Solara.

The preview is worlds 0..99 and the full run adds worlds 100.. to it: every draw is a function
of (seed, world, month, stream), so the full ensemble's first worlds are the preview's worlds,
and the preview's work is not done twice.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import yaml
from threadpoolctl import threadpool_limits

from sim.analysis.compare import Comparison
from sim.analysis.effects import effect_sentence, legend
from sim.analysis.report import report_html
from sim.batch.runner import check_run
from sim.core.params import compile_scenario
from sim.results.dataset import Results, build_dataset
from sim.results.export import write_netcdf
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario
from sim.scenario.vocab import DEFAULT_ASSUMPTIONS
from viz.workers import FULL_SLICES, WORKERS, SharedRecord, simulate

# One BLAS thread for the server process, set once: the cores are for the workers, and the
# server's own sums (comparisons, rankings), on one thread, do not depend on how many it has.
_ONE_BLAS_THREAD = threadpool_limits(limits=1, user_api="blas")


@functools.lru_cache(maxsize=32)
def preset(name: str) -> Scenario:
    """A shipped scenario, parsed once per process (Scenario is frozen: safe to share)."""
    return load_scenario(name)


def ensemble(
    scenario: Scenario,
    worlds: int,
    seed: int,
    preview: int,
    current: Callable[[], bool] = lambda: True,
    assumptions: str = DEFAULT_ASSUMPTIONS,
) -> Iterator[Results]:
    """Yield Results of the first `preview` worlds, then of all `worlds` (if more), with the
    assumptions drawn per world or fixed, simulated by the workers into one shared record.
    Raises Superseded, the workers stopped, as soon as `current()` turns false."""
    check_run(scenario, worlds, seed, in_memory=True, assumptions=assumptions)
    p = compile_scenario(scenario)
    record = SharedRecord(p, scenario.horizon_months, worlds)
    try:
        done = 0
        for part in sorted({min(preview, worlds), worlds}):
            slices = WORKERS if done == 0 else FULL_SLICES
            simulate(record, scenario, seed, range(done, part), assumptions, current, slices)
            done = part
            recorded = {k: v[:, :done] for k, v in record.arrays.items()}
            yield Results(build_dataset(scenario, recorded, seed, params=p,
                                        assumptions=assumptions))  # fmt: skip
    finally:
        record.unlink()  # the Results yielded keep their memory


def run_ensemble(
    scenario: Scenario, worlds: int, seed: int, assumptions: str = DEFAULT_ASSUMPTIONS
) -> Results:
    """The full ensemble at once (the baseline and the run compared against)."""
    *_, last = ensemble(scenario, worlds, seed, preview=worlds, assumptions=assumptions)
    return last


def first_worlds(res: Results, worlds: int) -> Results:
    """The run's first `worlds` worlds (paired with a preview of that size)."""
    if res.worlds == worlds:
        return res
    return Results(res.dataset.isel(world=slice(0, worlds)), res.scenario)


def paired(a: Results, b: Results) -> Comparison:
    """a minus b over the worlds both have (b may hold more: a preview against a full run)."""
    return Comparison(a, first_worlds(b, a.worlds))


def influence_csv(res: Results) -> bytes:
    """5%, 50% and 95% quantiles of influence per month, power and state, as CSV."""
    return res.quantiles("influence").to_csv(index=False, float_format="%.5f").encode()


def dataset_netcdf(res: Results) -> bytes:
    """Every recorded series of every world as one NetCDF file (written in a temporary
    folder, which is removed)."""
    with tempfile.TemporaryDirectory(prefix="sim-ui-") as folder:
        return write_netcdf(res.dataset, Path(folder) / "results.nc").read_bytes()


def brief_html(versus_baseline: Comparison) -> bytes:
    """The brief of the run shown (sim.analysis.report, as `sim report` writes it): against the
    baseline, unless the run is the baseline itself."""
    itself = versus_baseline.a.scenario.content_hash() == versus_baseline.b.scenario.content_hash()
    return report_html(versus_baseline.a if itself else versus_baseline).encode()


def scenario_yaml(scenario: Scenario) -> bytes:
    """The scenario as a YAML file that `sim run` accepts unchanged and runs identically (the
    moved levers' reference values included, so the start balance is the same)."""
    header = (
        f"# {scenario.name}: written by the regional influence simulator's browser app\n"
        f"# run it with: sim run {scenario.name}.yaml\n"
    )
    body = yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
    return (header + body).encode()


def headline(comparison: Comparison, state: str) -> list[str]:
    """Sentences saying, from the numbers, how each holder's influence over `state` moves
    against the run compared with at the last month, leading with the share of worlds where it
    rises, then its mean, its spread across worlds and its size against the level
    (sim.analysis.effects), the largest gain first, and what the numbers are."""
    last = comparison.effects(state)
    name_a, name_b = comparison.a.scenario.name, comparison.b.scenario.name
    date = f"{np.datetime64(last.date.iloc[0], 'M')}"
    if not comparison.table.difference.any():
        return [f"{name_a} gives the same influence as {name_b} in every world and month."]
    lines = [
        f"{effect_sentence(row, f' over {state} by {date}')}."
        for row in last.sort_values("difference", ascending=False).itertuples()
    ]
    head = f"{name_a} against {name_b}, paired over {comparison.a.worlds} worlds:"
    return [head, *lines, legend(comparison.confidence, comparison.a, comparison.b)]
