"""`sim report` as a user runs it: the brief of a run and of a run against the baseline, read
back cell by cell against the analysis that owns each number (Results.summary, compare), opened
offline in Chromium (no request but the file itself; prints to PDF), refused cleanly for bad
input; and the briefs a batch writes into each scenario's folder."""

from __future__ import annotations

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from commands import ROOT, sim
from test_ui import CHROMIUM, LAUNCH

import sim as api
from sim.analysis.compare import Comparison
from sim.analysis.effects import earned_decimals, effect_decimals, rounded
from sim.analysis.given_data import ensemble_sensitivity
from sim.analysis.report import report_html
from sim.results.folder import REPORT, REPORT_HEAD, written_by_us
from sim.scenario.schema import Outcome

RUN = ["--worlds", "20", "--months", "36", "--seed", "3", "--no-progress"]
SHOT = Path("/tmp/report_shot.png")


class Tables(HTMLParser):
    """The page's tables: {table class: {data-row: {cell class (its first word): text}}}."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, dict[str, dict[str, str]]] = {}
        self.table = self.row = self.cell = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.table = self.tables.setdefault(attrs.get("class", "").split()[0], {})
        elif tag == "tr" and self.table is not None and "data-row" in attrs:
            self.row = self.table.setdefault(attrs["data-row"], {})
        elif tag == "td" and self.row is not None:
            self.cell = attrs.get("class", "").split()[0]
            self.row[self.cell] = ""

    def handle_endtag(self, tag):
        if tag == "td":
            self.cell = None
        elif tag == "tr":
            self.row = None
        elif tag == "table":
            self.table = None

    def handle_data(self, data):
        if self.cell is not None:
            self.row[self.cell] += data


def ok(proc):
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    """The baseline and US re-engagement (from 2026-07) over the same 20 worlds to 2026-12, and
    the baseline with another seed, each a result folder of `sim run`."""
    folder = tmp_path_factory.mktemp("report")
    for name, scenario, extra in (
        ("base", "baseline", RUN),
        ("us", "us_reengagement", RUN),
        ("other", "baseline", ["--worlds", "4", "--months", "36", "--seed", "4", "--no-progress"]),
    ):
        ok(sim("run", ROOT / "scenarios" / f"{scenario}.yaml", *extra, "--out", folder / name))
    return folder


@pytest.fixture(scope="module")
def brief(runs) -> Path:
    """`sim report us --against base --out brief.html`."""
    out = runs / "brief.html"
    done = ok(sim("report", runs / "us", "--against", runs / "base", "--out", out))
    assert done.stdout.strip() == f"brief in {out}"
    return out


def test_the_headline_is_the_paired_change_of_compare_cell_by_cell(runs, brief):
    c = api.compare(runs / "us", runs / "base")
    html = brief.read_text()
    headline = Tables(html).tables["headline"]
    effects = c.effects("AFG").set_index("holder")
    means = c.mean_effects("AFG").set_index("holder")  # no outcome with a window in 36 months
    assert list(headline) == list(effects.index)  # the powers, then the neighbours over AFG
    for holder, row in effects.iterrows():
        cells, d = headline[holder], effect_decimals(row)
        assert cells["final-change"] == rounded(row.difference, d, sign=True)
        assert cells["final-spread"] == (
            f"{rounded(row.diff_q05, d, sign=True)} to {rounded(row.diff_q95, d, sign=True)}"
        )
        assert cells["final-higher"] == f"{row.share_positive:.0%}"
        assert cells["judgement"] == row.effect
        mean = means.loc[holder]
        assert cells["mean-change"] == rounded(mean.difference, effect_decimals(mean), sign=True)
    assert headline["USA"]["judgement"] == "gain" and headline["USA"]["final-higher"] == "100%"
    assert "Mean over 2024-01 to 2026-12" in html
    assert html.startswith(REPORT_HEAD)


def test_mean_effects_are_the_paired_outcome_of_each_worlds_mean(runs):
    """The window's mean effect is that of an outcome averaging the same months (two routes to
    one number)."""
    c = api.compare(runs / "us", runs / "base")
    window = ("2026-07", "2026-12")
    mean = c.mean_effects("AFG", window).set_index("holder").loc["USA"]
    spec = Outcome(name="us", series="influence", select={"power": "USA", "state": "AFG"},
                   over="mean", window=window)  # fmt: skip
    paired = c.outcomes([spec]).loc["us"]
    for column in ("mean_a", "mean_b", "diff_q05", "diff_median", "diff_q95", "share_positive"):
        assert mean[column] == pytest.approx(paired[column], abs=1e-12), column
    assert mean.difference > 0 and str(mean.date.date()) == "2026-12-01"
    with pytest.raises(ValueError, match="holds no month of the run"):
        c.mean_effects("AFG", ("2040-01", "2040-12"))


def test_the_outcomes_and_the_reproduction_are_those_of_the_runs(runs, brief):
    c = api.compare(runs / "us", runs / "base")
    tables = Tables(brief.read_text()).tables
    for name, row in c.outcomes().iterrows():
        d = effect_decimals(row)
        assert tables["outcomes"][name]["median"] == rounded(row.diff_median, d, sign=True)
        assert tables["outcomes"][name]["higher"] == f"{row.share_positive:.0%}"
    manifest = json.loads((runs / "us" / "manifest.json").read_text())
    run = tables["run-1"]  # the record of the first run (its manifest)
    assert run["seed"]["value"] == "3" and run["worlds"]["value"] == "20"
    assert run["scenario_hash"]["value"] == manifest["scenario_hash"]
    assert run["command"]["value"].startswith("sim run ") and "--seed 3" in run["command"]["value"]
    assert "USA" in tables["why"] and "USA-aid" in tables["why"]  # the why, with its drivers


def test_the_brief_opens_offline_requests_nothing_and_prints(brief, tmp_path):
    from playwright import sync_api as playwright

    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        requests, failed = [], []
        page.on("request", lambda r: requests.append(r.url))
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.goto(brief.as_uri())
        page.wait_for_load_state("load")
        sizes = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
        page.screenshot(path=SHOT, full_page=True)
        page.emulate_media(media="print")
        nav = page.eval_on_selector("nav", "n => getComputedStyle(n).display")
        page.pdf(path=tmp_path / "brief.pdf", format="A4")
        browser.close()
    assert [u for u in requests if not u.startswith("data:")] == [brief.as_uri()]
    assert failed == []
    assert len(sizes) == 2 and min(sizes) > 200  # the influence and the difference charts drawn
    assert nav == "none"  # no navigation on paper
    pdf = (tmp_path / "brief.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page>") > 1


def test_a_run_alone_gets_its_levels_and_replaces_its_brief_only_with_force(runs):
    out = runs / "base" / REPORT  # the default: the run folder's own brief
    ok(sim("report", runs / "base"))
    headline = Tables(out.read_text()).tables["headline"]
    summary = api.load_results(runs / "base").summary()
    for row in summary[summary.state == "AFG"].itertuples():
        d = earned_decimals(row.q95 - row.q05, row.median)
        assert headline[row.power]["median"] == rounded(row.median, d)
    assert REPORT in written_by_us(runs / "base")  # so `sim run --force` may replace the folder
    again = sim("report", runs / "base")
    assert again.returncode == 2 and f"{out}: holds an earlier brief; give --force" in again.stderr
    ok(sim("report", runs / "base", "--force"))
    api.load_results(runs / "base")  # the run still checks against its manifest


@pytest.mark.parametrize(
    ("case", "says"),
    [
        (["missing"], "missing: does not exist"),
        (["empty"], "empty: has no manifest.json: not a result folder"),
        (["torn"], "torn/manifest.json: cannot be read"),
        (["us", "--against", "other"], "other: is not paired with"),
        (["us", "--out", "mine.html"], "mine.html: exists and is not a brief this project wrote"),
        (["us", "--out", "us/plots/x.html"], "lies inside the run folder"),
    ],
    ids=["missing", "not-a-result", "torn-manifest", "not-paired", "users-file", "inside-plots"],
)
def test_bad_input_is_refused_naming_the_path_and_nothing_is_written(runs, tmp_path, case, says):
    (tmp_path / "empty").mkdir()
    (tmp_path / "mine.html").write_text("my notes\n")
    shutil.copytree(runs / "us", tmp_path / "us")
    shutil.copytree(runs / "other", tmp_path / "other")
    shutil.copytree(runs / "base", tmp_path / "torn")
    text = (tmp_path / "torn" / "manifest.json").read_text()
    (tmp_path / "torn" / "manifest.json").write_text(text[: len(text) // 2])
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    done = sim("report", *case, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert says in done.stderr and "Traceback" not in done.stderr
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before  # nothing written
    assert (tmp_path / "mine.html").read_text() == "my notes\n"


def test_a_drawn_run_ranks_the_assumptions_each_outcome_depends_on():
    res = api.run(api.load_scenario("baseline").first_months(6), worlds=100, seed=1)
    ranking = Tables(report_html(res)).tables["ranking"]
    found = ensemble_sensitivity(res, resamples=0)
    assert list(ranking) == found.outcomes
    for name in found.outcomes:
        table = found.ranked(name)
        top = table[table.distinguishable].head(3)
        named = "; ".join(f"{r.label} ({r['index']:.2f})" for _, r in top.iterrows())
        assert ranking[name]["drivers"] == (named or "none above the noise floor")
        assert ranking[name]["floor"] == f"{table.noise.iloc[0]:.2f}"
    itself = Tables(report_html(Comparison(res, res))).tables["ranking"]  # no change anywhere
    assert {row["drivers"] for row in itself.values()} == {"none: it is the same in every world"}


def test_sim_batch_writes_a_brief_per_scenario_against_the_baseline(tmp_path):
    files = []
    for name, extra in (("baseline", ""), ("more_aid", "sweep: {grid: {us_aid: [150]}}\n")):
        files.append(tmp_path / f"{name}.yaml")
        files[-1].write_text(
            f"extends: {ROOT / 'scenarios' / 'baseline.yaml'}\nname: {name}\n"
            f"horizon_months: 24\nworlds: 4\n{extra}"
        )
    out = tmp_path / "batch"
    done = ok(sim("batch", *files, "--workers", "1", "--no-progress", "--out", out))
    briefs = [out / "runs" / name / "p000" / REPORT for name in ("baseline", "more_aid")]
    assert f"2 brief(s) in {out}/" in done.stdout
    assert "<title>more_aid against baseline: brief</title>" in briefs[1].read_text()
    assert "<title>baseline: brief</title>" in briefs[0].read_text()
    ours = written_by_us(out)  # what --force over the batch may replace: the briefs too
    assert {f"runs/{n}/p000/{REPORT}" for n in ("baseline", "more_aid")} <= ours
