"""Figures of the analysis API: fan charts of runs, paired differences with their bands, policy
tables as intervals, and Sobol indices. Each returns a matplotlib Figure (the object API, so a
notebook's backend is never switched) or draws into the `ax` given."""

from __future__ import annotations

import textwrap

import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.analysis.runs import labelled_runs
from sim.core.series import SERIES
from sim.results.plots import power_color
from sim.results.reduce import world_quantiles

FAN = (0.05, 0.25, 0.5, 0.75, 0.95)  # the bands of a fan chart: 5-95% and 25-75%, and the median
RUN_COLORS = colormaps["tab10"].colors


def _axes(ax, size):
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def fan_chart(runs, power: str, state: str | None = None, ax=None):
    """Influence of `power` over `state` (default: the host) in each run: the median with the
    5-95% and 25-75% bands over worlds. `runs`: one Results, a list, or {label: Results}.

    Example::

        fan_chart({"baseline": base, "US re-engagement": us}, "USA", "AFG")
    """
    runs = labelled_runs(runs)
    first = next(iter(runs.values()))
    state = state or first.scenario.codes("host")[0]
    fig, ax = _axes(ax, (9, 4.6))
    for i, (label, res) in enumerate(runs.items()):
        color = power_color(power, 0) if len(runs) == 1 else RUN_COLORS[i % len(RUN_COLORS)]
        q05, q25, q50, q75, q95 = world_quantiles(
            res.series("influence", power=power, state=state), FAN
        ).values
        ax.fill_between(res.dates, q05, q95, color=color, alpha=0.12, lw=0)
        ax.fill_between(res.dates, q25, q75, color=color, alpha=0.28, lw=0)
        ax.plot(res.dates, q50, color=color, lw=1.8, label=label)
    worlds = ", ".join(sorted({str(r.worlds) for r in runs.values()}))
    ax.set_title(
        f"{power}'s influence over {state}: median, 25-75% and 5-95% of {worlds} worlds",
        fontsize=10,
    )
    ax.set_ylabel("influence index [0, 1]")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, frameon=False)
    return fig


def difference_chart(comparison, state: str, holders: list[str] | None = None, ax=None):
    """Mean paired difference of each holder's influence over `state` (a minus b), with its
    confidence interval as a band, from a Comparison; neighbours holding influence over the
    host dashed."""
    fig, ax = _axes(ax, (8, 4.2))
    rows = comparison.table[comparison.table.state == state]
    if rows.empty:
        raise KeyError(f"the comparison holds no state {state!r}")
    for i, (holder, part) in enumerate(rows.groupby("holder", sort=False, observed=True)):
        if holders is not None and holder not in holders:
            continue
        color = power_color(holder, i)
        style = "--" if part.holder_kind.iloc[0] == "neighbour" else "-"
        ax.fill_between(part.date, part.ci_low, part.ci_high, color=color, alpha=0.25, lw=0)
        ax.plot(part.date, part.difference, color=color, lw=1.6, ls=style, label=holder)
    ax.axhline(0.0, color="0.3", lw=0.8)
    ax.set_title(
        f"Influence over {state}: {comparison.a.scenario.name} minus "
        f"{comparison.b.scenario.name}\n(paired, {comparison.confidence:.0%} interval over "
        f"{comparison.a.worlds} worlds)",
        fontsize=10,
    )
    ax.set_ylabel("difference of influence")
    ax.legend(frameon=False, ncols=3)
    return fig


