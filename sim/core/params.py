"""A validated Scenario compiled into index maps and numpy arrays for the model's stages.

Axes used throughout (numpy style):
  N actors, P powers, S states (host and neighbours), F trade flows, K commodities,
  C crossings, H shock channels (a shock kind at one target), M migration corridors.
Params holds the axes (codes and index maps) and one small frozen dataclass of parameters per
axis, each built by its own function: `p.flow.base_trade`, `p.power.weights.rivalry`,
`p.dynamics.threat_memory`: names a type checker and an editor know, not string keys of a
dict that a typo turns into a KeyError at run time.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from sim.core import rng
from sim.core.assumptions import grid, stack, with_draws
from sim.core.channels import ShockChannels, build_channels
from sim.core.rows import dot
from sim.core.smoothing import decay_per_month
from sim.core.units import MONTHS_PER_YEAR
from sim.scenario.schema import Event, HostTies, Quantity, Scenario
from sim.scenario.vocab import (
    INFLUENCE_COMPONENTS,
    INSTRUMENTS,
    NETWORKS,
    corridor_label,
    flow_label,
)


def _values(items, name: str) -> np.ndarray:
    return stack([getattr(item, name).value for item in items])


def _quantities(cls, model) -> dict:
    """The values of a pydantic model's Quantity fields, by the names of dataclass `cls`."""
    return {f.name: getattr(model, f.name).value for f in fields(cls)}


@dataclass(frozen=True)
class ActorParams:
    """Per actor, (N,) each."""

    gdp: np.ndarray
    exposure: np.ndarray
    security_capacity: np.ndarray
    economic_capacity: np.ndarray
    rest_of_world: np.ndarray  # USD M/month
    rest_of_world_growth: np.ndarray  # 1/year
    other_support: np.ndarray
    other_diplomatic: np.ndarray
    income_growth: np.ndarray  # 1/year


@dataclass(frozen=True)
class PowerWeights:
    """Priority weights of the powers' rule, (P,) each (see sim.scenario.schema.PowerPriorities)."""

    security: np.ndarray
    economic: np.ndarray
    stability: np.ndarray
    rivalry: np.ndarray
    reciprocity: np.ndarray
    legitimacy: np.ndarray


@dataclass(frozen=True)
class StateWeights:
    """Priority weights of the host's and neighbours' rules, (S,) each."""

    security: np.ndarray
    opportunity: np.ndarray
    recognition: np.ndarray
    support: np.ndarray
    sovereignty: np.ndarray
    balancing: np.ndarray


@dataclass(frozen=True)
class PowerParams:
    """Per power, (P,) each."""

    initial_sanctions: np.ndarray
    budget: np.ndarray
    recognition_threshold: np.ndarray  # diplomatic engagement with the host
    recognition_after: np.ndarray  # other powers that must have recognised first
    recognition_max_sanctions: np.ndarray  # its own sanctions must be at most this
    weights: PowerWeights


@dataclass(frozen=True)
class StateParams:
    """Per state (host and neighbours), (S,) each."""

    initial_posture: np.ndarray
    initial_trade_openness: np.ndarray
    closure_threshold: np.ndarray  # posture beyond which a neighbour closes its crossings
    weights: StateWeights


@dataclass(frozen=True)
class RelationParams:
    """Per (power, state) pair, (P, S) each; engagement (P, S, 3) by INSTRUMENTS."""

    engagement: np.ndarray
    aid: np.ndarray
    openness: np.ndarray
    alignment: np.ndarray
    recognition: np.ndarray
    related: np.ndarray  # bool: the pair is declared in relations
    security_tie: np.ndarray  # treaty, base or defence-cooperation tie
    aid_via_un: np.ndarray  # share of aid that bypasses the state
    investment: np.ndarray  # disbursed at the start, USD M/month
    access_control: np.ndarray  # share of what the state seeks that the power controls
    written_economic: np.ndarray  # economic engagement as written (levers at their reference)


