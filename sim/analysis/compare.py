"""Paired comparison of two runs: the difference of influence world by world, for every
holder of influence (the powers over every state, the neighbours that hold influence over the
host).

Two runs with the same seed and worlds share every random draw (common random numbers: each
draw is a function of seed, world, month and stream only), so world i of one run and world i
of the other differ only by the scenario. The effects are reported as sim.analysis.effects
says: the mean with its interval, the spread across worlds, the share of worlds with a gain and
the size against the baseline's level.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.effects import (
    CONFIDENCE,
    NEGLIGIBLE_FLOOR,
    NEGLIGIBLE_SHARE,
    SPREAD,
    effect_sentence,
    label_effects,
    legend,
    paired_effects,
    signed,
)
from sim.core.series import SERIES
from sim.errors import ResultError
from sim.results.dataset import Results
from sim.results.folder import MANIFEST, write_listing
from sim.results.outcomes import outcome_values
from sim.scenario.schema import Outcome

COLUMNS = [
    "month", "date", "holder", "holder_kind", "state", "mean_a", "mean_b", "difference",
    "ci_low", "ci_high", "diff_q05", "diff_median", "diff_q95", "share_positive", "relative",
]  # fmt: skip


class Comparison:
    """Influence of run `a` minus run `b`, paired by world: `table` has one row per month,
    holder and state (of `state` only if given): the powers over every state, then the
    neighbours that hold influence over the host (`holder_kind` says which), with both means,
    the mean difference and its confidence interval, its 5%, 50% and 95% across worlds, the
    share of worlds where it is positive and its size relative to b's mean; `final()` the last
    month; `effects()` it labelled; `mean_effects()` the effect on each world's mean over a
    window of months, labelled alike; `describe()` the last month as text; `plot()` a figure;
    `decompose()` and `describe_why()` the change split into its components."""

    def __init__(
        self, a: Results, b: Results, confidence: float = CONFIDENCE, state: str | None = None
    ):
        check_paired(a, b)
        if state is not None and state not in a.labels("state"):
            raise KeyError(f"unknown state {state!r}; allowed: {', '.join(a.labels('state'))}")
        self.a, self.b, self.confidence, self.state = a, b, confidence, state
        self.table = _paired_table(a, b, confidence, state)

    def __repr__(self) -> str:
        over = f" over {self.state}" if self.state else ""
        return (
            f"<Comparison {self.a.scenario.name} - {self.b.scenario.name}{over}, "
            f"{self.a.worlds} worlds>"
        )

    def _state(self, state: str | None) -> str:
        return state or self.state or self.a.scenario.codes("host")[0]

    def final(self, state: str | None = None) -> pd.DataFrame:
        """The last month's rows (of one state if given)."""
        last = self.table[self.table.month == self.table.month.max()]
        state = state or self.state
        return last if state is None else last[last.state == state]

    def effects(
        self,
        state: str | None = None,
        share: float = NEGLIGIBLE_SHARE,
        floor: float = NEGLIGIBLE_FLOOR,
    ) -> pd.DataFrame:
        """The last month's rows with `negligible_below` and an `effect` each ('none', 'gain',
        'loss', 'mixed', 'negligible' or 'unclear'; sim.analysis.effects.label_effects):
        negligible means under `share` of b's level, or under `floor`."""
        return label_effects(self.final(state), share, floor)

    def mean_effects(
        self,
        state: str | None = None,
        window: tuple[str, str] | None = None,
        share: float = NEGLIGIBLE_SHARE,
        floor: float = NEGLIGIBLE_FLOOR,
    ) -> pd.DataFrame:
        """The paired effect on each holder's mean influence over the months of `window`
        ([first, last] as YYYY-MM, as an outcome's window; default: the whole run), each world's
        mean taken first, over one state (default: the comparison's, else the host): the columns
        of effects(), with the month and date of the window's last month."""
        months = self._months(window)
        table = _paired_table(self.a, self.b, self.confidence, self._state(state), months)
        return label_effects(table, share, floor)

    def _months(self, window: tuple[str, str] | None) -> np.ndarray:
        """The indices of the months of `window`, every month without one."""
        if window is None:
            return np.arange(self.a.months)
        first, last = (pd.Timestamp(f"{month}-01") for month in window)
        months = np.flatnonzero((self.a.dates >= first) & (self.a.dates <= last))
        if not months.size:
            raise ValueError(
                f"window {window[0]} to {window[1]} holds no month of the run "
                f"({self.a.dates[0]:%Y-%m} to {self.a.dates[-1]:%Y-%m})"
            )
        return months

    def describe(self, state: str | None = None) -> str:
        """The last month for one state (default: the comparison's, else the host) as text,
        a line per holder, then what the numbers are."""
        name_a, name_b = self.a.scenario.name, self.b.scenario.name
        state = self._state(state)
        last = self.effects(state)
        date = pd.Timestamp(last.date.iloc[0])
        lines = [
            f"{name_a} - {name_b}: influence over {state} in {date:%Y-%m}, paired over "
            f"{self.a.worlds} worlds"
        ]
        for row in last.itertuples():
            lines.append(f"  {effect_sentence(row)}")
        lines += textwrap.wrap(legend(self.confidence, self.a, self.b), 100)
        return "\n".join(lines)

    def decompose(
        self,
        state: str | None = None,
        holder: str | None = None,
        at: int | slice = -1,
        drivers: bool = False,
    ) -> pd.DataFrame:
        """Each holder's paired change of influence over a state (default: the comparison's,
        else the host) at month `at` (an index; a slice: the mean of its months) split into its
        components (sim.analysis.why.change_table): a row per holder (or `holder` alone) and
        component with the mean change, its 5%, 50% and 95% across worlds, `share` of the
        holder's mean change and `with_total`, the share of worlds where it has the sign of the
        holder's change. The components' changes add up to the change in every world; with
        `drivers`, a power's economic and diplomatic components over the host split further."""
        from sim.analysis.why import change_table

        return change_table(self, self._state(state), holder, at, drivers)

    def describe_why(self, state: str | None = None) -> str:
        """The last month's decomposition for one state (default: the comparison's, else the
        host) as text: each holder's change, the components that moved it, what the numbers
        are."""
        from sim.analysis.why import why_lines

        return "\n".join(why_lines(self, self._state(state)))

    def plot(self, state: str | None = None, ax=None):
        """Mean paired difference of each holder's influence over a state (default: the
        comparison's, else the host) with its interval as a band."""
        from sim.analysis.figures import difference_chart

        return difference_chart(self, self._state(state), ax=ax)

    def outcomes(self, outcomes: list[Outcome] | None = None) -> pd.DataFrame:
        """Outcomes (default: those of a's scenario) paired world by world, a row each by
        name: label, unit, both means (mean_a, mean_b), the difference's 5%, 50% and 95% across
        worlds (diff_q05, diff_median, diff_q95) and the share of worlds where a is higher."""
        outcomes = self.a.scenario.outcomes if outcomes is None else outcomes
        a, b = (outcome_values(res.dataset, outcomes) for res in (self.a, self.b))
        spread = (a - b).quantile(list(SPREAD.values()))
        return pd.DataFrame(
            {
                "label": [o.label or o.name for o in outcomes],
                "unit": [outcome_unit(o) for o in outcomes],
                "mean_a": a.mean(),
                "mean_b": b.mean(),
                **{name: spread.loc[q] for name, q in SPREAD.items()},
                "share_positive": (a > b).mean(),
            },
            index=pd.Index(a.columns, name="outcome"),
        )

    def plot_outcomes(self, outcomes: list[Outcome] | None = None):
        """The paired difference of each outcome's series month by month (default: the
        outcomes of a's scenario): median and 5-95% across worlds, its window shaded."""
        from sim.analysis.figures import outcome_chart

        return outcome_chart(self, self.a.scenario.outcomes if outcomes is None else outcomes)


