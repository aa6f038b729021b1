"""Tests of natsparse.kernels: the fused Triton kernel (interpreted on CPU, compiled on a GPU)
and the chunked reference, against mpmath at 50 digits, plus the certificate and bad input.

Floating-point allowances (``_allowances``) follow from the unit roundoff u of the compute
dtype (float32, or float64 for float64 inputs) and u_io of the input dtype:
- each weight p_j = exp(s_j − m) has relative error ≤ (2 + |s_j − m|)·u (the argument s_j − m
  is rounded, then exp); p_j·|s_j − m| ≤ 1/e, so over n terms the weights move the normalised
  output by ≤ 2(2 + n/e)·u·max|v|; the n-term sums add ≤ 2n·u·max|v|; casting to the input
  dtype (where a backend rounds p or v to it) and storing the output add ≤ 3·u_io·max|v|;
- τ and the log-sum-exps are ratios/logs of such sums: relative ≤ (2n + 6 + 2R)·u with
  R = max |s_j − m| over terms that do not underflow, plus n·tiny for the terms that do;
- when scores are not exact, a score error ≤ δ changes a, τ and o by a factor within e^{±2δ},
  with δ from the dot-product bound |fl(q·k) − q·k| ≤ γ_D·Σ|q_d k_d|, γ_D = D·u/(1 − D·u).
Scores made of small integers times a power of two are exact, so there the kernel's selection
(ties included) must equal the exact one.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from dataclasses import dataclass

import mpmath
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, currently_in_test_context, example, given, settings, target
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import natsparse.kernels as nk
from natsparse.kernels import buffers

HAS_CUDA = torch.cuda.is_available()
# One process runs Triton in one mode (see kernels/triton_topk.py): interpreted here without
# CUDA, compiled with it. Set before anything imports triton.
if not HAS_CUDA:
    os.environ["TRITON_INTERPRET"] = "1"
# The Triton property tests run the compiled kernel on CUDA tensors where a GPU exists, and the
# interpreter on CPU tensors elsewhere (as CI does).
TRITON = "triton" if HAS_CUDA else "triton-interpret"

U = {torch.float16: 2.0**-11, torch.bfloat16: 2.0**-8, torch.float32: 2.0**-24,
     torch.float64: 2.0**-53}


# ----------------------------------------------------------------------------- poisoning
@pytest.fixture(autouse=True)
def poisoned(monkeypatch):
    """Every backend output starts NaN-filled; returns the list of tensors handed out."""
    handed_out: list[torch.Tensor] = []

    def nan_empty(shape, dtype, device):
        t = torch.full(shape, float("nan"), dtype=dtype, device=device)
        handed_out.append(t)
        return t

    monkeypatch.setattr(buffers, "empty", nan_empty)
    return handed_out


# ----------------------------------------------------------------------------- mpmath truth
@dataclass
class Truth:
    """Exact (50-digit) quantities per row, as float64 arrays."""

    o: np.ndarray  # dense attention
    o_hat: np.ndarray  # sparse attention on the exact kept set
    tau: np.ndarray
    lse_all: np.ndarray
    lse_kept: np.ndarray
    spread: np.ndarray  # max |s_j − m| over visible keys (R before capping)
    dot_mass: np.ndarray  # |scale|·max_j Σ_d |q_d k_jd|, for the score error bound
    dim: int  # D, for the score error bound


def topk_set(k):
    return lambda s, a: sorted(range(len(s)), key=lambda j: (-s[j], j))[: min(k, len(s))]


def threshold_set(eps):
    def select(s, a):
        cut = min(mpmath.mpf(eps), max(a))
        return [j for j in range(len(s)) if a[j] >= cut]

    return select


def mp_truth(q, k, v, scale, causal, select) -> Truth:
    q, k, v = (t.double().cpu().numpy() for t in (q, k, v))
    B, H, M, D = q.shape
    N, Dv = k.shape[2], v.shape[3]
    res = {n: np.zeros((B, H, M)) for n in ("tau", "lse_all", "lse_kept", "spread", "dot_mass")}
    o, o_hat = np.zeros((B, H, M, Dv)), np.zeros((B, H, M, Dv))
    with mpmath.workdps(50):
        sc = mpmath.mpf(scale)
        for b in range(B):
            for h in range(H):
                keys = [[mpmath.mpf(x) for x in k[b, h, j]] for j in range(N)]
                for i in range(M):
                    n = min(N, i + 1) if causal else N
                    qi = [mpmath.mpf(x) for x in q[b, h, i]]
                    s = [sc * mpmath.fsum(a * c for a, c in zip(qi, keys[j], strict=True))
                         for j in range(n)]
                    m = max(s)
                    z = mpmath.fsum(mpmath.exp(x - m) for x in s)
                    lse = m + mpmath.log(z)
                    a = [mpmath.exp(x - lse) for x in s]
                    kept = set(select(s, a))
                    zk = mpmath.fsum(mpmath.exp(s[j] - m) for j in kept)
                    for d in range(Dv):
                        o[b, h, i, d] = mpmath.fsum(a[j] * v[b, h, j, d] for j in range(n))
                        o_hat[b, h, i, d] = mpmath.fsum(
                            mpmath.exp(s[j] - m) * v[b, h, j, d] for j in kept) / zk
                    res["tau"][b, h, i] = mpmath.fsum(a[j] for j in range(n) if j not in kept)
                    res["lse_all"][b, h, i] = lse
                    res["lse_kept"][b, h, i] = m + mpmath.log(zk)
                    res["spread"][b, h, i] = max(abs(x - m) for x in s)
                    res["dot_mass"][b, h, i] = abs(sc) * max(
                        mpmath.fsum(abs(a * c) for a, c in zip(qi, keys[j], strict=True))
                        for j in range(n))
    return Truth(o, o_hat, **res, dim=D)


def out_allowance(dtype, n: int) -> float:
    """Bound on |computed − exact| sparse output, in units of max|v| (module docstring)."""
    u = U[torch.float64 if dtype == torch.float64 else torch.float32]
    return (2 * n + 2 * (2 + n / math.e) + 1) * u + 3 * U[dtype]


def tau_relative(dtype, n: int, spread):
    """Relative bound on the computed τ (and log-sum-exps): (2n + 6 + 2R)·u, R capped where
    exp underflows (terms beyond are covered by the absolute n·tiny)."""
    cdt = torch.float64 if dtype == torch.float64 else torch.float32
    r = np.minimum(spread, -math.log(torch.finfo(cdt).tiny))
    return (2 * n + 6 + 2 * r) * U[cdt], n * torch.finfo(cdt).tiny


def _allowances(dtype, n, truth: Truth):
    """(output/max|v|, τ relative, τ absolute, lse absolute, score-error factor e^{2δ} − 1)."""
    u = U[torch.float64 if dtype == torch.float64 else torch.float32]
    rel, tiny_abs = tau_relative(dtype, n, truth.spread)
    gamma = truth.dim * u / (1 - truth.dim * u)
    delta = (gamma + u * (1 + gamma)) * truth.dot_mass
    lse_tol = rel + 2 * u * np.abs(truth.lse_all)
    return out_allowance(dtype, n), rel, tiny_abs, lse_tol, np.expm1(2 * delta)


def check_against_truth(out, stats, truth: Truth, v, dtype, exact_scores: bool):
    assert torch.isfinite(out).all() and all(torch.isfinite(s).all() for s in stats)
    vmax = float(v.double().abs().max())
    out_tol, rel, tiny_abs, lse_tol, drift = _allowances(dtype, v.shape[2], truth)
    o = out.double().cpu().numpy()
    tau, lse_all, lse_kept = (s.double().cpu().numpy() for s in stats)
    if exact_scores:
        assert np.all(np.abs(o - truth.o_hat) <= out_tol * vmax), np.abs(o - truth.o_hat).max()
        assert np.all(np.abs(tau - truth.tau) <= rel * truth.tau + tiny_abs)
        assert np.all(np.abs(lse_all - truth.lse_all) <= lse_tol)
        assert np.all(np.abs(lse_kept - truth.lse_kept) <= lse_tol)
    # The certificate (thm:output-error), against dense attention: the measured error never
    # exceeds 2τ·max|v| plus the rounding and score-error allowances.
    err = np.abs(o - truth.o).max(axis=-1)
    bound = 2 * tau * vmax + (out_tol + drift + 2 * tau * rel) * vmax
    assert np.all(err <= bound), (err - bound).max()
    if np.any(tau > 0) and currently_in_test_context():
        target(float(np.max(err / np.maximum(2 * tau * vmax, 1e-300))), label="error/2τ·max|v|")
    # τ against the exact top-k mass: τ_k is a min over index sets of masses that each move by
    # a factor within e^{±2δ}, so the computed τ is within that factor of the exact one.
    assert np.all(np.abs(tau - truth.tau) <= truth.tau * (drift + rel * (1 + drift)) + tiny_abs)


# ----------------------------------------------------------------------------- cases
@dataclass
class Case:
    q: np.ndarray  # small integers, (B, H, M, D)
    k: np.ndarray  # small integers, (B, H, N, D)
    v: np.ndarray  # floats, (B, H, N, Dv)
    scale_exp: int
    top_k: int
    causal: bool


@st.composite
def int_cases(draw, max_m=20, max_n=40, max_bh=2, max_d=9):
    """Exact-score cases: integer q, k in [-4, 4] (lots of ties), scale 2^e up to ±1e4 scores."""
    b = draw(st.integers(1, max_bh))
    h = draw(st.integers(1, max_bh // b))
    m, n = draw(st.integers(1, max_m)), draw(st.integers(1, max_n))
    d, dv = draw(st.integers(1, max_d)), draw(st.integers(1, 5))
    ints = st.integers(-4, 4)
    q = draw(arrays(np.int8, (b, h, m, d), elements=ints))
    k = draw(arrays(np.int8, (b, h, n, d), elements=ints))
    if draw(st.booleans()):  # one huge key
        k[..., draw(st.integers(0, n - 1)), :] *= 16
    v = draw(arrays(np.float64, (b, h, n, dv),
                    elements=st.floats(-8, 8, allow_nan=False, width=16)))
    return Case(q, k, v, draw(st.integers(-4, 6)), draw(st.integers(1, n)), draw(st.booleans()))


def make_case(m, n, d, top_k, *, q=None, k=None, scale_exp=0, causal=False, seed=0):
    rng = np.random.default_rng(seed)
    q = rng.integers(-4, 5, (1, 1, m, d)) if q is None else np.asarray(q).reshape(1, 1, m, d)
    k = rng.integers(-4, 5, (1, 1, n, d)) if k is None else np.asarray(k).reshape(1, 1, n, d)
    v = rng.uniform(-2, 2, (1, 1, n, 3)).astype(np.float16).astype(np.float64)
    return Case(q.astype(np.int8), k.astype(np.int8), v, scale_exp, top_k, causal)


EDGE_CASES = [
    make_case(3, 7, 2, 3, k=np.ones((7, 2))),  # all scores equal: ties across the row
    make_case(4, 9, 3, 4, k=np.tile([1, 0, -1], (9, 1))),  # every key identical
    make_case(2, 1, 1, 1),  # N = 1
    make_case(5, 12, 4, 1),  # k = 1
    make_case(5, 12, 4, 11, k=np.repeat(np.arange(-2, 4), 8).reshape(12, 4)),  # k = N−1, ties
    make_case(5, 12, 4, 12),  # k = N
    make_case(6, 17, 3, 5, q=np.full((6, 3), 4), k=np.full((17, 3), 4), scale_exp=6),  # 3072
    make_case(6, 17, 3, 5, q=np.full((6, 3), 4), k=np.full((17, 3), -4), scale_exp=6),
    make_case(20, 18, 5, 7, causal=True),  # causal with rows seeing fewer than top_k keys
    make_case(1, 33, 9, 17, scale_exp=6),  # spread scores ~ ±1e4
]


def run(case: Case, dtype, backend, *, eps=None):
    device = "cuda" if backend == "triton" else "cpu"
    q, k, v = (torch.from_numpy(np.ascontiguousarray(x)).to(dtype).to(device)
               for x in (case.q, case.k, case.v))
    kw = dict(scale=2.0**case.scale_exp, is_causal=case.causal, return_stats=True,
              backend=backend)
    if eps is None:
        out, stats = nk.topk_attention(q, k, v, top_k=case.top_k, **kw)
    else:
        out, stats = nk.threshold_attention(q, k, v, eps=eps, **kw)
    return q, k, v, out, stats


def check_case(case: Case, dtype, backend, *, eps=None):
    q, k, v, out, stats = run(case, dtype, backend, eps=eps)
    select = topk_set(case.top_k) if eps is None else threshold_set(eps)
    truth = mp_truth(q, k, v, 2.0**case.scale_exp, case.causal, select)
    check_against_truth(out, stats, truth, v, dtype, exact_scores=True)
    return truth


def with_edge_cases(test):
    for case in EDGE_CASES:
        test = example(case=case)(test)
    return test


# ----------------------------------------------------------------------------- top-k vs mpmath
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@with_edge_cases
@given(case=int_cases())
def test_reference_topk_matches_mpmath(case, dtype):
    check_case(case, dtype, "torch")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@with_edge_cases
@given(case=int_cases(max_m=20, max_n=36, max_d=6))
def test_triton_topk_matches_mpmath(case, dtype):
    check_case(case, dtype, TRITON)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=int_cases(max_m=20, max_n=36, max_d=6))
def test_triton_equals_reference(case, dtype):
    """Exact scores: same kept set, so outputs agree to rounding and τ to its relative error."""
    *_, v, out_t, st_t = run(case, dtype, TRITON)
    *_, out_r, st_r = run(case, dtype, "torch")
    vmax, n = float(v.double().abs().max()), v.shape[2]
    # Each side is within its allowance of the exact value, so they are within twice of it.
    atol = 2 * out_allowance(dtype, n) * vmax
    assert torch.allclose(out_t.double().cpu(), out_r.double(), rtol=0, atol=atol)
    rel, tiny_abs = tau_relative(dtype, n, np.inf)
    assert torch.all((st_t.tail_mass.cpu() - st_r.tail_mass).abs()
                     <= 2 * (rel * st_r.tail_mass + tiny_abs))


# ----------------------------------------------------------------------------- threshold
@st.composite
def threshold_cases(draw, **kw):
    case = draw(int_cases(**kw))
    return case, draw(st.floats(1e-3, 0.999))


def check_threshold(case, eps, dtype, backend):
    """Skip inputs where some a_j is within rounding of eps: there either choice is right."""
    q, k, v = (torch.from_numpy(np.ascontiguousarray(x)).double() for x in (case.q, case.k,
                                                                           case.v))
    s = (q @ k.transpose(-1, -2)) * 2.0**case.scale_exp
    if case.causal:
        s = s.masked_fill(torch.ones_like(s, dtype=torch.bool).triu(1), -math.inf)
    a = torch.softmax(s, dim=-1)
    near = ((a / eps - 1).abs() < 1e-3) & (a <= a.amax(-1, keepdim=True) * (1 - 1e-3))
    assume(not bool(near.any()))
    check_case(case, dtype, backend, eps=eps)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(ce=(EDGE_CASES[0], 0.5))  # every a_j = 1/N < eps: keeps the tied maxima
@example(ce=(EDGE_CASES[6], 0.01))
@given(ce=threshold_cases())
def test_reference_threshold_matches_mpmath(ce, dtype):
    check_threshold(*ce, dtype, "torch")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(ce=(EDGE_CASES[0], 0.5))
@example(ce=(EDGE_CASES[8], 0.05))
@given(ce=threshold_cases(max_m=18, max_n=30, max_d=5))
def test_triton_threshold_matches_mpmath(ce, dtype):
    check_threshold(*ce, dtype, TRITON)


# ----------------------------------------------------------------------------- certificate
@st.composite
def float_cases(draw, max_m=12, max_n=30, max_d=8):
    """General float inputs: scores are rounded, so only the certificate is exact."""
    m, n, d, dv = (draw(st.integers(1, x)) for x in (max_m, max_n, max_d, 4))
    fl = st.floats(-3, 3, allow_nan=False, width=16)
    q = draw(arrays(np.float64, (1, 1, m, d), elements=fl))
    k = draw(arrays(np.float64, (1, 1, n, d), elements=fl))
    v = draw(arrays(np.float64, (1, 1, n, dv), elements=fl))
    return q, k, v, draw(st.sampled_from([0.25, 1.0, 3.0])), draw(st.integers(1, n)), \
        draw(st.booleans())


def check_certificate(fc, dtype, backend):
    qa, ka, va, scale, top_k, causal = fc
    device = "cuda" if backend == "triton" else "cpu"
    q, k, v = (torch.from_numpy(x).to(dtype).to(device) for x in (qa, ka, va))
    out, stats = nk.topk_attention(q, k, v, top_k=top_k, scale=scale, is_causal=causal,
                                   return_stats=True, backend=backend)
    truth = mp_truth(q, k, v, scale, causal, topk_set(top_k))
    check_against_truth(out, stats, truth, v, dtype, exact_scores=False)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.float16])
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fc=float_cases())
def test_reference_certificate(fc, dtype):
    check_certificate(fc, dtype, "torch")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fc=float_cases(max_m=10, max_n=24, max_d=6))
def test_triton_certificate(fc, dtype):
    check_certificate(fc, dtype, TRITON)


@pytest.mark.parametrize("causal", [False, True])
def test_reference_certificate_larger(causal):
    """Bigger shapes, several query chunks: against dense float64 attention."""
    g = torch.Generator().manual_seed(1)
    B, H, M, N, D = 2, 3, 300, 700, 32
    q, k, v = (torch.randn(B, H, x, D, generator=g) for x in (M, N, N))
    k[..., 5, :] *= 4  # a dominant key
    out, st_ = nk.topk_attention(q, k, v, top_k=37, scale=0.125, is_causal=causal,
                                 return_stats=True, backend="torch")
    dense = torch.nn.functional.scaled_dot_product_attention(
        q.double(), k.double(), v.double(), is_causal=causal, scale=0.125)
    vmax = float(v.abs().max())
    u = 2.0**-24
    delta = (D * u / (1 - D * u) + 2 * u) * (q.abs() @ k.abs().transpose(-1, -2)).amax(-1) / 8
    allowance = (out_allowance(torch.float32, N) + torch.expm1(2 * delta)) * vmax
    err = (out.double() - dense).abs().amax(-1)
    rel, _ = tau_relative(torch.float32, N, np.inf)  # τ's own rounding, R capped at 88
    assert torch.all(err <= 2 * st_.tail_mass.double() * vmax * (1 + rel) + allowance)
    assert torch.all(st_.tail_mass[..., 37:] > 0)  # rows that see > 37 keys drop mass


# ----------------------------------------------------------------------------- plumbing
def test_poison_reaches_every_output(poisoned):
    """The outputs are the NaN-filled buffers themselves: an unwritten element stays NaN."""
    case = EDGE_CASES[8]
    for backend in ("torch", TRITON):
        poisoned.clear()
        *_, out, stats = run(case, torch.float32, backend)
        results = [out, *stats]
        assert {t.data_ptr() for t in results} <= {t.data_ptr() for t in poisoned}
        assert all(torch.isfinite(t).all() for t in results)


def test_non_contiguous_inputs_are_handled():
    g = torch.Generator().manual_seed(3)
    base = torch.randint(-3, 4, (2, 11, 3, 8), generator=g).float()  # (B, M, H, D) storage
    q = base.transpose(1, 2)
    kb = torch.randint(-3, 4, (2, 3, 8, 21), generator=g).float()
    k = kb.transpose(2, 3)
    v = torch.randn(2, 3, 21, 10, generator=g)[..., ::2]
    assert not (q.is_contiguous() or k.is_contiguous() or v.is_contiguous())
    for backend in ("torch", TRITON):
        if backend == "triton":
            q, k, v = (t.cuda() for t in (q, k, v))
        a = nk.topk_attention(q, k, v, top_k=6, return_stats=True, backend=backend)
        b = nk.topk_attention(q.contiguous(), k.contiguous(), v.contiguous(), top_k=6,
                              return_stats=True, backend=backend)
        for x, y in zip((a[0], *a[1]), (b[0], *b[1]), strict=True):
            assert torch.equal(x, y)


def test_auto_backend_on_cpu_is_torch():
    x = torch.zeros(1, 1, 2, 2)
    assert nk.resolve_backend("auto", x) == "torch"
    assert nk.resolve_backend("auto", x.double()) == "torch"
    out = nk.topk_attention(x, x, x, top_k=1)
    assert isinstance(out, torch.Tensor) and out.shape == (1, 1, 2, 2)


def test_import_does_not_load_triton():
    code = "import sys, natsparse.kernels; assert 'triton' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_wrong_triton_mode_is_reported():
    code = ("import torch, triton, natsparse.kernels as nk; x = torch.zeros(1, 1, 2, 2)\n"
            "try:\n    nk.topk_attention(x, x, x, top_k=1, backend='triton-interpret')\n"
            "except RuntimeError as e:\n    assert 'TRITON_INTERPRET=1' in str(e), e\n"
            "else:\n    raise SystemExit('no error')")
    env = {key: val for key, val in os.environ.items() if key != "TRITON_INTERPRET"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


# ----------------------------------------------------------------------------- bad input
def _qkv(m=4, n=6, d=3, dv=2, dtype=torch.float32):
    return torch.zeros(1, 2, m, d, dtype=dtype), torch.zeros(1, 2, n, d, dtype=dtype), \
        torch.zeros(1, 2, n, dv, dtype=dtype)


def _nan(t):
    t = t.clone()
    t.view(-1)[0] = float("nan")
    return t


def _inf(t):
    t = t.clone()
    t.view(-1)[-1] = float("inf")
    return t


Q, K, V = _qkv()
BAD = [
    (dict(q=Q.numpy()), TypeError, r"q must be a torch\.Tensor"),
    (dict(q=Q[0]), ValueError, r"q must have shape \(B, H, M, D\), got \(2, 4, 3\)"),
    (dict(k=torch.zeros(1, 2, 6, 4)), ValueError, r"k must have shape \(B, H, N, D\)"),
    (dict(k=torch.zeros(2, 2, 6, 3)), ValueError, r"k must have shape"),
    (dict(v=torch.zeros(1, 2, 5, 2)), ValueError, r"v must have shape \(B, H, N, Dv\)"),
    (dict(q=torch.zeros(1, 2, 0, 3)), ValueError, r"q must be non-empty"),
    (dict(k=K.double()), TypeError, r"must share one dtype"),
    (dict(v=V.int()), TypeError, r"v must have dtype float16, bfloat16, float32 or float64"),
    (dict(q=torch.zeros(1, 2, 4, 3, device="meta")), ValueError, r"must be on one device"),
    (dict(top_k=0), ValueError, r"top_k must be an int in \[1, N=6\], got 0"),
    (dict(top_k=7), ValueError, r"top_k must be an int in \[1, N=6\], got 7"),
    (dict(top_k=2.0), TypeError, r"top_k must be an int in \[1, N=6\], got 2\.0"),
    (dict(top_k=True), TypeError, r"top_k must be an int"),
    (dict(scale=math.nan), ValueError, r"scale must be None or a finite real number"),
    (dict(scale="1"), TypeError, r"scale must be None or a finite real number"),
    (dict(is_causal=1), TypeError, r"is_causal must be a bool"),
    (dict(return_stats=None), TypeError, r"return_stats must be a bool"),
    (dict(q=_nan(Q)), ValueError, r"q must contain only finite values"),
    (dict(k=_inf(K)), ValueError, r"k must contain only finite values"),
    (dict(v=_nan(V)), ValueError, r"v must contain only finite values"),
    (dict(q=torch.full((1, 2, 4, 3), 1e20), k=torch.full((1, 2, 6, 3), -1e20)), ValueError,
     r"scores cannot overflow"),
    (dict(v=torch.full((1, 2, 6, 2), 1e38)), ValueError, r"N\*max\|v\| = .* must be below"),
    (dict(backend="cuda"), ValueError, r"backend must be one of 'auto', 'torch'"),
    (dict(backend="triton"), ValueError, r"backend='triton' needs CUDA tensors"),
]


@pytest.mark.parametrize(("change", "exc", "msg"), BAD)
def test_topk_bad_input(change, exc, msg):
    kw = dict(q=Q, k=K, v=V, top_k=2) | change
    with pytest.raises(exc, match=msg):
        nk.topk_attention(kw.pop("q"), kw.pop("k"), kw.pop("v"), **kw)


@pytest.mark.parametrize(("eps", "exc", "msg"), [
    (0.0, ValueError, r"eps must be in \(0, 1\), got 0\.0"),
    (1.0, ValueError, r"eps must be in \(0, 1\), got 1\.0"),
    (-0.5, ValueError, r"eps must be in \(0, 1\)"),
    (math.nan, ValueError, r"eps must be in \(0, 1\), got nan"),
    ("0.1", TypeError, r"eps must be a real number in \(0, 1\)"),
])
def test_threshold_bad_eps(eps, exc, msg):
    with pytest.raises(exc, match=msg):
        nk.threshold_attention(Q, K, V, eps=eps)


def test_float64_on_triton_is_rejected():
    q, k, v = _qkv(dtype=torch.float64)
    with pytest.raises(TypeError, match=r"backend='triton-interpret' needs float16"):
        nk.topk_attention(q, k, v, top_k=1, backend="triton-interpret")


def test_check_finite_opt_out_skips_the_check():
    out = nk.topk_attention(_nan(Q), K, V, top_k=2, check_finite=False)
    assert out.shape == (1, 2, 4, 2)


# ----------------------------------------------------------------------------- GPU
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize(("m", "n", "d", "top_k"), [(37, 101, 24, 9), (130, 77, 64, 77)])
@pytest.mark.gpu
@pytest.mark.skipif(not HAS_CUDA, reason="needs CUDA")
def test_gpu_triton_matches_mpmath(dtype, causal, m, n, d, top_k):
    """bf16 only here: the interpreter computes bf16 wrongly. Integers ≤ 4 are exact in bf16."""
    case = make_case(m, n, d, top_k, causal=causal, scale_exp=-2, seed=m)
    q, k, v = (torch.from_numpy(np.ascontiguousarray(x)).to(dtype).cuda()
               for x in (case.q, case.k, case.v))
    out, stats = nk.topk_attention(q, k, v, top_k=top_k, scale=0.25, is_causal=causal,
                                   return_stats=True, backend="triton")
    truth = mp_truth(q.cpu(), k.cpu(), v.cpu(), 0.25, causal, topk_set(top_k))
    check_against_truth(out, stats, truth, v, dtype, exact_scores=True)


@pytest.mark.gpu
@pytest.mark.skipif(not HAS_CUDA, reason="needs CUDA")
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_gpu_triton_equals_reference_large(dtype):
    g = torch.Generator().manual_seed(5)
    q, k = (torch.randint(-4, 5, (2, 4, 1000, 64), generator=g).to(dtype).cuda()
            for _ in range(2))
    v = torch.randn(2, 4, 1000, 64, generator=g).to(dtype).cuda()
    out, st_t = nk.topk_attention(q, k, v, top_k=100, scale=0.125, is_causal=True,
                                  return_stats=True, backend="triton")
    ref, st_r = nk.topk_attention(q, k, v, top_k=100, scale=0.125, is_causal=True,
                                  return_stats=True, backend="torch")
    vmax = float(v.float().abs().max())
    assert torch.allclose(out.float(), ref.float(), rtol=0, atol=8 * U[dtype] * vmax)
    assert torch.allclose(st_t.tail_mass, st_r.tail_mass, rtol=1e-4, atol=1e-30)
