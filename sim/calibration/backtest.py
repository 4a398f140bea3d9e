"""`sim backtest`: the hindcast scenario's ensemble against the record of the years it forecast.

The hindcast (scenarios/calibration/hindcast_2023.yaml) starts from 2023 levels with only the
events known then; each world draws the scenario's uncertainties. Each entry of the record
(scenarios/calibration/record_2024.yaml) is read from every world and scored: whether the record
lies inside the ensemble's 90% band (5% to 95% over worlds), whether the median change over the
year before has the recorded sign, and the continuous ranked probability score (CRPS) of the
ensemble, also relative to the record so that partners of different size compare.

Calibration must not see what is scored: an entry whose flows the calibration targets measure
over the same months, or which the hindcast was built from (`in_sample`), is in-sample; it is
printed and scored but left out of the summary, as are entries whose sources conflict.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.batch.runner import run
from sim.calibration.record import Entry, Record
from sim.calibration.targets import Targets
from sim.core.assumptions import DRAWN
from sim.core.units import MONTHS_PER_YEAR
from sim.errors import ScenarioError
from sim.results.dataset import Results
from sim.results.folder import write_listing
from sim.scenario.schema import Scenario
from sim.scenario.vocab import flow_label

BAND = (0.05, 0.95)  # the 90% band over worlds
YEAR = int(MONTHS_PER_YEAR)  # the shift of `before`, in months


# ---- scores ----------------------------------------------------------------------------------
def crps(ensemble: np.ndarray, observed: float) -> float:
    """The CRPS of an ensemble for one observation: E|X - y| - E|X - X'| / 2 over the members
    (Gneiting and Raftery 2007, eq. 21), with E|X - X'| from the sorted members in O(n log n).
    In the unit of the figure; 0 for an ensemble of one value equal to the observation."""
    x = np.sort(np.asarray(ensemble, dtype=np.float64))
    n = len(x)
    spread = 2.0 * np.sum((2.0 * np.arange(1, n + 1) - n - 1) * x) / n**2  # E|X - X'|
    return float(np.mean(np.abs(x - observed)) - spread / 2.0)


def band(ensemble: np.ndarray) -> tuple[float, float]:
    low, high = np.quantile(ensemble, BAND, method="inverted_cdf")  # members: counts stay whole
    return float(low), float(high)


def inside(ensemble: np.ndarray, observed: float, at_least: bool = False) -> bool:
    """The record inside the 90% band; a lower bound only needs the band to reach it."""
    low, high = band(ensemble)
    return bool(high >= observed) if at_least else bool(low <= observed <= high)


def direction_ok(change: np.ndarray, before: float, observed: float) -> bool:
    """The ensemble's median change has the sign of the recorded one (both none counts)."""
    return bool(np.sign(np.median(change)) == np.sign(observed - before))


# ---- the model's figure of an entry ----------------------------------------------------------
def _window(s: Scenario, entry: Entry, shift: int = 0) -> range:
    first = s.month_index(entry.months.first) + shift
    last = s.month_index(entry.months.last) + shift
    if first < 0 or last >= s.horizon_months:
        when = f"a year before {entry.months.first}" if shift else entry.months.first
        raise ScenarioError(
            f"entries.{entry.name}.months",
            f"{when} to {entry.months.last} is not inside the run ({s.start} + "
            f"{s.horizon_months} months)",
        )
    return range(first, last + 1)


def simulated(res: Results, entry: Entry, shift: int = 0) -> np.ndarray:
    """The entry's figure in every world, (worlds,), over its months moved by `shift`."""
    s, p = res.scenario, res.params
    months = _window(s, entry, shift)
    window = slice(months.start, months.stop)
    if entry.measure == "trade":
        mask = np.array([entry.matches(f) for f in s.trade])
        values = res.dataset["trade"].values[window].astype(np.float64)[:, :, mask]
        total = values.sum(axis=(0, 2))
        if entry.rest_of_world:  # deterministic: the host's rest-of-world trade and its growth
            a, host = p.actor, p.host
            growth = (1.0 + a.rest_of_world_growth[host]) ** (np.array(months) / MONTHS_PER_YEAR)
            total = total + float(np.sum(a.rest_of_world[host] * growth))
        return total
    if entry.measure == "recognition":  # powers that recognised during the months
        rec = res.dataset["recognition"].values.astype(np.float64).sum(axis=2)
        host = s.codes("host")[0]
        written = sum(r.recognition.value for r in s.relations if r.state == host)
        start = rec[months.start - 1] if months.start > 0 else written  # the month before
        return rec[months.stop - 1] - start
    events = res.series("events", shock=entry.shock).values[window].astype(np.float64)
    return events.sum(axis=0)


# ---- what the calibration has seen -----------------------------------------------------------
def target_overlaps(entry: Entry, scenario: Scenario, targets: Targets) -> tuple[list[str], bool]:
    """The targets that measure some of the entry's flows over months it covers, and whether
    together they measure all of them (then the entry is the targets' figure: in-sample)."""
    if entry.measure != "trade":
        return [], False
    mine = {
        flow_label(f.exporter, f.importer, f.commodity) for f in scenario.trade if entry.matches(f)
    }
    names, covered = [], set()
    for t in targets.targets:
        if t.months.last < entry.months.first or entry.months.last < t.months.first:
            continue
        selections = [t.flows] + ([t.of] if t.of is not None else [])
        theirs = {
            flow_label(f.exporter, f.importer, f.commodity)
            for f in scenario.trade
            if any(x.matches(f) for x in selections)
        }
        if t.measure == "remittance_share" or not theirs & mine:
            continue
        names.append(t.name)
        if theirs <= mine:
            covered |= theirs
    return names, covered == mine and not entry.rest_of_world


