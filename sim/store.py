"""Result folders on disk: manifest.json, summary.csv, trajectories and plots.

    DIR/manifest.json                     scenario as run, hash, seed, worlds, versions, timings
    DIR/summary.csv                       final-month influence quantiles per power and state
    DIR/trajectories/<series>/<block>.parquet   tidy rows (month, date, world, axes..., value),
                                          one file per block of worlds, as blocks finish
    DIR/plots/influence_<STATE>.png, DIR/plots/overview.png
    DIR/influence.month-major.f32         streamed runs only: influence as raw float32
                                          (months, worlds, powers, states), for Results

A folder is written under a temporary name and renamed into place at the end, so an interrupted
run never leaves a folder that looks complete; an existing folder is replaced only then.
`pandas.read_parquet(DIR / "trajectories" / "influence")` reads a series across all blocks.
"""

from __future__ import annotations

import json
import platform
import shutil
import sys
import tempfile
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.params import Params
from sim.recorder import SERIES, axis_labels

PACKAGES = ("mesa", "numpy", "scipy", "pandas", "pydantic", "pyarrow", "matplotlib")


def tidy_table(
    data: np.ndarray,
    axes: Sequence[str],
    labels: dict[str, list[str]],
    dates: pd.DatetimeIndex,
    first_month: int = 0,
    first_world: int = 0,
) -> pa.Table:
    """Recorded values (months, worlds, *axes) as a tidy Arrow table: month, date, world, one
    dictionary-encoded column per axis, value. Built from index arithmetic, no MultiIndex."""
    if data.ndim != 2 + len(axes):
        raise ValueError(f"data of shape {data.shape} does not match axes (month, world, {axes})")
    shape, size = data.shape, data.size
    columns = {}
    for k, name in enumerate(("month", "world", *axes)):
        inner = int(np.prod(shape[k + 1 :]))
        index = (np.arange(size, dtype=np.int64) // inner % shape[k]).astype(np.int32)
        if k == 0:
            columns["month"] = pa.array(index + first_month)
            columns["date"] = pa.array(
                dates.to_numpy().astype("datetime64[s]")[index + first_month]
            )
        elif k == 1:
            columns["world"] = pa.array(index + first_world)
        else:
            columns[name] = pa.DictionaryArray.from_arrays(pa.array(index), pa.array(labels[name]))
    columns["value"] = pa.array(data.reshape(-1))
    return pa.table(columns)


def write_series(
    path: Path, p: Params, name: str, data: np.ndarray, dates: pd.DatetimeIndex, first_world: int
) -> None:
    """Write one series of one block to a Parquet file, a year of months at a time."""
    labels, axes = axis_labels(p), SERIES[name]
    with pq.ParquetWriter(path, _schema(data, axes, labels)) as writer:
        for start in range(0, data.shape[0], 12):
            writer.write_table(
                tidy_table(data[start : start + 12], axes, labels, dates, start, first_world)
            )


def _schema(data: np.ndarray, axes: Sequence[str], labels: dict) -> pa.Schema:
    return tidy_table(data[:1, :1], axes, labels, pd.DatetimeIndex(["2000-01-01"])).schema


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "missing"
    from sim import __version__

    out["regional-influence-sim"] = __version__
    return out


class ResultFolder:
    """A result folder being written: blocks of trajectories as they finish, then summary,
    plots and manifest, then an atomic rename into place. Use as a context manager; on an
    exception the partial folder is removed and any existing folder is left untouched."""

    def __init__(self, folder, params: Params, dates: pd.DatetimeIndex):
        self.folder = Path(folder)
        self.params, self.dates = params, dates
        self.blocks: list[tuple[int, int]] = []
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        self.work = Path(
            tempfile.mkdtemp(prefix=f".{self.folder.name}.partial-", dir=self.folder.parent)
        )

    def __enter__(self) -> ResultFolder:
        return self

    def __exit__(self, kind, error, trace) -> None:
        if kind is not None:
            shutil.rmtree(self.work, ignore_errors=True)

    def write_block(self, first: int, arrays: dict[str, np.ndarray]) -> None:
        """Write one block of worlds (arrays (months, count, ...)) as one file per series."""
        count = next(iter(arrays.values())).shape[1]
        for name, data in arrays.items():
            target = self.work / "trajectories" / name
            target.mkdir(parents=True, exist_ok=True)
            file = target / f"worlds-{first:07d}-{first + count - 1:07d}.parquet"
            write_series(file, self.params, name, data, self.dates, first)
        self.blocks.append((first, count))

    def finish(self, res) -> Path:
        """Write summary, plots and manifest for `res`, then move the folder into place."""
        import matplotlib.pyplot as plt

        res.summary().to_csv(self.work / "summary.csv", index=False, float_format="%.5f")
        (self.work / "plots").mkdir()
        for state in res.labels("state"):
            fig = res.plot_influence(state)
            fig.savefig(self.work / "plots" / f"influence_{state}.png", dpi=110)
            plt.close(fig)
        fig = res.plot_overview()
        fig.savefig(self.work / "plots" / "overview.png", dpi=110)
        plt.close(fig)
        info = manifest(res, self.blocks)
        info["month_major"] = {}  # streamed runs: raw files Results reads month by month
        for path in self.work.glob("*.month-major.f32"):
            series = path.name.split(".")[0]
            info["month_major"][path.name] = {
                "dtype": "float32",
                "shape": list(res.arrays[series].shape),
                "axes": ["month", "world", *SERIES[series]],
            }
        info["files"] = sorted(
            str(p.relative_to(self.work)) for p in self.work.rglob("*") if p.is_file()
        )
        (self.work / "manifest.json").write_text(json.dumps(info, indent=2, default=str))
        if self.folder.exists():
            old = self.folder.with_name(f".{self.folder.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            self.folder.rename(old)
            self.work.rename(self.folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            self.work.rename(self.folder)
        return self.folder


def manifest(res, blocks: list[tuple[int, int]]) -> dict:
    return {
        "scenario_name": res.scenario.name,
        "scenario_hash": res.scenario.content_hash(),
        "seed": res.seed,
        "worlds": res.worlds,
        "months": res.months,
        "start": res.scenario.start,
        "blocks_complete": [{"first_world": f, "worlds": n} for f, n in sorted(blocks)],
        "versions": versions(),
        "timings": res.timings,
        "command": sys.argv,
        "files": {},
        "scenario": res.scenario.model_dump(mode="json"),
    }


def save_results(res, folder, block_size: int = 10_000) -> Path:
    """Write a finished in-memory run to `folder` (trajectories in blocks of worlds)."""
    with ResultFolder(folder, res.params, res.dates) as out:
        for first in range(0, res.worlds, block_size):
            part = slice(first, first + block_size)
            out.write_block(first, {k: v[:, part] for k, v in res.arrays.items()})
        return out.finish(res)
