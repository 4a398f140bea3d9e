"""The explore panel's numbers: which drawn assumptions the shown outcome depends on, and, on
demand, the box of assumptions where a power leads. Nothing here knows Solara.

The outcome is one power's influence over the state shown at the last month, a number per world
of the full ensemble. Its given-data sensitivity (PAWN, sim.analysis.given_data) ranks the
drawn assumptions without resampling: fast enough to follow every full run (docs/app.md), with
the noise floor (the largest index of inputs of pure noise) but no interval. PRIM
(sim.analysis.discovery) finds where the power leads: its influence above the largest other
holder's (the powers, and over the host the neighbours holding influence over it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis.discovery import discover
from sim.analysis.given_data import NOISE_INPUTS, ensemble_sensitivity
from sim.errors import MissingDependencyError
from sim.results.dataset import Results

TOP = 10  # inputs listed before "show all"
FIXED = (
    "Every world of this run takes the same assumptions (assumptions fixed): nothing varies "
    "across worlds to tell which assumption matters. Set the assumptions to drawn, in the "
    "sidebar, to see which ones the outcome depends on."
)
NOTHING_DRAWN = "No assumption varies across the worlds of this run: there is nothing to rank."


def significant(value: float, digits: int = 2) -> str:
    """A number to `digits` significant digits, trailing zeros kept, never in exponent
    notation (0.0061, 0.20, 12)."""
    text = f"{value:#.{digits}g}"
    if "e" in text:
        text = np.format_float_positional(float(f"{value:.{digits}g}"), trim="-")
    return text.rstrip(".")


def share(part: int, whole: int) -> str:
    """A share of worlds as a whole percentage, never rounded to 0% or 100%."""
    ratio = part / whole
    if 0 < ratio < 0.01:
        return "under 1%"
    return "over 99%" if 0.99 < ratio < 1 else f"{ratio:.0%}"


@dataclass(frozen=True)
class Ranked:
    """One drawn input: its name, scenario label, index and whether it lies above the floor."""

    name: str
    label: str
    index: float
    distinguishable: bool


@dataclass(frozen=True)
class Ranking:
    """What the outcome depends on: the inputs, the largest index first, and the noise floor;
    or, when nothing was computed, `message` says why."""

    outcome: str
    worlds: int
    inputs: tuple[Ranked, ...] = ()
    noise: float = float("nan")
    seconds: float = 0.0
    message: str = ""

    @property
    def above(self) -> int:
        """How many inputs lie above the noise floor."""
        return sum(item.distinguishable for item in self.inputs)

    @property
    def by_chance(self) -> float:
        """How many inputs would lie above the floor if none mattered: each is then as likely
        as any of the NOISE_INPUTS noise inputs to score highest of them all."""
        return len(self.inputs) / (NOISE_INPUTS + 1)


@dataclass(frozen=True)
class Box:
    """The PRIM box of the worlds where a power leads, as lines of text, with its coverage
    and density; or, when there is no box to find, `message` says why."""

    power: str
    state: str
    lines: tuple[str, ...] = ()
    coverage: float = float("nan")
    density: float = float("nan")
    message: str = ""


def last_influence(res: Results, holder: str, state: str) -> pd.Series:
    """`holder`'s influence over `state` at the last month, a value per world."""
    values = res.influence_of(holder, state).isel(month=-1).values.astype(np.float64)
    return pd.Series(values, name=f"{holder}'s influence over {state}, {res.dates[-1]:%Y-%m}")


def leader(res: Results, state: str) -> str:
    """The power with the highest median influence over `state` at the last month."""
    powers = res.labels("power")
    medians = [float(np.median(last_influence(res, p, state))) for p in powers]
    return powers[int(np.argmax(medians))]


def lead(res: Results, power: str, state: str) -> pd.Series:
    """Per world, `power`'s influence over `state` at the last month minus the largest other
    holder's: above 0 where it leads."""
    others = [h for h in res.holders_over(state) if h != power]
    rival = np.max([last_influence(res, h, state).to_numpy() for h in others], axis=0)
    margin = last_influence(res, power, state).to_numpy() - rival
    return pd.Series(margin, name=f"{power}'s lead over {state}'s next holder")


def ranking(res: Results, state: str, power: str) -> Ranking:
    """The drawn assumptions ranked by `power`'s influence over `state` at the last month
    depending on them (PAWN, no resampling); in a fixed run the message why there is none."""
    y = last_influence(res, power, state)
    if res.assumptions != "drawn":
        return Ranking(str(y.name), res.worlds, message=FIXED)
    start = time.perf_counter()
    try:
        found = ensemble_sensitivity(res, y, resamples=0)
    except ValueError:  # nothing drawn varies: a scenario without uncertainties
        return Ranking(str(y.name), res.worlds, message=NOTHING_DRAWN)
    table = found.ranked(str(y.name))
    inputs = tuple(
        Ranked(str(name), str(row.label), float(row["index"]), bool(row.distinguishable))
        for name, row in table.iterrows()
    )
    noise = float(table.noise.iloc[0])
    return Ranking(str(y.name), res.worlds, inputs, noise, time.perf_counter() - start)


def lead_box(res: Results, state: str, power: str) -> Box:
    """The PRIM box of drawn assumptions where `power` leads over `state` at the last month."""
    if res.assumptions != "drawn":
        return Box(power, state, message=FIXED)
    margin = lead(res, power, state)
    leads = int((margin > 0).sum())
    where = f"{power} leads over {state} at {res.dates[-1]:%Y-%m} in {leads} of {res.worlds} worlds"
    if leads in (0, res.worlds):
        return Box(power, state, message=f"{where}: there is no box to find.")
    try:
        found = discover(res, margin, above=0)
    except MissingDependencyError as err:
        return Box(power, state, message=f"The box {err.message}.")
    except ValueError:  # nothing drawn varies
        return Box(power, state, message=NOTHING_DRAWN)
    return Box(
        power,
        state,
        (f"{where} ({share(leads, res.worlds)}).", *found.describe().splitlines()[1:]),
        found.coverage,
        found.density,
    )
