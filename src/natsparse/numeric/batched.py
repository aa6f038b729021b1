"""Fast batched evaluation in torch: many rows at once, the same definitions, one evaluator each.

Rows are the last dimension: scores (..., n), values (..., n, dv). Work happens in the input's
floating dtype, at least float32 (integer scores: float64): float64 in, float64 out is the
reference fast path; float32 and lower are summed in float32 (training). Ties in top-k break
toward the lower index, exactly as def:topk-attention.

One evaluator per quantity:

- `topk_mask`: the kept set S (k an int, or a 1-D integer tensor giving each query row its k),
  from one selection of the k largest entries of each row (`torch.topk`; the rows where it meets
  equal values are redone by a stable sort);
- `tail_mass`: tau_k, the weights outside S summed directly (never 1 - kept mass, so a tiny tau
  keeps its relative accuracy), in at least float32 and differentiable in the scores: where S is
  locally constant the gradient is a_l (1[l not in S] - tau_k) (lem:loss-gradient).
  `discarded_mass` is the same sum for rows that already are probabilities (the sparsity loss);
  `tail_masses` gives tau_0..tau_m from one selection of the m largest (tau_m as in `tail_mass`,
  each smaller k adding its discarded head weights); `k_eps` reads the first k whose tail is at
  most eps off it.

    >>> s = torch.tensor([[2.0, 1.0, 0.0, -1.0], [0.0, 0.0, 0.0, 0.0]], dtype=torch.float64)
    >>> topk_mask(s, 1).tolist(), tail_mass(s, 2).round(decimals=6).tolist(), k_eps(s, 0.3).tolist()
    ([[True, False, False, False], [True, False, False, False]], [0.119203, 0.5], [2, 3])
"""

from __future__ import annotations

import torch

from .validate import as_k, as_open_unit, as_probability_rows, as_row_k, as_tensor, as_values_tensor


def _work(x: torch.Tensor) -> torch.Tensor:
    """x in the working dtype: its floating dtype promoted to at least float32; else float64."""
    if not x.is_floating_point():
        return x.to(torch.float64)
    return x.to(torch.promote_types(x.dtype, torch.float32))


def _descending(x: torch.Tensor):
    """(values, indices) of a stable descending sort: equal entries keep the lower index first."""
    return torch.sort(x, dim=-1, descending=True, stable=True)


def _head(key: torch.Tensor, m: int) -> torch.Tensor:
    """Indices of the m largest entries of each row of `key`, in descending order, ties to the lower
    index: torch.topk of min(m + 1, n) entries, and the rows where two of those are equal (topk orders
    equal values, and picks among them at the m-th, arbitrarily) redone by a stable sort."""
    n = key.shape[-1]
    rows = key.detach().reshape(-1, n)
    vals, idx = torch.topk(rows, min(m + 1, n), dim=-1)
    tied = (vals[:, 1:] == vals[:, :-1]).any(-1).nonzero().flatten()
    if tied.numel():
        idx[tied] = _descending(rows[tied]).indices[:, :idx.shape[-1]]
    return idx[:, :m].reshape(*key.shape[:-1], m)


def _mask(head: torch.Tensor, n: int, k) -> torch.Tensor:
    """The kept set: the first k of the `head` indices (k an int, or one k per row of (..., M, n))."""
    rank = torch.arange(head.shape[-1], device=head.device)
    keep = rank < (k if isinstance(k, int) else k.to(head.device)[:, None])
    mask = torch.zeros(*head.shape[:-1], n, dtype=torch.bool, device=head.device)
    return mask.scatter_(-1, head, keep.expand_as(head))


def _discarded(w: torch.Tensor, kept: torch.Tensor) -> torch.Tensor:
    """tau: the weights outside the kept set, summed directly (never 1 - kept mass); the same sum in
    the same order whatever the batch, or whether k is an int or one k per row."""
    return torch.where(kept, 0.0, w).sum(-1)


def _tails(w: torch.Tensor, head: torch.Tensor) -> torch.Tensor:
    """tau_0..tau_m for the m = head.shape[-1] indices `head`: tau_m = `_discarded` (0 when m = n),
    and tau_k = tau_m + (head weights k..m-1), added from the smallest up."""
    m = head.shape[-1]
    n = w.shape[-1]
    rest = w.new_zeros(w.shape[:-1]) if m == n else _discarded(w, _mask(head, n, m))
    return torch.cat([w.gather(-1, head), rest[..., None]], dim=-1).flip(-1).cumsum(-1).flip(-1)


def _upto(k) -> int:
    return k if isinstance(k, int) else int(k.max())


def softmax(scores: torch.Tensor) -> torch.Tensor:
    """a = softmax(s) along the last dimension.

    >>> softmax(torch.tensor([0.0, 0.0, 0.0, 0.0])).tolist()
    [0.25, 0.25, 0.25, 0.25]
    """
    return torch.softmax(_work(as_tensor(scores)), dim=-1)


