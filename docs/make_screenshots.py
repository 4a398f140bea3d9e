"""Take the screenshots of the browser app in docs/img/app/ (`make screenshots`).

Starts the app as `sim ui` does (viz.server.running_app, as the browser tests do: local assets
only), opens each view in Debian's Chromium through playwright, waits until the full ensemble
and the view's charts are drawn, and saves the window (1400 x 1000 pixels).

A screenshot is not byte-stable (fonts, antialiasing, the browser's version), so it is compared
by provenance, never by bytes: each is recorded in docs/generated.json with what it shows
(the scenarios, the model, the package and the app's code; docs/provenance.py) and is taken
again only when one of those changed (`--force` takes it anyway). Name views to take only those.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import provenance

ROOT = provenance.ROOT
IMAGES = ROOT / "docs" / "img" / "app"
COMMAND = "make screenshots"
CODE = ("code:docs/make_screenshots.py", "code:viz", "code:sim")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
SIZE = {"width": 1400, "height": 1000}
WAIT = 180_000  # ms: a full ensemble on a busy machine


def full(page) -> None:
    """Wait until the full ensemble (and any comparison) is shown."""
    page.wait_for_function(
        "document.querySelector('.status')?.textContent.includes('full ensemble')", timeout=WAIT
    )


def drawn(page, *charts: str) -> None:
    """Wait until plotly.js has drawn each chart in the browser (viz/plot.py marks it with the
    revision of its figure), at a real size."""
    for chart in charts:
        page.wait_for_function(
            "sel => { const s = document.querySelector(sel);"
            " return s && s.getBoundingClientRect().width > 200"
            " && s.getBoundingClientRect().height > 100; }",
            arg=f".chart-{chart} .js-plotly-plot[data-revision] svg.main-svg",
            timeout=WAIT,
        )


def tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def ensemble(page) -> None:
    drawn(page, "influence", "why")


def one_world(page) -> None:
    tab(page, "One world")
    step = page.get_by_role("button", name="Step")
    for month in range(1, 13):  # a year, month by month
        step.click()
        page.wait_for_function(
            f"document.querySelector('.world-month')?.textContent.startsWith('Month {month} ')",
            timeout=WAIT,
        )
    drawn(page, "world-influence")


def compare(page) -> None:
    tab(page, "Compare")
    page.locator(".compare-text").wait_for(timeout=WAIT)
    drawn(page, "difference", "compare-why")


def regional_map(page) -> None:
    tab(page, "Map")
    drawn(page, "map")


@dataclass(frozen=True)
class View:
    """One screenshot: the app's link (its query), what to do before it, the scenarios shown."""

    query: str
    show: Callable
    scenarios: tuple[str, ...] = ("baseline",)


VIEWS = {
    "ensemble": View("v.russia_security=0.3", ensemble),
    "one_world": View("", one_world),
    "compare": View("v.russia_security=1&against=baseline", compare),
    "map": View("preset=termez_closure&month=35", regional_map, ("baseline", "termez_closure")),
}


def used(view: View) -> dict[str, str]:
    scenarios = [f"scenario:scenarios/{name}.yaml" for name in view.scenarios]
    return provenance.inputs(*scenarios, *CODE)


def key(name: str) -> str:
    return (IMAGES / f"{name}.png").relative_to(ROOT).as_posix()


def take(names: list[str]) -> None:
    """Start the app and save the screenshots of the views `names`."""
    from playwright import sync_api as playwright

    from viz.server import running_app

    if not Path(CHROMIUM).exists():
        raise SystemExit("Debian's chromium is needed: apt-get install chromium")
    IMAGES.mkdir(parents=True, exist_ok=True)
    log = ROOT / "out" / "screenshots.log"
    log.parent.mkdir(exist_ok=True)
    with running_app(log=log) as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH)
        try:
            for name in names:
                view = VIEWS[name]
                context = browser.new_context(viewport=SIZE)
                page = context.new_page()
                page.goto(url + (f"?{view.query}" if view.query else ""))
                full(page)
                view.show(page)
                page.wait_for_timeout(1000)  # let a tab's slide transition end
                page.screenshot(path=IMAGES / f"{name}.png")
                context.close()
                print(f"{key(name)} taken")
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"views to take: {', '.join(VIEWS)} (all)")
    parser.add_argument("--force", action="store_true", help="take even if nothing changed")
    args = parser.parse_args(argv)
    if unknown := set(args.names) - set(VIEWS):
        parser.error(f"unknown views {sorted(unknown)}; known: {', '.join(VIEWS)}")
    names = args.names or list(VIEWS)
    wanted = [n for n in names if args.force or not provenance.fresh(key(n), used(VIEWS[n]))]
    for name in sorted(set(names) - set(wanted)):
        print(f"{key(name)} is up to date (nothing it shows changed)")
    if wanted:
        take(wanted)
        made = {key(name): used(VIEWS[name]) for name in wanted}
        provenance.Registry().record(COMMAND, made, replace=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
