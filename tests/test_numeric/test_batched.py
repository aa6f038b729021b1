"""numeric.batched: torch evaluates the definitions of mpmath, row by row, with ties to the lower index;
one evaluator of the kept set, the tail mass and k_eps."""

import mpmath
import numpy as np
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

from natsparse.numeric import batched, mp
from natsparse.numeric.validate import topk_indices
from tests.strategies import rows_and_k, score_rows, values_for

F64 = torch.float64


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


def test_extreme_scores_do_not_overflow():
    s = np.array([1e4, 1e4 - 1, -1e4, 0.0])
    assert float(batched.tail_mass(torch.from_numpy(s), 1)) == pytest.approx(1 / (1 + np.e), 1e-14)


def test_ties_break_toward_the_lower_index():
    s = np.array([1.0, 2.0, 2.0, 2.0, 0.0])
    mask = batched.topk_mask(torch.from_numpy(s), 2)
    assert mask.nonzero().flatten().tolist() == [1, 2]


@given(score_rows(min_n=1, max_n=200), st.floats(1e-6, 0.5))
def test_k_eps_is_the_first_k_whose_tail_is_at_most_eps(s, eps):
    k = int(batched.k_eps(torch.from_numpy(s), eps))
    assert 1 <= k <= len(s)
    with mpmath.workdps(50):
        assert mp.tail_mass(s, k=k) <= eps * (1 + 1e-12)                  # k keys suffice ...
        if k > 1:
            assert mp.tail_mass(s, k=k - 1) >= eps * (1 - 1e-12)          # ... and k - 1 do not


# --- the kept set ------------------------------------------------------------------------------

TIES = np.array([0.0, 3.0, 1.0, 3.0, 3.0, 1.0] * 12)  # 72 scores in three tied groups


@given(rows_and_k(max_n=300))
@example((TIES, 1)).via("ties inside and at the end of the selection")
@example((TIES, 2)).via("a tie at the k-th")
@example((TIES, 24)).via("k ends a tied group")
@example((np.zeros(50), 7)).via("all equal")
def test_mask_is_the_kept_set_of_the_definition(case):
    """Rows with ties (scores on a grid) take the tie repair: the lower index always wins."""
    s, k = case
    got = batched.topk_mask(torch.from_numpy(s), k).nonzero().flatten().tolist()
    assert got == topk_indices(s, k)


@given(st.integers(1, 5), st.integers(1, 60), st.integers(0, 2**32 - 1), st.booleans(), st.data())
def test_a_row_k_is_the_int_k_of_each_row(m, n, seed, grid, data):
    """Mask, tau and top-k output with one k per row equal, row by row, those of that row's int k."""
    s = np.random.default_rng(seed).normal(size=(2, m, n)) * 3
    s = torch.from_numpy(np.round(s) if grid else s)
    ks = data.draw(st.lists(st.integers(1, n), min_size=m, max_size=m))
    k_rows = torch.tensor(ks)
    V = torch.from_numpy(np.random.default_rng(seed + 1).normal(size=(2, m, n, 2)))
    mask, tau = batched.topk_mask(s, k_rows), batched.tail_mass(s, k_rows)
    out, tau2 = batched.topk_attention(s, V, k_rows)
    for i, k in enumerate(ks):
        assert torch.equal(mask[:, i], batched.topk_mask(s[:, i], k))
        assert torch.equal(tau[:, i], batched.tail_mass(s[:, i], k))
        o, t = batched.topk_attention(s[:, i], V[:, i], k)
        assert torch.equal(tau2[:, i], t) and torch.allclose(out[:, i], o, rtol=1e-14, atol=1e-14)


# --- the tail masses ---------------------------------------------------------------------------


@given(score_rows(max_n=40))
def test_tail_masses_are_every_tau_k(s):
    tails = batched.tail_masses(torch.from_numpy(s))
    n = len(s)
    assert tails.shape == (n + 1,) and tails[n] == 0 and abs(float(tails[0]) - 1) < 1e-14
    assert bool((tails[1:] <= tails[:-1]).all())                              # lem:tail-monotone
    for k in range(1, n + 1):
        want = float(mp.tail_mass(s, k=k))
        assert abs(float(tails[k]) - want) <= 1e-13 * want + 1e-300
    for upto in {1, max(1, n // 2), n}:
        part = batched.tail_masses(torch.from_numpy(s), upto=upto)
        assert part.shape == (upto + 1,) and part[upto] == batched.tail_mass(torch.from_numpy(s), upto)
        assert torch.allclose(part, tails[:upto + 1], rtol=1e-13, atol=0)


def test_a_tiny_tail_keeps_its_digits():
    """tau_1 = e^-100/(1 + e^-100): the discarded weight is summed, not 1 minus the kept one."""
    s = torch.tensor([0.0, -100.0], dtype=F64)
    want = float(mp.tail_mass([0.0, -100.0], k=1))
    assert float(batched.tail_mass(s, 1)) == pytest.approx(want, rel=1e-14, abs=0)
    assert float(batched.tail_masses(s)[1]) == pytest.approx(want, rel=1e-14, abs=0)
    assert 1.0 - float(torch.softmax(s, -1)[0]) == 0.0                          # 1 - kept: nothing left


def test_discarded_mass_of_probability_rows():
    a = torch.tensor([[0.4, 0.4, 0.2], [0.1, 0.3, 0.6]], dtype=F64, requires_grad=True)
    tau = batched.discarded_mass(a, 1)
    assert torch.allclose(tau, torch.tensor([0.6, 0.4], dtype=F64), rtol=1e-15)
    assert torch.allclose(tau, batched.tail_mass(a.detach().log(), 1), rtol=1e-14)
    tau.sum().backward()
    assert torch.equal(a.grad, torch.tensor([[0.0, 1.0, 1.0], [1.0, 1.0, 0.0]], dtype=F64))


@pytest.mark.parametrize("dtype, want", [(torch.float64, torch.float64), (torch.float32, torch.float32),
                                         (torch.bfloat16, torch.float32), (torch.int64, torch.float64)])
def test_working_dtype(dtype, want):
    """float64 stays float64; lower precision is summed in float32; integer scores in float64."""
    s = torch.tensor([[3, 1, 2, 0]]).to(dtype)
    for x in (batched.softmax(s), batched.tail_mass(s, 2), batched.tail_masses(s)):
        assert x.dtype == want
    assert batched.k_eps(s, 0.5).dtype == torch.int64
    assert float(batched.tail_mass(s, 2)) == pytest.approx(float(mp.tail_mass([3, 1, 2, 0], k=2)), rel=1e-6)


def test_monte_carlo_sized_batches_take_the_selection_not_a_sort():
    """Gaussian rows (no ties): tau from a selection of the top k agrees with the full tail curve."""
    s = torch.from_numpy(np.random.default_rng(9).normal(size=(300, 1000)) * 2.5)
    full = batched.tail_masses(s)
    for k in (1, 8, 128, 999):
        assert torch.allclose(batched.tail_mass(s, k), full[:, k], rtol=1e-12, atol=0)


def test_k_eps_from_tails_counts_the_tails_above_eps():
    tails = torch.tensor([[1.0, 0.5, 0.125, 0.0], [1.0, 0.05, 0.01, 0.0]])
    assert batched.k_eps_from_tails(tails, 0.1).tolist() == [3, 1]
    assert batched.k_eps_from_tails(tails, 0.01).tolist() == [3, 2]
    with pytest.raises(ValueError, match=r"eps must be in \(0, 1\)"):
        batched.k_eps_from_tails(tails, 1.0)