@dataclass(frozen=True)
class CommodityParams:
    """Per commodity group, (K,) each."""

    names: list[str]
    price: np.ndarray
    volatility: np.ndarray
    growth_rate: np.ndarray  # switching inertia, 1/month
    engagement_lift: np.ndarray
    substitution: np.ndarray  # Armington elasticity between suppliers
    demand_elasticity: np.ndarray  # of demand to the composite cost
    essentiality: np.ndarray


@dataclass(frozen=True)
class FlowParams:
    """Per trade flow, (F,) each, unless noted."""

    labels: list[str]  # EXPORTER-IMPORTER-commodity
    keys: np.ndarray  # uint64 draw keys of the flows' trade noise (from their labels)
    exporter: np.ndarray
    importer: np.ndarray
    commodity: np.ndarray
    base_trade: np.ndarray  # USD M/month
    trend: np.ndarray  # 1/year
    route: np.ndarray  # crossing index or -1
    routed: np.ndarray  # indices of the flows with a route
    capacity_signal: np.ndarray  # index into the vector of capacity signals (stages.trade)
    involves: np.ndarray  # (F, N) 1 where the actor is exporter or importer
    pair: np.ndarray  # (F, P*S) 1 where the flow joins power p and state s
    pair_import: np.ndarray  # (F, P*S) 1 where state s imports the flow from power p
    imports: np.ndarray  # (F, N) 1 for the flow's importer
    exports: np.ndarray  # (F, N) 1 for the flow's exporter
    touches_host: np.ndarray  # bool
    fee_primary: np.ndarray  # (F, N) transit revenue per USD M through the primary crossing
    fee_alternate: np.ndarray  # (F, N) the same through the alternate crossing
    market: np.ndarray  # (F, Q) 1 where the flow supplies market q (an importer's commodity)
    base_share: np.ndarray  # (F,) the flow's share of its market at the start
    market_base: np.ndarray  # (Q,) each market's demand at the start, USD M/month
    market_importer: np.ndarray  # (Q,) actor index of the importer
    market_of: np.ndarray  # (F,) the market each flow supplies

    def market_totals(self, x: np.ndarray) -> np.ndarray:
        """Each flow's market total of `x`, (R, F): summed over the market, then gathered
        back to its flows (exact, and half the time of a second product)."""
        return dot(x, self.market)[:, self.market_of]


@dataclass(frozen=True)
class CrossingParams:
    """Per border crossing, (C,) each."""

    ids: list[str]
    alternate: np.ndarray
    reroute_share: np.ndarray
    reroute_cost: np.ndarray
    disruption_decay: np.ndarray  # monthly multiplier
    transit_state: np.ndarray  # actor index
    capacity: np.ndarray  # most it carries, a multiple of its start load
    start_load: np.ndarray  # what it carries at the start, USD M/month
    carries: np.ndarray  # (routed flows, C) 1 at each routed flow's crossing
    carries_rerouted: np.ndarray  # (routed flows, C) 1 at its alternate, if it has one


@dataclass(frozen=True)
class NetworkParams:
    """Per threat network, (2,) each, in the order of NETWORKS."""

    initial: np.ndarray
    growth: np.ndarray
    cooperation: np.ndarray
    posture: np.ndarray
    boost: np.ndarray
    host_effort: np.ndarray  # host's starting counter-terrorism and enforcement


@dataclass(frozen=True)
class CorridorParams:
    """Per migration corridor, (M,) each."""

    labels: list[str]  # ORIGIN-DESTINATION
    origin: np.ndarray  # state index
    destination: np.ndarray  # power index
    workers: np.ndarray
    capacity: np.ndarray
    growth: np.ndarray
    remittance: np.ndarray  # USD M per thousand workers per month
    sends: np.ndarray  # (M, P*S) 1 at each corridor's destination power and origin state


