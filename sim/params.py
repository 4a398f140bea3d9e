"""A validated Scenario compiled into index maps and numpy arrays for the model's stages.

Axes used throughout (numpy style):
  N actors, P powers, S states (host and neighbours), F trade flows, K commodities,
  C crossings, H shock channels (a shock type at one target), M migration corridors.
Per-actor arrays are indexed by actor; P x S arrays by (power, state) in scenario order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from sim import rng
from sim.scenario import INSTRUMENTS, Scenario

MONTHS_PER_YEAR = 12.0


def _values(items, name: str) -> np.ndarray:
    return np.array([getattr(item, name).value for item in items], dtype=np.float64)


@dataclass(frozen=True)
class ShockChannels:
    """Stochastic event channels, shape (H,) each: one per (shock type, target)."""

    kind: np.ndarray  # index into SHOCK_KINDS
    target: np.ndarray  # actor index, or crossing index for closures
    base_rate: np.ndarray  # immigrant (background) rate at the starting network level
    mean_rate: np.ndarray  # long-run mean rate including self-excitation (the scenario's figure)
    driver: np.ndarray  # 0 extremist, 1 trafficking
    excitation: np.ndarray
    excitation_decay: np.ndarray  # monthly multiplier of the excitation
    magnitude: np.ndarray
    magnitude_sd: np.ndarray
    effects: Effects
    keys: np.ndarray  # (H,) uint64 draw keys from "kind:target", stable when channels are added

    @cached_property
    def kind_matrix(self) -> np.ndarray:
        """(H, kinds) one-hot map of channels to SHOCK_KINDS, to count events by kind."""
        return (self.kind[:, None] == np.arange(len(SHOCK_KINDS))[None, :]).astype(np.int64)


@dataclass(frozen=True)
class Effects:
    """What one unit of event magnitude does, one row per event source (channel or event)."""

    threat: np.ndarray  # (H, N) threat impulse on each actor
    turbulence: np.ndarray  # (H, N) shock memory at the target
    network: np.ndarray  # (H, 2) strength added to the extremist and trafficking networks
    closure: np.ndarray  # (H, C) share of each crossing blocked

    @cached_property
    def closing(self) -> np.ndarray:
        """Rows that block a crossing (only those need the closure computation)."""
        return np.flatnonzero(self.closure.any(axis=1))


SHOCK_KINDS = ("attack_host", "attack_abroad", "border_clash", "trafficking_surge", "closure")


@dataclass(frozen=True)
class Params:
    scenario: Scenario
    codes: list[str]
    powers: np.ndarray  # (P,) actor indices
    states: np.ndarray  # (S,) actor indices
    host: int  # actor index of the host
    host_state: int  # state index of the host
    neighbors: np.ndarray  # (S,) bool, True for neighbours
    # actors (N,)
    gdp: np.ndarray
    exposure: np.ndarray
    security_capacity: np.ndarray
    economic_capacity: np.ndarray
    rest_of_world: np.ndarray  # USD M/month
    rest_of_world_growth: np.ndarray  # 1/year
    other_support: np.ndarray
    other_diplomatic: np.ndarray
    initial_sanctions: np.ndarray  # (P,)
    budget: np.ndarray  # (P,)
    recognition_threshold: np.ndarray  # (P,)
    power_weights: dict[str, np.ndarray]  # each (P,)
    state_weights: dict[str, np.ndarray]  # each (S,)
    initial_posture: np.ndarray  # (S,)
    initial_trade_openness: np.ndarray  # (S,)
    # relations (P, S)
    engagement: np.ndarray  # (P, S, 3) security, economic, diplomatic
    aid: np.ndarray
    openness: np.ndarray
    alignment: np.ndarray
    recognition: np.ndarray
    # commodities (K,)
    commodity_names: list[str]
    price: np.ndarray
    volatility: np.ndarray
    growth_rate: np.ndarray
    engagement_lift: np.ndarray
    # flows (F,)
    flow_labels: list[str]  # EXPORTER-IMPORTER-commodity
    flow_keys: np.ndarray  # uint64 draw keys of the flows' trade noise (from their labels)
    exporter: np.ndarray
    importer: np.ndarray
    commodity: np.ndarray
    base_trade: np.ndarray  # USD M/month
    trend: np.ndarray  # 1/year
    route: np.ndarray  # crossing index or -1
    routed: np.ndarray  # indices of the flows with a route
    driver: np.ndarray  # index into the flattened driver vector (see model)
    involves: np.ndarray  # (F, N) 1 where the actor is exporter or importer
    pair: np.ndarray  # (F, P*S) 1 where the flow joins power p and state s
    touches_host: np.ndarray  # (F,) bool
    fee_primary: np.ndarray  # (F, N) transit revenue per USD M through the primary crossing
    fee_alternate: np.ndarray  # (F, N) the same through the alternate crossing
    # crossings (C,)
    crossing_ids: list[str]
    alternate: np.ndarray
    reroute_share: np.ndarray
    reroute_cost: np.ndarray
    disruption_decay: np.ndarray  # monthly multiplier
    crossing_state: np.ndarray  # (C,) actor index of the transit state
    # threat networks: index 0 extremist, 1 trafficking (2,)
    network_initial: np.ndarray
    network_growth: np.ndarray
    network_cooperation: np.ndarray
    network_posture: np.ndarray
    network_boost: np.ndarray
    host_effort: np.ndarray  # host's starting counter-terrorism and enforcement
    channels: ShockChannels
    # migration (M,)
    corridor_labels: list[str]  # ORIGIN-DESTINATION
    migration_origin: np.ndarray  # state index
    migration_destination: np.ndarray  # power index
    migration_workers: np.ndarray
    migration_capacity: np.ndarray
    migration_growth: np.ndarray
    remittance: np.ndarray  # USD M per thousand workers per month
    # influence and dynamics
    influence_weights: np.ndarray  # (4,) trade, security, economic, diplomatic
    influence_inertia: float
    dyn: dict[str, float]
    related: np.ndarray  # (P, S) bool, pairs declared in relations
    events: dict[int, list] = field(default_factory=dict)

    @property
    def n_actors(self) -> int:
        return len(self.codes)

    def index(self, code: str) -> int:
        return self.codes.index(code)

    def power_index(self, code: str) -> int:
        return int(np.flatnonzero(self.powers == self.index(code))[0])

    def state_index(self, code: str) -> int:
        return int(np.flatnonzero(self.states == self.index(code))[0])

    @property
    def power_codes(self) -> list[str]:
        return [self.codes[i] for i in self.powers]

    @property
    def state_codes(self) -> list[str]:
        return [self.codes[i] for i in self.states]


def compile_scenario(s: Scenario) -> Params:
    """Turn a validated scenario into the arrays the stages use."""
    codes = s.codes()
    idx = {c: i for i, c in enumerate(codes)}
    actors = s.actors
    powers = np.array([idx[c] for c in s.codes("power")])
    states = np.array([idx[c] for c in s.codes("host", "neighbor")])
    host = idx[s.codes("host")[0]]
    p_of = {c: i for i, c in enumerate(s.codes("power"))}
    s_of = {c: i for i, c in enumerate(s.codes("host", "neighbor"))}
    n_p, n_s, n_n = len(powers), len(states), len(codes)
    power_actors = [actors[i] for i in powers]
    state_actors = [actors[i] for i in states]

    engagement = np.zeros((n_p, n_s, len(INSTRUMENTS)))
    aid, openness, alignment = (np.zeros((n_p, n_s)) for _ in range(3))
    recognition = np.zeros((n_p, n_s))  # a pair without a declared relation: none
    related = np.zeros((n_p, n_s), dtype=bool)
    for r in s.relations:
        p, j = p_of[r.power], s_of[r.state]
        related[p, j] = True
        engagement[p, j] = [getattr(r, k).value for k in INSTRUMENTS]
        aid[p, j], openness[p, j] = r.aid.value, r.openness.value
        alignment[p, j], recognition[p, j] = r.alignment.value, r.recognition.value

    names = [c.name for c in s.commodities]
    k_of = {n: i for i, n in enumerate(names)}
    c_of = {c.id: i for i, c in enumerate(s.crossings)}
    flow_labels = [f"{f.exporter}-{f.importer}-{f.commodity}" for f in s.trade]
    exporter = np.array([idx[f.exporter] for f in s.trade], dtype=np.int64)
    importer = np.array([idx[f.importer] for f in s.trade], dtype=np.int64)
    commodity = np.array([k_of[f.commodity] for f in s.trade], dtype=np.int64)
    route = np.array([c_of[f.route] if f.route else -1 for f in s.trade], dtype=np.int64)
    n_f = len(s.trade)
    involves = np.zeros((n_f, n_n))
    involves[np.arange(n_f), exporter] = 1.0
    involves[np.arange(n_f), importer] = 1.0
    pair = np.zeros((n_f, n_p * n_s))
    # The capacity driver of a flow indexes [economic engagement (P*S) | trade openness (S) | none].
    driver = np.full(n_f, n_p * n_s + n_s, dtype=np.int64)
    for f, (a, b) in enumerate(zip(exporter, importer, strict=True)):
        ca, cb = codes[a], codes[b]
        for pw, st in ((ca, cb), (cb, ca)):
            if pw in p_of and st in s_of:
                pair[f, p_of[pw] * n_s + s_of[st]] = 1.0
                driver[f] = p_of[pw] * n_s + s_of[st]
        if host in (a, b) and pair[f].sum() == 0:
            other = b if a == host else a
            if codes[other] in s_of:
                driver[f] = n_p * n_s + s_of[codes[other]]
    touches_host = (exporter == host) | (importer == host)

    price = _values(s.commodities, "price")
    transit = np.array([idx[c.transit_state] for c in s.crossings], dtype=np.int64)
    fees = _values(s.crossings, "fee")
    alternate = np.array([c_of[c.alternate] if c.alternate else -1 for c in s.crossings])

    def fee_matrix(crossing_of_flow: np.ndarray) -> np.ndarray:
        m = np.zeros((n_f, n_n))
        for f, c in enumerate(crossing_of_flow):
            if c >= 0 and transit[c] not in (exporter[f], importer[f]):
                m[f, transit[c]] = fees[c] / price[commodity[f]]
        return m

    alt_of_flow = np.where(route >= 0, alternate[np.maximum(route, 0)], -1) if n_f else route

    hl = _values(s.crossings, "recovery_half_life")
    nets = (s.networks.extremist, s.networks.trafficking)
    net = {
        k: np.array([getattr(n, k).value for n in nets])
        for k in (
            "initial",
            "growth",
            "foreign_cooperation",
            "border_posture",
            "event_boost",
            "host_effort",
        )
    }

    events: dict[int, list] = {}
    for e in s.events:
        events.setdefault(s.month_index(e.month), []).append(e)

    m = s.migration
    return Params(
        scenario=s,
        codes=codes,
        powers=powers,
        states=states,
        host=host,
        host_state=s_of[codes[host]],
        neighbors=np.array([a.role == "neighbor" for a in state_actors]),
        gdp=_values(actors, "gdp"),
        exposure=_values(actors, "exposure"),
        security_capacity=_values(actors, "security_capacity"),
        economic_capacity=_values(actors, "economic_capacity"),
        rest_of_world=_values(actors, "rest_of_world_trade") / MONTHS_PER_YEAR,
        rest_of_world_growth=_values(actors, "rest_of_world_growth"),
        other_support=_values(actors, "other_support"),
        other_diplomatic=_values(actors, "other_diplomatic"),
        initial_sanctions=_values(power_actors, "sanctions"),
        budget=_values(power_actors, "budget"),
        recognition_threshold=_values(power_actors, "recognition_threshold"),
        power_weights={
            k: _values([a.priorities for a in power_actors], k)
            for k in type(power_actors[0].priorities).model_fields
        },
        state_weights={
            k: _values([a.priorities for a in state_actors], k)
            for k in type(state_actors[0].priorities).model_fields
        },
        initial_posture=_values(state_actors, "border_posture"),
        initial_trade_openness=_values(state_actors, "trade_openness"),
        engagement=engagement,
        aid=aid,
        openness=openness,
        alignment=alignment,
        recognition=recognition,
        commodity_names=names,
        price=price,
        volatility=_values(s.commodities, "volatility"),
        growth_rate=_values(s.commodities, "growth_rate"),
        engagement_lift=_values(s.commodities, "engagement_lift"),
        flow_labels=flow_labels,
        flow_keys=rng.label_keys(flow_labels),
        exporter=exporter,
        importer=importer,
        commodity=commodity,
        base_trade=np.array([f.value for f in s.trade]) / MONTHS_PER_YEAR,
        trend=np.array([f.trend for f in s.trade]),
        route=route,
        routed=np.flatnonzero(route >= 0),
        driver=driver,
        involves=involves,
        pair=pair,
        touches_host=touches_host,
        fee_primary=fee_matrix(route),
        fee_alternate=fee_matrix(alt_of_flow),
        crossing_ids=list(c_of),
        alternate=alternate,
        reroute_share=_values(s.crossings, "reroute_share"),
        reroute_cost=_values(s.crossings, "reroute_cost"),
        disruption_decay=0.5 ** (1.0 / np.maximum(hl, 1e-9)),
        crossing_state=transit,
        network_initial=net["initial"],
        network_growth=net["growth"],
        network_cooperation=net["foreign_cooperation"],
        network_posture=net["border_posture"],
        network_boost=net["event_boost"],
        host_effort=net["host_effort"],
        channels=_channels(s, idx, host),
        corridor_labels=[f"{m.origin}-{m.destination}" for m in s.migration],
        migration_origin=np.array([s_of[x.origin] for x in m], dtype=np.int64),
        migration_destination=np.array([p_of[x.destination] for x in m], dtype=np.int64),
        migration_workers=_values(m, "workers"),
        migration_capacity=_values(m, "capacity"),
        migration_growth=_values(m, "growth"),
        remittance=_values(m, "remittance") * 1e3 / 1e6,
        influence_weights=np.array(
            [getattr(s.influence, k).value for k in ("trade", "security", "economic", "diplomatic")]
        ),
        influence_inertia=s.influence.inertia.value,
        dyn={k: getattr(s.dynamics, k).value for k in type(s.dynamics).model_fields},
        related=related,
        events=events,
    )


def effect_rows(s: Scenario, kinds: list[str], targets: list[int]) -> Effects:
    """Effects of one unit of magnitude of each (kind, target); target is an actor index, or a
    crossing index for closures. Attacks threaten their target fully and every other actor in
    proportion to its exposure (times the spillover); border clashes also block the clashing
    state's crossings; trafficking surges feed the trafficking network."""
    exposure = np.array([a.exposure.value for a in s.actors])
    transit = [s.codes().index(c.transit_state) for c in s.crossings]
    n, c, h = len(exposure), len(transit), len(kinds)
    threat, turbulence = np.zeros((h, n)), np.zeros((h, n))
    network, closure = np.zeros((h, 2)), np.zeros((h, c))
    spill = s.dynamics.spillover.value
    boost = (s.networks.extremist.event_boost.value, s.networks.trafficking.event_boost.value)
    for row, (kind, target) in enumerate(zip(kinds, targets, strict=True)):
        if kind in ("attack_host", "attack_abroad", "attack"):
            threat[row] = spill * exposure
            threat[row, target] = turbulence[row, target] = 1.0
            network[row, 0] = boost[0]
        elif kind == "border_clash":
            threat[row, target] = turbulence[row, target] = 1.0
            closure[row] = [1.0 if t == target else 0.0 for t in transit]
        elif kind == "trafficking_surge":
            network[row, 1] = boost[1]
        elif kind == "closure":
            closure[row, target] = 1.0
    return Effects(threat, turbulence, network, closure)


