"""Influence split into what makes it, world by world, from the recorded series: the weighted
components (they add up to influence), and over the host a power's economic and diplomatic
components split further into their drivers (they add up to their component)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from sim.errors import ResultError
from sim.results.reduce import QUANTILES
from sim.scenario.vocab import INFLUENCE_COMPONENTS, INFLUENCE_DRIVERS

STATS = dict(zip(("q05", "median", "q95"), QUANTILES, strict=True))


def parts(res, holder: str, state: str, at: int | slice = -1, drivers: bool = False):
    """What each component adds to `holder`'s influence over `state`, (world, part) in float64,
    at month `at` (an index; a slice of months: their mean in each world). The part dim carries
    `component` and `driver` coordinates; with `drivers`, a power's economic and diplomatic
    components over the host are replaced by their drivers, and every other component is its
    own driver."""
    res.influence_of(holder, state)  # a KeyError naming the holders unless it holds influence
    if "influence_components" not in res.dataset.data_vars:
        raise ResultError(
            res.folder or res.scenario.name,
            "written before influence components were recorded; run it again to decompose",
        )
    host = res.scenario.codes("host")[0]
    power = holder in res.labels("power")
    if power:
        data = res.dataset["influence_components"].sel(power=holder, state=state)
    else:
        data = res.dataset["host_influence_components"].sel(holder=holder)
    data = _at(data, at)
    labels = list(INFLUENCE_COMPONENTS)
    found = data.transpose("world", "component").values
    if drivers and power and state == host:
        split = _at(res.dataset["host_influence_drivers"].sel(power=holder), at)
        split = split.transpose("world", "driver").values
        columns, labels = [], []
        for c, component in enumerate(INFLUENCE_COMPONENTS):
            own = [d for d, of in enumerate(INFLUENCE_DRIVERS.values()) if of == component]
            columns += [split[:, d] for d in own] or [found[:, c]]
            labels += [list(INFLUENCE_DRIVERS)[d] for d in own] or [component]
        found = np.stack(columns, axis=1)
    component = [INFLUENCE_DRIVERS.get(label, label) for label in labels]
    return xr.DataArray(
        found,
        dims=("world", "part"),
        coords={"world": data.world.values, "component": ("part", component),
                "driver": ("part", labels)},
    )  # fmt: skip


def _at(data: xr.DataArray, at: int | slice) -> xr.DataArray:
    """A month of a series (month, world, ...), or the mean over a slice of months, float64."""
    data = data.isel(month=at).astype(np.float64)
    return data.mean("month") if "month" in data.dims else data


def table(found: xr.DataArray) -> pd.DataFrame:
    """A row per part of `found` (world, part): component, driver, the mean over worlds, the
    5%, 50% and 95% across worlds, and `share`, the mean against the mean of the whole (the
    parts' sum in every world). The means add up to the whole's mean, the shares to 1."""
    values = found.values
    frame = pd.DataFrame({"component": found.component.values, "driver": found.driver.values})
    frame["mean"] = values.mean(axis=0)
    for name, q in STATS.items():
        frame[name] = np.quantile(values, q, axis=0)
    whole = values.sum(axis=1).mean()
    frame["share"] = frame["mean"] / whole if whole != 0 else np.nan
    return frame
