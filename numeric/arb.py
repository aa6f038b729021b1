"""Ball arithmetic (arb, through python-flint): attention with rigorous error bounds.

Every number is a ball [mid +/- rad] guaranteed to contain the exact value, so a
comparison of balls decides an inequality *only when certain*: `certainly_le(x, y)` is
True only if every point of x is <= every point of y. That makes these evaluations
certificates: a passing comparison is a proof for that input.

Inputs: float64 scores are dyadic rationals and convert to arb exactly; decimal constants
must be given as strings (arb("0.001")), never as binary floats, to mean what they say.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from flint import arb, ctx

from .validate import as_dps, as_k, as_open_unit, as_scores, as_values, topk_indices

DPS = 50


@contextmanager
def precision(dps: int) -> Iterator[None]:
    """Set arb's working precision to `dps` decimal digits (restored on exit)."""
    old = ctx.prec
    ctx.prec = int(math.ceil(as_dps(dps) * math.log2(10))) + 10
    try:
        yield
    finally:
        ctx.prec = old


def exact(x) -> arb:
    """An exact ball for a float64 (dyadic), an int, or a decimal string."""
    if isinstance(x, str | int):
        return arb(x)
    f = float(x)
    if not math.isfinite(f):
        raise ValueError(f"cannot make an exact ball of {f}")
    return arb(f)


def certainly_le(x: arb, y: arb) -> bool:
    """True only if x <= y is certain (balls: every point of x <= every point of y)."""
    return bool(x <= y)


def certainly_lt(x: arb, y: arb) -> bool:
    """True only if x < y is certain."""
    return bool(x < y)


@dataclass(frozen=True)
class SparseBall:
    """One row of top-k / threshold attention in balls (see `numeric.mp.SparseRow`)."""

    weights: list
    weights_hat: list
    kept: list[int]
    tau: arb
    lse: arb
    lse_kept: arb
    output: list | None
    output_hat: list | None


def _lse(xs: list[arb]) -> arb:
    m = max(xs, key=lambda b: b.mid())
    return m + _sum((x - m).exp() for x in xs).log()


def logsumexp(scores, *, dps: int = DPS) -> arb:
    """A ball containing log sum_j exp(s_j)."""
    s = as_scores(scores)
    with precision(dps):
        return _lse([exact(x) for x in s])


def softmax(scores, *, dps: int = DPS) -> list[arb]:
    """Balls containing a_j = exp(s_j - LSE)."""
    s = as_scores(scores)
    with precision(dps):
        xs = [exact(x) for x in s]
        lse = _lse(xs)
        return [(x - lse).exp() for x in xs]


def _sparse(s: np.ndarray, V, kept: list[int], dps: int) -> SparseBall:
    """One exponential per score, shifted by the maximum score (which every kept set holds:
    the top-k set and the threshold set both contain the argmax), so nothing overflows."""
    with precision(dps):
        xs = [arb(x) for x in s.tolist()]          # a float64 is a dyadic rational: exact
        m = xs[int(np.argmax(s))]
        e = [(x - m).exp() for x in xs]
        keep = set(kept)
        z_kept, z_tail = _sum(e[j] for j in kept), _sum(e[j] for j in range(len(s)) if j not in keep)
        z = z_kept + z_tail
        a = [ej / z for ej in e]
        a_hat = [e[j] / z_kept if j in keep else arb(0) for j in range(len(s))]
        out = out_hat = None
        if V is not None:
            cols = [[arb(x) for x in V[:, c].tolist()] for c in range(V.shape[1])]
            out = [_sum(aj * vj for aj, vj in zip(a, col, strict=True)) for col in cols]
            out_hat = [_sum(a_hat[j] * col[j] for j in kept) for col in cols]
        return SparseBall(a, a_hat, sorted(kept), z_tail / z, m + z.log(), m + z_kept.log(),
                          out, out_hat)


def _sum(balls) -> arb:
    total = arb(0)
    for b in balls:
        total += b
    return total


def topk_attention(scores, values=None, *, k: int, dps: int = DPS) -> SparseBall:
    """Top-k attention of one row in balls."""
    s = as_scores(scores)
    V = None if values is None else as_values(values, len(s))
    return _sparse(s, V, topk_indices(s, as_k(k, len(s))), as_dps(dps))


def tail_mass(scores, *, k: int, dps: int = DPS) -> arb:
    """A ball containing tau_k(s)."""
    return topk_attention(scores, k=k, dps=dps).tau


def threshold_attention(scores, values=None, *, eps: float, dps: int = DPS) -> SparseBall:
    """Threshold attention in balls; a weight whose ball straddles eps cannot be decided and
    raises ValueError (never silently kept or dropped)."""
    s = as_scores(scores)
    e = as_open_unit(eps, "eps")
    V = None if values is None else as_values(values, len(s))
    d = as_dps(dps)
    with precision(d):
        a = softmax(s, dps=d)
        eb = exact(e)
        kept = []
        for j, aj in enumerate(a):
            if aj >= eb:
                kept.append(j)
            elif not aj < eb:
                raise ValueError(f"a_{j} cannot be compared with eps={e} at {d} digits")
        if not kept:
            raise ValueError(f"eps={e} exceeds every attention weight; nothing would be kept")
    return _sparse(s, V, kept, d)
