"""The general proofs, each a sequence of kernel steps (`natsparse.proofs.kernel`) ending on the registry
formula: what makes a result `proved`.

Each proof is a function registered with `@general_proof(id, scope=..., model=...)`. It states nothing
itself: every fact comes from a kernel rule (a definition read from the registry, an axiom or lemma
instance, a decided relation, a combination checked by the kernel), and its last step `conclude`
matches every relation of the registry formula, read when it runs. `PROOFS[id].check()` runs it
and returns its `ProofLog`; what it cites is read off the log (`uses`), and the lemmas it cites run
their own SymPy proofs (`LEMMAS`).

    >>> log = PROOFS["lem:max-weight"].check()
    >>> log.steps[-1].rule, len(log.steps) > 3
    ('conclude', True)
    >>> [c for c in PROOFS["lem:max-weight"].uses() if c.startswith("ax:")]
    ['ax:relabel', 'ax:max-bound']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

import sympy as sp

from . import kernel as K
from .kernel import Fact, Model, ProofError, ProofLog, model, part
from .symbols import (
    Delta,
    a_max,
    eps,
    err,
    i,
    k,
    l,
    m,
    n,
    s,
    s_k1,
    tau,
    tau_next,
    tau_S,
    tau_thr,
    v_max,
    v_spread,
)


class GeneralProofError(ProofError):
    """A general proof did not go through (kept for the callers that catch it by this name)."""


#: n - k when k < n, and when k <= n
p = sp.Symbol("p", integer=True, positive=True)
p0 = sp.Symbol("p_0", integer=True, nonnegative=True)


@dataclass(frozen=True)
class GeneralProof:
    """One registered proof: the result, what it covers (`scope`), its model of the row, the body."""

    result_id: str
    scope: str
    model: str
    body: Callable[[], Fact]

    def check(self, saboteur: Callable | None = None) -> ProofLog:
        """Run the proof in the kernel; its last step must conclude this result. Raises ProofError."""
        with ProofLog(self.result_id, saboteur) as log:
            self.body()
        last = log.steps[-1] if log.steps else None
        if last is None or last.rule != "conclude" or last.cites[0] != self.result_id:
            raise GeneralProofError(f"{self.result_id}: the proof does not end by concluding it")
        for name in log.cited():
            if name in LEMMAS:
                LEMMAS[name]()
        return log

    def uses(self) -> list[str]:
        """What the proof cites: registry ids (axioms, definitions, results) and lemmas, in order."""
        return [c for c in _cited(self.result_id) if c != self.result_id]

    def detail(self) -> str:
        """One line for the evidence: what was proved, for what, in how many steps, from what."""
        log = self.check()
        axioms = [c for c in log.cited() if c.startswith("ax:")]
        return (
            f"{self.result_id}: {len(log.steps)} kernel steps for {self.scope}; axioms "
            f"{', '.join(axioms) or 'none'}"
        )


PROOFS: dict[str, GeneralProof] = {}


def general_proof(result_id: str, *, scope: str, model: str):
    """Decorator: register a proof body for `result_id` (one place per result)."""

    def deco(body: Callable[[], Fact]) -> Callable[[], Fact]:
        PROOFS[result_id] = GeneralProof(result_id, scope, model, body)
        return body

    return deco


def _snapshot() -> tuple:
    """The registry as it is now: the caches below are keyed on it, so that a result or definition
    swapped in (by the mutation gate or a test) is never answered from a proof of another registry."""
    from .registry import registry

    return tuple(registry.items())


def _cited(result_id: str) -> tuple[str, ...]:
    return _cited_in(result_id, _snapshot())


@cache
def _cited_in(result_id: str, _registry_now: tuple) -> tuple[str, ...]:
    return tuple(PROOFS[result_id].check().cited())


def kernel_proved(result_id: str) -> bool:
    """Whether the kernel proof of `result_id` passes (a lemma's proof, before an instance of it)."""
    return result_id in PROOFS and _proved_in(result_id, _snapshot())


@cache
def _proved_in(result_id: str, _registry_now: tuple) -> bool:
    try:
        PROOFS[result_id].check()
    except ProofError:
        return False
    return True


def goals(result_id: str, mdl: Model | None = None) -> list[sp.Basic]:
    """The relations of the registry formula of `result_id`, read now, with the model's sizes."""
    from .registry import registry

    rels = registry[result_id].relations()
    if not rels:
        raise GeneralProofError(f"{result_id}: the registry has no formula to prove")
    return [rel.xreplace(mdl.size_subs if mdl else {}) for rel in rels]


def needed(goal, eqs: list[Fact]) -> list[Fact]:
    """The equations a goal needs: those naming a quantity of the goal, then of what they bring in
    (a proof's choice of facts, not a claim: the kernel checks the step either way)."""
    names = set(goal.atoms(sp.Symbol, sp.Indexed, sp.Function))
    picked: list[Fact] = []
    grew = True
    while grew:
        grew = False
        for e in eqs:
            if e not in picked and e.rel.lhs in names:
                picked.append(e)
                names |= e.rel.rhs.atoms(sp.Symbol, sp.Indexed, sp.Function)
                grew = True
    return picked


# ---------------------------------------------------------------------------------------------
# Lemmas: small facts with their own SymPy proofs, run when a proof cites them
# ---------------------------------------------------------------------------------------------


def _lemma_need(ok: bool, what: str) -> None:
    if not ok:
        raise GeneralProofError(what)


_f = sp.IndexedBase("f", real=True)
_j = sp.Symbol("j", integer=True)


@cache
def _sum_split() -> str:
    kk, nn, q = sp.symbols("k n q", integer=True)
    left, right = sp.Sum(_f[_j], (_j, 1, kk)), sp.Sum(_f[_j], (_j, kk + 1, nn))
    _lemma_need(sp.simplify(left + right - sp.Sum(_f[_j], (_j, 1, nn))) == 0, "sum-split: adjacent ranges")
    _lemma_need(sp.Sum(_f[_j], (_j, q, q)).doit() == _f[q], "sum-split: one term")
    _lemma_need(sp.Sum(_f[_j], (_j, nn + 1, nn)).doit() == 0, "sum-split: empty range")
    return "sum_1^n = sum_1^k + sum_{k+1}^n for symbolic k, n; one-term and empty ranges"


@cache
def _sum_linear() -> str:
    c, d, F, G, f1, g1 = sp.symbols("c d F G f g", real=True)
    lo, hi = sp.symbols("lo hi", integer=True)
    _g = sp.IndexedBase("g", real=True)
    _lemma_need(sp.Sum(c * _f[_j] + d * _g[_j], (_j, 1, 0)).doit() == 0, "sum-linear: base")
    _lemma_need(
        sp.expand(c * F + d * G + c * f1 + d * g1 - (c * (F + f1) + d * (G + g1))) == 0, "sum-linear: step"
    )
    _lemma_need(sp.simplify(sp.Sum(c, (_j, lo, hi)).doit() - (hi - lo + 1) * c) == 0, "sum-linear: constants")
    return "sum (c f_j + d g_j) = c sum f_j + d sum g_j; sum_{lo}^{hi} c = (hi-lo+1) c: induction"


@cache
def _sum_monotone() -> str:
    F, G, f1, g1, r1, r2 = sp.symbols("F G f g r1 r2", real=True)
    # sum_{j<=N} f_j <= sum_{j<=N} g_j: base 0 <= 0; step F = G - r1, f = g - r2 with r1, r2 >= 0
    r = sp.symbols("r1 r2", nonnegative=True)
    step = (G + g1) - ((G - r[0]) + (g1 - r[1]))
    _lemma_need(
        sp.expand(step - r[0] - r[1]) == 0 and bool((r[0] + r[1]).is_nonnegative), "sum-monotone: step"
    )
    return "f_j <= g_j for all j => sum f_j <= sum g_j: induction on the number of terms"


@cache
def _norm_finite_triangle() -> str:
    NX, Nx, B, c1, r1, r2 = sp.symbols("NX Nx B c r1 r2", nonnegative=True)
    # ||X + c x|| <= ||X|| + c ||x|| (ax:norm-triangle, ax:norm-homogeneity with c >= 0), ||X|| <= B
    lhs = (B - r2) + c1 * Nx - r1
    _lemma_need(bool(sp.expand(B + c1 * Nx - lhs).is_nonnegative), "norm-finite-triangle: step")
    return "||sum c_j x_j|| <= sum c_j ||x_j|| for c_j >= 0: induction on the number of terms"


@cache
def _local_constancy() -> str:
    g = sp.Symbol("g", positive=True)
    sig = sp.Symbol("sigma", nonnegative=True)
    ri, rj = sp.symbols("r_i r_j", positive=True)
    moved = (g + sig) + (-g / 2 + ri) - (g / 2 - rj)
    _lemma_need(bool(sp.expand(moved).is_positive), "local-constancy")
    return "s_(k) - s_(k+1) = g > 0 and |delta_j| < g/2 => the top-k set is unchanged"


@cache
def _sum_positive() -> str:
    F = sp.Symbol("F", nonnegative=True)
    fp = sp.Symbol("f_p", positive=True)
    _lemma_need(sp.Sum(_f[_j], (_j, 1, 0)).doit() == 0 and bool((F + fp).is_positive), "sum-positive")
    return "a sum of N >= 1 positive terms is > 0 (so Z > 0): induction on N"


#: lemma name -> its SymPy proof (run when a proof cites it)
LEMMAS: dict[str, Callable[[], str]] = {
    "sum-split": _sum_split,
    "sum-linear": _sum_linear,
    "sum-monotone": _sum_monotone,
    "norm-finite-triangle": _norm_finite_triangle,
    "local-constancy": _local_constancy,
    "sum-positive": _sum_positive,
}
#: what a lemma says, for the book and `natsparse show`
LEMMA_STATEMENTS: dict[str, str] = {
    "sum-split": "a sum over 1..n is the sum of its sums over consecutive ranges; a one-term range is its "
    "term, an empty range 0",
    "sum-linear": "sums are linear; a sum of a constant is its count times it; finite sums may be swapped",
    "sum-monotone": "termwise <= gives <= of the sums",
    "sum-positive": "a sum of n >= 1 positive terms is > 0 (Z > 0)",
    "norm-finite-triangle": "||sum c_j x_j|| <= sum c_j ||x_j|| for c_j >= 0",
    "local-constancy": "if s_(k) > s_(k+1), small moves of the scores keep the top-k set",
    "notation": "a named quantity's definition (err = ||o - o_hat||, Delta = s_(k) - s_(k+1), mu_T, ...)",
    "sympy": "a fact SymPy decides",
    "combination": "a nonnegative combination checked by the kernel",
    "order": "x <= y and y <= x give x = y",
    "parametrization": "a continuous strictly monotone map of (0, oo) onto (a, b) reaches every point of "
    "(a, b) (the intermediate value theorem): a model that writes a parameter through a fresh one covers "
    "its range",
    "gaussian-model": "the setting of the Gaussian chapter: given the query, the scores s_1..s_n are i.i.d. "
    "N(0, beta^2) (lem:conditional-gaussian derives it from Gaussian keys), so sums over the keys of one "
    "function of the score have independent terms",
    "integer count": "a sum of terms each 0 or 1 is an integer, so X <= B gives X <= floor(B)",
}


# ---------------------------------------------------------------------------------------------
# Shared chains
# ---------------------------------------------------------------------------------------------


def _top(tail: sp.Expr, name: str = "top-k") -> Model:
    """Kept S = {1..k}, dropped T = {k+1..n} with |T| = tail, n = k + tail."""
    return model(name, (part("S", k), part("T", tail, nonempty=bool(tail.is_positive))), {"S"}, {n: k + tail})


def _output_error_chain(mdl: Model, row: dict[str, Fact], tail=tau) -> tuple[Fact, Fact]:
    """err <= tail * D_SH and tail * D_SH <= 2 tail * v_max for the one kept and one dropped part.

    o - o_hat = sum over pairs (kept i, dropped j) of a_j a_hat_i (v_j - v_i): the norm of that sum is
    at most the sum of the weights times ||v_j - v_i|| <= D_SH, and the weights sum to the tail mass;
    ||v_j - v_i|| <= ||v_j|| + ||v_i|| <= 2 v_max."""
    (S,) = [x for x in mdl.parts if x.name in mdl.kept]
    (T,) = [x for x in mdl.parts if x.name not in mdl.kept]
    c = row[f"a:{T.name}"].rel.rhs * row[f"a_hat:{S.name}"].rel.rhs
    triangle = K.norm_of_sum((S, T), c, T.v - S.v, mdl)
    spread = K.sum_over((S, T), K.maximum(v_spread, mdl, (S, T)), c)
    first = K.derive(
        sp.Le(err, tail * v_spread),
        eqs=[K.meaning(err), row["o"], row["o_hat"], row["tau"], row["Z"]],
        ineqs=[(triangle, 1), (spread, 1)],
    )
    (tri,) = K.instance("ax:norm-triangle", over=(S.name, T.name), x=T.v, y=-S.v)
    (flip,) = K.instance("ax:norm-homogeneity", over=(S.name,), c=-1, x=S.v)
    pair = K.derive(
        sp.Le(K.norm(T.v - S.v), 2 * v_max),
        eqs=[flip],
        ineqs=[(tri, 1), (K.maximum(v_max, mdl, (T,)), 1), (K.maximum(v_max, mdl, (S,)), 1)],
        over=(S.name, T.name),
    )
    bound = K.maximum_at_most(v_spread, mdl, (S, T), pair)
    second = K.derive(sp.Le(tail * v_spread, 2 * tail * v_max), ineqs=[(bound, tail)])
    return first, second


def _exp_of(mdl: Model, row, fact: Fact, p_name: str) -> Fact:
    """From s[j] <= x or x <= s[j] at the members of a part: the same between w_j = e^{s_j} and e^x
    (ax:exp-monotone, with s[j] = log w_j from the row)."""
    rel = fact.rel
    (up,) = K.instance("ax:exp-monotone", over=fact.over, given=[fact], x=rel.lhs, y=rel.rhs)
    return K.derive(
        sp.Le(sp.exp(rel.lhs), sp.exp(rel.rhs)).xreplace(
            {s[mdl.part(p_name).index]: sp.log(mdl.part(p_name).w)}
        ),
        eqs=[row[f"s:{p_name}"]],
        ineqs=[(up, 1)],
        over=fact.over,
    )


def _part_sums(mdl: Model, row, names: Iterable[str]) -> dict[str, Fact]:
    """For each named part: W_P >= |P| e^{s_(k)} if it is kept, W_P <= |P| e^{s_(k+1)} if dropped (count
    times extreme: ax:topk-order at each member, ax:exp-monotone, summed over the part); for a single
    key, its weight against the same bound."""
    order = {f.over[0] if f.over else _single_of(mdl, f): f for f in K.order(mdl)[1:]}
    sums = {}
    for name in names:
        member = _exp_of(mdl, row, order[name], name)
        sums[name] = K.sum_over((mdl.part(name),), member) if order[name].over else member
    return sums


def _single_of(mdl: Model, fact: Fact) -> str:
    return next(x.name for x in mdl.parts if x.single and x.index in fact.rel.free_symbols)


def _exp_order(mdl: Model) -> Fact:
    """e^{s_(k+1)} <= e^{s_(k)} (ax:topk-order, ax:exp-monotone)."""
    (top,) = K.instance("ax:exp-monotone", given=[K.order(mdl)[0]], x=s_k1, y=K.s_k)
    return top


# ---------------------------------------------------------------------------------------------
# The proofs
# ---------------------------------------------------------------------------------------------


@general_proof(
    "lem:tail-identity",
    scope="every n >= 1, every 1 <= k <= n, every kept set S of size k, every real score vector",
    model="S kept (|S| = k), T the other p >= 0 keys, n = k + p",
)
def _tail_identity():
    mdl = _top(p0, "S kept")
    row = K.unfold(mdl)
    d = K.distances(mdl, row)
    eqs = [d["L1"], d["TV"], d["KL"], row["tau"], row["Z"]]
    facts = [K.derive(g, eqs=needed(g, eqs)) for g in goals("lem:tail-identity", mdl)]
    return K.conclude("lem:tail-identity", facts, [mdl])


@general_proof(
    "lem:output-factorization",
    scope="every n >= 2, every 1 <= k < n, every kept set S, every real score vector and values in R^{d_v}",
    model="S kept (|S| = k), T the other p >= 1 keys",
)
def _output_factorization():
    mdl = _top(p, "S kept, T nonempty")
    row = K.unfold(mdl)
    mu = K.means(mdl, row)
    facts = [
        K.derive(g, eqs=[row["o"], row["o_hat"], row["tau"], mu["mu_T"], mu["mu_H"], row["Z"]])
        for g in goals("lem:output-factorization", mdl)
    ]
    return K.conclude("lem:output-factorization", facts, [mdl])


@general_proof(
    "thm:output-error",
    scope="every n >= 1, every 1 <= k <= n, every kept set S, every real "
    "score vector and values in any normed space",
    model="S kept (|S| = k), T the other p >= 0 keys",
)
def _output_error():
    mdl = _top(p0, "S kept")
    row = K.unfold(mdl)
    chain = _output_error_chain(mdl, row)
    facts = [K.derive(g, ineqs=[(f, 1)]) for g, f in zip(goals("thm:output-error", mdl), chain, strict=True)]
    return K.conclude("thm:output-error", facts, [mdl])


@general_proof(
    "lem:worst-case-error",
    scope="every n >= 2, every 1 <= k < n, every kept set S, every real "
    "score vector, values in any normed space",
    model="S kept (|S| = k), T the other p >= 1 keys",
)
def _worst_case_error():
    mdl = _top(p, "S kept, T nonempty")
    row = K.unfold(mdl)
    first, second = _output_error_chain(mdl, row)
    err_bound = K.derive(sp.Le(err, 2 * tau * v_max), ineqs=[(first, 1), (second, 1)])
    upper = K.supremum_at_most(err_bound)  # sup_err <= 2 tau
    lower = K.derive(
        sp.Le(2 * tau, K.sup_err), eqs=[row["tau"], row["Z"]], ineqs=[(K.supremum_attained(mdl, row), 1)]
    )
    (goal,) = goals("lem:worst-case-error", mdl)
    if isinstance(goal, sp.Eq):
        fact = K.antisymmetry(goal, upper, lower)
    else:  # one side only (a looser form of the statement)
        fact = K.derive(goal, ineqs=[(upper if _upper_on_sup(goal) else lower, 1)])
    return K.conclude("lem:worst-case-error", [fact], [mdl])


def _upper_on_sup(rel) -> bool:
    """Whether a relation bounds sup_err from above."""
    rel = K._normal(rel)
    return rel.lhs == K.sup_err


@general_proof(
    "lem:eps-k-tail",
    scope="every n >= 1, every 1 <= k <= n, every (eps,k)-sparse softmax row, "
    "eps > 0, values in any normed space",
    model="top-k S (|S| = k), T the other p >= 0 keys",
)
def _eps_k_tail():
    mdl = _top(p0)
    row = K.unfold(mdl)
    (sparse,) = K.hypothesis("lem:eps-k-tail", mdl)  # N_eps <= k: the row is (eps,k)-sparse
    (small,) = K.eps_k_sparse(mdl, sparse)  # a_j <= eps at every dropped key
    T = mdl.part("T")
    member = K.derive(sp.Le(row["a:T"].rel.rhs, eps), eqs=[row["a:T"]], ineqs=[(small, 1)], over=("T",))
    tail = K.derive(sp.Le(tau, T.count * eps), eqs=[row["tau"]], ineqs=[(K.sum_over((T,), member), 1)])
    first, second = K.instance("thm:output-error", err=err, tau=tau, D_SH=v_spread, v_max=v_max)
    g1, g2 = goals("lem:eps-k-tail", mdl)
    facts = [
        K.derive(g1, ineqs=[(tail, 1)]),
        K.derive(g2, ineqs=[(first, 1), (second, 1), (tail, 2 * v_max)]),
    ]
    return K.conclude("lem:eps-k-tail", facts, [mdl])


@general_proof(
    "lem:gap-bound",
    scope="every n >= 2, every 1 <= k < n, every real score vector",
    model="top-k S (|S| = k), T the other p >= 1 keys",
)
def _gap_bound():
    mdl = _top(p)
    row = K.unfold(mdl)
    sums = _part_sums(mdl, row, ("S", "T"))
    top, low = sp.exp(K.s_k), sp.exp(s_k1)
    W_S, W_T = mdl.part("S").W, mdl.part("T").W
    D = (W_S + W_T) * (p * low + k * top)
    g1, g2 = goals("lem:gap-bound", mdl)
    facts = [
        K.derive(
            g1,
            eqs=[row["tau"], row["Z"], K.meaning(Delta)],
            ineqs=[(sums["T"], k * top / D), (sums["S"], p * low / D)],
        ),
        K.derive(g2, eqs=[row["tau"], row["LSE"]], ineqs=[(sums["T"], 1 / K.Z)]),
    ]
    return K.conclude("lem:gap-bound", facts, [mdl])


@general_proof(
    "lem:topk-optimal",
    scope="every n >= 1, every 1 <= k <= n, every other index set S' of size k, every real score vector",
    model="A = S minus S' (q), C = S and S' (c), B = S' minus S (q), R the rest (r); k = q + c",
)
def _topk_optimal():
    q, c, r = sp.symbols("q c r", integer=True, nonnegative=True)
    parts = (
        part("A", q, nonempty=False),
        part("C", c, nonempty=False),
        part("B", q, nonempty=False),
        part("R", r, nonempty=False),
    )
    mdl = model("top-k S = A + C, other S' = C + B", parts, {"A", "C"}, {n: 2 * q + c + r, k: q + c})
    row = K.unfold(mdl, tail=(tau_S, {"C", "B"}))
    sums, top = _part_sums(mdl, row, ("A", "B")), _exp_order(mdl)
    Zs = K.Z
    (goal,) = goals("lem:topk-optimal", mdl)
    fact = K.derive(
        goal,
        eqs=[row["tau"], row["tail"]],
        ineqs=[(sums["A"], 1 / Zs), (sums["B"], 1 / Zs), (top, q / Zs)],
    )
    return K.conclude("lem:topk-optimal", [fact], [mdl])


@general_proof(
    "lem:tail-monotone",
    scope="every n >= 2, every 1 <= k < n, every real score vector",
    model="top-k S (|S| = k), the (k+1)-th key K1, the rest R (p - 1 >= 0 keys)",
)
def _tail_monotone():
    parts = (part("S", k), part("K1", 1, single=True), part("R", p - 1, nonempty=False))
    mdl = model("top-k S, then key k+1", parts, {"S"}, {n: k + p})
    row = K.unfold(mdl, tail=(tau_next, {"S", "K1"}))
    sums, top = _part_sums(mdl, row, ("S", "K1", "R")), _exp_order(mdl)
    g1, g2 = goals("lem:tail-monotone", mdl)
    Zs = K.Z
    first = K.derive(g1, eqs=[row["tau"], row["tail"]])
    second = K.derive(
        g2,
        eqs=[row["tau"], row["Z"]],
        ineqs=[
            (sums["S"], p / (k + p) / Zs),
            (sums["K1"], k / (k + p) / Zs),
            (sums["R"], k / (k + p) / Zs),
            (top, k * p / (k + p) / Zs),
        ],
    )
    return K.conclude("lem:tail-monotone", [first, second], [mdl])


@general_proof(
    "lem:max-weight",
    scope="every n >= 1, every 1 <= k <= n, every real score vector",
    model="top-k S (|S| = k), T the other p >= 0 keys",
)
def _max_weight():
    mdl = _top(p0)
    row = K.unfold(mdl)
    S = mdl.part("S")
    member = K.derive(
        sp.Le(row["a:S"].rel.rhs, a_max),
        eqs=[row["a:S"]],
        ineqs=[(K.maximum(a_max, mdl, (S,)), 1)],
        over=("S",),
    )
    (goal,) = goals("lem:max-weight", mdl)
    fact = K.derive(goal, eqs=[row["tau"], row["Z"]], ineqs=[(K.sum_over((S,), member), 1)])
    return K.conclude("lem:max-weight", [fact], [mdl])


@general_proof(
    "lem:loss-gradient",
    scope="every n >= 2, every 1 <= k < n, every key l, every real score "
    "vector with s_(k) > s_(k+1); every m >= 1 rows for L_k",
    model="key l kept (S the other k - 1 top keys) or dropped (T the other p - 1 keys)",
)
def _loss_gradient():
    cases = []
    facts = []
    for kept in (True, False):
        parts = (
            part("l", 1, single=True, index=l),
            part("S", k - 1 if kept else k, nonempty=not kept),
            part("T", p if kept else p - 1, nonempty=kept),
        )
        mdl = model(
            f"key l {'kept' if kept else 'dropped'}", parts, {"l", "S"} if kept else {"S"}, {n: k + p}
        )
        row = K.unfold(mdl)
        goal = goals("lem:loss-gradient", mdl)[0]
        facts.append(
            K.derive(goal, eqs=[K.derivative(mdl, row, "l"), row["a:l"], row["1_S:l"], row["tau"], row["Z"]])
        )
        cases.append(mdl)
    rows = part("rows", m, index=i)
    tau_i, next_i = sp.IndexedBase("tau")[i], sp.IndexedBase("tau_{k+1}")[i]
    _, each = K.instance(
        "lem:tail-monotone", over=("rows",), sizes=cases[0], tau=tau_i, **{"tau_{k+1}": next_i}, k=k, n=k + p
    )
    loss = K.loss_rows(rows)
    (goal,) = goals("lem:loss-gradient", cases[0])[1:]
    facts.append(K.derive(goal, eqs=[loss], ineqs=[(K.sum_over((rows,), each), 1 / m)]))
    return K.conclude("lem:loss-gradient", facts, cases)


@general_proof(
    "thm:threshold-error",
    scope="every n >= 1, every 0 < eps <= max_j a_j, every real score "
    "vector, any number m >= 0 of dropped keys, values in any normed space",
    model="K the r >= 1 kept keys (the largest weight is kept), D the m >= 0 dropped ones",
)
def _threshold_error():
    r, m0 = sp.Symbol("r", integer=True, positive=True), sp.Symbol("m_0", integer=True, nonnegative=True)
    mdl = model(
        "threshold: K kept, D dropped",
        (part("K", r), part("D", m0, nonempty=False)),
        {"K"},
        {n: r + m0, m: m0},
    )
    row = K.unfold(mdl, tail_symbol=tau_thr)
    (small,) = K.threshold_kept(mdl)
    D = mdl.part("D")
    member = K.derive(sp.Le(row["a:D"].rel.rhs, eps), eqs=[row["a:D"]], ineqs=[(small, 1)], over=("D",))
    first, second = _output_error_chain(mdl, row, tail=tau_thr)
    g1, g2, g3 = goals("thm:threshold-error", mdl)
    facts = [
        K.derive(g1, eqs=[row["tau"]], ineqs=[(K.sum_over((D,), member), 1)]),
        K.decide(g2),
        K.derive(g3, ineqs=[(first, 1), (second, 1)]),
    ]
    return K.conclude("thm:threshold-error", facts, [mdl])


@general_proof("prop:norm-sparsity", scope="every beta > 0 and 0 < eps < 1", model="none (a derivative)")
def _norm_sparsity():
    from .gaussian import d_frac

    facts = [K.derive(g, eqs=[K.meaning(d_frac)]) for g in goals("prop:norm-sparsity")]
    return K.conclude("prop:norm-sparsity", facts, [])


@general_proof(
    "lem:lognormal-tilt",
    scope="every beta > 0, every real t, every n >= 1",
    model="none (expectations against the N(0, beta^2) density)",
)
def _lognormal_tilt():
    from .gaussian import E_e2s, E_es, E_es_above, count_above, share_above

    defs = [K.meaning(x) for x in (E_es, E_es_above, E_e2s, share_above, count_above)]
    facts = [K.derive(g, eqs=needed(g, defs)) for g in goals("lem:lognormal-tilt")]
    return K.conclude("lem:lognormal-tilt", facts, [])


#: Deterministic results with no general proof here, and exactly why.
NOT_PROVED: dict[str, str] = {
    "thm:certificate-rounding": "a statement about rounded floating-point operations, which the real-number "
    "algebra here does not model; the book proves it by a written forward error "
    "analysis and evidence/kernel.py checks it in ball arithmetic on stated rows "
    "(verified, a finite check).",
}

#: the deterministic results proved here (those with a numeric check in `natsparse.numeric.CHECKS`)
DETERMINISTIC_PROOFS = tuple(rid for rid in PROOFS if not rid.startswith(("prop:", "lem:lognormal")))

# the Gaussian model's explicit bounds (their proofs register themselves in PROOFS)
from . import general_gaussian  # noqa: E402, F401
