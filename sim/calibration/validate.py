"""`sim validate`: the baseline against its calibration targets and stylised facts.

Targets compare the median over worlds of a simulated figure with the sourced value. Facts
compare two runs of the same worlds with the same seed (common random numbers: a world's draws
do not depend on the scenario), so the paired difference isolates the change; its mean and a
95% confidence interval over worlds decide pass or fail.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from sim.batch.runner import run
from sim.calibration.targets import Change, Fact, Flows, Saturation, Selection, Target, Targets
from sim.core.assumptions import DRAWN, FIXED
from sim.core.units import MONTHS_PER_YEAR, kilotonnes
from sim.errors import ScenarioError
from sim.results.dataset import Results
from sim.results.folder import write_listing
from sim.scenario.loading import SCENARIO_DIR, load_scenario, parse_scenario, read_validated
from sim.scenario.paths import set_path
from sim.scenario.schema import Scenario

TARGETS_FILE = SCENARIO_DIR / "calibration" / "targets.yaml"
Z95 = float(stats.norm.ppf(0.975))  # the two-sided 95% quantile of the normal


def load_targets(path: str | Path | None = None) -> Targets:
    """Read and validate a targets file (default: scenarios/calibration/targets.yaml)."""
    return read_validated(Targets, Path(path) if path else TARGETS_FILE, kind="targets")


# ---- targets ---------------------------------------------------------------------------------
def _window(s: Scenario, months) -> slice:
    return slice(s.month_index(months.first), s.month_index(months.last) + 1)


def _flow_mask(s: Scenario, flows: Flows) -> np.ndarray:
    return np.array([flows.matches(f) for f in s.trade])


def target_values(res: Results, target: Target) -> np.ndarray:
    """The simulated figure of a target in every world, (worlds,)."""
    s, window = res.scenario, _window(res.scenario, target.months)
    trade = res.dataset["trade"].values[window].astype(np.float64)  # USD M/month, (T, worlds, F)
    months = trade.shape[0]

    def total(flows: Flows, tonnes: bool = False) -> np.ndarray:
        mask = _flow_mask(s, flows)
        values = trade[:, :, mask]
        if tonnes:  # USD M -> kt through each flow's commodity price per tonne
            commodity = res.params.commodity
            values = kilotonnes(values, commodity.price[res.params.flow.commodity[mask]])
        return values.sum(axis=(0, 2))

    if target.measure == "trade":
        return total(target.flows)
    if target.measure == "tonnes":
        return total(target.flows, tonnes=True)
    if target.measure == "share":
        return total(target.flows) / total(target.of)
    if target.measure == "remittance_share":  # a year's remittances over GDP (both USD M)
        c, codes = res.params.corridor, res.params.codes
        home = [codes[res.params.states[o]] == target.origin for o in c.origin]
        migrants = res.dataset["migrants"].values[window].astype(np.float64)[:, :, home]
        sent = (migrants * c.remittance[home]).sum(axis=(0, 2)) * MONTHS_PER_YEAR / months
        return sent / (res.params.actor.gdp[codes.index(target.origin)] * 1e3)
    before = sum(f.previous_year or 0.0 for f in s.trade if target.flows.matches(f))
    return (
        total(target.flows) * MONTHS_PER_YEAR / months / before - 1.0
    )  # growth over the previous year


def check_target(res: Results, target: Target) -> dict:
    values = target_values(res, target)
    low, median, high = np.quantile(values, (0.05, 0.5, 0.95))
    bound = "at least" if target.kind == "at_least" else "+-"
    return {
        "kind": "target",
        "name": target.name,
        "label": target.label,
        "expected": f">= {target.value - target.tolerance:g} {target.unit}"
        if target.kind == "at_least"
        else f"{target.value:g} +- {target.tolerance:g} {target.unit}",
        "value": target.value,
        "lowest": target.value - target.tolerance,
        "highest": target.value + target.tolerance if target.kind == "within" else np.nan,
        "simulated": median,
        "low": low,
        "high": high,
        "tolerance": f"{bound} {target.tolerance:g}"
        if target.kind == "within"
        else f"{bound} {target.value - target.tolerance:g}",
        "unit": target.unit,
        "passed": target.passes(median),
        "source": target.source,
    }


# ---- facts -----------------------------------------------------------------------------------
def changed_scenario(s: Scenario, change: Change) -> Scenario:
    """The scenario with a fact's change applied, validated and cross-checked again."""
    data = s.model_dump(mode="json")
    events = [
        e
        for e in data["events"]
        if not any(all(e.get(k) == v for k, v in rule.items()) for rule in change.remove_events)
    ]
    data["events"] = events + [e.model_dump(mode="json") for e in change.add_events]
    for name, value in change.levers.items():
        set_path(data, s.lever(name).path, value)
    return parse_scenario(data)


