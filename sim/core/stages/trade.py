"""Trade stage: each importer's demand for a commodity group, met by its suppliers in CES
(Armington) shares; flows move toward their share with switching inertia, pass crossings
(rerouting around disrupted ones), bear the sanctions drag and multiplicative noise, and pay
transit fees."""

from __future__ import annotations

import numpy as np

from sim.core.assumptions import per_world
from sim.core.axes import Instrument
from sim.core.params import Params
from sim.core.reference import Reference
from sim.core.rows import dot
from sim.core.smoothing import adjust_toward
from sim.core.stages.influence import remittances
from sim.core.state import State
from sim.core.units import MONTHS_PER_YEAR

BN_YEAR = MONTHS_PER_YEAR / 1000.0  # USD M/month to USD bn/year


def capacity_signals(p: Params, st: State) -> np.ndarray:
    """What raises each flow's weight among its market's suppliers, flattened as [economic
    engagement (P*S) | trade openness of the partner state (S) | nothing (1)], shape
    (R, P*S + S + 1); index with p.flow.capacity_signal."""
    worlds = st.trade_openness.shape[0]
    economic = st.engagement[..., Instrument.ECONOMIC].reshape(worlds, -1)
    return np.concatenate([economic, st.trade_openness, np.zeros((worlds, 1))], axis=1)


def faded_years(years, half_life):
    """The years of growth a fitted trend has compounded after `years` when it fades with
    `half_life` (years): the integral of 2^(-t/half_life), at most half_life / ln 2."""
    rate = np.log(2.0) / half_life
    return -np.expm1(-rate * years) / rate


def route_preference(p: Params, st: State) -> np.ndarray:
    """The host's preference for the route of each flow it trades, (R, F); 1 for flows that
    do not touch the host or have no named route."""
    f = p.flow
    preference = np.ones((st.route_preference.shape[0], len(f.route)))
    host_routed = f.routed[f.touches_host[f.routed]]
    preference[:, host_routed] = st.route_preference[:, f.route[host_routed]]
    return preference


def supplier_weights(p: Params, st: State, month: int, signals0: np.ndarray) -> np.ndarray:
    """Each flow's weight among its market's suppliers, (R, F), summing to 1 over a market: the
    start share grown by the flow's trend, agreements (capacity multipliers) and the change of
    economic engagement or trade openness that carries it. A push by one supplier therefore
    takes share from the others; it does not enlarge the market."""
    f = p.flow
    lift = p.commodity.engagement_lift[..., f.commodity]
    change = capacity_signals(p, st)[:, f.capacity_signal] - signals0[:, f.capacity_signal]
    years = faded_years(month / MONTHS_PER_YEAR, per_world(p.dynamics.trend_half_life, 2))
    trend = (1.0 + f.trend) ** years
    weight = (
        f.base_share
        * trend
        * st.capacity_multiplier
        * np.maximum(1.0 + lift * change, 0.0)
        * route_preference(p, st)
    )
    total = f.market_totals(weight)
    return np.divide(weight, total, out=np.zeros_like(weight), where=total > 0)


def received(p: Params, st: State) -> np.ndarray:
    """Aid and remittances each actor receives, USD bn/year, (R, N) (zero for powers)."""
    out = np.zeros((st.migrants.shape[0], p.n_actors))
    out[:, p.states] = st.aid.sum(axis=0) + remittances(p, st.migrants).sum(axis=1)
    return out * BN_YEAR


def start_income(p: Params, st: State) -> np.ndarray:
    """Each actor's income at the start, (R, N): GDP plus aid and remittances, USD bn/year."""
    return p.actor.gdp + received(p, st)


def income_index(p: Params, st: State, month: int, start: np.ndarray) -> np.ndarray:
    """Each actor's income relative to the start, (R, N): GDP grown at its rate, plus aid and
    remittances received, over `start_income`."""
    gdp = p.actor.gdp * (1.0 + p.actor.income_growth) ** (month / MONTHS_PER_YEAR)
    return (gdp + received(p, st)) / np.maximum(start, 1e-12)


def demand(
    p: Params, st: State, month: int, signals0: np.ndarray, income: np.ndarray
) -> np.ndarray:
    """What each flow would carry were its own route open, (R, F), USD M/month at start prices.

    Each market (an importer's demand for one commodity group) is met by its suppliers in CES
    (Armington) shares: a supplier's share is its weight times its availability times its
    delivered cost to the power -sigma, over the same summed over the market. The market's
    demand grows with the importer's income (elasticity `income_elasticity`) and falls with
    the CES cost index (elasticity `demand_elasticity`), which rises when a preferred supplier
    is blocked: the rest of the lost trade is diverted to the other suppliers. A blocked
    supplier's own figure is what it would sell were its route open and the others' as they
    are, so it stays bounded even when every route of a market is closed."""
    f, k = p.flow, p.commodity
    sigma = k.substitution[..., f.commodity]
    through, rerouted, premium = route_shares(p, st, st.potential)
    available = through + rerouted
    cost = 1.0 + premium
    weight = supplier_weights(p, st, month, signals0)

    def over_market(term: np.ndarray) -> np.ndarray:
        """Each flow's market total of `term`, counting the flow itself as open, (R, F)."""
        return f.market_totals(term * available) + term * (1.0 - available)

    cost_index = np.maximum(over_market(weight * cost ** (1.0 - sigma)), 1e-12) ** (
        1.0 / (1.0 - sigma)
    )
    importer = income[:, f.market_importer]  # `income`: income_index, (R, N)
    base = (f.market_base * importer ** per_world(p.dynamics.income_elasticity, 2))[:, f.market_of]
    quantity = base * cost_index ** -k.demand_elasticity[..., f.commodity]
    reach = over_market(weight * cost**-sigma)
    return np.divide(
        quantity * weight * cost**-sigma, reach, out=np.zeros_like(quantity), where=reach > 0
    )


