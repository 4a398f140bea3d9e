"""Shared fixtures: the shipped baseline, and small fast variants of it."""

from __future__ import annotations

import pytest

from sim.spec.loading import load_scenario


@pytest.fixture(scope="session")
def baseline():
    return load_scenario("baseline")


@pytest.fixture(scope="session")
def short(baseline):
    """The baseline cut to 36 months (all scheduled events of 2024-2025 included)."""
    return baseline.replace(horizon_months=36)