def selection_values(res: Results, sel: Selection, **override: str) -> np.ndarray:
    """A series averaged over a window of months, one value per world, (worlds,): one label
    on each axis, or for trade the sum of the matching flows."""
    window = _window(res.scenario, sel.months)
    if sel.flows is not None:
        trade = res.dataset["trade"].values[window].astype(np.float64)
        return trade[:, :, _flow_mask(res.scenario, sel.flows)].sum(axis=2).mean(axis=0)
    data = res.series(sel.series, **{**sel.select, **override})
    if data.ndim > 2:
        raise ScenarioError(
            f"facts.{sel.series}.select", f"select one label on each of the dims {data.dims[2:]}"
        )
    return data.values[window].astype(np.float64).mean(axis=0)


def fact_effect(fact: Fact, base: Results, rerun) -> np.ndarray:
    """The paired effect of a fact in every world, (worlds,)."""

    def measured(res: Results) -> np.ndarray:
        value = selection_values(res, fact.measure)
        if fact.versus is not None:
            value = value - selection_values(res, fact.measure, **fact.versus)
        return value

    before = measured(base)
    if fact.change is None:
        return before
    changed = rerun(changed_scenario(base.scenario, fact.change))
    if fact.expect == "none":  # the changed run's own values: it must never show the measure
        return measured(changed)
    diff = measured(changed) - before
    if fact.per is not None:
        lost = selection_values(base, fact.per) - selection_values(changed, fact.per)
        return diff / np.maximum(lost, 1e-12)
    if fact.relative:
        return diff / np.maximum(np.abs(before), 1e-12)
    return diff


def check_fact(fact: Fact, base: Results, rerun) -> dict:
    """Paired difference (changed minus unchanged, or measure minus `versus`) over worlds."""
    diff = fact_effect(fact, base, rerun)
    mean = float(diff.mean())
    half = Z95 * float(diff.std(ddof=1)) / np.sqrt(len(diff))
    low, high = mean - half, mean + half
    scale = " (relative)" if fact.relative else " (share of loss)" if fact.per else ""
    lowest = highest = np.nan  # the bounds of the allowed effect, where it has them
    if fact.expect == "increase":
        passed, expected = low > 0, f"> 0{scale}"
    elif fact.expect == "decrease":
        passed, expected = high < 0, f"< 0{scale}"
    elif fact.expect == "at_least":
        passed, expected = low >= fact.value, f">= {fact.value:g}{scale}"
        lowest = fact.value
    elif fact.expect == "at_most":
        passed, expected = high <= fact.value, f"<= {fact.value:g}{scale}"
        highest = fact.value
    elif fact.expect == "within":
        within = -fact.tolerance <= low and high <= fact.tolerance
        passed, expected = within, f"0 +- {fact.tolerance:g}{scale}"
        lowest, highest = -fact.tolerance, fact.tolerance
    else:  # none: the changed run never shows the measure, in any world or month
        mean, low, high = float(diff.max()), float(diff.min()), float(diff.max())
        passed, expected = mean == 0.0, "0 in every world"
    return {
        "kind": "fact",
        "name": fact.name,
        "label": fact.label,
        "expected": expected,
        "value": fact.value if fact.expect in ("at_least", "at_most") else 0.0,
        "lowest": lowest,
        "highest": highest,
        "simulated": mean,
        "low": low,
        "high": high,
        "tolerance": f"+- {fact.tolerance:g}" if fact.expect == "within" else "95% CI",
        "unit": "relative" if fact.relative else "share" if fact.per else "difference",
        "passed": bool(passed),
        "source": fact.source,
    }