@dataclass(frozen=True)
class HolderParams:
    """The neighbours, which hold influence over the host through what they trade, carry and
    control there (`host_ties`), (Hn,) each."""

    codes: list[str]
    actors: np.ndarray  # actor index
    states: np.ndarray  # state index
    support: np.ndarray  # USD M/month
    diplomatic: np.ndarray
    openness: np.ndarray
    access_control: np.ndarray
    pair: np.ndarray  # (F, Hn) 1 where the flow joins the holder and the host
    pair_import: np.ndarray  # (F, Hn) 1 where the host imports the flow from the holder
    carried: np.ndarray  # (F, Hn) 1 where the holder's crossing carries the host's import
    carried_rerouted: np.ndarray  # (F, Hn) the same for the flow's rerouted part


@dataclass(frozen=True)
class AllianceParams:
    """Collective-defence treaties, (A, ...) each."""

    members: np.ndarray  # (A, N) 1 for each member actor
    solidarity: np.ndarray  # (A,)


@dataclass(frozen=True)
class InfluenceParams:
    """The influence index: component weights (in the order of INFLUENCE_COMPONENTS), the
    monthly inertia and how exports and the rest of the world count in trade dependence."""

    weights: np.ndarray  # (5,) in the order of INFLUENCE_COMPONENTS
    inertia: float
    export_dependence: float
    rest_dependence: float
    transit_dependence: float


@dataclass(frozen=True)
class DynamicsParams:
    """Rates shared by all actors of a role (see sim.scenario.schema.Dynamics)."""

    power_adjustment: float
    state_adjustment: float
    threat_memory: float
    threat_from_networks: float
    spillover: float
    turbulence_memory: float
    trend_memory: float
    sanctions_drag: float
    host_revenue_elasticity: float
    host_tariff: float
    income_elasticity: float
    expectation_memory: float
    loss_memory: float
    legitimacy_memory: float
    migration_push: float
    trend_half_life: float
    lasting_response: float
    large_shock: float
    anchor_half_life: float
    route_aversion: float
    redirect_rate: float
    migrant_backlash: float


@dataclass(frozen=True)
class Params:
    """A compiled scenario: the axes (codes and index maps) and the parameters of each axis."""

    scenario: Scenario
    codes: list[str]
    powers: np.ndarray  # (P,) actor indices
    states: np.ndarray  # (S,) actor indices
    host: int  # actor index of the host
    host_state: int  # state index of the host
    neighbors: np.ndarray  # (S,) bool, True for neighbours
    actor: ActorParams
    power: PowerParams
    state: StateParams
    relation: RelationParams
    commodity: CommodityParams
    flow: FlowParams
    crossing: CrossingParams
    network: NetworkParams
    channels: ShockChannels
    corridor: CorridorParams
    alliance: AllianceParams
    holders: HolderParams
    influence: InfluenceParams
    dynamics: DynamicsParams
    events: dict[int, list[Event]] = field(default_factory=dict)
    assumptions: dict[str, np.ndarray] = field(default_factory=dict)  # drawn, (R,) by column

    @property
    def n_actors(self) -> int:
        """Actors on the actor axis (N)."""
        return len(self.codes)

    def index(self, code: str) -> int:
        """Position of an actor on the actor axis."""
        return self.codes.index(code)

    def power_index(self, code: str) -> int:
        """Position of a power on the power axis."""
        return int(np.flatnonzero(self.powers == self.index(code))[0])

    def state_index(self, code: str) -> int:
        """Position of a state (host or neighbour) on the state axis."""
        return int(np.flatnonzero(self.states == self.index(code))[0])

    @property
    def power_codes(self) -> list[str]:
        """Codes of the powers in axis order."""
        return [self.codes[i] for i in self.powers]

    @property
    def state_codes(self) -> list[str]:
        """Codes of the states (host and neighbours) in axis order."""
        return [self.codes[i] for i in self.states]


@dataclass(frozen=True)
class Axes:
    """Index maps from codes to positions on the actor, power and state axes."""

    codes: list[str]
    actor: dict[str, int]
    power: dict[str, int]
    state: dict[str, int]
    host: int

    @classmethod
    def of(cls, s: Scenario) -> Axes:
        """The index maps of a validated scenario."""
        codes = s.codes()
        return cls(
            codes=codes,
            actor={c: i for i, c in enumerate(codes)},
            power={c: i for i, c in enumerate(s.codes("power"))},
            state={c: i for i, c in enumerate(s.codes("host", "neighbor"))},
            host=codes.index(s.codes("host")[0]),
        )


