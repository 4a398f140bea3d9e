"""A brief of one run, or of a run against another paired world by world, as one HTML page that
needs nothing else: written by `sim report`, by `sim batch` into each scenario's folder, and
offered by the app. It holds the scenario's question, the headline effects over the host,
influence with its bands, the declared outcomes, why influence changed, the assumptions and
which of them matter most, the scheduled events, what the model cannot represent and how to
make the run again.

Every number comes from the analysis that owns it (Results.summary and outcomes; a
Comparison's effects, mean_effects, outcomes and why_rows; ensemble_sensitivity) and is printed
to the decimals its spread across worlds earns (sim.analysis.effects.earned_decimals).
"""

from __future__ import annotations

import logging
import shlex
from html import escape
from pathlib import Path

import numpy as np

from sim.analysis.compare import Comparison, batch_baseline, outcome_unit
from sim.analysis.effects import VERBS, earned_decimals, effect_decimals, legend, rounded
from sim.analysis.page import Column, Row, Section, bullets, figure, page, paragraph, table
from sim.analysis.provenance import provenance
from sim.errors import InputError, ResultError
from sim.results.dataset import Results
from sim.results.folder import MANIFEST, REPORT, claim_report
from sim.results.reduce import QUANTILES

log = logging.getLogger("sim")

# What the model leaves out, in brief (docs/model.md, section 4.2, says more)
CAVEATS = (
    "Not a forecast: the model's mechanisms are ones a regional specialist would recognise; its "
    "numbers say what follows from them and from the scenario's assumptions.",
    "No prices or exchange rates: trade is in US dollars at start prices; inflation and the "
    "rouble, tenge or afghani do not appear.",
    "No supply limits: a supplier taking a closed rival's share is held back only by switching "
    "inertia, not by what it can ship.",
    "No informal trade: smuggling, the opium economy's income and hawala are not modelled; the "
    "trafficking network is a strength index, not a market.",
    "No domestic politics: the Taliban and each Central Asian government are one actor each, "
    "without factions, succession or unrest.",
    "No military operations: security is engagement and provision; no war, force sizes or "
    "casualties beyond the shock magnitudes.",
    "Actors not modelled (India, Turkey, the Gulf states, the EU, Japan) are only the rest of "
    "the world in trade, support and diplomacy; Iran and Pakistan hold influence over "
    "Afghanistan but decide nothing about it.",
    "No water: the Qosh Tepa canal and the Amu Darya's allocation are not in the model.",
    "No strategy: actors react to signals against moving expectations; they do not anticipate "
    "one another.",
    "Most behavioural weights, elasticities and tie strengths are assumptions with stated "
    "rationales; validation checks that they reproduce 2024-2025 and behave plausibly, not that "
    "they are right.",
)
MIN_RANKED_WORLDS = 100  # fewer leave too few worlds in each tenth of an input's range (PAWN)
TOP = 3  # assumptions named per outcome
DECIMALS = (
    "Each number has the decimals its spread across worlds earns: two significant digits of its "
    "5-95% width (three of the value where every world agrees)."
)


def report_html(subject: Results | Comparison) -> str:
    """The brief of one run (Results) or of a comparison (its run a against its run b, paired
    world by world) as one self-contained HTML page."""
    comparison = subject if isinstance(subject, Comparison) else None
    res = comparison.a if comparison else subject
    host = res.scenario.codes("host")[0]
    sections = [
        Section("headline", "Headline", _headline(res, comparison, host)),
        Section("influence", "Influence", _charts(res, comparison, host)),
        Section("outcomes", "Outcomes", _outcomes(res, comparison)),
    ]
    if comparison is not None:
        sections.append(Section("why", "Why", _why(comparison, host)))
    sections += [
        Section("assumptions", "Assumptions", _assumptions(res, comparison)),
        Section("events", "Events", _events(res)),
        Section("caveats", "Caveats", _caveats()),
        Section("reproduce", "Reproduce", _reproduce(res, comparison)),
    ]
    name = res.scenario.name + (f" against {comparison.b.scenario.name}" if comparison else "")
    return page(f"{name}: brief", _header(res, comparison, name), sections)


