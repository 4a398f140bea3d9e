"""Scenario batches: many files, each a sweep of points, run block by block on an executor,
every finished block written to its run's store and journalled, so that a batch stopped in
any way resumes without recomputing or losing a block.

    DIR/batch.json      the plan (runs, their scenarios' hashes, worlds, seed, blocks), written
                        first, and the state (running, complete, failed)
    DIR/journal.jsonl   one line per store laid out and per block finished, appended and
                        flushed to disk after the block's data: a block counts only once both
                        are on disk
    DIR/index.csv       written at the end: scenario, point, lever and uncertainty values,
                        outcome means, folder of every run (pandas.read_csv reads it in one
                        call)
    DIR/runs/NAME/pNNN/ a result folder per scenario and sweep point (sim.load_results)
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.batch.executors import make_executor
from sim.batch.journal import JOURNAL, Journal
from sim.batch.progress import progress_bar
from sim.batch.runner import (
    DEFAULT_BLOCK,
    STORED_BLOCKS,
    blocks,
    check_run,
    finish_run,
    simulate_block,
)
from sim.batch.sweeps import sweep_points
from sim.core.assumptions import FIXED, check_assumptions
from sim.errors import ResultError, ScenarioError
from sim.results.collection import INDEX, INDEX_COLUMNS, read_plan
from sim.results.folder import (
    BATCH,
    BATCH_FORMAT,
    MANIFEST,
    STORE,
    check_not_an_input,
    claim_batch,
)
from sim.results.outcomes import OUTCOMES
from sim.results.store import create_store, versions
from sim.scenario.loading import input_files, load_scenario, resolve_path
from sim.scenario.schema import Scenario
from sim.scenario.vocab import DEFAULT_ASSUMPTIONS

log = logging.getLogger("sim")

TASK_WORLDS = DEFAULT_BLOCK * STORED_BLOCKS  # worlds per unit of work: a block of the store


@dataclass(frozen=True)
class Run:
    """One scenario at one sweep point: a result folder of the batch."""

    key: str  # its folder in the batch, runs/NAME/pNNN
    file: str
    scenario: Scenario
    point: int
    values: dict[str, float]
    worlds: int
    seed: int
    plots: bool  # a result folder of its own has plots; the points of a sweep have none
    assumptions: str = DEFAULT_ASSUMPTIONS  # drawn per world, or fixed at their written values

    @property
    def block(self) -> int:
        return min(TASK_WORLDS, self.worlds)

    def plan(self) -> dict:
        return {
            "key": self.key,
            "file": self.file,
            "scenario_name": self.scenario.name,
            "scenario_hash": self.scenario.content_hash(),
            "point": self.point,
            "values": self.values,
            "worlds": self.worlds,
            "seed": self.seed,
            "assumptions": self.assumptions,
            "block_worlds": self.block,
        }


@dataclass
class BatchReport:
    """What a batch did: its folder, runs, and the scenarios and blocks that failed."""

    folder: Path
    runs: list[Run]
    failed_files: dict[str, str] = field(default_factory=dict)
    failed_blocks: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    block_seconds: float = 0.0  # from handing out the first block to journalling the last

    @property
    def ok(self) -> bool:
        return not self.failed_files and not self.failed_blocks


def plan_runs(
    files: Sequence[str | Path],
    worlds: int | None = None,
    seed: int | None = None,
    assumptions: str = DEFAULT_ASSUMPTIONS,
) -> tuple[list[Run], dict]:
    """Every (scenario, sweep point) of the files, and the files that cannot be run with why.
    `worlds` and `seed`, when given, are those of every run; else each scenario's own."""
    check_assumptions(assumptions)
    runs: list[Run] = []
    failed: dict[str, str] = {}
    names: dict[str, str] = {}
    for file in map(str, files):
        try:
            scenario = load_scenario(file)
            if scenario.name in names:
                raise ScenarioError(
                    "name", f"{scenario.name!r} is also the name of {names[scenario.name]}", file
                )
            names[scenario.name] = file
            count = worlds or (scenario.sweep and scenario.sweep.worlds) or scenario.worlds
            root = scenario.seed if seed is None else seed
            check_run(scenario, count, root, in_memory=False, assumptions=assumptions)
            values = sweep_points(scenario)
            points = [
                Run(key=f"runs/{scenario.name}/p{number:03d}", file=file,
                    scenario=scenario.with_values(**point) if point else scenario,
                    point=number, values=point, worlds=count, seed=root,
                    plots=len(values) == 1, assumptions=assumptions)
                for number, point in enumerate(values)
            ]  # fmt: skip
            runs += points  # all the file's points, or none
        except ScenarioError as err:
            failed[file] = err.in_file(err.file or file).describe()
    return runs, failed


