"""The host (the Taliban government of Afghanistan): openness toward each power, and its
counter-terrorism and counter-narcotics effort. Its trade and aid revenue feed its own security
capacity (see sim.influence.own_security)."""

from __future__ import annotations

import numpy as np

from agents.base import Actor
from sim.influence import economic_support
from sim.params import Params
from sim.state import State


class Host(Actor):
    role = "host"

    @property
    def openness(self):
        """Openness toward each power in every world, shape (R, P)."""
        return self.model.state.openness[:, :, self.model.params.host_state]


def support_shares(p: Params, st: State) -> np.ndarray:
    """Each power's share of the economic support the host receives, (R, P)."""
    support = economic_support(p, st)[:, :, p.host_state]
    total = support.sum(axis=1, keepdims=True) + p.other_support[p.host]
    return support / np.maximum(total, 1e-12)


def decide_host(p: Params, st: State, last: State, ref) -> None:
    h, w = p.host_state, {k: v[p.host_state] for k, v in p.state_weights.items()}
    target = (
        p.openness[:, h]
        + w["recognition"] * (last.recognition - p.recognition[:, h])
        + w["support"] * (support_shares(p, last) - ref.support_share)
        - w["sovereignty"] * (last.sanctions - ref.power_sanctions)
    )
    kappa = p.dyn["state_adjustment"]
    current = last.openness[:, :, h]
    st.openness[:, :, h] = current + kappa * (np.clip(target, 0.0, 1.0) - current)

    threat_change = st.threat[:, p.host] - ref.threat[p.host]
    trafficking_change = last.networks[:, 1] - p.network_initial[1]
    effort_target = np.stack(
        [
            p.host_effort[0] + w["security"] * threat_change,
            p.host_effort[1] + w["security"] * trafficking_change,
        ],
        axis=1,
    )
    st.host_effort = last.host_effort + kappa * (
        np.clip(effort_target, 0.0, 1.0) - last.host_effort
    )
