"""Regenerate the scenario library section of docs/scenarios.md and its plots (`make library`).

Runs every shipped scenario as one batch (the baseline included, same seed and worlds, so
every comparison is paired), then writes for each scenario its question, what it changes, the
paired difference of influence over the host at the last month against the baseline, and a
plot of that difference over time; then the outcomes the scenario declares to answer its
question (beyond the baseline's), paired with the baseline, in a table and a plot; for a
sweep, the difference at each point against the swept values, and the outcomes at each point.
Nothing in the section is written by hand. Each plot and the section are recorded in
docs/generated.json with the scenarios and code they were made from (docs/provenance.py); when
none of those changed since, nothing is run (`--force` runs anyway).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import provenance
from provenance import save_png

ROOT = provenance.ROOT
DOC = ROOT / "docs" / "scenarios.md"
IMAGES = ROOT / "docs" / "img" / "library"
NAME = "library"
BEGIN, END = provenance.markers(NAME)
COMMAND = "make library"
CODE = ("code:docs/make_library.py", "code:sim/analysis", "code:sim/batch", "code:sim/results")
WORLDS = 300
GUIDE = ROOT / "docs" / "guide.md"
ANSWERS = "answers"  # the guide's section of the library's answers
# the library's questions the analyst's guide answers, in its order
GUIDE_QUESTIONS = (
    "termez_closure",
    "china_bri_push",
    "russia_recognition_surge",
    "us_reengagement",
    "tajikistan_attack_border_crisis",
)


def sweep_figure(found, points, host: str):
    """The paired final-month difference over the host at each sweep point, against each
    swept value."""
    from matplotlib.figure import Figure

    from sim.results.plots import power_color

    names = list(points[0].values)
    fig = Figure(figsize=(3.2 * len(names), 3.2), layout="constrained")
    axes = fig.subplots(1, len(names), squeeze=False)[0]
    for ax, name in zip(axes, names, strict=True):
        x = [run.values[name] for run in points]
        for i, holder in enumerate(found[0].final(host).holder):
            y = [c.final(host).set_index("holder").difference[holder] for c in found]
            ax.scatter(x, y, s=14, color=power_color(holder, i), label=holder)
        ax.axhline(0.0, color="0.3", lw=0.8)
        ax.set_xlabel(name)
    axes[0].set_ylabel(f"difference of influence over {host}")
    axes[0].legend(frameon=False, fontsize=8)
    return fig


def own_outcomes(scenario, baseline) -> list:
    """The outcomes a scenario declares beyond (or instead of) the baseline's."""
    return [o for o in scenario.outcomes if o not in baseline.outcomes]


def outcome_table(comparison, outcomes) -> list[str]:
    """Markdown rows of the outcomes paired with the baseline, each number to the decimals
    its spread across worlds earns."""
    from sim.analysis.effects import earned_decimals, effect_decimals, rounded

    name = comparison.a.scenario.name
    lines = [
        f"| outcome | unit | {name} | baseline | difference (median) | across worlds (5-95%) "
        "| worlds higher |",
        "|---|---|---:|---:|---:|---|---:|",
    ]
    for row in comparison.outcomes(outcomes).itertuples():
        d = effect_decimals(row)
        m = min(d, earned_decimals(0.0, max(abs(row.mean_a), abs(row.mean_b))))  # <= 3 digits
        lines.append(
            f"| {row.label} | {row.unit} | {rounded(row.mean_a, m)} | {rounded(row.mean_b, m)} "
            f"| {rounded(row.diff_median, d, sign=True)} | {rounded(row.diff_q05, d, sign=True)}"
            f" to {rounded(row.diff_q95, d, sign=True)} | {row.share_positive:.0%} |"
        )
    return lines