def compile_scenario(written: Scenario, draws: dict[str, np.ndarray] | None = None) -> Params:
    """Turn a validated scenario into the arrays the stages use, one builder per axis. With
    `draws` (sim.core.assumptions.draw: values over a block's R worlds), the drawn numbers'
    arrays gain a leading world axis: (R, *shape), or (R,) for a single number."""
    s = with_draws(written, draws or {})
    ax = Axes.of(s)
    events: dict[int, list[Event]] = {}
    for e in s.events:
        events.setdefault(s.month_index(e.month), []).append(e)
    commodities = _commodities(s)
    flow = _flows(s, ax, commodities)
    crossing = _crossings(s, ax, flow)
    return Params(
        scenario=written,
        assumptions=dict(draws or {}),
        codes=ax.codes,
        powers=np.array([ax.actor[c] for c in ax.power]),
        states=np.array([ax.actor[c] for c in ax.state]),
        host=ax.host,
        host_state=ax.state[ax.codes[ax.host]],
        neighbors=np.array([s.actors[ax.actor[c]].role == "neighbor" for c in ax.state]),
        actor=_actors(s),
        power=_powers(s, ax),
        state=_states(s, ax),
        relation=_relations(s, ax, written.at_reference()),
        commodity=commodities,
        flow=flow,
        crossing=crossing,
        network=_networks(s),
        channels=build_channels(s),
        corridor=_corridors(s, ax),
        alliance=_alliances(s, ax),
        holders=_holders(s, ax, flow, crossing),
        influence=InfluenceParams(
            weights=stack([getattr(s.influence, k).value for k in INFLUENCE_COMPONENTS]),
            inertia=s.influence.inertia.value,
            export_dependence=s.influence.export_dependence.value,
            rest_dependence=s.influence.rest_dependence.value,
            transit_dependence=s.influence.transit_dependence.value,
        ),
        dynamics=DynamicsParams(**_quantities(DynamicsParams, s.dynamics)),
        events=events,
    )


def _actors(s: Scenario) -> ActorParams:
    a = s.actors
    return ActorParams(
        gdp=_values(a, "gdp"),
        exposure=_values(a, "exposure"),
        security_capacity=_values(a, "security_capacity"),
        economic_capacity=_values(a, "economic_capacity"),
        rest_of_world=_values(a, "rest_of_world_trade") / MONTHS_PER_YEAR,
        rest_of_world_growth=_values(a, "rest_of_world_growth"),
        other_support=_values(a, "other_support"),
        other_diplomatic=_values(a, "other_diplomatic"),
        income_growth=_values(a, "income_growth"),
    )


def _priority_arrays(cls, priorities: list) -> dict[str, np.ndarray]:
    return {f.name: _values(priorities, f.name) for f in fields(cls)}


def _powers(s: Scenario, ax: Axes) -> PowerParams:
    powers = [s.actors[ax.actor[c]] for c in ax.power]
    return PowerParams(
        initial_sanctions=_values(powers, "sanctions"),
        budget=_values(powers, "budget"),
        recognition_threshold=_values(powers, "recognition_threshold"),
        recognition_after=_values(powers, "recognition_after"),
        recognition_max_sanctions=_values(powers, "recognition_max_sanctions"),
        weights=PowerWeights(**_priority_arrays(PowerWeights, [a.priorities for a in powers])),
    )


def _states(s: Scenario, ax: Axes) -> StateParams:
    states = [s.actors[ax.actor[c]] for c in ax.state]
    return StateParams(
        initial_posture=_values(states, "border_posture"),
        initial_trade_openness=_values(states, "trade_openness"),
        closure_threshold=_values(states, "closure_threshold"),
        weights=StateWeights(**_priority_arrays(StateWeights, [a.priorities for a in states])),
    )


