"""The host (the Taliban government of Afghanistan): openness toward each power, and its
counter-terrorism and enforcement effort. Its customs and the aid it receives directly
(not through the UN) feed its own security capacity (sim.core.stages.influence.own_security)."""

from __future__ import annotations

import numpy as np

from agents.base import ActorAgent
from sim.core import axes
from sim.core.assumptions import per_world
from sim.core.axes import Network
from sim.core.params import Params
from sim.core.reference import Reference
from sim.core.smoothing import adjust_toward
from sim.core.stages.influence import economic_support, holder_support
from sim.core.state import State


class Host(ActorAgent):
    """The host (Afghanistan's Taliban government): openness to each power and its efforts."""

    role = "host"

    @property
    def openness(self):
        """Openness toward each power in every world, shape (R, P)."""
        return self.model.state.openness[:, :, self.model.params.host_state]


def support_shares(p: Params, st: State) -> np.ndarray:
    """Each power's share of the economic support the host receives, (R, P)."""
    support = economic_support(p, st)[:, :, p.host_state]
    others = st.other_support[..., p.host] + holder_support(p, st).sum(axis=-1)
    total = support.sum(axis=1, keepdims=True) + per_world(others, 2)
    return support / np.maximum(total, 1e-12)


def toward(start: np.ndarray, signal: np.ndarray) -> np.ndarray:
    """A share moved from `start` by `signal` on the logistic scale (4 per unit: a signal moves
    a share near 0.5 about one for one): it slows near a bound and never reaches it, and a
    share near 0 (a state closed to a power) stays near 0 under a modest signal."""
    start = np.clip(start, 0.01, 0.99)
    return 1.0 / (1.0 + np.exp(-(np.log(start / (1.0 - start)) + 4.0 * signal)))


def decide_host(p: Params, st: State, last: State, ref: Reference) -> None:
    """Openness to each power follows recognition, its share of support and its sanctions, and
    balances against a power whose influence over the host has grown (hedging)."""
    h, w = p.host_state, p.state.weights
    signal = (
        w.recognition[..., h, None] * (last.recognition - p.relation.recognition[..., h])
        + w.support[..., h, None] * (support_shares(p, last) - ref.support_share)
        - w.sovereignty[..., h, None] * (last.sanctions - ref.power_sanctions)
        - w.balancing[..., h, None] * (last.influence[:, :, h] - ref.influence[:, :, h])
    )
    start = p.relation.openness[..., h]
    target = np.where(p.relation.related[:, h], toward(start, signal), 0.0)
    rate = per_world(p.dynamics.state_adjustment, 2)
    st.openness[:, :, h] = adjust_toward(last.openness[:, :, h], target, rate)

    threat_change = st.threat[:, p.host] - ref.threat[:, p.host]
    trafficking = Network.TRAFFICKING
    trafficking_change = last.networks[:, trafficking] - p.network.initial[..., trafficking]
    start, security = p.network.host_effort, w.security[..., h]
    effort_target = axes.stack(
        {
            Network.EXTREMIST: start[..., Network.EXTREMIST] + security * threat_change,
            trafficking: start[..., trafficking] + security * trafficking_change,
        },
        axis=1,
    )
    st.host_effort = adjust_toward(last.host_effort, np.clip(effort_target, 0.0, 1.0), rate)
    prefer_routes(p, st, last)


def prefer_routes(p: Params, st: State, last: State) -> None:
    """The host turns its trade away from a route that is closed or whose transit state is
    hostile (posture beyond its start), by `route_aversion`, over months (`redirect_rate`),
    and back as the route stays open and calm (the order of 2025 to move trade off the
    Pakistan route)."""
    c, d = p.crossing, p.dynamics
    hostile = np.zeros((st.posture.shape[0], p.n_actors))
    hostile[:, p.states] = np.maximum(st.posture - p.state.initial_posture, 0.0)
    hostile = hostile[:, c.transit_state]
    aversion = per_world(d.route_aversion, 2) * (st.disruption + hostile)
    target = np.clip(1.0 - aversion, 0.0, 1.0)
    rate = per_world(d.redirect_rate, 2)
    st.route_preference = adjust_toward(last.route_preference, target, rate)
