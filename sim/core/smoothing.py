"""The model's ways of moving slowly: partial adjustment toward a target, exponential memory
of a signal and an expectation that adapts faster to gains than to losses; and the monthly
multiplier of a half-life."""

from __future__ import annotations

import numpy as np


def adjust_toward(current, target, rate):
    """Move `current` the share `rate` of the way to `target` (partial adjustment)."""
    return current + rate * (target - current)


def remember(memory, remembered, new):
    """Exponential memory: keep the share `memory` of what is remembered, take in the rest of
    the new value."""
    return memory * remembered + (1.0 - memory) * new


def expect(gain_memory, loss_memory, expected, new):
    """An expectation that adapts to a gain with `gain_memory` and to a loss with the longer
    `loss_memory`: a dip is judged against what was had, so trade coming back to it is no new
    opportunity (reference points adapt more to gains than to losses: Arkes et al. 2008)."""
    memory = np.where(new >= expected, gain_memory, loss_memory)
    return remember(memory, expected, new)


def decay_per_month(half_life):
    """The monthly multiplier that halves a quantity in `half_life` months."""
    return 0.5 ** (1.0 / np.maximum(half_life, 1e-9))
