"""Unit conversions the model and its results share."""

from __future__ import annotations

MONTHS_PER_YEAR = 12.0


def kilotonnes(usd_million, price_per_tonne):
    """A value in USD M as kilotonnes at a price in USD per tonne."""
    return usd_million * 1e3 / price_per_tonne
