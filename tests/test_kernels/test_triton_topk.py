"""kernels/triton_topk.py and its kernel source triton_topk_kernel.py: the fused Triton kernel
against mpmath at 50 digits and against the chunked reference, in the Triton interpreter on CPU
(fp32 and fp16; bf16 is upcast there, tests/test_kernels/test_sdpa.py) and compiled on a GPU (bf16 too),
and the report of a process that imported Triton in the other mode. Top-k runs the bracket select
(its own tests against the radix select: test_triton_select.py).

``tests.test_kernels.helpers`` sets TRITON_INTERPRET=1 without CUDA before triton is first imported.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, example, given, settings

import natsparse.kernels as nk
from tests.test_kernels.helpers import (
    EDGE_CASES,
    HAS_CUDA,
    TRITON,
    U,
    check_against_truth,
    check_case,
    check_certificate,
    check_threshold,
    float_cases,
    int_cases,
    make_case,
    mp_truth,
    out_allowance,
    run,
    tau_relative,
    threshold_cases,
    topk_set,
    with_edge_cases,
)


# ----------------------------------------------------------------------------- top-k vs mpmath
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@with_edge_cases
@given(case=int_cases(max_m=20, max_n=32, max_d=6))
def test_triton_topk_matches_mpmath(case, dtype):
    check_case(case, dtype, TRITON)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=int_cases(max_m=20, max_n=32, max_d=6))
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
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(ce=(EDGE_CASES[0], 0.5))
@example(ce=(EDGE_CASES[8], 0.05))
@given(ce=threshold_cases(max_m=18, max_n=30, max_d=5))
def test_triton_threshold_matches_mpmath(ce, dtype):
    check_threshold(*ce, dtype, TRITON)


# ----------------------------------------------------------------------------- certificate
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fc=float_cases(max_m=10, max_n=24, max_d=6))
def test_triton_certificate(fc, dtype):
    check_certificate(fc, dtype, TRITON)


# ----------------------------------------------------------------------------- Triton's mode
def test_wrong_triton_mode_is_reported():
    code = ("import torch, triton, natsparse.kernels as nk; x = torch.zeros(1, 1, 2, 2)\n"
            "try:\n    nk.topk_attention(x, x, x, top_k=1, backend='triton-interpret')\n"
            "except RuntimeError as e:\n    assert 'TRITON_INTERPRET=1' in str(e), e\n"
            "else:\n    raise SystemExit('no error')")
    env = {key: val for key, val in os.environ.items() if key != "TRITON_INTERPRET"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


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
