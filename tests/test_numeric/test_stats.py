"""numeric.stats: Clopper–Pearson bounds (exact coverage), the rate check, quantile intervals."""

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from natsparse.numeric import stats


def _binom_tail_ge(N, x, p):
    """P(Bin(N, p) >= x) exactly in mpmath."""
    with mpmath.workdps(40):
        p = mpmath.mpf(p)
        return mpmath.fsum(mpmath.binomial(N, j) * p**j * (1 - p)**(N - j) for j in range(x, N + 1))


@settings(max_examples=40, deadline=None)
@given(N=st.integers(1, 120), data=st.data(), alpha=st.sampled_from([1e-6, 1e-3, 0.025, 0.2]))
def test_bounds_solve_the_binomial_tail_equations(N, data, alpha):
    """lower solves P_p(X >= x) = alpha; upper solves P_p(X <= x) = alpha (definition of CP)."""
    x = data.draw(st.integers(0, N))
    lo, hi = stats.lower_bound(x, N, alpha), stats.upper_bound(x, N, alpha)
    assert 0 <= lo <= x / N <= hi <= 1
    if x > 0:
        assert abs(_binom_tail_ge(N, x, lo) - alpha) <= 1e-8 * alpha
    if x < N:
        assert abs((1 - _binom_tail_ge(N, x + 1, hi)) - alpha) <= 1e-8 * alpha


@pytest.mark.parametrize("N", [5, 40, 200])
@pytest.mark.parametrize("p", [0.001, 0.05, 0.3, 0.77])
def test_exact_coverage_of_one_sided_bounds(N, p):
    """sum_x P_p(x) 1{lower(x) > p} <= alpha and the same for upper < p: the guarantee, exactly."""
    alpha = 0.05
    with mpmath.workdps(30):
        pm = [mpmath.binomial(N, x) * mpmath.mpf(p)**x * (1 - mpmath.mpf(p))**(N - x) for x in range(N + 1)]
    miss_lo = sum(pm[x] for x in range(N + 1) if stats.lower_bound(x, N, alpha) > p)
    miss_hi = sum(pm[x] for x in range(N + 1) if stats.upper_bound(x, N, alpha) < p)
    assert miss_lo <= alpha and miss_hi <= alpha


def test_edges_and_interval():
    assert stats.lower_bound(0, 10, 0.05) == 0.0
    assert stats.upper_bound(10, 10, 0.05) == 1.0
    assert stats.upper_bound(0, 100_000, 0.05) == pytest.approx(-np.log(0.05) / 100_000, rel=1e-3)
    lo, hi = stats.interval(3, 100, 0.95)
    lo2, hi2 = stats.interval(3, 100, 0.999)
    assert lo2 < lo < 0.03 < hi < hi2


def test_rate_check_decides_both_ways():
    assert stats.check_rate_at_most(0, 100_000, 1e-4, 1e-6).rejected is False
    assert stats.check_rate_at_most(50, 100_000, 1e-4, 1e-6).rejected is True   # 5e-4 >> 1e-4
    r = stats.check_rate_at_most(12, 100_000, 1e-4, 1e-6)
    assert not r.rejected and r.frequency == 12e-5 and r.lower < 1e-4 < r.upper95


@pytest.mark.parametrize("bad", [(-1, 10), (11, 10), (1, 0), (1.0, 10), (True, 10)])
def test_bad_counts(bad):
    with pytest.raises((ValueError, TypeError), match="successes|trials"):
        stats.lower_bound(*bad, 0.05)


@pytest.mark.parametrize("alpha", [0, 1, -0.1, 1.5])
def test_bad_alpha(alpha):
    with pytest.raises(ValueError, match="alpha must be in"):
        stats.upper_bound(1, 10, alpha)
    with pytest.raises(ValueError, match="confidence must be in"):
        stats.interval(1, 10, alpha)


def test_quantile_interval_uses_the_binomial_ranks():
    """For U(0,1) samples the median interval's ranks are Bin(N, 1/2) quantiles; coverage holds
    on 400 seeded repetitions at alpha = 0.1 (expected misses 40; fail only above 70, p < 1e-5)."""
    rng = np.random.default_rng(5)
    misses = 0
    for _ in range(400):
        lo, hi = stats.quantile_interval(rng.random(101), 0.5, 0.1)
        misses += not (lo <= 0.5 <= hi)
    assert misses <= 70
    lo, hi = stats.quantile_interval(np.arange(5.0), 0.5, 1e-6)
    assert (lo, hi) == (-np.inf, np.inf)
    with pytest.raises(ValueError, match="non-empty"):
        stats.quantile_interval([], 0.5, 0.1)
    with pytest.raises(ValueError, match="q must be in"):
        stats.quantile_interval([1.0, 2.0], 1.0, 0.1)