def _relations(s: Scenario, ax: Axes, at_reference: Scenario) -> RelationParams:
    shape = (len(ax.power), len(ax.state))
    cells = [(ax.power[r.power], ax.state[r.state]) for r in s.relations]

    def of(name: str) -> np.ndarray:
        values = [getattr(r, name).value for r in s.relations]
        return grid(shape, dict(zip(cells, values, strict=True)))

    engagement = grid(
        (*shape, len(INSTRUMENTS)),
        {
            (*cell, k): getattr(r, name).value
            for cell, r in zip(cells, s.relations, strict=True)
            for k, name in enumerate(INSTRUMENTS)
        },
    )
    related = np.zeros(shape, dtype=bool)
    related[tuple(np.array(cells).T)] = True
    written = np.zeros(shape)  # investment is disbursed at the start as written
    for r in at_reference.relations:
        written[ax.power[r.power], ax.state[r.state]] = r.economic.value
    return RelationParams(
        engagement=engagement,
        aid=of("aid"),
        openness=of("openness"),
        alignment=of("alignment"),
        recognition=of("recognition"),  # a pair without a declared relation: none
        related=related,
        security_tie=of("security_tie"),
        aid_via_un=of("aid_via_un"),
        investment=of("investment"),
        access_control=of("access_control"),
        written_economic=written,
    )


def _commodities(s: Scenario) -> CommodityParams:
    c = s.commodities
    return CommodityParams(
        names=[x.name for x in c],
        price=_values(c, "price"),
        volatility=_values(c, "volatility"),
        growth_rate=_values(c, "growth_rate"),
        engagement_lift=_values(c, "engagement_lift"),
        substitution=_values(c, "substitution"),
        demand_elasticity=_values(c, "demand_elasticity"),
        essentiality=_values(c, "essentiality"),
    )


def _flows(s: Scenario, ax: Axes, commodities: CommodityParams) -> FlowParams:
    n_f, n_n = len(s.trade), len(ax.codes)
    k_of = {n: i for i, n in enumerate(commodities.names)}
    c_of = {c.id: i for i, c in enumerate(s.crossings)}
    labels = [flow_label(f.exporter, f.importer, f.commodity) for f in s.trade]
    exporter = np.array([ax.actor[f.exporter] for f in s.trade], dtype=np.int64)
    importer = np.array([ax.actor[f.importer] for f in s.trade], dtype=np.int64)
    commodity = np.array([k_of[f.commodity] for f in s.trade], dtype=np.int64)
    route = np.array([c_of[f.route] if f.route else -1 for f in s.trade], dtype=np.int64)
    imports, exports = np.zeros((n_f, n_n)), np.zeros((n_f, n_n))
    imports[np.arange(n_f), importer] = 1.0
    exports[np.arange(n_f), exporter] = 1.0
    pair, pair_import, signal = _pairs(ax, exporter, importer)
    fee_primary, fee_alternate = _fees(s, ax, exporter, importer, commodity, route, commodities)
    base = np.array([f.value for f in s.trade]) / MONTHS_PER_YEAR
    market, market_base, base_share, market_importer = _markets(importer, commodity, base)
    return FlowParams(
        labels=labels,
        keys=rng.label_keys(labels),
        exporter=exporter,
        importer=importer,
        commodity=commodity,
        base_trade=base,
        trend=stack([f.trend for f in s.trade]),
        route=route,
        routed=np.flatnonzero(route >= 0),
        capacity_signal=signal,
        involves=imports + exports,
        pair=pair,
        pair_import=pair_import,
        imports=imports,
        exports=exports,
        touches_host=(exporter == ax.host) | (importer == ax.host),
        fee_primary=fee_primary,
        fee_alternate=fee_alternate,
        market=market,
        base_share=base_share,
        market_base=market_base,
        market_importer=market_importer,
        market_of=market.argmax(axis=1),
    )