def _header(res: Results, comparison: Comparison | None, name: str) -> str:
    s = res.scenario
    paired = f"paired with {comparison.b.scenario.name} over " if comparison else ""
    meta = (
        f"{paired}{res.worlds} worlds, seed {res.seed}, assumptions {res.assumptions}; "
        f"{res.dates[0]:%Y-%m} to {res.dates[-1]:%Y-%m}"
    )
    parts = [f"<h1>{escape(name)}</h1>"]
    parts += [paragraph(s.question, "question")] if s.question else []
    parts += [paragraph(s.description)] if s.description else []
    return "".join([*parts, paragraph(meta, "meta")])


def _spread(low: float, high: float, decimals: int, sign: bool = False) -> str:
    """A 5-95% range across worlds, both ends to the same decimals."""
    return f"{rounded(low, decimals, sign)} to {rounded(high, decimals, sign)}"


def _note(text: str) -> str:
    return paragraph(text, "note")


# ---- headline ---------------------------------------------------------------------------------
def policy_window(res: Results) -> tuple[tuple[str, str], str] | None:
    """The months a scenario's question is about: the window of its first outcome that declares
    one, with that outcome's name; None when none does."""
    for outcome in res.scenario.outcomes:
        if outcome.window:
            return outcome.window, outcome.name
    return None


def _headline(res: Results, comparison: Comparison | None, host: str) -> str:
    """A comparison's effects over the host (Comparison.effects at the last month, and
    mean_effects over the policy window or the whole run); a run's levels (Results.summary)."""
    if comparison is None:
        return _levels(res, host)
    end, base = f"{res.dates[-1]:%Y-%m}", comparison.b.scenario.name
    found = policy_window(res)
    window = found[0] if found else None
    span = f"{window[0]} to {window[1]}" if window else f"{res.dates[0]:%Y-%m} to {end}"
    means = comparison.mean_effects(host, window).set_index("holder")
    rows = []
    for holder, row in comparison.effects(host).set_index("holder").iterrows():
        level = min(effect_decimals(row), earned_decimals(0.0, row.mean_b))
        cells = {
            "holder": holder,
            **_effect_cells("final", row),
            **_effect_cells("mean", means.loc[holder]),
            "level": rounded(row.mean_b, level),
        }
        rows.append(Row(cells, name=holder, html={"judgement": _chip(row.effect)}))
    columns = [
        Column("holder", "Holder"),
        Column("judgement", "Effect"),
        *_effect_columns("final"),
        *_effect_columns("mean"),
        Column("level", f"{base}'s level, {end}", numeric=True),
    ]
    groups = [("", 2), (f"Last month, {end}", 3), (f"Mean over {span}", 3), ("", 1)]
    why = f"the window of the outcome {found[1]}" if found else "the whole run"
    words = "; ".join(f"{effect}: {_verb(effect)}" for effect in VERBS)
    return table(columns, rows, groups, name="headline") + "".join(
        _note(text)
        for text in (
            f"The paired change of influence over {host}: {res.scenario.name} minus {base} in "
            f"each of {res.worlds} worlds; its mean, its 5% to 95% across worlds and the share of "
            f"worlds where it is a gain, at the last month and as each world's mean over {span} "
            f"({why}). The effect is judged at the last month ({words}).",
            legend(comparison.confidence, comparison.a, comparison.b),
            DECIMALS,
        )
    )


def _verb(effect: str) -> str:
    return VERBS[effect].format(where="")


def _chip(effect: str) -> str:
    """An effect's label as a coloured chip, its words in the title."""
    return f"<span class='chip chip-{effect}' title='{escape(_verb(effect))}'>{effect}</span>"


def _effect_columns(key: str) -> list[Column]:
    return [
        Column(f"{key}-change", "Change (mean)", numeric=True),
        Column(f"{key}-spread", "5-95% across worlds", numeric=True),
        Column(f"{key}-higher", "Worlds higher", numeric=True),
    ]


