"""Trade stage: flows grow toward an engagement-raised capacity, pass crossings (rerouting
around disrupted ones), bear the sanctions drag and multiplicative noise, and pay transit fees."""

from __future__ import annotations

import numpy as np

from sim.core.params import MONTHS_PER_YEAR, Params
from sim.core.rows import dot
from sim.core.state import State


def capacity_signals(p: Params, st: State) -> np.ndarray:
    """What raises each flow's capacity, flattened as [economic engagement (P*S) | trade openness
    of the partner state (S) | nothing (1)], shape (R, P*S + S + 1); index with
    p.flow.capacity_signal."""
    worlds = st.trade_openness.shape[0]
    economic = st.engagement[..., 1].reshape(worlds, -1)
    return np.concatenate([economic, st.trade_openness, np.zeros((worlds, 1))], axis=1)


def capacity(p: Params, st: State, month: int, signals0: np.ndarray) -> np.ndarray:
    """Capacity of each flow, USD M/month, shape (R, F)."""
    f = p.flow
    lift = p.commodity.engagement_lift[f.commodity]
    change = capacity_signals(p, st)[:, f.capacity_signal] - signals0[f.capacity_signal]
    trend = (1.0 + f.trend) ** (month / MONTHS_PER_YEAR)
    return f.base_trade * trend * st.capacity_multiplier * np.maximum(1.0 + lift * change, 0.0)


def route_shares(p: Params, disruption: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Share of each flow that passes its own crossing and share rerouted, each (R, F).

    A flow without a route passes whole. Of the blocked part, `reroute_share` takes the
    alternate crossing (if that one is open) and loses `reroute_cost` of its value on the way.
    Only routed flows are computed (most flows have no named crossing).
    """
    worlds, flows = disruption.shape[0], len(p.flow.route)
    through, rerouted = np.ones((worlds, flows)), np.zeros((worlds, flows))
    routed, c = p.flow.routed, p.crossing
    crossing = p.flow.route[routed]
    alt = c.alternate[crossing]
    blocked = disruption[:, crossing]
    alt_open = np.where(alt >= 0, 1.0 - disruption[:, np.maximum(alt, 0)], 0.0)
    through[:, routed] = 1.0 - blocked
    rerouted[:, routed] = (
        blocked * c.reroute_share[crossing] * alt_open * (1.0 - c.reroute_cost[crossing])
    )
    return through, rerouted


def sanctions_factor(p: Params, sanctions: np.ndarray, sanctions0: float) -> np.ndarray:
    """Multiplier on flows to and from the host from sanctions beyond the starting level, (R, F)."""
    extra = np.minimum(sanctions.sum(axis=1), 1.0) - sanctions0
    drag = np.clip(1.0 - p.dynamics.sanctions_drag * extra, 0.0, None)
    return np.where(p.flow.touches_host, drag[:, None], 1.0)


def grow_migration(p: Params, st: State, last: State) -> None:
    """Labour migrants grow logistically toward the programmes' capacity."""
    cap = np.maximum(st.migration_capacity, 1e-9)
    st.migrants = np.maximum(
        last.migrants + p.corridor.growth * last.migrants * (1.0 - last.migrants / cap), 0.0
    )


def settle(p: Params, st: State, noise: np.ndarray, sanctions0: float) -> None:
    """Realised trade, transit fees and host revenue from the potential flows. `noise` holds
    standard normals, shape (R, F)."""
    sigma = p.commodity.volatility[p.flow.commodity]
    shocked = (
        st.potential
        * sanctions_factor(p, st.sanctions, sanctions0)
        * np.exp(sigma * noise - 0.5 * sigma**2)
    )
    through, rerouted = route_shares(p, st.disruption)
    st.trade = shocked * (through + rerouted)
    f = p.flow
    carried = shocked[:, f.routed]
    st.transit_revenue = dot(carried * through[:, f.routed], f.fee_primary[f.routed]) + dot(
        carried * rerouted[:, f.routed], f.fee_alternate[f.routed]
    )
    imports = dot(st.trade, (f.importer == p.host).astype(float))
    st.host_revenue = p.dynamics.host_tariff * imports + st.aid[:, p.host_state].sum()


def trade_stage(
    p: Params,
    st: State,
    last: State,
    month: int,
    noise: np.ndarray,
    signals0: np.ndarray,
    sanctions0: float,
) -> None:
    """Advance trade and migration one month."""
    cap = np.maximum(capacity(p, st, month, signals0), 1e-12)
    rate = p.commodity.growth_rate[p.flow.commodity]
    growth = rate * last.potential * (1.0 - last.potential / cap)
    st.potential = np.maximum(last.potential + growth, 0.0)
    settle(p, st, noise, sanctions0)
    grow_migration(p, st, last)
