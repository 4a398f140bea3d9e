"""Regenerate the figures and results quoted in the README and the docs' prose (`make figures`).

  influence   docs/img/influence_AFG.png, the README's plot: the baseline as `make demo` runs
              it (the scenario's worlds and seed), drawn as its result folder draws it;
  start       the README's start levels (`sim.calibration.external.start_levels`);
  compare     docs/analysis.md's examples of `sim compare` and `sim compare --why`, from the
              commands they name;
  worked      docs/model.md's worked example of the start levels (section 3.3.11), from the
              dependence shares of the start state;
  band        docs/assumptions.md's band of Russia's influence over Afghanistan, with the
              assumptions fixed and drawn.

Each is recorded in docs/generated.json with what it was made from (docs/provenance.py) and is
not made again while none of that changed (`--force` makes it anyway). Name parts to make only
those.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import provenance

ROOT = provenance.ROOT
README = ROOT / "README.md"
ANALYSIS = ROOT / "docs" / "analysis.md"
ASSUMPTIONS = ROOT / "docs" / "assumptions.md"
MODEL_MD = ROOT / "docs" / "model.md"
IMAGE = ROOT / "docs" / "img" / "influence_AFG.png"
COMMAND = "make figures"
BASELINE = "scenario:scenarios/baseline.yaml"
ME = "code:docs/make_figures.py"


def key(path: Path, name: str | None = None) -> str:
    return path.relative_to(ROOT).as_posix() + (f"#{name}" if name else "")


def influence() -> None:
    """The README's plot of influence over the host."""
    from sim.batch.runner import run
    from sim.results.plots import plot_influence
    from sim.scenario.loading import load_scenario

    scenario = load_scenario("baseline")
    res = run(scenario, worlds=scenario.worlds, seed=scenario.seed)
    provenance.save_png(plot_influence(res, "AFG"), IMAGE, dpi=110)  # as write_plots draws it


def start() -> None:
    """The README's sentence on the start levels."""
    from sim.calibration.external import start_levels
    from sim.scenario.loading import load_scenario

    scenario = load_scenario("baseline")
    levels = start_levels(scenario)
    host = levels.xs("AFG", level="state")
    powers = len(scenario.codes("power"))
    text = (
        f"At the start of the baseline ({scenario.start}) Russia holds "
        f"{levels['RUS', 'AFG']:.3f} over Afghanistan and {levels['RUS', 'TJK']:.2f} over "
        f"Tajikistan; all {words(len(host))} holders together (the {words(powers)} powers and "
        f"the {words(len(host) - powers)} neighbours) {host.sum():.2f} over Afghanistan "
        "([docs/model.md](docs/model.md), section 3.3.11, with the derivation and a worked "
        "example)."
    )
    provenance.replace_section(README, "start", text)


def words(n: int) -> str:
    """A small count in words, as the prose writes it."""
    names = "zero one two three four five six seven eight nine ten eleven twelve".split()
    return names[n] if 0 <= n < len(names) else str(n)


COMPARE_RUN = ["--worlds", "60", "--months", "48", "--seed", "3"]
SHOWN = ("USA", "IRN")  # the holders the examples show


def excerpt(lines: list[str]) -> list[str]:
    """The header, the lines (or blocks) of the holders SHOWN, and the legend."""
    kept, keep = [lines[0]], False
    for line in lines[1:]:
        if line.startswith("  ") and not line.startswith("    "):
            keep = line.split()[0] in SHOWN
        elif not line.startswith("  "):
            keep = True  # the legend
        if keep:
            kept.append(line)
    return kept


def compare() -> None:
    """`sim compare` and `sim compare --why` of US re-engagement against the baseline, from the
    commands the text names, cut to the holders SHOWN."""
    with tempfile.TemporaryDirectory() as folder:
        sim = [sys.executable, "-m", "sim"]
        for name in ("baseline", "us_reengagement"):
            quiet = ["--no-progress", "--out", name]
            subprocess.run([*sim, "run", name, *COMPARE_RUN, *quiet], cwd=folder, check=True,
                           capture_output=True)  # fmt: skip
        done = subprocess.run([*sim, "compare", "us_reengagement", "baseline", "--why"],
                              cwd=folder, check=True, capture_output=True, text=True)  # fmt: skip
    lines = done.stdout.splitlines()
    why = next(i for i, line in enumerate(lines) if line.startswith("Why, by component"))
    run = " ".join(COMPARE_RUN)
    shown = " and ".join(SHOWN)
    provenance.replace_section(
        ANALYSIS,
        "compare",
        f"From `sim run baseline {run}`, the same with `us_reengagement`, then `sim compare "
        f"us_reengagement baseline` (the lines of {shown}; every holder has one):\n\n"
        "```\n" + "\n".join(excerpt(lines[:why])) + "\n```",
    )
    provenance.replace_section(
        ANALYSIS,
        "why",
        f"From the same two runs (`sim compare us_reengagement baseline --why`; {shown}):\n\n"
        "```\n" + "\n".join(excerpt(lines[why:])) + "\n```",
    )


BAND_WORLDS, BAND_MONTH = 1000, "2030-12"