def topk_mask(scores: torch.Tensor, k) -> torch.Tensor:
    """Boolean mask of the kept set S: the k largest scores, ties to the lower index.

    k: an int in [1, n], or a 1-D integer tensor of length M giving each row of (..., M, n) its k.

    >>> topk_mask(torch.tensor([1.0, 2.0, 2.0, 0.0]), 2).tolist()
    [False, True, True, False]
    >>> topk_mask(torch.tensor([[3.0, 1.0, 2.0], [3.0, 1.0, 2.0]]), torch.tensor([1, 2])).tolist()
    [[True, False, False], [True, False, True]]
    """
    s = as_tensor(scores)
    kk = as_row_k(k, tuple(s.shape))
    return _mask(_head(s, _upto(kk)), s.shape[-1], kk)


def tail_masses(scores: torch.Tensor, upto: int | None = None) -> torch.Tensor:
    """tau_k(softmax(s)) for k = 0, 1, ..., upto (default n): shape (..., upto + 1); tau_0 = 1, tau_n = 0.

    One selection of the `upto` largest scores serves every k <= upto.

    >>> [round(x, 6) for x in tail_masses(torch.log(torch.tensor([0.5, 0.125, 0.375]))).tolist()]
    [1.0, 0.5, 0.125, 0.0]
    >>> [round(x, 6) for x in tail_masses(torch.log(torch.tensor([0.5, 0.125, 0.375])), upto=1).tolist()]
    [1.0, 0.5]
    """
    s = _work(as_tensor(scores))
    n = s.shape[-1]
    m = n if upto is None else as_k(upto, n, "upto")
    return _tails(torch.softmax(s, dim=-1), _head(s, m))


def tail_mass(scores: torch.Tensor, k) -> torch.Tensor:
    """tau_k per row (def:tail-mass): the softmax mass outside the top-k set, summed directly.

    k: an int, or one k per query row (a 1-D integer tensor, as in `topk_mask`). Differentiable
    in the scores; shape scores.shape[:-1].

    >>> round(float(tail_mass(torch.tensor([2.0, 1.0, 0.0]), 1)), 6)
    0.334759
    """
    s = _work(as_tensor(scores))
    kk = as_row_k(k, tuple(s.shape))
    return _discarded(torch.softmax(s, dim=-1), _mask(_head(s, _upto(kk)), s.shape[-1], kk))


def discarded_mass(a: torch.Tensor, k, *, name: str = "attn") -> torch.Tensor:
    """tau_k of rows a that already are probabilities: the entries outside their top-k set
    (ties to the lower index) summed directly, in a's dtype promoted to at least float32.
    Differentiable in a: the gradient is 1 on the discarded entries, 0 on the kept ones.

    >>> round(discarded_mass(torch.tensor([[0.4, 0.4, 0.2]], dtype=torch.float64), 1).item(), 12)
    0.6
    """
    w = _work(as_probability_rows(a, name))
    kk = as_row_k(k, tuple(a.shape), name)
    return _discarded(w, _mask(_head(w, _upto(kk)), w.shape[-1], kk))


def k_eps_from_tails(tails: torch.Tensor, eps: float) -> torch.Tensor:
    """k_eps from the full output of `tail_masses` (upto = n): the number of k < n with tau_k > eps.

    >>> k_eps_from_tails(torch.tensor([1.0, 0.5, 0.125, 0.0]), 0.2).item()
    2
    """
    return (tails[..., :-1] > as_open_unit(eps, "eps")).sum(-1)


def k_eps(scores: torch.Tensor, eps: float) -> torch.Tensor:
    """k_eps = min{k : tau_k <= eps} per row: the fewest keys that carry 1 - eps of the mass.

    Scores of any size work (log-probabilities too: softmax is unchanged by a shift).

    >>> k_eps(torch.log(torch.tensor([0.5, 0.125, 0.375])), 0.2).item()
    2
    """
    e = as_open_unit(eps, "eps")
    return k_eps_from_tails(tail_masses(scores), e)


def topk_attention(scores: torch.Tensor, values: torch.Tensor, k) -> tuple[torch.Tensor, torch.Tensor]:
    """(o_hat, tau) per row: softmax over the kept scores times the values, and the discarded mass.

    k: an int, or one k per query row, as in `topk_mask`.

    >>> out, tau = topk_attention(torch.tensor([0.0, 0.0]), torch.tensor([[1.0], [3.0]]), 1)
    >>> out.tolist(), tau.item()
    ([1.0], 0.5)
    """
    s = _work(as_tensor(scores))
    V = as_values_tensor(values, s).to(s.dtype)
    kk = as_row_k(k, tuple(s.shape))
    kept = _mask(_head(s, _upto(kk)), s.shape[-1], kk)
    a_hat = torch.softmax(s.masked_fill(~kept, float("-inf")), dim=-1)
    return a_hat.unsqueeze(-2).matmul(V).squeeze(-2), _discarded(torch.softmax(s, dim=-1), kept)


def attention(scores: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """o = sum_j a_j v_j per row.

    >>> attention(torch.tensor([0.0, 0.0]), torch.tensor([[1.0], [3.0]])).tolist()
    [2.0]
    """
    s = _work(as_tensor(scores))
    V = as_values_tensor(values, s).to(s.dtype)
    return torch.softmax(s, dim=-1).unsqueeze(-2).matmul(V).squeeze(-2)
