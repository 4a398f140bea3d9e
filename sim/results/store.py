"""Result folders: a Zarr store written block by block, summary and a checked manifest (the
plots are drawn by the caller, sim.results.plots.write_plots, and listed in the manifest).

    DIR/manifest.json   written last: scenario as run, its hash, seed, worlds, versions,
                        timings, and every block of worlds with its files, sizes and checksum
    DIR/summary.csv     final-month influence quantiles per power and state (and per neighbour
                        holding influence over the host)
    DIR/plots/          influence_<STATE>.png per state, overview.png (sim.results.plots)
    DIR/series.zarr/    every recorded series, chunked by blocks of worlds and by months

The folder is written into a partial folder claimed by sim.results.folder and moved into place
at the end; `open_run` checks it against its manifest before opening it (docs/results.md).
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import sys
import warnings
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import numpy as np
import xarray as xr
import zarr

from sim.core.assumptions import FIXED
from sim.core.params import Params, compile_scenario
from sim.core.series import ENSEMBLE_DIMS, SERIES, shapes
from sim.errors import ResultError, interrupts_held
from sim.results.dataset import (
    FORMAT,
    Results,
    assumption_coords,
    build_dataset,
    dataset_attrs,
)
from sim.results.folder import MANIFEST, STORE, OutputClaim, claim_output, read_json
from sim.results.outcomes import OUTCOMES
from sim.scenario.schema import Scenario

MONTH_CHUNK = 12  # months per chunk: a year (see docs/results.md for the choice)
# two chunks in flight while a block is written: as fast as ten (zarr's default), and each
# chunk in flight holds copies of it (measured: 120 MB less at the peak of a streamed run)
WRITE_CONFIG = {"async.concurrency": 2, "threading.max_workers": 2}
PACKAGES = ("mesa", "numpy", "scipy", "pandas", "pydantic", "xarray", "zarr", "dask", "matplotlib")


def _encoding(ndim: int) -> dict:
    """Chunks stored month-last (a world's months are neighbours, which compress better than
    neighbouring flows or states), byte-shuffled, LZ4: lossless, and fast enough that writing
    costs a fraction of simulating (docs/results.md has the measurements)."""
    from zarr.codecs import BloscCodec, TransposeCodec

    order = (*range(1, ndim), 0)
    return {
        "filters": [TransposeCodec(order=order)],
        "compressors": [BloscCodec(cname="lz4", clevel=5, shuffle="shuffle")],
    }


# ---- writing ---------------------------------------------------------------------------------
def create_store(
    store: Path,
    scenario: Scenario,
    seed: int,
    worlds: int,
    block: int,
    like: Path | None = None,
    params: Params | None = None,
    assumptions: str = FIXED,
) -> None:
    """Write the layout of a run's store (arrays, chunks, coordinates; no data yet). `like`, a
    store of the same shapes and blocks (another point of a sweep), is copied and given this
    scenario's attributes and assumptions: a tenth of the time of a new layout. `params`, the
    scenario compiled, if the caller has it. An interrupt waits for the layout to be written
    (sim.errors.interrupts_held)."""
    with interrupts_held():
        if like is None:
            _lay_out_store(store, scenario, seed, worlds, block, params, assumptions)
        else:
            _copy_layout(store, scenario, seed, like, assumptions)


def _copy_layout(store: Path, scenario: Scenario, seed: int, like: Path, assumptions: str):
    """The layout of `like` without its data, given this scenario's attributes and values of
    the assumptions (a sweep point pins some)."""
    shutil.copytree(like, store, ignore=_chunk_folders)
    group = zarr.open_group(store, mode="r+", zarr_format=3)
    group.attrs.update(dataset_attrs(scenario, seed, assumptions))
    worlds = group["world"].shape[0]
    coords = assumption_coords(scenario, seed, 0, worlds, assumptions)
    group["assumptions"][...] = coords["assumptions"][1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        zarr.consolidate_metadata(store, zarr_format=3)


def _lay_out_store(store, scenario, seed, worlds, block, params, assumptions) -> None:
    """A new layout: every series as zeros never computed, chunked by months and blocks."""
    import dask.array as da

    p = compile_scenario(scenario) if params is None else params
    sizes = shapes(p, scenario.horizon_months, worlds)
    lazy = {
        name: da.zeros(shape, dtype=SERIES[name].dtype, chunks=(MONTH_CHUNK, block, *shape[2:]))
        for name, shape in sizes.items()
    }
    layout = build_dataset(scenario, lazy, seed, params=p, assumptions=assumptions)
    encoding = {n: _encoding(2 + len(s.dims)) for n, s in SERIES.items()}
    with warnings.catch_warnings():  # consolidated metadata: not in the v3 spec yet, but
        warnings.simplefilter("ignore", UserWarning)  # xarray reads it without a fallback
        layout.to_zarr(
            store, mode="w-", compute=False, encoding=encoding, zarr_format=3, consolidated=True
        )


def _chunk_folders(folder: str, names: list[str]) -> list[str]:
    """The chunks of the recorded series (not of coordinates): left out of a copied layout."""
    return ["c"] if Path(folder).name in SERIES else []


def write_block(store: Path, block: int, first: int, arrays: dict[str, np.ndarray]) -> dict:
    """Write one block of worlds (arrays (months, count, ...)) into its chunks of the store;
    return its entry for the manifest (first world, worlds, files with sizes, checksum)."""
    count = next(iter(arrays.values())).shape[1]
    _remove_cut_writes(store, first // block)
    data = xr.Dataset({n: ((*ENSEMBLE_DIMS, *SERIES[n].dims), a) for n, a in arrays.items()})
    with interrupts_held(), zarr.config.set(WRITE_CONFIG):
        data.to_zarr(
            store,
            region={"world": slice(first, first + count)},
            write_empty_chunks=True,
            consolidated=False,
        )
    files = block_files(store, first // block)
    return {"first_world": first, "worlds": count, **_checksum(store, files)}


def finish_folder(
    work: Path, res: Results, blocks: list[dict], block: int, files: Sequence[Path] = ()
) -> None:
    """Summary, outcomes and the manifest, written last, into a result folder whose store
    holds every block; the manifest also lists `files`, written into the folder by the caller
    (the plots), with their checksums."""
    res.summary().to_csv(work / "summary.csv", index=False, float_format="%.5f")
    written = [work / "summary.csv"]
    if res.scenario.outcomes:
        res.outcomes().to_csv(work / OUTCOMES, float_format="%.6g")
        written.append(work / OUTCOMES)
    info = manifest(res, sorted(blocks, key=lambda b: b["first_world"]), block)
    info["metadata"] = _checksum(work / STORE, metadata_files(work / STORE))
    info["files"] = {str(p.relative_to(work)): _sha256(p) for p in [*written, *files]}
    (work / MANIFEST).write_text(json.dumps(info, indent=1, default=str))


class ResultWriter:
    """Writes a run into a partial result folder: the store's layout first, then each block of
    worlds as it finishes (with its checksum), then summary and manifest."""

    def __init__(
        self,
        work: Path,
        scenario: Scenario,
        seed: int,
        worlds: int,
        block: int,
        params: Params | None = None,
        assumptions: str = FIXED,
    ):
        self.work, self.block = work, block
        self.store = work / STORE
        self.blocks: list[dict] = []
        create_store(self.store, scenario, seed, worlds, block, params=params,
                     assumptions=assumptions)  # fmt: skip

    def write_block(self, first: int, arrays: dict[str, np.ndarray]) -> None:
        self.blocks.append(write_block(self.store, self.block, first, arrays))

    def open(self) -> xr.Dataset:
        return xr.open_zarr(self.store)

    def finish(self, res: Results, claim: OutputClaim, files: Sequence[Path] = ()) -> Path:
        """Summary and manifest (last, listing the caller's `files` too), then the folder
        moves into place."""
        finish_folder(self.work, res, self.blocks, self.block, files)
        return claim.commit()


def block_files(store: Path, block: int) -> list[Path]:
    """The chunk files of one block of worlds (world chunk index `block`) in every series
    (chunk files are named by their index; another name is a write cut short)."""
    return sorted(
        path
        for name in SERIES
        for path in (store / name / "c").glob(f"*/{block}/**/*")
        if path.is_file() and path.name.isdigit()
    )


def _remove_cut_writes(store: Path, block: int) -> None:
    """Temporary files that zarr writes chunks through, left in this block's folders when a
    write was killed (the store is ours: nothing else writes there)."""
    for name in SERIES:
        for path in (store / name / "c").glob(f"*/{block}/**/*.partial"):
            path.unlink(missing_ok=True)


def metadata_files(store: Path) -> list[Path]:
    """Every file of the store that is not a chunk of a recorded series (layout, coords): a
    series folder holds its zarr.json beside its chunks (c/), which are not walked."""
    files = []
    for path in store.iterdir():
        if path.is_file():
            files.append(path)
        elif path.name in SERIES:
            files += [p for p in path.iterdir() if p.is_file()]
        else:
            files += [p for p in path.rglob("*") if p.is_file()]
    return sorted(files)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _checksum(store: Path, files: list[Path]) -> dict:
    """Sizes of the files (by path in the store) and one SHA-256 over their paths and bytes."""
    digest = hashlib.sha256()
    sizes = {}
    for path in files:
        name = path.relative_to(store).as_posix()
        data = path.read_bytes()
        digest.update(name.encode() + b"\0" + data)
        sizes[name] = len(data)
    return {"files": sizes, "sha256": digest.hexdigest()}


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


def manifest(res: Results, blocks: list[dict], block_worlds: int) -> dict:
    return {
        "format": FORMAT,
        "format_version": 1,
        "scenario_name": res.scenario.name,
        "scenario_hash": res.scenario.content_hash(),
        "seed": res.seed,
        "assumptions": res.assumptions,
        "worlds": res.worlds,
        "months": res.months,
        "start": res.scenario.start,
        "store": STORE,
        "block_worlds": block_worlds,
        "versions": versions(),
        "timings": res.timings,
        "command": sys.argv,
        "scenario": res.scenario.model_dump(mode="json"),
        "blocks": blocks,
    }


def save_results(res: Results, folder, force: bool = False, block: int = 2000) -> Path:
    """Write a finished run (in memory) as a result folder with its plots; returns its path."""
    from sim.results.plots import write_plots  # matplotlib: imported when plots are drawn

    block = min(block, res.worlds)
    with claim_output(folder, force=force) as claim:
        writer = ResultWriter(claim.work, res.scenario, res.seed, res.worlds, block,
                              params=res.params, assumptions=res.assumptions)  # fmt: skip
        for first in range(0, res.worlds, block):
            part = res.dataset.isel(world=slice(first, first + block))
            writer.write_block(first, {n: part[n].values for n in SERIES})
        return writer.finish(res, claim, write_plots(res, claim.work))


# ---- reading ---------------------------------------------------------------------------------
def read_manifest(folder: Path) -> dict:
    if not folder.is_dir():
        what = "is a file, not a result folder" if folder.exists() else "does not exist"
        raise ResultError(folder, what)
    try:
        info = read_json(folder / MANIFEST)
    except FileNotFoundError:
        raise ResultError(
            folder, f"has no {MANIFEST}: not a result folder, or its run did not finish"
        ) from None
    except (OSError, ValueError) as err:
        raise ResultError(folder / MANIFEST, f"cannot be read ({err})") from None
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        raise ResultError(folder / MANIFEST, f"is not the manifest of a {FORMAT} folder")
    return info


def verify(folder: Path, info: dict) -> None:
    """Every block the manifest lists is on disk as written: no missing, truncated or altered
    file; the blocks cover every world once; the layout files match."""
    store = folder / info.get("store", STORE)
    try:
        blocks = sorted(info["blocks"], key=lambda b: b["first_world"])
        covered = 0
        for number, block in enumerate(blocks):
            first, count = block["first_world"], block["worlds"]
            name = f"block {number} (worlds {first}-{first + count - 1})"
            if first != covered:
                raise ResultError(folder, f"worlds {covered}-{first - 1} are in no block")
            _verify_files(folder, store, block, name)
            covered = first + count
        if covered != info["worlds"]:
            raise ResultError(
                folder, f"blocks cover {covered} worlds, the manifest {info['worlds']}"
            )
        _verify_files(folder, store, info["metadata"], "the store's layout")
    except (KeyError, TypeError) as err:
        raise ResultError(folder / MANIFEST, f"is incomplete or malformed ({err!r})") from None


def _verify_files(folder: Path, store: Path, entry: dict, name: str) -> None:
    for rel, size in entry["files"].items():
        path = store / rel
        if not path.is_file():
            raise ResultError(folder, f"{name}: file {STORE}/{rel} is missing")
        if path.stat().st_size != size:
            raise ResultError(
                folder,
                f"{name}: file {STORE}/{rel} has {path.stat().st_size} bytes, "
                f"the manifest says {size} (truncated or rewritten)",
            )
    files = [store / rel for rel in entry["files"]]
    if _checksum(store, files)["sha256"] != entry["sha256"]:
        raise ResultError(
            folder,
            f"{name}: its data differ from what was written (checksum); the folder was changed "
            "or damaged since, and its results cannot be trusted: run the scenario again",
        )


def open_run(
    folder, verify_data: bool = True, timings: dict | None = None, params: Params | None = None
) -> Results:
    """Open a result folder lazily (dask-backed); with `verify_data`, first check every block
    against the manifest's checksums. Raises ResultError naming what is wrong. `params`, the
    scenario compiled, from the run that has just written the folder."""
    folder = Path(folder)
    info = read_manifest(folder)
    if verify_data:
        verify(folder, info)
    try:
        dataset = xr.open_zarr(folder / info.get("store", STORE))
    except Exception as err:  # zarr raises many kinds for a damaged store
        raise ResultError(folder, f"its store cannot be opened ({err})") from None
    small = [name for name in dataset.coords if name not in dataset.indexes]
    dataset = dataset.assign_coords({name: dataset[name].compute() for name in small})
    expected = {"world": info["worlds"], "month": info["months"]}
    found = {d: dataset.sizes.get(d) for d in expected}
    if found != expected or dataset.attrs.get("scenario_hash") != info["scenario_hash"]:
        raise ResultError(folder, f"the store ({found}) does not match its manifest ({expected})")
    scenario = Scenario.model_validate(info["scenario"])
    timings = timings or info.get("timings")
    return Results(dataset, scenario, timings=timings, folder=folder, params=params)
