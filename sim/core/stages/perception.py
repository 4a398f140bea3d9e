"""Observe stage: every actor updates its threat perception (order-free: reads last month)."""

from __future__ import annotations

import numpy as np

from sim.core.assumptions import per_world
from sim.core.params import Params
from sim.core.smoothing import remember


def network_threat(p: Params, networks: np.ndarray) -> np.ndarray:
    """Threat each actor perceives from the networks' strength alone, shape (R, N)."""
    level = networks.mean(axis=-1, keepdims=True)
    return per_world(p.dynamics.threat_from_networks, 2) * p.actor.exposure * level


def observe(p: Params, threat: np.ndarray, networks: np.ndarray, impulse: np.ndarray) -> np.ndarray:
    """Threat perception, shape (R, N): remembered threat, pulled toward the networks' level,
    plus the impulse of last month's events."""
    memory = per_world(p.dynamics.threat_memory, 2)
    remembered = remember(memory, threat, network_threat(p, networks))
    updated = remembered + impulse
    return np.clip(updated, 0.0, 1.0)
