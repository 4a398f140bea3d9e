"""Result folders: a Zarr store written block by block, summary, plots and a checked manifest.

    DIR/manifest.json   written last: scenario as run, its hash, seed, worlds, versions,
                        timings, and every block of worlds with its files, sizes and checksum
    DIR/summary.csv     final-month influence quantiles per power and state
    DIR/plots/          influence_<STATE>.png per state, overview.png
    DIR/series.zarr/    every recorded series, chunked by blocks of worlds and by months

A run writes under a hidden partial folder beside DIR and renames it into place at the end, so
nothing half-written ever looks complete. It never deletes or replaces what it did not write:
a folder in the way is refused unless it is an earlier result folder and `force` is given; a
lock beside DIR refuses a second run into the same place; a partial folder left by a killed run
is removed (and said so) by the next run into the same place.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import platform
import shutil
import sys
import uuid
import warnings
from contextlib import contextmanager, suppress
from importlib import metadata
from pathlib import Path

import numpy as np
import xarray as xr

from sim.core.params import compile_scenario
from sim.core.series import ENSEMBLE_DIMS, SERIES, dim_labels
from sim.errors import ResultError
from sim.results.dataset import FORMAT, Results, build_dataset
from sim.spec.schema import Scenario

log = logging.getLogger("sim")

STORE = "series.zarr"
MANIFEST = "manifest.json"
RESULT_ENTRIES = {MANIFEST, "summary.csv", "plots", STORE}  # what a result folder holds
EXPORT_FORMAT = f"{FORMAT}/export"  # the manifest of an export folder lists its files
PARTIAL_MARK = ".written-by-sim"  # first file of a partial folder: ours to remove
MONTH_CHUNK = 24  # months per chunk: two years (see docs/results.md for the choice)
PACKAGES = ("mesa", "numpy", "scipy", "pandas", "pydantic", "xarray", "zarr", "dask", "matplotlib")


def _encoding(ndim: int) -> dict:
    """Chunks stored month-last (a world's months are neighbours, which compress better than
    neighbouring flows or states), byte-shuffled, zstd at level 1: lossless, and fast enough
    that writing costs a fraction of simulating (docs/results.md has the measurements)."""
    from zarr.codecs import BloscCodec, TransposeCodec

    order = (*range(1, ndim), 0)
    return {
        "filters": [TransposeCodec(order=order)],
        "compressors": [BloscCodec(cname="zstd", clevel=1, shuffle="shuffle")],
    }


# ---- claiming an output folder ---------------------------------------------------------------
class OutputClaim:
    """A place to write a result folder: checked, locked, with a partial folder to write into."""

    def __init__(self, folder: Path, work: Path, replace: bool):
        self.folder, self.work, self.replace = folder, work, replace
        self.committed = False

    def commit(self) -> Path:
        """Move the finished partial folder into place (replacing an earlier result folder only
        when it was claimed with force, and only if it still holds nothing but our files)."""
        if self.folder.exists():
            _check_replaceable(self.folder, force=self.replace)
            old = self.folder.with_name(f".{self.folder.name}.old-{uuid.uuid4().hex[:8]}")
            self.folder.rename(old)
            self.work.rename(self.folder)
            shutil.rmtree(old)
        else:
            self.work.rename(self.folder)
        (self.folder / PARTIAL_MARK).unlink()
        self.committed = True
        return self.folder


def written_by_us(folder: Path) -> set[str] | None:
    """The names in `folder` that this project wrote, or None if it is not a result or export
    folder of ours (by its manifest). A result folder's exports (export-*) are ours too."""
    try:
        info = json.loads((folder / MANIFEST).read_text())
        kind = info.get("format")
        if kind == EXPORT_FORMAT:
            return {MANIFEST, *info["files"]}
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        return None
    if kind != FORMAT:
        return None
    exports = {
        p.name for p in folder.glob("export-*") if p.is_dir() and written_by_us(p) is not None
    }
    return RESULT_ENTRIES | exports


