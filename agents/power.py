"""Powers (Russia, China, the US ...): engagement with each state on three instruments, the
sanctions and conditionality pressure on the host, and formal recognition of the host.

One rule for all powers; their contrast lies in the priority weights. Each target is the
power's anchor plus weighted signals: threat changes at the states it has security ties with
and at the source of the threat (the host), what it keeps of its response to large shocks,
trade (were its routes open) against what it has come to expect, recent shocks, rivals' gains
in the instrument's own channel and the host's openness. Engagement closes part of the gap
each month (partial adjustment) and is fitted to the power's budget with security served first.
"""

from __future__ import annotations

import numpy as np

from agents.base import ActorAgent
from sim.core import axes
from sim.core.assumptions import per_world
from sim.core.axes import Component, Instrument
from sim.core.params import Params
from sim.core.reference import Reference
from sim.core.smoothing import adjust_toward, decay_per_month, expect, remember
from sim.core.stages.influence import pair_trade
from sim.core.state import State

OTHER_THAN_SECURITY = [i for i in axes.in_order(Instrument) if i is not Instrument.SECURITY]


class Power(ActorAgent):
    """A power (Russia, China, the US...): engagement, sanctions and recognition."""

    role = "power"

    @property
    def influence(self):
        """Influence over every state in every world, shape (R, S)."""
        return self.model.state.influence[:, self.model.params.power_index(self.code)]


# The influence components a power answers with each instrument: a rival's security gain
# with security, its trade and economic gains with economic engagement, its diplomatic
# standing and leverage with diplomacy.
CHANNELS = {
    Instrument.SECURITY: [Component.SECURITY],
    Instrument.ECONOMIC: [Component.TRADE, Component.ECONOMIC],
    Instrument.DIPLOMATIC: [Component.DIPLOMATIC, Component.LEVERAGE],
}


def rivalry(p: Params, st: State) -> dict[Instrument, np.ndarray]:
    """The rivalry term of each instrument's target, (R, P, S) each: rivals' recent gains in
    the instrument's channel (the positive gap between their influence parts and the parts'
    slow trend, summed over the other powers), answered by the rivalry weight times how much
    the power cares for that channel (its priority for the instrument over its highest)."""
    w = p.power.weights
    gain = np.maximum(st.influence_parts - st.parts_trend, 0.0)
    rivals = gain.sum(axis=1, keepdims=True) - gain
    priority = {
        Instrument.SECURITY: w.security,
        Instrument.ECONOMIC: w.economic,
        Instrument.DIPLOMATIC: w.reciprocity,
    }
    highest = np.maximum(np.maximum(w.security, w.economic), np.maximum(w.reciprocity, 1e-12))
    return {
        i: _per_pair(w.rivalry * priority[i] / highest) * rivals[..., CHANNELS[i]].sum(axis=-1)
        for i in Instrument
    }


def _per_pair(weight: np.ndarray) -> np.ndarray:
    """A (P,) or drawn (R, P) weight ready to meet (R, P, S): (P, 1) or (R, P, 1)."""
    return weight[..., None]


def alliance_alarm(p: Params, change: np.ndarray) -> np.ndarray:
    """The alarm each actor shares as a member of a collective-defence treaty, (R, N): the
    largest threat rise at another member times the treaty's solidarity (0 for non-members)."""
    alarm = np.zeros_like(change)
    solidarities = np.moveaxis(p.alliance.solidarity, -1, 0)  # (A,) or drawn (A, R)
    for members, solidarity in zip(p.alliance.members, solidarities, strict=True):
        rise = np.where(members > 0, np.maximum(change, 0.0), 0.0)
        first = rise.argmax(axis=1)
        top = np.take_along_axis(rise, first[:, None], axis=1)
        np.put_along_axis(rise, first[:, None], 0.0, axis=1)
        second = rise.max(axis=1, keepdims=True)
        others = np.where(np.arange(len(members)) == first[:, None], second, top)
        alarm = np.maximum(alarm, per_world(solidarity, 2) * others * members)
    return alarm


def security_concern(p: Params, change: np.ndarray) -> np.ndarray:
    """How much each power's security engagement with each state should respond, (R, P, S).

    A threat rise in a state moves the powers with security ties to it (a treaty, a base) by
    the tie's strength, and treaty members share each other's alarm; the host, the source of
    the threats, draws every power's response to threat there and to threat at the power's
    home (an attack at home, like Crocus, raises engagement with the host on counter-terrorism).
    """
    at_state = (change + alliance_alarm(p, change))[:, p.states]
    concern = p.relation.security_tie * at_state[:, None, :]
    concern[:, :, p.host_state] += change[:, None, p.host] + change[:, p.powers]
    return concern


def lasting_response(p: Params, st: State, last: State) -> np.ndarray:
    """Security engagement each power keeps from large shocks, (R, P, S): the share
    `lasting_response` of its response to the part of a month's threat jump beyond
    `large_shock` (a base reinforced, a treaty deployment after a Crocus-sized attack),
    fading with the half-life `anchor_half_life`."""
    d = p.dynamics
    excess = np.maximum(st.threat - last.threat - per_world(d.large_shock, 2), 0.0)
    fade = per_world(decay_per_month(d.anchor_half_life), 3)
    kept = per_world(d.lasting_response, 3) * _per_pair(p.power.weights.security)
    return last.lasting * fade + kept * security_concern(p, excess)


