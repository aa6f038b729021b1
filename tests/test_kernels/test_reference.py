"""kernels/reference.py: the readable naive top-k attention against the chunked reference.

On continuous random inputs no two scores tie (almost surely), so torch.topk's arbitrary choice
among ties never matters and the naive and the chunked evaluations keep the same keys.
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import natsparse.kernels as nk
from natsparse.kernels import reference
from natsparse.kernels.certificate import row_norms
from natsparse.kernels.reference import attention_reference, naive_topk_attention
from natsparse.kernels.selection import Selection


def _qkv(b, h, m, n, d, dv, dtype, seed):
    g = torch.Generator().manual_seed(seed)
    q, k = (torch.randn(b, h, rows, d, generator=g, dtype=dtype) for rows in (m, n))
    return q, k, torch.randn(b, h, n, dv, generator=g, dtype=dtype)


def _no_ties(q, k, scale):
    s = torch.sort(torch.matmul(q, k.transpose(-1, -2)) * scale, dim=-1).values
    return bool((s[..., 1:] != s[..., :-1]).all())


@settings(max_examples=30, deadline=None)
@given(b=st.integers(1, 2), h=st.integers(1, 3), m=st.integers(1, 9), n=st.integers(1, 40),
       d=st.sampled_from([1, 4, 16]), dv=st.integers(1, 5), seed=st.integers(0, 2**31 - 1), data=st.data())
def test_naive_matches_the_chunked_reference(b, h, m, n, d, dv, seed, data):
    top_k = data.draw(st.one_of(st.just(1), st.just(n), st.integers(1, n)))
    scale = data.draw(st.sampled_from([None, 0.5, 3.0]))
    q, k, v = _qkv(b, h, m, n, d, dv, torch.float64, seed)
    scl = d**-0.5 if scale is None else scale
    assert _no_ties(q, k, scl)
    naive = naive_topk_attention(q, k, v, top_k, scale)
    chunked = attention_reference(q, k, v, scale=scl, is_causal=False, select=Selection("top_k", top_k),
                                  vnorm=row_norms(v), chunk_size=3)[0]
    public = nk.topk_attention(q, k, v, top_k=top_k, scale=scale, backend="torch")
    assert naive.shape == (b, h, m, dv) and naive.dtype == torch.float64
    torch.testing.assert_close(naive, chunked, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(naive, public, rtol=1e-12, atol=1e-12)


def test_float32_and_a_larger_row():
    q, k, v = _qkv(2, 2, 64, 512, 64, 32, torch.float32, 7)
    assert _no_ties(q, k, 64**-0.5)
    naive = naive_topk_attention(q, k, v, 64)
    ref = nk.topk_attention(q, k, v, top_k=64, backend="torch")
    assert naive.dtype == torch.float32
    torch.testing.assert_close(naive, ref, rtol=2e-5, atol=2e-5)


def test_the_comparison_can_fail():
    """A different k, or a different scale, is caught by the same comparison."""
    q, k, v = _qkv(1, 2, 8, 30, 8, 3, torch.float64, 3)
    ref = nk.topk_attention(q, k, v, top_k=5, backend="torch")
    torch.testing.assert_close(naive_topk_attention(q, k, v, 5), ref, rtol=1e-12, atol=1e-12)
    assert not torch.allclose(naive_topk_attention(q, k, v, 4), ref, rtol=1e-6, atol=1e-6)
    assert not torch.allclose(naive_topk_attention(q, k, v, 5, scale=1.0), ref, rtol=1e-6, atol=1e-6)


def test_full_k_is_dense_attention():
    q, k, v = _qkv(1, 1, 6, 10, 4, 2, torch.float64, 5)
    dense = torch.nn.functional.scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(naive_topk_attention(q, k, v, 10), dense, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("args, exc, match", [
    ((torch.zeros(1, 1, 2, 4), torch.zeros(1, 1, 3, 5), torch.zeros(1, 1, 3, 2), 1), ValueError, "key must"),
    ((torch.zeros(1, 1, 2, 4), torch.zeros(1, 1, 3, 4), torch.zeros(1, 1, 3, 2), 4), ValueError, "top_k"),
    ((torch.zeros(1, 1, 2, 4), torch.zeros(1, 1, 3, 4), torch.zeros(1, 1, 3, 2), 0), ValueError, "top_k"),
    (([[1.0]], torch.zeros(1, 1, 3, 4), torch.zeros(1, 1, 3, 2), 1), TypeError, "query must be a torch"),
])
def test_bad_input_names_the_argument(args, exc, match):
    with pytest.raises(exc, match=match):
        naive_topk_attention(*args)


def test_the_examples_run():
    import doctest

    import natsparse.kernels.reference as reference

    result = doctest.testmod(reference)
    assert result.attempted > 0 and result.failed == 0


# ----------------------------------------------------------------------------- grouped top-k selection
def _stable_topk(s: torch.Tensor, top_k: int) -> torch.Tensor:
    """def:topk-attention's kept mask: the top_k visible scores, ties toward the lower key index."""
    order = torch.sort(s, dim=-1, descending=True, stable=True).indices[..., :top_k]
    return torch.zeros_like(s, dtype=torch.bool).scatter_(-1, order, True) & (s > -math.inf)


