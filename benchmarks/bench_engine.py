"""Engine benchmark: the ensemble against a per-world Mesa loop and mesa.batch_run.

    python benchmarks/bench_engine.py [--quick] [--repeats N] [--json PATH]

Prints, for the baseline scenario over its full horizon, on one core: world-months per second
of the ensemble at several sizes; the same worlds as separate single-world models in a loop and
through mesa.batch_run, with ratios taken pair by pair in this run; a run written to a result
folder (Zarr, block by block) against the same run in memory, and its disk per world; peak
resident memory with every series in memory, and streamed to a result folder; cost against
horizon and number of actors; and the time of `sim --help` and of `sim run` end to end. Every
figure is the median of `--repeats` runs. `--quick` uses small sizes (a smoke test; its figures
mean little).
"""

from __future__ import annotations

import argparse
import inspect
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from figures import write_figures  # benchmarks/figures.py, beside this script

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core; numpy (imported later) reads these

HERE = Path(__file__).resolve().parent
SEED = 20240101
FULL = {
    "ensemble_worlds": [1, 100, 1000, 10_000],
    "drawn_worlds": 1000,
    "loop_worlds": 1000,
    "batch_run_worlds": 100,
    "memory_worlds": 10_000,
    "stream_worlds": 100_000,
    "scaling_worlds": 1000,
    "horizons": [60, 132, 264],
}
QUICK = {
    "ensemble_worlds": [1, 10, 100],
    "drawn_worlds": 100,
    "loop_worlds": 10,
    "batch_run_worlds": 5,
    "memory_worlds": 200,
    "stream_worlds": 400,
    "scaling_worlds": 20,
    "horizons": [12, 24],
}


