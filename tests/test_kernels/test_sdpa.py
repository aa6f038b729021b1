"""The SDPA contract of kernels/dispatch.py on both CPU backends: attn_mask (bool and additive
float with −inf, broadcast), enable_gqa, (..., L, E) inputs, dropout_p = 0 only, fully masked rows,
agreement with torch SDPA where nothing is dropped; the certificate against mpmath with masks, GQA
and adversarial values; no false certificate (a wrong kept count raises); autograd on the torch
backend (gradcheck in float64) and a clear refusal on Triton; mass-target attention minimal and
within its tail budget against mpmath. Interpreter cases stay tiny (N ≤ 40): it is slow."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch.nn import functional as F

import natsparse.kernels as nk
from natsparse.kernels import triton_topk
from tests.test_kernels.helpers import TRITON, check_error_bound, mp_truth, topk_set

BACKENDS = ["torch", TRITON]


def _qkv(shape_q, shape_kv, dv=3, dtype=torch.float32, seed=0):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(*shape_q, generator=g, dtype=torch.float64).to(dtype)
    k = torch.randn(*shape_kv, generator=g, dtype=torch.float64).to(dtype)
    v = torch.randn(*shape_kv[:-1], dv, generator=g, dtype=torch.float64).to(dtype)
    return q, k, v


def _masks(m, n, seed=1):
    g = torch.Generator().manual_seed(seed)
    keep = torch.rand(m, n, generator=g) > 0.4
    keep[1] = False                                   # one row with every key masked
    additive = torch.zeros(m, n).masked_fill(~keep, -math.inf)
    additive[2, :3] += -2.5                           # a finite bias too (−inf stays −inf)
    return keep, additive


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["bool", "float"])
def test_masks_and_gqa_match_sdpa_when_nothing_is_dropped(backend, kind):
    """top_k = S keeps every visible key: the output is SDPA's (same mask, same GQA), masked keys are
    neither kept nor counted, the all-masked row is 0 with τ = 0, LSE = −inf, kept 0, bound 0."""
    q, k, v = _qkv((1, 4, 6, 8), (1, 2, 9, 8))
    keep, additive = _masks(6, 9)
    mask = keep if kind == "bool" else additive
    out, st_ = nk.topk_attention(q, k, v, mask, enable_gqa=True, top_k=9, return_stats=True,
                                 backend=backend)
    ref = F.scaled_dot_product_attention(q, k, v, mask, enable_gqa=True)
    torch.testing.assert_close(out, ref, rtol=0, atol=2e-6)
    assert torch.equal(st_.kept, keep.sum(-1).expand(1, 4, 6))
    assert torch.all(st_.tail_mass == 0)
    assert torch.all(out[:, :, 1] == 0) and torch.all(st_.error_bound[:, :, 1] == 0)
    assert torch.all(st_.lse_all[:, :, 1] == -math.inf) and torch.all(st_.kept[:, :, 1] == 0)
    # the certificate against the float64 dense output (itself within ~1e-15 of exact)
    dense = F.scaled_dot_product_attention(q.double(), k.double(), v.double(), mask.double()
                                           if kind == "float" else mask, enable_gqa=True)
    assert torch.all(torch.linalg.vector_norm(out.double() - dense, dim=-1) <= st_.error_bound)


@pytest.mark.parametrize("backend", BACKENDS)
def test_masked_keys_are_never_kept_with_top_k_below_visible(backend):
    """With top_k < visible keys, the kept set is the top_k of the visible ones only (mpmath)."""
    q, k, v = _qkv((1, 2, 5, 4), (1, 2, 11, 4), seed=3)
    keep, _ = _masks(5, 11, seed=4)
    out, st_ = nk.topk_attention(q, k, v, keep, top_k=3, return_stats=True, backend=backend)
    bias = np.where(keep.numpy(), 0.0, -np.inf)[None, None].repeat(2, 1)
    truth = mp_truth(q, k, v, 0.5, False, topk_set(3), bias=bias)
    assert torch.equal(st_.kept, torch.clamp(keep.sum(-1), max=3).expand(1, 2, 5))
    np.testing.assert_allclose(st_.tail_mass.double().numpy(), truth.tau, rtol=1e-5, atol=1e-30)
    check_error_bound(out, st_, truth)


@pytest.mark.parametrize("shape", [(7, 5), (3, 7, 5), (2, 1, 3, 7, 5)])
def test_any_leading_shape_like_sdpa(shape):
    q, k, v = _qkv(shape, shape[:-2] + (9, 5), seed=5)
    out, st_ = nk.topk_attention(q, k, v, top_k=9, return_stats=True, is_causal=True)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, is_causal=True),
                               rtol=0, atol=2e-6)
    assert out.shape == shape[:-1] + (3,) and st_.error_bound.shape == shape[:-1]


def test_gqa_reads_the_right_head_and_does_not_need_a_copy():
    """Query head h reads key head h // (Hq/Hkv), as SDPA's enable_gqa (repeat_interleave)."""
    q, k, v = _qkv((1, 9, 4, 8), (1, 3, 20, 8), seed=6)
    out = nk.topk_attention(q, k, v, enable_gqa=True, top_k=20)
    rep = (k.repeat_interleave(3, dim=1), v.repeat_interleave(3, dim=1))
    torch.testing.assert_close(out, nk.topk_attention(q, *rep, top_k=20), rtol=0, atol=0)
    wrong = (k.repeat(1, 3, 1, 1), v.repeat(1, 3, 1, 1))                # h % Hkv: another head
    assert not torch.allclose(out, nk.topk_attention(q, *wrong, top_k=20), atol=1e-3)