def _effect_cells(key: str, row) -> dict[str, str]:
    """A paired effect's mean, spread and share of gains, to the decimals its spread earns."""
    d = effect_decimals(row)
    return {
        f"{key}-change": rounded(row.difference, d, sign=True),
        f"{key}-spread": _spread(row.diff_q05, row.diff_q95, d, sign=True),
        f"{key}-higher": f"{row.share_positive:.0%}",
    }


def _levels(res: Results, host: str) -> str:
    """The last month's levels (Results.summary): every holder over the host, then the powers
    over the other states, each median with its 5-95% band."""
    summary = res.summary()
    end, start = f"{res.dates[-1]:%Y-%m}", f"{res.dates[0]:%Y-%m}"
    rows = []
    for row in summary[summary.state == host].itertuples():
        d = earned_decimals(row.q95 - row.q05, row.median)
        cells = {
            "holder": row.power,
            "median": rounded(row.median, d),
            "spread": _spread(row.q05, row.q95, d),
            "change": rounded(row.change, d, sign=True),
        }
        rows.append(Row(cells, name=row.power))
    columns = [
        Column("holder", "Holder"),
        Column("median", f"Median, {end}", numeric=True),
        Column("spread", "5-95% across worlds", numeric=True),
        Column("change", f"Change since {start} (median)", numeric=True),
    ]
    others = summary[(summary.state != host) & summary.power.isin(res.labels("power"))]
    states = list(dict.fromkeys(others.state))
    matrix = [
        Row({"holder": power}, name=power, html={r.state: _band(r) for r in own.itertuples()})
        for power, own in others.groupby("power", sort=False)
    ]
    by_state = [Column("holder", "Power"), *(Column(s, s, numeric=True) for s in states)]
    return "".join(
        [
            _note(
                f"Influence over {host} in {end}: the median across {res.worlds} worlds and "
                "its 5-95% band; the change is each world's since the start, its median."
            ),
            table(columns, rows, name="headline"),
            _note(f"The powers over the other states in {end}: the median over its 5-95% band."),
            table(by_state, matrix, name="states", small=True),
            _note(DECIMALS),
        ]
    )


def _band(row) -> str:
    """A median over its 5-95% band, as a cell of HTML (the median alone where they agree)."""
    d = earned_decimals(row.q95 - row.q05, row.median)
    band = "" if row.q05 == row.q95 else f"<br><small>{_spread(row.q05, row.q95, d)}</small>"
    return f"{rounded(row.median, d)}{band}"


# ---- charts -----------------------------------------------------------------------------------
def _charts(res: Results, comparison: Comparison | None, host: str) -> str:
    from sim.results.plots import plot_influence, plot_overview

    base = comparison.b if comparison else None
    dotted = f"; dotted: the medians of {base.scenario.name}" if base is not None else ""
    caption = (
        f"Influence over {host}: each power's median across worlds and its 5-95% band{dotted}; "
        f"dashed: the neighbours holding influence over {host}; numbered: the scheduled events."
    )
    parts = [figure(plot_influence(res, host, baseline=base), caption, "influence")]
    if comparison is None:
        parts.append(figure(plot_overview(res), "Every state: each power's median.", "overview"))
    else:
        caption = (
            f"The paired change of influence over {host} month by month: each holder's mean and "
            f"its {comparison.confidence:.0%} interval."
        )
        parts.append(figure(comparison.plot(host), caption, "difference"))
    return "".join(parts)