def compare(a, b, state: str | None = None, confidence: float = CONFIDENCE) -> Comparison:
    """Paired comparison of run `a` against run `b` (Results, or result folders): the
    difference of influence world by world for every holder, with its confidence interval
    (Student t over worlds), its spread across worlds, the share of worlds where `a` ends
    higher and its size against `b`'s level. Both must have the same seed and worlds (common
    random numbers).

    Example::

        c = compare(load_results("out/us_reengagement"), load_results("out/baseline"), "AFG")
        c.effects()[["holder", "difference", "diff_q05", "diff_q95", "share_positive", "effect"]]
    """
    from sim.results.store import open_run

    a = a if isinstance(a, Results) else open_run(Path(a))
    b = b if isinstance(b, Results) else open_run(Path(b))
    return Comparison(a, b, confidence, state)


def outcome_unit(outcome: Outcome) -> str:
    """The unit of an outcome's value: its series' unit, or months for a timing."""
    return "months" if outcome.over.startswith("first_") else SERIES[outcome.series].unit


def check_paired(a: Results, b: Results) -> None:
    """Refuse runs whose worlds are not the same worlds: pairing them would mean nothing."""
    where = a.folder or a.scenario.name
    hint = "; run both with the same --seed and --worlds to compare them"
    if a.seed != b.seed:
        raise ResultError(where, f"seed {a.seed} differs from the other run's {b.seed}{hint}")
    if not np.array_equal(a.dataset.world.values, b.dataset.world.values):
        raise ResultError(
            where, f"worlds ({a.worlds}) are not the other run's ({b.worlds}) worlds{hint}"
        )
    for dim in ("month", "power", "holder", "state"):
        if a.labels(dim) != b.labels(dim):
            raise ResultError(where, f"its {dim}s differ from the other run's; not comparable")
    if a.scenario.start != b.scenario.start:
        raise ResultError(where, f"starts {a.scenario.start}, the other run {b.scenario.start}")
    if a.assumptions != b.assumptions:
        raise ResultError(
            where,
            f"its assumptions are {a.assumptions}, the other run's {b.assumptions}: world by "
            "world they differ; run both with the same --assumptions to compare them",
        )