def sweep_outcome_table(found, points, outcomes) -> list[str]:
    """Markdown rows, one per sweep point: the swept values and each outcome's median paired
    difference with its 5% to 95% across worlds."""
    from sim.analysis.effects import effect_decimals, rounded

    names = list(points[0].values)
    tables = [c.outcomes(outcomes) for c in found]
    lines = [
        "| " + " | ".join([*names, *(o.name for o in outcomes)]) + " |",
        "|" + "---:|" * len(names) + "---|" * len(outcomes),
    ]
    for run, table in zip(points, tables, strict=True):
        cells = [f"{run.values[n]:.3g}" for n in names]
        for row in table.itertuples():
            d = effect_decimals(row)
            cells.append(
                f"{rounded(row.diff_median, d, sign=True)} ({rounded(row.diff_q05, d, sign=True)} "
                f"to {rounded(row.diff_q95, d, sign=True)})"
            )
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def section(folder: Path, runs) -> tuple[str, dict[Path, str]]:
    """The section's text, and each plot written with the scenario file it shows."""
    import pandas as pd

    import sim
    from sim.analysis.effects import signed

    base = next(r for r in runs if r.scenario.name == "baseline")
    baseline = sim.load_results(folder / base.key, verify_data=False)
    host = baseline.scenario.codes("host")[0]
    IMAGES.mkdir(parents=True, exist_ok=True)
    by_file: dict[str, list] = {}
    for run in runs:
        by_file.setdefault(run.file, []).append(run)
    images: dict[Path, str] = {}
    lines = [
        "<!-- written by `make library` (docs/make_library.py); do not edit by hand -->",
        "",
        f"Every scenario below ran with {base.worlds} worlds and seed {base.seed}, so each is "
        "paired world by world with the baseline (common random numbers). The first table gives "
        f"the mean paired difference of influence over {host} in the last month, against the "
        "baseline, with its 95% interval, its 5% to 95% across worlds and the share of worlds "
        "where it is positive, for each power and each neighbour holding influence over it. "
        "The second gives the outcomes the scenario declares to answer its question (most are "
        "means over the months of its events, named in each label): the scenario's and the "
        "baseline's mean over worlds, the median paired difference, its 5% to 95% across "
        "worlds and the share of worlds where it is higher. Each row has the decimals its "
        "spread earns: two significant digits of the difference's 5-95% width (three of the "
        "value where every world agrees), the means no more than three significant digits. "
        "The outcomes' plot shows the paired difference of each outcome's series month by "
        "month, the months it averages shaded.",
    ]
    for file, points in by_file.items():
        scenario = points[0].scenario
        name = scenario.name
        lines += ["", f"### {name}", "", f"`scenarios/{Path(file).name}`"]
        if scenario.question:
            lines += ["", f"**Question.** {scenario.question}"]
        if scenario.description:
            lines += ["", " ".join(scenario.description.split())]
        if name == "baseline":
            continue
        found = [
            sim.compare(sim.load_results(folder / r.key, verify_data=False), baseline)
            for r in points
        ]
        outcomes = own_outcomes(scenario, baseline.scenario)
        image = IMAGES / f"{name}.png"
        extra: list[str] = []
        if len(points) == 1:
            last = found[0].final(host)
            lines += [
                "",
                f"| holder | {name} | baseline | difference | 95% interval | across worlds "
                "(5-95%) | worlds higher |",
                "|---|---:|---:|---:|---|---|---:|",
            ]
            for row in last.itertuples():
                lines.append(
                    f"| {row.holder} | {row.mean_a:.3f} | {row.mean_b:.3f} | "
                    f"{signed(row.difference)} | [{signed(row.ci_low)}, {signed(row.ci_high)}] | "
                    f"{signed(row.diff_q05)} to {signed(row.diff_q95)} | {row.share_positive:.0%} |"
                )
            table = found[0].table
            peak = table.loc[table.difference.abs().idxmax()]
            lines += [
                "",
                f"Largest mean effect over the whole horizon: {peak.holder} over {peak.state}, "
                f"{signed(peak.difference)} [{signed(peak.ci_low)}, {signed(peak.ci_high)}] in "
                f"{pd.Timestamp(peak.date):%Y-%m}.",
            ]
            images[save_png(found[0].plot(host), image, dpi=90)] = file
            if peak.state != host:
                other = IMAGES / f"{name}_{peak.state}.png"
                images[save_png(found[0].plot(peak.state), other, dpi=90)] = file
                extra = ["", f"![{name}, {peak.state}](img/library/{name}_{peak.state}.png)"]
            if outcomes:
                plot = found[0].plot_outcomes(outcomes)
                images[save_png(plot, IMAGES / f"{name}_outcomes.png", dpi=90)] = file
                extra += ["", *outcome_table(found[0], outcomes)]
                extra += ["", f"![{name}, outcomes](img/library/{name}_outcomes.png)"]
        else:
            lines += [
                "",
                f"A sweep of {len(points)} points; the plot shows each point's paired "
                f"difference over {host} in the last month against the swept values.",
            ]
            images[save_png(sweep_figure(found, points, host), image, dpi=90)] = file
            if outcomes:
                extra = [
                    "",
                    "Its outcomes at each point, paired with the baseline: the median difference "
                    "(5% to 95% across worlds).",
                    "",
                    *sweep_outcome_table(found, points, outcomes),
                ]
        lines += ["", f"![{name}](img/library/{name}.png)", *extra]
    return "\n".join(lines), images


