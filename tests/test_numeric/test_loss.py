"""The sparsity loss L_k (def:sparsity-loss) and its gradient (lem:loss-gradient)."""

import mpmath
import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

from natsparse.numeric import batched, mp
from natsparse.numeric.loss import sparsity_loss, tail_mass_from_scores
from tests.strategies import rows_and_k

F64 = torch.float64


def _probs(*shape, scale=1.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.softmax(torch.randn(*shape, generator=g, dtype=F64) * scale, dim=-1)


def _closed_form(s: torch.Tensor, k: int, *, wrong: bool = False) -> torch.Tensor:
    """lem:loss-gradient: d tau_k / d s_l = a_l (1[l not in S] - tau_k); `wrong` uses 1[l in S]."""
    a = torch.softmax(s, dim=-1)
    in_s = batched.topk_mask(s, k)
    ind = (in_s if wrong else ~in_s).to(F64)
    return a * (ind - batched.tail_mass(s, k).unsqueeze(-1))


def _agrees(got: torch.Tensor, want: torch.Tensor, rtol: float = 1e-12) -> bool:
    return bool(((got - want).abs() <= rtol * want.abs() + 1e-300).all())


def _autograd_gradient(s: torch.Tensor, k: int) -> torch.Tensor:
    x = s.clone().requires_grad_(True)
    tail_mass_from_scores(x, k).sum().backward()
    return x.grad


def _has_boundary_tie(s: np.ndarray, k: int) -> bool:
    if k >= len(s):
        return False
    srt = np.sort(s)[::-1]
    return bool(srt[k - 1] == srt[k])


@given(rows_and_k(max_n=60))
def test_score_gradient_is_the_closed_form(case):
    s, k = case
    assume(not _has_boundary_tie(s, k))  # S must be locally constant
    t = torch.tensor(s, dtype=F64)
    assert _agrees(_autograd_gradient(t, k), _closed_form(t, k))


def test_a_wrong_closed_form_is_rejected():
    """The comparison above can fail: 1[l in S] in place of 1[l not in S] is caught."""
    t = torch.tensor([2.0, 1.0, 0.5, -1.0, 0.25], dtype=F64)
    g = _autograd_gradient(t, 2)
    assert _agrees(g, _closed_form(t, 2))
    assert not _agrees(g, _closed_form(t, 2, wrong=True))


def test_tail_mass_from_scores_matches_batched():
    s = torch.randn(3, 4, 7, generator=torch.Generator().manual_seed(1), dtype=F64) * 3
    assert torch.allclose(tail_mass_from_scores(s, 3), batched.tail_mass(s, 3), rtol=1e-14, atol=0)


def test_gradcheck_through_softmax():
    g = torch.Generator().manual_seed(2)
    s1 = torch.randn(2, 3, 4, 5, generator=g, dtype=F64, requires_grad=True)
    s2 = torch.randn(2, 6, generator=g, dtype=F64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: sparsity_loss(torch.softmax(x, -1), 2), (s1,))
    assert torch.autograd.gradcheck(
        lambda x, y: sparsity_loss([torch.softmax(x, -1), torch.softmax(y, -1)], 3,
                                   layer_weights=[0.25, 2.0]), (s1, s2))


def test_gradient_goes_to_the_discarded_entries_with_ties_to_the_lower_index():
    a = torch.tensor([[0.4, 0.4, 0.2], [0.1, 0.3, 0.6]], dtype=F64, requires_grad=True)
    sparsity_loss(a, 1).backward()
    assert torch.equal(a.grad, torch.tensor([[0.0, 0.5, 0.5], [0.5, 0.5, 0.0]], dtype=F64))


@given(st.integers(1, 5), st.integers(1, 12), st.integers(0, 2**32 - 1),
       st.sampled_from([1e-9, 1e-3, 1.0, 10.0, 100.0]), st.booleans(), st.data())
def test_matches_mpmath(m, n, seed, scale, grid, data):
    k = data.draw(st.integers(1, n))
    s = np.random.default_rng(seed).normal(size=(m, n)) * scale
    if grid:
        s = np.round(s)
    got = sparsity_loss(torch.softmax(torch.tensor(s, dtype=F64), -1), k).item()
    want = mp.sparsity_loss(list(s), k=k)
    assert abs(mpmath.mpf(got) - want) <= mpmath.mpf(1e-12) * abs(want) + mpmath.mpf(1e-300)


def test_small_tail_is_summed_not_one_minus_kept():
    """A tail of 1e-20 survives: 1 - kept would round it to 0 (this check catches that form)."""
    a = torch.tensor([[1.0, 1e-20]], dtype=F64)
    assert sparsity_loss(a, 1).item() == 1e-20
    one_minus_kept = 1.0 - torch.where(batched.topk_mask(a, 1), a, 0.0).sum(-1).mean().item()
    assert one_minus_kept != 1e-20


@given(st.integers(1, 4), st.integers(1, 30), st.integers(0, 2**32 - 1),
       st.sampled_from([1e-3, 1.0, 10.0]), st.data())
def test_bounds_of_lemma_tail_monotone(m, n, seed, scale, data):
    k = data.draw(st.integers(1, n))
    a = _probs(m, n, scale=scale, seed=seed % 2**31)
    loss = sparsity_loss(a, k).item()
    assert 0.0 <= loss <= 1.0 - k / n + 1e-15
    assert sparsity_loss(a, n).item() == 0.0
    if k < n:
        assert sparsity_loss(a, k + 1).item() <= loss + 1e-15


def test_layer_weighting_is_a_weighted_mean():
    layers = [_probs(2, 3, 4, 6, seed=3), _probs(5, 9, seed=4), _probs(1, 1, 7, seed=5)]
    each = [sparsity_loss(a, 2).item() for a in layers]
    w = [1.0, 3.0, 0.5]
    want = sum(wi * li for wi, li in zip(w, each, strict=True)) / sum(w)
    assert sparsity_loss(layers, 2, layer_weights=w).item() == pytest.approx(want, rel=1e-14)
    assert sparsity_loss(tuple(layers), 2).item() == pytest.approx(sum(each) / 3, rel=1e-14)
    assert sparsity_loss(layers, 2, layer_weights=torch.tensor([0.0, 1.0, 0.0])).item() == \
        pytest.approx(each[1], rel=1e-15)
    assert sparsity_loss(layers[0], 2, layer_weights=[7.0]).item() == pytest.approx(each[0], rel=1e-15)


def test_lower_precision_inputs():
    a64 = _probs(2, 4, 8, seed=6)
    ref = sparsity_loss(a64, 3).item()
    for dt in (torch.float32, torch.float16, torch.bfloat16):   # rows rounded to each dtype
        out = sparsity_loss(a64.to(dt), 3)
        assert out.dtype == torch.float32
        assert out.item() == pytest.approx(ref, abs=torch.finfo(dt).eps)
    out = sparsity_loss(torch.tensor([[0.5, 0.25, 0.125, 0.125]], dtype=torch.bfloat16), 2)
    assert out.dtype == torch.float32 and out.item() == 0.25


GOOD = _probs(2, 5, seed=7)


@pytest.mark.parametrize("args, kwargs, exc, match", [
    ((GOOD, 0), {}, ValueError, "k"),
    ((GOOD, -2), {}, ValueError, "k"),
    ((GOOD, 6), {}, ValueError, "k=6"),
    ((GOOD, 1.0), {}, TypeError, "k"),
    ((GOOD, True), {}, TypeError, "k"),
    ((GOOD, 2), {"layer_weights": [-1.0]}, ValueError, "layer_weights"),
    ((GOOD, 2), {"layer_weights": [1.0, 1.0]}, ValueError, "layer_weights"),
    (([GOOD, GOOD], 2), {"layer_weights": [1.0]}, ValueError, "layer_weights"),
    (([GOOD, GOOD], 2), {"layer_weights": [1.0, float("nan")]}, ValueError, "layer_weights"),
    (([GOOD, GOOD], 2), {"layer_weights": [0.0, 0.0]}, ValueError, "layer_weights"),
    (([GOOD, GOOD], 2), {"layer_weights": ["a", 1.0]}, TypeError, "layer_weights"),
    ((GOOD, 2), {"layer_weights": 1.0}, TypeError, "layer_weights"),
    ((torch.tensor([[0.5, float("nan")]], dtype=F64), 1), {}, ValueError, "attn"),
    ((torch.tensor([[float("inf"), 0.0]], dtype=F64), 1), {}, ValueError, "attn"),
    ((torch.tensor([[1.5, -0.5]], dtype=F64), 1), {}, ValueError, "attn.*negative"),
    ((torch.tensor([[0.5, 0.5 + 2e-6]], dtype=F64), 1), {}, ValueError, "attn.*sum"),
    ((torch.tensor([[0.5, 0.5 + 2e-3]], dtype=torch.float32), 1), {}, ValueError, "attn.*sum"),
    (([GOOD, torch.tensor([[0.2, 0.2]], dtype=F64)], 1), {}, ValueError, r"attn\[1\]"),
    ((torch.empty(0, 5, dtype=F64), 1), {}, ValueError, "attn"),
    ((torch.empty(3, 0, dtype=F64), 1), {}, ValueError, "attn"),
    (([], 1), {}, ValueError, "attn"),
    ((GOOD.numpy(), 1), {}, TypeError, "attn"),
    ((torch.tensor([[1, 0]]), 1), {}, TypeError, "attn"),
])
def test_bad_inputs_to_sparsity_loss(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        sparsity_loss(*args, **kwargs)


def test_small_rounding_in_lower_precision_is_accepted():
    assert sparsity_loss(torch.tensor([[0.5, 0.5 + 2e-4]], dtype=torch.float32), 1).item() > 0.49
    assert sparsity_loss(torch.tensor([[0.5, 0.5 + 2e-7]], dtype=F64), 1).item() > 0.49


@pytest.mark.parametrize("scores, k, exc, match", [
    (torch.zeros(2, 3, dtype=F64), 0, ValueError, "k"),
    (torch.zeros(2, 3, dtype=F64), 4, ValueError, "k=4"),
    (torch.zeros(2, 3, dtype=F64), 2.5, TypeError, "k"),
    (torch.tensor([0.0, float("nan")], dtype=F64), 1, ValueError, "scores"),
    (torch.tensor([0.0, float("-inf")], dtype=F64), 1, ValueError, "scores"),
    (torch.empty(2, 0, dtype=F64), 1, ValueError, "scores"),
    ([0.0, 1.0], 1, TypeError, "scores"),
])
def test_bad_inputs_to_tail_mass_from_scores(scores, k, exc, match):
    with pytest.raises(exc, match=match):
        tail_mass_from_scores(scores, k)


@st.composite
def rows_with_row_ks(draw):
    """A (M, N) block of scores (ties allowed) and one k per row."""
    m, n = draw(st.integers(1, 6)), draw(st.integers(1, 24))
    seed, scale = draw(st.integers(0, 2**32 - 1)), draw(st.sampled_from([0.1, 1.0, 5.0, 30.0]))
    s = np.random.default_rng(seed).normal(size=(m, n)) * scale
    if draw(st.booleans()):
        s = np.round(s)  # ties, some at the boundary
    ks = draw(st.lists(st.integers(1, n), min_size=m, max_size=m))
    return s, ks


@given(rows_with_row_ks())
def test_per_row_k_is_the_int_k_of_each_row(case):
    """A per-row k gives, row by row, exactly the tau_k, L_k and gradient of that row's int k."""
    s, ks = case
    t = torch.tensor(s, dtype=F64)
    k_rows = torch.tensor(ks)
    tau = tail_mass_from_scores(t, k_rows)
    for i, k in enumerate(ks):
        assert tau[i] == tail_mass_from_scores(t[i], k)
    a = torch.softmax(t, -1)
    want = torch.stack([sparsity_loss(a[i:i + 1], k) for i, k in enumerate(ks)]).mean()
    assert torch.allclose(sparsity_loss(a, k_rows), want, rtol=1e-14, atol=0)
    ok_rows = [i for i, k in enumerate(ks) if not _has_boundary_tie(s[i], k)]
    x = t.clone().requires_grad_(True)
    tail_mass_from_scores(x, k_rows).sum().backward()
    for i in ok_rows:  # where S is locally constant (lem:loss-gradient)
        assert _agrees(x.grad[i], _closed_form(t[i], ks[i]))
