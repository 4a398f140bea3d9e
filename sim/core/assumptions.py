"""Assumptions drawn per world: in drawn mode each world draws every uncertainty a scenario
declares (and every set of shares) once, from its distribution.

Each draw is a pure function of (seed, world, uncertainty name), by the counter-based randoms of
sim.core.rng: a world draws the same assumptions whatever block, worker count or executor it
runs in, and in every scenario that declares them, so paired comparisons share assumptions as
well as dice. `with_draws` writes a block's draws into a copy of the scenario as arrays over its
worlds, from which sim.core.params compiles parameters with a leading world axis.
"""

from __future__ import annotations

from collections import defaultdict
from fnmatch import fnmatch

import numpy as np
from pydantic import BaseModel
from scipy import stats

from sim.core import rng
from sim.errors import ScenarioError
from sim.scenario.paths import get_path, item_key
from sim.scenario.schema import Scenario, Uncertainty
from sim.scenario.vocab import ASSUMPTION_MODES

DRAWN, FIXED = ASSUMPTION_MODES


# What a world cannot draw, and why: the numbers that set state every world shares (scheduled
# events change it alike in every world) or that the compiler combines across flows.
_ANCHOR = "an anchor of state that scheduled events move alike in every world"
NOT_DRAWN = {
    "relations.*.security": _ANCHOR,
    "relations.*.economic": _ANCHOR,
    "relations.*.diplomatic": _ANCHOR,
    "relations.*.aid": _ANCHOR,
    "actors.*.sanctions": _ANCHOR,
    "migration.*.capacity": _ANCHOR,
    "events.*": "a scheduled event, the same in every world",
    "trade.*": "a flow's start-year trade, from which every market's shares are compiled",
    "crossings.*.fee": "a transit fee, compiled into each flow's fee per dollar",
    "commodities.*.price": "a price, compiled into each flow's fee per dollar",
    "actors.*.exposure": "exposure, compiled into every shock's effects",
    "dynamics.spillover": "spillover, compiled into every shock's effects",
    "networks.*.event_boost": "a network's event boost, compiled into every shock's effects",
}


def check_assumptions(mode: str) -> None:
    """Refuse a mode of assumptions other than drawn or fixed."""
    if mode not in ASSUMPTION_MODES:
        raise ScenarioError(
            "assumptions", f"{mode!r} is not a mode; allowed: {', '.join(ASSUMPTION_MODES)}"
        )


def check_drawable(scenario: Scenario) -> None:
    """Refuse, before a drawn run, an uncertainty on a number a world cannot draw alone."""
    for column, path in drawn_paths(scenario).items():
        for pattern, why in NOT_DRAWN.items():
            if matches(path, pattern):
                raise ScenarioError(
                    f"uncertainties ({column.split('.')[0]})",
                    f"{path} cannot be drawn per world: it is {why}; run with --assumptions "
                    "fixed (a sweep may still vary it) or drop the uncertainty",
                )


def matches(path: str, pattern: str) -> bool:
    """A dotted path matches a pattern of as many segments, `*` standing for one segment; a
    path ending in `.value` also matches without it (both spell a Quantity)."""
    segments = path.removesuffix(".value").split(".")
    wanted = pattern.split(".")
    return len(segments) == len(wanted) and all(map(fnmatch, segments, wanted))


def drawn_paths(scenario: Scenario) -> dict[str, str]:
    """The path of every column a world draws: each uncertainty by name, each share as
    NAME.PART; in declaration order."""
    paths = {u.name: u.path for u in scenario.uncertainties}
    for shares in scenario.shares:
        paths.update(zip(shares.parts, shares.paths, strict=True))
    return paths


def draw(
    scenario: Scenario, seed: int, worlds: np.ndarray, mode: str = DRAWN
) -> dict[str, np.ndarray]:
    """Every column's value, (R,) each, in the worlds with global indices `worlds`. Drawn, an
    uncertainty is the quantile of its distribution at one uniform, and shares a Dirichlet
    around the written shares (normalised gamma quantiles) kept at their written sum; fixed,
    and for the uncertainties a sweep point pinned, each column is its written value."""
    worlds = np.asarray(worlds, dtype=np.uint64)
    data = scenario.at_reference().model_dump(mode="json")
    as_written = {item.name: float(get_path(data, item.path)) for item in scenario.uncertainties}
    drawn = [
        item
        for item in scenario.uncertainties
        if mode == DRAWN and item.name not in scenario.pinned
    ]
    units = _uniforms(seed, worlds, [item.name for item in drawn])
    quantiles = _quantiles(drawn, units, as_written)
    draws: dict[str, np.ndarray] = {
        name: quantiles[name] if name in quantiles else np.full(len(worlds), value)
        for name, value in as_written.items()
    }
    for shares in scenario.shares:
        written = np.array([float(get_path(data, path)) for path in shares.paths])
        if mode == FIXED:
            values = np.broadcast_to(written, (len(worlds), len(written)))
        else:
            alpha = shares.concentration * written / written.sum()
            gammas = stats.gamma.ppf(_uniforms(seed, worlds, shares.parts), alpha)
            gammas = np.maximum(gammas, np.finfo(float).tiny)  # a zero row cannot be normalised
            values = gammas / gammas.sum(axis=1, keepdims=True) * written.sum()
        draws.update(zip(shares.parts, np.array(values.T), strict=True))
    return draws