def start_levels(baseline, host: str) -> str:
    """A sentence on the baseline's influence over the host in its first month."""
    import pandas as pd

    from sim.analysis.effects import earned_decimals, rounded

    first = {h: baseline.influence_of(h, host).isel(month=0) for h in baseline.holders_over(host)}
    level = {h: float(v.mean()) for h, v in first.items()}
    total = sum(first.values())
    d = earned_decimals(float(total.quantile(0.95) - total.quantile(0.05)), float(total.mean()))
    ranked = sorted(level, key=level.get, reverse=True)
    named = ", ".join(f"{h} {rounded(level[h], 3)}" for h in ranked[:4])
    return (
        f"At the start ({pd.Timestamp(baseline.scenario.start_date):%Y-%m}) the baseline's "
        f"holders over {host} are led by "
        f"{named}; all {len(level)} together hold {rounded(float(total.mean()), d)} (means over "
        f"{baseline.worlds} worlds)."
    )


def answers(folder: Path, runs) -> str:
    """The analyst's guide's block: the start levels, then each of GUIDE_QUESTIONS with its
    first declared outcome and its largest effect on influence, paired with the baseline."""
    import pandas as pd

    import sim
    from sim.analysis.effects import effect_decimals, rounded, signed

    base = next(r for r in runs if r.scenario.name == "baseline")
    baseline = sim.load_results(folder / base.key, verify_data=False)
    host = baseline.scenario.codes("host")[0]
    lines = ["<!-- written by `make library` (docs/make_library.py) -->", ""]
    lines += [start_levels(baseline, host), ""]
    for name in GUIDE_QUESTIONS:
        run = next(r for r in runs if r.scenario.name == name)
        c = sim.compare(sim.load_results(folder / run.key, verify_data=False), baseline)
        lines.append(f"* **{' '.join(run.scenario.question.split())}** (`{name}`)")
        outcomes = own_outcomes(run.scenario, baseline.scenario)
        if outcomes:
            row = next(c.outcomes(outcomes[:1]).itertuples())
            d = effect_decimals(row)
            lines.append(
                f"  {row.label}: {rounded(row.diff_median, d, sign=True)} against the baseline "
                f"(median; {rounded(row.diff_q05, d, sign=True)} to "
                f"{rounded(row.diff_q95, d, sign=True)} across worlds, higher in "
                f"{row.share_positive:.0%} of them)."
            )
        peak = c.table.loc[c.table.difference.abs().idxmax()]
        lines.append(
            f"  Its largest effect on influence: {peak.holder} over {peak.state}, "
            f"{signed(peak.difference)} [{signed(peak.ci_low)}, {signed(peak.ci_high)}] in "
            f"{pd.Timestamp(peak.date):%Y-%m}."
        )
    lines += [
        "",
        f"{base.worlds} worlds, seed {base.seed}, assumptions {base.assumptions}.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--worlds", type=int, default=WORLDS,
        help=f"worlds per run ({WORLDS}; another number makes a draft, which the docs' "
        "staleness test refuses)",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "library", help="batch folder")
    parser.add_argument("--force", action="store_true", help="run even if nothing changed")
    args = parser.parse_args(argv)
    key = f"{DOC.relative_to(ROOT).as_posix()}#{NAME}"
    answered = f"{GUIDE.relative_to(ROOT).as_posix()}#{ANSWERS}"
    everything = provenance.inputs(*provenance.library(), *CODE)
    if not args.force and provenance.up_to_date(COMMAND, {key: everything, answered: everything}):
        print(f"{key} and its plots are up to date (nothing they are made from changed)")
        return 0
    from sim.batch.batch import run_batch

    files = sorted(ROOT.glob("scenarios/*.yaml"), key=lambda p: (p.stem != "baseline", p.stem))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = run_batch(files, args.out, worlds=args.worlds, force=True, progress=True)
    if not report.ok:
        print(report.failed_files, report.failed_blocks, file=sys.stderr)
        return 1
    text, images = section(report.folder, report.runs)
    provenance.replace_section(DOC, NAME, text)
    provenance.replace_section(GUIDE, ANSWERS, answers(report.folder, report.runs))
    baseline = provenance.scenario_input(ROOT / "scenarios" / "baseline.yaml")
    made = {key: everything, answered: everything}
    for image, file in images.items():
        used = (baseline, provenance.scenario_input(file), *CODE)
        made[image.relative_to(ROOT).as_posix()] = provenance.inputs(*used)
    provenance.Registry().record(COMMAND, made, draft=args.worlds != WORLDS)
    print(f"{key}: library section and {len(report.runs)} runs' plots written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
