"""High-precision reference evaluation of attention in mpmath (default 50 digits).

Scores and values are taken exactly (a float64 is a dyadic rational, and mpmath holds it
exactly); all exponentials are shifted by the maximum score so nothing overflows, and
the tail mass is summed directly (never as 1 - head) so a tiny tau keeps its digits.
"""

from __future__ import annotations

from dataclasses import dataclass

import mpmath
import numpy as np

from .validate import as_dps, as_k, as_open_unit, as_scores, as_values, topk_indices

DPS = 50


@dataclass(frozen=True)
class SparseRow:
    """One row of a sparse (top-k or threshold) attention evaluated exactly.

    `weights` and `weights_hat` are a and a_hat; `output`/`output_hat` are o and o_hat
    (None without values); `tau` the discarded mass; `kept` the kept indices.
    """

    weights: list
    weights_hat: list
    kept: list[int]
    tau: object
    lse: object
    lse_kept: object
    output: list | None
    output_hat: list | None


def _logsumexp(xs) -> mpmath.mpf:
    m = max(xs)
    return m + mpmath.log(mpmath.fsum(mpmath.exp(x - m) for x in xs))


def logsumexp(scores, *, dps: int = DPS) -> mpmath.mpf:
    """LSE = log sum_j exp(s_j)."""
    s = as_scores(scores)
    with mpmath.workdps(as_dps(dps)):
        return +_logsumexp([mpmath.mpf(float(x)) for x in s])


def softmax(scores, *, dps: int = DPS) -> list:
    """a_j = exp(s_j - LSE) (def:attention)."""
    s = as_scores(scores)
    with mpmath.workdps(as_dps(dps)):
        xs = [mpmath.mpf(float(x)) for x in s]
        lse = _logsumexp(xs)
        return [mpmath.exp(x - lse) for x in xs]


def attention(scores, values, *, dps: int = DPS) -> list:
    """o = sum_j a_j v_j, a list of dv numbers."""
    s = as_scores(scores)
    V = as_values(values, len(s))
    with mpmath.workdps(as_dps(dps)):
        a = softmax(s, dps=dps)
        return [mpmath.fsum(a[j] * mpmath.mpf(float(V[j, c])) for j in range(len(s)))
                for c in range(V.shape[1])]


def _sparse(s, V, kept: list[int], dps: int) -> SparseRow:
    """One exponential per score, shifted by the maximum score (which every kept set holds:
    the top-k set and the threshold set both contain the argmax), so nothing overflows."""
    with mpmath.workdps(dps):
        xs = [mpmath.mpf(x) for x in s.tolist()]   # a float64 is held exactly
        m = xs[int(np.argmax(s))]
        e = [mpmath.exp(x - m) for x in xs]
        keep = set(kept)
        z_kept = mpmath.fsum(e[j] for j in kept)
        z_tail = mpmath.fsum(e[j] for j in range(len(s)) if j not in keep)
        z = z_kept + z_tail
        a = [ej / z for ej in e]
        a_hat = [e[j] / z_kept if j in keep else mpmath.mpf(0) for j in range(len(s))]
        out = out_hat = None
        if V is not None:
            cols = [[mpmath.mpf(x) for x in V[:, c].tolist()] for c in range(V.shape[1])]
            out = [mpmath.fdot(a, col) for col in cols]
            out_hat = [mpmath.fsum(a_hat[j] * col[j] for j in kept) for col in cols]
        return SparseRow(a, a_hat, sorted(kept), z_tail / z, m + mpmath.log(z),
                         m + mpmath.log(z_kept), out, out_hat)


def topk_attention(scores, values=None, *, k: int, dps: int = DPS) -> SparseRow:
    """Top-k attention of one row (def:topk-attention), with its exact tail mass."""
    s = as_scores(scores)
    kk = as_k(k, len(s))
    V = None if values is None else as_values(values, len(s))
    return _sparse(s, V, topk_indices(s, kk), as_dps(dps))


def tail_mass(scores, *, k: int, dps: int = DPS):
    """tau_k(s) = sum_{j not in S} a_j (def:tail-mass)."""
    return topk_attention(scores, k=k, dps=dps).tau


def threshold_attention(scores, values=None, *, eps: float, dps: int = DPS) -> SparseRow:
    """Keep {j : a_j >= eps} and renormalise (def:threshold-attention).

    Raises ValueError when eps exceeds the largest weight (nothing would be kept); eps <= 1/n
    always keeps at least one key.
    """
    s = as_scores(scores)
    e = as_open_unit(eps, "eps")
    V = None if values is None else as_values(values, len(s))
    d = as_dps(dps)
    with mpmath.workdps(d):
        a = softmax(s, dps=d)
        kept = [j for j, aj in enumerate(a) if aj >= mpmath.mpf(e)]
        if not kept:
            raise ValueError(f"eps={e} exceeds the largest attention weight {mpmath.nstr(max(a), 6)};"
                             f" threshold attention would keep no key (use eps <= 1/n)")
    return _sparse(s, V, kept, d)


def count_above(scores, *, eps: float, dps: int = DPS) -> int:
    """The number of weights a_j > eps: a row is (eps,k)-sparse iff it is <= k (def:eps-k-sparse)."""
    e = as_open_unit(eps, "eps")
    d = as_dps(dps)
    with mpmath.workdps(d):
        return sum(1 for x in softmax(scores, dps=d) if x > mpmath.mpf(e))


def sparsity_loss(score_rows, *, k: int, dps: int = DPS):
    """L_k(A) = mean over rows of tau_k (def:sparsity-loss), for a list of score rows."""
    rows = list(score_rows)
    if not rows:
        raise ValueError("score_rows must contain at least one row")
    d = as_dps(dps)
    with mpmath.workdps(d):
        return mpmath.fsum(tail_mass(r, k=k, dps=d) for r in rows) / len(rows)
