"""Exports of a result folder for other tools: tidy Parquet (pandas, DuckDB, R arrow), tidy
CSV, or one NetCDF file. Read from the Zarr store a few worlds at a time (memory stays bounded),
written into an export folder like a result folder: claimed, then moved into place whole."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from sim.core.series import SERIES
from sim.errors import ResultError
from sim.results.dataset import Results, tidy
from sim.results.folder import claim_output, write_listing
from sim.results.store import open_run

FORMATS = ("parquet", "netcdf", "csv")
ROWS_PER_PIECE = 1_000_000


def export(folder, fmt: str, out, series: list[str] | None = None, force: bool = False):
    """Write the result folder's series (default: all) as `fmt` files into the folder `out`;
    returns the paths written (as they are after the move into place). `out` is never the
    result folder, nor holds it or lies inside it, save its own exports' place FOLDER/export-*
    (sim.results.folder.check_not_an_input); `force` replaces only an earlier export."""
    if fmt not in FORMATS:
        raise ResultError(out, f"unknown format {fmt!r}; allowed: {', '.join(FORMATS)}", "format")
    res = open_run(folder)
    names = series or list(SERIES)
    unknown = [n for n in names if n not in SERIES]
    if unknown:
        raise ResultError(
            folder, f"no series {unknown[0]!r}; series: {', '.join(SERIES)}", "series"
        )
    with claim_output(out, force=force, kind="export", inputs=[folder]) as claim:
        if fmt == "netcdf":
            files = [_netcdf(res, names, claim.work / "results.nc")]
        else:
            write = _parquet if fmt == "parquet" else _csv
            files = [write(res, name, claim.work / f"{name}.{fmt}") for name in names]
        write_listing(claim.work, "export", [f.name for f in files], of=str(folder))
        target = claim.commit()
    return [target / f.name for f in files]


def _pieces(res: Results, name: str):
    """Tidy frames of one series, a few worlds at a time."""
    data = res.dataset[name]
    per_world = max(data.isel(world=0).size, 1)
    step = max(1, ROWS_PER_PIECE // per_world)
    for first in range(0, res.worlds, step):
        yield tidy(data.isel(world=slice(first, first + step)))


def _parquet(res: Results, name: str, path: Path) -> Path:
    writer = None
    for frame in _pieces(res, name):
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    writer.close()
    return path


def _csv(res: Results, name: str, path: Path) -> Path:
    for number, frame in enumerate(_pieces(res, name)):
        frame.to_csv(path, mode="a", header=number == 0, index=False)
    return path


def _netcdf(res: Results, names: list[str], path: Path) -> Path:
    return write_netcdf(res.dataset[names], path)


def write_netcdf(data, path: Path) -> Path:
    """A Dataset as one NetCDF file (a copy: the Zarr store's codecs are dropped from it)."""
    data = data.copy()
    for name in data.variables:  # the store's codecs do not apply to NetCDF
        data[name].encoding = {}
    data.to_netcdf(path, engine="netcdf4")
    return path
