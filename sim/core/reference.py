"""The start-month values that the decision rules compare against: one row when every world
starts alike (fixed assumptions), a row per world when each drew its own (drawn)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Reference:
    """Signals at the start of the scenario as written: levers act as changes from it. Each
    leads with an axis of 1 row or of R worlds (W below), so it meets the state's arrays."""

    threat: np.ndarray  # (W, N)
    turbulence: np.ndarray  # (W, N)
    capacity_signals: np.ndarray  # (W, P*S + S + 1), see stages.trade.capacity_signals
    pair_trade: np.ndarray  # (W, P, S)
    opportunity: np.ndarray  # (W, S)
    legitimacy: np.ndarray  # (W, P)
    support_share: np.ndarray  # (W, P)
    sanctions: np.ndarray  # (W,) total sanctions pressure on the host, at most 1
    power_sanctions: np.ndarray  # (W, P)
    pressure: np.ndarray  # (W, 2)
    network_boost: np.ndarray  # (2,) or drawn (R, 2)
    host_revenue: np.ndarray  # (W,)
    influence: np.ndarray  # (W, P, S) influence at the start
    income: np.ndarray  # (W, N) each actor's income at the start (GDP plus aid and remittances)
