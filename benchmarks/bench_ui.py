"""Browser app latency: from a lever change to the chart updated, in a real Chromium.

    python benchmarks/bench_ui.py [--quick] [--changes N] [--json PATH]

Starts the app (as `sim ui` does, assets from disk only), opens it in Debian's Chromium
(playwright), waits for the first full ensemble, then moves a policy lever one step at a time
(the Russian security engagement slider, alternately up and down) and measures, for each move,
the time until the browser has drawn the influence chart of the 100-world preview (plotly.js,
viz/plot.py: the chart's revision changes once drawn) and until the 500-world ensemble is
drawn. Prints the median, lowest and highest of each over the moves.
Targets: the preview under 0.15 s and the full ensemble under 0.5 s, a tool that follows the
hand (docs/performance.md).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

from figures import write_figures  # benchmarks/figures.py, beside this script

from viz.server import running_app

LAUNCH = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
CHART = ".chart-influence .js-plotly-plot"  # its data-revision: the figure drawn
FULL = "document.querySelector('.status')?.textContent.includes('full ensemble')"


def chart_changed(page, before: str) -> None:
    page.wait_for_function(
        "([sel, before]) => { const p = document.querySelector(sel);"
        " return p && p.dataset.revision && p.dataset.revision !== before; }",
        arg=[CHART, before],
        timeout=60_000,
        polling=10,
    )


def measure(page, changes: int) -> tuple[list[float], list[float]]:
    """(seconds to the preview, seconds to the full ensemble) of each lever move."""
    slider = page.locator(".lever-russia_security [role=slider]")
    preview, full = [], []
    for k in range(changes):
        page.wait_for_function(FULL, timeout=60_000)
        page.wait_for_timeout(300)  # the comparison after the full run finishes
        before = page.locator(CHART).get_attribute("data-revision")
        slider.focus()
        start = time.perf_counter()
        page.keyboard.press("ArrowRight" if k % 2 == 0 else "ArrowLeft")
        chart_changed(page, before)
        preview.append(time.perf_counter() - start)
        shown = page.locator(CHART).get_attribute("data-revision")
        chart_changed(page, shown)
        page.wait_for_function(FULL, timeout=60_000, polling=10)
        full.append(time.perf_counter() - start)
    return preview, full


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two moves, for a smoke test")
    parser.add_argument("--changes", type=int, default=9, help="lever moves measured")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    changes = 2 if args.quick else args.changes
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with running_app() as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=LAUNCH)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        preview, full = measure(page, changes)
        browser.close()
    figures = {}
    print(f"Lever change to chart updated, {changes} moves (median, lowest, highest):")
    for name, times, target in (("preview", preview, 0.15), ("full", full, 0.5)):
        median = statistics.median(times)
        figures[f"ui_{name}_s"] = median
        print(
            f"  {name:8s} {median:6.3f} s  ({min(times):.3f}-{max(times):.3f} s)"
            f"  target {target} s: {'met' if median < target else 'missed'}"
        )
    write_figures(args.json, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
