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

__all__ = ["causal_adaptive_k", "sparsity_loss", "tail_mass_from_scores"]


def _as_k(k) -> int | torch.Tensor:
    """An int k >= 1, or a 1-D integer tensor of per-row k values (each >= 1)."""
    if isinstance(k, torch.Tensor):
        if k.ndim != 1 or k.numel() == 0 or k.is_floating_point() or k.is_complex() or k.dtype == torch.bool:
            raise TypeError(f"k as a tensor must be a non-empty 1-D integer tensor (one k per query row), "
                            f"got dtype {k.dtype} and shape {tuple(k.shape)}")
        if (k < 1).any():
            raise ValueError(f"k must be >= 1 in every row, got a minimum of {int(k.min())}")
        return k.to(torch.int64)
    if isinstance(k, bool) or not isinstance(k, int):
        raise TypeError(f"k must be an int >= 1 or a 1-D integer tensor, got {k!r} "
                        f"of type {type(k).__name__}")
    if k < 1:
        raise ValueError(f"k must be an int >= 1, got {k}")
    return k


def _check_k_fits(k, shape: tuple, name: str) -> None:
    n = shape[-1]
    if isinstance(k, torch.Tensor):
        if len(shape) < 2 or shape[-2] != k.numel():
            raise ValueError(f"a per-row k needs {name} of shape (..., M, N) with M = len(k) = {k.numel()}, "
                             f"got {tuple(shape)}")
        if int(k.max()) > n:
            raise ValueError(f"k has a row with k={int(k.max())} > the row length N={n} of {name}")
    elif k > n:
        raise ValueError(f"k={k} exceeds the row length N={n} of {name}: k must be in [1, N]")


def causal_adaptive_k(length: int, alpha: float, exponent: float) -> torch.Tensor:
    """Per-row k_i = min(n_i, ceil(alpha * n_i**exponent)) for causal rows, n_i = i + 1 keys seen.

    The k = alpha n^C rule (cor:adaptive-window) applied row by row to causal attention, where the
    query at position i attends to n_i = i + 1 keys. Returns an int64 tensor of shape (length,).
    """
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        raise ValueError(f"length must be an int >= 1, got {length!r}")
    for name, x in (("alpha", alpha), ("exponent", exponent)):
        if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
            raise ValueError(f"{name} must be a finite real number, got {x!r}")
    if not alpha > 0:
        raise ValueError(f"alpha must be > 0, got {alpha}")
    if not 0 <= exponent <= 1:
        raise ValueError(f"exponent must be in [0, 1], got {exponent}")
    n = torch.arange(1, length + 1, dtype=torch.float64)
    return torch.minimum(torch.ceil(alpha * n**exponent), n).clamp(min=1).to(torch.int64)


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


def _rowwise_topk_mask(x: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Kept set per row when row m keeps k[m] entries (ties to the lower index)."""
    order = torch.sort(x, dim=-1, descending=True, stable=True).indices
    rank = torch.empty_like(order).scatter_(-1, order, torch.arange(x.shape[-1]).expand_as(order))
    return rank < k.to(x.device)[:, None]


def _topk_mask(x: torch.Tensor, k) -> torch.Tensor:
    if isinstance(k, torch.Tensor):
        return _rowwise_topk_mask(x, k)
    return batched.topk_mask(x, k)  # ties to the lower index, as def:topk-attention


def _tail(a: torch.Tensor, k) -> torch.Tensor:
    """tau_k per row of probabilities a: the discarded entries summed directly (not 1 - kept)."""
    mask = _topk_mask(a.detach(), k)
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
    one per layer (shapes may differ). k: an int, or a 1-D integer tensor of length M giving each query
    row its own k (e.g. `causal_adaptive_k`). With several layers the result is sum_l w_l L_k(layer_l)
    with the non-negative `layer_weights` normalised to sum 1 (equal weights by default). Returns a
    0-dim tensor in the input dtype promoted to at least float32.
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
        _check_k_fits(kk, tuple(a.shape), name)
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
    k: an int, or one k per query row as in `sparsity_loss`.
    """
    kk = _as_k(k)
    s = _check_float_tensor(scores, "scores")
    _check_k_fits(kk, tuple(s.shape), "scores")
    mask = _topk_mask(s.detach(), kk)
    a = torch.softmax(s.to(_sum_dtype(s.dtype)), dim=-1)
    return torch.where(mask, torch.zeros((), dtype=a.dtype, device=a.device), a).sum(-1)
