"""Certificates that the numeric implementations compute the registry's definitions.

Each definition's check reads the registry's own defining formula at call time
(`get(id).relations()`), instantiates it on small rows of rational scores (n and j made
concrete, sums expanded) and evaluates its right-hand side *exactly* in SymPy from the row's
exact quantities (exp and log of rationals; the top-k set by brute force over all k-subsets,
ties to the lower index, which the formula leaves to the text). The implementation's value of the
left-hand side must agree: each arb ball comes within 1e-75 of SymPy's value (80 digits), each
kept set and count is identical. So a false formula (a mutated constant or operator) fails its
check, and the code every check uses is tied to the definitions the proofs use.

Registering is cheap: numpy, flint and the numeric layer are imported by the checks when they
run, not when this module is imported (SymPy and mpmath come with `natsparse.proofs` anyway).
"""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations
from typing import TYPE_CHECKING

import mpmath
import sympy as sp

from natsparse.proofs import Outcome, get, register
from natsparse.proofs import symbols as S

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
# Dyadic eps, so that the float passed to the implementation is exactly the rational SymPy uses;
# every row meets every eps, so that a doubled or halved eps in a formula changes some count or set.
EPS = [sp.Rational(1, 2**p) for p in range(1, 9)]
DOMAIN = f"{len(ROWS)} rational rows (n = 1..5, ties included), every k, eps = 1/2 ... 1/256"


class DefinitionMismatch(AssertionError):
    """The implementation and the registry's formula disagree on an exact row."""


def _agree(ok: bool, what: str) -> None:
    if not ok:
        raise DefinitionMismatch(what)


def _encloses(ball: Arb, value: sp.Expr) -> bool:
    """The arb ball meets SymPy's value (evaluated to 80 digits, a ball of radius 1e-75): the
    implementation's result is within 1e-75 of the exact value of the definition."""
    from flint import arb as Arb

    from natsparse.numeric import arb as ab

    with ab.precision(90):
        return bool(ball.overlaps(Arb(str(sp.N(value, 80)), "1e-75")))


class Row:
    """One row of exact scores and what the formulas may refer to: s, a, Z, LSE, v (dyadic)."""

    def __init__(self, row):
        self.row = row
        self.n = len(row)
        self.s = [sp.Rational(x.numerator, x.denominator) for x in row]
        self.Z = sum(sp.exp(x) for x in self.s)
        self.a = [sp.exp(x) / self.Z for x in self.s]
        self.v = [sp.Rational(j + 1, 4) * (-1) ** j for j in range(self.n)]  # dyadic: exact as floats

    def floats(self) -> np.ndarray:
        import numpy as np

        return np.array([float(x) for x in self.row])

    def values(self) -> np.ndarray:
        import numpy as np

        return np.array([float(x) for x in self.v])

    def env(self, kept=None) -> dict:
        """Exact values of the vector entries (1-based, as the formulas index them)."""
        env = {}
        for j in range(self.n):
            env[S.s[j + 1]] = self.s[j]
            env[S.a[j + 1]] = self.a[j]
            env[S.v[j + 1]] = self.v[j]
            if kept is not None:
                env[S.one_S(j + 1)] = sp.Integer(j in kept)
        return env


def _brute_topk(s, k: int) -> list[int]:
    """The k-set of largest score sum; among equal sums, the lexicographically first (ties to
    the lower index), found without sorting."""
    best = None
    for kept in combinations(range(len(s)), k):
        total = sum(s[j] for j in kept)
        if best is None or total > best[0]:
            best = (total, kept)
    return list(best[1])


def _instances(result_id: str, n: int, **known) -> list[tuple[sp.Basic, sp.Basic]]:
    """The registry formula's relations, read now, as (lhs, rhs) pairs for a row of size n:
    a relation with the free index j gives one pair per j = 1..n; sums are expanded; the
    scalars in `known` (e.g. m) are substituted."""
    sizes = {S.n: n} | {getattr(S, name): value for name, value in known.items()}
    pairs = []
    for rel in get(result_id).relations():
        rel = rel.xreplace(sizes)
        for jj in (range(1, n + 1) if S.j in rel.free_symbols else [None]):
            inst = rel if jj is None else rel.xreplace({S.j: sp.Integer(jj)})
            pairs.append((inst.lhs.doit(), inst.rhs.doit()))
    return pairs


def _value(expr: sp.Basic, env: dict) -> sp.Expr:
    """Exact value of an instantiated side: the row's entries and scalars substituted."""
    return sp.sympify(expr).xreplace(env)


#: What each tool's agreement means, for the outcome's detail (it names the tool it is registered with).
AGREEMENT = {"sympy+arb": "arb's balls meet SymPy's exact values of the registry formula",
             "sympy+mpmath": "the 50-digit mpmath values meet SymPy's exact values of the registry formula "
                             "(sets and counts identical, a value within 1e-45)"}


def _check(fn, tool: str):
    def run() -> Outcome:
        cases = 0
        try:
            for row in ROWS:
                cases += fn(Row(row))
        except DefinitionMismatch as e:
            return Outcome(False, f"the implementation disagrees with the registry formula: {e}")
        return Outcome(True, f"{AGREEMENT[tool]} on {cases} cases ({DOMAIN})")
    return run