def _pairs(ax: Axes, exporter: np.ndarray, importer: np.ndarray):
    """(F, P*S) maps of the (power, state) pair each flow joins, both ways and as an import of
    the state, and the capacity signal of each flow: an index into [economic engagement (P*S)
    | trade openness (S) | none]."""
    codes, host, n_f = ax.codes, ax.host, len(exporter)
    n_p, n_s = len(ax.power), len(ax.state)
    pair, pair_import = np.zeros((n_f, n_p * n_s)), np.zeros((n_f, n_p * n_s))
    signal = np.full(n_f, n_p * n_s + n_s, dtype=np.int64)
    for f, (a, b) in enumerate(zip(exporter, importer, strict=True)):
        ca, cb = codes[a], codes[b]
        for pw, st in ((ca, cb), (cb, ca)):
            if pw in ax.power and st in ax.state:
                pair[f, ax.power[pw] * n_s + ax.state[st]] = 1.0
                pair_import[f, ax.power[pw] * n_s + ax.state[st]] = float(st == cb)
                signal[f] = ax.power[pw] * n_s + ax.state[st]
        if host in (a, b) and pair[f].sum() == 0:
            other = b if a == host else a
            if codes[other] in ax.state:
                signal[f] = n_p * n_s + ax.state[codes[other]]
    return pair, pair_import, signal


def _fees(s: Scenario, ax: Axes, exporter, importer, commodity, route, commodities):
    """(F, N) transit revenue per USD M of each flow through its primary crossing and through
    that crossing's alternate, to the transit state (none where it trades the flow itself)."""
    c_of = {c.id: i for i, c in enumerate(s.crossings)}
    transit = np.array([ax.actor[c.transit_state] for c in s.crossings], dtype=np.int64)
    fees = _values(s.crossings, "fee")
    alternate = np.array(
        [c_of[c.alternate] if c.alternate else -1 for c in s.crossings], dtype=np.int64
    )

    def fee_matrix(crossing_of_flow: np.ndarray) -> np.ndarray:
        m = np.zeros((len(exporter), len(ax.codes)))
        for f, c in enumerate(crossing_of_flow):
            if c >= 0 and transit[c] not in (exporter[f], importer[f]):
                m[f, transit[c]] = fees[c] / commodities.price[commodity[f]]
        return m

    alternate_of_flow = (
        np.where(route >= 0, alternate[np.maximum(route, 0)], -1) if len(alternate) else route
    )
    return fee_matrix(route), fee_matrix(alternate_of_flow)


def _markets(importer: np.ndarray, commodity: np.ndarray, base: np.ndarray):
    """Markets (an importer's demand for one commodity group): the (F, Q) map of flows to
    markets, each market's demand at the start, each flow's share of it (even shares in a
    market with no trade) and each market's importer."""
    n_f = len(importer)
    markets = sorted(set(zip(importer.tolist(), commodity.tolist(), strict=True)))
    market = np.zeros((n_f, len(markets)))
    market[np.arange(n_f), [markets.index(m) for m in zip(importer, commodity, strict=True)]] = 1
    market_base = base @ market
    supplied = market @ np.where(market_base > 0, market_base, 1.0)
    suppliers = market @ market.sum(axis=0)  # how many flows share each flow's market
    base_share = np.where(market @ market_base > 0, base / supplied, 1.0 / suppliers)
    importers = np.array([m[0] for m in markets], dtype=np.int64)
    return market, market_base, base_share, importers


def _crossings(s: Scenario, ax: Axes, flow: FlowParams) -> CrossingParams:
    c = s.crossings
    ids = [x.id for x in c]
    half_life = _values(c, "recovery_half_life")
    route = flow.route[flow.routed]
    carries = np.eye(len(c))[route]
    alternate = np.array(
        [ids.index(c[k].alternate) if c[k].alternate else -1 for k in route], dtype=np.int64
    )
    carries_rerouted = np.where(alternate[:, None] >= 0, np.eye(len(c))[alternate], 0.0)
    start_load = flow.base_trade[flow.routed] @ carries
    return CrossingParams(
        ids=ids,
        alternate=np.array(
            [ids.index(x.alternate) if x.alternate else -1 for x in c], dtype=np.int64
        ),
        reroute_share=_values(c, "reroute_share"),
        reroute_cost=_values(c, "reroute_cost"),
        disruption_decay=decay_per_month(half_life),
        transit_state=np.array([ax.actor[x.transit_state] for x in c], dtype=np.int64),
        capacity=_values(c, "capacity"),
        start_load=start_load,
        carries=carries,
        carries_rerouted=carries_rerouted,
    )