def run_batch(
    files: Sequence[str | Path],
    out: str | Path,
    worlds: int | None = None,
    workers: int | None = None,
    scheduler=None,
    resume: bool = False,
    force: bool = False,
    progress: bool = False,
    executor: Executor | None = None,
    seed: int | None = None,
    assumptions: str = DEFAULT_ASSUMPTIONS,
) -> BatchReport:
    """Run every scenario and sweep point of `files` into the batch folder `out`.

    `worlds` and `seed` (the root seed of every run of the batch) default to each scenario's
    own; `assumptions` drawn per world (the default) or fixed (sim.run). With `resume`, the
    batch already in `out` goes on: blocks its journal lists are kept,
    the rest run; the files, `worlds` and `seed` must give the same plan. A scenario that cannot
    be loaded, or a block that fails, is reported in the BatchReport while the rest completes.
    Ctrl-C or SIGTERM stops handing out blocks, keeps the finished ones and raises
    KeyboardInterrupt.

    Blocks run in this process (`workers=1`), on a pool of `workers` processes (default: all
    cores), or on a Dask cluster (`scheduler`: its address, or a `distributed.Client`). All
    three work from a notebook as from a script: the work is functions of this package, so
    nothing needs `if __name__ == "__main__"`. With `progress`, a bar (a widget in Jupyter).

    Example::

        report = run_batch(["baseline", "us_reengagement"], "out/two", worlds=200)
        load_results(report.folder).results("us_reengagement")
    """
    started = time.time()
    if executor is None:  # made first: a cluster that does not answer, or a pool that cannot
        # start, claims no folder (a pool starts its processes only when given work)
        with make_executor(workers, scheduler) as made:
            return run_batch(files, out, worlds, resume=resume, force=force, progress=progress,
                             executor=made, seed=seed, assumptions=assumptions)  # fmt: skip
    files = _each_once(files)
    inputs = [path for file in files for path in input_files(file)]
    check_not_an_input(out, inputs, "batch")  # before the files are read: nothing is run
    runs, failed_files = plan_runs(files, worlds, seed, assumptions)
    if not runs:  # refused before a folder is claimed: there is nothing to keep or resume
        problems = "; ".join(failed_files.values()) or "no scenario files given"
        raise ScenarioError("", f"no file of the batch can be run: {problems}")
    report = BatchReport(Path(out), runs, failed_files)
    with claim_batch(out, force=force, resume=resume, inputs=inputs) as folder:
        journal = Journal(folder / JOURNAL)
        if resume:
            _check_same_plan(folder, runs, failed_files)
        _write_plan(folder, runs, "running", report)  # before anything is written for a run
        _run_remaining(folder, runs, journal, report, executor, progress)
        report.seconds = time.time() - started
        _write_index(folder, runs)
        status = "complete" if report.ok else "failed"
        _write_plan(folder, runs, status, report)
    return report


def _run_remaining(folder: Path, runs: list[Run], journal: Journal, report: BatchReport,
                   executor: Executor, progress: bool) -> None:  # fmt: skip
    """Lay out the stores the journal lacks, run the blocks it lacks (or whose files are
    damaged), and finish every run that has no manifest."""
    done = journal.blocks()
    _lay_out(folder, runs, journal)
    tasks = [
        BlockTask(run, first, count)
        for run in runs
        for first, count in blocks(run.worlds, run.block)
        if (run.key, first) not in done or not _intact(folder / run.key, done[run.key, first])
    ]
    damaged = {task.run.key for task in tasks}  # a finished run missing a block's files
    for key in damaged:  # is finished again: its manifest (ours) no longer holds
        (folder / key / MANIFEST).unlink(missing_ok=True)
    unfinished = [run for run in runs if not (folder / run.key / MANIFEST).is_file()]
    if not unfinished:
        return
    # a task is a block of worlds, or a run's summary, plots and manifest
    with progress_bar(len(tasks) + len(unfinished), progress, " task", "batch") as bar:
        work = Work(folder=folder, blocks=tasks, unfinished=unfinished, done=done,
                    journal=journal, report=report, bar=bar)  # fmt: skip
        work.execute(executor)


@dataclass(frozen=True)
class BlockTask:
    """Worlds first..first+count-1 of a run, simulated on a worker and written into their
    chunks of the run's store; the future's result is the block's journal entry."""

    run: Run
    first: int
    count: int

    def submit(self, executor: Executor, folder: Path) -> Future:
        run = self.run
        store = str(folder / run.key / STORE)
        return executor.submit(
            simulate_block, store, run.scenario, run.seed, self.first, self.count, run.block,
            run.assumptions,
        )  # fmt: skip

    def describe(self) -> str:
        return (
            f"{self.run.key} ({self.run.file}), worlds {self.first}-{self.first + self.count - 1}"
        )


