"""kernels/stats.py: `AttentionStats` is what its docstring says on every backend: five per-query
tensors of shape (B, H, M): τ and the LSEs float32 (float64 for float64 inputs) with
τ = 1 − exp(lse_kept − lse_all), the kept count int64, the error bound float64."""

from __future__ import annotations

import pytest
import torch

import natsparse.kernels as nk
from tests.test_kernels.helpers import TRITON

BACKENDS = [("torch", torch.float64), ("torch", torch.float32), (TRITON, torch.float32)]


def _call(backend, dtype, *, causal=False, eps=None):
    g = torch.Generator().manual_seed(7)
    q, k, v = (torch.randn(2, 3, m, 8, generator=g, dtype=torch.float64) for m in (5, 12, 12))
    device = "cuda" if backend == "triton" else "cpu"
    q, k, v = (t.to(dtype).to(device) for t in (q, k, v))
    kw = dict(scale=1.5, is_causal=causal, return_stats=True, backend=backend)
    if eps is None:
        return nk.topk_attention(q, k, v, top_k=3, **kw)
    return nk.threshold_attention(q, k, v, eps=eps, **kw)


@pytest.mark.parametrize(("backend", "dtype"), BACKENDS)
def test_stats_are_five_per_query_tensors(backend, dtype):
    _, stats = _call(backend, dtype)
    assert isinstance(stats, nk.AttentionStats)
    assert stats._fields == ("tail_mass", "lse_all", "lse_kept", "kept", "error_bound")
    want = torch.float64 if dtype == torch.float64 else torch.float32
    for t in stats[:3]:
        assert t.shape == (2, 3, 5) and t.dtype == want
    assert stats.kept.dtype == torch.int64 and stats.error_bound.dtype == torch.float64
    assert stats.kept.shape == stats.error_bound.shape == (2, 3, 5)
    assert torch.all(stats.kept == 3) and torch.all(stats.error_bound > 0)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("eps", [None, 0.05])
@pytest.mark.parametrize(("backend", "dtype"), BACKENDS)
def test_tail_mass_is_one_minus_the_kept_share(backend, dtype, causal, eps):
    """τ = 1 − exp(lse_kept − lse_all), to the rounding of the two log-sum-exps."""
    _, st = _call(backend, dtype, causal=causal, eps=eps)
    tau, lse_all, lse_kept = (t.double().cpu() for t in st[:3])
    assert torch.all((0 <= tau) & (tau < 1)) and torch.all(lse_kept <= lse_all + 1e-6)
    atol = 1e-12 if dtype == torch.float64 else 1e-5
    torch.testing.assert_close(tau, -torch.expm1(lse_kept - lse_all), rtol=0, atol=atol)
    assert tau.max() > 0.05  # the rows really drop mass, so the identity is not 0 = 0