# ----------------------------------------------------------------------------- certificate
ADVERSARIAL = {
    # v_j = 1e4 ± small: the output is a near-cancellation of large values
    "cancellation": lambda g, n, dv: 1e4 + torch.randn(n, dv, generator=g, dtype=torch.float64) * 1e-3,
    "tiny_values": lambda g, n, dv: torch.randn(n, dv, generator=g, dtype=torch.float64) * 1e-30,
    "plain": lambda g, n, dv: torch.randn(n, dv, generator=g, dtype=torch.float64),
}


@pytest.mark.parametrize(("dtype", "values"), [
    (dtype, values) for dtype in (torch.float32, torch.float16, torch.bfloat16)
    for values in sorted(ADVERSARIAL)
    if not (dtype == torch.float16 and values == "tiny_values")])  # 1e-30 is below float16's range
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), logscale=st.sampled_from([-6.0, 0.0, 2.0, 5.0]),
       top_k=st.integers(1, 24), causal=st.booleans())
def test_certificate_holds_on_every_row_torch(dtype, values, seed, logscale, top_k, causal):
    """Every row, τ = 0 rows included (causal rows that see ≤ top_k keys), huge and tiny scores."""
    g = torch.Generator().manual_seed(seed)
    n, dv = 24, 3
    q, k = (torch.randn(1, 2, n, 4, generator=g, dtype=torch.float64) for _ in range(2))
    v = ADVERSARIAL[values](g, 2 * n, dv).reshape(1, 2, n, dv)
    q, k, v = (t.to(dtype) for t in (q, k, v))
    scale = 2.0**logscale
    out, st_ = nk.topk_attention(q, k, v, top_k=top_k, scale=scale, is_causal=causal, return_stats=True)
    check_error_bound(out, st_, mp_truth(q, k, v, scale, causal, topk_set(top_k)))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_certificate_holds_on_every_row_triton(dtype):
    """The interpreter (16-bit inputs upcast): cancellation in v, causal τ = 0 rows, a mask."""
    g = torch.Generator().manual_seed(9)
    q, k = (torch.randn(1, 1, 20, 4, generator=g, dtype=torch.float64) for _ in range(2))
    v = (4 + torch.randn(1, 1, 20, 2, generator=g, dtype=torch.float64) * 1e-2)
    q, k, v = (t.to(dtype) for t in (q, k, v))
    out, st_ = nk.topk_attention(q, k, v, top_k=5, scale=2.0, is_causal=True, return_stats=True,
                                 backend=TRITON)
    assert torch.all(st_.tail_mass[..., :5] == 0)
    check_error_bound(out, st_, mp_truth(q, k, v, 2.0, True, topk_set(5)))