@dataclass(frozen=True)
class FinishTask:
    """A run's last task, once all its blocks are in: summary, outcomes, plots (not for the
    points of a sweep) and the manifest, written last into the run's result folder."""

    run: Run
    entries: tuple[dict, ...]  # the journal entries of all the run's blocks

    def submit(self, executor: Executor, folder: Path) -> Future:
        run = self.run
        work = str(folder / run.key)
        return executor.submit(
            finish_run, work, run.scenario, list(self.entries), run.block, run.plots
        )

    def describe(self) -> str:
        return f"{self.run.key} ({self.run.file}), its summary and manifest"


Task = BlockTask | FinishTask


@dataclass(kw_only=True)
class Work:
    """The tasks of a batch, handed out to an executor: the blocks to run, and each unfinished
    run's FinishTask as soon as its last block is in, so that runs finish in parallel too."""

    folder: Path  # the batch folder
    blocks: list[BlockTask]  # the blocks to run, handed out in this order
    unfinished: list[Run]  # the runs without a manifest: each is finished after its blocks
    done: dict[tuple[str, int], dict]  # journal entries of blocks already in, by (run, first)
    journal: Journal  # every block is journalled there as it finishes
    report: BatchReport  # failures and the blocks' time, filled in as tasks finish
    bar: Any  # progress: a step per task finished (sim.batch.progress)
    entries: dict[str, dict[int, dict]] = field(init=False)  # run -> first world -> entry
    waiting: Counter[str] = field(init=False)  # blocks each run still waits for
    pending: list[Task] = field(init=False)  # handed out from the end
    worlds: int = field(init=False, default=0)  # worlds simulated so far
    clock: float = field(init=False, default_factory=time.time)

    def __post_init__(self) -> None:
        self.entries = {}
        for (key, first), entry in self.done.items():
            self.entries.setdefault(key, {})[first] = entry
        self.waiting = Counter(task.run.key for task in self.blocks)
        ready = [self.finish(run) for run in self.unfinished if not self.waiting[run.key]]
        self.pending = [*reversed(self.blocks), *ready]

    def finish(self, run: Run) -> FinishTask:
        return FinishTask(run, tuple(self.entries.get(run.key, {}).values()))

    def execute(self, executor: Executor) -> None:
        """Hand out tasks, keeping every worker busy and one more waiting; journal each block as
        it finishes. On Ctrl-C, hand out no more, journal those that finish, and re-raise."""
        running: dict[Future, Task] = {}
        limit = getattr(executor, "workers", 1) + getattr(executor, "ahead", 1)
        try:
            while self.pending or running:
                while self.pending and len(running) < limit:
                    task = self.pending.pop()
                    running[task.submit(executor, self.folder)] = task
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    self.record(future, running.pop(future))
        except KeyboardInterrupt:
            for future in running:
                future.cancel()
            for future in wait(running).done:  # those already running finish in seconds
                if not future.cancelled():
                    self.record(future, running[future], then=False)
            raise

    def record(self, future: Future, task: Task, then: bool = True) -> None:
        """Journal a finished block (and, after a run's last, queue its finish, unless `then`
        is false), or report the task's failure."""
        error = future.exception()
        self.bar.update(1)
        if error is not None:
            where = task.describe()
            self.report.failed_blocks[where] = f"{type(error).__name__}: {error}"
            log.warning("%s failed: %s: %s", where, type(error).__name__, error)
        elif isinstance(task, BlockTask):
            self._journal(task, future.result(), then)

    def _journal(self, task: BlockTask, result: dict, then: bool) -> None:
        run = task.run
        entry = {"kind": "block", "run": run.key, **result}
        self.journal.append(entry)
        self.entries.setdefault(run.key, {})[task.first] = entry
        self.worlds += task.count
        self.waiting[run.key] -= 1
        if then and not self.waiting[run.key]:
            self.pending.append(self.finish(run))
        self.report.block_seconds = time.time() - self.clock
        self.bar.set_postfix_str(f"{self.worlds / self.report.block_seconds:,.0f} worlds/s")


def _lay_out(folder: Path, runs: list[Run], journal: Journal) -> None:
    """Each run's store layout, once (a layout cut short by a kill is made again); the points
    of a sweep copy their first point's."""
    done = journal.laid_out()
    first_store: dict[str, Path] = {}
    for run in runs:
        store = folder / run.key / STORE
        if run.key not in done:
            shutil.rmtree(store, ignore_errors=True)  # ours: a layout the journal lacks
            store.parent.mkdir(parents=True, exist_ok=True)
            like = first_store.get(run.file)
            create_store(store, run.scenario, run.seed, run.worlds, run.block, like=like,
                         assumptions=run.assumptions)  # fmt: skip
            journal.append({"kind": "layout", "run": run.key})
        first_store.setdefault(run.file, store)


