"""kernels/cache.py: a KVCache gives the attention functions the row norms of K and V without a pass
over them, and its norms are never stale: a call with the cache returns exactly what a call without it
returns, after appends, after growth, and after an in-place write to the cache's tensors (which
would otherwise leave norms that understate max‖v_j‖ and certify a wrong answer); tensors that are
not the cache's own are refused."""

from __future__ import annotations

import math

import pytest
import torch

import natsparse.kernels as nk
from natsparse.kernels.cache import KVCache

FNS = [(nk.topk_attention, dict(top_k=3)), (nk.mass_attention, dict(max_tail=0.05)),
       (nk.threshold_attention, dict(eps=0.05))]


def _qkv(m=2, n=20, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    shapes = ((2, 6, m, 8), (2, 3, n, 8), (2, 3, n, 5))
    return tuple(torch.randn(shape, generator=g, dtype=dtype) for shape in shapes)


def _same(a, b):
    for x, y in zip((a[0], *a[1]), (b[0], *b[1]), strict=True):
        assert torch.equal(x, y)


@pytest.mark.parametrize(("fn", "kw"), FNS)
def test_cached_norms_give_the_same_answer_and_certificate(fn, kw):
    q, k, v = _qkv()
    cache = KVCache(k[..., :7, :], v[..., :7, :], capacity=8)
    for a in range(7, 20, 4):                      # grows past its capacity twice
        cache.append(k[..., a:a + 4, :], v[..., a:a + 4, :])
        n = min(20, a + 4)
        got = fn(q, cache.key, cache.value, enable_gqa=True, return_stats=True, kv_cache=cache, **kw)
        want = fn(q, k[..., :n, :], v[..., :n, :], enable_gqa=True, return_stats=True, **kw)
        _same(got, want)


@pytest.mark.parametrize(("fn", "kw"), FNS)
def test_an_in_place_write_to_the_cache_is_never_certified_with_stale_norms(fn, kw):
    """Scale one value row by 1e4 in place after the norms were taken: the stale max‖v_j‖ would
    understate the 2τ·max‖v_j‖ term by 1e4. The cache sees the write (version counter), recomputes,
    and the certificate holds against float64 dense attention, exactly as without a cache."""
    q, k, v = _qkv(m=4, n=40, seed=1)
    cache = KVCache(k, v)
    fn(q, cache.key, cache.value, enable_gqa=True, kv_cache=cache, **kw)          # norms taken
    with torch.no_grad():
        cache.value[:, :, 17] *= 1e4
    out, st = fn(q, cache.key, cache.value, enable_gqa=True, return_stats=True, kv_cache=cache, **kw)
    _same((out, st), fn(q, cache.key.clone(), cache.value.clone(), enable_gqa=True, return_stats=True, **kw))
    dense = torch.nn.functional.scaled_dot_product_attention(
        q.double(), cache.key.double(), cache.value.double(), enable_gqa=True)
    assert torch.all(torch.linalg.vector_norm(out.double() - dense, dim=-1) <= st.error_bound)


def test_stale_norms_would_understate_the_bound():
    """The check above is not vacuous: the norms the cache held before the write are far below the
    value row it now has."""
    _, k, v = _qkv(m=4, n=40, seed=1)
    cache = KVCache(k, v)
    before = cache.norms(cache.key, cache.value).vmax.clone()
    with torch.no_grad():
        cache.value[:, :, 17] *= 1e4
    after = cache.norms(cache.key, cache.value).vmax
    assert torch.all(after > 100 * before)
    assert torch.equal(after, torch.linalg.vector_norm(cache.value, dim=-1).amax(-1))


def test_other_tensors_than_the_cache_s_own_are_refused():
    q, k, v = _qkv()
    cache = KVCache(k, v)
    strided = cache.value.transpose(-1, -2).contiguous().transpose(-1, -2)      # same values, other strides
    for key, value in ((cache.key.clone(), cache.value), (cache.key, strided), (k, v)):
        with pytest.raises(ValueError, match=r"must be kv_cache\.(key|value) \(the cache's own view"):
            nk.topk_attention(q, key, value, enable_gqa=True, top_k=2, kv_cache=cache)
    with pytest.raises(TypeError, match=r"kv_cache must be None or a natsparse.kernels.KVCache, got dict"):
        nk.topk_attention(q, k, v, enable_gqa=True, top_k=2, kv_cache={})


def test_a_nan_appended_to_the_cache_is_still_refused():
    q, k, v = _qkv()
    cache = KVCache(k, v)
    cache.append(torch.full((2, 3, 1, 8), math.nan), torch.zeros(2, 3, 1, 5))
    with pytest.raises(ValueError, match=r"key must contain only finite values"):
        nk.topk_attention(q, cache.key, cache.value, enable_gqa=True, top_k=2, kv_cache=cache)


def test_the_cache_works_under_inference_mode():
    q, k, v = _qkv()
    with torch.inference_mode():
        cache = KVCache(k[..., :10, :], v[..., :10, :])
        cache.append(k[..., 10:, :], v[..., 10:, :])
        cache.value[0, 0, 3] += 100.0                       # seen: the storage keeps a version counter
        got = nk.topk_attention(q, cache.key, cache.value, enable_gqa=True, top_k=4, return_stats=True,
                                kv_cache=cache)
        want = nk.topk_attention(q, cache.key.clone(), cache.value.clone(), enable_gqa=True, top_k=4,
                                 return_stats=True)
    _same(got, want)


def test_append_checks_its_shapes():
    _, k, v = _qkv()
    cache = KVCache(k, v)
    with pytest.raises(ValueError, match=r"append needs key \(\.\.\., s, 8\) and value \(\.\.\., s, 5\)"):
        cache.append(k[..., :1, :4], v[..., :1, :])
    with pytest.raises(ValueError, match=r"must share leading dims and dtype"):
        KVCache(k, v.double())