# ---- outcomes ---------------------------------------------------------------------------------
def _outcomes(res: Results, comparison: Comparison | None) -> str:
    """The declared outcomes: paired (Comparison.outcomes), or over the run's worlds."""
    if not res.scenario.outcomes:
        return _note("The scenario declares no outcomes.")
    if comparison is None:
        return _run_outcomes(res)
    name_a, name_b = res.scenario.name, comparison.b.scenario.name
    rows = []
    for name, row in comparison.outcomes().iterrows():
        d = effect_decimals(row)
        m = min(d, earned_decimals(0.0, max(abs(row.mean_a), abs(row.mean_b))))
        cells = {
            "outcome": row.label,
            "unit": row.unit,
            "mean-a": rounded(row.mean_a, m),
            "mean-b": rounded(row.mean_b, m),
            "median": rounded(row.diff_median, d, sign=True),
            "spread": _spread(row.diff_q05, row.diff_q95, d, sign=True),
            "higher": f"{row.share_positive:.0%}",
        }
        rows.append(Row(cells, name=str(name)))
    columns = [
        Column("outcome", "Outcome"),
        Column("unit", "Unit"),
        Column("mean-a", f"{name_a} (mean)", numeric=True),
        Column("mean-b", f"{name_b} (mean)", numeric=True),
        Column("median", "Change (median)", numeric=True),
        Column("spread", "5-95% across worlds", numeric=True),
        Column("higher", "Worlds higher", numeric=True),
    ]
    return table(columns, rows, name="outcomes") + _note(
        f"Each outcome the scenario declares, in both runs, and its paired change ({name_a} minus "
        f"{name_b}, world by world): the median, its 5% to 95% across worlds and the share of "
        "worlds where it is higher. The means have at most three significant digits."
    )


def _run_outcomes(res: Results) -> str:
    values = res.outcomes()
    rows = []
    for outcome in res.scenario.outcomes:
        v = values[outcome.name]
        q05, median, q95 = np.quantile(v, QUANTILES)
        d = earned_decimals(q95 - q05, median)
        cells = {
            "outcome": outcome.label or outcome.name,
            "unit": outcome_unit(outcome),
            "mean": rounded(v.mean(), d),
            "median": rounded(median, d),
            "spread": _spread(q05, q95, d),
        }
        rows.append(Row(cells, name=outcome.name))
    columns = [
        Column("outcome", "Outcome"),
        Column("unit", "Unit"),
        Column("mean", "Mean", numeric=True),
        Column("median", "Median", numeric=True),
        Column("spread", "5-95% across worlds", numeric=True),
    ]
    note = f"Each outcome the scenario declares, over the run's {res.worlds} worlds."
    return table(columns, rows, name="outcomes") + _note(note)


# ---- why --------------------------------------------------------------------------------------
def _why(comparison: Comparison, host: str) -> str:
    """The paired change of each holder with an effect, split into its components (why_rows,
    as describe_why prints them); the holders whose change is negligible named after."""
    from sim.analysis.why import DRIVERS, LEGEND, SMALL, why_rows

    try:
        found = why_rows(comparison, host)
    except ResultError as err:  # written before the components were recorded
        return _note(f"Not available: {err.message}")
    final = comparison.effects(host).set_index("holder")
    moved = [h for h in final.index if final.effect[h] not in ("negligible", "none")]
    rows = []
    for holder, own in found[found.holder.isin(moved)].groupby("holder", sort=False):
        d = effect_decimals(final.loc[holder])
        total = {"part": holder, "change": rounded(own["mean"].iloc[0], d, sign=True)}
        rows.append(Row(total, name=holder, kind="total"))
        for row in own[(own.level > 0) & ~own.small].itertuples():
            d = earned_decimals(row.q95 - row.q05, row.mean)
            cells = {
                "part": row.part,
                "change": rounded(row.mean, d, sign=True),
                "spread": _spread(row.q05, row.q95, d, sign=True),
                "with": f"{row.with_total:.0%}",
            }
            rows.append(Row(cells, name=f"{holder}-{row.part}", kind=f"level-{row.level}"))
        small = ", ".join(own.part[own.small])
        if small:
            rows.append(Row(note=f"within {SMALL} of zero in 90% of worlds: {small}", kind="small"))
    rest = [h for h in final.index if h not in moved]
    columns = [
        Column("part", "Holder and component"),
        Column("change", "Change (mean)", numeric=True),
        Column("spread", "5-95% across worlds", numeric=True),
        Column("with", "Moves with the total", numeric=True),
    ]
    body = table(columns, rows, name="why") if rows else ""
    return body + _note(
        f"Each holder's paired change of influence over {host} at the last month split into its "
        f"components. {LEGEND}{DRIVERS}"
        + (f" Not split, their change being negligible: {', '.join(rest)}." if rest else "")
    )


