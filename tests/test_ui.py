"""The browser app as a user sees it: the real server (`python -m viz`, what `sim ui` runs) with
no CDN reachable, driven in Debian's Chromium by playwright. Screenshots go to
out/test-artifacts/ui/ for a person to look at.

Charts are drawn in the browser by plotly.js (viz/plot.py): they are checked by what the browser
drew (the chart's SVG, and the revision of the figure drawn, a digest of its numbers), never by
a text alone.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest
from playwright import sync_api as playwright

from sim import run
from sim.analysis.compare import Comparison
from viz.ensemble import headline, preset
from viz.server import running_server
from viz.view import scenario_of, view_from_query

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "out" / "test-artifacts" / "ui"
LAUNCH = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
WAIT = 90_000  # ms: five sessions computing at once on two cores


@pytest.fixture(scope="module")
def server():
    """The app's URL and its server process."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is needed for the browser tests: apt-get install chromium")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with running_server(log=ARTIFACTS / "server.log") as running:
        yield running


@pytest.fixture(scope="module")
def app_url(server):
    return server[0]


@pytest.fixture(scope="module")
def browser(app_url):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH)
        yield browser
        browser.close()


class Watched:
    """A page with its page errors, failed requests and every request it made recorded."""

    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.requests: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on(
            "response",
            lambda r: self.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        self.page.on("requestfailed", lambda r: self.failed.append(f"failed {r.url}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("websocket", lambda ws: self.requests.append(ws.url))
        self.page.goto(url)

    def full(self) -> None:
        """Wait until the full ensemble (and its comparison) is shown."""
        self.page.wait_for_function(
            "document.querySelector('.status')?.textContent.includes('full ensemble')",
            timeout=WAIT,
        )

    def revision(self, chart: str) -> str:
        """Which figure the chart shows (a digest of its numbers), once plotly.js drew it."""
        plot = self.page.locator(f".chart-{chart} .js-plotly-plot[data-revision]").first
        plot.wait_for(timeout=WAIT)
        return plot.get_attribute("data-revision")

    def drawn(self, chart: str) -> bool:
        """The chart is drawn in the browser: plotly's SVG with a real size, and no image."""
        self.revision(chart)
        self.page.wait_for_function(
            "sel => { const s = document.querySelector(sel);"
            " return s && s.getBoundingClientRect().width > 200"
            " && s.getBoundingClientRect().height > 100; }",
            arg=f".chart-{chart} svg.main-svg",
            timeout=WAIT,
        )
        assert self.page.locator(f".chart-{chart} img").count() == 0
        return True

    def changed(self, chart: str, before: str) -> str:
        self.page.wait_for_function(
            "([sel, before]) => { const p = document.querySelector(sel);"
            " return p && p.dataset.revision && p.dataset.revision !== before; }",
            arg=[f".chart-{chart} .js-plotly-plot", before],
            timeout=WAIT,
        )
        return self.revision(chart)

    def tab(self, name: str) -> None:
        self.page.get_by_role("tab", name=name).click()

    def shot(self, name: str) -> None:
        self.page.wait_for_timeout(800)  # let a tab's slide transition end
        self.page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def watched(browser, app_url):
    pages = []

    def open_page(query: str = "") -> Watched:
        pages.append(Watched(browser, app_url + (f"?{query}" if query else "")))
        return pages[-1]

    yield open_page
    for page in pages:
        page.close()


def test_page_loads_offline_with_no_failed_request_and_no_error(watched):
    w = watched()
    w.full()
    for chart in ("influence", "why", "heatmap", "threat", "trade"):
        assert w.drawn(chart), chart  # drawn by the browser from numbers, not an image
    w.shot("ensemble")
    assert w.errors == []
    assert w.failed == []


def local(url: str, app_url: str) -> bool:
    """A request to the app's own server, or to nowhere (a blob or data URL)."""
    parts, app = urlsplit(url), urlsplit(app_url)
    return parts.scheme in ("blob", "data") or parts.netloc == app.netloc


def test_the_page_asks_nothing_of_any_server_but_its_own(watched, app_url):
    """Every request of the page, its websocket and the charts' plotly.js included, goes to the
    app's own server on localhost: through every tab, and while the charts are pointed at."""
    w = watched()
    w.full()
    w.drawn("influence")
    w.page.locator(".chart-influence .nsewdrag").first.hover()
    for name, chart in (("Compare", "difference"), ("Map", "map"), ("One world", None)):
        w.tab(name)
        if chart:
            assert w.drawn(chart)
    w.page.wait_for_timeout(500)
    assert any(url.endswith("/static/assets/plotly.min.js") for url in w.requests)
    assert sum("plotly.min.js" in url for url in w.requests) == 1, "loaded once for the page"
    outside = [url for url in w.requests if not local(url, app_url)]
    assert outside == [], outside
    assert w.errors == [] and w.failed == []


def hover_text(w: Watched, chart: str, showing: str) -> str:
    """The chart's hover label, once it shows `showing`."""
    w.page.wait_for_function(
        "([sel, text]) => document.querySelector(sel)?.textContent.includes(text)",
        arg=[f".chart-{chart} .hoverlayer", showing],
        timeout=WAIT,
    )
    return w.page.locator(f".chart-{chart} .hoverlayer").text_content()


def test_pointing_at_the_influence_chart_reads_values_bands_dates_and_events(watched):
    """Over the plot: the month pointed at, and each holder's median with its 5-95% band and
    the baseline's median; over a scheduled event's marker, its label. A drag zooms and a
    double click resets."""
    w = watched("v.russia_security=0.3")
    w.full()
    w.drawn("influence")
    area = w.page.locator(".chart-influence .nsewdrag").first
    box = area.bounding_box()
    w.page.mouse.move(box["x"] + 0.6 * box["width"], box["y"] + 0.5 * box["height"])
    text = hover_text(w, "influence", "RUS ")
    assert re.search(r"20[23]\d-\d\d", text), text  # the month pointed at, as YYYY-MM
    assert re.search(r"RUS 0\.\d{3} \(5-95% 0\.\d{3} to 0\.\d{3}; baseline 0\.\d{3}\)", text)
    assert re.search(r"IRN 0\.\d{3} \(5-95%", text)  # a neighbour holding influence too
    w.shot("influence_hover")
    first = w.page.evaluate(
        "() => document.querySelector('.chart-influence .js-plotly-plot').data"
        ".find(t => t.name === 'scheduled events').customdata[0]"
    )
    assert first.startswith("1. ")
    events = w.page.locator(".chart-influence .scatterlayer .trace").last  # their markers
    point = events.locator("path.point").first.bounding_box()
    w.page.mouse.move(point["x"] + point["width"] / 2, box["y"] + 0.5 * box["height"])
    assert hover_text(w, "influence", first.split("<br>")[0])

    def x_range():
        return w.page.evaluate(
            "() => document.querySelector('.chart-influence .js-plotly-plot')"
            "._fullLayout.xaxis.range.map(String)"
        )

    whole = x_range()
    w.page.mouse.move(box["x"] + 0.3 * box["width"], box["y"] + 0.5 * box["height"])
    w.page.mouse.down()
    w.page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.5 * box["height"], steps=5)
    w.page.mouse.up()
    w.page.wait_for_timeout(300)
    zoomed = x_range()
    assert zoomed != whole and zoomed[0] > whole[0] and zoomed[1] < whole[1]
    w.page.mouse.dblclick(box["x"] + 0.5 * box["width"], box["y"] + 0.5 * box["height"])
    w.page.wait_for_timeout(300)
    assert x_range() == whole
    assert w.errors == [] and w.failed == []


def test_a_lever_change_redraws_the_chart_and_enters_the_link(watched):
    w = watched()
    w.full()
    before = w.revision("influence")
    slider = w.page.locator(".lever-russia_security [role=slider]")
    slider.focus()
    for _ in range(4):
        w.page.keyboard.press("ArrowRight")
    after = w.changed("influence", before)
    w.full()
    assert after != before
    assert "v.russia_security=0.3" in w.page.url
    assert "RUS gains" in w.page.locator(".headline").text_content()
    assert w.drawn("why")  # beside who gains, why: redrawn for the full ensemble
    w.shot("lever_moved")
    assert w.errors == [] and w.failed == []


def test_step_advances_the_month_and_the_chart(watched):
    w = watched()
    w.full()
    w.tab("One world")
    month = w.page.locator(".world-month")
    month.wait_for(timeout=WAIT)
    assert month.text_content().startswith("Month 0")
    step = w.page.get_by_role("button", name="Step")
    step.click()
    w.page.wait_for_function(
        "document.querySelector('.world-month').textContent.startsWith('Month 1 ')", timeout=WAIT
    )
    first = w.revision("world-influence")
    for _ in range(3):
        step.click()
    w.page.wait_for_function(
        "document.querySelector('.world-month').textContent.startsWith('Month 4 ')", timeout=WAIT
    )
    assert w.changed("world-influence", first) != first
    w.page.get_by_role("button", name="Play").click()
    w.page.wait_for_function(
        "parseInt(document.querySelector('.world-month').textContent.split(' ')[1]) >= 6",
        timeout=WAIT,
    )
    w.page.get_by_role("button", name="Pause").click()
    w.shot("one_world")
    w.page.get_by_role("button", name="Reset", exact=True).click()
    w.page.wait_for_function(
        "document.querySelector('.world-month').textContent.startsWith('Month 0 ')", timeout=WAIT
    )
    assert w.errors == []


def test_the_comparison_shows_the_paired_difference(watched):
    w = watched("v.russia_security=1&against=baseline")
    w.full()
    w.tab("Compare")
    text = w.page.locator(".compare-text")
    text.wait_for(timeout=WAIT)
    assert "RUS gains" in text.text_content()
    assert w.drawn("difference")
    assert w.drawn("compare-why")
    w.shot("compare")
    assert w.errors == []


def test_the_map_renders_and_follows_the_month(watched):
    w = watched("preset=termez_closure&month=35")  # 2026-12: Termez-Hairatan closed
    w.full()
    w.tab("Map")
    assert w.drawn("map")
    closed = w.revision("map")
    assert "termez_hairatan closed" in w.page.locator(".chart-map .js-plotly-plot").text_content()
    w.shot("map")
    w.page.goto(w.page.url.replace("month=35", "month=0"))
    w.full()
    w.tab("Map")
    assert w.drawn("map")
    assert w.revision("map") != closed
    assert "closed" not in w.page.locator(".chart-map .js-plotly-plot").text_content()
    assert w.errors == []


def test_an_invalid_upload_shows_its_message_and_a_valid_one_runs(watched):
    w = watched()
    w.full()
    picker = w.page.locator("input[type=file]")

    def upload(name: str, body: bytes) -> None:
        picker.set_input_files(files=[{"name": name, "mimeType": "text/yaml", "buffer": body}])

    upload("broken.yaml", b"name: [unclosed\n")
    error = w.page.locator(".upload-error")
    error.wait_for(timeout=WAIT)
    assert "broken.yaml" in error.text_content()
    assert "not valid YAML at line 2" in error.text_content()
    upload("wrong.yaml", b"extends: baseline\nname: wrong\nworlds: -3\n")
    w.page.wait_for_function(
        "document.querySelector('.upload-error')?.textContent.includes(\"field 'worlds'\")",
        timeout=WAIT,
    )
    w.shot("upload_error")
    upload("mine.yaml", b"extends: baseline\nname: mine\n")
    w.page.wait_for_function(
        "document.querySelector('.status').textContent.includes('mine: 500 worlds')",
        timeout=WAIT,
    )
    assert w.page.locator(".upload-error").count() == 0
    assert w.errors == []


def test_a_link_opens_with_its_levers_and_reports_bad_entries(watched):
    w = watched("v.us_aid=100&seed=7&worlds=200&state=TJK&v.nope=1&worlds=5")
    w.full()
    assert (
        "US aid to Afghanistan from 2025 (USD M/month): 100"
        in w.page.locator(".lever-us_aid").text_content()
    )
    assert "seed 7" in w.page.locator(".status").text_content()
    problems = w.page.locator(".link-problem").all_text_contents()
    assert any("nope" in p for p in problems)
    assert "influence over TJK" in w.page.locator(".headline").text_content()


def test_the_assumptions_switch_shows_ranges_or_sliders_and_enters_the_link(watched):
    """Drawn (the default): each assumption's range, no slider; fixed: a slider per assumption,
    the bands narrower (the dice alone); the link keeps the mode and reopens it."""
    w = watched()
    w.full()
    assert "assumptions drawn" in w.page.locator(".status").text_content()
    w.page.get_by_text("Uncertain assumptions").click()
    drawn_range = w.page.locator(".range-threat_memory")
    drawn_range.wait_for(timeout=WAIT)
    assert "0.65 to 0.9 (triangular)" in drawn_range.text_content()
    assert w.page.locator(".uncertainty-threat_memory").count() == 0
    before = w.revision("influence")
    w.page.locator(".assumptions-mode").get_by_text("fixed").click()
    w.page.locator(".uncertainty-threat_memory").wait_for(timeout=WAIT)
    w.changed("influence", before)
    w.full()
    assert "assumptions=fixed" in w.page.url
    status = w.page.locator(".status").text_content()
    assert "baseline: 500 worlds" in status, "opening the sliders moves no value"
    assert "assumptions fixed" in status
    w.shot("assumptions_fixed")
    again = watched("assumptions=fixed&v.threat_memory=0.7")
    again.full()
    again.page.get_by_text("Uncertain assumptions").click()
    assert "0.7" in again.page.locator(".uncertainty-threat_memory").text_content()
    assert w.errors == [] and w.failed == [] and again.errors == []


def test_an_out_of_range_number_shows_why_and_is_not_applied(watched):
    w = watched()
    w.full()
    worlds = w.page.locator(".input-worlds input")
    worlds.fill("100000000")  # no Enter: a typed number applies when typing pauses
    error = w.page.locator(".error-worlds")
    error.wait_for(timeout=WAIT)
    assert "outside the allowed range" in error.text_content()
    assert "500 worlds" in w.page.locator(".status").text_content()
    worlds.fill("200")  # a number in range applies, and the error goes
    w.page.wait_for_function(
        "document.querySelector('.status')?.textContent.includes('200 worlds')", timeout=WAIT
    )
    error.wait_for(state="detached", timeout=WAIT)


def test_five_sessions_at_once_each_get_their_own_results(browser, app_url):
    seeds = [11, 12, 13, 14, 15]
    pages = [Watched(browser, f"{app_url}?seed={s}&worlds=200") for s in seeds]
    try:
        for w in pages:  # all five were opened before any finished: they compute at once
            w.full()
        statuses = [w.page.locator(".status").text_content() for w in pages]
        drawn = [w.revision("influence") for w in pages]
        for seed, status in zip(seeds, statuses, strict=True):
            assert f"200 worlds, seed {seed}" in status
        assert len(set(drawn)) == len(drawn)  # five different ensembles, five figures
        pages[0].shot("five_sessions_first")
    finally:
        for w in pages:
            w.close()


def test_sim_ui_refuses_a_port_in_use_with_a_clear_message(app_url):
    port = app_url.rsplit(":", 1)[1].strip("/")
    done = subprocess.run(
        [sys.executable, "-m", "sim", "ui", "--port", port],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_explore_panel_ranks_the_assumptions_and_finds_a_prim_box(watched):
    """After the full (drawn) run: the assumptions ranked by their scenario labels with the
    noise floor; the PRIM button shows a box with its coverage and density."""
    w = watched()
    w.full()
    ranking = w.page.locator(".explore-ranking")
    ranking.wait_for(timeout=WAIT)
    rows = w.page.locator(".explore-input")
    assert rows.count() == 10  # the top ten until "show all"
    labels = [row.text_content() for row in rows.all()]
    assert any("Weights of the influence index's components" in label for label in labels)
    assert not any("influence_weights" in label for label in labels), "labels, not names"
    floor = w.page.locator(".explore-floor").text_content()
    assert floor.startswith("Noise floor 0.") and "assumptions lie above it" in floor
    assert "over the 500 worlds of baseline" in w.page.locator(".explore").text_content()
    w.page.locator(".explore-all").click()
    w.page.wait_for_function(
        "document.querySelectorAll('.explore-input').length > 10", timeout=WAIT
    )
    assert w.page.locator(".explore-noise").count() > 0, "inputs below the floor are greyed"
    w.page.locator(".explore-all").click()
    w.page.locator(".explore-prim").click()
    box = w.page.locator(".explore-box")
    box.wait_for(timeout=WAIT)
    text = box.text_content()
    assert "RUS leads over AFG" in text and "coverage 0." in text and "density 0." in text
    w.page.locator(".explore").scroll_into_view_if_needed()
    w.page.wait_for_timeout(500)
    w.page.screenshot(path="/tmp/app_explore.png", full_page=True)
    shutil.copy("/tmp/app_explore.png", ARTIFACTS / "explore.png")
    assert w.errors == [] and w.failed == []


def test_the_explore_panel_says_why_it_ranks_nothing_with_fixed_assumptions(watched):
    w = watched("assumptions=fixed")
    w.full()
    fixed = w.page.locator(".explore-fixed")
    fixed.wait_for(timeout=WAIT)
    assert "Set the assumptions to drawn" in fixed.text_content()
    assert w.page.locator(".explore-ranking").count() == 0
    assert w.page.locator(".explore-prim").count() == 0
    fixed.scroll_into_view_if_needed()
    w.shot("explore_fixed")


def test_the_brief_downloads_against_the_baseline(watched):
    """The downloads offer the brief of `sim report`: the ensemble shown, against the baseline."""
    from sim.results.folder import REPORT_HEAD

    w = watched("preset=us_reengagement&worlds=200")
    w.full()
    w.page.locator(".explore-ranking").wait_for(timeout=WAIT)  # the page's last part drawn
    button = w.page.get_by_role("button", name="Brief (HTML)")
    button.evaluate("b => b.scrollIntoView({block: 'center'})")  # clear of Solara's banner
    with w.page.expect_download(timeout=WAIT) as info:
        button.click()
    download = info.value
    body = Path(download.path()).read_text()
    assert download.suggested_filename == "us_reengagement_brief.html"
    assert body.startswith(REPORT_HEAD)
    assert "<title>us_reengagement against baseline: brief</title>" in body
    assert "paired with baseline over 200 worlds" in body
    assert "sim run us_reengagement.yaml --worlds 200" in body  # how to run it again
    assert w.errors == [] and w.failed == []


def workers_of(server: subprocess.Popen) -> list[psutil.Process]:
    """The server's worker processes (the children of its forkserver), once started."""
    for _ in range(WAIT // 100):
        children = psutil.Process(server.pid).children()
        forkservers = [p for p in children if "forkserver" in " ".join(p.cmdline())]
        workers = [worker for forkserver in forkservers for worker in forkserver.children()]
        if workers:
            return workers
        time.sleep(0.1)
    raise AssertionError("the server started no worker")


def test_the_runs_are_simulated_by_worker_processes_and_the_page_shows_their_numbers(
    watched, server
):
    """The server's workers (not the server) spend the CPU of a run, and the page's text is
    word for word the paired comparison of the same runs made here, in this process."""
    query = "v.russia_security=0.3&worlds=200"
    workers = workers_of(server[1])
    before = sum(w.cpu_times().user for w in workers)
    w = watched(query)
    w.full()
    assert sum(w.cpu_times().user for w in workers) > before + 0.5  # they simulated
    scenario = scenario_of(view_from_query(query))
    ours = Comparison(
        run(scenario, worlds=200, seed=1), run(preset("baseline"), worlds=200, seed=1)
    )
    text = w.page.locator(".headline").text_content()
    for line in headline(ours, "AFG"):
        assert line in text


def test_a_worker_killed_mid_run_shows_an_error_and_the_next_change_runs(watched, server):
    workers = workers_of(server[1])
    start = {p.pid: p.cpu_times().user for p in workers}
    w = watched("worlds=1000&seed=5")
    for _ in range(WAIT // 100):  # until a worker simulates this session's first run
        w.page.wait_for_timeout(100)
        busy = [p for p in workers if p.cpu_times().user > start[p.pid] + 0.3]
        if busy:
            break
    busy[0].kill()
    error = w.page.locator(".run-error")
    error.wait_for(timeout=WAIT)
    assert "a worker process ended while it simulated the run" in error.text_content()
    w.shot("worker_killed")
    w.page.locator(".input-worlds input").fill("200")  # the next change: new workers
    w.full()
    assert "200 worlds, seed 5" in w.page.locator(".status").text_content()
    assert w.page.locator(".run-error").count() == 0
    assert w.errors == []


def test_the_server_stops_with_its_workers_even_mid_run(browser):
    """Stopped while its workers simulate, the server leaves no process behind."""
    with running_server(log=ARTIFACTS / "server_stopped.log") as (url, process):
        w = Watched(browser, f"{url}?worlds=2000")
        w.page.locator(".status").wait_for(timeout=WAIT)
        left = psutil.Process(process.pid).children(recursive=True)
        assert workers_of(process)
    w.close()
    _, alive = psutil.wait_procs(left, timeout=30)
    assert alive == []
