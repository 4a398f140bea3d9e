"""Powers (Russia, China, the US ...): engagement with each state on three instruments, the
sanctions and conditionality pressure on the host, and formal recognition of the host.

One rule for all powers; their contrast lies in the priority weights. Each target is the
power's anchor plus weighted changes of its signals since the start; engagement closes part of
the gap each month (partial adjustment) and is scaled back to the power's budget.
"""

from __future__ import annotations

import numpy as np

from agents.base import Actor
from sim.core.params import Params
from sim.core.reference import Reference
from sim.core.stages.influence import pair_trade
from sim.core.state import State


class Power(Actor):
    role = "power"

    @property
    def influence(self):
        """Influence over every state in every world, shape (R, S)."""
        return self.model.state.influence[:, self.model.params.power_index(self.code)]


def rival_gains(st: State) -> np.ndarray:
    """Rivals' recent influence gains over each state, (R, P, S): sum over other powers of the
    positive gap between influence and its slow trend."""
    gain = np.maximum(st.influence - st.influence_trend, 0.0)
    return gain.sum(axis=1, keepdims=True) - gain


def _per_pair(weight: np.ndarray) -> np.ndarray:
    """A (P,) weight broadcast over worlds and states, (1, P, 1)."""
    return weight[None, :, None]


def decide_powers(p: Params, st: State, last: State, ref: Reference) -> None:
    w = p.power.weights
    # threat perceived by each state plus the power's own, the latter directed at the states
    # threats come from (weighted by their exposure): an attack at home, like Crocus, raises a
    # power's security engagement with the host and the most exposed neighbours
    change = st.threat - ref.threat
    exposure = p.actor.exposure[p.states][None, None, :]
    threat_change = change[:, None, p.states] + change[:, p.powers, None] * exposure
    rivalry = _per_pair(w.rivalry) * rival_gains(last)
    trade_now, trade0 = pair_trade(p, last.trade), ref.pair_trade
    opportunity = np.clip(
        np.divide(trade_now, trade0, out=np.ones_like(trade_now), where=trade0 > 0) - 1.0, -1.0, 1.0
    )
    instability = (last.turbulence - ref.turbulence)[:, None, p.states]
    openness_change = last.openness - p.relation.openness
    target = np.stack(
        [
            st.anchor[..., 0] + _per_pair(w.security) * threat_change + rivalry,
            st.anchor[..., 1]
            + _per_pair(w.economic) * opportunity
            - _per_pair(w.stability) * instability
            + rivalry,
            st.anchor[..., 2] + _per_pair(w.reciprocity) * openness_change + rivalry,
        ],
        axis=-1,
    )
    target = np.where(p.relation.related[..., None], np.clip(target, 0.0, 1.0), 0.0)
    engagement = last.engagement + p.dynamics.power_adjustment * (target - last.engagement)
    total = engagement.sum(axis=(2, 3))
    scale = np.minimum(1.0, p.power.budget / np.maximum(total, 1e-12))
    st.engagement = engagement * scale[:, :, None, None]

    st.sanctions = _sanctions(p, st, last, ref)
    # recognition follows diplomacy crossing the threshold upward, so a scheduled withdrawal
    # holds until diplomacy falls below the threshold and rises past it again
    diplomacy = st.engagement[:, :, p.host_state, 2]
    before = last.engagement[:, :, p.host_state, 2]
    threshold = p.power.recognition_threshold
    crossed = (diplomacy >= threshold) & (before < threshold)
    st.recognition = np.maximum(st.recognition, crossed)


def legitimacy_signal(p: Params, st: State) -> np.ndarray:
    """For each power, others' recognition of and influence over the host, (R, P)."""
    others = st.recognition + st.influence[:, :, p.host_state]
    return others.sum(axis=1, keepdims=True) - others


def _sanctions(p: Params, st: State, last: State, ref: Reference) -> np.ndarray:
    w = p.power.weights.legitimacy
    target = st.sanctions_anchor + w * (legitimacy_signal(p, last) - ref.legitimacy)
    target = np.clip(target, 0.0, 1.0)
    return last.sanctions + p.dynamics.power_adjustment * (target - last.sanctions)
