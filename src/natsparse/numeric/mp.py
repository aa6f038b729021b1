"""High-precision reference evaluation of attention in mpmath (default 50 digits).

Scores and values are taken exactly (a float64 is a dyadic rational, and mpmath holds it
exactly); all exponentials are shifted by the maximum score so nothing overflows, and
the tail mass is summed directly (never as 1 - head) so a tiny tau keeps its digits.

The sparse row is written once, against a small context (DESIGN.md, after mpmath's ctx-generic
functions): `sparse_row`, `topk_row`, `threshold_row`, `ctx_logsumexp` and `ctx_softmax` take a
`ctx` that converts a float64 exactly and provides exp, log, fsum, dot, max and a comparison that
may answer "undecided". `MP` is the mpmath context; `natsparse.numeric.arb` runs the same bodies
with its ball context, so the two evaluations differ only in their arithmetic.

    >>> r = topk_attention([2.0, 1.0, 0.0], [[1.0], [0.0], [-1.0]], k=2)
    >>> r.kept, mpmath.nstr(r.tau, 10), mpmath.nstr(r.output_hat[0], 10)
    ([0, 1], '0.09003057317', '0.7310585786')
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

    >>> r = topk_attention([0.0, 0.0, -1e4], [[1.0], [3.0], [5.0]], k=2)
    >>> r.kept, [mpmath.nstr(w, 3) for w in r.weights_hat], mpmath.nstr(r.output_hat[0], 6)
    ([0, 1], ['0.5', '0.5', '0.0'], '2.0')
    """

    weights: list
    weights_hat: list
    kept: list[int]
    tau: object
    lse: object
    lse_kept: object
    output: list | None
    output_hat: list | None


class MPContext:
    """The mpmath context of the generic row functions: exact conversion of a float64, exp, log,
    an accurate sum and dot product, the maximum, and comparisons (always decided for points).

    >>> with MP.precision(30):
    ...     mpmath.nstr(MP.fsum([MP.exp(MP.convert(0.0)), MP.convert(0.5)]), 5)
    '1.5'
    """

    Row = SparseRow
    precision = staticmethod(mpmath.workdps)
    convert = staticmethod(mpmath.mpf)
    exp, log, fsum, dot, max = map(staticmethod, (mpmath.exp, mpmath.log, mpmath.fsum, mpmath.fdot, max))
    zero = staticmethod(lambda: mpmath.mpf(0))
    ge = staticmethod(lambda x, y: bool(x >= y))
    show = staticmethod(lambda x: mpmath.nstr(x, 6))


MP = MPContext()


# --- the context-generic row -----------------------------------------------------------------


def ctx_logsumexp(ctx, xs: list):
    """log sum_j exp(x_j), shifted by the maximum (no overflow).

    >>> with MP.precision(20):
    ...     mpmath.nstr(ctx_logsumexp(MP, [MP.convert(0.0), MP.convert(0.0)]), 10)
    '0.6931471806'
    """
    m = ctx.max(xs)
    return m + ctx.log(ctx.fsum(ctx.exp(x - m) for x in xs))


def ctx_softmax(ctx, xs: list) -> list:
    """a_j = exp(x_j - LSE).

    >>> with MP.precision(20):
    ...     [mpmath.nstr(a, 5) for a in ctx_softmax(MP, [MP.convert(0.0), MP.convert(0.0)])]
    ['0.5', '0.5']
    """
    lse = ctx_logsumexp(ctx, xs)
    return [ctx.exp(x - lse) for x in xs]


def sparse_row(ctx, s: np.ndarray, V, kept: list[int], dps: int):
    """The row of validated scores s (values V or None) that keeps `kept`, as a `ctx.Row`.

    One exponential per score, shifted by the maximum score (which every kept set holds: the
    top-k set and the threshold set both contain the argmax), so nothing overflows.

    >>> mpmath.nstr(sparse_row(MP, np.array([0.0, 0.0]), None, [0], 20).tau, 5)
    '0.5'
    """
    with ctx.precision(dps):
        xs = [ctx.convert(x) for x in s.tolist()]   # a float64 is held exactly
        m = xs[int(np.argmax(s))]
        e = [ctx.exp(x - m) for x in xs]
        keep = set(kept)
        z_kept = ctx.fsum(e[j] for j in kept)
        z_tail = ctx.fsum(e[j] for j in range(len(s)) if j not in keep)
        z = z_kept + z_tail
        a = [ej / z for ej in e]
        a_hat = [e[j] / z_kept if j in keep else ctx.zero() for j in range(len(s))]
        out = out_hat = None
        if V is not None:
            cols = [[ctx.convert(x) for x in V[:, c].tolist()] for c in range(V.shape[1])]
            out = [ctx.dot(a, col) for col in cols]
            out_hat = [ctx.fsum(a_hat[j] * col[j] for j in kept) for col in cols]
        return ctx.Row(a, a_hat, sorted(kept), z_tail / z, m + ctx.log(z), m + ctx.log(z_kept), out, out_hat)


def topk_row(ctx, scores, values, k: int, dps: int):
    """Top-k attention of one row (def:topk-attention) in the context `ctx`.

    >>> topk_row(MP, [1.0, 3.0, 3.0], None, 2, 20).kept
    [1, 2]
    """
    s = as_scores(scores)
    kk = as_k(k, len(s))
    V = None if values is None else as_values(values, len(s))
    return sparse_row(ctx, s, V, topk_indices(s, kk), as_dps(dps))