def _paired_table(
    a: Results, b: Results, confidence: float, state: str | None, months: np.ndarray | None = None
) -> pd.DataFrame:
    """The comparison's table: paired_effects of each part of the holdings (the powers, then
    the neighbours over the host), month by month; over `months` (indices), of each world's
    mean over them, as one month: the last of them."""
    frames = []
    parts = zip(a.holdings(), b.holdings(), strict=True)
    for kind, (part_a, part_b) in zip(("power", "neighbour"), parts, strict=False):
        if state is not None:
            if state not in part_a.state.values:
                continue
            part_a, part_b = part_a.sel(state=[state]), part_b.sel(state=[state])
        if months is not None:
            part_a, part_b = _mean_over(part_a, months), _mean_over(part_b, months)
        found = paired_effects(part_a, part_b, confidence)
        frame = found.to_dataframe().reset_index().assign(holder_kind=kind)
        frames.append(frame.astype({"holder": str, "state": str}))
    table = pd.concat(frames, ignore_index=True).sort_values("month", kind="stable")
    return table[COLUMNS].reset_index(drop=True)


def _mean_over(part, months: np.ndarray):
    """Each world's mean over `months` (float64), kept as one month: the last of them."""
    last = part.isel(month=months[-1:])
    mean = part.isel(month=months).astype("float64").mean("month")
    return mean.expand_dims(month=last.month.values, axis=0).assign_coords(
        date=("month", last.date.values)
    )


def write_comparison(comparison: Comparison, claim) -> list[Path]:
    """comparison.csv and a plot per state into a claimed output folder (sim.results.folder:
    claimed with kind "comparison" and the two result folders as its inputs, checked before
    any work, moved into place whole); returns the paths written."""
    comparison.table.to_csv(claim.work / "comparison.csv", index=False, float_format="%.6f")
    names = ["comparison.csv"]
    for state in comparison.a.labels("state"):
        name = f"comparison_{state}.png"
        comparison.plot(state).savefig(claim.work / name, dpi=110)
        names.append(name)
    folders = [str(comparison.a.folder), str(comparison.b.folder)]
    write_listing(claim.work, "comparison", names, of=folders)
    target = claim.commit()
    return [target / name for name in names]


def batch_baseline(folder: Path, runs):
    """The run a batch compares its runs against: point 0 of the scenario named baseline, once
    finished; None when the batch has none."""
    base = next((r for r in runs if r.scenario.name == "baseline" and r.point == 0), None)
    return base if base is not None and (folder / base.key / MANIFEST).is_file() else None


def compare_batch(folder: Path, runs) -> list[str]:
    """Lines comparing each run of a batch against the batch's baseline (point 0 of the
    scenario named baseline) over the host, when they share seed and worlds."""
    from sim.results.store import open_run

    base = batch_baseline(folder, runs)
    if base is None:
        return []
    baseline = open_run(folder / base.key, verify_data=False)
    host = baseline.scenario.codes("host")[0]
    lines = []
    by_file: dict[str, list] = {}
    for run in runs:
        if run.file != base.file and (folder / run.key / MANIFEST).is_file():
            by_file.setdefault(run.file, []).append(run)
    for points in by_file.values():
        try:
            found = [compare(open_run(folder / r.key, verify_data=False), baseline) for r in points]
        except ResultError as err:
            lines.append(f"{points[0].scenario.name}: not compared ({err.message})")
            continue
        if len(found) == 1:
            lines.append(found[0].describe(host))
            continue
        final = pd.concat(
            [c.final(host).assign(point=r.point) for c, r in zip(found, points, strict=True)]
        )
        lines.append(
            f"{points[0].scenario.name} - baseline: influence over {host} at the end, "
            f"{len(points)} sweep points (mean paired difference: lowest, median, highest point)"
        )
        for holder, rows in final.groupby("holder", sort=False):
            d = rows.difference
            lines.append(f"  {holder}: " + ", ".join(map(signed, (d.min(), d.median(), d.max()))))
    return lines
