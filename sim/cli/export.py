"""`sim export`: a result folder's series as Parquet, NetCDF or CSV, for other tools."""

from __future__ import annotations

from pathlib import Path

from sim.cli import options

HELP = "write a result folder's series as Parquet, NetCDF or CSV for other tools"
FORMATS = ("parquet", "netcdf", "csv")


def add(subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help=HELP,
        description=HELP,
        parents=[
            options.out(
                "folder to write, new or an earlier export (default: FOLDER/export-FORMAT); "
                "never FOLDER itself, nor elsewhere inside it"
            ),
            options.force(),
        ],
    )
    parser.add_argument("folder", type=Path, help="a result folder written by `sim run`")
    parser.add_argument("--format", required=True, choices=FORMATS)
    parser.add_argument(
        "--series", action="append", metavar="NAME", help="only this series (repeatable)"
    )
    parser.set_defaults(handler=handle)


def handle(args) -> int:
    from sim.results.export import export

    out = args.out or args.folder / f"export-{args.format}"
    written = export(args.folder, args.format, out, series=args.series, force=args.force)
    print(f"{len(written)} file(s) in {out}/: {', '.join(p.name for p in written)}")
    return 0
