"""Shared Hypothesis strategies: score rows from tiny to +-1e4 with ties, values of every sign."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

SCALES = (1e-9, 1e-3, 1.0, 10.0, 100.0, 1e4)


@st.composite
def score_rows(draw, min_n: int = 1, max_n: int = 300) -> np.ndarray:
    """A row of n scores: Gaussian-like at a drawn scale, or drawn directly (ties, extremes)."""
    n = draw(st.integers(min_n, max_n))
    kind = draw(st.sampled_from(["scaled", "raw", "grid"]))
    if kind == "raw":
        return draw(hnp.arrays(np.float64, n, elements=st.floats(-1e4, 1e4, width=64)))
    seed = draw(st.integers(0, 2**32 - 1))
    row = np.random.default_rng(seed).normal(size=n) * draw(st.sampled_from(SCALES))
    return np.round(row) if kind == "grid" else row


@st.composite
def rows_and_k(draw, min_n: int = 1, max_n: int = 300, k_below_n: bool = False):
    """(scores, k) with 1 <= k <= n (k < n when asked), k = 1 and k = n - 1 favoured."""
    s = draw(score_rows(max(min_n, 2 if k_below_n else 1), max_n))
    n = len(s)
    top = n - 1 if k_below_n else n
    k = draw(st.one_of(st.just(1), st.just(max(1, n - 1)), st.integers(1, top)))
    return s, min(k, top)


@st.composite
def values_for(draw, n: int) -> np.ndarray:
    """An (n, dv) value matrix with entries of every sign and magnitude."""
    dv = draw(st.integers(1, 4))
    scale = draw(st.sampled_from([1e-6, 1.0, 1e3]))
    seed = draw(st.integers(0, 2**32 - 1))
    return np.random.default_rng(seed).normal(size=(n, dv)) * scale
