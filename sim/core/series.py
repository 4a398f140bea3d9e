"""The registry of recorded series, and the recorder that fills them as the model steps.

Each series is recorded as an array (months, worlds, *dims), month-major so that a month's
record is one contiguous write. Its dimensions, dtype, unit and description live here once;
the results Dataset, the Zarr store, the exports and the docs all read them from SERIES.
Series are float32 (influence, shares and USD flows need no more than 7 significant digits);
event counts are int16. A recorder can write into arrays it is given (a slice of a larger run's
arrays, or a block buffer reused from block to block), so a run allocates its memory once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.core.params import Params
from sim.core.rows import dot
from sim.core.state import State
from sim.scenario.vocab import (
    EFFORTS,
    INFLUENCE_COMPONENTS,
    INFLUENCE_DRIVERS,
    INSTRUMENTS,
    NETWORKS,
    SHOCK_KINDS,
)

ENSEMBLE_DIMS = ("month", "world")
PASSAGES = ("carried", "rerouted", "lost")  # labels of crossing_trade's passage dim
ALL_PARTNERS = "all"  # host_trade's label for the sum over partners


@dataclass(frozen=True)
class Series:
    """A recorded series: its dims after (month, world), unit, meaning and how a month of it is
    read from the state."""

    dims: tuple[str, ...]  # after (month, world)
    unit: str
    description: str
    extract: Callable[[Params, State, np.ndarray], np.ndarray]  # (p, state, shock counts)
    dtype: type = np.float32


def host_trade(p: Params, st: State) -> np.ndarray:
    """The host's trade (both directions) with each other actor, then their sum, (R, N)."""
    f = p.flow
    partners = f.involves * f.touches_host[:, None]
    by_partner = np.delete(dot(st.trade, partners), p.host, axis=1)
    return np.concatenate([by_partner, by_partner.sum(axis=1, keepdims=True)], axis=1)


def crossing_trade(p: Params, st: State) -> np.ndarray:
    """Trade by crossing and passage, (R, C, 3): carried (the crossing's own flows that pass
    it), rerouted (other crossings' flows rerouted through it) and lost (its own flows that
    neither pass nor reroute, blocked or beyond a capacity: what would arrive with every route
    open less what arrives)."""
    f, crossings = p.flow, np.eye(len(p.crossing.ids))
    routed, route = f.routed, f.route[f.routed]
    alternate = p.crossing.alternate[route]
    via = np.where(alternate[:, None] >= 0, crossings[np.maximum(alternate, 0)], 0.0)
    trade, rerouted = st.trade[:, routed], st.rerouted[:, routed]
    parts = (
        dot(trade * (1.0 - rerouted), crossings[route]),
        dot(trade * rerouted, via),
        dot(np.maximum(st.open_trade[:, routed] - trade, 0.0), crossings[route]),
    )
    return np.stack(parts, axis=-1)


