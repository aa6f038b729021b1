"""Fast batched evaluation in torch float64: many rows at once, same definitions.

Rows are the last dimension: scores (..., n), values (..., n, dv). Ties in top-k are
broken toward the lower index (a stable descending sort), exactly as def:topk-attention.
"""

from __future__ import annotations

import math

import torch


def _check_scores(scores: torch.Tensor, name: str = "scores") -> torch.Tensor:
    if not isinstance(scores, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (..., n)")
    if scores.ndim < 1 or scores.shape[-1] == 0:
        raise ValueError(f"{name} must have shape (..., n) with n >= 1, got {tuple(scores.shape)}")
    if not torch.isfinite(scores).all():
        raise ValueError(f"{name} must be finite (found NaN or Inf)")
    return scores.to(torch.float64)


def _check_k(k: int, n: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= n:
        raise ValueError(f"k must be an int in [1, n={n}], got {k!r}")
    return k


def softmax(scores: torch.Tensor) -> torch.Tensor:
    """a = softmax(s) along the last dimension, float64."""
    return torch.softmax(_check_scores(scores), dim=-1)


def topk_mask(scores: torch.Tensor, k: int) -> torch.Tensor:
    """Boolean mask of the kept set S (k largest, ties to the lower index)."""
    s = _check_scores(scores)
    kk = _check_k(k, s.shape[-1])
    order = torch.sort(s, dim=-1, descending=True, stable=True).indices
    mask = torch.zeros_like(s, dtype=torch.bool)
    mask.scatter_(-1, order[..., :kk], True)
    return mask


def tail_mass(scores: torch.Tensor, k: int) -> torch.Tensor:
    """tau_k per row: the softmax mass outside the top-k set, summed directly."""
    a = softmax(scores)
    return torch.where(topk_mask(scores, k), 0.0, a).sum(-1)


def k_eps(scores: torch.Tensor, eps: float) -> torch.Tensor:
    """k_eps = min{k : tau_k <= eps} per row: the fewest keys that carry 1 - eps of the mass.

    Computed in the log domain from sorted scores (log-probabilities work too: softmax is
    unchanged by a shift), so rows with scores of any size neither overflow nor lose mass.
    """
    s = _check_scores(scores)
    if isinstance(eps, bool) or not isinstance(eps, float | int) or not 0 < eps < 1:
        raise ValueError(f"eps must be in (0, 1), got {eps!r}")
    srt = torch.sort(s, dim=-1, descending=True).values
    tails = torch.logcumsumexp(srt.flip(-1), dim=-1).flip(-1)   # tails[..., k] = LSE(s_(k+1..n))
    # tau_k = exp(tails[k] - LSE) > eps exactly for k < k_eps (tau_k decreases in k).
    return (tails > (tails[..., :1] + math.log(eps))).sum(-1)


def topk_attention(scores: torch.Tensor, values: torch.Tensor, k: int
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """(o_hat, tau) per row: softmax over the kept scores, and the discarded mass."""
    s = _check_scores(scores)
    V = _check_values(values, s)
    mask = topk_mask(s, k)
    a_hat = torch.softmax(s.masked_fill(~mask, float("-inf")), dim=-1)
    tau = torch.where(mask, 0.0, torch.softmax(s, dim=-1)).sum(-1)
    return a_hat.unsqueeze(-2).matmul(V).squeeze(-2), tau


def attention(scores: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """o = sum_j a_j v_j per row."""
    s = _check_scores(scores)
    V = _check_values(values, s)
    return torch.softmax(s, dim=-1).unsqueeze(-2).matmul(V).squeeze(-2)


def _check_values(values: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    if not isinstance(values, torch.Tensor):
        raise TypeError("values must be a torch.Tensor of shape (..., n, dv)")
    if values.ndim != s.ndim + 1 or values.shape[:-1] != s.shape:
        raise ValueError(f"values must have shape {tuple(s.shape)} + (dv,), got "
                         f"{tuple(values.shape)}")
    if not torch.isfinite(values).all():
        raise ValueError("values must be finite (found NaN or Inf)")
    return values.to(torch.float64)
