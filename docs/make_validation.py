"""Regenerate the tables of docs/validation.md and its plot (`make validation`).

Three sections, each between its markers, and docs/img/validation.png:

  validation  `sim validate` on the shipped baseline (the targets file's worlds and seed), with
              the assumptions fixed and drawn per world, and its plot;
  backtest    `sim backtest`: the hindcast from 2023 scored against the record of 2024;
  external    the model's start levels beside the external ranking in docs/data, with their
              rank correlations.

Each is recorded in docs/generated.json with what it was made from (docs/provenance.py) and is
not computed again while none of that changed (`--force` computes it anyway). Name sections to
make only those.
"""

from __future__ import annotations

import argparse
import sys

import provenance

ROOT = provenance.ROOT
DOC = ROOT / "docs" / "validation.md"
IMAGE = ROOT / "docs" / "img" / "validation.png"
EXTERNAL = ROOT / "docs" / "data" / "external_influence.csv"
COMMAND = "make validation"
CODE = (
    "code:docs/make_validation.py",
    "code:sim/calibration",
    "code:sim/batch",
    "code:sim/results",
)
BASELINE = "scenario:scenarios/baseline.yaml"
TARGETS = "file:scenarios/calibration/targets.yaml"
RECORD = "file:scenarios/calibration/record_2024.yaml"
HINDCAST = "scenario:scenarios/calibration/hindcast_2023.yaml"
USES = {  # what each section is made from, beside the model and CODE
    "validation": (BASELINE, TARGETS),
    "backtest": (HINDCAST, RECORD, TARGETS),
    "external": (BASELINE, f"file:{EXTERNAL.relative_to(ROOT).as_posix()}"),
}


def key(name: str) -> str:
    return f"{DOC.relative_to(ROOT).as_posix()}#{name}"


def fenced(text: str) -> str:
    return "```\n" + text.strip("\n") + "\n```"


def validation(worlds: int | None) -> tuple[str, dict[str, str]]:
    """The validation table as `sim validate` prints it, and the plot beside it."""
    from sim.calibration.validate import format_table, load_targets, plot_validation, validate_both

    targets = load_targets()
    table = validate_both(targets, worlds=worlds)
    provenance.save_png(plot_validation(table), IMAGE, dpi=110)
    text = (
        f"{worlds or targets.worlds} worlds, seed {targets.seed}, `sim validate` on the shipped "
        "baseline, with the assumptions fixed at their written values and drawn per world:\n\n"
        f"{fenced(format_table(table))}\n\n"
        f"![simulated against target values]({IMAGE.relative_to(DOC.parent).as_posix()})"
    )
    return text, {IMAGE.relative_to(ROOT).as_posix(): "validation"}


def backtest(worlds: int | None) -> tuple[str, dict[str, str]]:
    """The backtest table as `sim backtest` prints it."""
    from sim.calibration.backtest import backtest as score
    from sim.calibration.backtest import format_table
    from sim.calibration.record import load_record, scenario_path
    from sim.calibration.validate import load_targets
    from sim.scenario.loading import load_scenario

    record = load_record()
    table = score(record, load_scenario(scenario_path(record)), load_targets(), worlds=worlds)
    text = (
        f"The table as last run ({table.attrs['worlds']} worlds, seed {table.attrs['seed']}):"
        f"\n\n{fenced(format_table(table))}"
    )
    return text, {}


def external(worlds: int | None) -> tuple[str, dict[str, str]]:
    """The China Index ranks beside the model's start levels, and their rank correlations,
    over all pairs and without the pair the index ranks last."""
    import pandas as pd

    from sim.calibration.external import rank_agreement, start_levels
    from sim.scenario.loading import load_scenario

    scenario = load_scenario("baseline")
    levels = start_levels(scenario)
    ranks = pd.read_csv(EXTERNAL)
    lines = []
    for measure, part in ranks.groupby("measure", sort=False):
        part = part.sort_values("rank")
        holder = part.holder.iloc[0]
        model = levels.reindex(list(zip(part.holder, part.state, strict=True))).to_numpy()
        order = (-model).argsort().argsort() + 1
        lines += [
            f"| state | {measure} rank ({part.year.iloc[0]}) | model, {holder} at the start "
            f"({scenario.start}) "
            "| model rank |",
            "|---|---:|---:|---:|",
        ]
        for row, level, rank in zip(part.itertuples(), model, order, strict=True):
            lines.append(f"| {row.state} | {row.rank} | {level:.3f} | {rank} |")
        every = rank_agreement(levels, part).iloc[0]
        last = part.state.iloc[-1]
        rest = rank_agreement(levels, part[part.state != last]).iloc[0]
        lines += [
            "",
            f"Over the {every.pairs:.0f} pairs, Spearman's rho is {every.spearman:.2f} "
            f"(p = {every.spearman_p:.2f}) and Kendall's tau {every.kendall:.2f} "
            f"(p = {every.kendall_p:.2f}); without {last}, which the index ranks last, "
            f"rho is {rest.spearman:.2f} (p = {rest.spearman_p:.2f}) and tau "
            f"{rest.kendall:.2f} (p = {rest.kendall_p:.2f}) over {rest.pairs:.0f} pairs.",
        ]
    return "\n".join(lines), {}


MAKERS = {"validation": validation, "backtest": backtest, "external": external}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"sections to make: {', '.join(MAKERS)} (all)")
    parser.add_argument(
        "--worlds", type=int,
        help="worlds (default: the targets or record file's; another number makes a draft)",
    )  # fmt: skip
    parser.add_argument("--force", action="store_true", help="run even if nothing changed")
    args = parser.parse_args(argv)
    if unknown := set(args.names) - set(MAKERS):
        parser.error(f"unknown sections {sorted(unknown)}; known: {', '.join(MAKERS)}")
    registry = provenance.Registry()
    for name in args.names or MAKERS:
        used = provenance.inputs(*USES[name], *CODE)
        if not args.force and provenance.fresh(key(name), used):
            print(f"{key(name)} is up to date (nothing it is made from changed)")
            continue
        text, images = MAKERS[name](args.worlds)
        provenance.replace_section(DOC, name, text)
        made = {key(name): used} | {image: used for image in images}
        registry.record(COMMAND, made, draft=args.worlds is not None, replace=False)
        print(f"{key(name)} written" + "".join(f", {image}" for image in images))
    return 0


if __name__ == "__main__":
    sys.exit(main())
