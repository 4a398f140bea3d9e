"""Claiming an output folder: checked before anything runs, locked, written under a hidden
partial name beside it and moved into place whole.

Nothing the project did not write is ever deleted or replaced: a folder in the way is refused
unless it is an earlier output of ours of the same kind (a run, a batch, an export, a
comparison, a validation, a backtest: `kind_of`) holding only our files and `force` is given; an
output is never one of the command's inputs, nor holds or lies inside one
(`check_not_an_input`); a lock beside the folder refuses a second run into the same place; a
partial folder left by a killed run is removed, and said so, by the next run into the same
place. One output is a single file: a brief (`sim report`, `claim_report`), written under a
hidden partial name beside it and renamed into place, replacing only a brief of ours.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import stat
import time
import uuid
from collections.abc import Iterable
from contextlib import contextmanager, suppress
from pathlib import Path

from sim.errors import ResultError
from sim.results.dataset import FORMAT

log = logging.getLogger("sim")

MANIFEST = "manifest.json"
BATCH = "batch.json"  # the plan and state of a batch folder
BATCH_FORMAT = f"{FORMAT}/batch"
STORE = "series.zarr"
EXPORT_FORMAT = f"{FORMAT}/export"  # the manifest of an export folder lists its files
PARTIAL_MARK = ".written-by-sim"  # first file of a partial folder: ours to remove
# folders whose manifest lists files
LISTED_KINDS = ("export", "comparison", "validation", "discovery", "backtest")
# a listing written before kinds were recorded says its kind by `of`: one folder, two, none
KIND_BY_OF = {str: "export", list: "comparison", type(None): "validation"}
REPORT = "report.html"  # a run folder's brief (sim report): the run counts it as its own
REPORT_HEAD = "<!DOCTYPE html>\n<!-- regional-influence-sim/report: written by sim report -->\n"


class OutputClaim:
    """A place to write a result folder: checked, locked, with a partial folder to write into."""

    def __init__(self, folder: Path, work: Path, replace: bool, kind: str = "run"):
        self.folder, self.work, self.replace, self.kind = folder, work, replace, kind
        self.committed = False

    def commit(self) -> Path:
        """Move the finished partial folder into place (replacing an earlier output of its kind
        only when it was claimed with force, and only if it still holds nothing but our files)."""
        if self.folder.exists():
            _check_replaceable(self.folder, self.replace, self.kind)
            old = self.folder.with_name(f".{self.folder.name}.old-{uuid.uuid4().hex[:8]}")
            self.folder.rename(old)
            self.work.rename(self.folder)
            shutil.rmtree(old)
        else:
            self.work.rename(self.folder)
        (self.folder / PARTIAL_MARK).unlink()
        self.committed = True
        return self.folder


MAX_JSON_BYTES = 256 * 2**20  # more than any manifest or batch plan this program writes


def read_json(path: Path):
    """A manifest or batch plan: a regular file within MAX_JSON_BYTES holding JSON. A missing
    file raises FileNotFoundError; any other problem ValueError, saying what is wrong."""
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise ValueError("not a regular file")
    if info.st_size > MAX_JSON_BYTES:
        raise ValueError(f"{info.st_size / 2**20:,.0f} MB, more than this program ever writes")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise ValueError("nested too deep to be a file of this program") from None


def write_listing(work: Path, kind: str, files: list[str], of=None) -> None:
    """The manifest of a folder of files we wrote, with its kind (one of LISTED_KINDS), so
    that `force` may replace that folder later by an output of the same kind, and nothing
    else."""
    assert kind in LISTED_KINDS, kind
    info = {"format": EXPORT_FORMAT, "kind": kind, "of": of, "files": files}
    (work / MANIFEST).write_text(json.dumps(info, indent=1))


def kind_of(folder: Path) -> str | None:
    """Which output of this program `folder` is, by its own record: "batch" (its batch.json),
    "run" (a result folder's manifest, format FORMAT), or the kind a listing's manifest
    records (LISTED_KINDS; one written before kinds were recorded by its `of`, KIND_BY_OF).
    None for anything else: a user's folder or file, a scenario."""
    try:
        if (folder / BATCH).is_file():
            return "batch" if read_json(folder / BATCH).get("format") == BATCH_FORMAT else None
        info = read_json(folder / MANIFEST)
        if info.get("format") == FORMAT:
            return "run"
        if info.get("format") == EXPORT_FORMAT:
            kind = info.get("kind", KIND_BY_OF.get(type(info.get("of"))))
            return kind if kind in LISTED_KINDS else None
    except (OSError, ValueError, AttributeError, TypeError):
        return None
    return None


def check_not_an_input(out, inputs: Iterable, kind: str = "run") -> None:
    """The one rule of every command that writes: refuse an output path `out` that is, holds
    or lies inside one of the command's `inputs` (run or batch folders, scenario or targets
    files), compared as resolved paths, whatever `force` says. The one place an output may lie
    inside an input is the room a run folder keeps for its own exports (RUN/export-*)."""
    place = Path(out).resolve()
    for given in map(Path, inputs):
        source = given.resolve()
        if place == source:
            relation = "is"
        elif source.is_relative_to(place):
            relation = "holds"
        elif place.is_relative_to(source) and not _own_room(place, source, kind):
            relation = "lies inside"
        else:
            continue
        raise ResultError(
            out,
            f"{relation} the {_what(given)} {given} that this command reads; an output is "
            "never an input, nor holds or lies inside one (--force does not change this). "
            "Choose another output path",
        )


def _own_room(place: Path, source: Path, kind: str) -> bool:
    """The room a run folder keeps for outputs of its own, which its manifest does not list and
    `written_by_us` counts as the run's: an export into RUN/export-*, a brief as RUN/report.html."""
    if place.parent != source or kind_of(source) != "run":
        return False
    return (kind == "export" and place.name.startswith("export-")) or (
        kind == "report" and place.name == REPORT
    )


def _what(path: Path) -> str:
    """An input as a message names it: "run folder", "batch folder", "folder" or "file"."""
    kind = kind_of(path)
    if kind in ("run", "batch"):
        return f"{kind} folder"
    return "folder" if path.is_dir() else "file"


def written_by_us(folder: Path) -> set[str] | None:
    """The files (paths relative to `folder`) that this project wrote there, as its manifest
    lists them, or None if it is not a result or export folder of ours. A result folder's
    exports (export-*) are ours too; so is every run of a batch folder."""
    if (folder / BATCH).is_file():
        return _batch_files(folder)
    try:
        info = read_json(folder / MANIFEST)
        kind = info.get("format")
        if kind == EXPORT_FORMAT:
            return {MANIFEST, *info["files"]}
        if kind != FORMAT:
            return None
        store = info.get("store", STORE)
        entries = [info["metadata"], *info["blocks"]]
        ours = {MANIFEST, *info["files"], *(f"{store}/{f}" for e in entries for f in e["files"])}
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        return None
    for export in folder.glob("export-*"):
        listed = written_by_us(export) if export.is_dir() else None
        ours |= {f"{export.name}/{f}" for f in listed or ()}
    if is_report(folder / REPORT):
        ours.add(REPORT)
    return ours


def is_report(path: Path) -> bool:
    """A brief this project wrote: a regular file that starts with REPORT_HEAD."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False
        with open(path, "rb") as f:
            return f.read(len(REPORT_HEAD)) == REPORT_HEAD.encode()
    except OSError:
        return False


def _batch_files(folder: Path) -> set[str] | None:
    """A batch folder's own files, and in each of its runs the files of the finished result
    folder or, for one not finished, its store (which nothing else writes into)."""
    try:
        info = read_json(folder / BATCH)
        if info.get("format") != BATCH_FORMAT:
            return None
        keys = [run["key"] for run in info["runs"]]
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        return None
    ours = {BATCH, *info.get("files", [])}
    for key in keys:
        run = folder / key
        listed = written_by_us(run) if (run / MANIFEST).is_file() else None
        if listed is None:
            listed = {p.relative_to(run).as_posix() for p in (run / STORE).rglob("*")}
        ours |= {f"{key}/{name}" for name in listed}
    return ours


def _check_replaceable(folder: Path, force: bool, kind: str) -> None:
    """Refuse a folder in the way unless it is empty, or an earlier output of ours of the same
    `kind` that holds only the files its manifest lists and `force` is given."""
    if not folder.is_dir():
        raise ResultError(folder, "a file is in the way; choose another output folder")
    if not any(folder.iterdir()):
        return
    ours, found = written_by_us(folder), kind_of(folder)
    if ours is None or found is None:
        raise ResultError(
            folder,
            "exists, is not empty and is not a result folder of this project; nothing was "
            "written. Choose another output folder",
        )
    if found != kind:
        raise ResultError(
            folder,
            f"holds this project's {found}, not an earlier {kind}; --force (force=True) "
            f"replaces only an earlier {kind}. Choose another output folder",
        )
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir()}
    foreign = sorted(files - ours)
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


def _existing_parent(folder: Path) -> Path:
    """The folder's parent, which must exist: a run creates its output folder, not its path."""
    parent = folder.parent
    if not parent.is_dir():
        what = "is a file" if parent.exists() else "does not exist"
        raise ResultError(folder, f"the parent folder {parent} {what}; create it first")
    return parent


def remove_partial(work: Path, patience: float = 5.0) -> None:
    """Remove a partial folder of ours. An interrupt waits for a store's write to end
    (sim.errors.interrupts_held), but after a write failed midway, threads of the writer
    (dask's, zarr's) may still be finishing a chunk into it, and a first removal can race them:
    try again until it is gone or `patience` seconds have passed."""
    deadline = time.monotonic() + patience
    shutil.rmtree(work, ignore_errors=True)
    while work.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
        shutil.rmtree(work, ignore_errors=True)


@contextmanager
def claim_output(folder, force: bool = False, kind: str = "run", inputs: Iterable = ()):
    """Check an output folder before anything runs (not one of `inputs`, nor holding or inside
    one; nothing in the way but an earlier output of this `kind`, the default a run's result
    folder), lock it, and give a partial folder to write into; on any exit without commit the
    partial folder is removed."""
    folder = Path(folder)
    check_not_an_input(folder, inputs, kind)
    parent = _existing_parent(folder)
    if folder.exists():
        _check_replaceable(folder, force, kind)
    with _lock(parent / f".{folder.name}.lock", folder):
        _remove_leftovers(folder)
        work = parent / f".{folder.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            work.mkdir()  # the umask's permissions, not mkdtemp's 0700
            (work / PARTIAL_MARK).write_text(f"partial result folder of {folder.name}\n")
        except OSError as err:
            shutil.rmtree(work, ignore_errors=True)
            raise ResultError(folder, f"cannot be written ({err.strerror})") from None
        claim = OutputClaim(folder, work, replace=force, kind=kind)
        try:
            yield claim
        finally:
            if not claim.committed:
                remove_partial(work)


@contextmanager
def claim_batch(folder, force: bool = False, resume: bool = False, inputs: Iterable = ()):
    """Check and lock a batch folder, written in place so that it can be resumed: a new one
    (created), one to resume (an earlier batch of ours), or an earlier one replaced (force).
    Like every output, it is not one of its `inputs` (scenario files), nor holds one."""
    folder = Path(folder)
    check_not_an_input(folder, inputs, "batch")
    parent = _existing_parent(folder)
    if resume and not (folder / BATCH).is_file():
        raise ResultError(folder, f"holds no batch to resume (no {BATCH}); run without --resume")
    with _lock(parent / f".{folder.name}.lock", folder):
        if resume:
            if _batch_files(folder) is None:
                raise ResultError(folder / BATCH, "is not the plan of a batch of this project")
        elif folder.exists() and any(folder.iterdir()):
            if (folder / BATCH).is_file() and not force:
                raise ResultError(
                    folder,
                    "holds an earlier batch; give --resume (resume=True) to finish it, --force "
                    "(force=True) to replace it, or choose another output folder",
                )
            _check_replaceable(folder, force, "batch")
            old = folder.with_name(f".{folder.name}.old-{uuid.uuid4().hex[:8]}")
            folder.rename(old)
            shutil.rmtree(old)
        try:
            folder.mkdir(exist_ok=True)
        except OSError as err:
            raise ResultError(folder, f"cannot be written ({err.strerror})") from None
        if not os.access(folder, os.W_OK):
            raise ResultError(folder, "cannot be written (permission denied)")
        yield folder


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


@contextmanager
def claim_report(path, force: bool = False, inputs: Iterable = ()):
    """Check the path of a brief before any work (not one of `inputs`, nor inside one but for a
    run folder's room, RUN/report.html; its parent an existing folder; nothing in the way but a
    brief of ours, replaced only with `force`) and give a hidden partial file beside it to
    write; when the block ends without error it is renamed into place, else removed."""
    path = Path(path)
    check_not_an_input(path, inputs, "report")
    parent = _existing_parent(path)
    _check_report_replaceable(path, force)
    if not os.access(parent, os.W_OK):
        raise ResultError(path, f"cannot be written: the folder {parent} is not writable")
    for left in parent.glob(f".{path.name}.partial-*"):  # a killed report's, ours by its head
        if is_report(left) or (left.is_file() and left.stat().st_size == 0):
            left.unlink()
            log.warning("removed %s, left by an interrupted report", left)
    work = parent / f".{path.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        yield work
        _check_report_replaceable(path, force)  # still nothing of the user's in the way
        try:
            os.replace(work, path)
        except OSError as err:
            raise ResultError(path, f"cannot be written ({err.strerror})") from None
    finally:
        work.unlink(missing_ok=True)


def _check_report_replaceable(path: Path, force: bool) -> None:
    if path.is_dir():
        raise ResultError(path, "is a folder; --out names the HTML file to write")
    if not (path.exists() or path.is_symlink()):
        return
    if not is_report(path):
        raise ResultError(
            path,
            "exists and is not a brief this project wrote; nothing was written. Choose another "
            "--out",
        )
    if not force:
        raise ResultError(
            path, "holds an earlier brief; give --force to replace it, or choose another --out"
        )