def _channels(s: Scenario, idx: dict[str, int], host: int) -> ShockChannels:
    """Split each shock type over its targets by exposure (Poisson thinning keeps totals)."""
    exposure = np.array([a.exposure.value for a in s.actors])
    transit = {c.transit_state for c in s.crossings}
    bordering = np.array([a.role == "neighbor" and a.code in transit for a in s.actors])
    rows, names = [], []
    for t in s.shocks:
        if t.name in ("attack_host", "trafficking_surge"):
            targets, shares = [host], [1.0]
        elif t.name == "closure":
            targets = list(range(len(s.crossings)))
            shares = [1.0 / max(len(targets), 1)] * len(targets)
        else:  # border clashes only where a neighbour has a crossing into the host
            eligible = bordering if t.name == "border_clash" else np.arange(len(exposure)) != host
            weight = np.where(eligible, exposure, 0.0)
            targets = [int(i) for i in np.flatnonzero(weight > 0)]
            shares = list(weight[targets] / weight.sum()) if targets else []
        decay = 0.5 ** (1.0 / max(t.excitation_half_life.value, 1e-9))
        branching = t.excitation.value / (1.0 - decay)
        for target, share in zip(targets, shares, strict=True):
            names.append(t.name)
            mean = t.base_rate.value * share
            rows.append(
                (
                    SHOCK_KINDS.index(t.name),
                    target,
                    mean * (1.0 - branching),
                    mean,
                    0 if t.driver == "extremist" else 1,
                    t.excitation.value,
                    decay,
                    t.magnitude.value,
                    t.magnitude_sd.value,
                )
            )
    cols = list(zip(*rows, strict=True)) if rows else [[] for _ in range(9)]
    ints = (0, 1, 4)
    arrays = [np.array(c, dtype=np.int64 if i in ints else np.float64) for i, c in enumerate(cols)]
    places = [
        s.crossings[r[1]].id if kind == "closure" else s.actors[r[1]].code
        for kind, r in zip(names, rows, strict=True)
    ]
    keys = rng.label_keys([f"{kind}:{place}" for kind, place in zip(names, places, strict=True)])
    return ShockChannels(*arrays, effects=effect_rows(s, names, [r[1] for r in rows]), keys=keys)
