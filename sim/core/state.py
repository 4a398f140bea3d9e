"""The model's state: plain numpy arrays, each with a leading axis of worlds (R).

Scheduled events are identical in every world, so arrays they alone change (anchors, aid,
capacity multipliers, closure timers) carry no world axis and broadcast against the others.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from sim.core.params import Params
from sim.scenario.vocab import INFLUENCE_COMPONENTS, INFLUENCE_DRIVERS


@dataclass
class State:
    """Everything that changes during a run, for every world at once (see the module doc)."""

    threat: np.ndarray  # (R, N) threat perception in [0, 1]
    impulse: np.ndarray  # (R, N) threat from last month's events, read by observe
    turbulence: np.ndarray  # (R, N) memory of recent shocks at each actor
    networks: np.ndarray  # (R, 2) extremist and trafficking strength in [0, 1]
    excitation: np.ndarray  # (R, H) Hawkes excitation of each shock channel, events/month
    engagement: np.ndarray  # (R, P, S, 3) security, economic, diplomatic engagement
    anchor: np.ndarray  # (P, S, 3) engagement each power holds to absent new signals
    lasting: np.ndarray  # (R, P, S) security engagement kept from large shocks, decaying
    sanctions: np.ndarray  # (R, P) sanctions and conditionality pressure on the host
    sanctions_anchor: np.ndarray  # (P,)
    recognition: np.ndarray  # (R, P) formal recognition of the host (0/1)
    aid: np.ndarray  # (P, S) aid, USD M/month
    openness: np.ndarray  # (R, P, S) each state's openness to each power
    partner: np.ndarray  # (R, P, S) how far each state leans on each power for security
    host_effort: np.ndarray  # (R, 2) host counter-terrorism and enforcement effort
    posture: np.ndarray  # (R, S) border posture toward the host
    trade_openness: np.ndarray  # (R, S) openness to trade with the host
    potential: np.ndarray  # (R, F) trade the flow would carry undisturbed, USD M/month
    open_trade: np.ndarray  # (R, F) this month's trade were every route open, USD M/month
    trade: np.ndarray  # (R, F) realised trade, USD M/month
    rerouted: np.ndarray  # (R, F) share of the realised trade that took the alternate route
    capacity_multiplier: np.ndarray  # (F,) from agreements and infrastructure
    crossing_multiplier: np.ndarray  # (C,) crossing capacity from infrastructure
    disruption: np.ndarray  # (R, C) share of each crossing's flow blocked
    route_preference: np.ndarray  # (R, C) the host's preference for each crossing, 1 at start
    welcome: np.ndarray  # (R, Hn) each neighbour's welcome of Afghan migrants, 1 at start
    closure_left: np.ndarray  # (R, C) months a closure still holds
    migrants: np.ndarray  # (R, M) thousand workers
    migration_capacity: np.ndarray  # (M,)
    influence: np.ndarray  # (R, P, S) influence of power p over state s
    influence_parts: np.ndarray  # (R, P, S, 5) influence by component, summing to influence
    parts_trend: np.ndarray  # (R, P, S, 5) slow moving average of the parts
    holder_influence: np.ndarray  # (R, Hn) influence over the host of the neighbours
    holder_parts: np.ndarray  # (R, Hn, 5) the same by component
    host_drivers: np.ndarray  # (R, P, 5) what drives economic and diplomatic parts over the host
    expected_trade: np.ndarray  # (R, P, S) what each power expects to trade with each state
    expected_opportunity: np.ndarray  # (R, S) what each state expects from the host's trade
    expected_legitimacy: np.ndarray  # (R, P) the legitimacy of the host each power expects
    transit_revenue: np.ndarray  # (R, N) USD M/month
    host_revenue: np.ndarray  # (R,) customs and aid, USD M/month
    # What partners outside the model give, moved only by scheduled events; (N,) and (Hn,), or
    # (R, N) and (R, Hn) when drawn per world.
    other_support: np.ndarray  # support to each actor from partners not modelled, USD M/month
    other_diplomatic: np.ndarray  # diplomatic standing of partners not modelled, engagement
    holder_support: np.ndarray  # support to the host of each neighbour holding ties, USD M/month

    def copy(self) -> State:
        """A deep copy (last month's state while this month's is computed)."""
        return State(**{f.name: getattr(self, f.name).copy() for f in fields(self)})


def initial_state(p: Params, worlds: int) -> State:
    """The state at the start month, identical in every world (randomness starts at step 1)."""
    n_s = len(p.states)

    def tile(a: np.ndarray, ndim: int | None = None) -> np.ndarray:
        """`a` in every world; a drawn parameter (`ndim`: its rank in a world) has its own."""
        a = np.asarray(a)
        shape = a.shape if ndim is None or a.ndim == ndim else a.shape[1:]
        return np.broadcast_to(a, (worlds, *shape)).copy()

    return State(
        threat=tile(np.zeros(p.n_actors)),
        impulse=tile(np.zeros(p.n_actors)),
        turbulence=tile(np.zeros(p.n_actors)),
        networks=tile(p.network.initial, 1),
        excitation=tile(np.zeros(len(p.channels.kind))),
        engagement=tile(p.relation.engagement, 3),
        anchor=p.relation.engagement.copy(),
        lasting=tile(np.zeros((len(p.powers), n_s))),
        sanctions=tile(p.power.initial_sanctions, 1),
        sanctions_anchor=p.power.initial_sanctions.copy(),
        recognition=tile(p.relation.recognition[..., p.host_state], 1),
        aid=p.relation.aid.copy(),
        openness=tile(p.relation.openness, 2),
        partner=tile(p.relation.alignment, 2),
        host_effort=tile(p.network.host_effort, 1),
        posture=tile(p.state.initial_posture, 1),
        trade_openness=tile(p.state.initial_trade_openness, 1),
        potential=tile(p.flow.base_trade, 1),
        open_trade=tile(p.flow.base_trade, 1),
        trade=tile(p.flow.base_trade, 1),
        rerouted=tile(np.zeros(len(p.flow.base_trade))),
        capacity_multiplier=np.ones(len(p.flow.base_trade)),
        crossing_multiplier=np.ones(len(p.crossing.ids)),
        disruption=tile(np.zeros(len(p.crossing.ids))),
        route_preference=tile(np.ones(len(p.crossing.ids))),
        welcome=tile(np.ones(len(p.holders.codes))),
        closure_left=tile(np.zeros(len(p.crossing.ids), dtype=np.int64)),
        migrants=tile(p.corridor.workers, 1),
        migration_capacity=p.corridor.capacity.copy(),
        influence=tile(np.zeros((len(p.powers), n_s))),
        influence_parts=tile(np.zeros((len(p.powers), n_s, len(INFLUENCE_COMPONENTS)))),
        parts_trend=tile(np.zeros((len(p.powers), n_s, len(INFLUENCE_COMPONENTS)))),
        holder_influence=tile(np.zeros(len(p.holders.codes))),
        holder_parts=tile(np.zeros((len(p.holders.codes), len(INFLUENCE_COMPONENTS)))),
        host_drivers=tile(np.zeros((len(p.powers), len(INFLUENCE_DRIVERS)))),
        expected_trade=tile(np.zeros((len(p.powers), n_s))),
        expected_opportunity=tile(np.zeros(n_s)),
        expected_legitimacy=tile(np.zeros(len(p.powers))),
        transit_revenue=tile(np.zeros(p.n_actors)),
        host_revenue=np.zeros(worlds),
        other_support=np.array(p.actor.other_support, dtype=float),
        other_diplomatic=np.array(p.actor.other_diplomatic, dtype=float),
        holder_support=np.array(p.holders.support, dtype=float),
    )
