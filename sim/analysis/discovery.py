"""Scenario discovery: the region of assumptions (and a batch's levers) where an outcome meets
a condition, found among the worlds of a drawn ensemble, each world one experiment.

PRIM (Friedman and Fisher 1999, as Bryant and Lempert 2010 use it for scenario discovery) peels
the box from all worlds towards the worlds of interest; CART (a classification tree) splits
them instead. Both are the EMA Workbench's. A box is judged by its coverage (the share of the
worlds of interest inside it) and its density (the share of the worlds inside it that are of
interest). Each restriction is tested as Bryant and Lempert do: a one-sided binomial test of
the box's worlds of interest against the density of the box without that restriction; the
restrictions that do not pass are dropped, the least significant first.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis.experiments import Input, inputs, outcome_of
from sim.optional import ema_workbench
from sim.results.collection import BatchResults
from sim.results.dataset import Results
from sim.results.folder import write_listing

METHODS = ("prim", "cart")
DENSITY = 0.8  # the density a chosen PRIM box should reach: 4 in 5 of its worlds of interest
SIGNIFICANCE = 0.05  # a restriction whose quasi-p value is above this is dropped
MASS_MIN = 0.05  # the smallest box: 5% of the worlds
MAX_RESTRICTIONS = 5  # a box an analyst can read and act on restricts few inputs


@dataclass
class Condition:
    """Which worlds are of interest: the outcome below or above a value, or the top or bottom
    share of worlds."""

    below: float | None = None
    above: float | None = None
    top: float | None = None
    bottom: float | None = None

    def __post_init__(self):
        given = {k: v for k, v in vars(self).items() if v is not None}
        if len(given) != 1:
            raise ValueError("give exactly one of below, above, top or bottom")
        for name in ("top", "bottom"):
            share = given.get(name)
            if share is not None and not 0 < share < 1:
                raise ValueError(f"{name} is a share of worlds, between 0 and 1 (got {share})")

    def of_interest(self, y: np.ndarray) -> tuple[np.ndarray, str]:
        """Which worlds are of interest, and the condition in words."""
        if self.below is not None:
            return y < self.below, f"below {self.below:g}"
        if self.above is not None:
            return y > self.above, f"above {self.above:g}"
        share = self.top if self.top is not None else self.bottom
        cut = np.quantile(y, 1 - share if self.top is not None else share)
        if self.top is not None:
            return y > cut, f"in the top {share:.0%} of worlds (above {cut:.3g})"
        return y < cut, f"in the bottom {share:.0%} of worlds (below {cut:.3g})"


@dataclass
class Discovery:
    """A box of inputs where the worlds of interest gather.

    `restrictions`: a row per restricted input (label, unit, the box's low and high, the range
    over all worlds, the quasi-p value); `trajectory`: PRIM's peeling trajectory (or CART's
    leaves), a row per candidate box with coverage, density, mass and restricted inputs, the
    chosen one marked; `coverage`, `density`, `mass` of the chosen box."""

    method: str
    outcome: str
    condition: str
    worlds: int
    of_interest: int
    coverage: float
    density: float
    mass: float
    restrictions: pd.DataFrame
    trajectory: pd.DataFrame
    target: float  # the density asked for
    inputs: dict[str, Input] = field(repr=False)

    def describe(self) -> str:
        """The box in words."""
        lines = [
            f"{self.outcome} {self.condition}: {self.of_interest} of {self.worlds} worlds "
            f"({self.of_interest / self.worlds:.0%}).",
            f"{self.method.upper()} box: coverage {self.coverage:.2f} (share of those worlds "
            f"inside it), density {self.density:.2f} (share of its worlds that are of "
            f"interest), mass {self.mass:.2f} (share of all worlds inside it).",
        ]
        base = self.of_interest / self.worlds
        if self.density < self.target:
            lines.append(
                f"No readable box reaches density {self.target:.2f}: these worlds are spread "
                f"over many assumptions ({self.density:.2f} in the box against {base:.2f} in "
                "all worlds)."
            )
        if self.restrictions.empty:
            lines.append("No restriction passes the significance test: no box singles them out.")
        for row in self.restrictions.itertuples():
            unit = f" {row.unit}" if row.unit and row.unit != "share" else ""
            lines.append(
                f"  {row.label} ({row.Index}): {_bounds(row)}{unit}, of {row.range_low:.3g} to "
                f"{row.range_high:.3g} (quasi-p {self.p_text(row.p_value)})"
            )
        return "\n".join(lines)

    @staticmethod
    def p_text(value: float) -> str:
        """A p value to the precision it has: one digit, and no smaller than 0.001."""
        return "< 0.001" if value < 0.001 else f"{value:.1g}"

    def plot(self, axes=None):
        """Two panels: the trajectory (coverage against density) and the chosen box's
        restrictions as parts of each input's range."""
        from sim.analysis.figures import discovery_chart

        return discovery_chart(self, axes)


