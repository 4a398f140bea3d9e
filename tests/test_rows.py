"""sim.core.rows.dot: a world's row of a product is the same bits whatever rows it is computed
with (plain BLAS products are not: the test shows it, so the check could fail)."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from sim.core.rows import dot

pytestmark = pytest.mark.model
SHAPES = [(90, 24), (90, 11), (11, 24), (30, 3), (90, 1), (7, 7), (1, 5)]
ROWS = [2, 3, 8, 100, 1000]


def row_dependent(product) -> int:
    """How many (shape, rows) cases give row 0 or row 1 other bits than alone."""
    rng = np.random.default_rng(0)
    found = 0
    for inner, outer in SHAPES:
        b = rng.random((inner, outer))
        for rows in ROWS:
            a = rng.random((rows, inner))
            with threadpool_limits(1, "blas"):
                for k in (0, 1):
                    found += not np.array_equal(product(a[k : k + 1], b)[0], product(a, b)[k])
                    vector = b[:, 0].copy()
                    found += not np.array_equal(
                        product(a[k : k + 1], vector)[0], product(a, vector)[k]
                    )
    return found


def test_dot_gives_each_row_the_same_bits_whatever_the_rows():
    assert row_dependent(dot) == 0


def test_a_plain_product_would_not():
    assert row_dependent(np.matmul) > 0  # what dot exists for


def test_dot_is_the_product():
    rng = np.random.default_rng(1)
    a, b = rng.random((4, 3, 5)), rng.random((5, 2))
    np.testing.assert_allclose(dot(a, b), a @ b, rtol=1e-14)
    np.testing.assert_allclose(dot(a, b[:, 0]), a @ b[:, 0], rtol=1e-14)
