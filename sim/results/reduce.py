"""Reductions over the ensemble of worlds that stay bounded in memory for any number of worlds."""

from __future__ import annotations

import numpy as np
import xarray as xr

QUANTILES = (0.05, 0.5, 0.95)
CHUNK_BYTES = 64 * 2**20  # float64 bytes of one span of months of in-memory data


def month_spans(data: xr.DataArray):
    """Slices of months to read at once: the store's month chunks when the data are lazy (each
    chunk is then read once), else spans of at most CHUNK_BYTES in float64."""
    months = data.sizes["month"]
    if data.chunks is not None:
        step = data.chunks[data.get_axis_num("month")][0]
    else:
        step = max(1, CHUNK_BYTES // max(data.isel(month=0).size * 8, 1))
    for start in range(0, months, step):
        yield slice(start, min(start + step, months))


def world_quantiles(data: xr.DataArray, qs=QUANTILES) -> xr.DataArray:
    """Quantiles over worlds in float64, (quantile, month, ...): a span of months is read at a
    time, and each month converted to float64 alone, so memory stays bounded."""
    data = data.transpose("month", "world", ...)
    out = np.empty((len(qs), data.sizes["month"], *data.shape[2:]))
    for span in month_spans(data):
        values = data.isel(month=span).values
        for i, month in enumerate(range(span.start, span.stop)):
            out[:, month] = np.quantile(values[i].astype(np.float64), qs, axis=0)
    dims = ("quantile", "month", *data.dims[2:])
    coords = {d: data[d] for d in dims[1:] if d in data.coords}
    return xr.DataArray(out, dims=dims, coords={"quantile": list(qs), **coords})