def band() -> None:
    """Russia's influence over Afghanistan at BAND_MONTH, fixed and drawn, from the baseline's
    seed and BAND_WORLDS worlds."""
    import numpy as np

    from sim.batch.runner import run
    from sim.scenario.loading import load_scenario

    scenario = load_scenario("baseline")
    scenario = scenario.first_months(scenario.month_index(BAND_MONTH) + 1)
    found = {}
    for mode in ("fixed", "drawn"):
        res = run(scenario, worlds=BAND_WORLDS, seed=scenario.seed, assumptions=mode)
        values = res.series("influence", power="RUS", state="AFG").isel(month=-1).values
        found[mode] = np.quantile(values.astype(float), [0.05, 0.5, 0.95])
    (fl, fm, fh), (dl, dm, dh) = found["fixed"], found["drawn"]
    text = (
        f"**What it does to a band.** With the baseline's seed and {BAND_WORLDS:,} worlds, the "
        f"5-95% band of Russia's influence over Afghanistan in {BAND_MONTH} is {fl:.3f}-{fh:.3f} "
        f"with the assumptions fixed and {dl:.3f}-{dh:.3f} drawn, "
        f"{(dh - dl) / (fh - fl):.1f} times as wide; the median is {fm:.3f} fixed and {dm:.3f} "
        "drawn (several ranges are skewed about the value written)."
    )
    provenance.replace_section(ASSUMPTIONS, "band", text)


def worked() -> None:
    """model.md's worked example: each holder's dependence shares over the host at the start,
    its openness and level, Russia's level worked out, and Russia over Tajikistan."""
    import numpy as np

    from sim.core.params import compile_scenario
    from sim.core.stages.influence import components
    from sim.model import initial_balance
    from sim.scenario.loading import load_scenario
    from sim.scenario.vocab import INFLUENCE_COMPONENTS

    p = compile_scenario(load_scenario("baseline"))
    st = initial_balance(p, 1)
    powers, holders = components(p, st, 0, st.host_revenue.copy())
    host, w = p.host_state, p.influence.weights
    shares = np.concatenate([powers[0, :, :, host], holders[0]], axis=1).T  # (holder, 5)
    openness = np.concatenate([st.openness[0, :, host], p.holders.openness])
    levels = np.concatenate([st.influence[0, :, host], st.holder_influence[0]])
    codes = p.power_codes + p.holders.codes
    lines = [
        "| holder | " + " | ".join(INFLUENCE_COMPONENTS) + " | openness | level |",
        "|---|" + "---:|" * (len(INFLUENCE_COMPONENTS) + 2),
    ]
    for code, row, o, level in zip(codes, shares, openness, levels, strict=True):
        cells = " | ".join(f"{v:.3f}" for v in row)
        lines.append(f"| {code} | {cells} | {o:.2g} | {level:.3f} |")
    total = " | ".join(f"{v:.3f}" for v in shares.sum(axis=0))
    lines += [f"| all holders | {total} | | {levels.sum():.3f} |", ""]
    rus, tjk = p.power_codes.index("RUS"), p.state_codes.index("TJK")
    r = shares[rus]
    accepted = float(w[:4] @ r[:4])
    terms = " + ".join(f"{w[c]:g} \\times {r[c]:.3f}" for c in range(4))
    lines.append(
        f"Russia: ${openness[rus]:g} \\times ({terms}) + {w[4]:g} \\times {r[4]:.3f} = "
        f"{openness[rus]:g} \\times {accepted:.3f} + {w[4] * r[4]:.3f} = {levels[rus]:.3f}$. "
        f"Together the holders account for {levels.sum():.2f} of Afghanistan's weighted "
        f"dependence. Over Tajikistan, Russia's shares are "
        + ", ".join(
            f"{powers[0, c, rus, tjk]:.2f} of {name}" for c, name in enumerate(INFLUENCE_COMPONENTS)
        )
        + f" at openness {st.openness[0, rus, tjk]:.2g}, so its level is "
        f"{st.influence[0, rus, tjk]:.3f}, against "
        + " and ".join(
            f"{code}'s {st.influence[0, i, tjk]:.3f}"
            for i, code in enumerate(p.power_codes)
            if i != rus
        )
        + "."
    )
    provenance.replace_section(MODEL_MD, "worked", "\n".join(lines))


PARTS = {  # name: (maker, artefacts, inputs beside the model)
    "influence": (influence, [key(IMAGE)], (BASELINE, ME, "code:sim/batch", "code:sim/results")),
    "start": (start, [key(README, "start")], (BASELINE, ME, "code:sim/calibration")),
    "compare": (
        compare,
        [key(ANALYSIS, "compare"), key(ANALYSIS, "why")],
        (BASELINE, "scenario:scenarios/us_reengagement.yaml", ME, "code:sim"),
    ),
    "worked": (worked, [key(MODEL_MD, "worked")], (BASELINE, ME)),
    "band": (band, [key(ASSUMPTIONS, "band")], (BASELINE, ME, "code:sim/batch")),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"parts to make: {', '.join(PARTS)} (all)")
    parser.add_argument("--force", action="store_true", help="make even if nothing changed")
    args = parser.parse_args(argv)
    if unknown := set(args.names) - set(PARTS):
        parser.error(f"unknown parts {sorted(unknown)}; known: {', '.join(PARTS)}")
    registry = provenance.Registry()
    for name in args.names or PARTS:
        maker, artefacts, uses = PARTS[name]
        used = provenance.inputs(*uses)
        if not args.force and all(provenance.fresh(k, used) for k in artefacts):
            print(f"{', '.join(artefacts)}: up to date (nothing they are made from changed)")
            continue
        maker()
        registry.record(COMMAND, dict.fromkeys(artefacts, used), replace=False)
        print(f"{', '.join(artefacts)} written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
