"""Shared fixtures: the shipped baseline, and small fast variants of it."""

from __future__ import annotations

import pytest

from sim.scenario.loading import load_scenario

# The slowest files first: `make test` runs the files on two workers (pytest-xdist, whole files
# to a worker), and a long file started last would keep one worker busy while the other waits.
SLOW_FIRST = [
    "test_notebooks.py",
    "test_exploration.py",
    "test_batch.py",
    "test_ui.py",
    "test_properties.py",
    "test_docs.py",
    "test_benchmarks.py",
    "test_corpus.py",
    "test_analysis.py",
    "test_validate.py",
    "test_output_safety.py",
    "test_signals.py",
    "test_limits.py",
]


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: a file's order kept


@pytest.fixture(scope="session")
def baseline():
    return load_scenario("baseline")


@pytest.fixture(scope="session")
def short(baseline):
    """The baseline cut to 36 months (all scheduled events of 2024-2025 included)."""
    return baseline.replace(horizon_months=36)