def fit_budget(p: Params, engagement: np.ndarray) -> np.ndarray:
    """Engagement scaled to each power's budget, security served first: if security alone
    exceeds the budget it is scaled down; economic and diplomatic engagement share the rest."""
    budget = p.power.budget  # (P,) or drawn (R, P)
    security = engagement[..., Instrument.SECURITY].sum(axis=2)
    rest = engagement[..., OTHER_THAN_SECURITY].sum(axis=(2, 3))
    keep_security = np.minimum(1.0, budget / np.maximum(security, 1e-12))
    room = np.maximum(budget - security * keep_security, 0.0)
    keep_rest = np.minimum(1.0, room / np.maximum(rest, 1e-12))
    scale = axes.stack(
        {
            Instrument.SECURITY: keep_security,
            Instrument.ECONOMIC: keep_rest,
            Instrument.DIPLOMATIC: keep_rest,
        },
        axis=-1,
    )  # (R, P, 3)
    return engagement * scale[:, :, None, :]


def decide_powers(p: Params, st: State, last: State, ref: Reference) -> None:
    """Every power's engagement, sanctions and recognition for this month, from last month's
    state against the reference (the start), in every world at once."""
    w = p.power.weights
    threat_change = security_concern(p, st.threat - ref.threat)
    st.lasting = lasting_response(p, st, last)
    rival = rivalry(p, last)
    trade_now, expected = pair_trade(p, last.open_trade), last.expected_trade
    opportunity = np.clip(
        np.divide(trade_now, expected, out=np.ones_like(trade_now), where=expected > 0) - 1.0,
        -1.0,
        1.0,
    )
    d = p.dynamics
    gain, loss = per_world(d.expectation_memory, 3), per_world(d.loss_memory, 3)
    st.expected_trade = expect(gain, loss, last.expected_trade, trade_now)
    instability = (last.turbulence - ref.turbulence)[:, None, p.states]
    openness_change = last.openness - p.relation.openness
    anchor = {i: st.anchor[..., i] for i in Instrument}
    target = axes.stack(
        {
            Instrument.SECURITY: anchor[Instrument.SECURITY]
            + st.lasting
            + _per_pair(w.security) * threat_change
            + rival[Instrument.SECURITY],
            Instrument.ECONOMIC: anchor[Instrument.ECONOMIC]
            + _per_pair(w.economic) * opportunity
            - _per_pair(w.stability) * instability
            + rival[Instrument.ECONOMIC],
            Instrument.DIPLOMATIC: anchor[Instrument.DIPLOMATIC]
            + _per_pair(w.reciprocity) * openness_change
            + rival[Instrument.DIPLOMATIC],
        },
        axis=-1,
    )
    target = np.where(p.relation.related[..., None], np.clip(target, 0.0, 1.0), 0.0)
    engagement = adjust_toward(last.engagement, target, per_world(p.dynamics.power_adjustment, 4))
    st.engagement = fit_budget(p, engagement)
    st.sanctions = _sanctions(p, st, last, ref)
    _recognise(p, st, last)


def _recognition_conditions(p: Params, st: State) -> np.ndarray:
    """Whether each power's stated conditions for recognising the host hold, (R, P): its
    diplomacy at its threshold, enough other powers having recognised, its sanctions eased."""
    pw = p.power
    diplomacy = st.engagement[:, :, p.host_state, Instrument.DIPLOMATIC]
    others = st.recognition.sum(axis=1, keepdims=True) - st.recognition
    return (
        (diplomacy >= pw.recognition_threshold)
        & (others >= pw.recognition_after)
        & (st.sanctions <= pw.recognition_max_sanctions)
    )


def _recognise(p: Params, st: State, last: State) -> None:
    """A power recognises the host when its conditions come to hold (were not met last month),
    so a scheduled withdrawal holds until they lapse and hold again."""
    now, before = _recognition_conditions(p, st), _recognition_conditions(p, last)
    st.recognition = np.maximum(st.recognition, now & ~before)


def legitimacy_signal(p: Params, st: State) -> np.ndarray:
    """For each power, others' recognition of and influence over the host, (R, P)."""
    others = st.recognition + st.influence[:, :, p.host_state]
    return others.sum(axis=1, keepdims=True) - others


def _sanctions(p: Params, st: State, last: State, ref: Reference) -> np.ndarray:
    """Sanctions move with the legitimacy others grant the host beyond what the power had come
    to expect: a jump (a recognition) raises them, a level it has grown used to does not, so
    pressure does not ratchet and a lever moved to a new level holds there."""
    legitimacy = legitimacy_signal(p, last)
    target = st.sanctions_anchor + p.power.weights.legitimacy * (
        legitimacy - last.expected_legitimacy
    )
    memory = per_world(p.dynamics.legitimacy_memory, 2)
    st.expected_legitimacy = remember(memory, last.expected_legitimacy, legitimacy)
    target = np.clip(target, 0.0, 1.0)
    return adjust_toward(last.sanctions, target, per_world(p.dynamics.power_adjustment, 2))
