"""Neighbours (the Central Asian states, Iran, Pakistan): border posture and trade openness
toward the host, and how far they lean on each power for security. They collect transit fees."""

from __future__ import annotations

import numpy as np

from agents.base import ActorAgent
from agents.host import toward
from agents.power import alliance_alarm
from sim.core.assumptions import per_world
from sim.core.params import Params
from sim.core.reference import Reference
from sim.core.rows import dot
from sim.core.smoothing import adjust_toward, expect
from sim.core.state import State


class Neighbor(ActorAgent):
    """A neighbour of the host: border posture, trade openness and reliance on security partners."""

    role = "neighbor"

    @property
    def transit_revenue(self):
        """Transit fees earned in every world, USD M/month, shape (R,)."""
        return self.model.state.transit_revenue[:, self.index]


def host_opportunity(p: Params, st: State) -> np.ndarray:
    """Each state's trade with the host (were every route open: a closure is a disruption, not
    a lost market, so trade coming back is no new opportunity) plus transit fees, USD M/month,
    (R, S)."""
    host_flows = p.flow.involves[:, p.host]
    with_host = dot(st.open_trade * host_flows, p.flow.involves)
    return (with_host + st.transit_revenue)[:, p.states]


def partner_shares(p: Params) -> np.ndarray:
    """Where each state turns for security, (P, S): the powers' alignment with it times their
    security capacity, as shares over the powers."""
    pull = p.relation.alignment * p.actor.security_capacity[..., p.powers, None]
    return pull / np.maximum(pull.sum(axis=-2, keepdims=True), 1e-12)


def close_crossings(p: Params, st: State) -> None:
    """A neighbour whose border posture passes its `closure_threshold` closes its crossings
    into the host, in proportion to how far beyond it the posture is (the closures of
    Torkham after clashes); a scheduled or shock closure that blocks more holds."""
    threshold = p.state.closure_threshold
    closing = np.clip((st.posture - threshold) / np.maximum(1.0 - threshold, 1e-9), 0.0, 1.0)
    by_actor = np.zeros((closing.shape[0], p.n_actors))
    by_actor[:, p.states] = closing
    st.disruption = np.maximum(st.disruption, by_actor[:, p.crossing.transit_state])


def welcome_migrants(p: Params, st: State, last: State) -> None:
    """Each neighbour's welcome of Afghan migrants (which scales what it sends the host) falls
    with its posture beyond the start by `migrant_backlash` (the expulsions from Pakistan and
    Iran after clashes and attacks) and recovers when tension eases."""
    h = p.holders
    tension = np.maximum(st.posture[:, h.states] - p.state.initial_posture[..., h.states], 0.0)
    target = np.clip(1.0 - per_world(p.dynamics.migrant_backlash, 2) * tension, 0.0, 1.0)
    rate = per_world(p.dynamics.state_adjustment, 2)
    st.welcome = adjust_toward(last.welcome, target, rate)


def decide_neighbors(p: Params, st: State, last: State, ref: Reference) -> None:
    """Posture follows threat (their own, and a treaty partner's), and a posture beyond a
    neighbour's threshold closes its crossings and turns it against Afghan migrants; trade
    openness follows trade and transit against what the state had come to expect; reliance on
    each power rises with threat by the power's alignment and capability."""
    nb, w = p.neighbors, p.state.weights
    change = st.threat - ref.threat
    alarm = (change + alliance_alarm(p, change))[:, p.states][:, nb]
    threat_change = change[:, p.states][:, nb]
    gains, expected = host_opportunity(p, last), last.expected_opportunity
    opportunity = np.clip(gains[:, nb] / np.maximum(expected[:, nb], 1e-12) - 1.0, -1.0, 1.0)
    d = p.dynamics
    gain, loss = per_world(d.expectation_memory, 2), per_world(d.loss_memory, 2)
    st.expected_opportunity = expect(gain, loss, expected, gains)
    rate, security = per_world(p.dynamics.state_adjustment, 2), w.security[..., nb]

    posture_target = np.clip(p.state.initial_posture[..., nb] + security * alarm, 0.0, 1.0)
    st.posture[:, nb] = adjust_toward(last.posture[:, nb], posture_target, rate)

    open_target = toward(
        p.state.initial_trade_openness[..., nb],
        w.opportunity[..., nb] * opportunity - security * threat_change,
    )
    st.trade_openness[:, nb] = adjust_toward(last.trade_openness[:, nb], open_target, rate)

    close_crossings(p, st)
    welcome_migrants(p, st, last)

    alignment = p.relation.alignment[..., nb]
    rise = (security * alarm)[:, None, :] * partner_shares(p)[..., nb]
    partner_target = np.where(alignment > 0, np.clip(alignment + rise, 0.0, 1.0), 0.0)
    st.partner[:, :, nb] = adjust_toward(
        last.partner[:, :, nb], partner_target, per_world(p.dynamics.state_adjustment, 3)
    )
