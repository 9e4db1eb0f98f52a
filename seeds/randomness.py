"""Seeded randomness: one independent numpy generator per stage and chunk, plus bijections.

Every random draw of the generator goes through :func:`stage_rng`, keyed by the portfolio
seed, a stage name and optional integers (a chunk number), so a stage's draws do not depend
on how many draws other stages made. The bijections turn row numbers into values that look
random yet never collide (phone numbers, device ids, registration numbers).
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["affine_params", "affine_permutation", "mix64", "stage_rng", "weighted_choice"]

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def stage_rng(seed: int, stage: str, *parts: int) -> np.random.Generator:
    """A generator for ``stage`` (and ``parts``, e.g. a chunk index) under ``seed``.

    Parameters:
        seed: the portfolio seed.
        stage: a stable stage name; its CRC-32 keys the stream.
        parts: further non-negative integers (chunk numbers).

    Complexity: O(1).
    """
    key = [int(seed) & 0xFFFFFFFF, int(seed) >> 32, zlib.crc32(stage.encode()), *parts]
    return np.random.default_rng(np.random.SeedSequence(key))


def mix64(values: np.ndarray, salt: int) -> np.ndarray:
    """The splitmix64 finaliser of ``values + salt``: a bijection on 64-bit integers.

    Distinct inputs give distinct outputs, so hex-formatted results make collision-free ids.

    Complexity: O(len(values)), vectorised.
    """
    with np.errstate(over="ignore"):
        z = values.astype(np.uint64) + np.uint64(salt & 0xFFFFFFFFFFFFFFFF)
        z = (z + np.uint64(0x9E3779B97F4A7C15)) & _MASK64
        z = ((z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK64
        z = ((z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK64
        return z ^ (z >> np.uint64(31))


def affine_params(modulus: int, rng: np.random.Generator) -> tuple[int, int]:
    """Draw ``(a, b)`` with ``a`` coprime to ``modulus``: the map ``(a*v + b) mod modulus``
    is then a permutation of ``[0, modulus)``. O(1) expected."""
    while True:
        a = int(rng.integers(modulus // 3, modulus - 1))
        if np.gcd(a, modulus) == 1:
            return a, int(rng.integers(0, modulus))


def affine_permutation(values: np.ndarray, modulus: int, rng: np.random.Generator) -> np.ndarray:
    """Map ``values`` (distinct, in ``[0, modulus)``) to distinct values in ``[0, modulus)``.

    Scattered yet unique; ``modulus`` must stay below about 3e9 so products fit int64.

    Complexity: O(len(values)).
    """
    a, b = affine_params(modulus, rng)
    return (values.astype(np.int64) * a + b) % modulus


def weighted_choice(rng: np.random.Generator, weights: np.ndarray | list[float] | tuple[float, ...],
                    size: int) -> np.ndarray:
    """Draw ``size`` indices into ``weights`` with probability proportional to the weight.

    Complexity: O(size · log(len(weights))).
    """
    w = np.asarray(weights, dtype=np.float64)
    cdf = np.cumsum(w / w.sum())
    cdf[-1] = 1.0
    return np.searchsorted(cdf, rng.random(size), side="right").astype(np.int64)
