"""A schematic regional map: actors at approximate positions (no tiles, nothing fetched),
states coloured by the power with the most influence over them, edges sized by trade, border
crossings marked open or closed, for one month.

Positions are longitude and latitude of capitals, rounded (public knowledge); the powers are
placed at the map's edge in their direction (Russia north, China east, the United States
off the map to the west), since their capitals lie far outside the region.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from sim.results.dataset import Results
from sim.results.plots import power_color

POSITIONS = {  # (longitude, latitude)
    "AFG": (69.2, 34.5),  # Kabul
    "TJK": (68.8, 38.6),  # Dushanbe
    "UZB": (69.2, 41.3),  # Tashkent
    "TKM": (58.4, 38.0),  # Ashgabat
    "KAZ": (71.4, 47.5),  # Astana is at 51.2 N; drawn lower to keep the map compact
    "KGZ": (74.6, 42.9),  # Bishkek
    "IRN": (53.0, 35.7),  # Tehran is at 51.4 E
    "PAK": (73.0, 33.7),  # Islamabad
    "RUS": (62.0, 51.5),  # schematic: north
    "CHN": (81.0, 40.0),  # schematic: east (Xinjiang)
    "USA": (51.0, 45.5),  # schematic: off the map
}
CROSSINGS = {
    "termez_hairatan": (67.3, 37.2),
    "serhetabat_torghundi": (62.3, 35.3),
    "shirkhan_panji": (68.6, 37.1),
    "islam_qala": (61.0, 34.7),
    "torkham": (71.1, 34.1),
}
CLOSED = 0.5  # a crossing with more than half its flow blocked (median) is drawn closed


def position(code: str, k: int) -> tuple[float, float]:
    """An actor's position; actors the map does not know sit on a ring around the region."""
    if code in POSITIONS:
        return POSITIONS[code]
    angle = 2 * np.pi * k / 11
    return (67 + 16 * np.cos(angle), 42 + 10 * np.sin(angle))


def map_figure(res: Results, month: int) -> Figure:
    """The region at `month` (index into the run's months)."""
    fig = Figure(figsize=(7.2, 5.4), layout="constrained", dpi=90)
    ax = fig.subplots()
    codes = res.labels("actor")
    where = {code: position(code, k) for k, code in enumerate(codes)}
    _trade_edges(ax, res, month, where)
    _crossings(ax, res, month, where)
    influence = res.dataset["influence"].isel(month=month).median("world").values
    powers, states = res.labels("power"), res.labels("state")
    for j, state in enumerate(states):
        lead = int(np.argmax(influence[:, j]))
        color = power_color(powers[lead], lead)
        x, y = where[state]
        strength = float(influence[lead, j])
        ax.scatter(x, y, s=900, color=color, alpha=0.25 + 0.75 * min(strength / 0.5, 1), zorder=3)
        ax.annotate(
            f"{state}\n{powers[lead]} {strength:.2f}",
            (x, y),
            ha="center",
            va="center",
            fontsize=7,
            zorder=4,
        )
    for i, power in enumerate(powers):
        x, y = where[power]
        ax.scatter(x, y, s=500, marker="s", color=power_color(power, i), zorder=3)
        ax.annotate(power, (x, y), ha="center", va="center", color="white", fontsize=8, zorder=4)
    ax.set_title(
        f"{res.scenario.name}, {res.dates[month]:%Y-%m}: states coloured by the leading power "
        "(shade: its influence)",
        fontsize=9,
    )
    ax.set_xlabel("schematic: approximate longitude and latitude; powers at the map's edge")
    ax.set_aspect("equal")
    ax.margins(0.08)
    ax.set_xticks([])
    ax.set_yticks([])
    return fig


def _trade_edges(ax, res: Results, month: int, where: dict) -> None:
    """A line per trading pair, its width growing with the pair's median trade that month."""
    trade = res.dataset["trade"].isel(month=month).median("world").values
    pairs: dict[tuple[str, str], float] = {}
    for value, a, b in zip(trade, res.labels("exporter"), res.labels("importer"), strict=True):
        key = tuple(sorted((a, b)))
        pairs[key] = pairs.get(key, 0.0) + float(value)
    largest = max(pairs.values(), default=0.0) or 1.0
    for (a, b), value in pairs.items():
        if value > 0:
            (xa, ya), (xb, yb) = where[a], where[b]
            width = 0.4 + 6 * np.sqrt(value / largest)
            ax.plot([xa, xb], [ya, yb], color="0.45", lw=width, alpha=0.35, zorder=1)


def _crossings(ax, res: Results, month: int, where: dict) -> None:
    blocked = res.dataset["disruption"].isel(month=month).median("world").values
    for value, crossing in zip(blocked, res.labels("crossing"), strict=True):
        x, y = CROSSINGS.get(crossing, where[res.scenario.codes("host")[0]])
        closed = value > CLOSED
        ax.scatter(
            x,
            y,
            s=70 if closed else 30,
            marker="X" if closed else "o",
            color="#b2182b" if closed else "#1a9850",
            zorder=5,
        )
        if closed:
            ax.annotate(
                f"{crossing} closed",
                (x, y),
                xytext=(4, -10),
                textcoords="offset points",
                fontsize=6.5,
                color="#b2182b",
                zorder=5,
            )
