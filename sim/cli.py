"""The command line: `sim run | batch | compare | export | explain | schema | validate |
calibrate | ui` (also `python -m sim`).

A thin layer over the Python API: one small function per command, the work done in the
packages. Imports are lazy so `sim --help` answers at once. Bad input gets a one-paragraph
message naming the file, the field and what is allowed, and exit code 2; an interrupted command
(Ctrl-C, SIGTERM) stops cleanly with exit code 130 and leaves no partial result behind; checks
that failed give 1, and a bug 3 with its traceback (docs/reliability.md).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path

EXIT_FAILED = 1  # ran, and checks (validate) or scenarios and blocks (batch) failed
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3  # a bug: the traceback is printed
EXIT_INTERRUPTED = 130
DEFAULT_OUT = Path("out")
EXPORT_FORMATS = ("parquet", "netcdf", "csv")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    from sim.scenario.vocab import MAX_SEED, SEED_RANGE_TEXT  # (no imports of its own)

    if not 0 <= value < MAX_SEED:
        raise argparse.ArgumentTypeError(f"must lie in {SEED_RANGE_TEXT}, got {value}")
    return value


def _lever(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    try:
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME=NUMBER, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sim",
        description="Regional influence simulator: Russia, China, the US, the Taliban government "
        "of Afghanistan and the Central Asian states, month by month, over many worlds.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run a scenario batch and write results and plots")
    run.add_argument("scenario", help="scenario YAML file, or the name of a shipped scenario")
    run.add_argument("--worlds", type=_positive, help="number of worlds (default: scenario's)")
    run.add_argument("--seed", type=_seed, help="root seed (default: scenario's)")
    run.add_argument("--months", type=_positive, help="horizon in months (default: scenario's)")
    run.add_argument(
        "--out",
        type=Path,
        help="output folder, which must not exist yet (default: out/<scenario name>"
        "[_LEVER=VALUE...]); its parent folder must exist",
    )
    run.add_argument(
        "--force",
        action="store_true",
        help="replace the output folder if it holds an earlier result of this program (never "
        "anything else)",
    )
    run.add_argument(
        "--set",
        type=_lever,
        action="append",
        default=[],
        metavar="LEVER=VALUE",
        help="set a declared lever, e.g. --set us_sanctions=0.8 (repeatable)",
    )
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    export = sub.add_parser(
        "export", help="write a result folder's series as Parquet, NetCDF or CSV for other tools"
    )
    export.add_argument("folder", type=Path, help="a result folder written by `sim run`")
    export.add_argument("--format", required=True, choices=EXPORT_FORMATS)
    export.add_argument(
        "--out",
        type=Path,
        help="folder to write, which must not exist (default: FOLDER/export-FORMAT)",
    )
    export.add_argument(
        "--series", action="append", metavar="NAME", help="only this series (repeatable)"
    )
    export.add_argument(
        "--force", action="store_true", help="replace an earlier export of this program"
    )

    batch = sub.add_parser(
        "batch",
        help="run scenario files and their sweeps as one batch, resumable, on all cores or Dask",
    )
    batch.add_argument("files", nargs="+", help="scenario YAML files (or shipped scenario names)")
    batch.add_argument(
        "--worlds", type=_positive, help="worlds per run (default: each sweep's or scenario's)"
    )
    batch.add_argument(
        "--workers", type=_positive, help="worker processes on this machine (default: all cores)"
    )
    batch.add_argument(
        "--scheduler", metavar="tcp://HOST:PORT", help="run on this Dask distributed cluster"
    )
    batch.add_argument(
        "--out", type=Path, default=DEFAULT_OUT / "batch", help="batch folder (default: out/batch)"
    )
    batch.add_argument(
        "--resume", action="store_true", help="finish the batch in --out: keep its blocks"
    )
    batch.add_argument(
        "--force", action="store_true", help="replace an earlier batch of this program in --out"
    )
    batch.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    comp = sub.add_parser(
        "compare", help="paired differences of influence between two result folders"
    )
    comp.add_argument("a", type=Path, help="result folder of the scenario")
    comp.add_argument("b", type=Path, help="result folder to compare against (e.g. baseline)")
    comp.add_argument("--state", help="state to print (default: the host)")
    comp.add_argument("--out", type=Path, help="folder for comparison.csv and plots")
    comp.add_argument("--force", action="store_true", help="replace an earlier comparison")

    explain = sub.add_parser(
        "explain", help="print every parameter with value, unit and source, levers, uncertainties"
    )
    explain.add_argument("scenario")
    explain.add_argument("--grep", help="only rows whose path or source contains this text")

    ui = sub.add_parser("ui", help="serve the browser app (works offline)")
    ui.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    ui.add_argument("--port", type=int, default=8765, help="port (default: %(default)s)")
    sub.add_parser("schema", help="print the JSON Schema of scenario files")

    check = sub.add_parser(
        "validate", help="check the baseline against calibration targets and stylised facts"
    )
    check.add_argument(
        "--targets", help="targets file (default: scenarios/calibration/targets.yaml)"
    )
    check.add_argument("--scenario", help="scenario to check (default: the targets file's)")
    check.add_argument("--worlds", type=_positive, help="worlds (default: the targets file's)")
    check.add_argument("--seed", type=_seed, help="root seed (default: the targets file's)")
    check.add_argument(
        "--out", type=Path, help="folder to write validation.csv and validation.png into (new)"
    )
    check.add_argument(
        "--force", action="store_true", help="replace an earlier validation of this program"
    )

    fit = sub.add_parser(
        "calibrate", help="fit the targets file's free trade parameters; write an overlay"
    )
    fit.add_argument("--targets", help="targets file (default: scenarios/calibration/targets.yaml)")
    fit.add_argument("--scenario", help="scenario to fit (default: the targets file's)")
    fit.add_argument(
        "--worlds",
        type=_positive,
        help="worlds per evaluation (default: the targets file's; fewer than 200 make a noisy fit)",
    )
    fit.add_argument("--seed", type=_seed, help="root seed (default: the targets file's)")
    fit.add_argument(
        "--out",
        type=Path,
        default=Path("out/calibrated.yaml"),
        help="overlay file to write (default: out/calibrated.yaml)",
    )
    return parser


def _terminate(signum, frame):
    from sim.errors import Interrupted

    raise Interrupted


def main(argv: list[str] | None = None) -> int:
    """Run one command; every way it can end has its exit code and one message: 0 done, 1 ran
    and checks or blocks failed, 2 bad input (usage, files, paths), 3 a bug (with its
    traceback), 130 interrupted."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        args = build_parser().parse_args(argv)
        _check_repeated_levers(args)
        _log_notes()
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (sim.errors.Interrupted)
        print(
            "\ninterrupted: stopped cleanly; no unfinished result was left behind",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # output piped into a reader that stopped early (`| head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except Exception as err:  # noqa: BLE001 (each kind gets its message and exit code)
        return _report(err)


def _report(err: Exception) -> int:
    """The message and exit code of an error that ended a command."""
    from sim.errors import ScenarioError

    if isinstance(err, ScenarioError):
        print(f"error: {err.describe()}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if isinstance(err, OSError):  # a path the system refused: permissions, a full disk, ...
        where = f"{err.filename}: " if err.filename else ""
        print(f"error: {where}{err.strerror or err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if isinstance(err, MemoryError):
        print("error: out of memory; run fewer worlds, or give --out to stream them to disk",
              file=sys.stderr)  # fmt: skip
        return EXIT_BAD_INPUT
    import traceback

    traceback.print_exception(err, file=sys.stderr)
    print(
        f"internal error: {type(err).__name__}: {err}\nthis is a bug in sim; please report it "
        "with the traceback above and the command that caused it",
        file=sys.stderr,
    )
    return EXIT_INTERNAL


def _check_repeated_levers(args) -> None:
    """`--set NAME=...` given twice for one name is refused, not silently the last."""
    from sim.errors import ScenarioError

    seen: dict[str, float] = {}
    for name, value in getattr(args, "set", []):
        if name in seen:
            raise ScenarioError(
                "--set", f"{name} is set twice ({seen[name]:g} and {value:g}); give it once"
            )
        seen[name] = value


def _log_notes() -> None:
    """Our notes (logger 'sim') on stderr as 'note: ...', not other libraries' logs."""
    notes = logging.StreamHandler(sys.stderr)
    notes.setFormatter(logging.Formatter("note: %(message)s"))
    log = logging.getLogger("sim")
    log.addHandler(notes)
    log.setLevel(logging.INFO)
    log.propagate = False


def _load(name: str, **levers: float):
    """A scenario loaded and checked whole, its outcomes too, every error naming its file."""
    from sim.errors import ScenarioError
    from sim.scenario.loading import load_scenario, resolve_path

    scenario = load_scenario(name, **levers)
    from sim.results.outcomes import check_outcomes  # (pandas, xarray: once the file is good)

    try:
        check_outcomes(scenario)
    except ScenarioError as err:
        raise err.in_file(str(resolve_path(name))) from None
    return scenario


def cmd_run(args) -> int:
    from sim.scenario.loading import resolve_path, with_horizon

    scenario = _load(args.scenario, **dict(args.set))
    if args.months is not None:
        scenario = with_horizon(scenario, args.months, f"{resolve_path(args.scenario)} (--months)")
    moved = "".join(f"_{name}={value:g}" for name, value in args.set)
    out = args.out
    if out is None:
        out = DEFAULT_OUT / f"{scenario.name}{moved}"
        DEFAULT_OUT.mkdir(exist_ok=True)

    from sim.batch.runner import run  # after the checks, so that bad input is answered at once

    try:
        res = run(
            scenario,
            worlds=args.worlds,
            seed=args.seed,
            progress=not args.no_progress,
            out=out,
            force=args.force,
        )
    except KeyboardInterrupt:
        print(
            f"\ninterrupted: nothing was written to {out}/ (a run is written whole or not at "
            f"all); to keep finished blocks and resume, run it as a batch:\n  sim batch "
            f"{args.scenario} --out DIR, and after a stop the same with --resume",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    print(format_summary(res))
    print(
        f"\n{res.worlds} worlds x {res.months} months in {res.timings['seconds']:.2f} s; "
        f"results in {out}/ (summary.csv, plots/, series.zarr, manifest.json)"
    )
    return 0


def cmd_export(args) -> int:
    from sim.results.export import export

    out = args.out or args.folder / f"export-{args.format}"
    written = export(args.folder, args.format, out, series=args.series, force=args.force)
    print(f"{len(written)} file(s) in {out}/: {', '.join(p.name for p in written)}")
    return 0


def cmd_batch(args) -> int:
    from sim.batch.batch import resume_hint, run_batch

    if args.out == DEFAULT_OUT / "batch":
        DEFAULT_OUT.mkdir(exist_ok=True)
    hint = resume_hint(args.files, args.out, args.worlds)
    try:
        report = run_batch(
            args.files,
            args.out,
            worlds=args.worlds,
            workers=args.workers,
            scheduler=args.scheduler,
            resume=args.resume,
            force=args.force,
            progress=not args.no_progress,
        )
    except KeyboardInterrupt:
        print(
            f"\ninterrupted: finished blocks are kept in {args.out}/; go on with\n  {hint}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except ConnectionError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(format_batch(report))
    for error in report.failed_files.values():
        print(f"error: {error}", file=sys.stderr)
    for block, error in report.failed_blocks.items():
        print(f"error: block {block} failed: {error}", file=sys.stderr)
    if not report.ok:
        print(f"the rest is in {args.out}/; after fixing, go on with\n  {hint}", file=sys.stderr)
        return EXIT_FAILED
    return 0


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


def cmd_compare(args) -> int:
    from contextlib import nullcontext

    from sim.analysis.compare import compare, write_comparison
    from sim.results.folder import claim_output

    # the output folder is checked and locked before the work, and written whole after it
    with claim_output(args.out, force=args.force) if args.out else nullcontext() as claim:
        comparison = compare(args.a, args.b)
        state = args.state or comparison.a.scenario.codes("host")[0]
        if state not in comparison.a.labels("state"):
            from sim.errors import ScenarioError

            states = ", ".join(comparison.a.labels("state"))
            raise ScenarioError("--state", f"unknown state {state!r}; allowed: {states}")
        print(comparison.describe(state))
        if claim is not None:
            written = write_comparison(comparison, claim)
            print(f"table and plots in {args.out}/ ({', '.join(p.name for p in written)})")
    return 0


def format_summary(res) -> str:
    """Final-month influence, median [5%, 95%], power by state, and the change since month 0."""
    table = res.summary()
    end = res.dates[-1].strftime("%Y-%m")
    lines = [
        f"Influence in {end} (median [5%, 95%] over {res.worlds} worlds; change since "
        f"{res.dates[0].strftime('%Y-%m')}):"
    ]
    states = list(dict.fromkeys(table["state"]))
    lines.append("power  " + "".join(f"{s:>22}" for s in states))
    for power, rows in table.groupby("power", sort=False):
        by_state = {r.state: r for r in rows.itertuples()}
        cells = [
            f"{r.median:.3f} [{r.q05:.2f},{r.q95:.2f}]" if (r := by_state.get(s)) else "-"
            for s in states
        ]
        lines.append(f"{power:<7}" + "".join(f"{c:>22}" for c in cells))
        changes = [f"{r.change:+.3f}" if (r := by_state.get(s)) else "" for s in states]
        lines.append(f"{'  chg':<7}" + "".join(f"{c:>22}" for c in changes))
    return "\n".join(lines)


def cmd_explain(args) -> int:
    from sim.scenario.explain import format_factors, format_rows, parameter_rows

    scenario = _load(args.scenario)
    rows = parameter_rows(scenario)
    if args.grep:
        rows = [r for r in rows if args.grep.lower() in (r["path"] + r["source"]).lower()]
    print(format_rows(rows) if rows else "no parameter matches")
    if not args.grep:
        print(format_factors(scenario))
    return 0


def cmd_schema(args) -> int:
    import json

    from sim.scenario.schema import Scenario

    print(json.dumps(Scenario.model_json_schema(), indent=2))
    return 0


def cmd_validate(args) -> int:
    from contextlib import nullcontext

    from sim.calibration.validate import format_table, load_targets, validate, write_validation
    from sim.results.folder import claim_output

    targets = load_targets(args.targets)
    scenario = _load(args.scenario or targets.scenario)
    # the output folder is checked and locked before the work, and written whole after it
    with claim_output(args.out, force=args.force) if args.out else nullcontext() as claim:
        logging.getLogger("sim").info(
            "checking %s against %d targets and %d facts, %d worlds each",
            scenario.name, len(targets.targets), len(targets.facts), args.worlds or targets.worlds,
        )  # fmt: skip
        table = validate(targets, scenario, worlds=args.worlds, seed=args.seed)
        print(format_table(table))
        if claim is not None:
            folder = write_validation(table, claim)
            print(f"table and plot in {folder}/ (validation.csv, validation.png)")
    return 0 if table["passed"].all() else EXIT_FAILED


def cmd_calibrate(args) -> int:
    from sim.calibration.calibrate import calibrate, check_overlay_path, save_calibration
    from sim.calibration.validate import TARGETS_FILE, load_targets
    from sim.scenario.loading import resolve_path

    targets = load_targets(args.targets)
    name = args.scenario or targets.scenario
    scenario = _load(name)
    check_overlay_path(args.out)
    logging.getLogger("sim").info(
        "fitting %d parameters of %s to %d targets, %d worlds per run",
        len(targets.calibrate), scenario.name, len(targets.targets), args.worlds or targets.worlds,
    )  # fmt: skip
    fit = calibrate(scenario, targets, worlds=args.worlds, seed=args.seed)
    print(f"{'parameter':<36}{'start':>10}{'fitted':>10}")
    for path, a, b in zip(fit.paths, fit.start, fit.fitted, strict=True):
        print(f"{path:<36}{a:>10.4f}{b:>10.4f}")
    print(f"\n{'target (median - value) / tolerance':<36}{'start':>10}{'fitted':>10}")
    for target, a, b in zip(
        fit.target_names, fit.residuals_start, fit.residuals_fitted, strict=True
    ):
        print(f"{target:<36}{a:>10.3f}{b:>10.3f}")
    targets_file = Path(args.targets or TARGETS_FILE)
    worlds = args.worlds or targets.worlds
    save_calibration(fit, scenario, resolve_path(name), targets_file, worlds, args.out)
    print(f"\noverlay written to {args.out}")
    return 0


def cmd_ui(args) -> int:
    """Serve the browser app until Ctrl-C: this process becomes `python -m viz` (viz is the
    layer above the command line; it is started as a program, never imported here)."""
    argv = [sys.executable, "-m", "viz", "--host", args.host, "--port", str(args.port)]
    os.execv(sys.executable, argv)
    return 0  # not reached


COMMANDS = {
    "batch": cmd_batch,
    "calibrate": cmd_calibrate,
    "compare": cmd_compare,
    "export": cmd_export,
    "run": cmd_run,
    "explain": cmd_explain,
    "schema": cmd_schema,
    "ui": cmd_ui,
    "validate": cmd_validate,
}

if __name__ == "__main__":
    sys.exit(main())
