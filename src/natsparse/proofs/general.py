"""General-n SymPy proofs of the deterministic results: what makes them `proved`.

This module proves the *general* statements: n and k are SymPy integers, the scores are arbitrary
reals (through their positive weights w_j = e^{s_j}) and the values live in any normed space.

How. After relabelling the keys by the top-k order (lemma `relabel`), every sum of THEORY.md is a
sum over a few *parts* of {1..n}: the kept set S = {1..k}, the dropped set T = {k+1..n}, and so on.
`sum-split` cuts a sum of the registry's definitions (read at call time) into these parts, and
`sum-linear` evaluates each part through its aggregates: its size, its weight W = sum_part w_j and
its value moment P = sum_part w_j v_j. So a, Z, LSE, tau, a_hat, o and o_hat become rational
functions of a handful of symbols (`softmax-aggregates`). Inequalities between sums come from small
named lemmas (`count-times-extreme`, `exchange`, `norm-finite-triangle`, ...), each with its own
general proof (SymPy, by induction on the number of terms) or marked as an axiom of the structure
(the triangle inequality *is* the definition of a norm). `LEMMAS` lists them; `USES` says which
result uses which.

An inequality fact X <= U enters as a substitution with a fresh symbol sigma >= 0 (for instance
W_T <= (n-k) e^{s_(k+1)} becomes e^{s_(k+1)} = (W_T + sigma)/(n-k)), or rho >= 0 in X = U/(1+rho)
when X > 0 whenever U > 0. Every real input gives admissible values of all symbols, so a relation
that holds for *all* admissible values holds for every input. Each proof ends on the registry's own
formula: `registry[id].formula`, read at call time, gets the derived expressions substituted and
SymPy decides each relation (an equation must simplify to 0; for an inequality the difference must
be a rational function with nonnegative coefficients in nonnegative symbols,
`positivity.nonnegative_by_assumptions`, or have a sign SymPy's assumptions decide). A false
formula (a constant scaled by 0.9) leaves a negative coefficient, and the proof raises
`GeneralProofError`.

    >>> GENERAL_PROOFS["lem:max-weight"][0]()
    'lem:max-weight: tau >= -a_max*k + 1 for every n >= 1, every 1 <= k <= n, ...; by softmax-aggregates, ...'
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import sympy as sp

from .positivity import nonnegative_by_assumptions
from .symbols import (
    KL,
    L1,
    LSE,
    TV,
    Delta,
    L_k,
    a,
    a_hat,
    a_max,
    ds,
    eps,
    err,
    k,
    l,
    m,
    mu_H,
    mu_T,
    n,
    o,
    o_hat,
    one_S,
    s,
    s_k1,
    tau,
    tau_next,
    tau_S,
    tau_thr,
    v,
    v_max,
    v_spread,
)

#: The registry module (not its dict): read at call time, so that a swapped Result is seen.
_registry = importlib.import_module(f"{__package__}.registry")


class GeneralProofError(AssertionError):
    """A step of a general proof did not go through: the registry formula is false, or not proved.

    >>> _need(False, "demo")
    Traceback (most recent call last):
    ...
    natsparse.proofs.general.GeneralProofError: demo
    """


def _need(ok: bool, what: str) -> None:
    if not ok:
        raise GeneralProofError(what)


# ---------------------------------------------------------------------------------------------
# Deciding a relation
# ---------------------------------------------------------------------------------------------

def _exact(expr: sp.Expr) -> sp.Expr:
    """Floats (a mutant's 0.9) become exact rationals, so that coefficient signs are exact."""
    return sp.nsimplify(expr, rational=True) if expr.has(sp.Float) else expr


def _zero(expr: sp.Expr) -> bool:
    """True if `expr` simplifies to 0 (logs are merged first, using the symbols' positivity)."""
    expr = _exact(sp.sympify(expr))
    expr = expr.replace(lambda x: isinstance(x, sp.log),
                        lambda x: sp.log(sp.factor(sp.together(x.args[0]))))
    expr = sp.expand_log(expr)
    return sp.cancel(sp.together(expr)) == 0 or sp.simplify(expr) == 0


def _nonneg(expr: sp.Expr, strict: bool = False) -> bool:
    """True if `expr` is provably >= 0 (> 0 when strict) for every admissible value of its symbols."""
    expr = sp.together(_exact(sp.sympify(expr)))
    if nonnegative_by_assumptions(expr, strict=strict):
        return True
    f = sp.factor(expr)
    return bool(f.is_positive if strict else f.is_nonnegative)


def _subst(expr: sp.Expr, subs: dict) -> sp.Expr:
    """Substitute until nothing changes (a derived expression may use other substituted symbols)."""
    for _ in range(30):
        new = expr.xreplace(subs)
        if new == expr:
            return new
        expr = new
    raise GeneralProofError("the substitution does not terminate")


def _decide(rel: sp.Basic, subs: dict, where: str) -> None:
    """Prove one relation of the registry after substituting the derived expressions."""
    if not isinstance(rel, sp.core.relational.Relational) or isinstance(rel, sp.Ne):
        raise GeneralProofError(f"{where}: {rel!r} is not an equation or inequality")
    lhs, rhs = _subst(rel.lhs, subs), _subst(rel.rhs, subs)
    if isinstance(rel, sp.Eq):
        ok = _zero(lhs - rhs)
    elif isinstance(rel, sp.Le | sp.Lt):
        ok = _nonneg(rhs - lhs, strict=isinstance(rel, sp.Lt))
    else:  # Ge, Gt
        ok = _nonneg(lhs - rhs, strict=isinstance(rel, sp.Gt))
    _need(ok, f"{where}: SymPy does not prove {rel} from the derivation "
              f"(after substitution: {sp.simplify(_exact(lhs))} vs {sp.simplify(_exact(rhs))})")


# ---------------------------------------------------------------------------------------------
# Lemmas
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Lemma:
    """One combinatorial or structural step, stated for general sizes.

    `basis` is "sympy" (its `proof` is a general SymPy proof over symbolic sizes, run by `prove`) or
    "axiom" (part of the definition of the structure; `why` names it). A lemma whose proof reads
    definitions from the registry is re-proved by each result that uses it, on that result's
    instance, so that a changed definition makes the result fail.

    >>> LEMMAS["sum-nonnegative"].prove()
    'sum_{j=1}^N f_j >= 0 (> 0 if N >= 1 and f_j > 0): induction on N'
    >>> LEMMAS["norm-axioms"].prove()
    'axiom (definition of a norm)'
    """

    name: str
    statement: str
    basis: str
    why: str
    proof: Callable[[], str] | None = None

    def prove(self) -> str:
        if self.basis == "axiom":
            return f"axiom ({self.why})"
        return self.proof()


_f = sp.IndexedBase("f", real=True)
_g = sp.IndexedBase("g", real=True)
_j = sp.Symbol("j", integer=True)
_N = sp.Symbol("N", integer=True, nonnegative=True)


def _nonneg_syms(names: str) -> tuple[sp.Symbol, ...]:
    return sp.symbols(names, nonnegative=True)


@cache
def _prove_sum_split() -> str:
    kk, nn, q = sp.symbols("k n q", integer=True)
    left, right = sp.Sum(_f[_j], (_j, 1, kk)), sp.Sum(_f[_j], (_j, kk + 1, nn))
    _need(sp.simplify(left + right - sp.Sum(_f[_j], (_j, 1, nn))) == 0, "sum-split: adjacent ranges")
    _need(sp.Sum(_f[_j], (_j, q, q)).doit() == _f[q], "sum-split: one term")
    _need(sp.Sum(_f[_j], (_j, nn + 1, nn)).doit() == 0, "sum-split: empty range")
    return "sum_1^n = sum_1^k + sum_{k+1}^n for symbolic k, n; one-term and empty ranges"


@cache
def _prove_sum_linear() -> str:
    c, d, F, G, f1, g1 = sp.symbols("c d F G f g", real=True)
    lo, hi = sp.symbols("lo hi", integer=True)
    _need(sp.Sum(c * _f[_j] + d * _g[_j], (_j, 1, 0)).doit() == 0, "sum-linear: base")
    # step N -> N+1: L_{N+1} = L_N + (c f + d g) (sum-split, one term) and L_N = c F + d G (hypothesis)
    _need(sp.expand(c * F + d * G + c * f1 + d * g1 - (c * (F + f1) + d * (G + g1))) == 0, "sum-linear: step")
    _need(sp.simplify(sp.Sum(c, (_j, lo, hi)).doit() - (hi - lo + 1) * c) == 0, "sum-linear: constants")
    return "sum (c f_j + d g_j) = c sum f_j + d sum g_j, sum_{lo}^{hi} c = (hi-lo+1) c: induction on N"


@cache
def _prove_sum_nonnegative() -> str:
    F, f1 = _nonneg_syms("F f")
    fp = sp.Symbol("f_p", positive=True)
    _need(sp.Sum(_f[_j], (_j, 1, 0)).doit() == 0, "sum-nonnegative: base")
    _need(bool((F + f1).is_nonnegative) and bool((F + fp).is_positive), "sum-nonnegative: step")
    return "sum_{j=1}^N f_j >= 0 (> 0 if N >= 1 and f_j > 0): induction on N"


@cache
def _prove_count_times_extreme() -> str:
    C, c1, s1, s2 = _nonneg_syms("C c s1 s2")
    M = sp.Symbol("M", real=True)
    # X_N = sum_{j<=N} c_j x_j, C_N = sum_{j<=N} c_j; base N = 0: both sides 0.
    # upper: X_N = C_N M - s1 (hypothesis), x_{N+1} = M - s2  =>  C_{N+1} M - X_{N+1} >= 0
    _need(_nonneg(sp.expand((C + c1) * M - ((C * M - s1) + c1 * (M - s2)))), "count-times-extreme: upper")
    _need(_nonneg(sp.expand((C * M + s1) + c1 * (M + s2) - (C + c1) * M)), "count-times-extreme: lower")
    return ("c_j >= 0, x_j <= M (>= M) for all j => sum c_j x_j <= (>=) M sum c_j; with c_j = 1, "
            "sum x_j <= |R| M: induction on |R|")


@cache
def _prove_exchange() -> str:
    q = sp.Symbol("q", integer=True, nonnegative=True)
    th = sp.Symbol("theta", real=True)
    s1, s2 = _nonneg_syms("s1 s2")
    W_A, W_B = q * th + s1, q * th - s2          # count-times-extreme, lower and upper, with M = theta
    _need(_nonneg(sp.expand(W_A - W_B)), "exchange")
    return "|A| = |B| = q, x_A >= theta >= x_B => sum_A x - sum_B x = s1 + s2 >= 0"


@cache
def _prove_exp_monotone() -> str:
    d = sp.Symbol("d", nonnegative=True)
    i = sp.Symbol("i", integer=True, nonnegative=True)
    _need(sp.Sum(d**i / sp.factorial(i), (i, 0, sp.oo)).doit() == sp.exp(d), "exp-monotone: series")
    tail = sp.simplify(sp.Sum(d**i / sp.factorial(i), (i, 1, sp.oo)).doit())
    _need(sp.simplify(tail - (sp.exp(d) - 1)) == 0, "exp-monotone: series from 1")
    _need(bool((d**i / sp.factorial(i)).is_nonnegative), "exp-monotone: terms")
    x = sp.Symbol("x", real=True)
    _need(sp.simplify(sp.exp(x) * (sp.exp(d) - 1) - (sp.exp(x + d) - sp.exp(x))) == 0, "exp-monotone: factor")
    _need(bool(sp.exp(x).is_positive), "exp-monotone: exp > 0")
    return ("e^{x+d} - e^x = e^x (e^d - 1), e^d - 1 = sum_{i>=1} d^i/i! >= 0 for d >= 0 (a series of "
            "nonnegative terms), e^x > 0: exp is positive and increasing")


@cache
def _prove_norm_finite_triangle() -> str:
    NX, Nx, B, c1, r1, r2 = _nonneg_syms("NX Nx B c r1 r2")
    # ||X + c x|| = ||X|| + c ||x|| - r1 (norm-axioms, c >= 0), ||X|| = B - r2 (hypothesis)
    lhs = (B - r2) + c1 * Nx - r1
    _need(_nonneg(sp.expand(B + c1 * Nx - lhs)), "norm-finite-triangle: step")
    return "||sum c_j x_j|| <= sum c_j ||x_j|| for c_j >= 0: induction on the number of terms"


@cache
def _prove_disjoint_count() -> str:
    qa, qb, c = sp.symbols("q_A q_B c", integer=True, nonnegative=True)
    kk = sp.Symbol("k", integer=True, positive=True)
    sol = sp.solve([sp.Eq(qa + c, kk), sp.Eq(qb + c, kk)], [qa, qb], dict=True)
    _need(len(sol) == 1 and sp.simplify(sol[0][qa] - sol[0][qb]) == 0, "disjoint-count")
    return "|A u B| = |A| + |B| (sum-split with f = 1); |S| = |S'| = k => |S \\ S'| = |S' \\ S|"


@cache
def _prove_local_constancy() -> str:
    g = sp.Symbol("g", positive=True)
    sig = sp.Symbol("sigma", nonnegative=True)
    ri, rj = sp.symbols("r_i r_j", positive=True)
    # s_i - s_j = g + sigma (i kept, j dropped, g = s_(k) - s_(k+1)), |delta| < g/2 on both
    moved = (g + sig) + (-g / 2 + ri) - (g / 2 - rj)
    _need(_nonneg(sp.expand(moved), strict=True), "local-constancy")
    return "s_(k) - s_(k+1) = g > 0 and |delta_j| < g/2 => every kept score stays above every dropped one"


def _instance(prover: Callable[[_Proof], object]) -> Callable[[], str]:
    def run() -> str:
        prover(_Proof("lemma"))
        return "proved on its instance from the registry's definitions"
    return run


# ---------------------------------------------------------------------------------------------
# The row: parts, sums and the registry's definitions
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Part:
    """A set of consecutive indices (after `relabel`) and its aggregates."""

    name: str
    count: sp.Expr
    w: sp.Expr      # the weight e^{s_j} of a generic member
    v: sp.Expr      # one coordinate of its value v_j
    W: sp.Expr      # sum of the weights over the part
    P: sp.Expr      # sum of w_j v_j over the part


def _part(name: str, count, *, nonempty: bool = True, single: bool = False) -> _Part:
    w = sp.Symbol(f"w_{name}", positive=True)
    val = sp.Symbol(f"v_{name}", real=True)
    if single:
        return _Part(name, sp.Integer(1), w, val, w, w * val)
    W = sp.Symbol(f"W_{name}", positive=True) if nonempty else sp.Symbol(f"W_{name}", nonnegative=True)
    return _Part(name, sp.sympify(count), w, val, W, sp.Symbol(f"P_{name}", real=True))


def _empty(name: str) -> _Part:
    """A part with no index: its sums are empty (sum-split), W = P = 0."""
    return _Part(name, sp.Integer(0), sp.Symbol(f"w_{name}", positive=True),
                 sp.Symbol(f"v_{name}", real=True), sp.Integer(0), sp.Integer(0))


def _sum_over(term: sp.Expr, part: _Part) -> sp.Expr:
    """sum-linear: the sum over `part` of a term linear in 1, w_j and w_j v_j of a generic member."""
    if part.W == part.w:                 # a single index: the sum is its term (sum-split, one term)
        return term
    table = {sp.Integer(1): part.count, part.w: part.W, part.w * part.v: part.P}
    out = sp.Integer(0)
    for piece in sp.Add.make_args(sp.expand(term)):
        if piece == 0:
            continue
        coeff, dep = piece.as_independent(part.w, part.v, as_Add=False)
        _need(dep in table, f"sum-linear: cannot sum {piece} over {part.name}")
        out += coeff * table[dep]
    return out


def _at(expr: sp.Expr, idx: sp.Symbol, part: _Part, flag, defs: dict) -> sp.Expr:
    """The summand `expr` at a generic member of `part` (flag: the indicator 1_S there)."""
    rep: dict = {}
    for x in expr.atoms(sp.Indexed):
        if x.indices != (idx,):
            continue
        if x.base == s:
            rep[x] = sp.log(part.w)
        elif x.base == v:
            rep[x] = part.v
        elif x.base == a and "a" in defs:
            rep[x] = defs["a"][part.name]
        elif x.base == a_hat and "a_hat" in defs:
            rep[x] = defs["a_hat"][part.name]
    for x in expr.atoms(sp.core.function.AppliedUndef):
        if x.func == one_S and x.args == (idx,) and flag is not None:
            rep[x] = sp.Integer(flag)
    out = expr.xreplace(rep)
    _need(not out.has(idx), f"a summand {expr} depends on its index in a way the proof does not know")
    return out


class _Proof:
    """The record of one general proof: the lemmas it used and the relations it checked."""

    def __init__(self, rid: str):
        self.rid = rid
        self.used: list[str] = []
        self.checked: set[int] = set()

    def use(self, *names: str) -> None:
        for name in names:
            lemma = LEMMAS[name]
            if lemma.basis == "sympy" and name not in _INSTANCE_LEMMAS:
                lemma.prove()
            if name not in self.used:
                self.used.append(name)

    def relations(self) -> list[sp.Basic]:
        result = _registry.registry[self.rid]
        rels = result.relations()
        _need(bool(rels), f"{self.rid}: the registry has no formula to prove")
        return rels

    def check(self, subs: dict, select: Callable[[sp.Basic], bool] = lambda rel: True) -> None:
        """Decide every selected relation of the registry formula (read now) under `subs`."""
        for pos, rel in enumerate(self.relations()):
            if select(rel):
                _decide(rel, subs, f"{self.rid} relation {pos + 1}")
                self.checked.add(pos)

    def hypotheses(self, subs: dict) -> None:
        """The registry's hypotheses hold in the model (the model lies in the result's domain)."""
        for rel in _registry.registry[self.rid].hypotheses:
            _decide(rel, subs, f"{self.rid} hypothesis {rel}")

    def finish(self) -> str:
        rels = self.relations()
        _need(len(self.checked) == len(rels), f"{self.rid}: some relation of the formula was not checked")
        formula = ", ".join(str(rel) for rel in rels)
        return f"{self.rid}: {formula} for {SCOPES[self.rid]}; by {', '.join(self.used)}"


def _split(expr: sp.Expr, proof: _Proof, parts, flags: dict, defs: dict, n_value) -> sp.Expr:
    """sum-split + sum-linear: a registry sum over (j, 1, n) as the sum of its parts' sums."""
    _need(isinstance(expr, sp.Sum) and len(expr.limits) == 1, f"{expr} is not a single sum")
    idx, lo, hi = expr.limits[0]
    _need(lo == 1 and hi == n, f"{expr} is not a sum over 1..n")
    _need(_zero(sum(p.count for p in parts) - n_value), "the parts do not partition 1..n")
    proof.use("relabel", "sum-split", "sum-linear")
    return sum((_sum_over(_at(expr.function, idx, p, flags.get(p.name), defs), p) for p in parts),
               sp.Integer(0))


def _equation(rid: str, lhs_test: Callable[[sp.Basic], bool]) -> sp.Eq:
    for rel in _registry.registry[rid].relations():
        if isinstance(rel, sp.Eq) and lhs_test(rel.lhs):
            return rel
    raise GeneralProofError(f"{rid}: the registry formula has no such defining equation")


def _indexed(base) -> Callable[[sp.Basic], bool]:
    return lambda x: isinstance(x, sp.Indexed) and x.base == base and len(x.indices) == 1


@dataclass
class _Row:
    """One row of scores in aggregates: what the registry's definitions say a, Z, LSE, o, tau,
    a_hat and o_hat are, for the given parts and kept flags."""

    proof: _Proof
    parts: tuple
    flags: dict
    n_value: sp.Expr
    Z: sp.Expr
    LSE: sp.Expr
    a: dict
    o: sp.Expr
    tau: sp.Expr
    a_hat: dict
    o_hat: sp.Expr

    def tail(self, flags: dict) -> sp.Expr:
        """The tail mass (def:tail-mass) of another kept set, given by its flags on the parts."""
        eq = _equation("def:tail-mass", lambda x: x == tau)
        return sp.cancel(_split(eq.rhs, self.proof, self.parts, flags, {"a": self.a}, self.n_value))


def _row(proof: _Proof, parts, flags: dict, n_value=n, opaque_Z: bool = False) -> _Row:
    """softmax-aggregates: the registry's def:attention, def:tail-mass, def:topk-attention in aggregates.

    With `opaque_Z`, Z stays one positive symbol (a sum of n >= 1 positive weights, sum-nonnegative),
    for results that need nothing else of it."""
    proof.use("softmax-aggregates")
    a_eq = _equation("def:attention", _indexed(a))
    lse_eq = _equation("def:attention", lambda x: x == LSE)
    o_eq = _equation("def:attention", lambda x: x == o)
    z_sums = list(a_eq.rhs.atoms(sp.Sum))
    _need(len(z_sums) == 1, "def:attention: a_j is not exp(s_j) over one sum")
    Z = _split(z_sums[0], proof, parts, flags, {}, n_value)
    if opaque_Z:
        proof.use("sum-nonnegative")
        Z = sp.Symbol("Z", positive=True)
    zmap = {z_sums[0]: Z}
    (a_idx,) = a_eq.lhs.indices
    a_of = {p.name: sp.cancel(_at(a_eq.rhs.xreplace(zmap), a_idx, p, None, {})) for p in parts}
    _need(not any(val.has(sp.Indexed) for val in a_of.values()),
          "def:attention: a_j depends on other entries than s_j")
    LSE_value = lse_eq.rhs.xreplace(zmap)
    o_value = sp.cancel(_split(o_eq.rhs, proof, parts, flags, {"a": a_of}, n_value))
    total = sum((_sum_over(a_of[p.name], p) for p in parts), sp.Integer(0))
    if not opaque_Z:
        _need(_zero(total - 1), "softmax-aggregates: sum_j a_j != 1")
    tau_eq = _equation("def:tail-mass", lambda x: x == tau)
    tau_value = sp.cancel(_split(tau_eq.rhs, proof, parts, flags, {"a": a_of}, n_value))
    ah_eq = _equation("def:topk-attention", _indexed(a_hat))
    oh_eq = _equation("def:topk-attention", lambda x: x == o_hat)
    (h_idx,) = ah_eq.lhs.indices
    ah_of = {p.name: sp.cancel(_at(ah_eq.rhs.xreplace({tau: tau_value}), h_idx, p, flags.get(p.name),
                                   {"a": a_of})) for p in parts}
    kept = [p for p in parts if flags.get(p.name) == 1]
    if kept and not opaque_Z:
        _need(_zero(sum(_sum_over(ah_of[p.name], p) for p in kept) - 1), "softmax-aggregates: sum a_hat != 1")
    oh_value = sp.cancel(_split(oh_eq.rhs, proof, parts, flags, {"a_hat": ah_of}, n_value))
    return _Row(proof, tuple(parts), dict(flags), sp.sympify(n_value), Z, LSE_value, a_of, o_value,
                tau_value, ah_of, oh_value)


_p = sp.Symbol("p", integer=True, positive=True)      # n - k when k < n
_p0 = sp.Symbol("p_0", integer=True, nonnegative=True)  # n - k when k <= n


def _slacks(names: str) -> tuple[sp.Symbol, ...]:
    return sp.symbols(names, nonnegative=True)


def _top(tail_nonempty: bool = True) -> tuple[_Part, _Part]:
    return _part("S", k), _part("T", n - k, nonempty=tail_nonempty)


def _output_error_chain(proof: _Proof, row: _Row, S: _Part, T: _Part, tail) -> dict:
    """err <= tail * D_SH and D_SH <= 2 v_max for the kept part S and dropped part T of `row`.

    o - o_hat = sum_{j in T} sum_{i in S} a_j a_hat_i (v_j - v_i) with weights >= 0 summing to
    tau; then norm-finite-triangle and count-times-extreme give err <= tau D_SH, and the norm
    axioms with max-bound give D_SH <= 2 v_max. Returns the substitutions for err and v_max."""
    proof.use("coordinatewise")
    c = row.a[T.name] * row.a_hat[S.name]
    combo = _sum_over(_sum_over(c * (T.v - S.v), S), T)
    _need(_zero(combo - (row.o - row.o_hat)), f"{proof.rid}: o - o_hat is not the weighted difference sum")
    _need(_nonneg(c), f"{proof.rid}: a weight a_j a_hat_i is not >= 0")
    _need(_zero(_sum_over(_sum_over(c, S), T) - row.tau), f"{proof.rid}: the weights do not sum to tau")
    proof.use("norm-axioms", "norm-finite-triangle", "count-times-extreme", "max-bound")
    r1, r2, r3 = _slacks("rho_1:4")
    # ||v_j - v_i|| <= ||v_j|| + ||v_i|| (triangle, ||-x|| = ||x||), each <= v_max (max-bound)
    _need(_nonneg(2 * v_max - ((v_max - r1) + (v_max - r2) - r3)), f"{proof.rid}: D_SH <= 2 v_max")
    s_tri, s_max, s_d = _slacks("sigma_tri sigma_max sigma_D")
    # D_SH <= 2 v_max enters as v_max = (D_SH + sigma_D)/2, so that D_SH >= 0 is kept
    return {err: tail * v_spread - s_tri - s_max, v_max: (v_spread + s_d) / 2}


# ---------------------------------------------------------------------------------------------
# Lemmas that read the registry's definitions (proved on each result's instance)
# ---------------------------------------------------------------------------------------------

def _softmax_aggregates(proof: _Proof) -> None:
    S, T = _top(tail_nonempty=False)
    _row(proof, (S, T), {"S": 1, "T": 0})


def _sparse_kplus1(proof: _Proof) -> None:
    """(eps,k)-sparse (def:eps-k-sparse, read now) => a_(k+1) <= eps, by contradiction."""
    proof.use("sparse-kplus1", "relabel", "topk-order", "sum-split", "sum-linear", "sum-nonnegative")
    rel = _registry.registry["def:eps-k-sparse"].formula
    _need(isinstance(rel, sp.Le) and isinstance(rel.lhs, sp.Sum), "def:eps-k-sparse: not count <= k")
    idx, lo, hi = rel.lhs.limits[0]
    _need(lo == 1 and hi == n, "def:eps-k-sparse: not a count over 1..n")
    term = rel.lhs.function
    g, yp = sp.symbols("g y", positive=True)
    h = sp.Symbol("h", nonnegative=True)
    # suppose a_(k+1) = eps + g, g > 0: then a_j = a_(k+1) + h_j >= a_(k+1) for j <= k+1 (topk-order)
    head = term.xreplace({a[idx]: eps + g + h})
    _need(head == 1, "def:eps-k-sparse: a weight above eps is not counted")
    # any other term is 0 or 1: a_j - eps > 0, = 0 or < 0
    _need(all(bool(term.xreplace({a[idx]: eps + y}).is_nonnegative) for y in (yp, 0, -yp)),
          "def:eps-k-sparse: a count term is negative")
    R = sp.Symbol("R", nonnegative=True)               # the count over k+2..n (sum-nonnegative)
    count = sp.Sum(head, (idx, 1, k + 1)).doit() + R    # sum-split at k+1, sum-linear
    _need(bool((rel.rhs - count).is_negative), "def:eps-k-sparse: no contradiction from a_(k+1) > eps")


def _threshold_sets(proof: _Proof) -> None:
    """def:threshold-attention (read now): dropped a_j <= eps; eps <= max a (the registry's hypothesis
    of thm:threshold-error) => the argmax is kept, so the kept set is nonempty."""
    proof.use("threshold-sets", "exp-monotone")
    rule = _registry.registry["def:threshold-attention"].formula
    _need(isinstance(rule, sp.Eq) and isinstance(rule.lhs, sp.core.function.AppliedUndef)
          and rule.lhs.func == one_S, "def:threshold-attention: not 1_S(j) = ...")
    (idx,) = rule.lhs.args
    a_eq = _equation("def:attention", _indexed(a))
    lse_eq = _equation("def:attention", lambda x: x == LSE)
    (z_sum,) = a_eq.rhs.atoms(sp.Sum)
    Zs = sp.Symbol("Z", positive=True)
    lse_value = lse_eq.rhs.xreplace({z_sum: Zs})
    (a_idx,) = a_eq.lhs.indices

    def weight(score):
        return a_eq.rhs.xreplace({z_sum: Zs}).xreplace({s[a_idx]: score})

    def kept_flag(score):
        return sp.expand_log(rule.rhs.xreplace({s[idx]: score, LSE: lse_value}))

    t = sp.Symbol("t", positive=True)
    # dropped (flag 0): s_j >= LSE + log eps would give flag 1, both at equality and above
    _need(all(kept_flag(lse_value + sp.log(eps) + x) == 1 for x in (0, t)),
          "def:threshold-attention: a key with a_j >= eps is not kept")
    g = sp.Symbol("g", positive=True)
    rho = sp.Symbol("rho", nonnegative=True)
    dropped = weight(lse_value + sp.log(eps) - g)       # = eps e^{-g}
    _need(_zero(dropped - eps * sp.exp(-g)), "def:threshold-attention: dropped weight")
    _need(_nonneg(eps - dropped.xreplace({sp.exp(-g): 1 - rho})), "dropped a_j <= eps")  # e^{-g} <= 1
    hyps = _registry.registry["thm:threshold-error"].hypotheses
    _need(any(isinstance(h, sp.Le) and h.lhs == eps and h.rhs == a_max for h in hyps)
          or any(isinstance(h, sp.Ge) and h.lhs == a_max and h.rhs == eps for h in hyps),
          "thm:threshold-error: the hypothesis eps <= max_j a_j is missing")
    hh = sp.Symbol("h", positive=True)
    for top in (eps, eps * (1 + hh)):                   # a_max = eps or a_max > eps
        score = sp.log(top) + lse_value                 # a_{j*} = e^{s_{j*}} / Z = a_max
        _need(_zero(weight(score) - top), "def:threshold-attention: argmax weight")
        _need(kept_flag(score) == 1, "the key of largest weight is not kept")


# ---------------------------------------------------------------------------------------------
# The provers
# ---------------------------------------------------------------------------------------------

def prove_tail_identity() -> str:
    """||a_hat - a||_1 = 2 tau, TV = tau, KL = -log(1 - tau), TV = 1 - e^{-KL} for any kept set.

    On S, a_hat_j - a_j = w_j W_T / (W_S Z) >= 0; on T it is -a_j; the KL summand on S has the
    constant log-ratio log(Z / W_S). sum-linear sums each part.
    """
    pf = _Proof("lem:tail-identity")
    S, T = _top(tail_nonempty=False)
    row = _row(pf, (S, T), {"S": 1, "T": 0})
    pf.use("prob-distances")
    l1 = sp.Integer(0)
    for part in (S, T):
        term = sp.Abs(sp.factor(sp.together(row.a_hat[part.name] - row.a[part.name])))
        _need(not term.has(sp.Abs), f"lem:tail-identity: the sign of a_hat_j - a_j on {part.name} is open")
        l1 += _sum_over(term, part)
    ratio = sp.cancel(row.a_hat["S"] / row.a["S"])
    _need(not ratio.has(S.w), "lem:tail-identity: a_hat / a is not constant on S")
    kl = _sum_over(row.a_hat["S"] * sp.log(ratio), S)      # a_hat_j = 0 on T: 0 log 0 = 0
    subs = {L1: l1, TV: l1 / 2, KL: kl, tau: row.tau, n: k + _p0}
    pf.hypotheses(subs)
    pf.check(subs)
    return pf.finish()


def prove_output_factorization() -> str:
    """o - o_hat = tau (mu_T - mu_H): o = (P_S + P_T)/Z, o_hat = mu_H = P_S/W_S, mu_T = P_T/W_T."""
    pf = _Proof("lem:output-factorization")
    S, T = _top(tail_nonempty=True)                     # tau > 0
    row = _row(pf, (S, T), {"S": 1, "T": 0})
    pf.use("coordinatewise")
    mu_T_value = _sum_over(row.a["T"] * T.v, T) / row.tau
    subs = {o: row.o, o_hat: row.o_hat, mu_H: row.o_hat, mu_T: mu_T_value, tau: row.tau, n: k + _p}
    pf.hypotheses(subs)
    pf.check(subs)
    return pf.finish()


def prove_output_error() -> str:
    """||o - o_hat|| <= tau D_SH <= 2 tau v_max in any norm, for any nonempty kept set."""
    pf = _Proof("thm:output-error")
    S, T = _top(tail_nonempty=False)
    row = _row(pf, (S, T), {"S": 1, "T": 0})
    subs = {**_output_error_chain(pf, row, S, T, tau), tau: row.tau, n: k + _p0}
    pf.hypotheses(subs)
    pf.check(subs)
    return pf.finish()


def prove_worst_case_error() -> str:
    """sup_{||v_j|| <= 1} ||o - o_hat|| = 2 tau: <= from the output-error chain, = at v = -u on S, u on T."""
    pf = _Proof("lem:worst-case-error")
    S, T = _top(tail_nonempty=True)
    row = _row(pf, (S, T), {"S": 1, "T": 0})
    chain = _output_error_chain(pf, row, S, T, tau)
    r = sp.Symbol("rho_v", nonnegative=True)            # max_j ||v_j|| = 1 - rho_v <= 1
    s_d = 2 * chain[v_max] - v_spread                    # D_SH = 2 v_max - sigma_D <= 2 (1 - rho_v) - sigma_D
    upper = _subst(err, {err: chain[err], v_spread: 2 * (1 - r) - s_d, tau: row.tau})
    _need(_nonneg(2 * row.tau - upper), "lem:worst-case-error: the upper bound 2 tau")
    u = sp.Symbol("u", real=True)                        # a coordinate of a unit vector
    attained = (row.o - row.o_hat).xreplace({S.P: _sum_over(S.w * (-u), S), T.P: _sum_over(T.w * u, T)})
    _need(_zero(attained - 2 * row.tau * u), "lem:worst-case-error: the attaining values")
    pf.use("max-bound")                                  # sup <= every bound, >= every attained value
    sup_err = sp.Symbol("sup_err", nonnegative=True)
    subs = {sup_err: 2 * row.tau, tau: row.tau, n: k + _p}
    pf.hypotheses(subs)
    pf.check(subs)
    return pf.finish()


def prove_eps_k_tail() -> str:
    """(eps,k)-sparse => a_(k+1) <= eps => tau <= (n-k) a_(k+1) <= (n-k) eps; err via output-error.

    k = n is proved too: the dropped part is empty, tau = 0 and o = o_hat."""
    pf = _Proof("lem:eps-k-tail")
    _sparse_kplus1(pf)
    S, T = _top(tail_nonempty=True)
    row = _row(pf, (S, T), {"S": 1, "T": 0})
    pf.use("exp-monotone", "count-times-extreme")
    s1, s2 = _slacks("sigma_1 sigma_2")
    w_k1 = (T.W + s1) / (n - k)          # W_T <= (n-k) w_(k+1): every dropped weight <= w_(k+1)
    eps_value = w_k1 / row.Z + s2        # a_(k+1) <= eps
    subs = {**_output_error_chain(pf, row, S, T, tau), tau: row.tau, eps: eps_value, n: k + _p}
    pf.hypotheses(subs)
    pf.check(subs)
    E = _empty("T")                      # k = n
    full = _row(pf, (S, E), {"S": 1, "T": 0}, n_value=k)
    _need(_zero(full.tau) and _zero(full.o - full.o_hat), "lem:eps-k-tail: k = n")
    pf.check({tau: full.tau, err: sp.Integer(0), n: k})
    return pf.finish()


def prove_gap_bound() -> str:
    """W_S >= k e^{s_(k)} and W_T <= (n-k) e^{s_(k+1)} (count-times-extreme), tau = W_T/(W_S + W_T)."""
    pf = _Proof("lem:gap-bound")
    S, T = _top(tail_nonempty=True)
    row = _row(pf, (S, T), {"S": 1, "T": 0})
    pf.use("topk-order", "exp-monotone", "count-times-extreme")
    th_k, th_k1 = sp.symbols("e^s_(k) e^s_(k+1)", positive=True)
    s1, s2 = _slacks("sigma_1 sigma_2")
    subs = {S.W: k * th_k + s1, th_k1: (T.W + s2) / (n - k), Delta: sp.log(th_k) - sp.log(th_k1),
            s_k1: sp.log(th_k1), LSE: row.LSE, tau: row.tau, n: k + _p}
    pf.hypotheses(subs)
    pf.check(subs)
    return pf.finish()


def prove_topk_optimal() -> str:
    """tau_k <= tau_{S'} for |S'| = k: parts A = S minus S', C = S and S', B = S' minus S, R = the rest;
    |A| = |B| (disjoint-count) and W_A >= W_B (exchange)."""
    pf = _Proof("lem:topk-optimal")
    qa, qb, cc, rr = sp.symbols("q_A q_B c r", integer=True, nonnegative=True)
    A, C, B, R = (_part(name, cnt, nonempty=False)
                  for name, cnt in (("A", qa), ("C", cc), ("B", qb), ("R", rr)))
    top = {"A": 1, "C": 1, "B": 0, "R": 0}
    other = {"A": 0, "C": 1, "B": 1, "R": 0}
    row = _row(pf, (A, C, B, R), top, n_value=qa + cc + qb + rr, opaque_Z=True)
    pf.use("disjoint-count", "topk-order", "exp-monotone", "exchange")
    (sol,) = sp.solve([sp.Eq(qa + cc, k), sp.Eq(qb + cc, k)], [qa, qb], dict=True)
    _need(sp.simplify(sol[qa] - sol[qb]) == 0, "lem:topk-optimal: |S \\ S'| != |S' \\ S|")
    sigma = sp.Symbol("sigma", nonnegative=True)
    subs = {tau: row.tau, tau_S: row.tail(other), A.W: B.W + sigma}
    pf.hypotheses(subs)
    pf.check(subs)
    return pf.finish()


def _tail_mean_fact(proof: _Proof) -> None:
    """tau_k <= 1 - k/n on a generic row: W_S >= k theta and W_T <= (n-k) theta with theta = w_(k+1)
    (count-times-extreme on both sides of the top-k order); used for every row of the sparsity loss."""
    S, T = _top(tail_nonempty=True)
    row = _row(proof, (S, T), {"S": 1, "T": 0})
    proof.use("topk-order", "exp-monotone", "count-times-extreme")
    th = sp.Symbol("theta", positive=True)
    s1, s2 = _slacks("sigma_1 sigma_2")
    bound = _subst(1 - k / n - row.tau, {S.W: k * th + s1, th: (T.W + s2) / (n - k), n: k + _p})
    _need(_nonneg(bound), "tau_k <= 1 - k/n")


def prove_tail_monotone() -> str:
    """tau_{k+1} = tau_k - a_(k+1) (nesting, sum-split) and tau_k <= 1 - k/n; tau_n = 0 (empty sum)."""
    pf = _Proof("lem:tail-monotone")
    S, K1, R = _part("S", k), _part("K1", 1, single=True), _part("R", n - k - 1, nonempty=False)
    row = _row(pf, (S, K1, R), {"S": 1, "K1": 0, "R": 0})
    pf.use("topk-order", "exp-monotone", "count-times-extreme")
    th = sp.Symbol("theta", positive=True)           # w_(k+1): kept weights >= theta >= dropped ones
    s1, s2 = _slacks("sigma_1 sigma_2")
    subs = {tau: row.tau, tau_next: row.tail({"S": 1, "K1": 1, "R": 0}), S.W: k * th + s1,
            th: (K1.W + R.W + s2) / (n - k), n: k + _p}
    pf.hypotheses(subs)
    pf.check(subs)
    full = _row(pf, (S, _empty("T")), {"S": 1, "T": 0}, n_value=k)
    _need(_zero(full.tau), "lem:tail-monotone: tau_n != 0")
    return pf.finish()


def prove_max_weight() -> str:
    """1 - tau = sum_S a_j <= k max_j a_j (count-times-extreme, max-bound), every 1 <= k <= n."""
    pf = _Proof("lem:max-weight")
    S, T = _top(tail_nonempty=False)
    row = _row(pf, (S, T), {"S": 1, "T": 0})
    pf.use("max-bound", "count-times-extreme")
    sigma = sp.Symbol("sigma", nonnegative=True)
    subs = {tau: row.tau, a_max: (S.W / row.Z + sigma) / k, n: k + _p0}
    pf.hypotheses(subs)
    pf.check(subs)
    return pf.finish()


def prove_loss_gradient() -> str:
    """d tau/d s_l = a_l (1[l not in S] - tau) in both cases l in T, l in S; L_k <= 1 - k/n."""
    pf = _Proof("lem:loss-gradient")
    pf.use("local-constancy")
    sl = sp.Symbol("s_l", real=True)
    has_grad = lambda rel: bool(rel.atoms(sp.core.function.AppliedUndef) & {ds(l)})  # noqa: E731
    for flag in (0, 1):                                 # l dropped, l kept
        L = _part("l", 1, single=True)
        rest_S = _part("S", k - flag, nonempty=not flag)
        rest_T = _part("T", n - k - (1 - flag), nonempty=False)
        row = _row(pf, (L, rest_S, rest_T), {"l": flag, "S": 1, "T": 0})
        tau_s = row.tau.xreplace({L.w: sp.exp(sl)})
        subs = {ds(l): sp.diff(tau_s, sl), a[l]: row.a["l"].xreplace({L.w: sp.exp(sl)}),
                one_S(l): sp.Integer(flag), tau: tau_s}
        pf.check(subs, has_grad)
    _tail_mean_fact(pf)                                 # every row: tau_i <= 1 - k/n
    loss = _equation("def:sparsity-loss", lambda x: x == L_k)
    sums = list(loss.rhs.atoms(sp.Sum))
    _need(len(sums) == 1 and sums[0].limits[0][1:] == (1, m), "def:sparsity-loss: not a mean over m rows")
    term = sums[0].function
    _need(isinstance(term, sp.Indexed) and str(term.base) == "tau", "def:sparsity-loss: not a mean of tails")
    pf.use("count-times-extreme", "sum-nonnegative")
    rho = sp.Symbol("rho", nonnegative=True)             # 0 < sum_i tau_i <= m (1 - k/n)
    L_value = loss.rhs.xreplace({sums[0]: m * (1 - k / n) / (1 + rho)})
    _need(_nonneg(_subst(L_value, {n: k + _p})), "lem:loss-gradient: L_k >= 0")
    pf.check({L_k: L_value, n: k + _p}, lambda rel: not has_grad(rel))
    return pf.finish()


def prove_threshold_error() -> str:
    """Dropped a_j <= eps (threshold-sets) so tau_thr <= m eps; the argmax is kept so m <= n - 1;
    the output-error chain holds for the threshold's kept set with its own tail mass."""
    pf = _Proof("thm:threshold-error")
    _threshold_sets(pf)
    m0 = sp.Symbol("m_0", integer=True, nonnegative=True)   # dropped keys (0 allowed)
    r = sp.Symbol("r", integer=True, positive=True)          # kept keys: the argmax is kept
    K, D = _part("K", r), _part("D", m0, nonempty=False)
    row = _row(pf, (K, D), {"K": 1, "D": 0}, n_value=r + m0)
    pf.use("disjoint-count", "count-times-extreme", "sum-nonnegative")
    rho = sp.Symbol("rho", nonnegative=True)    # 0 <= tau_thr <= m eps, tau_thr > 0 when m >= 1
    hh = sp.Symbol("h", nonnegative=True)
    subs = {**_output_error_chain(pf, row, K, D, tau_thr), tau_thr: m0 * eps / (1 + rho), m: m0,
            n: m0 + r, a_max: eps * (1 + hh)}
    pf.hypotheses(subs)
    pf.check(subs)
    return pf.finish()


# ---------------------------------------------------------------------------------------------
# The tables
# ---------------------------------------------------------------------------------------------

_AX = "axiom"
_SY = "sympy"

#: Every lemma by name: its statement, whether it is proved by SymPy or an axiom, and its proof.
LEMMAS: dict[str, Lemma] = {lem.name: lem for lem in (
    Lemma("relabel", "A finite sum does not depend on the order of its terms, so the keys may be "
          "relabelled by the top-k order (score descending, ties by lower index): S = {1..k}, "
          "T = {k+1..n}, and any partition of {1..n} into parts may be taken as consecutive ranges.",
          _AX, "+ is associative and commutative: the definition of a finite sum"),
    Lemma("topk-order", "After relabel, s_1 >= ... >= s_n: every kept score >= s_(k) >= s_(k+1) >= every "
          "dropped score, and the top-(k+1) set is S plus the index k+1 (nesting).",
          _AX, "definition of the top-k set, def:topk-attention"),
    Lemma("sum-split", "sum_{j=1}^n f_j = sum_{j=1}^k f_j + sum_{j=k+1}^n f_j for integers k, n; a one-term "
          "range is its term, an empty range is 0.", _SY, "SymPy over symbolic k, n", _prove_sum_split),
    Lemma("sum-linear", "sum (c f_j + d g_j) = c sum f_j + d sum g_j for c, d free of j; a sum of a constant "
          "is its count times the constant.", _SY, "induction on the number of terms", _prove_sum_linear),
    Lemma("sum-nonnegative", "A sum of nonnegative terms is >= 0, of N >= 1 positive terms > 0.",
          _SY, "induction on the number of terms", _prove_sum_nonnegative),
    Lemma("count-times-extreme", "If c_j >= 0 and x_j <= M (>= M) for all j then "
          "sum c_j x_j <= (>=) M sum c_j; with c_j = 1, a sum is at most (least) its count times its "
          "extreme term; a weighted mean lies between its extreme terms.",
          _SY, "induction on the number of terms", _prove_count_times_extreme),
    Lemma("exchange", "If |A| = |B| and every element of A is >= every element of B, sum_A >= sum_B.",
          _SY, "two uses of count-times-extreme", _prove_exchange),
    Lemma("disjoint-count", "Sizes of disjoint sets add; |S| = |S'| implies |S minus S'| = |S' minus S|.",
          _SY, "sum-split with f = 1 and SymPy solve", _prove_disjoint_count),
    Lemma("exp-monotone", "e^x > 0 and x <= y implies e^x <= e^y (so w_j = e^{s_j} orders like s_j).",
          _SY, "the exponential series", _prove_exp_monotone),
    Lemma("norm-axioms", "||x + y|| <= ||x|| + ||y||, ||c x|| = |c| ||x||, ||x|| >= 0.",
          _AX, "definition of a norm"),
    Lemma("norm-finite-triangle", "||sum c_j x_j|| <= sum c_j ||x_j|| for c_j >= 0.",
          _SY, "induction from norm-axioms", _prove_norm_finite_triangle),
    Lemma("max-bound", "Every element is <= its maximum; a maximum (a supremum) of numbers each "
          "<= B is <= B; a supremum is >= every value attained.", _AX, "definition of max and sup"),
    Lemma("coordinatewise", "An identity linear in the values v_j holds in R^{d_v} iff it holds in every "
          "coordinate, so one real coordinate v_j suffices.", _AX, "vector operations are coordinatewise"),
    Lemma("prob-distances", "TV(p, q) = ||p - q||_1 / 2; KL(p||q) = sum_{p_j > 0} p_j log(p_j / q_j).",
          _AX, "definitions of total variation and Kullback-Leibler divergence"),
    Lemma("local-constancy", "If s_(k) > s_(k+1), a perturbation of every score by less than half the gap "
          "keeps the top-k set, so S is locally constant and tau_k is differentiable there.",
          _SY, "SymPy over a symbolic gap", _prove_local_constancy),
    Lemma("softmax-aggregates", "From the registry's def:attention, def:tail-mass and def:topk-attention: "
          "Z = sum of the parts' W, a_j = w_j/Z, LSE = log Z, o = sum P / Z, tau = W_T/Z, sum a = 1, "
          "a_hat_j = w_j/W_S on S and 0 on T, sum a_hat = 1, o_hat = P_S/W_S.",
          _SY, "sum-split and sum-linear on the definitions read from the registry",
          _instance(_softmax_aggregates)),
    Lemma("sparse-kplus1", "If a is (eps,k)-sparse (the registry's def:eps-k-sparse) then a_(k+1) <= eps.",
          _SY, "contradiction: k+1 weights above eps would be counted", _instance(_sparse_kplus1)),
    Lemma("threshold-sets", "Threshold attention (the registry's def:threshold-attention) drops only "
          "keys with a_j < eps, and keeps the key of largest weight when eps <= max_j a_j.",
          _SY, "Heaviside at the threshold, exp-monotone", _instance(_threshold_sets)),
)}

_INSTANCE_LEMMAS = {"softmax-aggregates", "sparse-kplus1", "threshold-sets"}

#: What each general proof covers.
SCOPES: dict[str, str] = {
    "lem:tail-identity": "every n >= 1, every 1 <= k <= n, every kept set S of size k, every real score "
                         "vector",
    "lem:output-factorization": "every n >= 2, every 1 <= k < n, every kept set S, every real score vector "
                                "and value vectors in R^{d_v}",
    "thm:output-error": "every n >= 1, every 1 <= k <= n, every kept set S, every real score vector and "
                        "value vectors in any normed space",
    "lem:worst-case-error": "every n >= 2, every 1 <= k < n, every kept set S, every real score vector, "
                            "values in any normed space",
    "lem:eps-k-tail": "every n >= 1, every 1 <= k <= n, every (eps,k)-sparse softmax row, eps > 0, values in "
                      "any normed space",
    "lem:gap-bound": "every n >= 2, every 1 <= k < n, every real score vector",
    "lem:topk-optimal": "every n >= 1, every 1 <= k <= n, every other index set S' of size k, every real "
                        "score vector",
    "lem:tail-monotone": "every n >= 2, every 1 <= k < n (and tau_n = 0), every real score vector",
    "lem:max-weight": "every n >= 1, every 1 <= k <= n, every real score vector",
    "lem:loss-gradient": "every n >= 2, every 1 <= k < n, every l, every real score vector with "
                         "s_(k) > s_(k+1); every m >= 1 rows for L_k",
    "thm:threshold-error": "every n >= 1, every 0 < eps <= max_j a_j, every real score vector, any number m "
                           ">= 0 of dropped keys, values in any normed space",
}

#: result id -> (prover returning a one-line detail of what was proved, its scope)
GENERAL_PROOFS: dict[str, tuple[Callable[[], str], str]] = {
    rid: (prover, SCOPES[rid]) for rid, prover in (
        ("lem:tail-identity", prove_tail_identity),
        ("lem:output-factorization", prove_output_factorization),
        ("thm:output-error", prove_output_error),
        ("lem:worst-case-error", prove_worst_case_error),
        ("lem:eps-k-tail", prove_eps_k_tail),
        ("lem:gap-bound", prove_gap_bound),
        ("lem:topk-optimal", prove_topk_optimal),
        ("lem:tail-monotone", prove_tail_monotone),
        ("lem:max-weight", prove_max_weight),
        ("lem:loss-gradient", prove_loss_gradient),
        ("thm:threshold-error", prove_threshold_error),
    )
}

#: Deterministic results with no general proof here, and exactly why.
NOT_PROVED: dict[str, str] = {
    "thm:certificate-rounding": "a statement about rounded floating-point operations, which the real-number "
                                "algebra here does not model; the book proves it by a written forward error "
                                "analysis and evidence/kernel.py checks it in ball arithmetic on stated rows "
                                "(verified, a finite check).",
}

#: result id -> the lemmas its general proof uses, in the order it uses them (the book lists these).
USES: dict[str, tuple[str, ...]] = {
    "lem:tail-identity": ("softmax-aggregates", "relabel", "sum-split", "sum-linear", "prob-distances"),
    "lem:output-factorization": ("softmax-aggregates", "relabel", "sum-split", "sum-linear",
                                 "coordinatewise"),
    "thm:output-error": ("softmax-aggregates", "relabel", "sum-split", "sum-linear", "coordinatewise",
                         "norm-axioms", "norm-finite-triangle", "count-times-extreme", "max-bound"),
    "lem:worst-case-error": ("softmax-aggregates", "relabel", "sum-split", "sum-linear", "coordinatewise",
                             "norm-axioms", "norm-finite-triangle", "count-times-extreme", "max-bound"),
    "lem:eps-k-tail": ("sparse-kplus1", "relabel", "topk-order", "sum-split", "sum-linear", "sum-nonnegative",
                       "softmax-aggregates", "exp-monotone", "count-times-extreme", "coordinatewise",
                       "norm-axioms", "norm-finite-triangle", "max-bound"),
    "lem:gap-bound": ("softmax-aggregates", "relabel", "sum-split", "sum-linear", "topk-order",
                      "exp-monotone", "count-times-extreme"),
    "lem:topk-optimal": ("softmax-aggregates", "relabel", "sum-split", "sum-linear", "sum-nonnegative",
                         "disjoint-count", "topk-order", "exp-monotone", "exchange"),
    "lem:tail-monotone": ("softmax-aggregates", "relabel", "sum-split", "sum-linear", "topk-order",
                          "exp-monotone", "count-times-extreme"),
    "lem:max-weight": ("softmax-aggregates", "relabel", "sum-split", "sum-linear", "max-bound",
                       "count-times-extreme"),
    "lem:loss-gradient": ("local-constancy", "softmax-aggregates", "relabel", "sum-split", "sum-linear",
                          "topk-order", "exp-monotone", "count-times-extreme", "sum-nonnegative"),
    "thm:threshold-error": ("threshold-sets", "exp-monotone", "softmax-aggregates", "relabel", "sum-split",
                            "sum-linear", "disjoint-count", "count-times-extreme", "sum-nonnegative",
                            "coordinatewise", "norm-axioms", "norm-finite-triangle", "max-bound"),
}