def write_discovery(discovery: Discovery, claim, inputs: list[Path]) -> list[str]:
    """box.csv, trajectory.csv, discovery.png and discovery.txt into a claimed output folder
    (sim.results.folder: checked before any work, moved into place whole); the names."""
    names = ["box.csv", "trajectory.csv", "discovery.png", "discovery.txt"]
    discovery.restrictions.to_csv(claim.work / names[0])
    discovery.trajectory.to_csv(claim.work / names[1], index_label="box")
    discovery.plot().savefig(claim.work / names[2], dpi=110, bbox_inches="tight")
    (claim.work / names[3]).write_text(discovery.describe() + "\n")
    write_listing(claim.work, "discovery", names, of=[str(p) for p in inputs])
    claim.commit()
    return names


def discover(
    results: Results | BatchResults,
    outcome,
    *,
    below: float | None = None,
    above: float | None = None,
    top: float | None = None,
    bottom: float | None = None,
    against: Results | None = None,
    method: str = "prim",
    density: float = DENSITY,
    mass_min: float = MASS_MIN,
    significance: float = SIGNIFICANCE,
    max_restrictions: int = MAX_RESTRICTIONS,
    box: int | None = None,
) -> Discovery:
    """The box of drawn assumptions (and a batch's levers) where `outcome` meets the condition.

    `outcome`: a declared outcome's name, an outcome spec, or values per world; with `against`
    (a run of the same worlds), the paired effect on it. PRIM chooses, among the boxes of its
    trajectory that restrict at most `max_restrictions` inputs, the one of greatest coverage
    whose density reaches `density` (else the densest); CART its densest leaf (of at least
    `mass_min` of the worlds). `box` chooses a row of the trajectory instead. Restrictions
    whose quasi-p value is above `significance` are then dropped, the least significant first.

    Example::

        res = sim.run(sim.load_scenario("baseline"), worlds=2000, seed=1)
        d = discover(res, "china_over_afghanistan", top=0.2)
        print(d.describe()); d.plot()
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; methods: {', '.join(METHODS)}")
    x, described = inputs(results)
    y = outcome_of(results, outcome, against)
    interest, words = Condition(below, above, top, bottom).of_interest(y.to_numpy())
    if not 0 < interest.sum() < len(interest):
        share = "every" if interest.all() else "no"
        raise ValueError(f"{y.name} is {words} in {share} world: nothing to discover")
    find = _prim if method == "prim" else _cart
    boxes, trajectory = find(x, interest, mass_min)
    chosen = _choose(trajectory, density, max_restrictions) if box is None else box
    if chosen not in trajectory.index:
        raise ValueError(f"no box {chosen}: the trajectory has boxes 0 to {len(trajectory) - 1}")
    trajectory["chosen"] = trajectory.index == chosen
    lims = _limits(boxes[chosen], x)
    lims = _prune(x, interest, lims, significance)
    inside = _inside(x, lims)
    restrictions = _restrictions(x, interest, lims, described)
    return Discovery(
        method=method,
        outcome=str(y.name),
        condition=words,
        worlds=len(y),
        of_interest=int(interest.sum()),
        coverage=float(interest[inside].sum() / interest.sum()),
        density=float(interest[inside].mean()),
        mass=float(inside.mean()),
        restrictions=restrictions,
        trajectory=trajectory,
        target=density,
        inputs=described,
    )


def _choose(trajectory: pd.DataFrame, density: float, max_restrictions: int) -> int:
    """Among the boxes of few enough restrictions, the greatest coverage at the density asked,
    else the densest."""
    readable = trajectory[trajectory.restricted <= max_restrictions]
    reaching = readable[readable.density >= density]
    return int(reaching.coverage.idxmax() if len(reaching) else readable.density.idxmax())


def _prim(x: pd.DataFrame, interest: np.ndarray, mass_min: float):
    """The boxes of PRIM's peeling and pasting trajectory, and their statistics."""
    prim = ema_workbench("discover --method prim", "analysis.prim")
    options = {"mass_min": mass_min}
    if "threshold" in inspect.signature(prim.Prim.__init__).parameters:
        options["threshold"] = 0.5  # 2.5: counts y >= it as of interest, keeps a box this dense
    box = prim.Prim(x, interest.astype(int), **options).find_box()
    trajectory = box.peeling_trajectory[["coverage", "density", "mass", "res_dim"]]
    trajectory = trajectory.astype(float).astype({"res_dim": int})
    return box.box_lims, trajectory.rename(columns={"res_dim": "restricted"})


