"""The one decider: does a relation hold for every admissible value of its symbols?

Used by the proof kernel (`natsparse.proofs.kernel`, its rule `decide` and every side condition) and by
the mutation gate (`natsparse.evidence.mutation`, which proves that a mutant is implied). "Admissible"
means allowed by the symbols' SymPy assumptions (positive, nonnegative, integer, real); nothing else
is assumed. Every function here is sound and incomplete: True means proved, False means "not proved",
never "false".

- `is_zero(expr)`: expr simplifies to 0 (logs of products merged first).
- `proves_sign(expr, strict)`: expr >= 0 (> 0): SymPy's assumptions on the expression, on its
  numerator and denominator (also factored), else the orthant certificate below after naming each
  function value of known sign (exp(...), log of something > 1, ...) by a fresh symbol.
- `holds(rel)`: both sides of Eq, Ne, <, <=, >, >= read: Eq by `is_zero`, Ne by a strict sign of the
  difference either way, inequalities by the sign of the difference.

The orthant certificate (`nonnegative_on_orthant`): after `together`, numerator and denominator expand
to polynomials whose coefficients are all >= 0 in variables that are >= 0, and the denominator has a
monomial in the strictly positive variables alone; then numerator >= 0 and denominator > 0. Why it fits
attention: sorted positive weights w_1 >= ... >= w_n > 0 are exactly w_j = x + d_j + ... + d_{n-1}
with x > 0, d >= 0 (`sorted_weights`), and every deterministic bound compares sums of such weights.

    >>> import sympy as sp
    >>> x, y = sp.symbols("x y", positive=True)
    >>> holds(sp.Le(x / (x + y), 1)), holds(sp.Le(x, y)), holds(sp.Ne(x + y, 0))
    (True, False, True)
"""

from __future__ import annotations

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.core.relational import Relational
from sympy.polys.polyerrors import BasePolynomialError

#: expressions larger than this (in `count_ops`) are not factored: factoring them can take minutes
_FACTOR_OPS = 400


def exact(expr: sp.Expr) -> sp.Expr:
    """Floats (a mutant's 0.9) become exact rationals, so that coefficient signs are exact.

    >>> exact(sp.Float(0.5) * sp.Symbol("x"))
    x/2
    """
    expr = sp.sympify(expr)
    return sp.nsimplify(expr, rational=True) if expr.has(sp.Float) else expr


def is_zero(expr: sp.Expr) -> bool:
    """True if `expr` simplifies to 0 (logs merged first, using the symbols' positivity).

    >>> x, y = sp.symbols("x y", positive=True)
    >>> is_zero(sp.log(x / y) + sp.log(y) - sp.log(x)), is_zero(x - y)
    (True, False)
    """
    expr = exact(expr)
    if expr == 0:
        return True
    if expr.has(sp.erfc, sp.erfcinv):
        expr = expr.rewrite(sp.erf)
    expr = expr.replace(lambda e: isinstance(e, sp.log), lambda e: sp.log(sp.factor(sp.together(e.args[0]))))
    expr = sp.expand_log(expr)
    if sp.cancel(sp.together(expr)) == 0:
        return True
    return not _nonzero_at_a_point(expr) and sp.simplify(expr) == 0


def _nonzero_at_a_point(expr: sp.Expr) -> bool:
    """True when expr is a real number clearly away from 0 at one admissible point (each symbol given a
    value its assumptions allow): then no identity makes it 0, and `is_zero` skips `simplify`, which on a
    large expression that is not 0 can run for minutes (a mutant's doubled goal). Sound either way: this
    only ever turns a decision into "not proved". Clearly away: finite and real at 30 and at 60 digits,
    the two agreeing to 10 digits (an expression that is 0 gives values that shrink with the precision).

    >>> x, y = sp.symbols("x y", positive=True)
    >>> identity = sp.log(x * y) - sp.log(x) - sp.log(y)
    >>> _nonzero_at_a_point(identity + sp.log(y)), _nonzero_at_a_point(identity)
    (True, False)
    """
    if expr.has(sp.Indexed, sp.Sum, sp.Product, sp.Integral, sp.Limit) or expr.atoms(AppliedUndef):
        return False
    point = {}
    for i, s in enumerate(sorted(expr.free_symbols, key=sp.default_sort_key)):
        if s.is_real is not True:
            return False
        value = sp.Integer(i + 3) if s.is_integer else sp.Rational(2 * i + 7, i + 3)
        point[s] = 0 if s.is_zero else (-value if s.is_nonpositive else value)
    try:
        at = expr.xreplace(point)
        low, high = at.evalf(30), at.evalf(60)
    except (ArithmeticError, TypeError, ValueError):
        return False
    if not (low.is_Number and high.is_Number and low.is_finite and high.is_finite) or high == 0:
        return False
    return abs(low - high) <= abs(high) * sp.Float("1e-10", 60)


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


