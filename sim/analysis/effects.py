"""Paired effects over worlds, reported as an analyst can use them.

World i of run a and world i of run b share their random draws (and, when assumptions are drawn
per world, their assumptions), so a - b in world i is the effect of the scenario in that world.
Over the worlds an effect has a mean with its Monte Carlo interval (how sure the mean is), a
spread (how much the effect itself varies from world to world: with the dice, and with the
declared assumptions when each world draws its own), a share of worlds with a gain, and a size
relative to the baseline's level. An effect is negligible when it is small against that level.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats

from sim.results.dataset import Results
from sim.results.reduce import QUANTILES, world_quantiles

CONFIDENCE = 0.95
# An effect is negligible below 2% of the baseline's level (a fiftieth of what the holder has),
# or below the floor: 0.001, one unit of the third decimal to which every table prints the index.
NEGLIGIBLE_SHARE = 0.02
NEGLIGIBLE_FLOOR = 0.001
SPREAD = dict(zip(("diff_q05", "diff_median", "diff_q95"), QUANTILES, strict=True))
VERBS = {  # what a holder sees, by effect; `where` says over what and when, or nothing
    "none": "has the same influence{where} in every world",
    "gain": "gains influence{where}",
    "loss": "loses influence{where}",
    "mixed": "gains influence{where} in some worlds and loses it in others",
    "negligible": "sees a negligible change of influence{where}",
    "unclear": "sees no clear change of influence{where}",
}


def mean_interval(values: xr.DataArray, confidence: float = CONFIDENCE) -> xr.Dataset:
    """Mean over worlds with its Student t confidence interval (mean, ci_low, ci_high), in
    float64; the interval is NaN for one world."""
    values = values.astype("float64")
    n = values.sizes["world"]
    mean = values.mean("world")
    if n < 2:
        nan = xr.full_like(mean, np.nan)
        return xr.Dataset({"mean": mean, "ci_low": nan, "ci_high": nan})
    half = stats.t.ppf(0.5 + confidence / 2, df=n - 1) * values.std("world", ddof=1) / np.sqrt(n)
    return xr.Dataset({"mean": mean, "ci_low": mean - half, "ci_high": mean + half})


def paired_effects(a: xr.DataArray, b: xr.DataArray, confidence: float = CONFIDENCE) -> xr.Dataset:
    """The effect a - b over the worlds both share, `a` and `b` (month, world, ...): both means
    (mean_a, mean_b), the mean `difference` with its interval (ci_low, ci_high), its 5%, 50% and
    95% quantiles across worlds (diff_q05, diff_median, diff_q95), the share of worlds where a
    ends higher (share_positive) and the difference relative to mean_b (`relative`); (month,
    ...), computed."""
    a, b = a.astype("float64"), b.astype("float64")
    difference = a - b
    spread = world_quantiles(difference, tuple(SPREAD.values()))
    found = mean_interval(difference, confidence).rename(mean="difference")
    found = found.assign(
        mean_a=a.mean("world"),
        mean_b=b.mean("world"),
        share_positive=(difference > 0).mean("world"),
        **{name: spread.sel(quantile=q, drop=True) for name, q in SPREAD.items()},
    ).compute()
    return found.assign(relative=relative_effect(found.difference, found.mean_b))


def relative_effect(difference, level):
    """difference / level, NaN where the level is below NEGLIGIBLE_FLOOR (a share of almost
    nothing says nothing)."""
    return difference / level.where(level >= NEGLIGIBLE_FLOOR)


def negligible_below(level, share: float = NEGLIGIBLE_SHARE, floor: float = NEGLIGIBLE_FLOOR):
    """The size under which an effect on a holder at `level` (the baseline's mean) is negligible:
    `share` of the level, and never less than `floor`."""
    return np.maximum(share * np.abs(level), floor)


def label_effects(
    rows: pd.DataFrame, share: float = NEGLIGIBLE_SHARE, floor: float = NEGLIGIBLE_FLOOR
) -> pd.DataFrame:
    """`rows` (of paired_effects) with `negligible_below` and an `effect` each:

    - 'none': no world differs;
    - 'gain' or 'loss': the interval of the mean excludes zero and the mean is not negligible;
    - 'mixed': otherwise, when the effect is beyond negligible both ways across worlds (its 5%
      quantile a loss, its 95% a gain): a small mean that hides effects of both signs;
    - 'negligible': the mean is negligible and sure to be (its interval excludes zero or lies
      within the negligible band);
    - 'unclear': the interval covers zero and reaches beyond the negligible band.
    """
    threshold = negligible_below(rows.mean_b, share, floor)
    certain = (rows.ci_low > 0) | (rows.ci_high < 0)
    small = rows.difference.abs() < threshold
    within = (rows.ci_low > -threshold) & (rows.ci_high < threshold)
    both_ways = (rows.diff_q05 <= -threshold) & (rows.diff_q95 >= threshold)
    none = (rows.difference == 0) & (rows.ci_low == 0) & (rows.ci_high == 0)
    effect = np.select(
        [none, certain & ~small & (rows.difference > 0), certain & ~small, both_ways,
         small & (certain | within)],
        ["none", "gain", "loss", "mixed", "negligible"],
        "unclear",
    )  # fmt: skip
    return rows.assign(negligible_below=threshold, effect=effect)


def signed(value: float) -> str:
    """An effect on the index as printed everywhere: a sign and three decimals (0.000 when it
    rounds to nothing)."""
    return f"{value:+.3f}" if abs(value) >= 0.0005 else "0.000"


def earned_decimals(width: float, size: float = 0.0) -> int:
    """The decimals a number earns: two significant digits of `width`, the spread of what it
    estimates (e.g. an effect's 5-95% across worlds); with no spread, three of `size`."""
    scale = abs(width) if width else abs(size)
    if not np.isfinite(scale) or scale == 0:
        return 0
    return max(0, 1 - int(np.floor(np.log10(scale))) + (0 if width else 1))


def effect_decimals(row) -> int:
    """The decimals a paired effect earns (a row with diff_q05, diff_q95, mean_a, mean_b): two
    significant digits of its 5-95% across worlds; where every world agrees, three of the
    larger level."""
    return earned_decimals(row.diff_q95 - row.diff_q05, max(abs(row.mean_a), abs(row.mean_b)))


def rounded(value: float, decimals: int, sign: bool = False) -> str:
    """`value` to `decimals` decimals, with its sign if asked; 0 when it rounds to nothing."""
    text = f"{value:{'+' if sign else ''}.{decimals}f}"
    return "0" if float(text) == 0 else text


def percent(value: float) -> str:
    """A relative effect as a whole percentage with its sign (0% when it rounds to nothing)."""
    return f"{value:+.0%}" if abs(value) >= 0.005 else "0%"


def effect_words(row) -> str:
    """One effect (a row of label_effects) as an analyst reads it first: the share of worlds
    where it is a gain, its mean [interval of the mean], its spread across worlds (5% to 95%),
    and its size against the baseline's level."""
    if np.isfinite(row.relative):
        level = f"{percent(row.relative)} of its level {row.mean_b:.3f}"
    else:
        level = f"at a level below {NEGLIGIBLE_FLOOR}"
    return (
        f"higher in {row.share_positive:.0%} of worlds; {signed(row.difference)} on average "
        f"[{signed(row.ci_low)}, {signed(row.ci_high)}]; {signed(row.diff_q05)} to "
        f"{signed(row.diff_q95)} across worlds (5-95%); {level}"
    )


def effect_sentence(row, where: str = "") -> str:
    """'HOLDER gains influence WHERE: effect_words' (or another verb of VERBS) for a row of
    label_effects; `where` e.g. ' over AFG by 2027-12'."""
    head = f"{row.holder} {VERBS[row.effect].format(where=where)}"
    return head if row.effect == "none" else f"{head}: {effect_words(row)}"


def spread_source(*runs: Results) -> str:
    """Where the spread of an effect across these runs' worlds comes from, in words."""
    if any(res.assumptions == "drawn" for res in runs):
        return "the declared assumptions (drawn per world) and the dice"
    return "the dice alone (every world has the same assumptions)"


def legend(confidence: float, *runs: Results) -> str:
    """What the numbers of effect_words are, and the negligible rule, in two sentences."""
    return (
        f"Each effect: the share of worlds where it is a gain; its mean [{confidence:.0%} "
        f"interval of the mean]; its 5% to 95% across worlds, a spread that comes from "
        f"{spread_source(*runs)}; the mean against the baseline's level. Negligible: under "
        f"{NEGLIGIBLE_SHARE:.0%} of that level, or under {NEGLIGIBLE_FLOOR}."
    )
