"""Matplotlib figures of results: influence bands per state and a regional overview, and the
plots of a result folder (`write_plots`), drawn by whoever writes the folder.

Figures are made with matplotlib's object API (Figure, not pyplot), so importing or calling
this module never switches the backend of a notebook or an app that uses it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from sim.results.reduce import world_quantiles

POWER_COLORS = {
    "RUS": "#c0392b",
    "CHN": "#d4a017",
    "USA": "#2e5fa8",
    "IRN": "#2e8b57",
    "PAK": "#6a3d9a",
}
FALLBACK = colormaps["tab10"].colors


def power_color(power: str, i: int) -> str:
    return POWER_COLORS.get(power, FALLBACK[i % len(FALLBACK)])


def _mark_events(ax, res) -> None:
    """Dotted lines at scheduled events, numbered (events of one month share a line and a
    label such as '6-8'), with the numbered list under the axes, entries never split."""
    by_month: dict[int, list[int]] = {}
    notes = []
    for number, (month, label) in enumerate(res.event_markers(), start=1):
        by_month.setdefault(month, []).append(number)
        notes.append(f"{number} {res.dates[month]:%Y-%m} {label}")
    for level, (month, numbers) in enumerate(sorted(by_month.items())):
        date = res.dates[month]
        text = str(numbers[0]) if len(numbers) == 1 else f"{numbers[0]}-{numbers[-1]}"
        ax.axvline(date, color="0.55", lw=0.7, ls=":", zorder=0)
        ax.annotate(
            text,
            xy=(date, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, 2 + 7 * (level % 3)),
            textcoords="offset points",
            fontsize=6.5,
            color="0.3",
            ha="center",
            va="bottom",
        )
    if notes:
        ax.figure.supxlabel(
            "\n".join(_pack(notes, width=165)), fontsize=6.5, color="0.3", ha="left", x=0.01
        )


def _pack(entries: list[str], width: int) -> list[str]:
    """Lines of entries separated by three spaces, no entry split across lines."""
    lines = [""]
    for entry in entries:
        if lines[-1] and len(lines[-1]) + 3 + len(entry) > width:
            lines.append("")
        lines[-1] += ("   " if lines[-1] else "") + entry
    return lines


def draw_holders(ax, res, state: str, months: slice = slice(None), **style) -> tuple[int, float]:
    """Draw the median influence of the neighbours that hold influence over `state` (only the
    host has them) over `months`, in `style`; return how many were drawn and the highest value."""
    held = list(res.params.holders.codes)
    if state != res.params.codes[res.params.host] or not held:
        return 0, 0.0
    medians = world_quantiles(res.dataset["host_influence"].sel(holder=held)).values[1][months]
    first = len(res.labels("power"))
    for j, code in enumerate(held):
        color = power_color(code, first + j)
        ax.plot(res.dates[months], medians[:, j], color=color, label=f"{code} (median)", **style)
    return len(held), float(medians.max()) if medians.size else 0.0


def plot_influence(res, state: str, ax=None, baseline=None):
    """Median and 5-95% band of each power's influence over `state`, events marked; with
    `baseline` (Results of the same months), its medians of the powers dotted."""
    if ax is None:
        fig = Figure(figsize=(10, 5.2), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    states = res.labels("state")
    if state not in states:
        raise KeyError(f"unknown state {state!r}; allowed: {', '.join(states)}")
    q05, med, q95 = res.influence_bands.sel(state=state).values
    powers = res.labels("power")
    for i, power in enumerate(powers):
        color = power_color(power, i)
        ax.fill_between(res.dates, q05[:, i], q95[:, i], color=color, alpha=0.2, lw=0)
        ax.plot(res.dates, med[:, i], color=color, lw=1.8, label=f"{power} (median, 5-95%)")
    top = max(float(q95.max()), draw_holders(ax, res, state, lw=1.4, ls="--")[1])
    if baseline is not None:
        ghost = baseline.influence_bands.sel(state=state).values[1]
        for i, power in enumerate(powers):
            ax.plot(baseline.dates, ghost[:, i], color=power_color(power, i), lw=1.2, ls=":")
        ax.plot([], [], color="0.3", lw=1.2, ls=":", label=f"{baseline.scenario.name} (median)")
        top = max(top, float(ghost.max()))
    ax.set_ylim(0, max(0.05, top * 1.25))
    _mark_events(ax, res)
    ax.set_title(f"Influence over {state}: {res.scenario.name}, {res.worlds} worlds", pad=24)
    ax.set_ylabel("influence index [0, 1]")
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def plot_overview(res):
    """A panel per state with every power's median influence, plus the GDP-weighted region."""
    states = res.labels("state")
    cols = 3
    rows = int(np.ceil((len(states) + 1) / cols))
    fig = Figure(figsize=(4 * cols, 2.6 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, sharex=True).ravel()
    inf = res.influence_bands.sel(quantile=0.5).values
    for k, state in enumerate(states):
        for i, power in enumerate(res.labels("power")):
            axes[k].plot(res.dates, inf[:, i, k], color=power_color(power, i), lw=1.4, label=power)
        axes[k].set_title(state, fontsize=9)
        axes[k].grid(alpha=0.3)
    region = res.regional_influence()
    q05, med, q95 = world_quantiles(region).values
    ax = axes[len(states)]
    for i, power in enumerate(res.labels("power")):
        ax.fill_between(
            res.dates, q05[:, i], q95[:, i], color=power_color(power, i), alpha=0.2, lw=0
        )
        ax.plot(res.dates, med[:, i], color=power_color(power, i), lw=1.6, label=power)
    ax.set_title("Region (GDP-weighted)", fontsize=9)
    ax.grid(alpha=0.3)
    for extra in axes[len(states) + 1 :]:
        extra.set_visible(False)
    axes[0].legend(fontsize=7)
    fig.suptitle(f"Median influence by state: {res.scenario.name}, {res.worlds} worlds")
    return fig


PLOTS = "plots"  # a result folder's plots: influence_<STATE>.png per state, overview.png


def write_plots(res, folder: Path) -> list[Path]:
    """Draw a result folder's plots into folder/plots (influence over each state, and the
    overview); return their paths, sorted, for the manifest to list with their checksums."""
    where = Path(folder) / PLOTS
    where.mkdir(exist_ok=True)
    paths = []
    for state in res.labels("state"):  # drawn and saved one at a time: a figure holds memory
        paths.append(where / f"influence_{state}.png")
        plot_influence(res, state).savefig(paths[-1], dpi=110)
    paths.append(where / "overview.png")
    plot_overview(res).savefig(paths[-1], dpi=110)
    return sorted(paths)