def nonnegative_on_orthant(
    expr: sp.Expr, positive: list[sp.Symbol], nonnegative: list[sp.Symbol], strict: bool = False
) -> bool:
    """True if `expr` is provably >= 0 (> 0 if `strict`) for positive > 0 and nonnegative >= 0.

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
    npos = len(positive)

    def has_positive_monomial(poly: sp.Poly) -> bool:
        return any(c > 0 and all(e == 0 for e in mon[npos:]) for mon, c in poly.terms())

    return has_positive_monomial(pd) and (not strict or has_positive_monomial(pn))


def _split_exp(expr: sp.Expr) -> sp.Expr:
    """exp(c_1 b_1 + ... ) as the product of X_b^c over its terms (X_b = e^b > 0, one symbol per b;
    e^{c log y} = y^c), so that e^{s - t}, e^s and e^{-t} are seen as related. Sound: the X_b are only
    assumed positive (or > 1, for a positive symbol b)."""
    names: dict = {}

    def split(arg):
        out = sp.Integer(1)
        for term in sp.Add.make_args(sp.expand(arg)):
            c, base = term.as_coeff_Mul()
            if isinstance(base, sp.log):
                out *= base.args[0] ** c
            elif c.is_Rational:
                out *= names.setdefault(base, _exp_name(base)) ** c
            else:
                out *= sp.exp(term)
        return out

    return expr.replace(lambda e: isinstance(e, sp.exp), lambda e: split(e.args[0]))


def _exp_name(base: sp.Expr) -> sp.Expr:
    """A name for e^base: 1 + r (r > 0) when base is a symbol > 0 (e^ell > 1, so e^{-ell} < 1 is decided),
    else a symbol > 0."""
    if base.is_Symbol and base.is_positive:
        return 1 + sp.Dummy(f"e^{base}-1", positive=True)
    return sp.Dummy(f"e^{base}", positive=True)


def _name_erfc(expr: sp.Expr) -> sp.Expr:
    """erfc(z) at a real z as 2 / (1 + r), erf(z) as 1 - 2 / (1 + r), with r > 0 (one symbol per value of
    z): erfc maps the real line onto (0, 2), which 2 / (1 + r) covers exactly, so a sign decided for every
    r is decided for every z. Sound: only the range is kept, and erf(z) = 1 - erfc(z) shares its symbol."""
    names: dict = {}

    def r(z):
        return names.setdefault(z, sp.Dummy("r_erfc", positive=True))

    def real(kind):
        return lambda e: isinstance(e, kind) and e.args[0].is_real

    expr = expr.replace(real(sp.erfc), lambda e: 2 / (1 + r(e.args[0])))
    return expr.replace(real(sp.erf), lambda e: 1 - 2 / (1 + r(e.args[0])))


def _orthant(expr: sp.Expr, strict: bool) -> bool:
    """The orthant certificate after naming each function value of known sign by a fresh symbol (a
    root is named when its base is decided >= 0, or > 0, by this decider)."""
    expr = sp.together(_split_exp(_name_erfc(expr)))
    subs = {}
    for i, f in enumerate(sorted(expr.atoms(sp.Function, sp.Pow), key=sp.default_sort_key)):
        if isinstance(f, sp.Pow) and f.exp.is_Integer:
            continue
        root = isinstance(f, sp.Pow) and f.exp.is_Rational
        if f.is_positive or (root and proves_sign(f.base, strict=True)):
            subs[f] = sp.Symbol(f"_f{i}", positive=True)
        elif f.is_nonnegative or (root and f.exp > 0 and proves_sign(f.base)):
            subs[f] = sp.Symbol(f"_f{i}", nonnegative=True)
        else:
            return False
    e = expr.xreplace(subs)
    pos = sorted((s for s in e.free_symbols if s.is_positive), key=str)
    nonneg = sorted((s for s in e.free_symbols if s.is_nonnegative and not s.is_positive), key=str)
    if len(pos) + len(nonneg) != len(e.free_symbols):
        return False
    try:
        return nonnegative_on_orthant(e, pos, nonneg, strict=strict)
    except (BasePolynomialError, TypeError, ValueError):
        return False


def proves_sign(expr: sp.Expr, *, strict: bool = False) -> bool:
    """True when expr >= 0 (> 0 if `strict`) for every admissible value of its symbols.

    >>> k, p = sp.symbols("k p", positive=True)
    >>> proves_sign(1 / (k + sp.Rational(9, 10)) - 1 / (k + 1)), proves_sign(k - p)
    (True, False)
    >>> z = sp.Symbol("z", nonnegative=True)
    >>> proves_sign(z / (k + z)), proves_sign(z / (k + z), strict=True)
    (True, False)
    """
    expr = exact(expr)
    ok = (lambda e: e.is_positive) if strict else (lambda e: e.is_nonnegative)
    neg = (lambda e: e.is_negative) if strict else (lambda e: e.is_nonpositive)
    if ok(expr):
        return True
    t = sp.together(expr)
    if ok(t):
        return True
    num, den = sp.fraction(t)
    small = sp.count_ops(num) <= _FACTOR_OPS and sp.count_ops(den) <= _FACTOR_OPS
    forms = [num, sp.expand(num)] + ([sp.factor(num)] if small else [])
    dens = [den] + ([sp.factor(den)] if small else [])
    for nm in forms:
        for dn in dens:
            if (ok(nm) and dn.is_positive) or (neg(nm) and dn.is_negative):
                return True
    if small and _orthant(t, strict):
        return True
    return not strict and is_zero(expr)


def holds(rel: sp.Basic) -> bool:
    """True when the relation holds for every admissible value of its symbols (both sides read).

    >>> a, b = sp.symbols("a b", positive=True)
    >>> holds(sp.Eq(sp.log(a * b), sp.log(a) + sp.log(b))), holds(sp.Gt(a + b, a)), holds(sp.Ne(a, b))
    (True, True, False)
    >>> holds(sp.true), holds(sp.false)
    (True, False)
    """
    if rel is sp.true or rel is sp.false:
        return rel is sp.true
    if not isinstance(rel, Relational):
        raise TypeError(f"holds expects a relation, got {rel!r}")
    diff = rel.lhs - rel.rhs
    if isinstance(rel, sp.Eq):
        return is_zero(diff)
    if isinstance(rel, sp.Ne):
        return proves_sign(diff, strict=True) or proves_sign(-diff, strict=True)
    strict = isinstance(rel, sp.Lt | sp.Gt)
    return proves_sign(diff if isinstance(rel, sp.Ge | sp.Gt) else -diff, strict=strict)
