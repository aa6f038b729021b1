"""mpmath, arb and torch float64 evaluate the same definitions, stably, at any score size."""

import mpmath
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from natsparse.numeric import arb as ab
from natsparse.numeric import batched, mp
from tests.strategies import rows_and_k, score_rows, values_for


@given(rows_and_k())
def test_arb_balls_contain_the_mpmath_values(case):
    s, k = case
    r, b = mp.topk_attention(s, k=k), ab.topk_attention(s, k=k)
    with ab.precision(60):
        for x, ball in [(r.tau, b.tau), (r.lse, b.lse), (r.lse_kept, b.lse_kept)]:
            assert ball.overlaps(_ball(x))
    assert r.kept == b.kept


def _ball(x):
    from flint import arb
    scale = max(abs(x), mpmath.mpf(1))
    return arb(mpmath.nstr(x, 55), mpmath.nstr(scale * mpmath.mpf(10) ** -45, 5))


@given(st.data())
def test_torch_float64_agrees_with_mpmath(data):
    s, k = data.draw(rows_and_k(max_n=120))
    V = data.draw(values_for(len(s)))
    r = mp.topk_attention(s, V, k=k)
    out, tau = batched.topk_attention(torch.from_numpy(s), torch.from_numpy(V), k)
    assert abs(float(tau) - float(r.tau)) <= 1e-12
    scale = float(np.max(np.abs(V)))
    assert np.allclose(out.numpy(), [float(x) for x in r.output_hat], rtol=1e-9, atol=1e-12 * scale)
    dense = batched.attention(torch.from_numpy(s), torch.from_numpy(V))
    assert np.allclose(dense.numpy(), [float(x) for x in r.output], rtol=1e-9, atol=1e-12 * scale)


def test_batched_rows_are_independent():
    rng = np.random.default_rng(0)
    S = torch.from_numpy(rng.normal(size=(3, 5, 40)) * 4)
    taus = batched.tail_mass(S, 7)
    assert taus.shape == (3, 5)
    for i in range(3):
        for j in range(5):
            assert abs(float(taus[i, j]) - float(mp.tail_mass(S[i, j].numpy(), k=7))) < 1e-13


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
    assert float(batched.tail_mass(torch.from_numpy(s), 1)) == pytest.approx(1 / (1 + np.e), 1e-14)


def test_ties_break_toward_the_lower_index_everywhere():
    s = np.array([1.0, 2.0, 2.0, 2.0, 0.0])
    assert mp.topk_attention(s, k=2).kept == [1, 2]
    assert ab.topk_attention(s, k=2).kept == [1, 2]
    mask = batched.topk_mask(torch.from_numpy(s), 2)
    assert mask.nonzero().flatten().tolist() == [1, 2]


def test_threshold_keeps_exactly_the_weights_at_least_eps():
    s = np.log(np.array([0.5, 0.25, 0.125, 0.125]))   # weights 1/2, 1/4, 1/8, 1/8 (to ~1e-16)
    for impl in (mp, ab):
        assert impl.threshold_attention(s, eps=0.25 - 1e-9).kept == [0, 1]
        assert impl.threshold_attention(s, eps=0.25 + 1e-9).kept == [0]
        assert impl.threshold_attention(s, eps=0.125 - 1e-9).kept == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="keep no key"):
        mp.threshold_attention(s, eps=0.75)


@given(score_rows(min_n=1, max_n=200), st.floats(1e-6, 0.5))
def test_k_eps_is_the_first_k_whose_tail_is_at_most_eps(s, eps):
    k = int(batched.k_eps(torch.from_numpy(s), eps))
    assert 1 <= k <= len(s)
    with mpmath.workdps(50):
        assert mp.tail_mass(s, k=k) <= eps * (1 + 1e-12)                  # k keys suffice ...
        if k > 1:
            assert mp.tail_mass(s, k=k - 1) >= eps * (1 - 1e-12)          # ... and k - 1 do not


def test_monte_carlo_k_eps_matches_the_batched_definition():
    from natsparse.numeric import montecarlo as MC

    s = torch.from_numpy(np.random.default_rng(5).normal(size=(64, 300)) * 2.5)
    req = MC.Request(n=300, k=(8,), eps=(), t=(), eps_mass=(0.1, 0.01))
    stats = MC.row_stats(s, req)
    for level in (0.1, 0.01):
        assert torch.equal(stats[MC.k_eps_name(level)], batched.k_eps(s, level))
