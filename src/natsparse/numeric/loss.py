"""The sparsity loss L_k (def:sparsity-loss): a differentiable training penalty for top-k attention.

Sason, Frolova, Nazarov and Goldberg (*Attention Condensation via Sparsity Induced Regularized
Training*, arXiv:2503.01564) train a language model with a penalty that restricts attention to its top
elements. Their exact formula is not available; the companion's L_k is the mean top-k tail mass

    L_k(A) = mean over rows a of tau_k(a),   tau_k(a) = sum_{j not in S} a_j   (def:tail-mass),

where S is the top-k set with ties toward the lower index (def:topk-attention). By thm:output-error
each row's top-k output error is at most 2*tau_k*max_j ||v_j||, so L_k bounds the certified top-k
inference error on average by 2*L_k*max||v||: minimising L_k minimises the certified error
(lem:loss-gradient). 0 <= L_k <= 1 - k/N (lem:tail-monotone), and L_N = 0.

tau is `batched.discarded_mass` (rows of probabilities) and `batched.tail_mass` (scores): the one
evaluator of the tail mass, which sums the discarded entries directly (never 1 - kept mass, so a small
tail keeps its relative accuracy), in at least float32. The kept set is piecewise constant, so it has
no gradient; the gradient flows through the probabilities.

    >>> a = torch.tensor([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]], dtype=torch.float64)
    >>> round(sparsity_loss(a, 2).item(), 12)   # (0.2 + 0.1) / 2
    0.15
"""

from __future__ import annotations

import torch

from . import batched
from .validate import as_finite_real, as_layer_weights, as_positive_int, as_positive_real

__all__ = ["causal_adaptive_k", "sparsity_loss", "tail_mass_from_scores"]


def causal_adaptive_k(length: int, alpha: float, exponent: float) -> torch.Tensor:
    """Per-row k_i = min(n_i, ceil(alpha * n_i**exponent)) for causal rows, n_i = i + 1 keys seen.

    The k = alpha n^C rule (cor:adaptive-window) applied row by row to causal attention, where the
    query at position i attends to n_i = i + 1 keys. Returns an int64 tensor of shape (length,).

    >>> causal_adaptive_k(6, 1.0, 0.5).tolist()
    [1, 2, 2, 2, 3, 3]
    """
    length = as_positive_int(length, "length", strict=True)
    alpha = as_positive_real(alpha, "alpha")
    if not 0 <= as_finite_real(exponent, "exponent") <= 1:
        raise ValueError(f"exponent must be in [0, 1], got {exponent}")
    n = torch.arange(1, length + 1, dtype=torch.float64)
    return torch.minimum(torch.ceil(alpha * n**exponent), n).clamp(min=1).to(torch.int64)


def sparsity_loss(attn, k: int, *, layer_weights=None) -> torch.Tensor:
    """L_k = mean over attention rows of tau_k(row) (def:sparsity-loss), differentiable in `attn`.

    attn: a tensor (..., M, N) of probability rows (e.g. (B, H, M, N)), or a list/tuple of such tensors,
    one per layer (shapes may differ). k: an int, or a 1-D integer tensor of length M giving each query
    row its own k (e.g. `causal_adaptive_k`). With several layers the result is sum_l w_l L_k(layer_l)
    with the non-negative `layer_weights` normalised to sum 1 (equal weights by default). Returns a
    0-dim tensor in the input dtype promoted to at least float32.

    >>> a = torch.tensor([[0.5, 0.3, 0.2]], dtype=torch.float64)
    >>> b = torch.tensor([[0.25, 0.75]], dtype=torch.float64)
    >>> round(sparsity_loss([a, b], 1, layer_weights=[1, 3]).item(), 12)   # (0.5 + 3 * 0.25) / 4
    0.3125
    """
    if isinstance(attn, list | tuple):
        layers = list(attn)
        if not layers:
            raise ValueError("attn must contain at least one layer (got an empty list)")
        names = [f"attn[{i}]" for i in range(len(layers))]
    else:
        layers, names = [attn], ["attn"]
    w = as_layer_weights(layer_weights, len(layers))
    losses = [batched.discarded_mass(a, k, name=name).mean() for a, name in zip(layers, names, strict=True)]
    dtype = losses[0].dtype
    for loss in losses[1:]:
        dtype = torch.promote_types(dtype, loss.dtype)
    stacked = torch.stack([loss.to(dtype) for loss in losses])
    if w is None:
        return stacked.mean()
    return (stacked * w.to(device=stacked.device, dtype=dtype)).sum()


def tail_mass_from_scores(scores: torch.Tensor, k: int) -> torch.Tensor:
    """tau_k(softmax(scores)) per row (def:tail-mass), differentiable in the scores: `batched.tail_mass`.

    S is the top-k set of the scores (ties to the lower index); where S is locally constant the
    gradient is a_l (1[l not in S] - tau_k) (lem:loss-gradient). Returns shape scores.shape[:-1].
    k: an int, or one k per query row as in `sparsity_loss`.

    >>> s = torch.tensor([2.0, 1.0, 0.0], dtype=torch.float64, requires_grad=True)
    >>> tau = tail_mass_from_scores(s, 1)
    >>> tau.backward()
    >>> a = torch.softmax(s.detach(), -1)
    >>> bool(torch.allclose(s.grad, a * (torch.tensor([0.0, 1.0, 1.0]) - tau.detach())))
    True
    """
    return batched.tail_mass(scores, k)
