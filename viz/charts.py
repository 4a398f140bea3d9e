"""The page's figures (matplotlib's object API, never pyplot): influence with its bands and the
baseline as a ghost line, the heat map of all powers over all states, threat and trade panels,
the paired difference. Each takes Results (an ensemble, or one world) and, for the one-world
view, `until`: the months simulated so far (later months are left empty)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sim.analysis.compare import Comparison
from sim.results.dataset import Results
from sim.results.plots import draw_holders, power_color
from sim.results.reduce import world_quantiles
from sim.scenario.vocab import INFLUENCE_COMPONENTS

WIDE, PANEL, WHY = (8.6, 3.6), (5.6, 3.2), (5.2, 3.4)
COMPONENT_COLORS = dict(
    zip(INFLUENCE_COMPONENTS, ("#4c78a8", "#e45756", "#54a24b", "#b279a2", "#9d755d"), strict=True)
)


def _figure(size) -> tuple[Figure, object]:
    """A figure with fixed margins: a layout engine would double the time to draw it, which is
    most of the time from a lever move to the chart redrawn (benchmarks/bench_ui.py)."""
    fig = Figure(figsize=size, dpi=90)
    fig.subplots_adjust(left=0.09, right=0.97, top=0.86, bottom=0.1)
    return fig, fig.subplots()


def _months(res: Results, until: int | None) -> slice:
    return slice(0, res.months if until is None else max(until, 0))


def _bands(data, until):
    """(q05, median, q95) over worlds, months cut at `until`."""
    q = world_quantiles(data).values
    return q[:, : until if until is not None else None]


def mark_events(ax, res: Results, until: int | None = None) -> None:
    """Scheduled events as dotted lines numbered as in the page's event list; stochastic events
    drawn (mean over worlds per month) as grey bars along the bottom."""
    for number, (month, _) in enumerate(res.event_markers(), start=1):
        if until is None or month < until:
            ax.axvline(res.dates[month], color="0.6", lw=0.7, ls=":", zorder=0)
            ax.annotate(
                str(number),
                xy=(res.dates[month], 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(0, 1 + 6 * (number % 2)),
                textcoords="offset points",
                fontsize=6,
                color="0.35",
                ha="center",
            )
    months = _months(res, until)
    drawn = res.dataset["events"].isel(month=months).sum("shock").mean("world").values
    if drawn.size and drawn.max() > 0:
        strip = ax.twinx()
        strip.bar(res.dates[months], drawn, width=25, color="0.75", zorder=0)
        strip.set_ylim(0, drawn.max() * 6)
        strip.set_yticks([])
        strip.set_zorder(ax.get_zorder() - 1)
        ax.patch.set_visible(False)


def _time_axis(ax, res: Results) -> None:
    ax.set_xlim(res.dates[0], res.dates[-1])
    ax.grid(alpha=0.3)


def influence_chart(
    res: Results, state: str, baseline: Results | None = None, until: int | None = None
) -> Figure:
    """Median and 5-95% band of each power's influence over `state`, the baseline's median as
    a dashed ghost line, the medians of neighbours holding influence over the host dash-dotted,
    events marked."""
    fig, ax = _figure(WIDE)
    months = _months(res, until)
    q05, med, q95 = _bands(res.series("influence", state=state), until)
    top = float(q95.max()) if q95.size else 0.0
    for i, power in enumerate(res.labels("power")):
        color = power_color(power, i)
        dates = res.dates[months]
        ax.fill_between(dates, q05[:, i], q95[:, i], color=color, alpha=0.18, lw=0)
        ax.plot(dates, med[:, i], color=color, lw=1.8, label=power)
        if baseline is not None:
            ghost = world_quantiles(baseline.series("influence", state=state)).values[1]
            ax.plot(baseline.dates, ghost[:, i], color=color, lw=1.1, ls="--", alpha=0.55)
            top = max(top, float(ghost.max()))
    held, held_top = draw_holders(ax, res, state, months, lw=1.3, ls="-.")
    top = max(top, held_top)
    mark_events(ax, res, until)
    _time_axis(ax, res)
    ax.set_ylim(0, max(0.05, top * 1.2))
    ax.set_ylabel("influence index [0, 1]")
    worlds = "one world" if res.worlds == 1 else f"{res.worlds} worlds, median and 5-95%"
    styles = (", dashed: baseline" if baseline is not None else "") + (
        ", dash-dot: neighbours" if held else ""
    )
    ax.set_title(
        f"Influence over {state}: {res.scenario.name} ({worlds}{styles})", fontsize=10, pad=14
    )
    ax.legend(loc="upper left", fontsize=8, ncols=5, frameon=False)
    return fig


def heat_map(res: Results, month: int) -> Figure:
    """Median influence of every power over every state at one month."""
    fig, ax = _figure((5.6, 2.6))
    fig.subplots_adjust(left=0.08, right=1.0, top=0.88, bottom=0.1)
    values = res.dataset["influence"].isel(month=month).median("world").values
    image = ax.imshow(values, cmap="YlOrRd", vmin=0, vmax=max(0.05, float(values.max())))
    powers, states = res.labels("power"), res.labels("state")
    ax.set_xticks(range(len(states)), states, fontsize=8)
    ax.set_yticks(range(len(powers)), powers, fontsize=8)
    for (i, j), value in np.ndenumerate(values):
        ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7)
    fig.colorbar(image, ax=ax, shrink=0.8)
    ax.set_title(f"Median influence, {res.dates[month]:%Y-%m}", fontsize=10)
    return fig


def threat_chart(res: Results, state: str, until: int | None = None) -> Figure:
    """Threat perceived by `state` and by each power (medians, the state's with its band)."""
    fig, ax = _figure(PANEL)
    months = _months(res, until)
    q05, med, q95 = _bands(res.series("threat", actor=state), until)
    ax.fill_between(res.dates[months], q05, q95, color="0.4", alpha=0.2, lw=0)
    ax.plot(res.dates[months], med, color="0.2", lw=1.8, label=state)
    for i, power in enumerate(res.labels("power")):
        line = _bands(res.series("threat", actor=power), until)[1]
        ax.plot(res.dates[months], line, color=power_color(power, i), lw=1.2, label=power)
    _time_axis(ax, res)
    ax.set_ylim(0, 1)
    ax.set_title(f"Threat perceived (median; band: {state} 5-95%)", fontsize=10)
    ax.legend(fontsize=7, frameon=False, ncols=2)
    return fig


def trade_chart(res: Results, state: str, until: int | None = None, partners: int = 5) -> Figure:
    """`state`'s trade (imports plus exports) with its largest partners, medians over worlds."""
    fig, ax = _figure(PANEL)
    months = _months(res, until)
    trade = res.dataset["trade"].isel(month=months)
    exporters, importers = res.labels("exporter"), res.labels("importer")
    totals = {}
    for partner in sorted(set(exporters + importers) - {state}):
        mask = [
            (e == state and i == partner) or (e == partner and i == state)
            for e, i in zip(exporters, importers, strict=True)
        ]
        if any(mask):
            totals[partner] = trade.isel(flow=np.flatnonzero(mask)).sum("flow").median("world")
    ranked = sorted(totals, key=lambda k: -float(totals[k].values[:1].sum()))[:partners]
    for k, partner in enumerate(ranked):
        ax.plot(res.dates[months], totals[partner].values, lw=1.5, label=partner, color=f"C{k}")
    _time_axis(ax, res)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("USD M / month")
    ax.set_title(f"Trade of {state} with its largest partners (median)", fontsize=10)
    if ranked:
        ax.legend(fontsize=7, frameon=False, ncols=3)
    return fig


def difference_chart(comparison: Comparison, state: str) -> Figure:
    """The paired difference of each power's influence over `state`, with its interval."""
    fig = comparison.plot(state)
    fig.set_size_inches(*WIDE)
    fig.set_dpi(90)
    return fig


def why_chart(comparison: Comparison, state: str) -> Figure:
    """Why each holder's influence over `state` moves by the last month: the mean change of each
    component a segment of the holder's bar, gains to the right of zero and losses to the left,
    and the holder's mean change a black tick (the segments add up to it)."""
    table = comparison.decompose(state)
    holders = list(dict.fromkeys(table.holder))
    fig, ax = _figure(WHY)
    fig.subplots_adjust(left=0.11, bottom=0.25, top=0.91)
    for y, holder in enumerate(holders):
        rows = table[table.holder == holder]
        ends = {True: 0.0, False: 0.0}  # how far the gains and the losses reach
        for row in rows.itertuples():
            gain = row.mean >= 0
            ax.barh(y, row.mean, left=ends[gain], color=COMPONENT_COLORS[row.component], height=0.6)
            ends[gain] += row.mean
        ax.plot(rows["mean"].sum(), y, marker="|", color="black", markersize=16, mew=2)
    ax.axvline(0, color="0.3", lw=0.8)
    ax.margins(x=0.08)
    ax.set_yticks(range(len(holders)), holders)
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3)
    ax.set_xlabel("mean change of the influence index (black: the holder's total)", fontsize=9)
    date = f"{comparison.a.dates[-1]:%Y-%m}"
    ax.set_title(f"Why: the mean change over {state} by {date}, by component", fontsize=10)
    handles = [Patch(color=color, label=c) for c, color in COMPONENT_COLORS.items()]
    fig.legend(
        handles=handles, loc="lower center", ncols=5, fontsize=8, frameon=False, borderaxespad=0.2
    )
    return fig
