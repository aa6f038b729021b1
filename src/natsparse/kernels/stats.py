"""The certificate that travels with every output row."""

from __future__ import annotations

from typing import NamedTuple

import torch


class AttentionStats(NamedTuple):
    """Per-query statistics of a sparse attention call, each of shape (..., M) like the output rows.

    tail_mass
        τ = Σ_{j∉S} a_j, the softmax mass of the discarded visible keys (def:tail-mass), as computed.
    lse_all
        log Σ_j exp(s_j) over every visible key (the dense log-sum-exp).
    lse_kept
        log Σ_{j∈S} exp(s_j) over the kept keys; τ = 1 − exp(lse_kept − lse_all).
    kept
        the number of kept keys (int64); masked keys are never kept nor counted.
    error_bound
        a rigorous upper bound on ‖out − o‖₂, o the exact dense attention of the given inputs:
        2(τ + ρ_τ)·max_j‖v_j‖₂ + ρ_o, where ρ_τ and ρ_o bound the rounding of the computed τ and
        output (thm:certificate-rounding; float64). inf on the rows whose numbers were not finite
        (a NaN or Inf input, or an overflow, under check_finite=False); never NaN.

    τ is accumulated directly from the discarded terms (not as 1 − exp(·)), so it keeps its relative
    accuracy when it is tiny. τ and the LSEs are float32 (float64 for float64 inputs). A row whose
    keys are all masked has output 0, τ = 0, LSE = −inf, kept = 0 and error_bound = 0.

    >>> from natsparse.kernels import topk_attention
    >>> x = torch.eye(3, dtype=torch.float64).reshape(1, 1, 3, 3)  # score 1 on the diagonal, else 0
    >>> _, st = topk_attention(x, x, x, top_k=1, scale=1.0, return_stats=True)
    >>> st.tail_mass.shape, st.tail_mass.dtype, st.kept.tolist()
    (torch.Size([1, 1, 3]), torch.float64, [[[1, 1, 1]]])
    >>> round(st.tail_mass[0, 0, 0].item(), 6)  # 2 / (e + 2)
    0.423883
    >>> bool(torch.allclose(st.tail_mass, -torch.expm1(st.lse_kept - st.lse_all)))
    True
    """

    tail_mass: torch.Tensor
    lse_all: torch.Tensor
    lse_kept: torch.Tensor
    kept: torch.Tensor
    error_bound: torch.Tensor
