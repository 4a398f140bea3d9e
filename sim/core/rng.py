"""Counter-based random numbers: every draw is a pure function of (seed, world, month, stream, k).

A world's draws never depend on the block it runs in, on how many worlds run or on the executor,
and scenarios compared side by side share their random numbers by construction. The integer mix
is the SplitMix64 finaliser (Steele, Lea and Flood 2014), vectorised over numpy uint64 arrays.
"""

from __future__ import annotations

from enum import IntEnum
from hashlib import blake2b

import numpy as np
from scipy.special import ndtri

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_TWO_POW_53 = 2.0**-53
MAX_POISSON_RATE = 50.0


class Stream(IntEnum):
    """One id per kind of draw, so adding a draw of one kind never shifts another."""

    TRADE_NOISE = 1
    SHOCK_COUNT = 2
    SHOCK_MAGNITUDE = 3
    ASSUMPTIONS = 4  # drawn once per world (month 0), keyed by the uncertainty's name


def splitmix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 output function applied element-wise to a uint64 array (wrapping arithmetic)."""
    x = np.asarray(x, dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def _key(seed: int, worlds: np.ndarray, month: int, stream: int) -> np.ndarray:
    """Hash (seed, world, month, stream) into one uint64 key per world, shape (worlds,)."""
    with np.errstate(over="ignore"):
        h = splitmix64(np.uint64(seed % 2**64) + GOLDEN)
        h = splitmix64(h ^ (np.asarray(worlds, dtype=np.uint64) * GOLDEN + np.uint64(1)))
        h = splitmix64(h ^ (np.uint64(month % 2**64) * _M1 + np.uint64(2)))
        return splitmix64(h ^ (np.uint64(stream) * _M2 + np.uint64(3)))


def raw_bits(seed: int, worlds: np.ndarray, month: int, stream: int, draws) -> np.ndarray:
    """Uniform uint64 words, shape (len(worlds), number of draws). `draws` is a count n (draw
    k = 1..n) or an array of uint64 draw keys, e.g. `label_keys` of the flows, so that a draw
    belongs to its flow or channel, not to a position that adding another would shift."""
    key = _key(seed, worlds, month, stream)[:, None]
    counters = (
        np.arange(1, draws + 1, dtype=np.uint64)
        if isinstance(draws, int | np.integer)
        else np.asarray(draws, dtype=np.uint64)
    )
    with np.errstate(over="ignore"):
        return splitmix64(key + (counters * GOLDEN)[None, :])


def label_keys(labels: list[str]) -> np.ndarray:
    """Stable uint64 draw keys for named things (BLAKE2b of each label), for `raw_bits`."""
    return np.array(
        [
            int.from_bytes(blake2b(text.encode(), digest_size=8).digest(), "little")
            for text in labels
        ],
        dtype=np.uint64,
    )


def uniform(seed: int, worlds: np.ndarray, month: int, stream: int, draws) -> np.ndarray:
    """Uniforms in the open interval (0, 1), shape (len(worlds), draws), from the top 53 bits."""
    bits = raw_bits(seed, worlds, month, stream, draws)
    return ((bits >> np.uint64(11)).astype(np.float64) + 0.5) * _TWO_POW_53


def normal(seed: int, worlds: np.ndarray, month: int, stream: int, draws) -> np.ndarray:
    """Standard normals by the inverse normal CDF, shape (len(worlds), draws)."""
    return ndtri(uniform(seed, worlds, month, stream, draws))


def poisson(rate: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Poisson counts by inversion of the CDF, one uniform per count; same shape as `rate`.

    Exact for rates up to MAX_POISSON_RATE (scenario validation keeps rates far below it).
    """
    rate = np.minimum(np.asarray(rate, dtype=np.float64), MAX_POISSON_RATE)
    u = np.broadcast_to(u, rate.shape)
    term = np.exp(-rate)
    count = (u > term).astype(np.int64)
    # only the few entries above zero are carried on; each round adds one to their count
    idx = np.flatnonzero(count)
    rate_i, u_i = rate.reshape(-1)[idx], u.reshape(-1)[idx]
    term_i = term.reshape(-1)[idx]
    cdf_i = term_i.copy()
    flat = count.reshape(-1)
    k = 0
    while idx.size and k < 4 * MAX_POISSON_RATE:
        k += 1
        term_i = term_i * rate_i / k
        cdf_i = cdf_i + term_i
        more = u_i > cdf_i
        idx, rate_i, u_i, term_i, cdf_i = (
            idx[more],
            rate_i[more],
            u_i[more],
            term_i[more],
            cdf_i[more],
        )
        flat[idx] += 1
    return count


def auto_seed() -> int:
    """A fresh root seed from the operating system, for runs that were given none."""
    return int(np.random.SeedSequence().entropy % 2**63)