def route_shares(
    p: Params, st: State, flows: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Share of each flow that passes its own crossing, share rerouted, and the cost premium on
    what arrives (the rerouted part's extra cost averaged over both), each (R, F), for `flows`
    (R, F) seeking to pass.

    A flow without a route passes whole. Of the blocked part, `reroute_share` takes the
    alternate crossing (if that one is open) at `reroute_cost` extra. A crossing carries at
    most its capacity: beyond it, everything seeking to pass it is cut in proportion, so
    diversion has a ceiling. Only routed flows are computed (most flows have no crossing).
    """
    disruption = st.disruption
    worlds, n_flows = disruption.shape[0], len(p.flow.route)
    through, rerouted = np.ones((worlds, n_flows)), np.zeros((worlds, n_flows))
    premium = np.zeros((worlds, n_flows))
    routed, c = p.flow.routed, p.crossing
    crossing = p.flow.route[routed]
    alt = c.alternate[crossing]
    blocked = disruption[:, crossing]
    alt_open = np.where(alt >= 0, 1.0 - disruption[:, np.maximum(alt, 0)], 0.0)
    passing = 1.0 - blocked
    diverted = blocked * c.reroute_share[..., crossing] * alt_open
    load = dot(flows[:, routed] * passing, c.carries) + dot(
        flows[:, routed] * diverted, c.carries_rerouted
    )
    ceiling = c.capacity * c.start_load * st.crossing_multiplier
    scale = np.minimum(1.0, np.divide(ceiling, load, out=np.ones_like(load), where=load > 0))
    through[:, routed] = passing * scale[:, crossing]
    rerouted[:, routed] = diverted * scale[:, np.maximum(alt, 0)]
    arrives = through[:, routed] + rerouted[:, routed]
    premium[:, routed] = np.divide(
        rerouted[:, routed] * c.reroute_cost[..., crossing],
        arrives,
        out=np.zeros_like(arrives),
        where=arrives > 0,
    )
    return through, rerouted, premium


def sanctions_factor(p: Params, sanctions: np.ndarray, sanctions0: np.ndarray) -> np.ndarray:
    """Multiplier on flows to and from the host from sanctions beyond the starting level, (R, F)."""
    extra = np.minimum(sanctions.sum(axis=1), 1.0) - sanctions0
    drag = np.clip(1.0 - p.dynamics.sanctions_drag * extra, 0.0, None)
    return np.where(p.flow.touches_host, drag[:, None], 1.0)


def grow_migration(p: Params, st: State, last: State, income: np.ndarray, ref: Reference) -> None:
    """Labour migrants grow logistically toward what the programmes and conditions allow: the
    programmes' capacity (set by policy events), raised by threat at home (`migration_push`
    per unit rise) and scaled by income growth at the destination over that at home
    (`income`: income_index, (R, N))."""
    c = p.corridor
    pull = income[:, p.powers[c.destination]] / np.maximum(income[:, p.states[c.origin]], 1e-12)
    threat = (st.threat - ref.threat)[:, p.states[c.origin]]
    push = per_world(p.dynamics.migration_push, 2)
    cap = st.migration_capacity * pull * np.maximum(1.0 + push * threat, 0.0)
    cap = np.maximum(cap, 1e-9)
    st.migrants = np.maximum(
        last.migrants + c.growth * last.migrants * (1.0 - last.migrants / cap), 0.0
    )


def settle(p: Params, st: State, noise: np.ndarray, sanctions0: np.ndarray) -> None:
    """Realised trade, transit fees and host revenue from the potential flows. `noise` holds
    standard normals, shape (R, F); `sanctions0` the sanctions at the start, (R,) or (1,)."""
    sigma = p.commodity.volatility[..., p.flow.commodity]
    shocked = (
        st.potential
        * sanctions_factor(p, st.sanctions, sanctions0)
        * np.exp(sigma * noise - 0.5 * sigma**2)
    )
    through, rerouted, _ = route_shares(p, st, shocked)
    st.open_trade = shocked
    arrives = through + rerouted
    st.trade = shocked * arrives
    st.rerouted = np.divide(rerouted, arrives, out=np.zeros_like(arrives), where=arrives > 0)
    f = p.flow
    carried = shocked[:, f.routed]
    st.transit_revenue = dot(carried * through[:, f.routed], f.fee_primary[f.routed]) + dot(
        carried * rerouted[:, f.routed], f.fee_alternate[f.routed]
    )
    imports = dot(st.trade, (f.importer == p.host).astype(float))
    direct_aid = dot(1.0 - p.relation.aid_via_un[..., p.host_state], st.aid[:, p.host_state])
    st.host_revenue = (
        per_world(p.dynamics.host_tariff, 1) * imports + direct_aid
    )  # UN-channelled aid is not


def trade_stage(
    p: Params,
    st: State,
    last: State,
    month: int,
    noise: np.ndarray,
    ref: Reference,
) -> None:
    """Advance trade and migration one month: each flow closes part of its gap to demand
    (switching inertia), then passes its route."""
    income = income_index(p, st, month, ref.income)  # aid and migrants do not change below
    target = demand(p, st, month, ref.capacity_signals, income)
    rate = p.commodity.growth_rate[..., p.flow.commodity]
    st.potential = np.maximum(adjust_toward(last.potential, target, rate), 0.0)
    settle(p, st, noise, ref.sanctions)
    grow_migration(p, st, last, income, ref)
