"""Engine speed of this checkout against another, side by side in one run.

    python benchmarks/bench_compare.py --against DIR [--worlds N] [--repeats N]

Runs the baseline scenario of each checkout (its own code and its own baseline) over its full
horizon with N worlds in one process at a time, alternating between the two checkouts so that
both see the same machine load, on one core. Prints world-months per second of each (median of
the repeats) and their ratio: absolute figures on shared machines vary by 2x from day to day,
ratios taken in one run do not. Use it to check that a model change keeps the engine fast, e.g.
against a `git worktree` of the commit before the change.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]

# One timed run in a fresh interpreter: the checkout's baseline, N worlds, full horizon.
PROBE = """
import json, sys, time
from sim.batch.runner import run_block
from sim.scenario.loading import load_scenario
scenario = load_scenario("baseline")
worlds = int(sys.argv[1])
run_block(scenario, scenario.seed, first=0, count=10)  # warm up imports and caches
start = time.perf_counter()
run_block(scenario, scenario.seed, first=0, count=worlds)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "world_months": worlds * scenario.horizon_months}))
"""


def timed(checkout: Path, worlds: int) -> float:
    """World-months per second of one run of `checkout`'s engine."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    env.update({k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(worlds)],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return figures["world_months"] / figures["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path, required=True, help="the other checkout")
    parser.add_argument("--worlds", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    other = args.against.resolve()
    if not (other / "sim" / "__init__.py").is_file():
        parser.error(f"{other} is not a checkout of this project (no sim/__init__.py)")
    speeds: dict[str, list[float]] = {"this": [], "other": []}
    for _ in range(args.repeats):
        speeds["this"].append(timed(HERE, args.worlds))
        speeds["other"].append(timed(other, args.worlds))
    this, that = (statistics.median(speeds[k]) for k in ("this", "other"))
    print(f"baseline, {args.worlds:,} worlds, full horizon, one core, median of {args.repeats}:")
    print(f"  this checkout ({HERE}): {this:,.0f} world-months/s")
    print(f"  other ({other}): {that:,.0f} world-months/s")
    print(f"  ratio this / other: {this / that:.2f}")


if __name__ == "__main__":
    main()
