"""The counter-based generator (sim/rng.py): known values, purity of the key, distributions.

Statistical checks use fixed seeds and large samples, with bounds of five standard errors, so
they are deterministic yet would catch a biased or correlated transform.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.core import rng

pytestmark = pytest.mark.model

SEED = 20240101
MASK = 2**64 - 1
GAMMA = 0x9E3779B97F4A7C15  # SplitMix64's increment (the golden ratio in 64 bits)

# The first outputs of the SplitMix64 generator started from state 0 (Steele, Lea and Flood;
# also the reference values of Vigna's splitmix64.c): output k is mix(k * GAMMA).
SPLITMIX64_FROM_ZERO = (
    0xE220A8397B1DCDAF,
    0x6E789E6AA1B965F4,
    0x06C45D188009454F,
    0xF88BB8A8724C81EC,
)


def reference_mix(x: int) -> int:
    """SplitMix64's output function in plain Python integers (the specification)."""
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def worlds(n: int, first: int = 0) -> np.ndarray:
    return np.arange(first, first + n, dtype=np.uint64)


def within(value: float, expected: float, standard_error: float, k: float = 5.0) -> bool:
    return abs(value - expected) <= k * standard_error


# ---- the integer mix ---------------------------------------------------------------------
def test_splitmix64_of_the_first_state_is_the_published_value():
    assert int(rng.splitmix64(np.uint64(GAMMA))) == 0xE220A8397B1DCDAF


def test_splitmix64_reproduces_the_generator_sequence_from_zero():
    states = np.array([(k * GAMMA) & MASK for k in range(1, 5)], dtype=np.uint64)
    assert [int(v) for v in rng.splitmix64(states)] == list(SPLITMIX64_FROM_ZERO)


def test_splitmix64_matches_the_plain_python_specification():
    inputs = [0, 1, 2, 2**32 - 1, 2**63, MASK, 0x0123456789ABCDEF, *range(1000, 1064)]
    out = rng.splitmix64(np.array(inputs, dtype=np.uint64))
    assert out.dtype == np.uint64
    assert [int(v) for v in out] == [reference_mix(x) for x in inputs]


def test_splitmix64_is_elementwise_over_any_shape():
    grid = np.arange(24, dtype=np.uint64).reshape(2, 3, 4) * np.uint64(7919)
    out = rng.splitmix64(grid)
    assert out.shape == grid.shape
    assert int(out[1, 2, 3]) == reference_mix(int(grid[1, 2, 3]))


# ---- purity of (seed, world, month, stream, k) -----------------------------------------------
def test_same_key_gives_the_same_numbers():
    w = worlds(16)
    for draw in (rng.raw_bits, rng.uniform, rng.normal):
        a = draw(SEED, w, 7, rng.Stream.TRADE_NOISE, 50)
        b = draw(SEED, w.copy(), 7, rng.Stream.TRADE_NOISE, 50)
        np.testing.assert_array_equal(a, b)


def test_a_world_draws_the_same_numbers_alone_or_inside_any_block():
    block = rng.uniform(SEED, worlds(32), 3, rng.Stream.SHOCK_COUNT, 20)
    alone = rng.uniform(SEED, np.array([13], dtype=np.uint64), 3, rng.Stream.SHOCK_COUNT, 20)
    np.testing.assert_array_equal(alone[0], block[13])
    later_block = rng.uniform(SEED, worlds(8, first=10), 3, rng.Stream.SHOCK_COUNT, 20)
    np.testing.assert_array_equal(later_block, block[10:18])
    reversed_order = rng.uniform(SEED, worlds(32)[::-1], 3, rng.Stream.SHOCK_COUNT, 20)
    np.testing.assert_array_equal(reversed_order, block[::-1])


def test_draw_k_does_not_depend_on_how_many_are_drawn():
    few = rng.normal(SEED, worlds(5), 2, rng.Stream.SHOCK_MAGNITUDE, 3)
    many = rng.normal(SEED, worlds(5), 2, rng.Stream.SHOCK_MAGNITUDE, 40)
    np.testing.assert_array_equal(few, many[:, :3])


def test_stream_ids_are_distinct():
    ids = [int(s) for s in rng.Stream]
    assert len(ids) == len(set(ids)) >= 3


KEY = {"seed": SEED, "first": 0, "month": 5, "stream": rng.Stream.TRADE_NOISE}


@pytest.mark.parametrize(
    "change",
    [
        {"seed": SEED + 1},
        {"seed": 0},
        {"first": 1},
        {"first": 1000},
        {"month": 6},
        {"month": 0},
        {"stream": rng.Stream.SHOCK_COUNT},
        {"stream": rng.Stream.SHOCK_MAGNITUDE},
    ],
    ids=lambda c: "-".join(f"{k}={int(v)}" for k, v in c.items()),
)
def test_changing_any_part_of_the_key_gives_unrelated_numbers(change):
    def draw(seed, first, month, stream):
        return rng.uniform(seed, worlds(64, first), month, stream, 100)

    a = draw(**KEY).ravel()
    b = draw(**{**KEY, **change}).ravel()
    assert not np.any(a == b)
    # unrelated, not merely shifted: no linear association between the two sets of draws
    assert abs(np.corrcoef(a, b)[0, 1]) < 5.0 / np.sqrt(a.size)


def test_neighbouring_worlds_and_months_are_uncorrelated():
    u = rng.uniform(SEED, worlds(2000), 11, rng.Stream.TRADE_NOISE, 50)
    next_month = rng.uniform(SEED, worlds(2000), 12, rng.Stream.TRADE_NOISE, 50)
    bound = 5.0 / np.sqrt(u[1:].size)
    assert abs(np.corrcoef(u[:-1].ravel(), u[1:].ravel())[0, 1]) < bound
    assert abs(np.corrcoef(u.ravel(), next_month.ravel())[0, 1]) < bound
    assert abs(np.corrcoef(u[:, :-1].ravel(), u[:, 1:].ravel())[0, 1]) < bound


