"""`sim batch`: scenario files and their sweeps as one resumable batch, and its comparisons."""

from __future__ import annotations

import sys
from contextlib import contextmanager, suppress
from pathlib import Path

from sim.cli import options
from sim.cli.exits import EXIT_FAILED, EXIT_INTERRUPTED
from sim.cli.options import DEFAULT_OUT

HELP = "run scenario files and their sweeps as one batch, resumable, on all cores or Dask"


def add(subparsers) -> None:
    parser = subparsers.add_parser(
        "batch",
        help=HELP,
        description=f"{HELP}; print each scenario against the baseline when it is in the batch",
        parents=[
            options.worlds("each sweep's or scenario's", what="worlds per run"),
            options.seed("each scenario's own", what="root seed of every run of the batch"),
            options.assumptions(),
            options.out("batch folder (default: out/batch)", default=DEFAULT_OUT / "batch"),
            options.force(),
            options.progress(),
        ],
    )
    parser.add_argument("files", nargs="+", help="scenario YAML files (or shipped scenario names)")
    parser.add_argument(
        "--workers",
        type=options.positive,
        help="worker processes on this machine (default and most: all cores)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="run on this Dask distributed cluster (given up if it does not answer in time)",
    )
    parser.add_argument(
        "--resume", action="store_true", help="finish the batch in --out: keep its blocks"
    )
    parser.set_defaults(handler=handle)


def handle(args) -> int:
    from sim.batch.batch import resume_hint, run_batch
    from sim.batch.executors import check_scheduler

    check_scheduler(args.scheduler)  # a malformed address: refused before out/ is made
    hint = resume_hint(args.files, args.out, args.worlds, args.seed, args.assumptions)
    try:
        with _default_parent(args.out):
            report = run_batch(
                args.files,
                args.out,
                worlds=args.worlds,
                seed=args.seed,
                assumptions=args.assumptions,
                workers=args.workers,
                scheduler=args.scheduler,
                resume=args.resume,
                force=args.force,
                progress=not args.no_progress,
            )
    except KeyboardInterrupt:
        print(f"\n{interrupted(args.out, hint)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(format_batch(report))
    print(write_briefs(report))
    for error in report.failed_files.values():
        print(f"error: {error}", file=sys.stderr)
    for block, error in report.failed_blocks.items():
        print(f"error: block {block} failed: {error}", file=sys.stderr)
    if not report.ok:
        print(f"the rest is in {args.out}/; after fixing, go on with\n  {hint}", file=sys.stderr)
        return EXIT_FAILED
    return 0


@contextmanager
def _default_parent(out: Path):
    """The default batch folder's parent (out/), made when missing and removed again if the
    batch left it empty (refused, or its scheduler did not answer): nothing is left behind."""
    made = out == DEFAULT_OUT / "batch" and not DEFAULT_OUT.exists()
    if made:
        DEFAULT_OUT.mkdir(exist_ok=True)
    try:
        yield
    finally:
        if made:
            with suppress(OSError):  # not empty: the batch wrote there, and that is kept
                DEFAULT_OUT.rmdir()


def interrupted(out: Path, hint: str) -> str:
    """What an interrupted batch kept and how to go on, naming only a folder that exists."""
    if out.is_dir():
        return f"interrupted: finished blocks are kept in {out}/; go on with\n  {hint}"
    return "interrupted before the batch folder was made: nothing was written"


def write_briefs(report) -> str:
    """A brief (report.html) in each scenario's run folder, against the baseline when the batch
    has one (sim.analysis.report), and where they are."""
    from sim.analysis.report import write_batch_reports

    written = write_batch_reports(report.folder, report.runs)
    where = ", ".join(str(path.relative_to(report.folder)) for path in written)
    return f"{len(written)} brief(s) in {report.folder}/: {where or 'none'}"


def format_batch(report) -> str:
    """Each scenario against the baseline (when the baseline is in the batch), then where."""
    from sim.analysis.compare import compare_batch

    runs = report.runs
    lines = compare_batch(report.folder, runs)
    worlds = sum(run.worlds for run in runs)
    lines.append(
        f"{len(runs)} run(s), {worlds:,} worlds in {report.seconds:.1f} s; results in "
        f"{report.folder}/ (index.csv, runs/NAME/pNNN/); read them with "
        f"sim.load_results('{report.folder}')"
    )
    return "\n".join(lines)