def _check_replaceable(folder: Path, force: bool) -> None:
    """Refuse a folder in the way unless it is empty, or an earlier result folder of ours that
    holds only our files and `force` is given."""
    if not folder.is_dir():
        raise ResultError(folder, "a file is in the way; choose another output folder")
    entries = {p.name for p in folder.iterdir()}
    if not entries:
        return
    ours = written_by_us(folder)
    if ours is None:
        raise ResultError(
            folder,
            "exists, is not empty and is not a result folder of this project; nothing was "
            "written. Choose another output folder",
        )
    foreign = sorted(entries - ours)
    if foreign:
        raise ResultError(
            folder,
            f"holds files this project did not write ({', '.join(foreign[:5])}); it will not "
            "be replaced. Move them away or choose another output folder",
        )
    if not force:
        raise ResultError(
            folder,
            "holds an earlier result; give --force (force=True) to replace it, or choose "
            "another output folder",
        )


@contextmanager
def claim_output(folder, force: bool = False):
    """Check an output folder before anything runs, lock it, and give a partial folder to write
    into; on any exit without commit the partial folder is removed."""
    folder = Path(folder)
    parent = folder.parent
    if not parent.is_dir():
        what = "is a file" if parent.exists() else "does not exist"
        raise ResultError(folder, f"the parent folder {parent} {what}; create it first")
    if folder.exists():
        _check_replaceable(folder, force)
    with _lock(parent / f".{folder.name}.lock", folder):
        _remove_leftovers(folder)
        work = parent / f".{folder.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            work.mkdir()  # the umask's permissions, not mkdtemp's 0700
            (work / PARTIAL_MARK).write_text(f"partial result folder of {folder.name}\n")
        except OSError as err:
            shutil.rmtree(work, ignore_errors=True)
            raise ResultError(folder, f"cannot be written ({err.strerror})") from None
        claim = OutputClaim(folder, work, replace=force)
        try:
            yield claim
        finally:
            if not claim.committed:
                shutil.rmtree(work, ignore_errors=True)


@contextmanager
def _lock(path: Path, folder: Path):
    """An exclusive lock (flock: released by the kernel when a process dies, however)."""
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise ResultError(folder, f"cannot be written ({err.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise ResultError(
                folder, f"another run ({holder}) is writing this folder; wait for it to finish"
            ) from None
        if os.path.exists(path) and os.stat(path).st_ino == os.fstat(fd).st_ino:
            break  # the file we locked is still the lock (not one its holder just removed)
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}".encode(), 0)
        yield
    finally:
        with suppress(FileNotFoundError):
            os.unlink(path)
        os.close(fd)


def _remove_leftovers(folder: Path) -> None:
    """Partial and replaced folders of earlier runs that died (we hold the lock, so none is in
    use); each is ours by its mark or manifest, and said so when removed."""
    for path in sorted(folder.parent.glob(f".{folder.name}.partial-*")):
        if (path / PARTIAL_MARK).exists():
            shutil.rmtree(path)
            log.warning("removed %s, left by an interrupted run", path)
    for path in sorted(folder.parent.glob(f".{folder.name}.old-*")):
        if written_by_us(path) is not None:
            shutil.rmtree(path)
            log.warning("removed %s, an earlier result an interrupted run was replacing", path)


