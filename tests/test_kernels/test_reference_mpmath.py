"""kernels/reference.py (the "torch" backend) against mpmath at 50 digits: top-k and threshold
selection on exact scores (ties included), and the certificate on general float inputs.

The allowances and the 50-digit truth are in ``tests/test_kernels/helpers.py``.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, example, given, settings

import natsparse.kernels as nk
from tests.test_kernels.helpers import (
    EDGE_CASES,
    check_case,
    check_certificate,
    check_threshold,
    float_cases,
    int_cases,
    threshold_cases,
    with_edge_cases,
)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@with_edge_cases
@given(case=int_cases())
def test_reference_topk_matches_mpmath(case, dtype):
    check_case(case, dtype, "torch")


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(ce=(EDGE_CASES[0], 0.5))  # every a_j = 1/N < eps: keeps the tied maxima
@example(ce=(EDGE_CASES[6], 0.01))
@given(ce=threshold_cases())
def test_reference_threshold_matches_mpmath(ce, dtype):
    check_threshold(*ce, dtype, "torch")


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.float16, torch.bfloat16])
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fc=float_cases())
def test_reference_certificate(fc, dtype):
    check_certificate(fc, dtype, "torch")


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
    # The float64 dense reference is itself within ~N·2⁻⁵³·max‖v‖ ≈ 1e-12 of the exact o.
    err = torch.linalg.vector_norm(out.double() - dense, dim=-1)
    assert torch.all(err + 1e-11 <= st_.error_bound)
    assert torch.all(st_.tail_mass[..., 37:] > 0)  # rows that see > 37 keys drop mass
