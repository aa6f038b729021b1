"""Ball arithmetic (arb, through python-flint): attention with rigorous error bounds.

Every number is a ball [mid +/- rad] guaranteed to contain the exact value, so a
comparison of balls decides an inequality *only when certain*: `certainly_le(x, y)` is
True only if every point of x is <= every point of y. That makes these evaluations
certificates: a passing comparison is a proof for that input.

Inputs: float64 scores are dyadic rationals and convert to arb exactly; decimal constants
must be given as strings (arb("0.001")), never as binary floats, to mean what they say.

The row itself is `natsparse.numeric.mp`'s context-generic code run with `ARB`, the ball
context: the same body as the mpmath reference, in ball arithmetic.

    >>> b = topk_attention([2.0, 1.0, 0.0], k=2)
    >>> b.kept, certainly_lt(b.tau, exact("0.0901")), certainly_lt(exact("0.0900"), b.tau)
    ([0, 1], True, True)
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flint import arb, ctx

from .mp import SparseRow, ctx_logsumexp, ctx_softmax, threshold_row, topk_row
from .validate import as_dps, as_scores

DPS = 50


@contextmanager
def precision(dps: int) -> Iterator[None]:
    """Set arb's working precision to `dps` decimal digits (restored on exit).

    >>> with precision(30):
    ...     (arb(1) / 3).rad() < arb("1e-30")
    True
    """
    old = ctx.prec
    ctx.prec = int(math.ceil(as_dps(dps) * math.log2(10))) + 10
    try:
        yield
    finally:
        ctx.prec = old


def exact(x) -> arb:
    """An exact ball for a float64 (dyadic), an int, or a decimal string.

    >>> exact(0.5), exact("0.1").is_exact()
    (0.500000000000000, False)
    """
    if isinstance(x, str | int):
        return arb(x)
    f = float(x)
    if not math.isfinite(f):
        raise ValueError(f"cannot make an exact ball of {f}")
    return arb(f)


def certainly_le(x: arb, y: arb) -> bool:
    """True only if x <= y is certain (balls: every point of x <= every point of y).

    >>> certainly_le(exact("0.1"), exact("0.1")), certainly_le(exact(0.5), exact(0.5))
    (False, True)
    """
    return bool(x <= y)


def certainly_lt(x: arb, y: arb) -> bool:
    """True only if x < y is certain.

    >>> certainly_lt(exact(1), exact(2)), certainly_lt(exact(2), exact(2))
    (True, False)
    """
    return bool(x < y)


@dataclass(frozen=True)
class SparseBall(SparseRow):
    """One row of top-k / threshold attention in balls (the fields of `numeric.mp.SparseRow`).

    >>> b = topk_attention([0.0, 0.0, -1e4], [[1.0], [3.0], [5.0]], k=2)
    >>> b.kept, b.output_hat[0].contains(exact(2)), certainly_lt(b.tau, exact("1e-4000"))
    ([0, 1], True, True)
    """


def _sum(balls) -> arb:
    total = arb(0)
    for b in balls:
        total += b
    return total


class ArbContext:
    """The ball context of the generic row functions (see `numeric.mp.MPContext`): a float64
    converts exactly, and a comparison is decided only when certain (else None).

    >>> ARB.ge(exact(1), exact("0.5")), ARB.ge(exact("0.1"), exact("0.1"))
    (True, None)
    """

    Row = SparseBall
    precision = staticmethod(precision)
    convert, zero, fsum = map(staticmethod, (arb, arb, _sum))
    exp = staticmethod(lambda x: x.exp())
    log = staticmethod(lambda x: x.log())
    dot = staticmethod(lambda xs, ys: _sum(x * y for x, y in zip(xs, ys, strict=True)))
    max = staticmethod(lambda xs: max(xs, key=lambda b: b.mid()))
    ge = staticmethod(lambda x, y: True if x >= y else (False if x < y else None))
    show = staticmethod(lambda x: x.str(6))


ARB = ArbContext()


def logsumexp(scores, *, dps: int = DPS) -> arb:
    """A ball containing log sum_j exp(s_j).

    >>> lse = logsumexp([0.0, 0.0])   # log 2
    >>> certainly_lt(exact("0.6931"), lse) and certainly_lt(lse, exact("0.6932"))
    True
    """
    s = as_scores(scores)
    with precision(dps):
        return ctx_logsumexp(ARB, [exact(x) for x in s])


def softmax(scores, *, dps: int = DPS) -> list[arb]:
    """Balls containing a_j = exp(s_j - LSE).

    >>> [a.contains(exact(0.25)) for a in softmax([0.0, 0.0, 0.0, 0.0])]
    [True, True, True, True]
    """
    s = as_scores(scores)
    with precision(dps):
        return ctx_softmax(ARB, [exact(x) for x in s])


def topk_attention(scores, values=None, *, k: int, dps: int = DPS) -> SparseBall:
    """Top-k attention of one row in balls.

    >>> topk_attention([1.0, 2.0, 2.0, 2.0, 0.0], k=2).kept
    [1, 2]
    """
    return topk_row(ARB, scores, values, k, dps)


def tail_mass(scores, *, k: int, dps: int = DPS) -> arb:
    """A ball containing tau_k(s).

    >>> tau = tail_mass([0.0, -100.0], k=1)
    >>> certainly_lt(exact("3.7200e-44"), tau) and certainly_lt(tau, exact("3.7201e-44"))
    True
    """
    return topk_attention(scores, k=k, dps=dps).tau


def threshold_attention(scores, values=None, *, eps: float, dps: int = DPS) -> SparseBall:
    """Threshold attention in balls; a weight whose ball straddles eps cannot be decided and
    raises ValueError (never silently kept or dropped).

    >>> threshold_attention([0.0, 0.0, -50.0], eps=0.25).kept
    [0, 1]
    >>> threshold_attention([0.0, 0.0], eps=0.5)
    Traceback (most recent call last):
    ...
    ValueError: a_0 cannot be compared with eps=0.5 at 50 digits
    """
    return threshold_row(ARB, scores, values, eps, dps)
