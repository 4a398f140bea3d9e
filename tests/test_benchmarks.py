"""The engine benchmark runs end to end in its quick mode (so it cannot rot); nothing about time
is asserted, only that every figure is printed and written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_engine.py"


def run_quick(script: Path, tmp_path: Path, *args: str):
    """A benchmark script in its quick mode: its output, and the figures it wrote."""
    out = tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, str(script), "--quick", *args, "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done, json.loads(out.read_text())


def test_bench_engine_quick_writes_every_figure(tmp_path):
    done, figures = run_quick(SCRIPT, tmp_path, "--repeats", "1")
    for key in (
        "ensemble_vs_loop_10",
        "ensemble_vs_batch_run_5",
        "world_months_per_s_100",
        "peak_rss_mb_200",
        "peak_rss_mb_stream_400",
        "stream_vs_memory_200",
        "stream_total_vs_memory_200",
        "bytes_per_world",
        "help_s",
        "run_default_s",
        "actors_s_more_actors",
        "drawn_vs_fixed_100",
    ):
        assert figures[key] > 0, key
    for line in (
        "single-world models in a loop",
        "mesa.batch_run",
        "written to a result folder",
        "Disk per world",
        "Peak memory",
        "sim --help",
        "drawing their assumptions",
    ):
        assert line in done.stdout


def test_bench_batch_quick_writes_every_figure(tmp_path):
    done, figures = run_quick(SCRIPT.with_name("bench_batch.py"), tmp_path)
    for key in (
        "pool_2_vs_1_400",
        "pool_2_vs_1_blocks_400",
        "dask_vs_pool_400",
        "worlds_per_s_1_worker_400",
        "sweep_vs_separate_folders_4",
        "sweep_vs_separate_memory_4",
    ):
        assert figures[key] > 0, key
    for line in ("2 workers", "Dask, 2 workers", "separate runs, a folder each"):
        assert line in done.stdout


def test_bench_ui_quick_writes_every_figure(tmp_path):
    done, figures = run_quick(SCRIPT.with_name("bench_ui.py"), tmp_path)
    assert figures["ui_preview_s"] > 0
    assert figures["ui_full_s"] > figures["ui_preview_s"]  # the full chart comes after
    assert "Lever change to chart updated" in done.stdout


def test_bench_compare_runs_a_checkout_against_itself(tmp_path):
    """The side-by-side comparison prints both speeds and their ratio (here of one checkout
    against itself), and refuses a folder that is not a checkout."""
    script = SCRIPT.parent / "bench_compare.py"
    root = SCRIPT.parents[1]
    done = subprocess.run(
        [sys.executable, str(script), "--against", str(root), "--worlds", "20", "--repeats", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "world-months/s" in done.stdout and "ratio this / other:" in done.stdout
    refused = subprocess.run(
        [sys.executable, str(script), "--against", str(tmp_path)], capture_output=True, text=True
    )
    assert refused.returncode == 2 and "is not a checkout" in refused.stderr


def test_probe_behaviour_prints_every_probe():
    """The behaviour probes run end to end (few worlds: the figures mean little here)."""
    script = SCRIPT.parent / "probe_behaviour.py"
    done = subprocess.run(
        [sys.executable, str(script), "--worlds", "20"], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    for line in (
        "Torkham shut for 2026: others supply",
        "Russia at its budget",
        "Host openness to Russia in 2030",
        "US sanctions in 2028",
        "Crocus: Russia's security engagement raised by",
        "Attack in Tajikistan",
        "Restoring US aid and easing sanctions",
        "Russia-Afghanistan trade",
        "A year after a 3-month Termez closure",
    ):
        assert line in done.stdout, line