def _quantiles(
    items: list[Uncertainty], units: np.ndarray, written: dict[str, float]
) -> dict[str, np.ndarray]:
    """Each uncertainty's quantiles at its column of `units` (R, len(items)). The uncertainties
    of one scipy distribution take theirs in one call, with their parameters as arrays: a call
    costs 0.3 ms whatever its size, and each element is computed as in a call of its own."""
    quantiles, groups = {}, defaultdict(list)
    for column, item in enumerate(items):
        if item.values is not None or item.high == item.low:  # no scipy distribution
            quantiles[item.name] = item.from_unit(units[:, column], written[item.name])
        else:
            distribution, parameters = item.distribution_parameters(written[item.name])
            groups[distribution].append((column, item.name, parameters))
    for distribution, members in groups.items():
        columns, names, parameters = zip(*members, strict=True)
        arrays = {key: np.array([each[key] for each in parameters]) for key in parameters[0]}
        values = distribution.ppf(units[:, list(columns)], **arrays)
        quantiles.update(zip(names, values.T.copy(), strict=True))
    return quantiles


def _uniforms(seed: int, worlds: np.ndarray, names: list[str]) -> np.ndarray:
    """(R, len(names)) uniforms keyed by (seed, world, name): month 0 of the assumptions stream."""
    return rng.uniform(seed, worlds, 0, rng.Stream.ASSUMPTIONS, rng.label_keys(names))


def with_draws(scenario: Scenario, draws: dict[str, np.ndarray]) -> Scenario:
    """A copy of the scenario whose drawn numbers are arrays over the block's worlds. Only the
    nodes on a drawn path are copied (a deep copy of the whole scenario cost 7 ms a block). It
    is not validated again (a validated scenario and ranges checked at both ends make every
    draw valid) and serves only to compile parameters (sim.core.params.compile_scenario)."""
    copy = scenario
    for column, path in drawn_paths(scenario).items():
        if column in draws:
            value = np.asarray(draws[column], dtype=np.float64)
            copy = _replaced(copy, path.split("."), value)
    return copy


def _replaced(node, segments: list[str], value: np.ndarray):
    """A copy of `node` (a pydantic model or a list of them) with `value` at the path of
    `segments`, a Quantity's value or a number; what the path does not pass is shared."""
    head, *rest = segments
    if isinstance(node, list):
        index = next(i for i, item in enumerate(node) if item_key(item.__dict__) == head)
        items = list(node)
        items[index] = _replaced(node[index], rest, value)
        return items
    child = getattr(node, head)
    if rest:
        value = _replaced(child, rest, value)
    elif isinstance(child, BaseModel) and "value" in type(child).model_fields:
        value = _replaced(child, ["value"], value)
    copy = node.model_copy()
    object.__setattr__(copy, head, value)  # scenarios are frozen; this copy is private
    return copy


def stack(values) -> np.ndarray:
    """Numbers as one array, (n,); where some are drawn arrays over R worlds (a scenario from
    sim.core.assumptions.with_draws), (R, n): the world axis leads, as in the state."""
    values = [np.asarray(v, dtype=np.float64) for v in values]
    if all(v.ndim == 0 for v in values):
        return np.array(values, dtype=np.float64).reshape(len(values))
    return np.stack(np.broadcast_arrays(*values), axis=-1)


def grid(shape: tuple[int, ...], cells: dict[tuple, object]) -> np.ndarray:
    """An array of `shape` with the given cells set (zeros elsewhere); (R, *shape) where a
    cell holds a drawn array over R worlds."""
    worlds = {np.shape(v)[0] for v in cells.values() if np.ndim(v) == 1}
    out = np.zeros((*worlds, *shape))
    for cell, value in cells.items():
        out[(..., *cell)] = value
    return out


def per_world(value, ndim: int):
    """A scalar parameter ready to meet an array of `ndim` dims led by the worlds: a number as
    it is; drawn, its (R,) array as (R, 1, ..., 1). Only for parameters that are one number."""
    if np.ndim(value) == 0:
        return value
    return np.reshape(value, (-1,) + (1,) * (ndim - 1))
