"""`sim report`: a brief of one run, or of a run against another paired world by world, as one
self-contained HTML page (sim.analysis.report)."""

from __future__ import annotations

from pathlib import Path

from sim.cli import options

HELP = "write a brief of a run, or of a run against another, as one self-contained HTML page"


def add(subparsers) -> None:
    parser = subparsers.add_parser(
        "report",
        help=HELP,
        description=f"{HELP}: the question, the headline effects with their spread across "
        "worlds, charts, outcomes, why, assumptions, events, caveats and how to reproduce it; "
        "it prints to PDF from the browser",
        parents=[
            options.out(
                "the HTML file to write (default: RESULT/report.html); an earlier brief is "
                "replaced only with --force, any other file never"
            ),
            options.force(),
        ],
    )
    parser.add_argument("result", type=Path, help="result folder written by `sim run` or a batch")
    parser.add_argument(
        "--against",
        type=Path,
        metavar="BASE",
        help="result folder of a run of the same worlds (e.g. the baseline): the brief is of "
        "the paired change",
    )
    parser.set_defaults(handler=handle)


def handle(args) -> int:
    from sim.analysis.compare import Comparison
    from sim.analysis.report import report_html
    from sim.errors import ResultError
    from sim.results.folder import REPORT, claim_report
    from sim.results.store import open_run

    folders = [args.result, *([args.against] if args.against else [])]
    for folder in folders:
        check_run_folder(folder)
    out = args.out or args.result / REPORT
    # the output is checked before the work, and written whole after it
    with claim_report(out, args.force, folders) as work:
        subject = res = open_run(args.result)
        if args.against is not None:
            try:
                subject = Comparison(res, open_run(args.against))
            except ResultError as err:
                raise ResultError(
                    args.against,
                    f"is not paired with {args.result} (comparing {args.result} with it: "
                    f"{err.message})",
                ) from None
        work.write_text(report_html(subject), encoding="utf-8")
    print(f"brief in {out}")
    return 0


def check_run_folder(folder: Path) -> None:
    """A run's result folder, its manifest readable (a batch folder is named as such, with
    where its runs are)."""
    from sim.errors import ResultError
    from sim.results.folder import kind_of
    from sim.results.store import read_manifest

    if kind_of(folder) == "batch":
        raise ResultError(
            folder, f"is a batch folder; give one of its runs, e.g. {folder}/runs/NAME/p000"
        )
    read_manifest(folder)
