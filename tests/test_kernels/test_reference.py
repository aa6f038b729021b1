"""kernels/reference.py: the readable naive top-k attention against the chunked reference.

On continuous random inputs no two scores tie (almost surely), so torch.topk's arbitrary choice
among ties never matters and the naive and the chunked evaluations keep the same keys.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import natsparse.kernels as nk
from natsparse.kernels.reference import attention_reference, naive_topk_attention


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
    chunked = attention_reference(q, k, v, scale=scl, is_causal=False, top_k=top_k, chunk_size=3)[0]
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