def status(entry: Entry, scenario: Scenario, targets: Targets) -> tuple[str, str]:
    """'out' (scored out of sample), 'in' (calibration or the hindcast has seen it) or
    'conflict' (its sources disagree), and why."""
    names, covered = target_overlaps(entry, scenario, targets)
    why = []
    if covered:
        why.append(f"target{'s' * (len(names) > 1)} {', '.join(names)} of the calibration")
    if entry.in_sample:
        why.append(entry.in_sample)
    if why:
        if entry.conflict:
            why.append(f"its sources conflict too: {entry.conflict}")
        return "in", "; ".join(why)
    if entry.conflict:
        return "conflict", entry.conflict
    return "out", ""


# ---- the whole backtest ----------------------------------------------------------------------
def score(res: Results, record: Record, targets: Targets) -> pd.DataFrame:
    """A row per record entry: the record, the ensemble's median and 90% band, inside,
    direction, CRPS (absolute and over the record), status and the targets it shares flows with."""
    rows = []
    for entry in record.entries:
        values = simulated(res, entry)
        low, high = band(values)
        at_least = entry.kind == "at_least"
        check, why = status(entry, res.scenario, targets)
        ok = None
        if entry.before is not None:
            change = values - simulated(res, entry, shift=-YEAR)
            ok = direction_ok(change, entry.before.value, entry.value)
        value = None if at_least else crps(values, entry.value)
        rows.append(
            {
                "name": entry.name,
                "label": entry.label,
                "unit": entry.unit,
                "record": entry.value,
                "kind": entry.kind,
                "before": entry.before.value if entry.before else np.nan,
                "median": float(np.median(values)),
                "low": low,
                "high": high,
                "inside": inside(values, entry.value, at_least),
                "direction_ok": ok,
                "crps": np.nan if value is None else value,
                "crps_relative": np.nan
                if value is None or entry.value == 0
                else value / abs(entry.value),
                "status": check,
                "why": why,
                "shares_flows_with": " ".join(target_overlaps(entry, res.scenario, targets)[0]),
                "source": entry.source,
            }
        )
    return pd.DataFrame(rows)


def backtest(
    record: Record,
    scenario: Scenario,
    targets: Targets,
    worlds: int | None = None,
    seed: int | None = None,
) -> pd.DataFrame:
    """Run the hindcast with the assumptions drawn per world and score it against the record."""
    worlds = worlds or record.worlds
    seed = record.seed if seed is None else seed
    for entry in record.entries:  # a bad window is refused before anything runs
        _window(scenario, entry)
        if entry.before is not None:
            _window(scenario, entry, shift=-YEAR)
    res = run(scenario, worlds=worlds, seed=seed, assumptions=DRAWN)
    table = score(res, record, targets)
    table.attrs.update(worlds=worlds, seed=seed, scenario=scenario.name)
    return table


# ---- printing and writing --------------------------------------------------------------------
def significant(x: float, digits: int = 3) -> str:
    """`x` to `digits` significant digits, without an exponent: 12,400, 0.0057."""
    if not np.isfinite(x):
        return "-"
    return f"{float(f'{x:.{digits}g}'):,g}"


def format_table(table: pd.DataFrame) -> str:
    """The backtest as printed: three significant digits for the ensemble (its 5% and 95%
    quantiles move in the third digit between seeds at 500 worlds), two for the CRPS."""
    head = (
        f"{'series':<50}{'record':>10}{'median':>10}  {'90% band':<20}{'inside':<8}"
        f"{'direction':<11}{'CRPS':>8}{'/record':>9}  sample"
    )
    lines = [head, "-" * len(head)]
    for row in table.to_dict("records"):
        record = ("> " if row["kind"] == "at_least" else "") + f"{row['record']:,g}"
        span = f"[{significant(row['low'])}, {significant(row['high'])}]"
        direction = {True: "ok", False: "WRONG", None: "-"}[row["direction_ok"]]
        relative = row["crps_relative"]
        share = "-" if not np.isfinite(relative) else f"{significant(100 * relative, 2)}%"
        lines.append(
            f"{row['label'][:49]:<50}{record:>10}{significant(row['median']):>10}  {span:<20}"
            f"{'yes' if row['inside'] else 'NO':<8}{direction:<11}"
            f"{significant(row['crps'], 2):>8}{share:>9}  {row['status']}"
        )
    lines.append(summary(table))
    others = [row for row in table.to_dict("records") if row["status"] != "out"]
    if others:
        lines.append("scored above but not counted (in-sample, or its sources conflict):")
    lines += [f"  {row['status']}: {row['label']}: {row['why']}" for row in others]
    return "\n".join(lines)


def summary(table: pd.DataFrame) -> str:
    """The scores over the entries scored out of sample, and how coarse they are."""
    out = table[table["status"] == "out"]
    directed = out[out["direction_ok"].notna()]
    text = (
        f"\nout of sample: {int(out['inside'].sum())} of {len(out)} records inside the 90% "
        f"band, {int(directed['direction_ok'].sum())} of {len(directed)} directions right"
    )
    if len(out) < 20:
        text += (
            f" ({len(out)} series: a coverage of 90% cannot be told from 50% or 100% with so few)"
        )
    worlds = table.attrs.get("worlds")
    if worlds:
        text += f"\n{worlds} worlds, seed {table.attrs['seed']}, assumptions drawn per world"
    return text


def write_backtest(table: pd.DataFrame, claim) -> Path:
    """backtest.csv into a claimed output folder (kind "backtest"), with a manifest listing
    it, moved into place whole; returns the folder."""
    table.to_csv(claim.work / "backtest.csv", index=False, float_format="%.6g")
    write_listing(claim.work, "backtest", ["backtest.csv"])
    return claim.commit()
