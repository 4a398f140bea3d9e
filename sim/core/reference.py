"""The start-month values that the decision rules compare against (identical in every world)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Reference:
    """Signals at the start of the scenario as written: levers act as changes from it."""

    threat: np.ndarray  # (N,)
    turbulence: np.ndarray  # (N,)
    capacity_signals: np.ndarray  # (P*S + S + 1,), see stages.trade.capacity_signals
    pair_trade: np.ndarray  # (P, S)
    opportunity: np.ndarray  # (S,)
    legitimacy: np.ndarray  # (P,)
    support_share: np.ndarray  # (P,)
    sanctions: float
    power_sanctions: np.ndarray  # (P,)
    pressure: np.ndarray  # (2,)
    network_boost: np.ndarray  # (2,)
    host_revenue: float
    influence: np.ndarray  # (P, S) influence at the start
    income: np.ndarray  # (N,) each actor's income at the start (GDP plus aid and remittances)
