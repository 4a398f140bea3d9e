"""Neighbours (the Central Asian states, Iran, Pakistan): border posture and trade openness
toward the host, and how far they lean on each power for security. They collect transit fees."""

from __future__ import annotations

import numpy as np

from agents.base import Actor
from sim.core.params import Params
from sim.core.reference import Reference
from sim.core.rows import dot
from sim.core.state import State


class Neighbor(Actor):
    role = "neighbor"

    @property
    def transit_revenue(self):
        """Transit fees earned in every world, USD M/month, shape (R,)."""
        return self.model.state.transit_revenue[:, self.index]


def host_opportunity(p: Params, st: State) -> np.ndarray:
    """Each state's trade with the host plus transit fees, USD M/month, (R, S)."""
    host_flows = p.flow.involves[:, p.host]
    with_host = dot(st.trade * host_flows, p.flow.involves)
    return (with_host + st.transit_revenue)[:, p.states]


def decide_neighbors(p: Params, st: State, last: State, ref: Reference) -> None:
    nb, w = p.neighbors, p.state.weights
    threat_change = (st.threat - ref.threat)[:, p.states][:, nb]
    opportunity = host_opportunity(p, last)[:, nb] / np.maximum(ref.opportunity[nb], 1e-12) - 1.0
    kappa, security = p.dynamics.state_adjustment, w.security[nb]

    posture_target = np.clip(p.state.initial_posture[nb] + security * threat_change, 0.0, 1.0)
    st.posture[:, nb] = last.posture[:, nb] + kappa * (posture_target - last.posture[:, nb])

    open_target = (
        p.state.initial_trade_openness[nb]
        + w.opportunity[nb] * np.clip(opportunity, -1, 1)
        - security * threat_change
    )
    current = last.trade_openness[:, nb]
    st.trade_openness[:, nb] = current + kappa * (np.clip(open_target, 0.0, 1.0) - current)

    partner_target = np.clip(
        p.relation.alignment[:, nb] * (1.0 + security * threat_change)[:, None, :], 0.0, 1.0
    )
    current = last.partner[:, :, nb]
    st.partner[:, :, nb] = current + kappa * (partner_target - current)