# ---- saturation ------------------------------------------------------------------------------
def _pinned_mask(res: Results, check: Saturation, name: str) -> np.ndarray:
    """True for the elements of a series that `pinned` names, shaped like one month's record."""
    data = res.dataset[name].isel(month=0, world=0)
    mask = np.zeros(data.shape, dtype=bool)
    for pin in check.pinned:
        if pin.series == name:
            where = {dim: data[dim].values == label for dim, label in pin.select.items()}
            hit = np.ones(data.shape, dtype=bool)
            for dim, m in where.items():
                shape = [1] * data.ndim
                shape[data.dims.index(dim)] = -1
                hit &= m.reshape(shape)
            mask |= hit
    return mask


def check_saturation(res: Results, check: Saturation) -> list[dict]:
    """A row per series: the largest share of worlds in which one of its (unpinned, declared)
    variables, averaged over the year, lies within `margin` of a bound."""
    s = res.scenario
    window = slice(s.month_index(f"{check.year}-01"), s.month_index(f"{check.year}-12") + 1)
    rows = []
    for name, bounds in check.series.items():
        data = res.dataset[name]
        values = data.values[window].astype(np.float64).mean(axis=0)  # (worlds, ...)
        near = values >= 1.0 - check.margin
        if bounds == "both":
            near |= values <= check.margin
        share = near.mean(axis=0)
        moving = data.values.std(axis=(0, 1)) > 0  # a variable nothing moves is not a rule's
        share = np.where(_pinned_mask(res, check, name) | ~moving, 0.0, share)
        worst = np.unravel_index(int(np.argmax(share)), share.shape) if share.size else ()
        where = ", ".join(
            f"{dim}={data[dim].values[i]}" for dim, i in zip(data.dims[2:], worst, strict=True)
        )
        top = float(share[worst]) if share.size else 0.0
        where = where if top > 0 else "none"
        rows.append(
            {
                "kind": "saturation",
                "name": f"saturation_{name}",
                "label": f"{name} near a bound in {check.year} (worst: {where})",
                "expected": f"<= {check.share:g} of worlds",
                "value": check.share,
                "lowest": np.nan,
                "highest": check.share,
                "simulated": top,
                "low": top,
                "high": top,
                "tolerance": f"margin {check.margin:g}",
                "unit": "share of worlds",
                "passed": top <= check.share,
                "source": check.source,
            }
        )
    return rows


# ---- the whole check -------------------------------------------------------------------------
def cut_to_targets(s: Scenario, targets: Targets) -> Scenario:
    """The scenario run only as far as the last month any target or fact measures (events
    after it dropped), so validation and calibration simulate no more than they use."""
    lasts = [t.months.last for t in targets.targets]
    lasts += [f.measure.months.last for f in targets.facts]
    lasts += [f.per.months.last for f in targets.facts if f.per is not None]
    if targets.saturation is not None:
        lasts.append(f"{targets.saturation.year}-12")
    return s.first_months(max(s.month_index(m) for m in lasts) + 1)


def validate(
    targets: Targets,
    scenario: Scenario | None = None,
    worlds: int | None = None,
    seed: int | None = None,
    assumptions: str = FIXED,
) -> pd.DataFrame:
    """Every target and fact as a row: expected, simulated [5%, 95%] or effect [95% CI], pass;
    with every assumption fixed at its written value (as calibrated), or drawn per world."""
    scenario = scenario or load_scenario(targets.scenario)
    worlds = worlds or targets.worlds
    seed = targets.seed if seed is None else seed
    scenario = cut_to_targets(scenario, targets)

    def rerun(s: Scenario) -> Results:
        return run(s, worlds=worlds, seed=seed, assumptions=assumptions)

    base = rerun(scenario)
    rows = [check_target(base, t) for t in targets.targets]
    rows += [check_fact(f, base, rerun) for f in targets.facts]
    if targets.saturation is not None:
        rows += check_saturation(base, targets.saturation)
    return pd.DataFrame(rows)


DRAWN_COLUMNS = ("simulated", "low", "high", "passed")