def _attention(r: Row) -> int:
    from natsparse.numeric import arb as ab

    computed = {S.LSE: ab.logsumexp(r.floats()),
                S.o: ab.topk_attention(r.floats(), r.values(), k=1).output[0]}  # the dense o
    computed |= {S.a[j + 1]: b for j, b in enumerate(ab.softmax(r.floats()))}
    env = r.env()
    for lhs, rhs in _instances("def:attention", r.n):
        _agree(lhs in computed, f"def:attention defines {lhs}, which the implementation does not compute")
        _agree(_encloses(computed[lhs], _value(rhs, env)), f"{lhs} on row {r.s}")
    return 1


def _topk(r: Row) -> int:
    from natsparse.numeric import arb as ab

    for k in range(1, r.n + 1):
        kept = _brute_topk(r.s, k)
        b = ab.topk_attention(r.floats(), r.values(), k=k)
        _agree(b.kept == kept, f"kept set {b.kept} != {kept}")
        env = r.env(kept) | {S.tau: sum((r.a[j] for j in range(r.n) if j not in kept), sp.Integer(0))}
        computed = {S.a_hat[j + 1]: w for j, w in enumerate(b.weights_hat)} | {S.o_hat: b.output_hat[0]}
        for lhs, rhs in _instances("def:topk-attention", r.n):  # a_hat_j first, then o_hat from them
            _agree(lhs in computed, f"def:topk-attention defines {lhs}, which the implementation does not "
                                    "compute")
            env[lhs] = _value(rhs, env)
            _agree(_encloses(computed[lhs], env[lhs]), f"{lhs} at k = {k} on row {r.s}")
    return r.n


def _tail(r: Row) -> int:
    from natsparse.numeric import arb as ab

    for k in range(1, r.n + 1):
        kept = _brute_topk(r.s, k)
        for lhs, rhs in _instances("def:tail-mass", r.n):
            _agree(lhs == S.tau, f"def:tail-mass defines {lhs}, not tau")
            _agree(_encloses(ab.tail_mass(r.floats(), k=k), _value(rhs, r.env(kept))),
                   f"tau at k = {k} on row {r.s}")
    return r.n


def _eps_k(r: Row) -> int:
    from natsparse.numeric import mp

    for eps in EPS:
        env = r.env() | {S.eps: eps}
        for lhs, _rhs in _instances("def:eps-k-sparse", r.n):
            count = _value(lhs, env)  # the count the predicate compares with k
            _agree(count.is_Integer, f"def:eps-k-sparse's count is not an integer on row {r.s}: {count}")
            _agree(mp.count_above(r.floats(), eps=float(eps)) == count,
                   f"count above {eps} on row {r.s}")
    return len(EPS)


def _threshold(r: Row) -> int:
    """Every eps <= max_j a_j (the hypothesis under which threshold attention keeps a key)."""
    from natsparse.numeric import arb as ab

    cases = 0
    for eps in (e for e in EPS if e <= max(r.a)):
        env = r.env() | {S.LSE: sp.log(r.Z), S.eps: eps}
        kept = []
        for lhs, rhs in _instances("def:threshold-attention", r.n):
            (jj,) = lhs.args
            flag = _value(rhs, env)
            _agree(flag in (0, 1), f"def:threshold-attention's indicator is {flag} at j = {jj}")
            if flag == 1:
                kept.append(int(jj) - 1)
        _agree(ab.threshold_attention(r.floats(), eps=float(eps)).kept == kept,
               f"threshold set at eps = {eps} on row {r.s}")
        cases += 1
    return cases


def _loss(r: Row) -> int:
    from flint import arb as Arb

    from natsparse.numeric import arb as ab
    from natsparse.numeric import mp

    rows = [Row(r.row), Row(r.row[::-1]), Row([x / 2 for x in r.row])]
    k = max(1, r.n // 2)
    taus = [sum((x.a[j] for j in range(x.n) if j not in _brute_topk(x.s, k)), sp.Integer(0)) for x in rows]
    value = mp.sparsity_loss([x.floats() for x in rows], k=k)
    for lhs, rhs in _instances("def:sparsity-loss", r.n, m=len(rows)):
        _agree(lhs == S.L_k, f"def:sparsity-loss defines {lhs}, not L_k")
        per_row = {x: taus[int(x.indices[0]) - 1] for x in sp.sympify(rhs).atoms(sp.Indexed)}
        with ab.precision(60):
            _agree(_encloses(Arb(mpmath.nstr(value, 55), "1e-45"), _value(rhs, per_row)), f"L_k on row {r.s}")
    return 1


for _id, _fn, _tool in [
    ("def:attention", _attention, "sympy+arb"), ("def:topk-attention", _topk, "sympy+arb"),
    ("def:tail-mass", _tail, "sympy+arb"), ("def:eps-k-sparse", _eps_k, "sympy+mpmath"),
    ("def:threshold-attention", _threshold, "sympy+arb"), ("def:sparsity-loss", _loss, "sympy+mpmath"),
]:
    register(_id, level="verified", tool=_tool, domain=DOMAIN, scope={"rational_rows": len(ROWS)},
             name=f"definition:{_id}")(_check(_fn, _tool))