def test_the_real_arithmetic_bound_alone_fails_where_rounding_is_all_there_is():
    """Issue 14's failure, kept as a check that the test can fail: on τ = 0 rows 2τ·max‖v‖ = 0 while
    the computed output differs from exact attention by rounding; error_bound covers it."""
    q, k, v = _qkv((1, 1, 64, 16), (1, 1, 64, 16), seed=2)
    out, st_ = nk.topk_attention(q, k, v, top_k=8, is_causal=True, return_stats=True)
    truth = mp_truth(q, k, v, 0.25, True, topk_set(8))
    err = np.linalg.norm(out.double().numpy() - truth.o, axis=-1)
    real_only = 2 * st_.tail_mass.double().numpy() * np.linalg.norm(v.double().numpy(), axis=-1).max()
    assert (err > real_only).any()
    check_error_bound(out, st_, truth)


# ----------------------------------------------------------------------------- no false certificate
def test_a_wrong_threshold_in_the_kernel_raises(monkeypatch):
    """Fault injection: launch the kernel with k − 1 (a wrong radix threshold); the kept count
    no longer matches and the call raises instead of returning a certificate."""
    monkeypatch.setattr(triton_topk, "kernel_top_k", lambda top_k: top_k - 1)
    q, k, v = _qkv((1, 1, 4, 4), (1, 1, 10, 4))
    with pytest.raises(RuntimeError, match=r"kernel fault: row 0 kept 2 keys of 10 visible"):
        nk.topk_attention(q, k, v, top_k=3, return_stats=True, backend=TRITON)


def test_a_wrong_selection_in_the_reference_raises(monkeypatch):
    """Fault injection in the torch backend: the selection swaps its last key for the last key of
    the row, which causal rows cannot see; the count is short and the call raises."""
    from natsparse.kernels import reference

    real = reference._select

    def faulty(s, group_max, top_k):
        idx = real(s, group_max, top_k)
        idx[..., -1] = s.shape[-1] - 1
        return idx

    monkeypatch.setattr(reference, "_select", faulty)
    q, k, v = _qkv((1, 1, 10, 4), (1, 1, 10, 4))
    with pytest.raises(RuntimeError, match=r"kernel fault: row 2 kept 2 keys of 3 visible"):
        nk.topk_attention(q, k, v, top_k=3, is_causal=True, return_stats=True, backend="torch")


def test_bf16_in_the_interpreter_is_computed_correctly():
    """The interpreter's tl.dot multiplies bf16 bit patterns; the launcher upcasts, so τ and the
    output are those of the torch backend (issue 14 saw τ = 0 for 0.34–0.61 and lse_all ≈ 4e9)."""
    q, k, v = _qkv((1, 1, 8, 16), (1, 1, 16, 16), dtype=torch.bfloat16, seed=8)
    a, sa = nk.topk_attention(q, k, v, top_k=4, return_stats=True, backend=TRITON)
    b, sb = nk.topk_attention(q, k, v, top_k=4, return_stats=True, backend="torch")
    torch.testing.assert_close(sa.tail_mass, sb.tail_mass, rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(a, b, rtol=0, atol=2**-7)
    assert torch.all(sa.lse_all.abs() < 20)


# ----------------------------------------------------------------------------- autograd
def test_torch_backend_gradcheck_float64():
    """Gradient of the renormalised softmax over the kept set (held fixed), for q, k, v and an
    additive mask, with GQA."""
    q, k, v = (t.requires_grad_() for t in _qkv((1, 2, 3, 4), (1, 1, 6, 4), dv=2, dtype=torch.float64))
    mask = torch.zeros(3, 6, dtype=torch.float64)
    mask[0, 4] = -math.inf
    mask.requires_grad_()

    def f(q, k, v, mask):
        return nk.topk_attention(q, k, v, mask, enable_gqa=True, top_k=3, backend="torch")

    assert torch.autograd.gradcheck(f, (q, k, v, mask))
    out = f(q, k, v, mask)
    out.sum().backward()                          # no "modified by an inplace operation"
    assert q.grad is not None and torch.equal(out.detach(), f(q, k, v, mask).detach())


def test_triton_refuses_inputs_that_require_grad():
    q, k, v = _qkv((1, 1, 4, 4), (1, 1, 8, 4))
    with pytest.raises(RuntimeError, match=r"forward-only and an input requires grad"):
        nk.topk_attention(q.requires_grad_(), k, v, top_k=2, backend=TRITON)
    with torch.no_grad():
        assert nk.topk_attention(q, k, v, top_k=2, backend=TRITON).shape == (1, 1, 4, 3)


# ----------------------------------------------------------------------------- mass target
def _exact_tails(q, k, scale, causal):
    """Per row, the exact tails τ_k for k = 1..n of the stable descending order (mpmath)."""
    import mpmath

    s_all = (q.double() @ k.double().transpose(-1, -2)).numpy() * scale
    rows = []
    with mpmath.workdps(50):
        for i in range(s_all.shape[-2]):
            s = [mpmath.mpf(float(x)) for x in s_all[0, 0, i, : (i + 1 if causal else None)]]
            order = sorted(range(len(s)), key=lambda j: (-s[j], j))
            w = [mpmath.exp(s[j] - max(s)) for j in order]
            z = mpmath.fsum(w)
            rows.append([float(mpmath.fsum(w[kk:]) / z) for kk in range(1, len(w) + 1)])
    return rows


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), max_tail=st.sampled_from([0.0, 0.01, 0.1, 0.5]),
       causal=st.booleans())
