"""Paired comparison of two runs: the difference of influence world by world.

Two runs with the same seed and worlds share every random draw (common random numbers: each
draw is a function of seed, world, month and stream only), so world i of one run and world i
of the other differ only by the scenario. The difference per world then has far less noise
than the difference of two ensembles' means, and its mean, a confidence interval over worlds
(Student t) and the share of worlds where it is positive say how sure the effect is.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats

from sim.errors import ResultError
from sim.results.dataset import Results
from sim.results.folder import MANIFEST, write_listing

CONFIDENCE = 0.95
NEGLIGIBLE = 0.005  # half a point of the index: a smaller effect, however certain, is negligible


class Comparison:
    """Influence of run `a` minus run `b`, paired by world: `table` has one row per month,
    power and state (of `state` only if given) with both means, the mean difference, its
    confidence interval and the share of worlds where it is positive; `final()` the last
    month; `describe()` it as text; `plot()` a figure with the intervals as bands."""

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

    def effects(self, state: str | None = None, negligible: float = NEGLIGIBLE) -> pd.DataFrame:
        """The last month's rows with an `effect` each: 'gain' or 'loss' when the interval
        excludes zero and the difference is at least `negligible` in size, 'negligible' when
        it excludes zero but is smaller, 'unclear' when the interval covers zero."""
        rows = self.final(state).copy()
        certain = (rows.ci_low > 0) | (rows.ci_high < 0)
        large = certain & (rows.difference.abs() >= negligible)
        rows["effect"] = np.select(
            [large & (rows.difference > 0), large, certain], ["gain", "loss", "negligible"],
            "unclear",
        )  # fmt: skip
        return rows

    def describe(self, state: str | None = None) -> str:
        """The last month for one state (default: the comparison's, else the host) as text,
        a line per power."""
        name_a, name_b = self.a.scenario.name, self.b.scenario.name
        state = self._state(state)
        last = self.final(state)
        date = pd.Timestamp(last.date.iloc[0])
        lines = [
            f"{name_a} - {name_b}: influence over {state} in {date:%Y-%m}, paired over "
            f"{self.a.worlds} worlds ({self.confidence:.0%} interval)"
        ]
        for row in last.itertuples():
            lines.append(
                f"  {row.power}: {row.difference:+.4f} [{row.ci_low:+.4f}, {row.ci_high:+.4f}]"
                f"  ({row.mean_a:.3f} vs {row.mean_b:.3f}; higher in {row.share_positive:.0%}"
                " of worlds)"
            )
        return "\n".join(lines)

    def plot(self, state: str | None = None, ax=None):
        """Mean paired difference of each power's influence over a state (default: the
        comparison's, else the host) with its interval as a band."""
        from sim.analysis.figures import difference_chart

        return difference_chart(self, self._state(state), ax=ax)


def compare(a, b, state: str | None = None, confidence: float = CONFIDENCE) -> Comparison:
    """Paired comparison of run `a` against run `b` (Results, or result folders): the
    difference of influence world by world, with its confidence interval (Student t over
    worlds) and the share of worlds where `a` ends higher. Both must have the same seed and
    worlds (common random numbers).

    Example::

        c = compare(load_results("out/us_reengagement"), load_results("out/baseline"), "AFG")
        c.final()[["power", "difference", "ci_low", "ci_high", "share_positive"]]
    """
    from sim.results.store import open_run

    a = a if isinstance(a, Results) else open_run(Path(a))
    b = b if isinstance(b, Results) else open_run(Path(b))
    return Comparison(a, b, confidence, state)


def mean_interval(values: xr.DataArray, confidence: float = CONFIDENCE) -> xr.Dataset:
    """Mean over worlds with its Student t confidence interval (mean, ci_low, ci_high), in
    float64; the interval is NaN for one world."""
    values = values.astype("float64")
    n = values.sizes["world"]
    mean = values.mean("world")
    if n < 2:
        nan = xr.full_like(mean, np.nan)
        return xr.Dataset({"mean": mean, "ci_low": nan, "ci_high": nan})
    half = stats.t.ppf(0.5 + confidence / 2, df=n - 1) * values.std("world", ddof=1) / np.sqrt(n)
    return xr.Dataset({"mean": mean, "ci_low": mean - half, "ci_high": mean + half})


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
    for dim in ("month", "power", "state"):
        if a.labels(dim) != b.labels(dim):
            raise ResultError(where, f"its {dim}s differ from the other run's; not comparable")
    if a.scenario.start != b.scenario.start:
        raise ResultError(where, f"starts {a.scenario.start}, the other run {b.scenario.start}")


def _paired_table(a: Results, b: Results, confidence: float, state: str | None) -> pd.DataFrame:
    select = {} if state is None else {"state": [state]}
    ia = a.series("influence").sel(select).astype("float64")
    ib = b.series("influence").sel(select).astype("float64")
    diff = mean_interval(ia - ib, confidence).rename(mean="difference")
    stats_over_worlds = diff.assign(
        mean_a=ia.mean("world"), mean_b=ib.mean("world"), share_positive=(ia > ib).mean("world")
    ).compute()
    table = stats_over_worlds.to_dataframe().reset_index()
    columns = ["month", "date", "power", "state", "mean_a", "mean_b", "difference"]
    return table[[*columns, "ci_low", "ci_high", "share_positive"]]


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


def compare_batch(folder: Path, runs) -> list[str]:
    """Lines comparing each run of a batch against the batch's baseline (point 0 of the
    scenario named baseline) over the host, when they share seed and worlds."""
    from sim.results.store import open_run

    base = next((r for r in runs if r.scenario.name == "baseline" and r.point == 0), None)
    if base is None or not (folder / base.key / MANIFEST).is_file():
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
        for power, rows in final.groupby("power", sort=False):
            d = rows.difference
            lines.append(f"  {power}: {d.min():+.4f}, {d.median():+.4f}, {d.max():+.4f}")
    return lines
