"""Results of a run over one xarray.Dataset: every recorded series a variable with named
dimensions (month, world, power, state, flow, ...), coordinates (dates, codes) and its unit and
description as attributes, all from the registry sim.core.series.SERIES.

Tidy pandas views, quantile summaries, the regional aggregate and the plots derive from the
Dataset. It is in memory after `sim.run(...)` and lazy (dask over a Zarr store) after
`sim.load_results(DIR)`; every method works on both, a few months at a time.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from sim.core.assumptions import FIXED, draw
from sim.core.params import Params, compile_scenario
from sim.core.series import ENSEMBLE_DIMS, SERIES, dim_labels
from sim.core.units import kilotonnes
from sim.results.reduce import QUANTILES, world_quantiles
from sim.scenario.schema import Scenario

FORMAT = "regional-influence-sim/results"


def coordinates(scenario: Scenario, p: Params, months: int, first_world: int, worlds: int):
    """Coordinates of a run's Dataset: month (with its date), world, and every labelled dim;
    flows also carry their exporter, importer and commodity for selection."""
    dates = pd.date_range(scenario.start_date, periods=months, freq="MS")
    coords = {
        "month": ("month", np.arange(months), {"description": f"months since {scenario.start}"}),
        "date": (
            "month",
            dates.to_numpy().astype("datetime64[ns]"),
            {"description": "first day of the month"},
        ),
        "world": ("world", np.arange(first_world, first_world + worlds)),
    }
    for dim, labels in dim_labels(p).items():
        coords[dim] = (dim, np.array(labels, dtype=object))
    f = p.flow
    for name, index in (("exporter", f.exporter), ("importer", f.importer)):
        coords[name] = ("flow", np.array([p.codes[i] for i in index], dtype=object))
    coords["commodity"] = ("flow", np.array([p.commodity.names[k] for k in f.commodity], object))
    return coords


def dataset_attrs(scenario: Scenario, seed: int, assumptions: str = FIXED) -> dict:
    return {
        "title": f"{scenario.name}: regional influence ensemble",
        "format": FORMAT,
        "scenario_name": scenario.name,
        "scenario_hash": scenario.content_hash(),
        "seed": int(seed),
        "assumptions": assumptions,
        "scenario": json.dumps(scenario.model_dump(mode="json")),
    }


def build_dataset(
    scenario: Scenario,
    arrays: dict[str, np.ndarray],
    seed: int,
    first_world: int = 0,
    params: Params | None = None,
    assumptions: str = FIXED,
) -> xr.Dataset:
    """A Dataset over recorded arrays (months, worlds, ...), without copying them; its labels
    from `params`, the compiled scenario (compiled here when not given); the coordinate
    `assumptions` (world, assumption) holds each world's drawn (or, fixed, written) values."""
    p = compile_scenario(scenario) if params is None else params
    months, worlds = next(iter(arrays.values())).shape[:2]
    variables = {
        name: xr.Variable(
            (*ENSEMBLE_DIMS, *SERIES[name].dims),
            data,
            {"units": SERIES[name].unit, "description": SERIES[name].description},
        )
        for name, data in arrays.items()
    }
    coords = coordinates(scenario, p, months, first_world, worlds)
    coords |= assumption_coords(scenario, seed, first_world, worlds, assumptions)
    attrs = dataset_attrs(scenario, seed, assumptions)
    return xr.Dataset(variables, coords=coords, attrs=attrs)


def assumption_coords(
    scenario: Scenario, seed: int, first_world: int, worlds: int, mode: str
) -> dict:
    """The coordinates of each world's assumptions: `assumption` (the uncertainties, then the
    shares as NAME.PART) and `assumptions` (world, assumption), drawn or, fixed, as written."""
    ids = np.arange(first_world, first_world + worlds, dtype=np.uint64)
    values = draw(scenario, seed, ids, mode)
    return {
        "assumption": ("assumption", np.array(list(values), dtype=object)),
        "assumptions": (
            ("world", "assumption"),
            np.stack(list(values.values()), axis=1) if values else np.zeros((worlds, 0)),
            {"description": f"each world's values of the scenario's uncertainties ({mode})"},
        ),
    }


def tidy(data: xr.DataArray) -> pd.DataFrame:
    """A series in tidy form: month, date, world, one column per remaining dim, value."""
    frame = data.reset_coords(drop=True).to_dataframe(name="value").reset_index()
    frame.insert(1, "date", pd.DatetimeIndex(data["date"].values)[frame["month"].to_numpy()])
    for dim in data.dims[2:]:  # categories: compact, and one dictionary in every Parquet piece
        labels = [str(x) for x in data[dim].values]
        frame[dim] = pd.Categorical(frame[dim].astype(str), categories=labels)
    return frame


