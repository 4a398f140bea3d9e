"""Influence stage: the dependence shares (trade, security, economic support, diplomacy) and
leverage, and the index built from them.

Each share is taken over all of a state's partners including the rest of the world and its own
capacity, so summed over powers it is at most 1 (leverage too: the powers control at most all
of what a state seeks); weights sum to 1 and openness is at most 1, so the influence of all
powers over one state never exceeds 1.
"""

from __future__ import annotations

import numpy as np

from sim.core import axes
from sim.core.assumptions import per_world
from sim.core.axes import ACCEPTED, Component, Instrument
from sim.core.params import Params
from sim.core.rows import dot
from sim.core.smoothing import adjust_toward, remember
from sim.core.state import State
from sim.core.units import MONTHS_PER_YEAR
from sim.scenario.vocab import INFLUENCE_COMPONENTS, INFLUENCE_DRIVERS


def pair_trade(p: Params, trade: np.ndarray) -> np.ndarray:
    """Trade between each power and each state, both directions, shape (R, P, S)."""
    return dot(trade, p.flow.pair).reshape(trade.shape[0], len(p.powers), len(p.states))


def import_weights(p: Params, trade: np.ndarray) -> np.ndarray:
    """What a dollar of each flow weighs in its importer's dependence, (R, F): the commodity's
    essentiality times the cost of replacing the supplier. Losing a supplier with market share
    s raises the CES cost index by (1 - s)^(-1/(sigma - 1)) - 1; per unit of share this is
    1/(sigma - 1) for a small supplier and more for a dominant one, scaled here so that a small
    supplier of a good with sigma = 3 weighs its essentiality."""
    f, k = p.flow, p.commodity
    market = f.market_totals(trade)
    share = np.clip(
        np.divide(trade, market, out=np.zeros_like(trade), where=market > 0), 1e-6, 0.95
    )
    sigma = k.substitution[..., f.commodity]
    replace = ((1.0 - share) ** (-1.0 / (sigma - 1.0)) - 1.0) / share
    return k.essentiality[..., f.commodity] * 2.0 * replace


def trade_dependence(p: Params, st: State, month: int) -> tuple[np.ndarray, np.ndarray]:
    """Each state's trade dependence on each power, (R, P, S), and the host's on each
    neighbour, (R, Hn): its imports from the partner weighted by essentiality and
    replaceability, plus its exports to it at `export_dependence`, over the same for all its
    trade (the rest of the world at `rest_dependence`). Of an import that crosses a third
    state's border, the share `transit_dependence` falls on that carrier instead (on the
    alternate's owner for the part rerouted)."""
    f, w, h, trade = p.flow, p.influence, p.holders, st.trade
    worlds = trade.shape[0]
    weighted = trade * import_weights(p, trade)
    exported, rested = per_world(w.export_dependence, 2), per_world(w.rest_dependence, 2)
    carried = per_world(w.transit_dependence, 2) * weighted
    via_route, via_alternate = carried * (1.0 - st.rerouted), carried * st.rerouted
    carriers = via_route * h.carried.sum(axis=1) + via_alternate * h.carried_rerouted.sum(axis=1)
    from_exporter = weighted - carriers

    def with_partner(pair: np.ndarray, pair_import: np.ndarray) -> np.ndarray:
        return dot(from_exporter, pair_import) + exported * dot(trade, pair - pair_import)

    a = p.actor
    rest = a.rest_of_world * (1.0 + a.rest_of_world_growth) ** (month / MONTHS_PER_YEAR)
    total = (dot(weighted, f.imports) + exported * dot(trade, f.exports) + rested * rest)[
        :, p.states
    ]
    powers = with_partner(f.pair, f.pair_import).reshape(worlds, len(p.powers), len(p.states))
    host_total = total[:, p.host_state, None]
    holders = (
        with_partner(h.pair, h.pair_import)
        + dot(via_route, h.carried)
        + dot(via_alternate, h.carried_rerouted)
    )
    return (
        np.divide(powers, total[:, None, :], out=np.zeros_like(powers), where=total[:, None] > 0),
        np.divide(holders, host_total, out=np.zeros_like(holders), where=host_total > 0),
    )


def remittances(p: Params, migrants: np.ndarray) -> np.ndarray:
    """Remittances sent home by migrants working in each power, shape (R, P, S)."""
    sent = dot(migrants * p.corridor.remittance, p.corridor.sends)
    return sent.reshape(migrants.shape[0], len(p.powers), len(p.states))


