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
WHY_COLUMNS = ["holder", "part", "level", "small", "mean", "q05", "q95", "with_total"]


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


def why_rows(comparison, state: str) -> pd.DataFrame:
    """What describe_why prints, in its order, a row each: a holder's mean change of influence
    over `state` at the last month (`level` 0); the components that moved it, largest first
    (`level` 1), each followed by its drivers (`level` 2; a power's over the host); then the
    components within the printed precision of zero in 90% of worlds (`small`). Columns: holder,
    part, level, small, mean, q05, q95, with_total (empty for a holder's total)."""
    components = change_table(comparison, state)
    drivers = change_table(comparison, state, drivers=True)
    drivers = drivers[(drivers.driver != drivers.component) & ~prints_as_zero(drivers)]
    rows = []
    for holder, own in components.groupby("holder", sort=False):
        total = own["mean"].sum()
        rows.append({"holder": holder, "part": holder, "level": 0, "small": False, "mean": total})
        small = prints_as_zero(own)
        for row in own[~small].sort_values("mean", key=abs, ascending=False).itertuples():
            rows.append(_part(row, row.component, 1))
            split = drivers[(drivers.holder == holder) & (drivers.component == row.component)]
            rows += [_part(d, d.driver, 2) for d in split.itertuples()]
        rows += [_part(row, row.component, 1, small=True) for row in own[small].itertuples()]
    return pd.DataFrame(rows, columns=WHY_COLUMNS)


def _part(row, name: str, level: int, small: bool = False) -> dict:
    """A row of why_rows for a component or driver (a row of change_table)."""
    numbers = {n: getattr(row, n) for n in ("mean", "q05", "q95", "with_total")}
    return {"holder": row.holder, "part": name, "level": level, "small": small, **numbers}


def why_lines(comparison, state: str) -> list[str]:
    """Each holder's mean change of influence over `state` at the last month and, largest
    first, the components that moved it (a power's over the host with their drivers beneath),
    each with its mean change, its 5% to 95% across worlds and the share of worlds where it
    moves with the holder's total; those within the printed precision in 90% of worlds on one
    line; then what the numbers are."""
    rows = why_rows(comparison, state)
    parts = rows[rows.level > 0]
    width = max(len(row.part) + 2 * (row.level == 2) for row in parts.itertuples()) + 2
    lines = [f"Why, by component: influence over {state} in {comparison.a.dates[-1]:%Y-%m}"]
    for holder, own in rows.groupby("holder", sort=False):
        lines.append(f"  {holder} {signed(own['mean'].iloc[0])}")
        for row in own[(own.level > 0) & ~own.small].itertuples():
            indent = "  " * (row.level + 1)
            lines.append(f"{indent}{_numbers(row.part, row, width - 2 * (row.level - 1))}")
        small = own[own.small]
        if len(small):
            lines.append(f"    within {SMALL} of zero in 90% of worlds: {', '.join(small.part)}")
    host = comparison.a.scenario.codes("host")[0]
    return lines + textwrap.wrap(LEGEND + (DRIVERS if state == host else ""), 100)


def prints_as_zero(rows: pd.DataFrame) -> pd.Series:
    """Rows whose 5% to 95% across worlds lies within what signed() prints as 0.000."""
    return (rows.q05.abs() < SMALL) & (rows.q95.abs() < SMALL)


def _numbers(name: str, row, width: int) -> str:
    """'name  +0.012 [+0.004, +0.015]  98%': a part's mean change, its 5% to 95% across
    worlds, the share of worlds where it moves with the total."""
    return (
        f"{name:<{width}}{signed(row.mean):>6} [{signed(row.q05)}, {signed(row.q95)}]"
        f" {row.with_total:>4.0%}"
    )
