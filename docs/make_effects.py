"""Measure how far each assumption moves the answers, one at a time (`make effects`).

Writes two tables of docs/assumptions.md:

  effects        section A: each declared uncertainty at the low end of its range against its
                 high end, all else as written;
  fixed_effects  section C: the probes of the numbers kept fixed, which back the reasons
                 section B gives (PROBES below: which numbers, over which range).

An effect is the largest change of a final (last month) influence of any holder over any state
between the two ends: the mean over WORLDS worlds in fixed mode with seed SEED, the same worlds
at both ends (common random numbers). Recorded in docs/generated.json like every generated
table (docs/provenance.py); `--force` measures even if nothing changed.
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache

import provenance

ROOT = provenance.ROOT
DOC = ROOT / "docs" / "assumptions.md"
COMMAND = "make effects"
WORLDS, SEED = 100, 7


@dataclass(frozen=True)
class Probe:
    """Numbers of the baseline moved together: to `low` and `high` (times their written value
    when `scale`, at most `ceiling`), all else as written. `paths` may hold `{a,b}`
    alternatives and `*` segments."""

    rule: str  # the title of the rule of section B it backs
    varied: str  # what it varies, in words
    paths: str
    low: float
    high: float
    scale: bool = False
    ceiling: float = float("inf")

    def expanded(self) -> list[str]:
        return [p for pattern in self.paths.split() for p in alternatives(pattern)]

    def range_text(self) -> str:
        text = "half to twice" if self.scale and (self.low, self.high) == (0.5, 2) else (
            f"{self.low:g} to {self.high:g}" + (" times" if self.scale else "")
        )  # fmt: skip
        return text + (f" (at most {self.ceiling:g})" if self.ceiling < float("inf") else "")

    def moved(self, written: float, end: float) -> float:
        return min(end * written if self.scale else end, self.ceiling)


def alternatives(pattern: str) -> list[str]:
    """`a.{x,y}.b` as `a.x.b` and `a.y.b` (every combination of every brace)."""
    parts = re.split(r"\{([^}]*)\}", pattern)
    choices = [p.split(",") if i % 2 else [p] for i, p in enumerate(parts)]
    return ["".join(c) for c in itertools.product(*choices)]


NEIGHBOURS = ("TJK", "UZB", "TKM", "KAZ", "KGZ", "IRN", "PAK")
ALIGNED = "USA-TJK CHN-UZB USA-UZB USA-TKM CHN-KAZ USA-KAZ CHN-KGZ USA-KGZ CHN-IRN RUS-PAK USA-PAK"
POWERS_NEIGHBOURS = "{RUS,CHN,USA,KAZ,UZB,TKM,KGZ,TJK,IRN,PAK}"
PROBES = (
    *(Probe("Orders of magnitude of published figures", f"{code}'s outside support",
            f"actors.{code}.other_support", 0.5, 2, scale=True) for code in NEIGHBOURS),
    *(Probe("Orders of magnitude of published figures", f"{pair} investment",
            f"relations.{pair}.investment", 0.5, 2, scale=True)
      for pair in ("CHN-PAK", "CHN-UZB", "USA-KAZ", "RUS-KAZ")),
    *(Probe("One yardstick for others' diplomacy", f"{code}'s other diplomacy",
            f"actors.{code}.other_diplomatic", 0.5, 2, scale=True) for code in NEIGHBOURS),
    Probe("Nominal growth paths", "every income and outside-trade growth rate",
          "actors.*.income_growth actors.*.rest_of_world_growth", 0.5, 2, scale=True),
    Probe("Budgets of Russia and the US", "Russia's budget", "actors.RUS.budget", 9.9, 12),
    Probe("Budgets of Russia and the US", "the US budget", "actors.USA.budget", 4.5, 7),
    Probe("No tie where none exists", "the UN share of Russian and Chinese aid to the host",
          "relations.{RUS,CHN}-AFG.aid_via_un", 0, 0.5),
    Probe("Security ties outside Central Asia", "Russia-Iran tie",
          "relations.RUS-IRN.security_tie", 0.05, 0.4),
    Probe("Security ties outside Central Asia", "US-Pakistan tie",
          "relations.USA-PAK.security_tie", 0.05, 0.4),
    Probe("Security ties outside Central Asia", "China-Pakistan tie",
          "relations.CHN-PAK.security_tie", 0.3, 0.7),
    *(Probe("Alignment where a power provides little security", f"{pair} alignment",
            f"relations.{pair}.alignment", 0.5, 2, scale=True) for pair in ALIGNED.split()),
    Probe("Exposure to threats from the host", "every exposure but the host's",
          "actors.{RUS,CHN,USA,TJK,UZB,TKM,KAZ,KGZ,IRN,PAK}.exposure", 0.5, 2, scale=True,
          ceiling=1),
    *(Probe("Weights of neighbours other than the article's three", f"{code}'s {weight} weight",
            f"actors.{code}.priorities.{weight}", 0.5, 2, scale=True)
      for code in ("KAZ", "KGZ", "IRN", "PAK") for weight in ("security", "opportunity")),
    *(Probe("The Central Asian states' ties with the host", f"the five states' {tie}",
            f"actors.{{TJK,UZB,TKM,KAZ,KGZ}}.host_ties.{tie}", 0.5, 2, scale=True)
      for tie in ("support", "access_control")),
    Probe("The Central Asian states' ties with the host", "four states' diplomacy",
          "actors.{TJK,TKM,KAZ,KGZ}.host_ties.diplomatic", 0.5, 2, scale=True),
    *(Probe("The Central Asian states' ties with the host", f"{code}'s openness to the host",
            f"actors.{code}.host_ties.openness", low, high)
      for code, low, high in (("TJK", 0.1, 0.5), ("TKM", 0.4, 0.8), ("KAZ", 0.4, 0.8),
                              ("KGZ", 0.3, 0.7))),
    Probe("Prices", "Islam Qala's fee", "crossings.islam_qala.fee", 0.5, 2, scale=True),
    Probe("Size of trade noise", "fuel's volatility", "commodities.fuel.volatility", 0.5, 2,
          scale=True),
    *(Probe("Switching inertia", f"switching rate of {name}",
            f"commodities.{name}.growth_rate", 0.5, 2, scale=True)
      for name in ("fuel", "agrifood", "manufactures", "minerals", "electricity")),
    Probe("Demand elasticities", "of fuel", "commodities.fuel.demand_elasticity", 0.1, 0.8),
    Probe("Demand elasticities", "of agrifood", "commodities.agrifood.demand_elasticity", 0.1, 0.6),
    *(Probe("Engagement lift of goods other than manufactures and fuel",
            f"engagement lift of {name}", f"commodities.{name}.engagement_lift", 0.5, 2, scale=True)
      for name in ("agrifood", "minerals", "electricity")),
    Probe("Minerals' essentiality", "minerals' essentiality", "commodities.minerals.essentiality",
          0.1, 0.4),
    Probe("Crossings' costs and recovery", "Islam Qala's reroute share",
          "crossings.islam_qala.reroute_share", 0.15, 0.6),
    Probe("Crossings' costs and recovery", "Islam Qala's recovery",
          "crossings.islam_qala.recovery_half_life", 0.5, 2),
    Probe("Crossings' costs and recovery", "Torkham's reroute cost",
          "crossings.torkham.reroute_cost", 0.15, 0.6),
    Probe("Spread of other shock sizes", "attacks abroad",
          "shocks.attack_abroad.magnitude_sd", 0.3, 1),
    *(Probe("Threat networks' other weights", f"{network} {field}",
            f"networks.{network}.{field}", 0.5, 2, scale=True)
      for network in ("extremist", "trafficking") for field in ("border_posture", "event_boost")),
    Probe("Threat networks' other weights", "trafficking growth", "networks.trafficking.growth",
          0.5, 2, scale=True),
    Probe("Other migration corridors", "growth of the Afghan, Uzbek and Kyrgyz corridors",
          "migration.{AFG-RUS,UZB-RUS,KGZ-RUS}.growth", 0.5, 2, scale=True),
    Probe("Other migration corridors", "Afghan workers' remittance",
          "migration.AFG-RUS.remittance", 150, 500),
    Probe("The host's customs tariff", "the host's tariff", "dynamics.host_tariff", 0.06, 0.15),
    Probe("Trends of flows not drawn", "every trend between the powers and the neighbours",
          f"trade.{POWERS_NEIGHBOURS}-{POWERS_NEIGHBOURS}-*.trend", 0, 2, scale=True),
    Probe("Numbers a world cannot draw alone", "spillover", "dynamics.spillover", 0.25, 0.75),
)  # fmt: skip


# ---- measuring ---------------------------------------------------------------------------------


def final_influence(scenario):
    """The mean final influence of every holder over every state, as 'HOLDER>STATE'."""
    from sim.batch.runner import run

    data = run(scenario, worlds=WORLDS, seed=SEED, assumptions="fixed").dataset
    last = data.isel(month=-1).mean("world")
    values = {
        f"{h}>{s}": float(last.influence.sel(power=h, state=s))
        for h in data.power.values
        for s in data.state.values
    }
    host = scenario.codes("host")[0]
    for holder in data.holder.values:
        values.setdefault(f"{holder}>{host}", float(last.host_influence.sel(holder=holder)))
    return values


def largest_change(low: dict, high: dict) -> tuple[float, str]:
    pair = max(low, key=lambda k: abs(high[k] - low[k]))
    return high[pair] - low[pair], pair


@cache
def baseline():
    """The baseline, loaded once per process."""
    from sim.scenario.loading import load_scenario

    return load_scenario("baseline")


def uncertainty_effect(name: str) -> tuple[float, str]:
    item = baseline().uncertainty(name)
    ends = [final_influence(baseline().with_values(**{name: e})) for e in (item.low, item.high)]
    return largest_change(*ends)


def probe_effect(probe: Probe) -> tuple[float, str]:
    from sim.scenario.paths import set_path
    from sim.scenario.schema import Scenario

    written = matching(probe)
    ends = []
    for end in (probe.low, probe.high):
        moved = baseline().model_dump(mode="json")
        for path, value in written.items():
            set_path(moved, path, probe.moved(value, end))
        ends.append(final_influence(Scenario.model_validate(moved)))
    return largest_change(*ends)


def matching(probe: Probe) -> dict[str, float]:
    """The written value of each sourced number of the baseline (`sim explain`'s rows) that the
    probe's paths name; naming none is an error, so no probe silently measures nothing."""
    from sim.core.assumptions import matches
    from sim.scenario.explain import parameter_rows

    patterns = probe.expanded()
    found = {
        row["path"]: float(row["value"])
        for row in parameter_rows(baseline())
        if any(matches(row["path"], pattern) for pattern in patterns)
    }
    if not found:
        raise ValueError(f"probe paths {probe.paths!r} match no number of the baseline")
    return found


# ---- writing -----------------------------------------------------------------------------------


def shown(effect: float, pair: str) -> str:
    """An effect at the precision 100 worlds' means earn: three decimals, or "under 0.001"."""
    return "under 0.001" if abs(effect) < 0.0005 else f"{effect:+.3f} {pair}"


def effects_table(names, effects) -> str:
    rows = sorted(zip(names, effects, strict=True), key=lambda r: -abs(r[1][0]))
    lines = [
        f"<!-- written by `{COMMAND}` (docs/make_effects.py) -->",
        "",
        "| Uncertainty | Effect, low end to high end | Rank |",
        "|---|---|---:|",
    ]
    lines += [f"| `{n}` | {shown(*e)} | {i} |" for i, (n, e) in enumerate(rows, 1)]
    return "\n".join(lines)


def probes_table(effects) -> str:
    lines = [
        f"<!-- written by `{COMMAND}` (docs/make_effects.py) -->",
        "",
        "| Rule | Numbers varied | Range | Effect, low end to high end |",
        "|---|---|---|---|",
    ]
    for probe, effect in zip(PROBES, effects, strict=True):
        lines.append(
            f"| {probe.rule} | {probe.varied} (`{probe.paths}`) | {probe.range_text()} | "
            f"{shown(*effect)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="measure even if nothing changed")
    parser.add_argument("--workers", type=int, default=2, help="processes (2)")
    args = parser.parse_args(argv)
    keys = [f"{DOC.relative_to(ROOT).as_posix()}#{name}" for name in ("effects", "fixed_effects")]
    uses = provenance.inputs(
        "scenario:scenarios/baseline.yaml", "code:docs/make_effects.py", "code:sim/batch"
    )
    if not args.force and all(provenance.fresh(k, uses) for k in keys):
        print(f"{', '.join(keys)}: up to date (nothing they are made from changed)")
        return 0
    names = [u.name for u in baseline().uncertainties]
    with ProcessPoolExecutor(args.workers) as pool:
        drawn = list(pool.map(uncertainty_effect, names))
        fixed = list(pool.map(probe_effect, PROBES))
    provenance.replace_section(DOC, "effects", effects_table(names, drawn))
    provenance.replace_section(DOC, "fixed_effects", probes_table(fixed))
    provenance.Registry().record(COMMAND, dict.fromkeys(keys, uses), replace=False)
    print(f"{', '.join(keys)} written ({len(names)} uncertainties, {len(PROBES)} probes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