SERIES: dict[str, Series] = {
    "influence": Series(
        ("power", "state"),
        "index [0, 1]",
        "influence of each power over each state",
        lambda p, st, counts: st.influence,
    ),
    "host_influence": Series(
        ("holder",),
        "index [0, 1]",
        "influence over the host of every holder: the powers and the neighbours with host_ties",
        lambda p, st, counts: np.concatenate(
            [st.influence[:, :, p.host_state], st.holder_influence], axis=1
        ),
    ),
    "influence_components": Series(
        ("power", "state", "component"),
        "index [0, 1]",
        "what each weighted component adds to the influence of each power over each state "
        "(summed over components, influence)",
        lambda p, st, counts: st.influence_parts,
    ),
    "host_influence_components": Series(
        ("holder", "component"),
        "index [0, 1]",
        "what each weighted component adds to host_influence (summed over components, "
        "host_influence)",
        lambda p, st, counts: np.concatenate(
            [st.influence_parts[:, :, p.host_state], st.holder_parts], axis=1
        ),
    ),
    "host_influence_drivers": Series(
        ("power", "driver"),
        "index [0, 1]",
        "what aid, investment and remittances add to each power's economic component over the "
        "host, and diplomatic engagement and recognition to its diplomatic one",
        lambda p, st, counts: st.host_drivers,
    ),
    "engagement": Series(
        ("power", "state", "instrument"),
        "share [0, 1]",
        "engagement of each power with each state, by instrument",
        lambda p, st, counts: st.engagement,
    ),
    "sanctions": Series(
        ("power",),
        "share [0, 1]",
        "sanctions and conditionality pressure of each power on the host",
        lambda p, st, counts: st.sanctions,
    ),
    "recognition": Series(
        ("power",),
        "0/1",
        "formal recognition of the host by each power",
        lambda p, st, counts: st.recognition,
    ),
    "host_openness": Series(
        ("power",),
        "share [0, 1]",
        "the host's openness to each power",
        lambda p, st, counts: st.openness[:, :, p.host_state],
    ),
    "threat": Series(
        ("actor",),
        "index [0, 1]",
        "threat perceived by each actor",
        lambda p, st, counts: st.threat,
    ),
    "networks": Series(
        ("network",),
        "share [0, 1]",
        "strength of each threat network",
        lambda p, st, counts: st.networks,
    ),
    "host_effort": Series(
        ("effort",),
        "share [0, 1]",
        "the host's counter-terrorism and enforcement effort",
        lambda p, st, counts: st.host_effort,
    ),
    "posture": Series(
        ("state",),
        "share [0, 1]",
        "each state's border posture toward the host (0 open, 1 sealed)",
        lambda p, st, counts: st.posture,
    ),
    "trade_openness": Series(
        ("state",),
        "share [0, 1]",
        "each state's openness to trade with the host",
        lambda p, st, counts: st.trade_openness,
    ),
    "trade": Series(
        ("flow",),
        "USD M/month",
        "realised trade of each flow",
        lambda p, st, counts: st.trade,
    ),
    "transit_revenue": Series(
        ("actor",),
        "USD M/month",
        "transit fees earned by each actor",
        lambda p, st, counts: st.transit_revenue,
    ),
    "host_trade": Series(
        ("partner",),
        "USD M/month",
        f"the host's realised trade with each partner, both directions; '{ALL_PARTNERS}' their "
        "sum (modelled flows only)",
        lambda p, st, counts: host_trade(p, st),
    ),
    "crossing_trade": Series(
        ("crossing", "passage"),
        "USD M/month",
        "trade at each crossing: its own flows that pass it (carried), other crossings' flows "
        "rerouted through it (rerouted), its own flows blocked and not rerouted, at potential "
        "(lost)",
        lambda p, st, counts: crossing_trade(p, st),
    ),
    "disruption": Series(
        ("crossing",),
        "share [0, 1]",
        "share of each crossing's flow blocked",
        lambda p, st, counts: st.disruption,
    ),
    "migrants": Series(
        ("corridor",),
        "thousand workers",
        "labour migrants working abroad in each corridor",
        lambda p, st, counts: st.migrants,
    ),
    "events": Series(
        ("shock",),
        "events/month",
        "stochastic events drawn, by shock kind",
        lambda p, st, counts: dot(counts, p.channels.kind_matrix),
        np.int16,
    ),
}


def dim_labels(p: Params) -> dict[str, list[str]]:
    """Labels along every named dimension of the recorded series (not month and world)."""
    return {
        "power": p.power_codes,
        "holder": p.power_codes + p.holders.codes,
        "state": p.state_codes,
        "actor": p.codes,
        "instrument": list(INSTRUMENTS),
        "component": list(INFLUENCE_COMPONENTS),
        "driver": list(INFLUENCE_DRIVERS),
        "network": list(NETWORKS),
        "effort": list(EFFORTS),
        "flow": p.flow.labels,
        "crossing": p.crossing.ids,
        "passage": list(PASSAGES),
        "partner": [code for code in p.codes if code != p.codes[p.host]] + [ALL_PARTNERS],
        "corridor": p.corridor.labels,
        "shock": list(SHOCK_KINDS),
    }


def shapes(p: Params, months: int, worlds: int) -> dict[str, tuple[int, ...]]:
    """The shape (months, worlds, ...) of every series."""
    labels = dim_labels(p)
    return {name: (months, worlds, *(len(labels[d]) for d in s.dims)) for name, s in SERIES.items()}


def allocate(p: Params, months: int, worlds: int) -> dict[str, np.ndarray]:
    """Uninitialised arrays (months, worlds, ...) for every series."""
    return {
        name: np.empty(shape, dtype=SERIES[name].dtype)
        for name, shape in shapes(p, months, worlds).items()
    }


def record_bytes(p: Params, months: int, worlds: int) -> int:
    """Bytes of every series of `worlds` worlds over `months` months, uncompressed."""
    return sum(
        int(np.prod(shape)) * np.dtype(SERIES[name].dtype).itemsize
        for name, shape in shapes(p, months, worlds).items()
    )


class Recorder:
    """Holds every series for all months of a run (or of one block); `arrays` is the result."""

    def __init__(
        self, p: Params, months: int, worlds: int, arrays: dict[str, np.ndarray] | None = None
    ):
        self.params = p
        self.arrays = allocate(p, months, worlds) if arrays is None else arrays

    def record(self, month: int, st: State, counts: np.ndarray) -> None:
        """Write month `month` of every series from the state and the events drawn."""
        for name, array in self.arrays.items():
            array[month] = SERIES[name].extract(self.params, st, counts)
