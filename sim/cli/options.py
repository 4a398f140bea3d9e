"""The options several commands take, each declared once as a parent parser (`parents=[...]`),
and the types that check a value as it is parsed: a bad value is refused by argparse with the
option's name, exit code 2. A parent is made per command, so that each command's help can say
what the option's default is for it."""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_OUT = Path("out")


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def seed_value(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    from sim.scenario.vocab import MAX_SEED, SEED_RANGE_TEXT  # (no imports of its own)

    if not 0 <= value < MAX_SEED:
        raise argparse.ArgumentTypeError(f"must lie in {SEED_RANGE_TEXT}, got {value}")
    return value


def number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def share(text: str) -> float:
    """A share of worlds: a number strictly between 0 and 1."""
    value = number(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"a share of worlds lies between 0 and 1, got {value}")
    return value


def lever(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    try:
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME=NUMBER, got {text!r}") from None


def _parent() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(add_help=False)


def worlds(default: str, what: str = "number of worlds") -> argparse.ArgumentParser:
    """--worlds: a whole number, at least 1; without it, `default`."""
    parent = _parent()
    parent.add_argument("--worlds", type=positive, help=f"{what} (default: {default})")
    return parent


def seed(default: str, what: str = "root seed") -> argparse.ArgumentParser:
    """--seed: the root seed of the random draws, in [0, 2**63); without it, `default`."""
    parent = _parent()
    parent.add_argument("--seed", type=seed_value, help=f"{what} (default: {default})")
    return parent


def assumptions() -> argparse.ArgumentParser:
    """--assumptions drawn|fixed: each world draws the scenario's uncertainties, or takes them
    as written."""
    from sim.scenario.vocab import ASSUMPTION_MODES, DEFAULT_ASSUMPTIONS  # (no imports)

    parent = _parent()
    parent.add_argument(
        "--assumptions",
        choices=ASSUMPTION_MODES,
        default=DEFAULT_ASSUMPTIONS,
        help="drawn: each world draws every declared uncertainty from its range, so bands and "
        "effects carry what we do not know; fixed: every one at its written value (the dice "
        f"alone); default: {DEFAULT_ASSUMPTIONS}",
    )
    return parent


def out(what: str, default: Path | None = None) -> argparse.ArgumentParser:
    """--out: where the command writes, `what` saying which folder or file and its default."""
    parent = _parent()
    parent.add_argument("--out", type=Path, default=default, help=what)
    return parent


def force() -> argparse.ArgumentParser:
    """--force: replace an earlier output of this program at --out, never anything else."""
    parent = _parent()
    parent.add_argument(
        "--force",
        action="store_true",
        help="replace the output in --out if an earlier command of this program wrote it "
        "(never anything else)",
    )
    return parent


def progress() -> argparse.ArgumentParser:
    """--no-progress: no progress bar on stderr."""
    parent = _parent()
    parent.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parent


def targets(what: str) -> argparse.ArgumentParser:
    """--targets and --scenario: the calibration targets file, and the scenario `what` (checked,
    fitted) against it."""
    parent = _parent()
    parent.add_argument(
        "--targets", help="targets file (default: scenarios/calibration/targets.yaml)"
    )
    parent.add_argument("--scenario", help=f"scenario to {what} (default: the targets file's)")
    return parent