def economic_support(p: Params, st: State) -> np.ndarray:
    """Aid, investment and remittances from each power to each state, USD M/month, (R, P, S):
    investment as disbursed at the start as written, moved by economic engagement since (a
    lever that moves the start engagement moves investment with it)."""
    change = st.engagement[..., Instrument.ECONOMIC] - p.relation.written_economic
    capacity = p.actor.economic_capacity[..., p.powers, None]
    investment = np.maximum(p.relation.investment + change * capacity, 0.0)
    return st.aid + investment + remittances(p, st.migrants)


def holder_support(p: Params, st: State) -> np.ndarray:
    """What each neighbour gives the host (aid, investment, remittances), USD M/month, (R, Hn):
    its `host_ties.support` as scheduled events moved it, scaled by its welcome of Afghan
    migrants."""
    return st.holder_support * st.welcome


def security_provision(p: Params, st: State) -> np.ndarray:
    """Security each power provides each state, (R, P, S): engagement x capacity x partnership."""
    return (
        st.engagement[..., Instrument.SECURITY]
        * p.actor.security_capacity[..., p.powers, None]
        * st.partner
    )


def own_security(p: Params, st: State, host_revenue0: np.ndarray) -> np.ndarray:
    """Each state's own security capacity, (R, S); the host's grows with its revenue (from
    `host_revenue0` at the start, (R,) or (1,))."""
    own = np.broadcast_to(p.actor.security_capacity[..., p.states], st.posture.shape).copy()
    ratio = np.maximum(st.host_revenue, 1e-9) / np.maximum(host_revenue0, 1e-9)
    own[:, p.host_state] *= ratio ** per_world(p.dynamics.host_revenue_elasticity, 1)
    return own


def diplomatic_standing(p: Params, st: State) -> np.ndarray:
    """Diplomatic engagement plus formal recognition, (R, P, S)."""
    recognised = np.broadcast_to(p.relation.recognition, st.engagement.shape[:-1]).copy()
    recognised[:, :, p.host_state] = st.recognition
    return st.engagement[..., Instrument.DIPLOMATIC] + recognised