# ---- assumptions ------------------------------------------------------------------------------
def _assumptions(res: Results, comparison: Comparison | None) -> str:
    s = res.scenario
    if res.assumptions != "drawn":
        return paragraph(
            "Fixed: every world takes every assumption at its written value, so the bands and the "
            "spread of effects across worlds come from the dice alone (attacks, closures and "
            "other shocks)."
        )
    count = len(s.uncertainties) + sum(len(shares.parts) for shares in s.shares)
    text = (
        f"Drawn: each world drew its own value of each of the {count} assumptions the scenario "
        f"declares uncertain (<code>sim explain {escape(s.name)}</code> lists them with their "
        "ranges and sources), so the bands and the spread of effects across worlds carry what "
        "we do not know as well as the dice."
    )
    return paragraph(text, html=True) + _ranking(res, comparison)


def _ranking(res: Results, comparison: Comparison | None) -> str:
    """The assumptions each declared outcome (in a comparison, its paired change) depends on
    most: given-data sensitivity (PAWN, no resampling) with its noise floor."""
    from sim.analysis.given_data import NOISE_INPUTS, ensemble_sensitivity

    outcomes = res.scenario.outcomes
    if not outcomes:
        return _note("The scenario declares no outcome to rank them by.")
    if res.worlds < MIN_RANKED_WORLDS:
        return _note(
            f"Which of them matter most is ranked from {MIN_RANKED_WORLDS} worlds on; this run "
            f"has {res.worlds}."
        )
    against = comparison.b if comparison else None
    names = [o.name for o in outcomes]
    try:
        found = ensemble_sensitivity(res, names, against=against, resamples=0)
    except ValueError as err:  # nothing drawn varies across the worlds
        return _note(f"Not ranked: {err}")
    rows = []
    for outcome, name in zip(outcomes, found.outcomes, strict=True):
        ranked = found.ranked(name)
        above = ranked[ranked.distinguishable].head(TOP)
        named = "; ".join(f"{r.label} ({r['index']:.2f})" for _, r in above.iterrows())
        cells = {
            "outcome": outcome.label or outcome.name,
            "floor": f"{ranked.noise.iloc[0]:.2f}",
            "drivers": named or _nothing_above(ranked),
        }
        rows.append(Row(cells, name=outcome.name))
    inputs = found.indices.parameter.nunique()
    columns = [
        Column("outcome", "Outcome"),
        Column("drivers", "Depends most on (PAWN index)"),
        Column("floor", "Noise floor", numeric=True),
    ]
    of = ", of each outcome's paired change" if comparison else ""
    return table(columns, rows, name="ranking") + _note(
        f"Given-data sensitivity over the {res.worlds} worlds{of}: the PAWN "
        "index of each drawn assumption (0: the outcome does not depend on it), at most "
        f"{TOP} per outcome of those above the noise floor (the largest index of {NOISE_INPUTS} "
        f"inputs of pure noise). Of {inputs} assumptions about {inputs / (NOISE_INPUTS + 1):.0f} "
        "would lie above it by chance, so those just above it may still be noise. One "
        "estimate, no resampling: no interval."
    )


def _nothing_above(ranked) -> str:
    """Why no assumption is named: the outcome is the same in every world, or none of them
    lies above the noise floor."""
    if ranked["index"].max() == 0 and ranked.noise.iloc[0] == 0:
        return "none: it is the same in every world"
    return "none above the noise floor"


