"""Certificates that the numeric implementations compute the SymPy definitions.

For each definition of THEORY.md, SymPy evaluates the defining formula *exactly* on small
rows of rational scores (exp and log of rationals, the kept set by brute force over all
k-subsets, comparisons decided by SymPy), and the arb implementation of `numeric.arb` /
`numeric.mp` must agree: each arb ball comes within 1e-75 of SymPy's value (80 digits), each
kept set and count is identical. This ties the code every check uses to the definitions
the proofs use.

Registering is cheap: numpy, flint and the numeric layer are imported by the checks when they
run, not when this module is imported (SymPy and mpmath come with `natsparse.proofs` anyway).
"""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations
from typing import TYPE_CHECKING

import mpmath
import sympy as sp

from natsparse.proofs import Outcome, register

if TYPE_CHECKING:
    import numpy as np
    from flint import arb as Arb

ROWS = [
    [Fraction(1, 2), Fraction(-3, 4), Fraction(5, 8)],
    [Fraction(2), Fraction(2), Fraction(-1), Fraction(0)],          # a tie in the top set
    [Fraction(0)] * 5,                                            # all equal
    [Fraction(7), Fraction(-7), Fraction(1, 16), Fraction(1, 16), Fraction(3)],
    [Fraction(-3, 2)],
]
# Dyadic eps, so that the float passed to the implementation is exactly the rational SymPy uses.
EPS = [Fraction(1, 4), Fraction(1, 16), Fraction(1, 8), Fraction(1, 128), Fraction(1, 2)]
DOMAIN = f"{len(ROWS)} rational rows (n = 1..5, ties included), every k"


def _encloses(ball: Arb, value: sp.Expr) -> bool:
    """The arb ball meets SymPy's value (evaluated to 80 digits, a ball of radius 1e-75): the
    implementation's result is within 1e-75 of the exact value of the definition."""
    from flint import arb as Arb

    from natsparse.numeric import arb as ab

    with ab.precision(90):
        return bool(ball.overlaps(Arb(str(sp.N(value, 80)), "1e-75")))


def _sym_row(row):
    s = [sp.Rational(x.numerator, x.denominator) for x in row]
    Z = sum(sp.exp(x) for x in s)
    return s, Z, [sp.exp(x) / Z for x in s]


def _brute_topk(s, k: int) -> list[int]:
    """The k-set of largest score sum; among equal sums, the lexicographically first (ties to
    the lower index), found without sorting."""
    best = None
    for S in combinations(range(len(s)), k):
        total = sum(s[j] for j in S)
        if best is None or total > best[0]:
            best = (total, S)
    return list(best[1])


def _floats(row) -> np.ndarray:
    import numpy as np

    return np.array([float(x) for x in row])


#: What each tool's agreement means, for the outcome's detail (it names the tool it is registered with).
AGREEMENT = {"sympy+arb": "arb's balls meet SymPy's exact values",
             "sympy+mpmath": "the 50-digit mpmath values meet SymPy's exact values "
                             "(sets and counts identical, a value within 1e-45)"}


def _check(fn, tool: str):
    def run() -> Outcome:
        cases = 0
        for row, eps in zip(ROWS, EPS, strict=True):
            cases += fn(row, eps)
        return Outcome(True, f"{AGREEMENT[tool]} on {cases} cases ({DOMAIN})")
    return run


def _attention(row, _eps) -> int:
    import numpy as np

    from natsparse.numeric import arb as ab

    s, Z, a = _sym_row(row)
    balls = ab.softmax(_floats(row))
    v = [sp.Rational(j + 1, 4) * (-1) ** j for j in range(len(s))]  # dyadic: exact as floats
    out = ab.topk_attention(_floats(row), np.array([float(x) for x in v]), k=len(s))
    assert all(_encloses(b, x) for b, x in zip(balls, a, strict=True)), "softmax"
    assert _encloses(ab.logsumexp(_floats(row)), sp.log(Z)), "LSE"
    assert _encloses(out.output[0], sum(aj * vj for aj, vj in zip(a, v, strict=True))), "o"
    return 1


def _topk(row, _eps) -> int:
    from natsparse.numeric import arb as ab

    s, _Z, _a = _sym_row(row)
    for k in range(1, len(s) + 1):
        S = _brute_topk(s, k)
        b = ab.topk_attention(_floats(row), k=k)
        assert b.kept == S, f"kept set {b.kept} != {S}"
        ZS = sum(sp.exp(s[j]) for j in S)
        assert all(_encloses(b.weights_hat[j], sp.exp(s[j]) / ZS if j in S else sp.Integer(0))
                   for j in range(len(s))), "a_hat"
    return len(s)


def _tail(row, _eps) -> int:
    from natsparse.numeric import arb as ab

    s, _Z, a = _sym_row(row)
    for k in range(1, len(s) + 1):
        S = _brute_topk(s, k)
        tau = sum((a[j] for j in range(len(s)) if j not in S), sp.Integer(0))
        assert _encloses(ab.tail_mass(_floats(row), k=k), tau), "tau"
    return len(s)


def _eps_k(row, eps) -> int:
    from natsparse.numeric import mp

    _s, _Z, a = _sym_row(row)
    e = sp.Rational(eps.numerator, eps.denominator)
    count = sum(1 for x in a if (x - e).is_positive)
    assert mp.count_above(_floats(row), eps=float(eps)) == count, "count above eps"
    return 1


def _threshold(row, eps) -> int:
    from natsparse.numeric import arb as ab

    s, Z, _a = _sym_row(row)
    e = sp.Rational(eps.numerator, eps.denominator)
    kept = [j for j in range(len(s)) if (s[j] - sp.log(Z) - sp.log(e)).is_nonnegative]
    if not kept:
        return 0
    assert ab.threshold_attention(_floats(row), eps=float(eps)).kept == kept, "threshold set"
    return 1


def _loss(row, _eps) -> int:
    from flint import arb as Arb

    from natsparse.numeric import arb as ab
    from natsparse.numeric import mp

    rows = [row, row[::-1], [x / 2 for x in row]]
    k = max(1, len(row) // 2)
    taus = []
    for r in rows:
        s, _Z, a = _sym_row(r)
        S = _brute_topk(s, k)
        taus.append(sum((a[j] for j in range(len(s)) if j not in S), sp.Integer(0)))
    value = mp.sparsity_loss([_floats(r) for r in rows], k=k)
    with ab.precision(60):
        assert _encloses(Arb(mpmath.nstr(value, 55), "1e-45"), sum(taus) / 3), "L_k"
    return 1


for _id, _fn, _tool in [
    ("def:attention", _attention, "sympy+arb"), ("def:topk-attention", _topk, "sympy+arb"),
    ("def:tail-mass", _tail, "sympy+arb"), ("def:eps-k-sparse", _eps_k, "sympy+mpmath"),
    ("def:threshold-attention", _threshold, "sympy+arb"), ("def:sparsity-loss", _loss, "sympy+mpmath"),
]:
    register(_id, level="verified", tool=_tool, domain=DOMAIN, scope={"rational_rows": len(ROWS)},
             name=f"definition:{_id}")(_check(_fn, _tool))
