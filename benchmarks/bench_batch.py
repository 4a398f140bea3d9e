"""Batch benchmark: `sim batch` on one worker, two workers and a Dask cluster, and a sweep
run as one batch against the same points as separate runs.

    python benchmarks/bench_batch.py [--quick] [--json PATH]

Prints, for the baseline scenario over its full horizon: the wall time of a batch of
`pool_worlds` worlds with 1 worker and with 2 worker processes, and on a Dask LocalCluster of 2
single-threaded worker processes (each from the call to its results on disk, process start,
summary and plots included), as ratios taken in this run; and for a 64-point Latin-hypercube
sweep of 100 worlds each, the batch against 64 separate `sim.run` calls writing a result folder
each (as 64 `sim run` commands would, without their process starts) and against 64 separate
runs kept in memory. Every worker count runs in the same conditions, one after the other;
`--quick` uses small sizes (a smoke test; its figures mean little).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from figures import write_figures  # benchmarks/figures.py, beside this script

HERE = Path(__file__).resolve().parent
BASELINE = HERE.parent / "scenarios" / "baseline.yaml"
FULL = {"pool_worlds": 20_000, "sweep_points": 64, "sweep_worlds": 100, "months": None}
QUICK = {"pool_worlds": 400, "sweep_points": 4, "sweep_worlds": 10, "months": 24}


def timed(task) -> float:
    return timed_batch(task)[0]


def timed_batch(task) -> tuple[float, float]:
    """Wall time of task(), and the seconds its batch spent on blocks (if it ran one)."""
    start = time.perf_counter()
    report = task()
    if report is not None and not report.ok:
        raise SystemExit(f"the batch failed: {report.failed_files} {report.failed_blocks}")
    return time.perf_counter() - start, getattr(report, "block_seconds", 0.0)


def scenario_file(folder: Path, name: str, months: int | None, sweep: str = "") -> Path:
    """An overlay on the baseline (a shorter horizon in quick mode, a sweep if given)."""
    path = folder / f"{name}.yaml"
    text = f"extends: {BASELINE}\nname: {name}\n"
    text += f"horizon_months: {months}\n" if months else ""
    path.write_text(text + sweep)
    return path


def bench_executors(sizes: dict, work: Path) -> dict:
    from distributed import LocalCluster

    from sim.batch.batch import run_batch

    file = scenario_file(work, "pool", sizes["months"])
    worlds = sizes["pool_worlds"]
    one, one_blocks = timed_batch(lambda: run_batch([file], work / "one", worlds=worlds, workers=1))
    two, two_blocks = timed_batch(lambda: run_batch([file], work / "two", worlds=worlds, workers=2))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster:
        address = cluster.scheduler_address
        dask, dask_blocks = timed_batch(
            lambda: run_batch([file], work / "dask", worlds=worlds, scheduler=address)
        )
    print(f"Batch of {worlds:,} baseline worlds: wall time (process start, summary and plots")
    print("included), then the time from the first block handed out to the last one written:")
    for name, total, blocks in (
        ("1 worker", one, one_blocks),
        ("2 workers", two, two_blocks),
        ("Dask, 2 workers", dask, dask_blocks),
    ):
        print(
            f"  {name:<16}{total:7.1f} s {one / total:5.2f}x   blocks {blocks:6.1f} s "
            f"{worlds / blocks:7,.0f} worlds/s {one_blocks / blocks:5.2f}x"
        )
    print(f"  Dask against the process pool: {two / dask:.2f} of its speed")
    return {
        f"pool_2_vs_1_{worlds}": one / two,
        f"pool_2_vs_1_blocks_{worlds}": one_blocks / two_blocks,
        f"dask_vs_pool_{worlds}": two / dask,
        f"worlds_per_s_1_worker_{worlds}": worlds / one,
    }


def bench_sweep(sizes: dict, work: Path) -> dict:
    import sim
    from sim.batch.batch import plan_runs, run_batch

    points, worlds = sizes["sweep_points"], sizes["sweep_worlds"]
    sweep = (
        f"sweep: {{sample: latin_hypercube, points: {points}, seed: 1, worlds: {worlds}, "
        "over: [us_aid, us_sanctions, russia_security]}\n"
    )
    file = scenario_file(work, "sweep", sizes["months"], sweep)
    runs, failed = plan_runs([file])
    assert not failed, failed
    batch = timed(lambda: run_batch([file], work / "sweep-batch"))

    def separate(to_disk: bool) -> None:
        for run in runs:
            out = work / f"sweep-{run.point}" if to_disk else None
            sim.run(run.scenario, worlds=worlds, out=out)

    folders = timed(lambda: separate(to_disk=True))
    memory = timed(lambda: separate(to_disk=False))
    print(f"\nSweep of {points} Latin-hypercube points x {worlds} worlds:")
    print(f"  one batch (all cores)          {batch:7.1f} s")
    print(
        f"  separate runs, a folder each   {folders:7.1f} s  batch {folders / batch:5.2f}x faster"
    )
    print(f"  separate runs in memory        {memory:7.1f} s  batch {memory / batch:5.2f}x faster")
    return {
        f"sweep_vs_separate_folders_{points}": folders / batch,
        f"sweep_vs_separate_memory_{points}": memory / batch,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        figures = {**bench_executors(sizes, Path(tmp)), **bench_sweep(sizes, Path(tmp))}
    write_figures(args.json, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