# ---- events, caveats, reproduce ---------------------------------------------------------------
def _events(res: Results) -> str:
    s = res.scenario
    events = [e for e in s.events if s.month_index(e.month) < res.months]
    if not events:
        return _note("The scenario schedules no events.")
    rows = [
        Row(
            {
                "number": str(i),
                "month": e.month,
                "event": e.display_name,
                "change": _event_change(e),
                "source": e.source,
            },
            name=str(i),
        )
        for i, e in enumerate(events, start=1)
    ]
    columns = [
        Column("number", "#", numeric=True),
        Column("month", "Month"),
        Column("event", "Event"),
        Column("change", "What changes"),
        Column("source", "Source"),
    ]
    note = "The events the scenario schedules, numbered as on the influence chart."
    return _note(note) + table(columns, rows, name="events", small=True)


def _event_change(event) -> str:
    who = "-".join(filter(None, [event.actor, event.target])) or event.crossing or ""
    what = " ".join(filter(None, [event.type.replace("_", " "), who, event.instrument]))
    lasting = f", for {event.duration_months} months" if event.duration_months else ""
    return f"{what}: {event.value:g} {event.unit}{lasting}"


def _caveats() -> str:
    return bullets(list(CAVEATS)) + _note(
        "docs/model.md (section 4.2, what the model cannot represent) says more."
    )


def _reproduce(res: Results, comparison: Comparison | None) -> str:
    """Each run's record (sim.analysis.provenance), and the command for this brief again."""
    runs = [provenance(res)] + ([provenance(comparison.b)] if comparison else [])
    columns = [Column("what", ""), Column("value", "")]
    parts = []
    fields = [
        ("seed", "Seed"),
        ("worlds", "Worlds"),
        ("months", "Months"),
        ("assumptions", "Assumptions"),
        ("scenario_hash", "Scenario hash (SHA-256)"),
        ("version", "regional-influence-sim"),
    ]
    for i, p in enumerate(runs, start=1):
        command = f"<code>{escape(p.command)}</code>"
        rows = [Row({"what": "Command"}, name="command", html={"value": command})]
        rows.append(Row({"what": "Folder", "value": p.folder or "none (in memory)"}, name="folder"))
        rows += [Row({"what": t, "value": str(getattr(p, k))}, name=k) for k, t in fields]
        parts.append(f"<h3>{escape(p.name)}</h3>" + table(columns, rows, name=f"run-{i}"))
    if all(p.folder for p in runs):
        again = shlex.join(["sim", "report", runs[0].folder])
        again += f" --against {shlex.quote(runs[1].folder)}" if len(runs) > 1 else ""
        parts.append(_note("This brief again:") + f"<pre>{escape(again)}</pre>")
    return "".join(parts)


# ---- files ------------------------------------------------------------------------------------
def write_report(subject: Results | Comparison, out, force: bool = False) -> Path:
    """The brief of a run or comparison written to `out`, checked before the work and written
    whole (sim.results.folder.claim_report: a brief of ours there is replaced only with
    `force`, nothing else ever)."""
    runs = [subject.a, subject.b] if isinstance(subject, Comparison) else [subject]
    with claim_report(out, force, [res.folder for res in runs if res.folder is not None]) as work:
        work.write_text(report_html(subject), encoding="utf-8")
    return Path(out)


def write_batch_reports(folder: Path, runs) -> list[Path]:
    """A brief per scenario of a batch (not the points of a sweep, which have no plots either),
    report.html in its run folder, against the batch's baseline when it has one paired with the
    run; earlier briefs there are replaced. Returns the briefs written; one that cannot be
    written is noted and skipped."""
    from sim.results.store import open_run

    base = batch_baseline(folder, runs)
    baseline = open_run(folder / base.key, verify_data=False) if base else None
    written = []
    for run in runs:
        place = folder / run.key
        if not run.plots or not (place / MANIFEST).is_file():
            continue
        subject = res = open_run(place, verify_data=False)
        if baseline is not None and run.file != base.file:
            try:
                subject = Comparison(res, baseline)
            except ResultError as err:
                log.warning("%s: its brief is of the run alone (%s)", run.key, err.message)
        try:
            written.append(write_report(subject, place / REPORT, force=True))
        except InputError as err:
            log.warning("%s: no brief written (%s)", run.key, err.describe())
    return written
