"""Reductions over the ensemble of worlds that stay bounded in memory for any number of worlds."""

from __future__ import annotations

import numpy as np
import xarray as xr

QUANTILES = (0.05, 0.5, 0.95)
CHUNK_BYTES = 64 * 2**20  # float64 bytes of one piece of a reduction over all worlds


def world_quantiles(data: xr.DataArray, qs=QUANTILES) -> xr.DataArray:
    """Quantiles over worlds in float64, (quantile, month, ...), computed by dask a few months
    at a time so that memory stays bounded whatever the number of worlds."""
    per_month = max(data.isel(month=0).size * 8, 1)
    months = max(1, CHUNK_BYTES // per_month)
    pieces = data.chunk({"month": months, "world": -1}).astype(np.float64)
    return pieces.quantile(list(qs), dim="world", skipna=False).compute()
