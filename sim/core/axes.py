"""Positions on the vocabulary axes of the model's arrays, derived once from the vocabularies
(sim.scenario.vocab), so that a reordered vocabulary moves every index with it.

Iterate with `in_order(Axis)`: an IntEnum iterates in the order its members are written here,
the arrays in the order of the vocabulary.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from sim.scenario.vocab import EFFORTS, INFLUENCE_COMPONENTS, INSTRUMENTS, NETWORKS


class Instrument(IntEnum):
    """The last axis of engagement and its anchor, (..., 3) in the order of INSTRUMENTS."""

    SECURITY = INSTRUMENTS.index("security")
    ECONOMIC = INSTRUMENTS.index("economic")
    DIPLOMATIC = INSTRUMENTS.index("diplomatic")


class Network(IntEnum):
    """The axis of the threat networks, (..., 2) in the order of NETWORKS; the host's efforts
    (EFFORTS) are one against each network, on the same axis."""

    EXTREMIST = NETWORKS.index("extremist")
    TRAFFICKING = NETWORKS.index("trafficking")


class Component(IntEnum):
    """The components of the influence index, in the order of INFLUENCE_COMPONENTS."""

    TRADE = INFLUENCE_COMPONENTS.index("trade")
    SECURITY = INFLUENCE_COMPONENTS.index("security")
    ECONOMIC = INFLUENCE_COMPONENTS.index("economic")
    DIPLOMATIC = INFLUENCE_COMPONENTS.index("diplomatic")
    LEVERAGE = INFLUENCE_COMPONENTS.index("leverage")


AXES: dict[type[IntEnum], tuple[str, ...]] = {
    Instrument: INSTRUMENTS,
    Network: NETWORKS,
    Component: INFLUENCE_COMPONENTS,
}
EFFORT_OF = {NETWORKS[n]: EFFORTS[n] for n in range(len(NETWORKS))}  # network -> host's effort

# The components a state accepts in proportion to its openness (all but leverage).
ACCEPTED = np.array(sorted(c for c in Component if c is not Component.LEVERAGE), dtype=np.int64)


def in_order(axis: type[IntEnum]) -> list:
    """The members of an axis in array order."""
    return sorted(axis)


def stack(values: dict, axis: int) -> np.ndarray:
    """Arrays keyed by every member of one vocabulary axis, stacked along `axis` in array
    order (a member left out is a KeyError)."""
    members = in_order(type(next(iter(values))))
    return np.stack([values[member] for member in members], axis=axis)