def validate_both(
    targets: Targets,
    scenario: Scenario | None = None,
    worlds: int | None = None,
    seed: int | None = None,
) -> pd.DataFrame:
    """The fixed table (validate) with the same checks run with the assumptions drawn per
    world beside it (drawn_simulated, drawn_low, drawn_high, drawn_passed), and `holds`: in
    both modes, with fixed assumptions only, with drawn ones only, or in neither."""
    fixed = validate(targets, scenario, worlds, seed, FIXED)
    drawn = validate(targets, scenario, worlds, seed, DRAWN)
    table = fixed.copy()
    for column in DRAWN_COLUMNS:
        table[f"drawn_{column}"] = drawn[column].to_numpy()
    table["holds"] = [
        {(True, True): "both", (True, False): "fixed only", (False, True): "drawn only"}.get(
            pair, "neither"
        )
        for pair in zip(table["passed"], table["drawn_passed"], strict=True)
    ]
    return table


def format_table(table: pd.DataFrame) -> str:
    """The validation table as printed by `sim validate`: a result column per mode run."""
    modes = [("fixed", "")] + ([("drawn", "drawn_")] if "drawn_passed" in table else [])
    head = f"{'check':<62}{'expected':>22}  " + "".join(
        f"{mode + ': simulated [5%, 95%] / effect [95% CI]':<46}result  " for mode, _ in modes
    )
    lines = [head.rstrip(), "-" * len(head.rstrip())]
    for row in table.to_dict("records"):
        cells = ""
        for _, prefix in modes:
            band = f"{row[prefix + 'simulated']:.4g} [{row[prefix + 'low']:.4g}, "
            band += f"{row[prefix + 'high']:.4g}]"
            cells += f"{band:<46}{'pass' if row[prefix + 'passed'] else 'FAIL':<8}"
        lines.append(f"{row['label'][:61]:<62}{row['expected']:>22}  {cells}".rstrip())
    lines.append(
        f"\n{int(table['passed'].sum())} of {len(table)} checks pass with fixed assumptions"
    )
    if len(modes) == 2:
        lines[-1] += f", {int(table['drawn_passed'].sum())} with assumptions drawn per world"
        fixed_only = table.loc[table["holds"] == "fixed only", "label"]
        if len(fixed_only):
            lines.append("hold with fixed assumptions only: " + "; ".join(fixed_only))
    return "\n".join(lines)


def plot_validation(table: pd.DataFrame):
    """Left: each target's simulated median and 5-95% band as a ratio to its value, with the
    tolerance shaded. Right: each fact's paired effect with its 95% CI against zero."""
    from matplotlib.figure import Figure

    targets, facts = table[table.kind == "target"], table[table.kind != "target"]
    fig = Figure(figsize=(15, 0.36 * max(len(targets), len(facts)) + 1.6))
    left, right = fig.subplots(1, 2)
    for ax, part in ((left, targets), (right, facts)):
        for y, row in enumerate(part.itertuples()):
            s = row.value if ax is left else 1.0
            colour = "tab:green" if row.passed else "tab:red"
            ax.plot([row.low / s, row.high / s], [y, y], color=colour, lw=4, alpha=0.45)
            ax.plot(row.simulated / s, y, "o", color=colour)
            bounds = [b / s for b in (row.lowest, row.highest) if np.isfinite(b)]
            ax.plot(bounds, [y] * len(bounds), "|k", ms=9)
        ax.set_yticks(range(len(part)), list(part.label), fontsize=8)
        ax.invert_yaxis()
    left.axvline(1.0, color="grey", lw=0.8)
    left.set_xlabel("simulated / target (ticks: tolerance)")
    left.set_title("Calibration targets: median and 5-95% over worlds", fontsize=10)
    right.axvline(0.0, color="grey", lw=0.8)
    right.set_xscale("symlog", linthresh=0.01)
    right.margins(x=0.15)
    right.set_xlabel("paired effect, changed - unchanged (95% CI; ticks: tolerance)", fontsize=9)
    right.set_title("Stylised facts (common random numbers)", fontsize=10)
    fig.tight_layout()
    return fig


def write_validation(table: pd.DataFrame, claim) -> Path:
    """validation.csv and validation.png into a claimed output folder (sim.results.folder,
    claimed with kind "validation"), with a manifest listing them, moved into place whole;
    returns the folder."""
    table.to_csv(claim.work / "validation.csv", index=False, float_format="%.6g")
    plot_validation(table).savefig(claim.work / "validation.png", dpi=110)
    write_listing(claim.work, "validation", ["validation.csv", "validation.png"])
    return claim.commit()