# ---- writing ---------------------------------------------------------------------------------
class ResultWriter:
    """Writes a run into a partial result folder: the store's layout first, then each block of
    worlds as it finishes (with its checksum), then summary, plots and manifest."""

    def __init__(self, work: Path, scenario: Scenario, seed: int, worlds: int, block: int):
        self.work, self.scenario, self.seed, self.block = work, scenario, seed, block
        self.store = work / STORE
        self.blocks: list[dict] = []
        import dask.array as da

        p, months = compile_scenario(scenario), scenario.horizon_months
        labels = dim_labels(p)
        lazy = {}
        for name, s in SERIES.items():
            shape = (months, worlds, *(len(labels[d]) for d in s.dims))
            lazy[name] = da.zeros(shape, dtype=s.dtype, chunks=(MONTH_CHUNK, block, *shape[2:]))
        layout = build_dataset(scenario, lazy, seed)
        encoding = {n: _encoding(2 + len(s.dims)) for n, s in SERIES.items()}
        with warnings.catch_warnings():  # consolidated metadata: not in the v3 spec yet, but
            warnings.simplefilter("ignore", UserWarning)  # xarray reads it without a fallback
            layout.to_zarr(
                self.store,
                mode="w-",
                compute=False,
                encoding=encoding,
                zarr_format=3,
                consolidated=True,
            )

    def write_block(self, first: int, arrays: dict[str, np.ndarray]) -> None:
        """Write one block of worlds (arrays (months, count, ...)) into its chunks."""
        self.add(write_block(self.store, self.block, first, arrays))

    def add(self, entry: dict) -> None:
        """Record a block written (possibly by another process) with its checksum."""
        self.blocks.append(entry)

    def open(self) -> xr.Dataset:
        return xr.open_zarr(self.store)

    def finish(self, res: Results, claim: OutputClaim) -> Path:
        """Summary, plots and manifest (last), then the folder moves into place."""
        res.summary().to_csv(self.work / "summary.csv", index=False, float_format="%.5f")
        plots = self.work / "plots"
        plots.mkdir()
        for state in res.labels("state"):
            res.plot_influence(state).savefig(plots / f"influence_{state}.png", dpi=110)
        res.plot_overview().savefig(plots / "overview.png", dpi=110)
        info = manifest(res, sorted(self.blocks, key=lambda b: b["first_world"]), self.block)
        info["metadata"] = _checksum(self.store, metadata_files(self.store))
        info["files"] = {
            str(p.relative_to(self.work)): _sha256(p)
            for p in sorted([self.work / "summary.csv", *plots.iterdir()])
        }
        text = json.dumps(info, indent=1, default=str)
        (self.work / MANIFEST).write_text(text)
        return claim.commit()


def write_block(store: Path, block_worlds: int, first: int, arrays: dict[str, np.ndarray]) -> dict:
    """Write one block of worlds (arrays (months, count, ...)) into the chunks of a store laid
    out by ResultWriter; return its manifest entry (files, sizes, checksum)."""
    store, count = Path(store), next(iter(arrays.values())).shape[1]
    block = xr.Dataset({n: ((*ENSEMBLE_DIMS, *SERIES[n].dims), a) for n, a in arrays.items()})
    block.to_zarr(
        store,
        region={"world": slice(first, first + count)},
        write_empty_chunks=True,
        consolidated=False,
    )
    files = block_files(store, first // block_worlds)
    return {"first_world": first, "worlds": count, **_checksum(store, files)}


def block_files(store: Path, block: int) -> list[Path]:
    """The chunk files of one block of worlds (world chunk index `block`) in every series."""
    return sorted(
        path
        for name in SERIES
        for path in (store / name / "c").glob(f"*/{block}/**/*")
        if path.is_file()
    )


def metadata_files(store: Path) -> list[Path]:
    """Every file of the store that is not a chunk of a recorded series (layout, coords)."""
    chunks = {store / name / "c" for name in SERIES}
    return sorted(
        p for p in store.rglob("*") if p.is_file() and not any(c in p.parents for c in chunks)
    )


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


def save_results(res: Results, folder, force: bool = False, block: int = 10_000) -> Path:
    """Write a finished run (in memory) as a result folder; returns its path."""
    block = min(block, res.worlds)
    with claim_output(folder, force=force) as claim:
        writer = ResultWriter(claim.work, res.scenario, res.seed, res.worlds, block)
        for first in range(0, res.worlds, block):
            part = res.dataset.isel(world=slice(first, first + block))
            writer.write_block(first, {n: part[n].values for n in SERIES})
        return writer.finish(res, claim)


# ---- reading ---------------------------------------------------------------------------------
def read_manifest(folder: Path) -> dict:
    if not folder.is_dir():
        what = "is a file, not a result folder" if folder.exists() else "does not exist"
        raise ResultError(folder, what)
    try:
        info = json.loads((folder / MANIFEST).read_text())
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
        raise ResultError(folder, f"{name}: its data differ from what was written (checksum)")


def load_results(folder, verify_data: bool = True, timings: dict | None = None) -> Results:
    """Open a result folder lazily (dask-backed); with `verify_data`, first check every block
    against the manifest's checksums. Raises ResultError naming what is wrong."""
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
    return Results(dataset, scenario, timings=timings or info.get("timings"), folder=folder)
