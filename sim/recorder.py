"""The recorder: preallocated arrays, one row per month, filled as the model steps.

Series are float32 (influence, shares and USD flows need no more than 7 significant digits);
event counts are int16. Shapes are (months, worlds, ...), the trailing axes labelled by
`axis_labels`. A recorder can write into arrays it is given (a slice of a larger run's arrays,
or a block buffer reused from block to block), so a run allocates its memory once.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from sim.params import SHOCK_KINDS, Params
from sim.scenario import INSTRUMENTS
from sim.state import State

SERIES: dict[str, tuple[str, ...]] = {
    "influence": ("power", "state"),
    "engagement": ("power", "state", "instrument"),
    "sanctions": ("power",),
    "recognition": ("power",),
    "host_openness": ("power",),
    "threat": ("actor",),
    "networks": ("network",),
    "host_effort": ("effort",),
    "posture": ("state",),
    "trade": ("flow",),
    "transit_revenue": ("actor",),
    "disruption": ("crossing",),
    "migrants": ("corridor",),
    "events": ("shock",),
}


def axis_labels(p: Params) -> dict[str, list[str]]:
    """Labels along every named axis of the recorded series."""
    return {
        "power": p.power_codes,
        "state": p.state_codes,
        "actor": p.codes,
        "instrument": list(INSTRUMENTS),
        "network": ["extremist", "trafficking"],
        "effort": ["counter_terrorism", "enforcement"],
        "flow": p.flow_labels,
        "crossing": p.crossing_ids,
        "corridor": p.corridor_labels,
        "shock": list(SHOCK_KINDS),
    }


def allocate(
    p: Params, months: int, worlds: int, series: Iterable[str] | None = None
) -> dict[str, np.ndarray]:
    """Uninitialised arrays (months, worlds, ...) for the named series (default: all)."""
    labels = axis_labels(p)
    return {
        name: np.empty(
            (months, worlds, *(len(labels[a]) for a in SERIES[name])),
            dtype=np.int16 if name == "events" else np.float32,
        )
        for name in (SERIES if series is None else series)
    }


def _extract(p: Params, st: State, counts: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "influence": st.influence,
        "engagement": st.engagement,
        "sanctions": st.sanctions,
        "recognition": st.recognition,
        "host_openness": st.openness[:, :, p.host_state],
        "threat": st.threat,
        "networks": st.networks,
        "host_effort": st.host_effort,
        "posture": st.posture,
        "trade": st.trade,
        "transit_revenue": st.transit_revenue,
        "disruption": st.disruption,
        "migrants": st.migrants,
        "events": counts @ p.channels.kind_matrix,
    }


class Recorder:
    """Holds every series for all months of a run (or of one block); `arrays` is the result."""

    def __init__(
        self, p: Params, months: int, worlds: int, arrays: dict[str, np.ndarray] | None = None
    ):
        self.params = p
        self.arrays = allocate(p, months, worlds) if arrays is None else arrays

    def record(self, month: int, st: State, counts: np.ndarray) -> None:
        for name, value in _extract(self.params, st, counts).items():
            if name in self.arrays:
                self.arrays[name][month] = value