def threshold_row(ctx, scores, values, eps: float, dps: int):
    """Threshold attention of one row (def:threshold-attention) in the context `ctx`: keep
    {j : a_j >= eps}. A comparison that the context cannot decide raises ValueError (never a key
    silently kept or dropped), and so does an eps above every weight (nothing would be kept).

    >>> threshold_row(MP, [0.0, 0.0, -50.0], None, 0.25, 20).kept
    [0, 1]
    """
    s = as_scores(scores)
    e = as_open_unit(eps, "eps")
    V = None if values is None else as_values(values, len(s))
    d = as_dps(dps)
    with ctx.precision(d):
        a = ctx_softmax(ctx, [ctx.convert(x) for x in s.tolist()])
        eb = ctx.convert(e)
        kept = []
        for j, aj in enumerate(a):
            verdict = ctx.ge(aj, eb)
            if verdict is None:
                raise ValueError(f"a_{j} cannot be compared with eps={e} at {d} digits")
            if verdict:
                kept.append(j)
        if not kept:
            raise ValueError(f"eps={e} exceeds the largest attention weight {ctx.show(ctx.max(a))}; "
                             f"threshold attention would keep no key (use eps <= 1/n)")
    return sparse_row(ctx, s, V, kept, d)


# --- mpmath ------------------------------------------------------------------------------------


def logsumexp(scores, *, dps: int = DPS) -> mpmath.mpf:
    """LSE = log sum_j exp(s_j).

    >>> mpmath.nstr(logsumexp([1e4, 1e4]), 15)
    '10000.6931471806'
    """
    s = as_scores(scores)
    with mpmath.workdps(as_dps(dps)):
        return +ctx_logsumexp(MP, [MP.convert(x) for x in s.tolist()])


def softmax(scores, *, dps: int = DPS) -> list:
    """a_j = exp(s_j - LSE) (def:attention).

    >>> [mpmath.nstr(a, 6) for a in softmax([0.0, 0.0, 0.0, 0.0])]
    ['0.25', '0.25', '0.25', '0.25']
    """
    s = as_scores(scores)
    with mpmath.workdps(as_dps(dps)):
        return ctx_softmax(MP, [MP.convert(x) for x in s.tolist()])


def attention(scores, values, *, dps: int = DPS) -> list:
    """o = sum_j a_j v_j, a list of dv numbers.

    >>> [mpmath.nstr(x, 6) for x in attention([0.0, 0.0], [[1.0, 0.0], [3.0, 2.0]])]
    ['2.0', '1.0']
    """
    s = as_scores(scores)
    V = as_values(values, len(s))
    with mpmath.workdps(as_dps(dps)):
        a = softmax(s, dps=dps)
        return [mpmath.fsum(a[j] * mpmath.mpf(float(V[j, c])) for j in range(len(s)))
                for c in range(V.shape[1])]


def topk_attention(scores, values=None, *, k: int, dps: int = DPS) -> SparseRow:
    """Top-k attention of one row (def:topk-attention), with its exact tail mass.

    >>> r = topk_attention([1e4, 1e4 - 1, -1e4, 0.0], k=1)
    >>> r.kept, mpmath.nstr(r.tau, 12)   # 1/(1 + e) + O(e^-10000)
    ([0], '0.26894142137')
    """
    return topk_row(MP, scores, values, k, dps)


def tail_mass(scores, *, k: int, dps: int = DPS):
    """tau_k(s) = sum_{j not in S} a_j (def:tail-mass).

    >>> mpmath.nstr(tail_mass([0.0, -100.0], k=1), 10)   # e^-100 / (1 + e^-100)
    '3.720075976e-44'
    """
    return topk_attention(scores, k=k, dps=dps).tau


def threshold_attention(scores, values=None, *, eps: float, dps: int = DPS) -> SparseRow:
    """Keep {j : a_j >= eps} and renormalise (def:threshold-attention).

    Raises ValueError when eps exceeds the largest weight (nothing would be kept); eps <= 1/n
    always keeps at least one key.

    >>> threshold_attention(np.log([0.5, 0.25, 0.125, 0.125]), eps=0.2).kept
    [0, 1]
    """
    return threshold_row(MP, scores, values, eps, dps)


def count_above(scores, *, eps: float, dps: int = DPS) -> int:
    """The number of weights a_j > eps: a row is (eps,k)-sparse iff it is <= k (def:eps-k-sparse).

    >>> count_above([0.0, 0.0, -10.0], eps=0.1)
    2
    """
    e = as_open_unit(eps, "eps")
    d = as_dps(dps)
    with mpmath.workdps(d):
        return sum(1 for x in softmax(scores, dps=d) if x > mpmath.mpf(e))


def sparsity_loss(score_rows, *, k: int, dps: int = DPS):
    """L_k(A) = mean over rows of tau_k (def:sparsity-loss), for a list of score rows.

    >>> mpmath.nstr(sparsity_loss([[0.0, 0.0], [0.0, 0.0, 0.0, 0.0]], k=1), 6)   # (1/2 + 3/4) / 2
    '0.625'
    """
    rows = list(score_rows)
    if not rows:
        raise ValueError("score_rows must contain at least one row")
    d = as_dps(dps)
    with mpmath.workdps(d):
        return mpmath.fsum(tail_mass(r, k=k, dps=d) for r in rows) / len(rows)
