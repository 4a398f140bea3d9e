"""Scheduled events: applied at the start of their month, the same in every world.

Security events (attack, border_clash, trafficking_surge, closure) act through the same effects
as stochastic shocks; policy events change anchors, sanctions, recognition, aid, capacity and
migration programmes, and what partners outside the model give a state (other_support,
other_diplomatic) or a neighbour holding ties gives the host (host_ties_support). Responses to
them come from the decision rules, never from the script.
"""

from __future__ import annotations

import numpy as np

from sim.core.channels import effect_rows
from sim.core.params import Params
from sim.core.stages.shocks import apply_effects
from sim.core.state import State
from sim.scenario.schema import Event
from sim.scenario.vocab import INSTRUMENTS, SECURITY_EVENTS


def apply_scheduled(p: Params, st: State, month: int) -> None:
    """Apply every event scheduled for `month` to the state."""
    for event in p.events.get(month, ()):
        HANDLERS[event.type](p, st, event)


def _security_event(p: Params, st: State, e: Event) -> None:
    """Act through the effects of one unit of the stochastic shock of the same kind."""
    if e.type == "closure":
        target = p.crossing.ids.index(e.crossing)
        st.closure_left[:, target] = np.maximum(st.closure_left[:, target], e.duration_months)
    elif e.type == "trafficking_surge":
        target = p.host
    else:
        target = p.index(e.target)
    effects = effect_rows(p.scenario, [e.type], [target])
    apply_effects(st, effects, np.array([e.value]))


def _flows_between(p: Params, a: int, b: int) -> np.ndarray:
    f = p.flow
    return ((f.exporter == a) & (f.importer == b)) | ((f.exporter == b) & (f.importer == a))


def _recognition(p: Params, st: State, e: Event) -> None:
    st.recognition[:, p.power_index(e.actor)] = 1.0 if e.value > 0 else 0.0


def _sanctions(p: Params, st: State, e: Event) -> None:
    st.sanctions_anchor[p.power_index(e.actor)] = e.value


def _aid(p: Params, st: State, e: Event) -> None:
    st.aid[p.power_index(e.actor), p.state_index(e.target)] = e.value


def _agreement(p: Params, st: State, e: Event) -> None:
    st.capacity_multiplier[_flows_between(p, p.index(e.actor), p.index(e.target))] *= e.value


def _infrastructure(p: Params, st: State, e: Event) -> None:
    crossing = p.crossing.ids.index(e.crossing)
    st.capacity_multiplier[p.flow.route == crossing] *= e.value
    st.crossing_multiplier[crossing] *= e.value


def _engagement(p: Params, st: State, e: Event) -> None:
    cell = (p.power_index(e.actor), p.state_index(e.target), INSTRUMENTS.index(e.instrument))
    st.anchor[cell] = np.clip(st.anchor[cell] + e.value, 0.0, 1.0)


def _migration(p: Params, st: State, e: Event) -> None:
    c = p.corridor
    corridor = (c.destination == p.power_index(e.actor)) & (c.origin == p.state_index(e.target))
    st.migration_capacity[corridor] = e.value


def _other_support(p: Params, st: State, e: Event) -> None:
    """Support from partners not modelled (the target's `other_support`) times `value`."""
    st.other_support[..., p.index(e.target)] *= e.value


def _other_diplomatic(p: Params, st: State, e: Event) -> None:
    """Standing of partners not modelled (the target's `other_diplomatic`) moved by `value`."""
    target = p.index(e.target)
    st.other_diplomatic[..., target] = np.maximum(st.other_diplomatic[..., target] + e.value, 0.0)


def _host_ties_support(p: Params, st: State, e: Event) -> None:
    """A neighbour's support to the host (its `host_ties.support`) times `value`: a factor, so
    that every world keeps its own drawn level."""
    st.holder_support[..., p.holders.codes.index(e.actor)] *= e.value


# The handler of every event type (tests/test_vocabulary.py holds this to EVENT_TYPES).
HANDLERS = {
    **dict.fromkeys(SECURITY_EVENTS, _security_event),
    "recognition": _recognition,
    "sanctions": _sanctions,
    "aid": _aid,
    "agreement": _agreement,
    "infrastructure": _infrastructure,
    "engagement": _engagement,
    "migration": _migration,
    "other_support": _other_support,
    "other_diplomatic": _other_diplomatic,
    "host_ties_support": _host_ties_support,
}
