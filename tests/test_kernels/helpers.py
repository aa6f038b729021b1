"""Shared helpers of the kernel tests: the Triton mode, 50-digit mpmath truth, the allowances,
the Hypothesis cases and the edge cases, and small inputs for the bad-input tests.

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
from dataclasses import dataclass

import mpmath
import numpy as np
import torch
from hypothesis import assume, currently_in_test_context, example, target
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import natsparse.kernels as nk

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


def mp_truth(q, k, v, scale, causal, select, bias=None) -> Truth:
    """50-digit truth per row. k, v have one head per query head (expand GQA before calling);
    ``bias`` (B, H, M, N), optional, is an additive mask (−inf = masked) in the mask's own values.
    A row with every key masked has o = ô = 0, τ = 0 and LSE = −inf."""
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
                    seen = [j for j in range(min(N, i + 1) if causal else N)
                            if bias is None or bias[b, h, i, j] > -np.inf]
                    if not seen:
                        res["lse_all"][b, h, i] = res["lse_kept"][b, h, i] = -np.inf
                        continue
                    qi = [mpmath.mpf(x) for x in q[b, h, i]]
                    s = [sc * mpmath.fsum(a * c for a, c in zip(qi, keys[j], strict=True))
                         + (0 if bias is None else mpmath.mpf(float(bias[b, h, i, j]))) for j in seen]
                    n = len(s)
                    m = max(s)
                    z = mpmath.fsum(mpmath.exp(x - m) for x in s)
                    lse = m + mpmath.log(z)
                    a = [mpmath.exp(x - lse) for x in s]
                    kept = set(select(s, a))
                    zk = mpmath.fsum(mpmath.exp(s[j] - m) for j in kept)
                    for d in range(Dv):
                        o[b, h, i, d] = mpmath.fsum(a[j] * v[b, h, seen[j], d] for j in range(n))
                        o_hat[b, h, i, d] = mpmath.fsum(
                            mpmath.exp(s[j] - m) * v[b, h, seen[j], d] for j in kept) / zk
                    res["tau"][b, h, i] = mpmath.fsum(a[j] for j in range(n) if j not in kept)
                    res["lse_all"][b, h, i] = lse
                    res["lse_kept"][b, h, i] = m + mpmath.log(zk)
                    res["spread"][b, h, i] = max(abs(x - m) for x in s)
                    res["dot_mass"][b, h, i] = abs(sc) * max(
                        mpmath.fsum(abs(a * c) for a, c in zip(qi, keys[j], strict=True))
                        for j in seen)
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


#: The largest measured/bound ratio of the certificate seen in this process (reported by the tests).
WORST = {"ratio": 0.0}


def check_error_bound(out, stats, truth: Truth) -> np.ndarray:
    """thm:certificate-rounding on every row: ‖out − o‖₂ ≤ stats.error_bound with o the 50-digit
    dense attention, no allowance. Returns measured/bound per row (0 where both are 0)."""
    err = np.linalg.norm(out.double().cpu().numpy() - truth.o, axis=-1)
    bound = stats.error_bound.cpu().numpy()
    assert np.all(np.isfinite(bound)), "error_bound must be finite here"
    bad = err > bound
    assert not bad.any(), f"certificate violated on {int(bad.sum())} rows: error {err[bad].max()}, " \
                          f"bound {bound[bad][np.argmax(err[bad])]}"
    ratio = np.where(bound > 0, err / np.where(bound > 0, bound, 1.0), 0.0)
    WORST["ratio"] = max(WORST["ratio"], float(ratio.max(initial=0.0)))
    if currently_in_test_context() and ratio.size:
        target(float(ratio.max()), label="measured/error_bound")
    return ratio


def check_against_truth(out, stats, truth: Truth, v, dtype, exact_scores: bool):
    assert torch.isfinite(out).all()
    assert all(torch.isfinite(s).all() for s in (stats.tail_mass, stats.error_bound))
    vmax = float(v.double().abs().max())
    out_tol, rel, tiny_abs, lse_tol, drift = _allowances(dtype, v.shape[2], truth)
    o = out.double().cpu().numpy()
    tau, lse_all, lse_kept = (s.double().cpu().numpy() for s in stats[:3])
    if exact_scores:
        assert np.all(np.abs(o - truth.o_hat) <= out_tol * vmax), np.abs(o - truth.o_hat).max()
        assert np.all(np.abs(tau - truth.tau) <= rel * truth.tau + tiny_abs)
        assert np.all(np.abs(lse_all - truth.lse_all) <= lse_tol)
        assert np.all(np.abs(lse_kept - truth.lse_kept) <= lse_tol)
    check_error_bound(out, stats, truth)
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


# ----------------------------------------------------------------------------- bad input
def zeros_qkv(m=4, n=6, d=3, dv=2, dtype=torch.float32):
    return torch.zeros(1, 2, m, d, dtype=dtype), torch.zeros(1, 2, n, d, dtype=dtype), \
        torch.zeros(1, 2, n, dv, dtype=dtype)


def with_nan(t):
    t = t.clone()
    t.view(-1)[0] = float("nan")
    return t


def with_inf(t):
    t = t.clone()
    t.view(-1)[-1] = float("inf")
    return t


Q, K, V = zeros_qkv()
