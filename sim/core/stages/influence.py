"""Influence stage: the four dependence shares and the index built from them.

Each share is taken over all of a state's partners including the rest of the world and its own
capacity, so summed over powers it is at most 1; weights sum to 1 and openness is at most 1, so
the influence of all powers over one state never exceeds 1.
"""

from __future__ import annotations

import numpy as np

from sim.core.params import MONTHS_PER_YEAR, Params
from sim.core.rows import dot
from sim.core.state import State


def pair_trade(p: Params, trade: np.ndarray) -> np.ndarray:
    """Trade between each power and each state, both directions, shape (R, P, S)."""
    return dot(trade, p.flow.pair).reshape(trade.shape[0], len(p.powers), len(p.states))


def total_trade(p: Params, trade: np.ndarray, month: int) -> np.ndarray:
    """Each state's total trade with everyone, rest of world included, shape (R, S)."""
    a = p.actor
    rest = a.rest_of_world * (1.0 + a.rest_of_world_growth) ** (month / MONTHS_PER_YEAR)
    return (dot(trade, p.flow.involves) + rest)[:, p.states]


def remittances(p: Params, migrants: np.ndarray) -> np.ndarray:
    """Remittances sent home by migrants working in each power, shape (R, P, S)."""
    out = np.zeros((migrants.shape[0], len(p.powers), len(p.states)))
    c = p.corridor
    np.add.at(out, (slice(None), c.destination, c.origin), migrants * c.remittance)
    return out


def economic_support(p: Params, st: State) -> np.ndarray:
    """Aid, investment and remittances from each power to each state, USD M/month, (R, P, S):
    investment as disbursed at the start, moved by economic engagement since then."""
    change = st.engagement[..., 1] - p.relation.engagement[..., 1]
    capacity = p.actor.economic_capacity[p.powers][:, None]
    investment = np.maximum(p.relation.investment + change * capacity, 0.0)
    return st.aid + investment + remittances(p, st.migrants)


def security_provision(p: Params, st: State) -> np.ndarray:
    """Security each power provides each state, (R, P, S): engagement x capacity x partnership."""
    return st.engagement[..., 0] * p.actor.security_capacity[p.powers][:, None] * st.partner


def own_security(p: Params, st: State, host_revenue0: float) -> np.ndarray:
    """Each state's own security capacity, (R, S); the host's grows with its revenue."""
    own = np.broadcast_to(p.actor.security_capacity[p.states], st.posture.shape).copy()
    ratio = np.maximum(st.host_revenue, 1e-9) / max(host_revenue0, 1e-9)
    own[:, p.host_state] *= ratio**p.dynamics.host_revenue_elasticity
    return own


def diplomatic_standing(p: Params, st: State) -> np.ndarray:
    """Diplomatic engagement plus formal recognition, (R, P, S)."""
    recognised = np.broadcast_to(p.relation.recognition, st.engagement.shape[:-1]).copy()
    recognised[:, :, p.host_state] = st.recognition
    return st.engagement[..., 2] + recognised


def _share(part: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """part / (sum over powers of part + rest), zero where everything is zero."""
    total = part.sum(axis=1, keepdims=True) + rest[:, None, :]
    return np.divide(part, total, out=np.zeros_like(part), where=total > 0)


def components(p: Params, st: State, month: int, host_revenue0: float) -> np.ndarray:
    """The four dependence shares, shape (R, 4, P, S) in the order of INFLUENCE_COMPONENTS."""
    worlds = st.trade.shape[0]
    support = economic_support(p, st)
    other_support = np.broadcast_to(p.actor.other_support[p.states], (worlds, len(p.states)))
    other_dip = np.broadcast_to(p.actor.other_diplomatic[p.states], (worlds, len(p.states)))
    pairs, total = pair_trade(p, st.trade), total_trade(p, st.trade, month)[:, None, :]
    trade_share = np.divide(pairs, total, out=np.zeros_like(pairs), where=total > 0)
    return np.stack(
        [
            trade_share,
            _share(security_provision(p, st), own_security(p, st, host_revenue0)),
            _share(support, other_support),
            _share(diplomatic_standing(p, st), other_dip),
        ],
        axis=1,
    )


def raw_influence(p: Params, st: State, month: int, host_revenue0: float) -> np.ndarray:
    """Openness-weighted sum of the components, shape (R, P, S), each in [0, 1]."""
    shares = components(p, st, month, host_revenue0)
    return st.openness * np.einsum("c,rcps->rps", p.influence.weights, shares)


def update_influence(p: Params, st: State, raw: np.ndarray) -> None:
    """Influence moves part of the way toward its raw value; the trend memory follows it."""
    st.influence += p.influence.inertia * (raw - st.influence)
    keep = p.dynamics.trend_memory
    st.influence_trend = keep * st.influence_trend + (1.0 - keep) * st.influence
