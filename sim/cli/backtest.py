"""`sim backtest`: the hindcast from 2023 scored against the record of 2024."""

from __future__ import annotations

import logging

from sim.cli import options
from sim.cli.loading import load_checked
from sim.cli.outputs import claim_if_given

HELP = (
    "score the hindcast from January 2023 against the record of 2024: band, direction and "
    "CRPS per series"
)


def add(subparsers) -> None:
    parser = subparsers.add_parser(
        "backtest",
        help=HELP,
        description=HELP + " (scenarios/calibration/hindcast_2023.yaml and record_2024.yaml; "
        "records the calibration has seen are scored but not counted)",
        parents=[
            options.worlds("the record file's, 500"),
            options.seed("the record file's"),
            options.out("folder to write backtest.csv into (new)"),
            options.force(),
        ],
    )
    parser.set_defaults(handler=handle)


def handle(args) -> int:
    from sim.calibration.backtest import backtest, format_table, write_backtest
    from sim.calibration.record import RECORD_FILE, load_record, scenario_path
    from sim.calibration.validate import TARGETS_FILE, load_targets
    from sim.scenario.loading import input_files

    record, targets = load_record(), load_targets()
    path = scenario_path(record)
    inputs = [RECORD_FILE, TARGETS_FILE, *input_files(path)]
    # the output folder is checked (never one of the inputs) and locked before the run, and
    # written whole after it
    with claim_if_given(args.out, args.force, "backtest", inputs) as claim:
        scenario = load_checked(str(path))
        logging.getLogger("sim").info(
            "hindcast %s from %s, %d worlds, assumptions drawn per world",
            scenario.name, scenario.start, args.worlds or record.worlds,
        )  # fmt: skip
        table = backtest(record, scenario, targets, worlds=args.worlds, seed=args.seed)
        print(format_table(table))
        if claim is not None:
            folder = write_backtest(table, claim)
            print(f"table in {folder}/backtest.csv")
    return 0
