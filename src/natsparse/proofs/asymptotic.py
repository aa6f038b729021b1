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

import functools

import sympy as sp

from .decide import is_zero, proves_sign
from .kernel import DROP, OWN_EVENTS, Fact, _dropped, _fact, _inputs, _need
from .symbols import Plim, n

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
    return _rate_of(sp.sympify(f), proves_sign, sp.limit)


@functools.lru_cache(maxsize=256)
def _rate_of(f: sp.Expr, decider, limit) -> sp.Expr:
    """`rate`, remembered: a pure function of f and of the decider and SymPy's limit it uses (both in the
    key, so a test that replaces one never reads a rate the other computed); the step-sabotage gate
    replays each proof with the same limits many times."""
    g = f.xreplace({n: sp.exp(ell)})
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


#: how `eventually` names the event of a fact that holds for all large n (failure 1: for small n it may
#: fail, so only `in_probability`, which looks at large n alone, may drop it)
EVENTUALLY = "for all large n: "


def _limit_of(limit: Fact, rule: str) -> sp.Expr:
    """f of a sure fact lim_{n -> oo} f = 0 (made by `vanishes`, or an instance's, which may hold where
    hypotheses hold, or where they hold for all large n: a limit does not depend on n)."""
    rel = limit.rel
    _need(isinstance(limit, Fact)
          and all(name.startswith((OWN_EVENTS[0], EVENTUALLY)) for name, _ in limit.events),
          f"{rule}: the limit is not a sure fact")
    _need(isinstance(rel, sp.Eq) and isinstance(rel.lhs, sp.Limit) and rel.rhs == 0
          and rel.lhs.args[1:3] == (n, sp.oo), f"{rule}: {rel} is not lim_(n -> oo) f = 0")
    return rel.lhs.args[0]


def eventually(goal, limit: Fact) -> Fact:
    """From lim g/h = 0 (`limit`, as n -> oo) and g or h decided > 0: g < h for all large n (g/h is then
    eventually in (-1, 1), so g < h when h > 0, and h > g > 0 when g > 0). The fact holds on the event
    'for all large n' (see `EVENTUALLY`), which a statement about each n never accepts."""
    got = _inputs("eventually", goal=goal, limit=limit)
    if got is DROP:
        return _dropped("eventually")
    goal, limit = got["goal"], got["limit"]
    goal = sp.Lt(goal.rhs, goal.lhs, evaluate=False) if isinstance(goal, sp.Gt | sp.Ge) else goal
    _need(isinstance(goal, sp.Lt | sp.Le), f"eventually: {goal} is not g < h or g <= h")
    g, h = goal.lhs, goal.rhs
    _need(proves_sign(g, strict=True) or proves_sign(h, strict=True),
          f"eventually: neither side of {goal} is decided > 0")
    _need(is_zero(_limit_of(limit, "eventually") - g / h), f"eventually: the limit is not that of {g / h}")
    return _fact(goal, (), None, "eventually", ("ax:in-probability",), events=[(f"{EVENTUALLY}{goal}", 1)])


def in_probability(bound: Fact, limit: Fact, parameter: sp.Symbol, floor: Fact | None = None) -> Fact:
    """X -> 0 in probability: from X <= F (`bound`) and lim_{n -> oo} F = 0 (`limit`), X >= 0 (a quantity
    that is, or `floor`, a sure fact 0 <= X), where the bound's failure does not depend on n and tends to 0
    as `parameter` -> oo, both facts holding for every parameter > 0. For eta > 0 and a value of the
    parameter, P(X > eta) <= failure + [F > eta], whose second term is 0 for large n: so
    lim sup P(X > eta) <= failure, for every value, hence 0. Events of the result's own hypotheses are
    kept; those holding for all large n (`eventually`) are used up."""
    got = _inputs("in_probability", bound=bound, limit=limit, parameter=parameter, floor=floor)
    if got is DROP:
        return _dropped("in_probability")
    bound, limit, parameter, floor = got["bound"], got["limit"], got["parameter"], got["floor"]
    rel = bound.rel
    _need(isinstance(rel, sp.Le | sp.Lt), f"in_probability: {rel} is not X <= F")
    above_zero = (rel.lhs.is_Symbol and rel.lhs.is_nonnegative) or (
        isinstance(floor, Fact) and isinstance(floor.rel, sp.Le) and floor.rel.lhs == 0
        and is_zero(floor.rel.rhs - rel.lhs) and not floor.over
        and all(name.startswith(OWN_EVENTS[0]) for name, _ in floor.events))
    _need(above_zero, f"in_probability: {rel.lhs} is not a quantity >= 0, nor surely >= 0 by a given fact")
    _need(not bound.over, "in_probability: the bound is about a generic member, not the row")
    _need(isinstance(parameter, sp.Symbol) and parameter.is_positive
          and parameter not in rel.lhs.free_symbols,
          f"in_probability: {parameter} is not a positive parameter of the bound")
    _need(_limit_of(limit, "in_probability") == rel.rhs,  # as written: a wrong limit is refused at once
          f"in_probability: the limit is not that of {rel.rhs}")
    kept = [e for e in (*bound.events, *limit.events, *(floor.events if floor else ()))
            if e[0].startswith(OWN_EVENTS[0])]
    chance = sp.Add(*(p for name, p in bound.events if not name.startswith((OWN_EVENTS[0], EVENTUALLY))))
    _need(not chance.has(n), f"in_probability: the failure {chance} depends on n")
    _need(sp.limit(chance, parameter, sp.oo) == 0, f"in_probability: the failure {chance} does not tend "
          f"to 0 as {parameter} grows")
    return _fact(sp.Eq(Plim(rel.lhs), 0), (), bound.model, "in_probability",
                 ("ax:in-probability",), note=f"failure {chance} -> 0 as {parameter} -> oo",
                 events=kept)