def _share(part: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """part / (sum over powers of part + rest), zero where everything is zero."""
    total = part.sum(axis=1, keepdims=True) + rest[:, None, :]
    return np.divide(part, total, out=np.zeros_like(part), where=total > 0)


def control_scale(p: Params) -> np.ndarray:
    """Per state, (S,) or drawn (R, S), what scales declared control so that all holders
    together control at most all of what the state seeks (1 unless the shares sum above 1)."""
    total = p.relation.access_control.sum(axis=-2)
    total[..., p.host_state] += p.holders.access_control.sum(axis=-1)
    return 1.0 / np.maximum(total, 1.0)


def leverage(p: Params, st: State) -> np.ndarray:
    """Each power's leverage over each state, (R, P, S): the mean of its control over what the
    state seeks from outside (frozen reserves, banking, the UN seat) and its share of the aid
    the state receives, half held by owning them and half by conditioning them: sanctions and
    aid conditionality are a source of leverage, not only a cost."""
    aid_total = st.aid.sum(axis=0) + st.other_support[..., p.states]
    aid_share = st.aid / np.maximum(aid_total, 1e-12)[..., None, :]
    condition = np.full(st.openness.shape, 0.5)
    condition[:, :, p.host_state] = 0.5 + 0.5 * st.sanctions
    control = p.relation.access_control * control_scale(p)[..., None, :]
    return condition * 0.5 * (control + aid_share)


def _others(p: Params, worlds: int, outside: np.ndarray, holders: np.ndarray) -> np.ndarray:
    """What a state gets from partners that hold no modelled influence, plus (at the host) what
    the neighbours holding influence give, (R, S): the rest of a share's denominator."""
    rest = np.broadcast_to(outside[..., p.states], (worlds, len(p.states))).copy()
    rest[:, p.host_state] += holders.sum(axis=-1)
    return rest


def components(
    p: Params, st: State, month: int, host_revenue0: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The dependence shares in the order of INFLUENCE_COMPONENTS: of each state on each power,
    (R, 5, P, S), and of the host on each neighbour holding influence, (R, 5, Hn)."""
    worlds, h, host = st.trade.shape[0], p.holders, p.host_state
    trade, held_trade = trade_dependence(p, st, month)
    support, standing = economic_support(p, st), diplomatic_standing(p, st)
    held_support = holder_support(p, st)
    other_support = _others(p, worlds, st.other_support, held_support)
    other_dip = _others(p, worlds, st.other_diplomatic, h.diplomatic)
    powers = axes.stack(
        {
            Component.TRADE: trade,
            Component.SECURITY: _share(
                security_provision(p, st), own_security(p, st, host_revenue0)
            ),
            Component.ECONOMIC: _share(support, other_support),
            Component.DIPLOMATIC: _share(standing, other_dip),
            Component.LEVERAGE: leverage(p, st),
        },
        axis=1,
    )
    support_total = support[:, :, host].sum(axis=1, keepdims=True) + other_support[:, host, None]
    dip_total = standing[:, :, host].sum(axis=1, keepdims=True) + other_dip[:, host, None]
    holders = axes.stack(
        {
            Component.TRADE: held_trade,
            Component.SECURITY: np.zeros_like(held_trade),  # no security provision modelled
            Component.ECONOMIC: held_support / np.maximum(support_total, 1e-12),
            Component.DIPLOMATIC: h.diplomatic / np.maximum(dip_total, 1e-12),
            Component.LEVERAGE: np.broadcast_to(
                0.25 * h.access_control * control_scale(p)[..., host, None], held_trade.shape
            ),  # half held, half conditioned as for powers, with no aid share: 0.5 x 0.5
        },
        axis=1,
    )
    return powers, holders


def weighted_parts(p: Params, shares: np.ndarray, openness: np.ndarray) -> np.ndarray:
    """Each component's part of the influence, with the components moved to the last axis:
    the dependence a state accepts counts by its openness to the holder; leverage over it
    counts whatever its openness. `shares` has the components on axis 1."""
    extra_dims = (1,) * (shares.ndim - 2)  # weights (5,) or drawn (R, 5) meet (R, 5, ...)
    w = np.reshape(p.influence.weights, (-1, len(Component), *extra_dims))
    openness = np.broadcast_to(openness, (shares.shape[0], *shares.shape[2:]))
    accepted = np.zeros(len(Component), dtype=bool)
    accepted[ACCEPTED] = True
    scale = np.where(accepted.reshape(1, -1, *extra_dims), openness[:, None], 1.0)
    return np.moveaxis(w * shares * scale, 1, -1)


def raw_influence(
    p: Params, st: State, month: int, host_revenue0: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The weighted components, by component on the last axis: of each power over each state,
    (R, P, S, 5), and of each neighbour over the host, (R, Hn, 5). Summed over components they
    are the influence; summed over all holders of a state, at most 1."""
    powers, holders = components(p, st, month, host_revenue0)
    return weighted_parts(p, powers, st.openness), weighted_parts(p, holders, p.holders.openness)


def host_drivers(p: Params, st: State, powers: np.ndarray) -> np.ndarray:
    """What drives each power's economic and diplomatic parts over the host (`powers`, of
    contributions), (R, P, 5) in the order of INFLUENCE_DRIVERS: each part times the driver's
    share of what the power gives (aid, investment and remittances of its support; diplomatic
    engagement and recognition of its standing), for the component is linear in what it gives."""
    host = p.host_state
    support, standing = economic_support(p, st)[:, :, host], diplomatic_standing(p, st)[:, :, host]
    aid = np.broadcast_to(st.aid[:, host], support.shape)
    sent = remittances(p, st.migrants)[:, :, host]
    engaged = st.engagement[:, :, host, Instrument.DIPLOMATIC]
    given = {
        "aid": aid,
        "investment": support - aid - sent,
        "remittances": sent,
        "engagement": engaged,
        "recognition": standing - engaged,
    }
    totals = {"economic": support, "diplomatic": standing}

    def part(driver: str, component: str) -> np.ndarray:
        total = totals[component]
        share = np.divide(given[driver], total, out=np.zeros_like(total), where=total > 0)
        return powers[:, :, host, INFLUENCE_COMPONENTS.index(component)] * share

    return np.stack([part(d, c) for d, c in INFLUENCE_DRIVERS.items()], axis=-1)


def update_influence(p: Params, st: State, raw: tuple[np.ndarray, np.ndarray]) -> None:
    """Each part of the influence moves part of the way toward its raw value (partial
    adjustment is linear, so the parts still add up to the influence), and the drivers of
    host_drivers alike, so they add up to their part; the trend memory the rivals judge gains
    against follows the parts."""
    powers, holders = raw
    inertia = p.influence.inertia
    st.influence_parts = adjust_toward(st.influence_parts, powers, per_world(inertia, 4))
    st.holder_parts = adjust_toward(st.holder_parts, holders, per_world(inertia, 3))
    drivers = host_drivers(p, st, powers)
    st.host_drivers = adjust_toward(st.host_drivers, drivers, per_world(inertia, 3))
    st.influence = st.influence_parts.sum(axis=-1)
    st.holder_influence = st.holder_parts.sum(axis=-1)
    memory = per_world(p.dynamics.trend_memory, 4)
    st.parts_trend = remember(memory, st.parts_trend, st.influence_parts)