def _networks(s: Scenario) -> NetworkParams:
    nets = [getattr(s.networks, name) for name in NETWORKS]
    return NetworkParams(
        initial=_values(nets, "initial"),
        growth=_values(nets, "growth"),
        cooperation=_values(nets, "foreign_cooperation"),
        posture=_values(nets, "border_posture"),
        boost=_values(nets, "event_boost"),
        host_effort=_values(nets, "host_effort"),
    )


def _corridors(s: Scenario, ax: Axes) -> CorridorParams:
    m = s.migration
    sends = np.zeros((len(m), len(ax.power) * len(ax.state)))
    for k, x in enumerate(m):
        sends[k, ax.power[x.destination] * len(ax.state) + ax.state[x.origin]] = 1.0
    return CorridorParams(
        labels=[corridor_label(x.origin, x.destination) for x in m],
        origin=np.array([ax.state[x.origin] for x in m], dtype=np.int64),
        destination=np.array([ax.power[x.destination] for x in m], dtype=np.int64),
        workers=_values(m, "workers"),
        capacity=_values(m, "capacity"),
        growth=_values(m, "growth"),
        remittance=_values(m, "remittance") * 1e3 / 1e6,
        sends=sends,
    )


def _alliances(s: Scenario, ax: Axes) -> AllianceParams:
    members = np.zeros((len(s.alliances), len(ax.codes)))
    for i, a in enumerate(s.alliances):
        members[i, [ax.actor[c] for c in a.members]] = 1.0
    return AllianceParams(
        members=members,
        solidarity=_values(s.alliances, "solidarity"),
    )


NO_TIES = HostTies(
    support=Quantity(value=0.0, unit="USD M/month", source="assumption: none"),
    diplomatic=Quantity(value=0.0, unit="engagement", source="assumption: none"),
    openness=Quantity(value=0.5, unit="share", source="assumption: mid-range"),
    access_control=Quantity(value=0.0, unit="share", source="assumption: none"),
)  # a neighbour without declared host_ties holds influence through trade and transit only


def _holders(s: Scenario, ax: Axes, flow: FlowParams, crossing: CrossingParams) -> HolderParams:
    held = [a for a in s.actors if a.role == "neighbor"]
    actors = np.array([ax.actor[a.code] for a in held], dtype=np.int64)
    pair_import = flow.imports[:, [ax.host]] * flow.exports[:, actors]  # host imports from it

    def carried_by(crossings: np.ndarray) -> np.ndarray:
        """(F, Hn) 1 where the holder owns the crossing and is not the import's exporter."""
        owners = np.append(crossing.transit_state, -1)  # -1: no crossing, no carrier
        carrier = owners[crossings]
        return (carrier[:, None] == actors) * flow.imports[:, [ax.host]] * (1.0 - pair_import)

    alternate = np.append(crossing.alternate, -1)[flow.route]  # a flow without a route: -1
    ties = [a.host_ties or NO_TIES for a in held]
    return HolderParams(
        codes=[a.code for a in held],
        actors=actors,
        states=np.array([ax.state[a.code] for a in held], dtype=np.int64),
        support=_values(ties, "support"),
        diplomatic=_values(ties, "diplomatic"),
        openness=_values(ties, "openness"),
        access_control=_values(ties, "access_control"),
        pair=pair_import + flow.exports[:, [ax.host]] * flow.imports[:, actors],
        pair_import=pair_import,
        carried=carried_by(flow.route),
        carried_rerouted=carried_by(alternate),
    )