class Results:
    """A run's Dataset with the scenario it ran, and the views and plots derived from it.

    `params`, the scenario compiled, is given by the run that made the Dataset; results read
    back from a folder compile their scenario when first asked."""

    def __init__(
        self,
        dataset: xr.Dataset,
        scenario: Scenario | None = None,
        timings: dict | None = None,
        folder: Path | None = None,
        params: Params | None = None,
    ):
        self.dataset = dataset
        self.scenario = scenario or Scenario.model_validate_json(dataset.attrs["scenario"])
        self.timings = timings or {}
        self.folder = folder
        if params is not None:
            self.params = params  # the cached property's value, given

    def __repr__(self) -> str:
        where = f", folder={str(self.folder)!r}" if self.folder else ""
        return (
            f"Results({self.scenario.name!r}, worlds={self.worlds}, months={self.months}, "
            f"seed={self.seed}{where})"
        )

    @cached_property
    def params(self) -> Params:
        """The scenario compiled (sim.core.params)."""
        return compile_scenario(self.scenario)

    # ---- dims ----------------------------------------------------------------------------
    @property
    def seed(self) -> int:
        return int(self.dataset.attrs["seed"])

    @property
    def assumptions(self) -> str:
        """'drawn' (each world drew its assumptions) or 'fixed' (all at their written values;
        results written before the modes existed were all fixed)."""
        return str(self.dataset.attrs.get("assumptions", FIXED))

    @property
    def months(self) -> int:
        return self.dataset.sizes["month"]

    @property
    def worlds(self) -> int:
        return self.dataset.sizes["world"]

    @cached_property
    def dates(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.dataset["date"].values)

    def labels(self, dim: str) -> list[str]:
        """Labels along a named dim ('power', 'state', 'flow', ...)."""
        return [str(x) for x in self.dataset[dim].values]

    def series(self, name: str, **select: str) -> xr.DataArray:
        """One recorded series, with one label chosen on any of its dims, e.g.
        series("influence", state="AFG") -> (month, world, power)."""
        if name not in self.dataset.data_vars:
            raise KeyError(f"no series {name!r}; series: {', '.join(self.dataset.data_vars)}")
        data = self.dataset[name]
        for dim, label in select.items():
            if dim not in data.dims[2:]:
                raise KeyError(f"series {name!r} has no dim {dim!r}; dims: {data.dims[2:]}")
            if label not in self.labels(dim):
                raise KeyError(f"unknown {dim} {label!r}; allowed: {', '.join(self.labels(dim))}")
        return data.sel(select)

    # ---- tidy views ----------------------------------------------------------------------
    def frame(self, name: str, **select: str) -> pd.DataFrame:
        """A recorded series in tidy form: month, date, world, one column per dim, value.

        Keyword arguments select one label per dim, e.g. frame("influence", state="AFG").
        """
        return tidy(self.series(name, **select))

    def influence(self) -> pd.DataFrame:
        """Influence of every power over every state: month, date, world, power, state, value."""
        return self.frame("influence")

    def regional_influence(self) -> xr.DataArray:
        """Each power's influence over the region, GDP-weighted over states, (month, world,
        power); lazy when the Dataset is."""
        gdp = xr.DataArray(self.params.actor.gdp[self.params.states], dims="state")
        return self.dataset["influence"].weighted(gdp).mean("state")

    @cached_property
    def influence_bands(self) -> xr.DataArray:
        """5%, 50% and 95% quantiles over worlds of influence, (quantile, month, power, state)."""
        return world_quantiles(self.dataset["influence"])

    def quantiles(self, name: str, **select: str) -> pd.DataFrame:
        """5%, 50% and 95% quantiles over worlds per month (and per remaining dim label)."""
        q = world_quantiles(self.series(name, **select))
        out = q.assign_coords(quantile=["q05", "median", "q95"]).to_dataset("quantile")
        table = out.reset_coords(drop=True).to_dataframe().reset_index()
        table.insert(1, "date", self.dates[table["month"].to_numpy()])
        return table

    def summary(self) -> pd.DataFrame:
        """A row per power and state, then per neighbour holding influence over the host (in the
        `power` column, with the host as state): final-month median, 5% and 95% quantiles of
        influence, and the median over worlds of its change since month 0."""
        frames = [self._summary_of(part.rename(holder="power")) for part in self.holdings()]
        return pd.concat(frames, ignore_index=True)

    def holdings(self) -> list[xr.DataArray]:
        """The influence of every holder, each part (month, world, holder, state): the powers
        over every state, then, when neighbours hold influence over the host (host_ties), those
        neighbours over the host alone; lazy when the Dataset is."""
        parts = [self.dataset["influence"].rename(power="holder")]
        powers = self.labels("power")
        held = [h for h in self.labels("holder") if h not in powers]
        if held:
            host = self.scenario.codes("host")[0]
            neighbours = self.dataset["host_influence"].sel(holder=held)
            parts.append(neighbours.expand_dims(state=[host], axis=-1))
        return parts

    def holders_over(self, state: str) -> list[str]:
        """Who holds influence over `state`: the powers, and over the host the neighbours that
        hold influence over it."""
        found: list[str] = []
        for part in self.holdings():
            if state in part.state.values:
                found += [str(h) for h in part.holder.values if str(h) not in found]
        return found

    def influence_of(self, holder: str, state: str) -> xr.DataArray:
        """Influence of one holder (a power, or a neighbour holding influence over the host)
        over one state, (month, world)."""
        for part in self.holdings():
            if holder in part.holder.values and state in part.state.values:
                return part.sel(holder=holder, state=state)
        holders = ", ".join(str(h) for part in self.holdings() for h in part.holder.values)
        raise KeyError(f"{holder!r} holds no recorded influence over {state!r}; holders: {holders}")

    def decompose(
        self, holder: str, state: str | None = None, at: int | slice = -1, drivers: bool = False
    ) -> pd.DataFrame:
        """What `holder`'s influence over `state` (default: the host) is made of at month `at`
        (an index; a slice of months: their mean in each world): a row per component with its
        mean over worlds, its 5%, 50% and 95% across worlds and `share`, its mean against the
        mean influence. The components add up to influence in every world; with `drivers`, a
        power's economic and diplomatic components over the host split into their drivers (aid,
        investment, remittances; diplomatic engagement, recognition) in a `driver` column."""
        from sim.results.decomposition import parts, table

        found = parts(self, holder, state or self.scenario.codes("host")[0], at, drivers)
        frame = table(found)
        return frame if drivers else frame.drop(columns="driver")

    @staticmethod
    def _summary_of(influence: xr.DataArray) -> pd.DataFrame:
        influence = influence.astype(np.float64)
        final = influence.isel(month=-1)
        bands = final.quantile(list(QUANTILES), dim="world", skipna=False)
        change = (final - influence.isel(month=0)).median("world", skipna=False)
        table = xr.Dataset(
            {
                "median": bands.sel(quantile=0.5, drop=True),
                "q05": bands.sel(quantile=0.05, drop=True),
                "q95": bands.sel(quantile=0.95, drop=True),
                "change": change,
            }
        ).compute()
        frame = table.reset_coords(drop=True).to_dataframe().reset_index()
        return frame.astype({"power": str, "state": str})[
            ["power", "state", "median", "q05", "q95", "change"]
        ]

    def outcomes(self) -> pd.DataFrame:
        """The scenario's outcomes (its named measures), a row per world, a column each."""
        from sim.results.outcomes import outcome_values

        return outcome_values(self.dataset, self.scenario.outcomes)

    def experiments(self) -> pd.DataFrame:
        """One row per world: `world`, its value of every uncertainty (shares as NAME.PART) and
        the scenario's outcomes: the EMA Workbench's experiments and outcomes in one table."""
        if "assumptions" in self.dataset.coords:
            drawn = self.dataset["assumptions"]
            table = pd.DataFrame(drawn.values, columns=[str(c) for c in drawn["assumption"].values])
        else:  # written before assumptions were stored: every world took the written values
            values = draw(self.scenario, self.seed, self.dataset["world"].values, FIXED)
            table = pd.DataFrame(values)
        table.insert(0, "world", self.dataset["world"].values)
        outcomes = self.outcomes().reset_index(drop=True) if self.scenario.outcomes else None
        return table if outcomes is None else pd.concat([table, outcomes], axis=1)

    def tonnes(self, exporter: str, importer: str, commodity: str = "fuel") -> xr.DataArray:
        """Monthly flow in kilotonnes, (month, world), through the commodity's price per tonne."""
        from sim.scenario.vocab import flow_label

        flow = self.series("trade", flow=flow_label(exporter, importer, commodity))
        price = self.params.commodity.price[self.params.commodity.names.index(commodity)]
        return kilotonnes(flow.astype(np.float64), price)

    def event_markers(self) -> list[tuple[int, str]]:
        """(month, label) of every scheduled event, for plots."""
        s = self.scenario
        return [
            (s.month_index(e.month), e.display_name)
            for e in s.events
            if s.month_index(e.month) < self.months
        ]

    # ---- plots and files -----------------------------------------------------------------
    def plot_influence(self, state: str, ax=None):
        """Median influence of each power over `state` with a 5-95% band; returns the figure."""
        from sim.results.plots import plot_influence

        return plot_influence(self, state, ax=ax)

    def plot_overview(self):
        """Regional overview: every state's influence medians and the regional aggregate."""
        from sim.results.plots import plot_overview

        return plot_overview(self)
