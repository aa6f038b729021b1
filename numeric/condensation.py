"""The sparsity loss L_k (def:sparsity-loss): a differentiable training penalty for top-k attention.

Sason, Frolova, Nazarov and Goldberg (*Attention Condensation via Sparsity Induced Regularized
Training*, arXiv:2503.01564) train a language model with a penalty that restricts attention to its top
elements. Their exact formula is not available; the companion's L_k is the mean top-k tail mass

    L_k(A) = mean over rows a of tau_k(a),   tau_k(a) = sum_{j not in S} a_j   (def:tail-mass),

where S is the top-k set with ties toward the lower index (def:topk-attention). By thm:output-error
each row's top-k output error is at most 2*tau_k*max_j ||v_j||, so L_k bounds the certified top-k
inference error on average by 2*L_k*max||v||: minimising L_k minimises the certified error
(lem:loss-gradient). 0 <= L_k <= 1 - k/N (lem:tail-monotone), and L_N = 0.

The kept set is chosen on detached values (it is piecewise constant, so it has no gradient); the
gradient flows through the probabilities. tau is the sum of the discarded probabilities, never
1 - (kept mass), so a small tail keeps its relative accuracy. Sums are taken in at least float32.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from . import batched

__all__ = ["sparsity_loss", "tail_mass_from_scores"]


def _as_k(k) -> int:
    if isinstance(k, bool) or not isinstance(k, int):
        raise TypeError(f"k must be an int >= 1, got {k!r} of type {type(k).__name__}")
    if k < 1:
        raise ValueError(f"k must be an int >= 1, got {k}")
    return k


def _check_k_fits(k: int, n: int, name: str) -> None:
    if k > n:
        raise ValueError(f"k={k} exceeds the row length N={n} of {name}: k must be in [1, N]")


def _check_float_tensor(x, name: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (..., N), got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must have a real floating dtype, got {x.dtype}")
    if x.ndim < 1 or x.numel() == 0:
        raise ValueError(f"{name} must be a non-empty tensor of shape (..., N), got {tuple(x.shape)}")
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} must be finite (found NaN or Inf)")
    return x


def _sum_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.promote_types(dtype, torch.float32)


def _check_probabilities(a: torch.Tensor, name: str) -> None:
    d = a.detach()
    if (d < 0).any():
        raise ValueError(f"{name} must hold probabilities: found a negative entry ({d.min().item():.3g})")
    # float64 rows: 1e-6. Lower precision: 1e-3 (a float32 softmax over a long row drifts by
    # far more than float32's epsilon), or the dtype's epsilon where larger (bfloat16: each
    # entry's own rounding alone moves the row sum by up to 2**-9).
    tol = 1e-6 if d.dtype == torch.float64 else max(1e-3, torch.finfo(d.dtype).eps)
    err = (d.to(torch.float64).sum(-1) - 1.0).abs().max().item()
    if err > tol:
        raise ValueError(f"{name} must hold probability rows summing to 1 (within {tol:g} for {d.dtype}); "
                         f"the worst row is off by {err:.3g}")


def _tail(a: torch.Tensor, k: int) -> torch.Tensor:
    """tau_k per row of probabilities a: the discarded entries summed directly (not 1 - kept)."""
    mask = batched.topk_mask(a.detach(), k)  # ties to the lower index, as def:topk-attention
    a = a.to(_sum_dtype(a.dtype))
    return torch.where(mask, torch.zeros((), dtype=a.dtype, device=a.device), a).sum(-1)


def _layer_weights(layer_weights, n_layers: int) -> torch.Tensor | None:
    if layer_weights is None:
        return None
    if isinstance(layer_weights, torch.Tensor):
        w = layer_weights.detach()
        if not (w.is_floating_point() or w.dtype in (torch.int8, torch.int16, torch.int32, torch.int64,
                                                     torch.uint8)):
            raise TypeError(f"layer_weights must hold real numbers, got dtype {w.dtype}")
        w = w.to(torch.float64).reshape(-1).cpu()
    elif isinstance(layer_weights, Sequence) and not isinstance(layer_weights, str | bytes):
        vals = []
        for x in layer_weights:
            if isinstance(x, bool) or not isinstance(x, int | float):
                raise TypeError(f"layer_weights must be a sequence of real numbers, got an entry {x!r}")
            vals.append(float(x))
        w = torch.tensor(vals, dtype=torch.float64)
    else:
        raise TypeError(f"layer_weights must be a sequence or tensor of non-negative numbers, "
                        f"got {type(layer_weights).__name__}")
    if w.numel() != n_layers:
        raise ValueError(f"layer_weights must have one entry per layer ({n_layers}), got {w.numel()}")
    if not torch.isfinite(w).all():
        raise ValueError("layer_weights must be finite (found NaN or Inf)")
    if (w < 0).any():
        raise ValueError(f"layer_weights must be non-negative, got {w.tolist()}")
    total = math.fsum(w.tolist())
    if not total > 0:
        raise ValueError("layer_weights must not all be zero")
    return w / total


def sparsity_loss(attn, k: int, *, layer_weights=None) -> torch.Tensor:
    """L_k = mean over attention rows of tau_k(row) (def:sparsity-loss), differentiable in `attn`.

    attn: a tensor (..., M, N) of probability rows (e.g. (B, H, M, N)), or a list/tuple of such tensors,
    one per layer (shapes may differ). With several layers the result is sum_l w_l L_k(layer_l) with the
    non-negative `layer_weights` normalised to sum 1 (equal weights by default). Returns a 0-dim tensor
    in the input dtype promoted to at least float32.
    """
    kk = _as_k(k)
    if isinstance(attn, list | tuple):
        layers = list(attn)
        if not layers:
            raise ValueError("attn must contain at least one layer (got an empty list)")
        names = [f"attn[{i}]" for i in range(len(layers))]
    else:
        layers, names = [attn], ["attn"]
    w = _layer_weights(layer_weights, len(layers))
    for a, name in zip(layers, names, strict=True):
        _check_float_tensor(a, name)
        _check_k_fits(kk, a.shape[-1], name)
        _check_probabilities(a, name)
    losses = [_tail(a, kk).mean() for a in layers]
    dtype = losses[0].dtype
    for loss in losses[1:]:
        dtype = torch.promote_types(dtype, loss.dtype)
    stacked = torch.stack([loss.to(dtype) for loss in losses])
    if w is None:
        return stacked.mean()
    return (stacked * w.to(device=stacked.device, dtype=dtype)).sum()


def tail_mass_from_scores(scores: torch.Tensor, k: int) -> torch.Tensor:
    """tau_k(softmax(scores)) per row (def:tail-mass), differentiable in the scores.

    S is the top-k set of the scores (ties to the lower index); where S is locally constant the
    gradient is a_l (1[l not in S] - tau_k) (lem:loss-gradient). Returns shape scores.shape[:-1].
    """
    kk = _as_k(k)
    s = _check_float_tensor(scores, "scores")
    _check_k_fits(kk, s.shape[-1], "scores")
    mask = batched.topk_mask(s.detach(), kk)
    a = torch.softmax(s.to(_sum_dtype(s.dtype)), dim=-1)
    return torch.where(mask, torch.zeros((), dtype=a.dtype, device=a.device), a).sum(-1)
