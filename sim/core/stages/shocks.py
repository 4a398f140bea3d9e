"""Shocks: Poisson events with Hawkes self-excitation, and their effects on the state.

Each channel (a shock type at one target) has rate base_rate x (network / starting network)
+ excitation; excitation decays by a half-life and jumps by `excitation` per event.
A channel's total magnitude in a month is count x mean magnitude x lognormal noise, at most 1.
"""

from __future__ import annotations

import numpy as np

from sim.core import rng
from sim.core.channels import Effects
from sim.core.params import Params
from sim.core.rows import dot
from sim.core.state import State


def draw_shocks(p: Params, last: State, seed: int, worlds: np.ndarray, month: int):
    """Counts and magnitudes of stochastic events, each (R, H), and the new excitation."""
    ch = p.channels
    level = last.networks[:, ch.network] / np.maximum(p.network.initial[..., ch.network], 1e-9)
    rate = ch.base_rate * level + last.excitation
    counts = rng.poisson(rate, rng.uniform(seed, worlds, month, rng.Stream.SHOCK_COUNT, ch.keys))
    z = rng.normal(seed, worlds, month, rng.Stream.SHOCK_MAGNITUDE, ch.keys)
    sd = ch.magnitude_sd
    magnitude = np.minimum(counts * ch.magnitude * np.exp(sd * z - 0.5 * sd**2), 1.0)
    excitation = last.excitation * ch.excitation_decay + ch.excitation * counts
    return counts, magnitude, excitation


def apply_effects(st: State, effects: Effects, magnitude: np.ndarray, hold: int = 0) -> None:
    """Add events' effects: threat impulse for next month's observe, shock memory, network
    strength and crossing disruption. `magnitude` is (R, H) or (H,) for scheduled events.
    `hold`: months a crossing this blocks stays blocked before it recovers (stochastic closures,
    drawn at the end of a month, hold 2 so that the next month's trade meets them in full)."""
    magnitude = np.atleast_2d(magnitude)
    st.impulse = st.impulse + dot(magnitude, effects.threat)
    st.turbulence = st.turbulence + dot(magnitude, effects.turbulence)
    st.networks = np.clip(st.networks + dot(magnitude, effects.network), 0.0, 1.0)
    closing = effects.closing
    if closing.size:
        blocked = (magnitude[:, closing, None] * effects.closure[None, closing]).max(axis=1)
        st.disruption = np.maximum(st.disruption, blocked)
        if hold:
            st.closure_left = np.where(
                blocked > 0, np.maximum(st.closure_left, hold), st.closure_left
            )


def recover_crossings(p: Params, st: State) -> None:
    """At the start of a month, disruption decays by each crossing's half-life unless a
    scheduled closure still holds: a closure of d months blocks exactly d months of trade."""
    st.closure_left = np.maximum(st.closure_left - 1, 0)
    held = st.closure_left > 0
    st.disruption = np.where(held, st.disruption, st.disruption * p.crossing.disruption_decay)


def expected_effects(p: Params) -> tuple[np.ndarray, np.ndarray]:
    """Monthly threat impulse and shock memory input expected at the starting rates, each (N,).

    The model starts in this expected state, so base-rate shocks do not drift it on average.
    """
    mean = p.channels.mean_rate * p.channels.magnitude
    return dot(mean, p.channels.effects.threat), dot(mean, p.channels.effects.turbulence)


def expected_network_boost(p: Params) -> np.ndarray:
    """Network strength added per month by events at the starting rates, (2,)."""
    return dot(p.channels.mean_rate * p.channels.magnitude, p.channels.effects.network)


def stationary_excitation(p: Params) -> np.ndarray:
    """Mean Hawkes excitation of each channel at the starting rates, (H,)."""
    return p.channels.mean_rate - p.channels.base_rate
