"""The recorder: preallocated arrays, one row per month, filled as the model steps.

Series are float32 (influence, shares and USD flows need no more than 7 significant digits);
event counts are int16. Shapes are (months, worlds, ...).
"""

from __future__ import annotations

import numpy as np

from sim.params import SHOCK_KINDS, Params
from sim.state import State


def series_axes(p: Params) -> dict[str, tuple[str, ...]]:
    """The labelled axes after (month, world) of every recorded series."""
    return {
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
        "events": _events_by_kind(p, counts),
    }


def _events_by_kind(p: Params, counts: np.ndarray) -> np.ndarray:
    out = np.zeros((counts.shape[0], len(SHOCK_KINDS)), dtype=np.int16)
    np.add.at(out, (slice(None), p.channels.kind), counts.astype(np.int16))
    return out


class Recorder:
    """Holds every series for all months of a run; `arrays` is the result."""

    def __init__(self, p: Params, months: int, worlds: int):
        self.params, self.months, self.worlds = p, months, worlds
        self.arrays: dict[str, np.ndarray] = {}

    def record(self, month: int, st: State, counts: np.ndarray) -> None:
        for name, value in _extract(self.params, st, counts).items():
            if name not in self.arrays:
                dtype = np.int16 if name == "events" else np.float32
                self.arrays[name] = np.zeros((self.months, *value.shape), dtype=dtype)
            self.arrays[name][month] = value
