"""Shock channels (a shock kind at one target) and the effects of one unit of event magnitude.

Stochastic shocks and scheduled security events act through the same effect rows.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cached_property

import numpy as np

from sim.core import rng
from sim.core.assumptions import stack
from sim.core.axes import Network
from sim.core.smoothing import decay_per_month
from sim.scenario.schema import Scenario
from sim.scenario.vocab import ATTACKS, NETWORKS, SHOCK_KINDS, channel_label


@dataclass(frozen=True)
class Effects:
    """What one unit of event magnitude does, one row per event source (channel or event)."""

    threat: np.ndarray  # (H, N) threat impulse on each actor
    turbulence: np.ndarray  # (H, N) shock memory at the target
    network: np.ndarray  # (H, 2) strength added to the extremist and trafficking networks
    closure: np.ndarray  # (H, C) share of each crossing blocked

    @cached_property
    def closing(self) -> np.ndarray:
        """Rows that block a crossing (only those need the closure computation)."""
        return np.flatnonzero(self.closure.any(axis=1))


_DTYPES = {"kind": np.int64, "target": np.int64, "network": np.int64}  # the rest float64


@dataclass(frozen=True)
class ShockChannels:
    """Stochastic event channels, shape (H,) each: one per (shock kind, target)."""

    kind: np.ndarray  # index into SHOCK_KINDS
    target: np.ndarray  # actor index, or crossing index for closures
    base_rate: np.ndarray  # immigrant (background) rate at the starting network level
    mean_rate: np.ndarray  # long-run mean rate including self-excitation (the scenario's figure)
    network: np.ndarray  # index into NETWORKS of the network that drives the rate
    excitation: np.ndarray
    excitation_decay: np.ndarray  # monthly multiplier of the excitation
    magnitude: np.ndarray
    magnitude_sd: np.ndarray
    effects: Effects
    keys: np.ndarray  # (H,) uint64 draw keys from "kind:target", stable when channels are added

    @cached_property
    def kind_matrix(self) -> np.ndarray:
        """(H, kinds) one-hot map of channels to SHOCK_KINDS, to count events by kind."""
        return (self.kind[:, None] == np.arange(len(SHOCK_KINDS))[None, :]).astype(np.int64)


def effect_rows(s: Scenario, kinds: list[str], targets: list[int]) -> Effects:
    """Effects of one unit of magnitude of each (kind, target); target is an actor index, or a
    crossing index for closures. Attacks threaten their target fully and every other actor in
    proportion to its exposure (times the spillover); border clashes also block the clashing
    state's crossings; trafficking surges feed the trafficking network."""
    exposure = np.array([a.exposure.value for a in s.actors])
    codes = s.codes()
    transit = [codes.index(c.transit_state) for c in s.crossings]
    n, c, h = len(exposure), len(transit), len(kinds)
    threat, turbulence = np.zeros((h, n)), np.zeros((h, n))
    network, closure = np.zeros((h, len(NETWORKS))), np.zeros((h, c))
    spill = s.dynamics.spillover.value
    boost = [getattr(s.networks, name).event_boost.value for name in NETWORKS]
    for row, (kind, target) in enumerate(zip(kinds, targets, strict=True)):
        if kind in ATTACKS:
            threat[row] = spill * exposure
            threat[row, target] = turbulence[row, target] = 1.0
            network[row, Network.EXTREMIST] = boost[Network.EXTREMIST]
        elif kind == "border_clash":
            threat[row, target] = turbulence[row, target] = 1.0
            closure[row] = [1.0 if t == target else 0.0 for t in transit]
        elif kind == "trafficking_surge":
            network[row, Network.TRAFFICKING] = boost[Network.TRAFFICKING]
        elif kind == "closure":
            closure[row, target] = 1.0
    return Effects(threat, turbulence, network, closure)


def _targets(s: Scenario, kind: str) -> tuple[list[int], list[float]]:
    """The targets of a shock kind and each one's share of its rate (Poisson thinning keeps the
    total): attacks abroad and border clashes by exposure, border clashes only where a
    neighbour has a crossing into the host, closures evenly over the crossings."""
    host = s.codes().index(s.codes("host")[0])
    exposure = np.array([a.exposure.value for a in s.actors])
    if kind in ("attack_host", "trafficking_surge"):
        return [host], [1.0]
    if kind == "closure":
        n = len(s.crossings)
        return list(range(n)), [1.0 / max(n, 1)] * n
    if kind == "border_clash":
        transit = {c.transit_state for c in s.crossings}
        eligible = np.array([a.role == "neighbor" and a.code in transit for a in s.actors])
    else:
        eligible = np.arange(len(exposure)) != host
    weight = np.where(eligible, exposure, 0.0)
    targets = [int(i) for i in np.flatnonzero(weight > 0)]
    return targets, list(weight[targets] / weight.sum()) if targets else []


def build_channels(s: Scenario) -> ShockChannels:
    """One channel per (shock kind, target), with its Hawkes parameters and draw key."""
    rows: list[dict] = []
    labels = []
    for t in s.shocks:
        decay = decay_per_month(t.excitation_half_life.value)
        branching = t.excitation.value / (1.0 - decay)
        for target, share in zip(*_targets(s, t.name), strict=True):
            place = s.crossings[target].id if t.name == "closure" else s.actors[target].code
            labels.append(channel_label(t.name, place))
            mean = t.base_rate.value * share
            rows.append(
                {
                    "kind": SHOCK_KINDS.index(t.name),
                    "target": target,
                    "base_rate": mean * (1.0 - branching),
                    "mean_rate": mean,
                    "network": NETWORKS.index(t.driver),
                    "excitation": t.excitation.value,
                    "excitation_decay": decay,
                    "magnitude": t.magnitude.value,
                    "magnitude_sd": t.magnitude_sd.value,
                }
            )
    columns = {
        f.name: (
            np.array([r[f.name] for r in rows], dtype=_DTYPES[f.name])
            if f.name in _DTYPES
            else stack([r[f.name] for r in rows])
        )
        for f in fields(ShockChannels)
        if f.name not in ("effects", "keys")
    }
    kinds = [SHOCK_KINDS[k] for k in columns["kind"]]
    effects = effect_rows(s, kinds, [int(x) for x in columns["target"]])
    return ShockChannels(**columns, effects=effects, keys=rng.label_keys(labels))
