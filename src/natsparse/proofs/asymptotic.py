"""The proof kernel's rule for limits as n -> oo: growth rates (ax:growth-rate).

The asymptotic statements of the Gaussian chapter (thm:nC-explicit) say that an explicit bound tends to
0 as n grows in the regime beta^2 = 2 gamma ln n. Every such bound is built from n, ln n, constants,
sums, products, powers, square roots and exponentials: a function of n with a growth rate
r = lim ln f / ln n. The rule `vanishes(f)` computes r by the rules of ax:growth-rate and concludes
lim f = 0 when r is decided < 0. Each comparison of two rates is a sign that the one decider
(`natsparse.proofs.decide`) proves, so the symbolic exponents (gamma, C) never meet SymPy's `limit`,
which cannot decide their signs; SymPy's `limit` is asked only for the leading coefficient
lim A / ln n of an exponent A (a polynomial in sqrt(ln n) and ln n, and square roots of such).

The rates, with ln n = ell -> oo (each f eventually > 0):
- a constant decided > 0, and any power of ell: rate 0;
- exp(A): lim A / ell;  f g: r_f + r_g;  f^p (p constant): p r_f;
- a sum of terms eventually > 0: the largest rate (decided >= every other);
- P - N with P and N eventually > 0 and r_N < r_P (decided): r_P (N / P -> 0, so P - N > 0 eventually).

    >>> import sympy as sp
    >>> from natsparse.proofs.symbols import n
    >>> rate(sp.sqrt(n) * sp.log(n) / n)
    -1/2
"""

from __future__ import annotations

import sympy as sp

from .decide import proves_sign
from .kernel import DROP, Fact, _dropped, _fact, _inputs, _need
from .symbols import n

#: ln n: every rate is a limit in it
ell = sp.Symbol("ln_n", positive=True)


def _rate(f: sp.Expr) -> sp.Expr:
    """lim ln f / ell for an f of ell that is eventually > 0 (refused when a step is not decided)."""
    if not f.has(ell):
        _need(proves_sign(f, strict=True), f"vanishes: the constant {f} is not decided > 0")
        return sp.Integer(0)
    if f == ell:
        return sp.Integer(0)
    if isinstance(f, sp.exp):
        A = f.args[0]
        slope = sp.diff(A, ell)
        if not slope.has(ell):  # A linear in ln n
            return sp.factor(sp.cancel(slope))
        try:
            r = sp.limit(A / ell, ell, sp.oo)
        except (NotImplementedError, ValueError) as exc:  # SymPy could not decide it: a refusal, not a crash
            raise _refuse(f, f"SymPy finds no limit of its exponent over ln n ({exc})") from None
        _need(r.is_extended_real is True and not r.has(ell, sp.Limit, sp.oo, -sp.oo, sp.zoo, sp.nan),
              f"vanishes: no finite real rate of {f}")
        return sp.factor(sp.cancel(r))
    if f.is_Mul:
        return sp.factor(sp.cancel(sp.Add(*(_rate(factor) for factor in f.args))))
    if f.is_Pow:
        base, p = f.args
        if p.has(ell):
            return _rate(sp.exp(p * sp.log(base)))
        return sp.factor(sp.cancel(p * _rate(base)))
    if f.is_Add:
        signed = [(1, term) if _positive(term) else (-1, -term) for term in f.args]
        plus = [(term, _rate(term)) for sign, term in signed if sign > 0]
        minus = [_rate(term) for sign, term in signed if sign < 0]
        _need(bool(plus), f"vanishes: no term of {f} is eventually > 0")
        top = next((r for _, r in plus if all(proves_sign(r - q) for _, q in plus)), None)
        _need(top is not None, f"vanishes: no term of {f} is decided to grow fastest")
        _need(all(proves_sign(top - q, strict=True) for q in minus),
              f"vanishes: the negative terms of {f} are not decided to grow slower than the positive ones")
        return top
    raise _refuse(f)


def _positive(term: sp.Expr) -> bool:
    """A term of a sum is eventually > 0 if it is not a product with a negative constant factor."""
    coeff, _ = term.as_coeff_Mul()
    if coeff.is_negative:
        return False
    if not term.has(ell):
        return proves_sign(term, strict=True)
    return True


def _refuse(f, why: str = "it is not built from n, ln n, constants, sums, products, powers and exp"):
    from .kernel import ProofError

    return ProofError(f"vanishes: no rate of {f}: {why}")


def rate(f: sp.Expr) -> sp.Expr:
    """The growth rate lim ln f / ln n of f, a function of n eventually > 0 (not a fact: a number a proof
    may print; `vanishes` is the rule)."""
    g = sp.sympify(f).xreplace({n: sp.exp(ell)})
    g = sp.expand_log(g, force=True).xreplace({sp.log(sp.exp(ell)): ell})
    return sp.simplify(_rate(sp.powsimp(g)))


def vanishes(f: sp.Expr) -> Fact:
    """ax:growth-rate: lim_{n -> oo} f = 0 for f eventually > 0 whose growth rate is decided < 0."""
    got = _inputs("vanishes", f=f)
    if got is DROP:
        return _dropped("vanishes")
    f = sp.sympify(got["f"])
    _need(f.free_symbols >= {n}, f"vanishes: {f} does not depend on n")
    r = rate(f)
    _need(proves_sign(-r, strict=True), f"vanishes: the rate {r} of {f} is not decided < 0")
    return _fact(sp.Eq(sp.Limit(f, n, sp.oo), 0, evaluate=False), (), None, "vanishes", ("ax:growth-rate",),
                 note=f"rate {r}")