def _cart(x: pd.DataFrame, interest: np.ndarray, mass_min: float):
    """The boxes of CART's leaves, and their statistics."""
    cart = ema_workbench("discover --method cart", "analysis.cart")
    tree = cart.CART(x, interest.astype(int), mass_min=mass_min)
    tree.build_tree()
    leaves = pd.DataFrame(tree.stats)[["coverage", "density", "mass", "res dim"]]
    leaves = leaves.astype(float).astype({"res dim": int})
    return tree.boxes, leaves.rename(columns={"res dim": "restricted"})


def _limits(box_lims: pd.DataFrame, x: pd.DataFrame) -> dict:
    """The restricted inputs of an EMA box: name -> (low, high), or a set of categories."""
    lims = {}
    for name in x.columns:
        if isinstance(x[name].dtype, pd.CategoricalDtype):
            kept = set(box_lims.loc[0, name])
            if kept != set(x[name].cat.categories):
                lims[name] = kept
            continue
        low, high = float(box_lims.loc[0, name]), float(box_lims.loc[1, name])
        if low > x[name].min() or high < x[name].max():
            lims[name] = (low, high)
    return lims


def _inside(x: pd.DataFrame, lims: dict) -> np.ndarray:
    inside = np.ones(len(x), dtype=bool)
    for name, limit in lims.items():
        if isinstance(limit, set):
            inside &= x[name].isin(limit).to_numpy()
        else:
            inside &= x[name].between(*limit).to_numpy()
    return inside


def _quasi_p(x: pd.DataFrame, interest: np.ndarray, lims: dict, name: str) -> float:
    """The chance of at least the box's worlds of interest, among its worlds, at the density of
    the box without the restriction on `name` (one-sided binomial, Bryant and Lempert 2010)."""
    inside = _inside(x, lims)
    relaxed = _inside(x, {k: v for k, v in lims.items() if k != name})
    rate = interest[relaxed].mean()
    return float(stats.binom.sf(interest[inside].sum() - 1, inside.sum(), rate))


def _prune(x: pd.DataFrame, interest: np.ndarray, lims: dict, significance: float) -> dict:
    """Drop the restrictions that do not pass the test, the least significant first."""
    lims = dict(lims)
    while lims:
        p = {name: _quasi_p(x, interest, lims, name) for name in lims}
        worst = max(p, key=p.get)
        if p[worst] <= significance:
            break
        del lims[worst]
    return lims


def _restrictions(x, interest, lims: dict, described: dict[str, Input]) -> pd.DataFrame:
    rows = []
    for name, limit in lims.items():
        item = described[name]
        row = {"input": name, "label": item.label, "unit": item.unit, "kind": item.kind}
        if isinstance(limit, set):
            row |= {"low": np.nan, "high": np.nan, "categories": ", ".join(sorted(limit))}
            row |= {"range_low": np.nan, "range_high": np.nan}
        else:
            row |= {"low": limit[0], "high": limit[1], "categories": ""}
            row |= {"range_low": float(x[name].min()), "range_high": float(x[name].max())}
        row["p_value"] = _quasi_p(x, interest, lims, name)
        rows.append(row)
    columns = ["input", "label", "unit", "kind", "low", "high", "categories", "range_low",
               "range_high", "p_value"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns).set_index("input").sort_values("p_value")


def _bounds(row) -> str:
    if row.categories:
        return f"one of {row.categories}"
    if row.low > row.range_low and row.high < row.range_high:
        return f"from {row.low:.3g} to {row.high:.3g}"
    return f"below {row.high:.3g}" if row.low <= row.range_low else f"above {row.low:.3g}"