# ---- distributions -----------------------------------------------------------------------
def test_raw_bits_are_fair_in_every_bit_position():
    bits = rng.raw_bits(SEED, worlds(400), 1, rng.Stream.SHOCK_COUNT, 250).ravel()
    n = bits.size
    share = np.array([((bits >> np.uint64(b)) & np.uint64(1)).mean() for b in range(64)])
    assert np.all(np.abs(share - 0.5) <= 5.0 * 0.5 / np.sqrt(n))


def test_uniform_lies_in_the_unit_interval_with_the_right_moments():
    u = rng.uniform(SEED, worlds(1000), 4, rng.Stream.TRADE_NOISE, 1000)
    assert u.shape == (1000, 1000) and u.dtype == np.float64
    n = u.size
    assert u.min() > 0.0 and u.max() < 1.0
    assert within(u.mean(), 0.5, np.sqrt(1.0 / 12.0 / n))
    # variance of the sample variance of U(0, 1): (mu4 - sigma^4) / n = (1/80 - 1/144) / n
    assert within(u.var(), 1.0 / 12.0, np.sqrt((1.0 / 80.0 - 1.0 / 144.0) / n))


def test_uniform_passes_kolmogorov_smirnov_and_chi_square():
    u = rng.uniform(SEED + 7, worlds(500), 9, rng.Stream.SHOCK_COUNT, 400).ravel()
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    counts = np.bincount(np.floor(u * 100).astype(int), minlength=100)
    assert counts.size == 100
    assert stats.chisquare(counts).pvalue > 1e-3


def test_uniform_is_fine_grained():
    u = rng.uniform(SEED, worlds(100), 0, rng.Stream.TRADE_NOISE, 1000).ravel()
    # 53-bit resolution: 100,000 draws collide essentially never
    assert np.unique(u).size == u.size


def test_normal_has_mean_zero_unit_variance_and_normal_shape():
    z = rng.normal(SEED, worlds(1000), 2, rng.Stream.SHOCK_MAGNITUDE, 1000)
    assert z.shape == (1000, 1000)
    assert np.all(np.isfinite(z))
    z = z.ravel()
    n = z.size
    assert within(z.mean(), 0.0, 1.0 / np.sqrt(n))
    assert within(z.var(), 1.0, np.sqrt(2.0 / n))
    assert within(stats.skew(z), 0.0, np.sqrt(6.0 / n))
    assert within(stats.kurtosis(z), 0.0, np.sqrt(24.0 / n))
    assert stats.kstest(z[:200_000], "norm").pvalue > 1e-3
    # tails: P(|Z| > 2) = 4.55%
    tail = np.mean(np.abs(z) > 2.0)
    p = 2.0 * stats.norm.sf(2.0)
    assert within(tail, p, np.sqrt(p * (1.0 - p) / n))


@pytest.mark.parametrize("rate", [0.05, 0.7, 3.0, 12.0, 40.0])
def test_poisson_mean_and_variance(rate):
    u = rng.uniform(SEED, worlds(500), 3, rng.Stream.SHOCK_COUNT, 400)
    k = rng.poisson(np.full(u.shape, rate), u)
    assert k.shape == u.shape
    assert np.issubdtype(k.dtype, np.integer)
    assert k.min() >= 0
    n = k.size
    assert within(k.mean(), rate, np.sqrt(rate / n))
    # Var(s^2) of a Poisson sample is about (lambda + 2 lambda^2) / n
    assert within(k.var(), rate, np.sqrt((rate + 2.0 * rate**2) / n))
    p0 = np.exp(-rate)
    assert within(np.mean(k == 0), p0, np.sqrt(p0 * (1.0 - p0) / n) + 1e-12)


@pytest.mark.parametrize("rate", [0.3, 2.5, 25.0])
def test_poisson_is_the_inverse_cdf(rate):
    u = rng.uniform(SEED + 1, worlds(100), 0, rng.Stream.SHOCK_COUNT, 500).ravel()
    k = rng.poisson(np.full(u.shape, rate), u)
    np.testing.assert_array_equal(k, stats.poisson.ppf(u, rate).astype(np.int64))
    order = np.argsort(u)
    assert np.all(np.diff(k[order]) >= 0)  # monotone in the uniform


def test_poisson_with_a_rate_per_element():
    rates = np.array([0.0, 0.1, 1.0, 5.0, 20.0])
    u = rng.uniform(SEED, worlds(20_000), 8, rng.Stream.SHOCK_COUNT, rates.size)
    k = rng.poisson(np.broadcast_to(rates, u.shape), u)
    assert np.all(k[:, 0] == 0)
    n = k.shape[0]
    for j, rate in enumerate(rates[1:], start=1):
        assert within(k[:, j].mean(), rate, np.sqrt(rate / n))


def test_poisson_rate_is_capped_and_terminates():
    u = np.array([0.001, 0.5, 0.999])
    huge = rng.poisson(np.full(3, 1e6), u)
    capped = rng.poisson(np.full(3, rng.MAX_POISSON_RATE), u)
    np.testing.assert_array_equal(huge, capped)
    assert capped[0] < capped[1] < capped[2]


def test_auto_seed_is_a_fresh_non_negative_int():
    a, b = rng.auto_seed(), rng.auto_seed()
    assert isinstance(a, int) and 0 <= a < 2**63
    assert a != b