def test_mass_k_is_minimal_and_the_tail_bound_holds(backend, seed, max_tail, causal):
    """k = min{k : τ_k ≤ max_tail} against the exact tails, up to a rounding margin (rows where
    some τ_k is within 1e-4 of max_tail relatively may go either way), and the certificate."""
    q, k, v = _qkv((1, 1, 12, 4), (1, 1, 16, 4), seed=seed)
    scale = 1.5
    out, st_ = nk.mass_attention(q, k, v, max_tail=max_tail, scale=scale, is_causal=causal,
                                 return_stats=True, backend=backend)
    for i, tails in enumerate(_exact_tails(q, k, scale, causal)):
        kk = int(st_.kept[0, 0, i])
        assert 1 <= kk <= len(tails)
        assert tails[kk - 1] <= max_tail * (1 + 1e-4) + 1e-7, (i, kk, tails)          # within budget
        assert kk == 1 or tails[kk - 2] > max_tail * (1 - 1e-4) - 1e-7, (i, kk, tails)  # minimal
        assert float(st_.tail_mass[0, 0, i]) <= max_tail * (1 + 1e-5) + 1e-7
    # the certificate does not depend on how the set was chosen: check it with the kept set itself
    sets = st_.kept[0, 0].tolist()
    truth = mp_truth(q, k, v, scale, causal, _prefix_sets(sets))
    check_error_bound(out, st_, truth)


def _prefix_sets(sizes):
    """Selector that keeps, row after row, the first sizes[i] keys of the stable descending order."""
    it = iter(sizes)
    return lambda s, a: sorted(range(len(s)), key=lambda j: (-s[j], j))[: next(it)]


def test_a_lower_float32_matmul_precision_widens_the_bound_and_it_still_holds():
    """torch.set_float32_matmul_precision("medium") lets PyTorch multiply float32 in bfloat16: the
    torch backend then charges the scores 2⁻⁸ instead of 2⁻²⁴, and the certificate still holds."""
    q, k, v = _qkv((1, 1, 12, 16), (1, 1, 12, 16), seed=12)
    _, tight = nk.topk_attention(q, k, v, top_k=4, is_causal=True, return_stats=True, backend="torch")
    before = torch.get_float32_matmul_precision()
    try:
        torch.set_float32_matmul_precision("medium")
        out, wide = nk.topk_attention(q, k, v, top_k=4, is_causal=True, return_stats=True, backend="torch")
    finally:
        torch.set_float32_matmul_precision(before)
    assert torch.all(wide.error_bound > tight.error_bound)
    check_error_bound(out, wide, mp_truth(q, k, v, 0.25, True, topk_set(4)))
