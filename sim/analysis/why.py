"""Why influence changed: a paired change split into its components world by world (over the
host, a power's economic and diplomatic components into their drivers too), and in words.

In world i, holder h's change is the sum of its components' changes (each component is
recorded, and they add up to influence), so the components' mean changes add up to the mean
change. Their medians and bands do not add up: a component's 5-95% says how much it varies
across worlds, and `with_total` how often it moves the way the holder's total does.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from sim.analysis.effects import signed
from sim.results.decomposition import parts, table

LEGEND = (
    "Each component: its mean change (the components' means add up to the holder's), its 5% "
    "to 95% across worlds, and the share of worlds where it moves the way the holder's total "
    "does."
)
DRIVERS = (
    " Over the host a power's economic component is its aid, investment and remittances, its "
    "diplomatic one its diplomatic engagement and recognition."
)
SMALL = 0.0005  # signed() prints less as 0.000
COLUMNS = ["holder", "component", "driver", "mean", "q05", "median", "q95", "share", "with_total"]


def change_table(
    comparison,
    state: str,
    holder: str | None = None,
    at: int | slice = -1,
    drivers: bool = False,
) -> pd.DataFrame:
    """A row per holder of influence over `state` (or `holder` alone) and component: the change
    a - b of what the component adds, its mean over worlds, its 5%, 50% and 95% across worlds,
    `share` (its mean against the holder's mean change) and `with_total` (the share of worlds
    where it has the sign of the holder's change in that world)."""
    a, b = comparison.a, comparison.b
    frames = []
    for h in [holder] if holder else a.holders_over(state):
        change = parts(a, h, state, at, drivers) - parts(b, h, state, at, drivers)
        total = change.values.sum(axis=1, keepdims=True)
        frame = table(change).assign(holder=h)
        frame["with_total"] = (np.sign(change.values) == np.sign(total)).mean(axis=0)
        frames.append(frame)
    found = pd.concat(frames, ignore_index=True)[COLUMNS]
    return found if drivers else found.drop(columns="driver")


def why_lines(comparison, state: str) -> list[str]:
    """Each holder's mean change of influence over `state` at the last month and, largest
    first, the components that moved it (a power's over the host with their drivers beneath),
    each with its mean change, its 5% to 95% across worlds and the share of worlds where it
    moves with the holder's total; those within the printed precision in 90% of worlds on one
    line; then what the numbers are."""
    components = change_table(comparison, state)
    drivers = change_table(comparison, state, drivers=True)
    drivers = drivers[(drivers.driver != drivers.component) & ~_small(drivers)]
    names = {*components.component, *drivers.driver}
    width = max(len(name) + 2 * (name in drivers.driver.values) for name in names) + 2
    lines = [f"Why, by component: influence over {state} in {comparison.a.dates[-1]:%Y-%m}"]
    for holder, own in components.groupby("holder", sort=False):
        lines.append(f"  {holder} {signed(own['mean'].sum())}")
        small = _small(own)
        for row in own[~small].sort_values("mean", key=abs, ascending=False).itertuples():
            lines.append(f"    {_numbers(row.component, row, width)}")
            split = drivers[(drivers.holder == holder) & (drivers.component == row.component)]
            lines += [f"      {_numbers(d.driver, d, width - 2)}" for d in split.itertuples()]
        if small.any():
            still = ", ".join(own.component[small])
            lines.append(f"    within {SMALL} of zero in 90% of worlds: {still}")
    host = comparison.a.scenario.codes("host")[0]
    return lines + textwrap.wrap(LEGEND + (DRIVERS if state == host else ""), 100)


def _small(rows: pd.DataFrame) -> pd.Series:
    """Rows whose 5% to 95% across worlds lies within what signed() prints as 0.000."""
    return (rows.q05.abs() < SMALL) & (rows.q95.abs() < SMALL)


def _numbers(name: str, row, width: int) -> str:
    """'name  +0.012 [+0.004, +0.015]  98%': a part's mean change, its 5% to 95% across
    worlds, the share of worlds where it moves with the total."""
    return (
        f"{name:<{width}}{signed(row.mean):>6} [{signed(row.q05)}, {signed(row.q95)}]"
        f" {row.with_total:>4.0%}"
    )
