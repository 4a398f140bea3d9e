"""Assumptions drawn per world: in drawn mode each world draws every uncertainty a scenario
declares (and every set of shares) once, from its distribution.

Each draw is a pure function of (seed, world, uncertainty name), by the counter-based randoms of
sim.core.rng: a world draws the same assumptions whatever block, worker count or executor it
runs in, and in every scenario that declares them, so paired comparisons share assumptions as
well as dice. `with_draws` writes a block's draws into a copy of the scenario as arrays over its
worlds, from which sim.core.params compiles parameters with a leading world axis.
"""

from __future__ import annotations

from fnmatch import fnmatch

import numpy as np
from pydantic import BaseModel
from scipy import stats

from sim.core import rng
from sim.errors import ScenarioError
from sim.scenario.paths import get_path, item_key
from sim.scenario.schema import Scenario
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
    draws: dict[str, np.ndarray] = {}
    for item in scenario.uncertainties:
        written = float(get_path(data, item.path))
        if mode == FIXED or item.name in scenario.pinned:
            draws[item.name] = np.full(len(worlds), written)
        else:
            draws[item.name] = item.from_unit(_uniforms(seed, worlds, [item.name])[:, 0], written)
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


def _uniforms(seed: int, worlds: np.ndarray, names: list[str]) -> np.ndarray:
    """(R, len(names)) uniforms keyed by (seed, world, name): month 0 of the assumptions stream."""
    return rng.uniform(seed, worlds, 0, rng.Stream.ASSUMPTIONS, rng.label_keys(names))


def with_draws(scenario: Scenario, draws: dict[str, np.ndarray]) -> Scenario:
    """A copy of the scenario whose drawn numbers are arrays over the block's worlds. It is not
    validated again (a validated scenario and ranges checked at both ends make every draw
    valid) and serves only to compile parameters (sim.core.params.compile_scenario)."""
    if not draws:
        return scenario
    copy = scenario.model_copy(deep=True)
    for column, path in drawn_paths(scenario).items():
        if column in draws:
            _set(copy, path, np.asarray(draws[column], dtype=np.float64))
    return copy


def _set(model: BaseModel, path: str, value: np.ndarray) -> None:
    """Write `value` at a dotted path of a pydantic model (a Quantity's value, or a number)."""
    *parents, last = path.split(".")
    node = model
    for segment in parents:
        node = _child(node, segment)
    target = _child(node, last)
    if isinstance(target, BaseModel) and "value" in type(target).model_fields:
        node, last = target, "value"
    object.__setattr__(node, last, value)  # scenarios are frozen; this copy is private


def _child(node, segment: str):
    """A model's field, or the list item whose key (sim.scenario.paths.item_key) is `segment`."""
    if isinstance(node, list):
        return next(item for item in node if item_key(dict(item)) == segment)
    return getattr(node, segment)


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
