"""The certificate that travels with every output row."""

from __future__ import annotations

from typing import NamedTuple

import torch


class AttentionStats(NamedTuple):
    """Per-query statistics of a sparse attention call, each of shape (B, H, M).

    tail_mass
        τ = Σ_{j∉S} a_j, the exact softmax mass of the discarded keys (def:tail-mass). By
        thm:output-error, ‖o − ô‖ ≤ 2τ·max_j‖v_j‖ in any norm: τ certifies the output error.
    lse_all
        log Σ_j exp(s_j) over every visible key (the dense log-sum-exp).
    lse_kept
        log Σ_{j∈S} exp(s_j) over the kept keys; τ = 1 − exp(lse_kept − lse_all).

    τ is accumulated directly from the discarded terms (not as 1 − exp(·)), so it keeps its
    relative accuracy when it is tiny. The stats are float32 (float64 for float64 inputs).

    >>> from natsparse.kernels import topk_attention
    >>> x = torch.eye(3, dtype=torch.float64).reshape(1, 1, 3, 3)  # score 1 on the diagonal, else 0
    >>> _, st = topk_attention(x, x, x, top_k=1, scale=1.0, return_stats=True)
    >>> st.tail_mass.shape, st.tail_mass.dtype
    (torch.Size([1, 1, 3]), torch.float64)
    >>> round(st.tail_mass[0, 0, 0].item(), 6)  # 2 / (e + 2)
    0.423883
    >>> bool(torch.allclose(st.tail_mass, -torch.expm1(st.lse_kept - st.lse_all)))
    True
    """

    tail_mass: torch.Tensor
    lse_all: torch.Tensor
    lse_kept: torch.Tensor
