"""A small, sound positivity prover for rational functions over the nonnegative orthant.

`nonnegative_on_orthant(expr, positive, nonnegative)` returns True only when, after
`together`, numerator and denominator expand to polynomials whose coefficients are all
>= 0 and the denominator has a monomial in the strictly positive variables alone. Then
numerator >= 0 and denominator > 0 wherever positive > 0 and nonnegative >= 0, so the
expression is >= 0 there. It is incomplete (False means "not proved", not "false"), which
is what a certificate needs.

Why a parametrisation works for attention: sorted positive weights
w_1 >= ... >= w_n > 0 are exactly w_j = x + d_j + ... + d_{n-1} with x > 0, d >= 0 (see
`sorted_weights`), and every deterministic bound in THEORY.md compares sums of such w.
"""

from __future__ import annotations

import sympy as sp


def sorted_weights(n: int) -> tuple[list[sp.Expr], sp.Symbol, list[sp.Symbol]]:
    """w_1 >= ... >= w_n > 0 written as w_j = x + sum_{i>=j} d_i; returns (w, x, d).

    >>> sorted_weights(3)
    ([d1 + d2 + x, d2 + x, x], x, [d1, d2])
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    x = sp.Symbol("x", positive=True)
    d = list(sp.symbols(f"d1:{n}", nonnegative=True)) if n > 1 else []
    w = [x + sum(d[j:], sp.Integer(0)) for j in range(n)]
    return w, x, d


def nonnegative_on_orthant(expr: sp.Expr, positive: list[sp.Symbol],
                           nonnegative: list[sp.Symbol]) -> bool:
    """True if `expr` is provably >= 0 for positive > 0 and nonnegative >= 0 (see module doc).

    >>> w, x, d = sorted_weights(3)
    >>> nonnegative_on_orthant(w[0] / sum(w) - w[1] / sum(w), [x], d)  # a_1 >= a_2
    True
    >>> nonnegative_on_orthant(w[1] - w[0], [x], d)  # false, so not proved
    False
    """
    gens = list(positive) + list(nonnegative)
    num, den = sp.fraction(sp.together(sp.sympify(expr)))
    num, den = sp.expand(num), sp.expand(den)
    if den.is_number and den.is_negative:
        num, den = -num, -den
    try:
        pn, pd = sp.Poly(num, *gens), sp.Poly(den, *gens)
    except sp.PolynomialError:
        return False
    if any(c < 0 for c in pn.coeffs()) or any(c < 0 for c in pd.coeffs()):
        return False
    # den > 0: some monomial with positive coefficient uses only the strictly positive variables.
    npos = len(positive)
    return any(c > 0 and all(e == 0 for e in mon[npos:]) for mon, c in pd.terms())


def nonnegative_by_assumptions(expr: sp.Expr, strict: bool = False) -> bool:
    """True if `expr` is provably >= 0 (> 0 when `strict`) from the assumptions of its symbols alone.

    Every free symbol must be declared nonnegative or positive (as the general proofs declare their
    sizes, weights and slacks); then the orthant certificate of `nonnegative_on_orthant` applies with
    the positive symbols as the strictly positive variables. With `strict`, the numerator must also
    have a monomial in the positive symbols alone, so that it is > 0 as well. Sound and incomplete,
    like the certificate it rests on: False means "not proved".

    >>> x, y = sp.symbols("x y", positive=True)
    >>> z = sp.Symbol("z", nonnegative=True)
    >>> nonnegative_by_assumptions(z / (x + z)), nonnegative_by_assumptions(z / (x + z), strict=True)
    (True, False)
    >>> nonnegative_by_assumptions(x * y / (x + z) + 1, strict=True), nonnegative_by_assumptions(x - y)
    (True, False)
    >>> nonnegative_by_assumptions(sp.Symbol("r", real=True) ** 2)  # a real symbol: no orthant, not proved
    False
    """
    expr = sp.together(sp.sympify(expr))
    if expr.is_number:
        return bool(expr.is_positive if strict else expr.is_nonnegative)
    symbols = sorted(expr.free_symbols, key=str)
    if not all(sym.is_nonnegative for sym in symbols):
        return False
    positive = [sym for sym in symbols if sym.is_positive]
    nonnegative = [sym for sym in symbols if not sym.is_positive]
    if not nonnegative_on_orthant(expr, positive, nonnegative):
        return False
    if not strict:
        return True
    num, den = sp.fraction(expr)
    num = sp.expand(num)
    if sp.expand(den).is_number and sp.expand(den).is_negative:
        num = -num
    poly = sp.Poly(num, *positive, *nonnegative)
    npos = len(positive)
    return any(c > 0 and all(e == 0 for e in mon[npos:]) for mon, c in poly.terms())