def _intact(run_folder: Path, entry: dict) -> bool:
    """A journalled block's files are all there with their sizes (the checksum is checked when
    the results are loaded)."""
    store = run_folder / STORE
    return all(
        (store / rel).is_file() and (store / rel).stat().st_size == size
        for rel, size in entry["files"].items()
    )


def _write_plan(folder: Path, runs: list[Run], status: str, report: BatchReport | None = None):
    info = {
        "format": BATCH_FORMAT,
        "format_version": 1,
        "status": status,
        "runs": [run.plan() for run in runs],
        "files": [JOURNAL, INDEX],
        "versions": versions(),
    }
    if report is not None:
        info["failed_files"] = report.failed_files
        info["failed_blocks"] = report.failed_blocks
    tmp = folder / f".{BATCH}.tmp"
    tmp.write_text(json.dumps(info, indent=1))
    os.replace(tmp, folder / BATCH)


def _each_once(files: Sequence[str | Path]) -> list[str]:
    """The files in order, a file given twice (by the same path, however written) once, with
    a note."""
    seen: dict[Path, str] = {}
    for file in map(str, files):
        path = resolve_path(file).resolve()
        if path in seen:
            log.info("%s is given twice (as %s); it runs once", file, seen[path])
        else:
            seen[path] = file
    return list(seen.values())


def _check_same_plan(folder: Path, runs: list[Run], failed_now: dict[str, str]) -> None:
    """The files give the batch's runs as they were planned; runs of a file that could not be
    loaded then (and is fixed now) join. A file of the plan that cannot be loaded now (edited
    since) is reported with its own error."""
    plan = read_plan(folder)
    before = {r["key"]: r for r in plan["runs"]}
    now = {run.key: run.plan() for run in runs}
    failed_then = set(plan.get("failed_files", {}))
    for key in sorted(set(before) | set(now)):
        if key not in before and now[key]["file"] in failed_then:
            continue
        if key not in now and before[key]["file"] in failed_now:
            raise ResultError(folder, f"cannot resume: {failed_now[before[key]['file']]}")
        if key not in now or key not in before:
            side = "is not in the files given now" if key not in now else "was not in the batch"
            raise ResultError(folder, f"cannot resume: run {key} {side}; give the same files")
        for name in ("scenario_hash", "worlds", "seed", "block_worlds", "assumptions"):
            if before[key].get(name, FIXED) != now[key][name]:
                raise ResultError(
                    folder,
                    f"cannot resume: run {key} was started with another {name} "
                    f"({before[key].get(name, FIXED)} then, {now[key][name]} now); give the "
                    "same files, --worlds, --seed and --assumptions, or start a new batch",
                )


def _write_index(folder: Path, runs: list[Run]) -> None:
    rows = [
        {
            "scenario": run.scenario.name,
            "point": run.point,
            "file": run.file,
            "folder": run.key,
            "worlds": run.worlds,
            "seed": run.seed,
            "assumptions": run.assumptions,
            "scenario_hash": run.scenario.content_hash(),
            "complete": (folder / run.key / MANIFEST).is_file(),
            **run.scenario.factor_values(),  # the point's values, and the others as written
            **_outcome_means(folder / run.key),
        }
        for run in runs
    ]
    table = pd.DataFrame(rows) if rows else pd.DataFrame(columns=INDEX_COLUMNS)
    table.to_csv(folder / INDEX, index=False)


def _outcome_means(run_folder: Path) -> dict[str, float]:
    """A finished run's outcomes, each averaged over its worlds ('mean_' before its name)."""
    path = run_folder / OUTCOMES
    if not (run_folder / MANIFEST).is_file() or not path.is_file():
        return {}
    means = pd.read_csv(path, index_col="world").mean()
    return {f"mean_{name}": float(value) for name, value in means.items()}


def resume_hint(
    files: Sequence[str],
    out: Path,
    worlds: int | None,
    seed: int | None = None,
    assumptions: str = DEFAULT_ASSUMPTIONS,
) -> str:
    """The command that resumes the batch: the same files, --worlds, --seed and mode."""
    extra = f" --worlds {worlds}" if worlds else ""
    extra += f" --seed {seed}" if seed is not None else ""
    extra += f" --assumptions {assumptions}" if assumptions != DEFAULT_ASSUMPTIONS else ""
    return f"sim batch {' '.join(map(str, files))}{extra} --out {out} --resume"
