"""Trade stage: flows grow toward an engagement-raised capacity, pass crossings (rerouting
around disrupted ones), bear the sanctions drag and multiplicative noise, and pay transit fees."""

from __future__ import annotations

import numpy as np

from sim.params import MONTHS_PER_YEAR, Params
from sim.state import State


def drivers(p: Params, st: State) -> np.ndarray:
    """What raises each flow's capacity, flattened as [economic engagement (P*S) | trade openness
    of the partner state (S) | nothing (1)], shape (R, P*S + S + 1); index with p.driver."""
    worlds = st.trade_openness.shape[0]
    economic = st.engagement[..., 1].reshape(worlds, -1)
    return np.concatenate([economic, st.trade_openness, np.zeros((worlds, 1))], axis=1)


def capacity(p: Params, st: State, month: int, drivers0: np.ndarray) -> np.ndarray:
    """Capacity of each flow, USD M/month, shape (R, F)."""
    lift = p.engagement_lift[p.commodity]
    change = drivers(p, st)[:, p.driver] - drivers0[p.driver]
    trend = (1.0 + p.trend) ** (month / MONTHS_PER_YEAR)
    return p.base_trade * trend * st.capacity_multiplier * np.maximum(1.0 + lift * change, 0.0)


def route_shares(p: Params, disruption: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Share of each flow that passes its own crossing and share rerouted, each (R, F).

    A flow without a route passes whole. Of the blocked part, `reroute_share` takes the
    alternate crossing (if that one is open) and loses `reroute_cost` of its value on the way.
    Only routed flows are computed (most flows have no named crossing).
    """
    worlds, flows = disruption.shape[0], len(p.route)
    through, rerouted = np.ones((worlds, flows)), np.zeros((worlds, flows))
    routed = p.routed
    crossing = p.route[routed]
    alt = p.alternate[crossing]
    blocked = disruption[:, crossing]
    alt_open = np.where(alt >= 0, 1.0 - disruption[:, np.maximum(alt, 0)], 0.0)
    through[:, routed] = 1.0 - blocked
    rerouted[:, routed] = (
        blocked * p.reroute_share[crossing] * alt_open * (1.0 - p.reroute_cost[crossing])
    )
    return through, rerouted


def sanctions_factor(p: Params, sanctions: np.ndarray, sanctions0: float) -> np.ndarray:
    """Multiplier on flows to and from the host from sanctions beyond the starting level, (R, F)."""
    extra = np.minimum(sanctions.sum(axis=1), 1.0) - sanctions0
    drag = np.clip(1.0 - p.dyn["sanctions_drag"] * extra, 0.0, None)
    return np.where(p.touches_host, drag[:, None], 1.0)


def grow_migration(p: Params, st: State, last: State) -> None:
    """Labour migrants grow logistically toward the programmes' capacity."""
    cap = np.maximum(st.migration_capacity, 1e-9)
    st.migrants = np.maximum(
        last.migrants + p.migration_growth * last.migrants * (1.0 - last.migrants / cap), 0.0
    )


def settle(p: Params, st: State, noise: np.ndarray, sanctions0: float) -> None:
    """Realised trade, transit fees and host revenue from the potential flows. `noise` holds
    standard normals, shape (R, F)."""
    sigma = p.volatility[p.commodity]
    shocked = (
        st.potential
        * sanctions_factor(p, st.sanctions, sanctions0)
        * np.exp(sigma * noise - 0.5 * sigma**2)
    )
    through, rerouted = route_shares(p, st.disruption)
    st.trade = shocked * (through + rerouted)
    routed = p.routed
    carried = shocked[:, routed]
    st.transit_revenue = (carried * through[:, routed]) @ p.fee_primary[routed] + (
        carried * rerouted[:, routed]
    ) @ p.fee_alternate[routed]
    imports = st.trade @ (p.importer == p.host).astype(float)
    st.host_revenue = p.dyn["host_tariff"] * imports + st.aid[:, p.host_state].sum()


def trade_stage(
    p: Params,
    st: State,
    last: State,
    month: int,
    noise: np.ndarray,
    drivers0: np.ndarray,
    sanctions0: float,
) -> None:
    """Advance trade and migration one month."""
    cap = np.maximum(capacity(p, st, month, drivers0), 1e-12)
    rate = p.growth_rate[p.commodity]
    growth = rate * last.potential * (1.0 - last.potential / cap)
    st.potential = np.maximum(last.potential + growth, 0.0)
    settle(p, st, noise, sanctions0)
    grow_migration(p, st, last)
