"""Results of a run: recorded arrays (month, world, ...) with labelled axes, tidy views,
quantile summaries and plots. Everything a notebook, the CLI or the app reads goes through here."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from sim.params import Params, compile_scenario
from sim.recorder import SERIES, axis_labels
from sim.scenario import Scenario
from sim.store import tidy_table

QUANTILES = (0.05, 0.5, 0.95)
CHUNK_BYTES = 64 * 2**20


def month_chunks(data, bytes_per_value: int = 8) -> Iterator[slice]:
    """Slices of months holding at most CHUNK_BYTES of `data` (months, worlds, ...), so work over
    all worlds stays bounded in memory for any number of worlds (and reads a streamed run's
    month-major file a few months at a time)."""
    per_month = max(int(np.prod(data.shape[1:])) * bytes_per_value, 1)
    step = max(1, CHUNK_BYTES // per_month)
    for start in range(0, data.shape[0], step):
        yield slice(start, start + step)


def world_quantiles(data: np.ndarray, qs=QUANTILES) -> np.ndarray:
    """Quantiles over worlds (axis 1) of a (months, worlds, ...) array, shape (len(qs), months,
    ...), computed a few months at a time in float64."""
    out = np.empty((len(qs), data.shape[0], *data.shape[2:]))
    for months in month_chunks(data):
        out[:, months] = np.quantile(data[months].astype(np.float64), qs, axis=1)
    return out


@dataclass
class Results:
    scenario: Scenario
    arrays: dict[str, np.ndarray]
    seed: int
    timings: dict = field(default_factory=dict)
    folder: Path | None = None  # where a streamed run wrote its trajectories

    @cached_property
    def params(self) -> Params:
        return compile_scenario(self.scenario)

    # ---- axes ----------------------------------------------------------------------------
    @property
    def months(self) -> int:
        return next(iter(self.arrays.values())).shape[0]

    @property
    def worlds(self) -> int:
        return next(iter(self.arrays.values())).shape[1]

    @cached_property
    def dates(self) -> pd.DatetimeIndex:
        return pd.date_range(self.scenario.start_date, periods=self.months, freq="MS")

    def labels(self, axis: str) -> list[str]:
        """Labels along a named axis ('power', 'state', 'flow', ...)."""
        return axis_labels(self.params)[axis]

    # ---- tidy views ----------------------------------------------------------------------
    def frame(self, name: str, **select: str) -> pd.DataFrame:
        """A recorded series in tidy form: month, date, world, one column per axis, value.

        Keyword arguments select one label per axis, e.g. frame("influence", state="AFG").
        """
        data, axes = self._select(name, select)
        data = np.asarray(data)  # a streamed run's month-major file is read whole here
        return tidy_table(data, axes, axis_labels(self.params), self.dates).to_pandas()

    def _select(self, name: str, select: dict) -> tuple[np.ndarray, list[str]]:
        if name not in self.arrays:
            where = (
                f"; the others are on disk under {self.folder}/trajectories" if self.folder else ""
            )
            raise KeyError(f"no series {name!r} in memory: {sorted(self.arrays)}{where}")
        data, axes = self.arrays[name], list(SERIES[name])
        for axis, label in select.items():
            if axis not in axes:
                raise KeyError(f"series {name!r} has no axis {axis!r}; axes: {axes}")
            labels = self.labels(axis)
            if label not in labels:
                raise KeyError(f"unknown {axis} {label!r}; allowed: {', '.join(labels)}")
            position = 2 + axes.index(axis)
            data = np.take(data, labels.index(label), axis=position)
            axes.remove(axis)
        return data, axes

    def influence(self) -> pd.DataFrame:
        """Influence of every power over every state: month, date, world, power, state, value."""
        return self.frame("influence")

    def regional_influence(self) -> np.ndarray:
        """Each power's influence over the region, GDP-weighted over states, (month, world, P)."""
        weights = self.params.gdp[self.params.states]
        share = (weights / weights.sum()).astype(np.float32)
        inf = self.arrays["influence"]
        out = np.empty(inf.shape[:3], dtype=np.float32)
        for months in month_chunks(inf, bytes_per_value=4):
            out[months] = np.einsum("twps,s->twp", inf[months], share)
        return out

    @cached_property
    def influence_bands(self) -> np.ndarray:
        """5%, 50% and 95% quantiles over worlds of influence, (3, months, P, S)."""
        return world_quantiles(self.arrays["influence"])

    def quantiles(self, name: str, **select: str) -> pd.DataFrame:
        """5%, 50% and 95% quantiles over worlds per month (and per remaining axis label)."""
        data, axes = self._select(name, select)
        q = world_quantiles(data)
        index = pd.MultiIndex.from_product(
            [range(self.months), *[self.labels(a) for a in axes]], names=["month", *axes]
        )
        out = pd.DataFrame(
            {f"q{int(x * 100):02d}": q[i].reshape(-1) for i, x in enumerate(QUANTILES)}, index=index
        ).reset_index()
        out.insert(1, "date", self.dates[out["month"].to_numpy()])
        return out.rename(columns={"q50": "median"})

    def summary(self) -> pd.DataFrame:
        """A row per power and state: final-month median, 5% and 95% quantiles of influence, and
        the median over worlds of its change since month 0."""
        inf = self.arrays["influence"]
        final = inf[-1].astype(np.float64)
        change = final - inf[0]
        rows = []
        for i, power in enumerate(self.labels("power")):
            for j, state in enumerate(self.labels("state")):
                lo, mid, hi = np.quantile(final[:, i, j], QUANTILES)
                rows.append(
                    {
                        "power": power,
                        "state": state,
                        "median": mid,
                        "q05": lo,
                        "q95": hi,
                        "change": float(np.median(change[:, i, j])),
                    }
                )
        return pd.DataFrame(rows)

    def tonnes(self, exporter: str, importer: str, commodity: str = "fuel") -> np.ndarray:
        """Monthly flow in kilotonnes, (month, world), through the commodity's price per tonne."""
        flow = self.labels("flow").index(f"{exporter}-{importer}-{commodity}")
        price = self.params.price[self.params.commodity[flow]]
        return self.arrays["trade"][:, :, flow].astype(np.float64) * 1e6 / price / 1e3

    def event_markers(self) -> list[tuple[int, str]]:
        """(month, label) of every scheduled event, for plots."""
        s = self.scenario
        return [
            (s.month_index(e.month), e.label or f"{e.type} {e.target or e.actor or ''}".strip())
            for e in s.events
            if s.month_index(e.month) < self.months
        ]

    # ---- plots and files -----------------------------------------------------------------
    def plot_influence(self, state: str, ax=None):
        """Median influence of each power over `state` with a 5-95% band; returns the figure."""
        from sim.plots import plot_influence

        return plot_influence(self, state, ax=ax)

    def plot_overview(self):
        """Regional overview: every state's influence medians and the regional aggregate."""
        from sim.plots import plot_overview

        return plot_overview(self)

    def save(self, folder) -> None:
        """Write manifest, summary, trajectories (Parquet) and plots into `folder` atomically."""
        from sim.store import save_results

        save_results(self, folder)
