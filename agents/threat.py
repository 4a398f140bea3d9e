"""Threat networks: the extremist network (ISKP-like) and the drug-trafficking network.

Each grows logistically and is suppressed by pressure: the host's effort, powers' security
provision to the host (as a share of all security there) and neighbours' border posture
(exposure-weighted). The suppression efficiency is set so that each network is in balance at
the start under the starting pressure and the expected boost from events; any change of
pressure or of the event rate then moves it.
"""

from __future__ import annotations

import numpy as np

from agents.base import AxisAgent
from sim.core.params import Params
from sim.core.reference import Reference
from sim.core.stages.influence import own_security, security_provision
from sim.core.state import State


class ThreatNetwork(AxisAgent):
    """A threat network (extremist or trafficking); `code` is its name in NETWORKS."""

    role = "threat_network"

    @property
    def strength(self):
        """Strength in every world, shape (R,)."""
        return self.model.state.networks[:, self.index]


def pressure(p: Params, st: State, host_revenue0: np.ndarray) -> np.ndarray:
    """Pressure on each network, shape (R, 2): the host's effort times its capacity relative to
    the start (capacity grows with revenue), foreign security provision as a share of itself
    plus the host's starting capacity, and exposure-weighted border posture."""
    provision = security_provision(p, st)[:, :, p.host_state].sum(axis=1)
    own0 = p.actor.security_capacity[..., p.host]
    capacity = own_security(p, st, host_revenue0)[:, p.host_state] / np.maximum(own0, 1e-12)
    foreign_share = provision / np.maximum(provision + own0, 1e-12)
    exposure = p.actor.exposure[..., p.states] * p.neighbors
    posture = (st.posture * exposure).sum(axis=-1) / np.maximum(exposure.sum(axis=-1), 1e-12)
    return (
        st.host_effort * capacity[:, None]
        + p.network.cooperation * foreign_share[:, None]
        + p.network.posture * posture[:, None]
    )


def grow_networks(p: Params, st: State, last: State, ref: Reference) -> None:
    """Logistic growth less suppression by pressure, calibrated so each network is in balance
    at the start."""
    g, level, start = p.network.growth, st.networks, p.network.initial
    balance = g * start * (1.0 - start) + ref.network_boost
    suppression = balance / np.maximum(start * ref.pressure, 1e-12)
    change = g * level * (1.0 - level) - suppression * level * pressure(p, st, ref.host_revenue)
    st.networks = np.clip(level + change, 0.0, 1.0)
