"""numeric.mp: the 50-digit reference row, stable at any score size, ties to the lower index, and
the context-generic row functions it shares with numeric.arb."""

import mpmath
import numpy as np
import pytest
from hypothesis import given

from natsparse.numeric import mp
from tests.strategies import rows_and_k, score_rows


@given(score_rows(max_n=60))
def test_softmax_sums_to_one_and_lse_is_stable(s):
    a = mp.softmax(s)
    with mpmath.workdps(50):
        assert abs(mpmath.fsum(a) - 1) < mpmath.mpf(10) ** -45
    lse = mp.logsumexp(s)
    assert max(s) <= lse <= max(s) + np.log(len(s)) + 1e-12


def test_extreme_scores_do_not_overflow():
    s = np.array([1e4, 1e4 - 1, -1e4, 0.0])
    r = mp.topk_attention(s, k=1)
    with mpmath.workdps(50):  # tau = e^-1/(1+e^-1) + O(e^-10000)
        assert mpmath.almosteq(r.tau, 1 / (1 + mpmath.e), mpmath.mpf(10) ** -45)


def test_ties_break_toward_the_lower_index():
    s = np.array([1.0, 2.0, 2.0, 2.0, 0.0])
    assert mp.topk_attention(s, k=2).kept == [1, 2]


def test_threshold_keeps_exactly_the_weights_at_least_eps():
    s = np.log(np.array([0.5, 0.25, 0.125, 0.125]))   # weights 1/2, 1/4, 1/8, 1/8 (to ~1e-16)
    assert mp.threshold_attention(s, eps=0.25 - 1e-9).kept == [0, 1]
    assert mp.threshold_attention(s, eps=0.25 + 1e-9).kept == [0]
    assert mp.threshold_attention(s, eps=0.125 - 1e-9).kept == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="keep no key"):
        mp.threshold_attention(s, eps=0.75)


@given(rows_and_k(max_n=40))
def test_the_row_is_the_definition(case):
    """tau is the discarded mass, a_hat the renormalised kept weights, lse_kept their log-sum-exp."""
    s, k = case
    r = mp.topk_attention(s, np.ones(len(s)), k=k)
    drop = [j for j in range(len(s)) if j not in r.kept]
    with mpmath.workdps(50):
        tol = mpmath.mpf(10) ** -45
        tiny = mpmath.mpf(10) ** -300
        assert abs(r.tau - mpmath.fsum(r.weights[j] for j in drop)) <= tol * max(r.tau, tiny)
        assert abs(mpmath.fsum(r.weights_hat) - 1) < tol and all(r.weights_hat[j] == 0 for j in drop)
        assert abs(r.lse_kept - mp.logsumexp(s[r.kept])) < tol * (1 + abs(r.lse_kept))
        assert abs(r.output_hat[0] - 1) < tol and abs(r.output[0] - 1) < tol


def test_count_above_and_the_loss():
    s = [0.0, 0.0, -10.0]
    assert mp.count_above(s, eps=0.1) == 2 and mp.count_above(s, eps=0.6) == 0
    with mpmath.workdps(50):
        assert mp.sparsity_loss([s, s], k=2) == mp.tail_mass(s, k=2)
    with pytest.raises(ValueError, match="at least one row"):
        mp.sparsity_loss([], k=1)


class _Counting(mp.MPContext):
    """The mpmath context, counting its exponentials: the shared body runs on any context."""

    calls = 0

    @classmethod
    def exp(cls, x):
        cls.calls += 1
        return mpmath.exp(x)


def test_the_generic_row_runs_on_the_context_it_is_given():
    ctx = _Counting()
    r = mp.topk_row(ctx, [3.0, 1.0, 2.0], None, 2, 30)
    assert ctx.calls == 3 and r.kept == [0, 2] and isinstance(r, mp.SparseRow)   # one exp per score
    assert r.tau == mp.topk_attention([3.0, 1.0, 2.0], k=2, dps=30).tau


def test_an_undecided_comparison_is_never_a_silent_keep():
    """A context whose comparison cannot decide makes the threshold row raise, not guess."""

    class Undecided(mp.MPContext):
        ge = staticmethod(lambda x, y: None)

    with pytest.raises(ValueError, match="a_0 cannot be compared with eps=0.25 at 30 digits"):
        mp.threshold_row(Undecided(), [0.0, 0.0], None, 0.25, 30)


def test_eps_at_a_rounded_up_one_over_n():
    """float(1/135) lies above 1/135: an all-equal row of 135 keeps nothing there, and all just below."""
    s = np.zeros(135)
    with pytest.raises(ValueError, match="keep no key"):
        mp.threshold_attention(s, eps=1 / 135)
    assert len(mp.threshold_attention(s, eps=float(np.nextafter(1 / 135, 0))).kept) == 135
