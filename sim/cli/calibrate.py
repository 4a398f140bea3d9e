"""`sim calibrate`: fit the targets file's free parameters; write them as an overlay."""

from __future__ import annotations

import logging
from pathlib import Path

from sim.cli import options
from sim.cli.loading import load_checked

HELP = "fit the targets file's free trade parameters; write them as an overlay scenario file"


def add(subparsers) -> None:
    parser = subparsers.add_parser(
        "calibrate",
        help=HELP,
        description=HELP,
        parents=[
            options.targets("fit"),
            options.worlds(
                "the targets file's; fewer than 200 make a noisy fit",
                what="worlds per evaluation",
            ),
            options.seed("the targets file's"),
            options.out(
                "overlay file to write (default: out/calibrated.yaml)",
                default=Path("out/calibrated.yaml"),
            ),
        ],
    )
    parser.set_defaults(handler=handle)


def handle(args) -> int:
    from sim.calibration.calibrate import calibrate, check_overlay_path, save_calibration
    from sim.calibration.validate import TARGETS_FILE, load_targets
    from sim.scenario.loading import input_files, resolve_path

    targets = load_targets(args.targets)
    name = args.scenario or targets.scenario
    targets_file = Path(args.targets or TARGETS_FILE)
    check_overlay_path(args.out, inputs=[targets_file, *input_files(name)])
    scenario = load_checked(name)
    worlds = args.worlds or targets.worlds
    logging.getLogger("sim").info(
        "fitting %d parameters of %s to %d targets, %d worlds per run, every assumption "
        "fixed at its written value (the fit sets written values)",
        len(targets.calibrate), scenario.name, len(targets.targets), worlds,
    )  # fmt: skip
    fit = calibrate(scenario, targets, worlds=args.worlds, seed=args.seed)
    print(format_fit(fit))
    save_calibration(fit, scenario, resolve_path(name), targets_file, worlds, args.out)
    print(f"\noverlay written to {args.out}")
    return 0


def format_fit(fit) -> str:
    """The fitted parameters from where they started, and each target's residual before and
    after, in tolerances."""
    lines = [f"{'parameter':<36}{'start':>10}{'fitted':>10}"]
    for path, a, b in zip(fit.paths, fit.start, fit.fitted, strict=True):
        lines.append(f"{path:<36}{a:>10.4f}{b:>10.4f}")
    lines.append(f"\n{'target (median - value) / tolerance':<36}{'start':>10}{'fitted':>10}")
    residuals = zip(fit.target_names, fit.residuals_start, fit.residuals_fitted, strict=True)
    for target, a, b in residuals:
        lines.append(f"{target:<36}{a:>10.3f}{b:>10.3f}")
    return "\n".join(lines)