@settings(max_examples=60, deadline=None)
@given(rows=st.integers(1, 5), n=st.integers(40, 700), top_k=st.integers(1, 6),
       levels=st.sampled_from([3, 50, 0]), masked=st.floats(0, 0.99), seed=st.integers(0, 2**31 - 1))
def test_the_grouped_selection_is_exact_top_k(rows, n, top_k, levels, masked, seed):
    """The selection of the torch backend (the 2k groups of largest maxima, the exact top k among their
    keys, rows tied at the bound re-selected over all keys) keeps exactly def:topk-attention's keys: scores
    with few distinct values (many ties, often at the bound), continuous ones, and masked keys."""
    g = torch.Generator().manual_seed(seed)
    shape = (1, 1, rows, n)
    s = torch.randint(0, levels, shape, generator=g).float() if levels else torch.randn(shape, generator=g)
    s[torch.rand(s.shape, generator=g) < masked] = -math.inf
    layers, groups = reference._groups(n, top_k)
    padded = torch.cat([s, s.new_full((1, 1, rows, layers * groups - n), -math.inf)], -1)
    group_max = padded.unflatten(-1, (layers, groups)).amax(-2) if layers > 1 else None
    idx = reference._select(padded, group_max, top_k)
    got = torch.zeros_like(padded, dtype=torch.bool).scatter_(-1, idx, True)[..., :n] & (s > -math.inf)
    assert torch.equal(got, _stable_topk(s, top_k))


def test_rows_tied_at_the_group_bound_are_reselected(monkeypatch):
    """Scores 0, 1, 2 only: the k-th largest kept score equals the least maximum of the chosen
    groups, so an equal score of lower index may lie outside them; those rows go to the exact
    stable sort over all their keys, and the result is the definition's."""
    calls = []
    real = reference._stable_top
    monkeypatch.setattr(reference, "_stable_top", lambda s, k: calls.append(s.shape) or real(s, k))
    s = torch.randint(0, 3, (1, 1, 4, 400), generator=torch.Generator().manual_seed(0)).float()
    layers, groups = reference._groups(400, 2)
    assert layers * groups == 400
    idx = reference._select(s, s.unflatten(-1, (layers, groups)).amax(-2), 2)
    assert (4, 400) in calls
    assert torch.equal(torch.zeros_like(s, dtype=torch.bool).scatter_(-1, idx, True), _stable_topk(s, 2))


def test_the_grouped_path_runs_and_matches_the_definition_end_to_end():
    """N large enough for groups (checked), scores exact (small integers, scale 1/4): the kept
    set, τ and the output of topk_attention equal the definition's, ties, GQA, masks and causal rows
    included."""
    g = torch.Generator().manual_seed(11)
    q = torch.randint(-2, 3, (1, 4, 6, 4), generator=g).double()
    k = torch.randint(-2, 3, (1, 2, 300, 4), generator=g).double()
    v = torch.randn(1, 2, 300, 3, generator=g, dtype=torch.float64)
    mask = torch.rand(1, 4, 6, 300, generator=g) < 0.7
    for top_k in (1, 2, 5):
        assert reference._groups(300, top_k)[0] > 1
        for kw in (dict(), dict(attn_mask=mask), dict(is_causal=True)):
            out, st_ = nk.topk_attention(q, k, v, enable_gqa=True, top_k=top_k, scale=0.25, return_stats=True,
                                         backend="torch", **kw)
            s = torch.matmul(q, k.repeat_interleave(2, 1).transpose(-1, -2)) * 0.25
            if "attn_mask" in kw:
                s = s.masked_fill(~mask, -math.inf)
            if kw.get("is_causal"):
                s = s.masked_fill(torch.ones(6, 300, dtype=torch.bool).triu(1), -math.inf)
            keep = _stable_topk(s, top_k)
            p = torch.exp(s - s.amax(-1, keepdim=True)) * (s > -math.inf)
            want = torch.matmul(p * keep, v.repeat_interleave(2, 1)) / (p * keep).sum(-1, keepdim=True)
            torch.testing.assert_close(out, want, rtol=1e-12, atol=1e-12)
            torch.testing.assert_close(st_.tail_mass, (p * ~keep).sum(-1) / p.sum(-1), rtol=1e-12, atol=1e-15)
            assert torch.equal(st_.kept, keep.sum(-1))