def outcome_chart(comparison, outcomes):
    """A panel per outcome: the paired difference (a minus b) of the series it reads, with its
    selection, month by month: the median and 5-95% across worlds, the outcome's window
    shaded."""
    a, b = comparison.a, comparison.b
    columns = min(len(outcomes), 3)
    rows = -(-len(outcomes) // columns)
    fig = Figure(figsize=(4.2 * columns, 3.0 * rows), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax, outcome in zip(axes, outcomes, strict=False):
        difference = a.series(outcome.series, **outcome.select).astype("float64") - b.series(
            outcome.series, **outcome.select
        ).astype("float64")
        q05, q50, q95 = world_quantiles(difference, (0.05, 0.5, 0.95)).values
        ax.fill_between(a.dates, q05, q95, color=RUN_COLORS[0], alpha=0.25, lw=0)
        ax.plot(a.dates, q50, color=RUN_COLORS[0], lw=1.4)
        if outcome.window:
            first, last = (pd.Timestamp(f"{month}-01") for month in outcome.window)
            ax.axvspan(first, last + pd.offsets.MonthEnd(0), color="0.85", lw=0, zorder=0)
        ax.axhline(0.0, color="0.3", lw=0.8)
        ax.set_title("\n".join(textwrap.wrap(outcome.label or outcome.name, 48)), fontsize=8)
        ax.set_ylabel(SERIES[outcome.series].unit, fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes[len(outcomes) :]:
        ax.set_visible(False)
    fig.suptitle(
        f"{a.scenario.name} minus {b.scenario.name}, paired: median and 5-95% of {a.worlds} "
        "worlds (window shaded)",
        fontsize=10,
    )
    return fig


def policy_chart(table, ax=None):
    """A policy_table as intervals: each policy's paired difference from the baseline with its
    confidence interval (or, without a baseline, its mean with its interval)."""
    paired = "difference" in table.columns
    value, low, high = (
        ("difference", "diff_low", "diff_high") if paired else ("mean", "ci_low", "ci_high")
    )
    rows = table.iloc[::-1]  # the first ranked on top
    fig, ax = _axes(ax, (7.5, 0.45 * len(rows) + 1.4))
    y = range(len(rows))
    ax.errorbar(
        rows[value],
        y,
        xerr=[rows[value] - rows[low], rows[high] - rows[value]],
        fmt="o",
        color="0.2",
        capsize=3,
    )
    ax.set_yticks(list(y), list(rows.index))
    ax.xaxis.set_major_locator(MaxNLocator(5))
    if paired:
        ax.axvline(0.0, color="0.5", lw=0.8)
    ax.set_title(
        f"{table.attrs['holder']}'s influence over {table.attrs['state']}, {table.attrs['date']}",
        fontsize=10,
    )
    ax.set_xlabel(
        f"minus {table.attrs['baseline']} (paired, {table.attrs['confidence']:.0%} interval)"
        if paired
        else f"mean ({table.attrs['confidence']:.0%} interval)"
    )
    ax.grid(alpha=0.3, axis="x")
    return fig


def indices_chart(sensitivity, outcome: str | None = None, ax=None):
    """Sobol indices of one outcome as bars, first-order beside total, with their confidence
    intervals, the parameters ranked by total index (the largest on top)."""
    ranked = sensitivity.ranked(outcome).iloc[::-1]
    fig, ax = _axes(ax, (7.5, 0.42 * len(ranked) + 1.5))
    y = list(range(len(ranked)))
    for offset, (kind, color) in enumerate((("total", "#2e5fa8"), ("first", "#9ab5dc"))):
        values = ranked[kind]
        ax.barh(
            [v + 0.2 - 0.4 * offset for v in y],
            values,
            height=0.38,
            color=color,
            label=f"{kind}-order",
            xerr=[values - ranked[f"{kind}_low"], ranked[f"{kind}_high"] - values],
            error_kw={"lw": 0.8, "capsize": 2},
        )
    ax.set_yticks(y, list(ranked.index))
    ax.axvline(0.0, color="0.4", lw=0.8)
    ax.set_xlabel(
        f"Sobol index ({sensitivity.confidence:.0%} bootstrap interval, n={sensitivity.n}, "
        f"{sensitivity.worlds} worlds per point)"
    )
    ax.set_title(f"What drives {ranked.attrs['outcome']}", fontsize=10)
    ax.legend(frameon=False, loc="lower right")
    ax.grid(alpha=0.3, axis="x")
    return fig


def discovery_chart(discovery, axes=None):
    """Scenario discovery in two panels: the candidate boxes' coverage against density (the
    chosen one ringed), and the chosen box's restrictions as the part of each input's range
    that the box keeps (an input's range spans the worlds' values)."""
    if axes is None:
        fig = Figure(figsize=(11, 0.35 * max(len(discovery.restrictions), 4) + 2.2))
        fig.set_layout_engine("constrained")
        axes = fig.subplots(1, 2, width_ratios=(1, 1.4))
    left, right = axes
    fig = left.figure
    path = discovery.trajectory
    points = left.scatter(path.coverage, path.density, c=path.restricted, cmap="viridis", s=18)
    chosen = path[path.chosen]
    left.scatter(chosen.coverage, chosen.density, s=120, facecolors="none", edgecolors="crimson",
                 label="chosen")  # fmt: skip
    left.scatter([discovery.coverage], [discovery.density], marker="*", s=140, color="crimson",
                 label="its significant restrictions")  # fmt: skip
    left.legend(frameon=False, loc="lower left", fontsize=8)
    fig.colorbar(points, ax=left, label="inputs restricted")
    left.set_xlabel("coverage (share of the worlds of interest inside)")
    left.set_ylabel("density (share of the box's worlds of interest)")
    left.set_xlim(0, 1.02)
    left.set_ylim(0, 1.02)
    left.set_title(f"{discovery.method.upper()}: candidate boxes", fontsize=10)
    left.grid(alpha=0.3)
    numeric = discovery.restrictions[discovery.restrictions.categories == ""].iloc[::-1]
    width = (numeric.range_high - numeric.range_low).to_numpy()
    start = (numeric.low - numeric.range_low).to_numpy() / width
    end = (numeric.high - numeric.range_low).to_numpy() / width
    y = list(range(len(numeric)))
    right.barh(y, [1.0] * len(y), color="0.9", height=0.6)
    right.barh(y, end - start, left=start, color="#2e5fa8", height=0.6)
    for i, row in enumerate(numeric.itertuples()):
        unit = f" {row.unit}" if row.unit and row.unit != "share" else ""
        right.text(1.02, i, f"{row.low:.3g} to {row.high:.3g}{unit}", va="center", fontsize=8)
    labels = [
        f"{textwrap.fill(row.label, 40)}\n({row.Index}, p {discovery.p_text(row.p_value)})"
        for row in numeric.itertuples()
    ]
    right.set_yticks(y, labels)
    right.set_xlim(0, 1.35)
    right.set_xticks([0, 0.5, 1], ["low", "", "high"])
    right.set_title(
        f"{discovery.outcome} {discovery.condition}\ncoverage {discovery.coverage:.2f}, "
        f"density {discovery.density:.2f}",
        fontsize=10,
    )
    return fig


def importance_chart(sensitivity, outcome: str | None = None, top: int = 15, ax=None):
    """Given-data indices of one outcome's leading inputs as bars with their intervals, the
    noise floor as a line: a bar whose interval reaches below it cannot be told from noise."""
    ranked = sensitivity.ranked(outcome).head(top).iloc[::-1]
    fig, ax = _axes(ax, (8, 0.36 * len(ranked) + 1.6))
    y = list(range(len(ranked)))
    colors = ["#2e5fa8" if d else "0.7" for d in ranked.distinguishable]
    errors = [ranked["index"] - ranked.low, ranked.high - ranked["index"]]
    has_interval = ranked.low.notna().all()
    ax.barh(y, ranked["index"], color=colors, height=0.6, xerr=errors if has_interval else None,
            error_kw={"lw": 0.8, "capsize": 2})  # fmt: skip
    ax.axvline(ranked.noise.iloc[0], color="crimson", lw=1, ls="--", label="noise floor")
    ax.set_yticks(y, [textwrap.fill(label, 44) for label in ranked.label])
    ax.set_xlabel(
        f"{sensitivity.measure.upper()} index over {sensitivity.worlds} drawn worlds "
        f"({sensitivity.confidence:.0%} interval); grey: not distinguishable from noise"
    )
    ax.set_title(f"What {ranked.attrs['outcome']} depends on", fontsize=10)
    ax.legend(frameon=False, loc="lower right")
    ax.grid(alpha=0.3, axis="x")
    return fig


def pareto_chart(search, ax=None):
    """A lever search's Pareto set on its first two objectives (one objective: against the
    first lever), each setting a point."""
    table = search.pareto
    columns = list(table.columns[len(search.levers) :])
    x, y = (columns[0], columns[1]) if len(columns) > 1 else (search.levers[0], columns[0])
    fig, ax = _axes(ax, (6.5, 4.5))
    ax.plot(table[x], table[y], "o-", color="#2e5fa8", ms=5, lw=0.8)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(
        f"{search.scenario}: settings no other beats on every objective\n"
        f"({search.evaluations} candidates over the same {search.worlds} worlds)",
        fontsize=10,
    )
    ax.grid(alpha=0.3)
    return fig