def median_seconds(task, repeats: int) -> float:
    """Median wall time of `repeats` calls of task()."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        task()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def ensemble(scenario, worlds: int, assumptions: str = "drawn"):
    from sim.batch.runner import run

    return lambda: run(scenario, worlds=worlds, seed=SEED, assumptions=assumptions)


def drawn_against_fixed(scenario, worlds: int, repeats: int) -> tuple[float, float]:
    """Median seconds of a drawn and a fixed run of `worlds` worlds, taken in turns so that
    both meet the same load of the machine."""
    drawn, fixed = [], []
    for _ in range(repeats):
        drawn.append(median_seconds(ensemble(scenario, worlds, "drawn"), 1))
        fixed.append(median_seconds(ensemble(scenario, worlds, "fixed"), 1))
    return statistics.median(drawn), statistics.median(fixed)


def per_world_loop(scenario, worlds: int):
    """The ordinary Mesa way: one single-world model per world, stepped to its end."""
    from sim.model import RegionalInfluenceModel

    def task():
        for world in range(worlds):
            model = RegionalInfluenceModel(scenario, worlds=1, seed=SEED, first_world=world)
            model.run()

    return task


def batch_run(scenario, runs: int):
    """mesa.batch_run over `runs` seeds, one process, collecting the DataCollector."""
    import mesa

    from sim.model import RegionalInfluenceModel

    seeds = list(range(SEED, SEED + runs))
    options = {"iterations": 1, "max_steps": scenario.horizon_months, "number_processes": 1}
    parameters = {"scenario": [scenario]}
    if "rng" in inspect.signature(mesa.batch_run).parameters:  # mesa >= 3.5
        options["rng"] = seeds
    else:  # mesa 3.3: the seed goes in as a parameter
        parameters["rng"] = seeds

    def task():
        rows = mesa.batch_run(RegionalInfluenceModel, parameters, display_progress=False, **options)
        assert len(rows) >= runs, "batch_run returned fewer rows than runs"

    return task


# Peak resident memory of this process image, from /proc (VmHWM). Not ru_maxrss: on Linux a
# child started from a large parent inherits the parent's high-water mark in ru_maxrss.
PEAK_RSS_KB_SOURCE = (
    "def peak_rss_kb():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    "            return int(line.split()[1])\n"
    "    import resource\n"
    "    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
)


def peak_rss_mb(worlds: int, stream: bool) -> float:
    """Peak resident memory of a fresh process running `worlds` baseline worlds."""
    with tempfile.TemporaryDirectory() as tmp:
        code = (
            PEAK_RSS_KB_SOURCE + "from sim import load_scenario\n"
            "from sim.batch.runner import run\n"
            f"res = run(load_scenario('baseline'), worlds={worlds}, seed={SEED}, "
            f"out={str(Path(tmp) / 'out')!r} if {stream} else None)\n"
            "print(peak_rss_kb())\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
    return int(done.stdout.split()[-1]) / 1024


def stream_against_memory(scenario, worlds: int, repeats: int):
    """Median seconds of the run in memory, of simulating and writing the same run to a result
    folder (its timings), of the whole run to a folder (with summary, plots, manifest), and the
    bytes of its store. The two kinds of run alternate, so that a machine that slows down or
    speeds up during the measurement affects both alike."""
    from sim.batch.runner import run

    memory, phases, totals = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for attempt in range(repeats):
            memory.append(median_seconds(ensemble(scenario, worlds), 1))
            folder = Path(tmp) / f"run{attempt}"
            start = time.perf_counter()
            res = run(scenario, worlds=worlds, seed=SEED, out=folder)
            totals.append(time.perf_counter() - start)
            phases.append(res.timings["seconds"])
        store = folder / "series.zarr"
        size = sum(p.stat().st_size for p in store.rglob("*") if p.is_file())
    median = statistics.median
    return median(memory), median(phases), median(totals), size


def command_seconds(args: list[str], repeats: int) -> float:
    sim = [sys.executable, "-m", "sim"]
    return median_seconds(
        lambda: subprocess.run([*sim, *args], capture_output=True, check=True), repeats
    )


def measure(sizes: dict, repeats: int, say) -> dict:
    from sim.scenario.loading import load_scenario

    base = load_scenario("baseline")
    months = base.horizon_months
    out: dict = {"scenario": base.name, "months": months, "repeats": repeats, "sizes": sizes}

    say(f"Ensemble, one core, baseline over {months} months:")
    for worlds in sizes["ensemble_worlds"]:
        seconds = median_seconds(ensemble(base, worlds), repeats)
        rate = worlds * months / seconds
        out[f"ensemble_s_{worlds}"] = seconds
        out[f"world_months_per_s_{worlds}"] = rate
        say(f"  {worlds:>7,} worlds  {seconds:8.3f} s  {rate:>12,.0f} world-months/s")

    n = sizes["drawn_worlds"]
    drawn_s, fixed_s = drawn_against_fixed(base, n, repeats)
    out[f"drawn_vs_fixed_{n}"] = fixed_s / drawn_s
    say(
        f"{n:,} worlds drawing their assumptions: {drawn_s:.3f} s against {fixed_s:.3f} s with "
        f"them fixed: {fixed_s / drawn_s:.2f} of the fixed throughput"
    )

    for key, make_task, what in (
        ("loop", per_world_loop, "{n:,} worlds as {n:,} single-world models in a loop"),
        ("batch_run", batch_run, "{n} runs through mesa.batch_run (one process)"),
    ):
        n = sizes[f"{key}_worlds"]
        slow = median_seconds(make_task(base, n), max(1, repeats // 2))
        fast = median_seconds(ensemble(base, n), repeats)
        out[f"{key}_s_{n}"], out[f"ensemble_vs_{key}_{n}"] = slow, slow / fast
        say(
            f"{what.format(n=n)}: {slow:.2f} s; ensemble of {n:,} worlds {fast:.3f} s; "
            f"ratio {slow / fast:.0f}x"
        )

    n = sizes["memory_worlds"]
    memory_s, stream_s, total_s, size = stream_against_memory(base, n, repeats)
    out[f"stream_vs_memory_{n}"] = memory_s / stream_s
    out[f"stream_total_vs_memory_{n}"] = memory_s / total_s
    out["bytes_per_world"] = size / n
    say(
        f"{n:,} worlds written to a result folder: simulating and writing {stream_s:.2f} s "
        f"against {memory_s:.2f} s in memory: {memory_s / stream_s:.0%} of the in-memory "
        f"throughput ({memory_s / total_s:.0%} with summary, plots and manifest, {total_s:.2f} s)"
    )
    say(f"Disk per world (series.zarr): {size / n / 1e3:,.1f} kB")
    out[f"peak_rss_mb_{n}"] = peak_rss_mb(n, stream=False)
    say(f"Peak memory, {n:,} worlds, all series in memory: {out[f'peak_rss_mb_{n}']:,.0f} MB")
    n = sizes["stream_worlds"]
    out[f"peak_rss_mb_stream_{n}"] = peak_rss_mb(n, stream=True)
    say(f"Peak memory, {n:,} worlds streamed to disk: {out[f'peak_rss_mb_stream_{n}']:,.0f} MB")

    n = sizes["scaling_worlds"]
    say(f"Cost against horizon ({n:,} worlds):")
    for horizon in sizes["horizons"]:
        seconds = median_seconds(ensemble(base.replace(horizon_months=horizon), n), repeats)
        out[f"horizon_s_{horizon}"] = seconds
        say(f"  {horizon:>4} months  {seconds:7.3f} s  {seconds / horizon * 1e3:6.2f} ms/month")

    say(f"Cost against actors ({n:,} worlds, {months} months):")
    more = load_scenario(HERE / "more_actors.yaml")
    for label, scenario in (("baseline", base), ("more_actors", more)):
        seconds = median_seconds(ensemble(scenario, n), repeats)
        shape = f"{len(scenario.actors)} actors, {len(scenario.trade)} flows"
        out[f"actors_s_{label}"] = seconds
        say(f"  {label:<12} {shape:<22} {seconds:7.3f} s")

    out["help_s"] = command_seconds(["--help"], max(3, repeats))
    say(f"`sim --help`: {out['help_s']:.3f} s")
    with tempfile.TemporaryDirectory() as tmp:
        args = ["run", "baseline", "--out", str(Path(tmp) / "out"), "--force", "--no-progress"]
        if sizes is QUICK:
            args += ["--worlds", "20", "--months", "24"]
        out["run_default_s"] = command_seconds(args, repeats)
    say(
        f"`sim run baseline` ({'small' if sizes is QUICK else 'default worlds'}), end to end: "
        f"{out['run_default_s']:.2f} s"
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--repeats", type=int, default=3, help="repeats per figure (median)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)

    import mesa
    import numpy

    sizes = QUICK if args.quick else FULL
    print(
        f"bench_engine on Python {sys.version.split()[0]}, mesa {mesa.__version__}, "
        f"numpy {numpy.__version__}, {os.cpu_count()} CPUs (one used)",
        flush=True,
    )
    figures = measure(sizes, max(1, args.repeats), lambda line: print(line, flush=True))
    figures["python"], figures["mesa"] = sys.version.split()[0], mesa.__version__
    write_figures(args.json, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
