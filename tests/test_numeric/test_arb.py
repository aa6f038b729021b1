"""numeric.arb: the balls contain the mpmath values, certain comparisons only, the shared row."""

import mpmath
import numpy as np
import pytest
from flint import arb
from hypothesis import given

from natsparse.numeric import arb as ab
from natsparse.numeric import mp
from tests.strategies import rows_and_k


def _ball(x):
    scale = max(abs(x), mpmath.mpf(1))
    return arb(mpmath.nstr(x, 55), mpmath.nstr(scale * mpmath.mpf(10) ** -45, 5))


@given(rows_and_k())
def test_arb_balls_contain_the_mpmath_values(case):
    s, k = case
    r, b = mp.topk_attention(s, k=k), ab.topk_attention(s, k=k)
    with ab.precision(60):
        for x, ball in [(r.tau, b.tau), (r.lse, b.lse), (r.lse_kept, b.lse_kept)]:
            assert ball.overlaps(_ball(x))
    assert r.kept == b.kept


def test_ties_break_toward_the_lower_index():
    s = np.array([1.0, 2.0, 2.0, 2.0, 0.0])
    assert ab.topk_attention(s, k=2).kept == [1, 2]


def test_threshold_keeps_exactly_the_weights_at_least_eps():
    s = np.log(np.array([0.5, 0.25, 0.125, 0.125]))   # weights 1/2, 1/4, 1/8, 1/8 (to ~1e-16)
    assert ab.threshold_attention(s, eps=0.25 - 1e-9).kept == [0, 1]
    assert ab.threshold_attention(s, eps=0.25 + 1e-9).kept == [0]
    assert ab.threshold_attention(s, eps=0.125 - 1e-9).kept == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="keep no key"):
        ab.threshold_attention(s, eps=0.75)


def test_an_undecidable_weight_raises():
    """a_j = 1/2 exactly is a ball around 1/2 at any precision: against eps = 1/2 it is undecided."""
    with pytest.raises(ValueError, match="a_0 cannot be compared with eps=0.5 at 50 digits"):
        ab.threshold_attention([0.0, 0.0], eps=0.5)


def test_balls_and_points_come_from_one_body():
    """The same generic row in both contexts: the balls hold every mpmath value of the row."""
    s, V = np.array([2.0, -1.0, 0.5, 0.5]), np.array([[1.0, -2.0], [0.0, 3.0], [4.0, 1.0], [-1.0, 0.0]])
    r, b = mp.topk_attention(s, V, k=2), ab.topk_attention(s, V, k=2)
    assert isinstance(b, ab.SparseBall) and isinstance(b, mp.SparseRow) and b.kept == r.kept == [0, 2]
    with ab.precision(60):
        for field in ("weights", "weights_hat", "output", "output_hat"):
            assert all(ball.overlaps(_ball(x)) for x, ball in zip(getattr(r, field), getattr(b, field),
                                                                   strict=True)), field


def test_certain_comparisons_only():
    tenth = ab.exact("0.1")
    assert not ab.certainly_le(tenth, tenth) and not ab.certainly_lt(tenth, tenth)
    assert ab.certainly_le(ab.exact(0.5), ab.exact(0.5)) and ab.certainly_lt(ab.exact(1), ab.exact(2))
    assert ab.ARB.ge(tenth, tenth) is None and ab.ARB.ge(ab.exact(2), ab.exact(1)) is True
    with pytest.raises(ValueError, match="cannot make an exact ball"):
        ab.exact(float("inf"))
