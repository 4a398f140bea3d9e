"""Reading a batch folder: its index, each run's Results, and all runs as one Dataset with
`scenario` and `point` dimensions."""

from __future__ import annotations

import logging
import warnings
from functools import cached_property
from pathlib import Path

import pandas as pd
import xarray as xr
from dask.array import PerformanceWarning

from sim.errors import ResultError
from sim.results.dataset import Results
from sim.results.folder import BATCH, BATCH_FORMAT, read_json
from sim.results.store import open_run

INDEX = "index.csv"  # a batch's table of runs, then the levers, uncertainties, outcome means
INDEX_COLUMNS = ("scenario", "point", "file", "folder", "worlds", "seed", "assumptions")
INDEX_COLUMNS += ("scenario_hash",)
INDEX_COLUMNS += ("complete",)
log = logging.getLogger("sim")


class BatchResults:
    """The runs of a batch folder (see sim.batch.batch), read lazily.

    `index` is the table of runs (scenario, point, the levers and uncertainties of the point,
    folder); `results(scenario, point)` one run's Results; `dataset` every run in one Dataset
    of dims (scenario, point, month, world, ...), the values of the sweep's factors as
    coordinates over (scenario, point). Runs with fewer points or worlds are padded with NaN.
    """

    def __init__(self, folder: Path, index: pd.DataFrame, verify_data: bool = True):
        self.folder, self.index = folder, index
        self._runs = {
            (row.scenario, int(row.point)): open_run(folder / row.folder, verify_data)
            for row in index.itertuples()
        }

    def __repr__(self) -> str:
        names = ", ".join(self.scenarios)
        return f"<BatchResults {self.folder}: {len(self._runs)} runs of {names}>"

    @property
    def scenarios(self) -> list[str]:
        return list(dict.fromkeys(self.index["scenario"]))

    def results(self, scenario: str, point: int = 0) -> Results:
        try:
            return self._runs[scenario, point]
        except KeyError:
            raise KeyError(
                f"no run {scenario!r} point {point} in {self.folder}; runs: {sorted(self._runs)}"
            ) from None

    @property
    def factors(self) -> list[str]:
        """The levers and uncertainties in the index (the outcomes' means excluded)."""
        columns = [c for c in self.index.columns if c not in INDEX_COLUMNS]
        return [c for c in columns if not c.startswith("mean_")]

    def outcomes(self) -> pd.DataFrame:
        """Experiments and outcomes in one table, as the EMA Workbench pairs them: a row per
        world of every run, with its scenario, point, the values of the levers and
        uncertainties, and each declared outcome."""
        return self._per_world(lambda res: res.outcomes().reset_index(), self.factors)

    def experiments(self) -> pd.DataFrame:
        """Every run's experiments (Results.experiments: a row per world with its drawn
        assumptions and outcomes), with its scenario, point and the point's lever values."""
        levers = [f for f in self.factors if f not in self._uncertainty_names()]
        return self._per_world(Results.experiments, levers)

    def _per_world(self, table_of, factors: list[str]) -> pd.DataFrame:
        """`table_of(run)` (a row per world) of every run, stacked, each row with its run's
        scenario, point and values of `factors` from the index, those columns first."""
        parts = []
        for row in self.index.itertuples(index=False):
            table = table_of(self._runs[row.scenario, int(row.point)])
            given = {"scenario": row.scenario, "point": int(row.point)}
            given |= {f: getattr(row, f) for f in factors}
            parts.append(table.assign(**given))
        table = pd.concat(parts, ignore_index=True)
        first = ["scenario", "point", "world", *factors]
        return table[first + [c for c in table.columns if c not in first]]

    def _uncertainty_names(self) -> set[str]:
        return {u.name for res in self._runs.values() for u in res.scenario.uncertainties}

    @cached_property
    def dataset(self) -> xr.Dataset:
        scenarios = []
        for scenario in self.scenarios:
            rows = self.index[self.index.scenario == scenario]
            points = [
                self._runs[scenario, int(p)].dataset.drop_attrs(deep=False) for p in rows.point
            ]
            ds = xr.concat(points, pd.Index(rows.point.to_numpy(), name="point"), join="outer")
            values = {f: ("point", rows[f].to_numpy(dtype=float)) for f in self.factors}
            scenarios.append(ds.assign_coords(values))
        with warnings.catch_warnings():  # padding runs of fewer worlds or points splits chunks
            warnings.simplefilter("ignore", PerformanceWarning)
            return xr.concat(
                scenarios,
                pd.Index(self.scenarios, name="scenario"),
                join="outer",
                coords="different",
                compat="equals",
            )


def read_plan(folder: Path) -> dict:
    """A batch folder's plan and state (batch.json)."""
    try:
        info = read_json(folder / BATCH)
    except (OSError, ValueError) as err:
        raise ResultError(folder / BATCH, f"cannot be read ({err})") from None
    if not isinstance(info, dict) or info.get("format") != BATCH_FORMAT:
        raise ResultError(folder / BATCH, "is not the plan of a batch of this project")
    return info


def load_results(folder, verify_data: bool = True) -> Results | BatchResults:
    """A result folder (`sim run`) as Results, or a batch folder (`sim batch`) as BatchResults;
    opened lazily, checked against the manifests' checksums with `verify_data`."""
    folder = Path(folder)
    if not (folder / BATCH).is_file():
        return open_run(folder, verify_data)
    info = read_plan(folder)
    if info.get("status") not in ("complete", "failed"):
        raise ResultError(
            folder,
            f"holds a batch that did not finish (status {info.get('status')!r}); finish it with "
            "`sim batch ... --resume` (the same files, --worlds and --seed)",
        )
    try:
        index = pd.read_csv(folder / INDEX)
    except (OSError, ValueError) as err:
        raise ResultError(folder / INDEX, f"cannot be read ({err})") from None
    failed = [*info.get("failed_files", {}), *info.get("failed_blocks", {})]
    if failed:  # the batch finished with failures: its finished runs are still results
        log.warning("%s: left out what failed (%s); see its batch.json", folder, "; ".join(failed))
    index = index[index["complete"]].reset_index(drop=True)
    if index.empty:
        raise ResultError(folder, "holds no finished run (every scenario or block failed)")
    return BatchResults(folder, index, verify_data)
