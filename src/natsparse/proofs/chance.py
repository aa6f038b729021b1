"""The proof kernel's rules for the Gaussian model: facts that hold with high probability.

The setting (THEORY.md, "The Gaussian model"): given the query, the scores s_1..s_n are i.i.d.
N(0, beta^2). The random quantities of the chapter are sums over the keys of one function g of the
score: N_t = sum_j 1{s_j > t}, T_t = sum_j e^{s_j} 1{s_j <= t}, Z = sum_j e^{s_j}, and
N_eps = sum_j 1{a_j > eps} (def:eps-k-sparse with a_j = e^{s_j} / Z, def:attention). A fact about them
is a `Fact` with `events` (`natsparse.proofs.kernel`): it holds on events each failing with
probability at most a stated bound.

The rules (each checks what it is given; none takes a conclusion on trust):

- `meaning(symbol)`: N_t, T_t, N_eps or Z as its sum over the keys (from the registry's definitions).
- `compare_sums(goal, order)`: sum-monotone for sums of functions of the score: the goal, a linear
  relation between such sums, holds when it holds termwise for every score x. The kernel checks it
  region by region: the indicators cut the line y = e^x > 0 at thresholds (ordered by given facts or
  decided), on each region the term is A y + B, and A y + B >= 0 on an interval when it is at both ends.
- `concentration(law, total, deviation, failure, lo, hi)`: ax:bernstein (upper tail), ax:hoeffding or
  ax:maurer (lower tails) for a sum of g(s_j) over the keys: independent terms by the model (g may not
  depend on a random quantity). The kernel computes E g(s) and E g(s)^2 by integrating against the normal
  density (ax:gaussian-expectation), checks lo <= g <= hi on every region, and checks that the axiom's
  bound at `deviation` is at most `failure` (the exponent compared, ax:exp-monotone).
- `assume(result_id)`: the result's own hypotheses that hold with high probability (`Result.assumed`),
  as facts on events named for it (`conclude` counts them in the result's failure probability).
- `chosen(result_id, symbol)`: the statement's own choice of a threshold or level (t = ln(eps L),
  M = beta sqrt(2 ln(n/delta'))), the equation read from the registry formula.
- `count_floor(fact, meaning)`: a count (a sum of 0/1 terms) is an integer: X <= B gives X <= floor(B).

    >>> from natsparse.proofs.gaussian import N_t
    >>> meaning(N_t).rel
    Eq(N_t, Sum(Piecewise((1, t < s[j]), (0, True)), (j, 1, n)))
"""

from __future__ import annotations

import functools
import itertools

import sympy as sp

from . import kernel as K
from .decide import holds, is_zero, proves_sign
from .kernel import DROP, Fact, _events, _fact, _inputs, _need, _registry, _relation, _same
from .symbols import C, a, beta, eps, gamma, j, n, s

#: a score value, and y = e^x > 0 (the kernel works on the line of y)
x = sp.Symbol("x", real=True)
y = sp.Symbol("y", positive=True)
#: the regime's parameters as the asymptotic proofs write them, gamma = 1/(1 + w) and C = 1 - gamma + kappa
w, kappa = sp.symbols("w kappa", positive=True)
#: and C = (1 - gamma) / (1 + q) below 1 - gamma (q > 0)
q = sp.Symbol("q", positive=True)
#: the symbols a function of the score may depend on: parameters, never a random quantity (L and L_2
#: are numbers fixed before sampling: lower bounds on Z, not Z)
PARAMETERS = frozenset(sp.symbols("t c M", real=True)) | {
    *sp.symbols("L L_2 M theta", positive=True), beta, eps, n, gamma, C, w, kappa, q}
#: the symbols a statement may choose (a threshold t, a level M)
CHOSEN = frozenset(sp.symbols("t M", real=True)) | {sp.Symbol("M", positive=True)}
_GAUSS = ("gaussian-model", "ax:gaussian-expectation")


def score_sum(term: sp.Expr) -> sp.Sum:
    """sum_{j=1}^n term(s_j): the term written in the score value `x`."""
    return sp.Sum(term.xreplace({x: s[j]}), (j, 1, n))


def _meanings() -> dict:
    from .gaussian import N_eps, N_t, T_t, Z
    from .symbols import t

    a_eq = next(r for r in _registry.registry["def:attention"].relations() if r.lhs.is_Indexed)
    (z_sum,) = a_eq.rhs.atoms(sp.Sum)
    sparse = _registry.registry["def:eps-k-sparse"].formula
    _need(isinstance(sparse, sp.Le) and isinstance(sparse.lhs, sp.Sum), "def:eps-k-sparse: not a count")
    (ai,) = a_eq.lhs.indices
    a_of = a_eq.rhs.xreplace({z_sum: Z})
    (idx, _, _) = sparse.lhs.limits[0]
    count = sparse.lhs.function.xreplace({a[idx]: a_of.xreplace({ai: idx})})
    z_idx = z_sum.limits[0][0]
    return {
        N_t: (score_sum(sp.Piecewise((1, x > t), (0, True))), ("notation",)),
        T_t: (score_sum(sp.Piecewise((sp.exp(x), x <= t), (0, True))), ("notation",)),
        Z: (sp.Sum(z_sum.function.xreplace({z_idx: j}), (j, 1, n)), ("def:attention",)),
        N_eps: (sp.Sum(count.xreplace({idx: j}), (j, 1, n)), ("def:eps-k-sparse", "def:attention")),
    }


def meaning(symbol: sp.Symbol) -> Fact:
    """A random quantity of the chapter as its sum over the keys: N_t, T_t, Z (def:attention) or N_eps
    (def:eps-k-sparse's count, with a_j from def:attention)."""
    got = _inputs("chance.meaning", symbol=symbol)
    if got is DROP:
        return K._dropped("chance.meaning")
    table = _meanings()
    _need(got["symbol"] in table, f"meaning: {got['symbol']} is not a sum over the keys")
    value, cites = table[got["symbol"]]
    return _fact(sp.Eq(got["symbol"], value, evaluate=False), (), None, "meaning", cites)


# ---------------------------------------------------------------------------------------------
# Functions of the score, region by region
# ---------------------------------------------------------------------------------------------


def _term(total) -> sp.Expr:
    """The summand of a sum over the keys as a function of the score value x."""
    _need(isinstance(total, sp.Sum) and len(total.limits) == 1, f"{total} is not a sum over the keys")
    idx, lo, hi = total.limits[0]
    _need(lo == 1 and hi == n, f"{total} is not a sum over 1..n")
    term = total.function.xreplace({s[idx]: x})
    _need(not term.has(idx), f"{total}: the term depends on its index other than through s[{idx}]")
    return term


def _cut(cond) -> tuple[str, sp.Expr]:
    """A condition on the score as ('>', theta) for y > theta or ('<=', theta) for y <= theta."""
    _need(isinstance(cond, sp.StrictGreaterThan | sp.StrictLessThan | sp.LessThan | sp.GreaterThan),
          f"the condition {cond} is not a comparison")
    if isinstance(cond, sp.StrictLessThan | sp.GreaterThan):
        cond = cond.reversed
    op = ">" if isinstance(cond, sp.StrictGreaterThan) else "<="
    _need(isinstance(cond, sp.StrictGreaterThan | sp.LessThan), f"the condition {cond} has a tie case")
    f = sp.expand((cond.lhs - cond.rhs).xreplace({x: sp.log(y)}), force=True)
    rest = f - sp.log(y)
    if not rest.has(y):  # log y + C compared with 0: y vs e^{-C} (ax:exp-monotone)
        return op, sp.exp(-rest)
    A = sp.diff(f, y)
    _need(not A.has(y) and proves_sign(A, strict=True), f"the condition {cond} is not y > or <= a threshold")
    return op, sp.cancel(-(f - A * y) / A)


def _branches(term) -> tuple[tuple[tuple[sp.Expr, tuple], ...], list[sp.Expr]]:
    """The term as branches (value in y, [cuts]) in order (first true wins), and the thresholds."""
    term = term.replace(
        lambda e: isinstance(e, sp.Heaviside),
        lambda e: sp.Piecewise((1, e.args[0] > 0), (0, True)) if e.args[1:] == (0,) else e,
    )
    _need(not term.has(sp.Heaviside), "a Heaviside step without H(0) = 0")
    folded = sp.piecewise_fold(term)
    pieces = folded.args if isinstance(folded, sp.Piecewise) else ((folded, sp.true),)
    out, thresholds = [], []
    for value, cond in pieces:
        conds = [] if cond is sp.true else list(cond.args) if isinstance(cond, sp.And) else [cond]
        cuts = [_cut(c) for c in conds]
        for _, theta in cuts:
            if not any(is_zero(theta - u) for u in thresholds):
                thresholds.append(theta)
        value = sp.expand(value.xreplace({sp.exp(x): y}))
        _need(not value.has(x, sp.Piecewise), f"the term {term} is not A e^x + B on each region")
        out.append((value, tuple(cuts)))
    return tuple(out), thresholds


def _chain(thresholds: list, order: list[Fact]) -> list:
    """The thresholds in increasing order, each step decided or a given fact theta_a <= theta_b."""

    def le(p, q):
        return holds(sp.Le(p, q, evaluate=False)) or any(_same(sp.Le(p, q), f.rel) for f in order)

    for perm in itertools.permutations(thresholds):
        if all(le(p, q) for p, q in itertools.pairwise(perm)):
            return list(perm)
    raise K.ProofError(f"the thresholds {thresholds} are not ordered by the given facts")


def _on_region(cut, lo, hi, chain) -> bool:
    op, theta = cut
    pos = next(i for i, u in enumerate(chain) if is_zero(theta - u))
    above = lo is not None and chain.index(lo) >= pos  # y > lo >= theta on the region
    return above if op == ">" else not above


def _regions(chain) -> list[tuple]:
    bounds = [None, *chain, None]  # None: y -> 0 at the left, y -> oo at the right
    return list(itertools.pairwise(bounds))


def _value_on(branches, lo, hi, chain) -> sp.Expr:
    for value, cuts in branches:
        if all(_on_region(c, lo, hi, chain) for c in cuts):
            return value
    raise K.ProofError("no branch of the term holds on a region")


def _nonneg(h_branches, chain) -> bool:
    """A y + B >= 0 on every region (0, theta_1], ..., (theta_m, oo), checked at both ends."""
    for lo, hi in _regions(chain):
        h = _value_on(h_branches, lo, hi, chain)
        A, B = sp.diff(h, y), h.xreplace({y: 0})
        _need(not A.has(y), f"{h} is not linear in e^x")
        left = B if lo is None else A * lo + B
        right = A if hi is None else A * hi + B
        if not (proves_sign(left) and proves_sign(right)):
            return False
    return True


def compare_sums(goal, order: list[Fact] = ()) -> Fact:
    """sum-monotone for sums over the keys of functions of the score: L <= R when R - L = sum_i c_i S_i
    (c_i free of the score) is >= 0 termwise at every score, checked region by region."""
    got = _inputs("compare_sums", goal=goal, order=list(order))
    if got is DROP:
        return K._dropped("compare_sums")
    goal, order = _relation(got["goal"]), got["order"]
    _need(isinstance(goal, sp.Le), "compare_sums: the goal is not L <= R")
    diff = sp.expand(goal.rhs - goal.lhs)
    sums = sorted(diff.atoms(sp.Sum), key=str)
    _need(bool(sums), "compare_sums: no sum over the keys")
    coeffs = [diff.coeff(S) for S in sums]
    _need(
        is_zero(diff - sum(c * S for c, S in zip(coeffs, sums, strict=True)))
        and not any(c.has(sp.Sum, x) for c in coeffs),
        "compare_sums: the goal is not linear in the sums",
    )
    h = sum((c * _term(S) for c, S in zip(coeffs, sums, strict=True)), sp.Integer(0))
    branches, thresholds = _branches(h)
    chain = _chain(thresholds, order)
    _need(_nonneg(branches, chain), f"compare_sums: {h} is not decided >= 0 at every score")
    return _fact(goal, (), None, "compare_sums", ("sum-monotone", "ax:exp-monotone"), events=_events(order))


# ---------------------------------------------------------------------------------------------
# Concentration of sums of independent terms
# ---------------------------------------------------------------------------------------------


def moment(total: sp.Sum, power: int) -> sp.Expr:
    """E g(s)^power for the term g of a sum over the keys (a number the kernel computes, not a fact):
    a proof uses it to write its deviation in the form the kernel's check compares."""
    branches, thresholds = _branches(_term(total))
    _need(len(thresholds) <= 1, "moment: a term with more than one threshold")
    return _moment(branches, tuple(thresholds), power)


@functools.cache
def _moment(branches, chain, power: int) -> sp.Expr:
    """E g(s)^power for s ~ N(0, beta^2): the integral of each region's branch against the density
    (cached: a pure function of the branches, which are tuples)."""
    density = sp.exp(-(x**2) / (2 * beta**2)) / (beta * sp.sqrt(2 * sp.pi))
    total = sp.Integer(0)
    levels = {theta: sp.Dummy("level", real=True) for theta in chain}  # integrated at a plain level
    for lo, hi in _regions(chain):
        value = _value_on(branches, lo, hi, chain).xreplace({y: sp.exp(x)}) ** power
        left = -sp.oo if lo is None else levels[lo]
        right = sp.oo if hi is None else levels[hi]
        total += sp.integrate(sp.expand(value * density), (x, left, right))
    # simplified at the plain levels, then ln(theta) put back (simplified after, erfc(ln(eps L) / b) may be
    # rewritten with |ln L| and lose the sign of its argument)
    return sp.simplify(total).xreplace({v: sp.log(theta) for theta, v in levels.items()})


LAWS = ("ax:bernstein", "ax:hoeffding", "ax:maurer", "ax:markov")


def concentration(law: str, total, *, deviation, failure, lo=0, hi=None, second: Fact | None = None) -> Fact:
    """An instance of `law` for the sum `total` of g(s_j) over the keys (independent terms: the scores are
    i.i.d. N(0, beta^2) and g depends on parameters only), every term in [lo, hi] (hi None: unbounded,
    for ax:maurer and ax:markov only). Upper tail (ax:bernstein): total <= n E g + deviation; lower tails
    (ax:hoeffding, ax:maurer): n E g - deviation <= total; ax:markov (terms >= 0): total < deviation;
    the fact fails with probability <= failure, which the axiom's bound at `deviation` must not exceed
    (decided). `second`, a fact E g^2 <= B (sure, or where hypotheses hold), lets the check read B for
    the second moment (Bernstein's variance is then bounded by n B), so that a deviation may be written
    with a simpler B."""
    got = _inputs("concentration", law=law, total=total, deviation=deviation, failure=failure, lo=lo, hi=hi,
                  second=second)
    if got is DROP:
        return K._dropped("concentration")
    law, total, second = got["law"], got["total"], got["second"]
    u, fail = K.exact(sp.sympify(got["deviation"])), K.exact(sp.sympify(got["failure"]))
    lo, hi = K.exact(sp.sympify(got["lo"])), None if got["hi"] is None else K.exact(sp.sympify(got["hi"]))
    _need(law in LAWS, f"concentration: {law} is not one of {LAWS}")
    term = _term(total)
    _need(
        term.free_symbols <= PARAMETERS | {x},
        f"concentration: the term {term} depends on {sorted(map(str, term.free_symbols - PARAMETERS - {x}))}"
        ", not parameters only (its terms would not be independent)",
    )
    branches, thresholds = _branches(term)
    _need(len(thresholds) <= 1, "concentration: a term with more than one threshold")
    chain = thresholds
    _need(_nonneg([(v - lo, c) for v, c in branches], chain), f"concentration: {term} >= {lo} not decided")
    if hi is not None:
        above = _nonneg([(hi - v, c) for v, c in branches], chain)
        _need(above, f"concentration: {term} <= {hi} not decided")
    _need(proves_sign(u) and proves_sign(fail, strict=True), "concentration: a deviation >= 0, failure > 0")
    chain = tuple(chain)
    m1 = _moment(branches, chain, 1)
    m2 = _moment(branches, chain, 2) if second is not None or law in ("ax:bernstein", "ax:maurer") else None
    if second is not None:
        _need(
            isinstance(second, Fact) and not second.over and all(is_zero(p) for _, p in second.events)
            and isinstance(second.rel, sp.Le) and is_zero(second.rel.lhs - m2),
            f"concentration: {getattr(second, 'rel', second)} is not a sure bound on E g^2 = {m2}",
        )
    ell = sp.expand_log(sp.log(1 / fail))  # exp(-E) <= failure  <=>  E >= ell  (ax:exp-monotone)
    if law == "ax:bernstein":
        _need(hi is not None, "concentration: ax:bernstein needs bounded terms")
        V = n * (m2 - m1**2) if second is None else n * second.rel.rhs  # Var g <= E g^2 <= B
        den = V + (hi - lo) * u / 3  # > 0: V is a variance (>= 0) and b u > 0
        _need(proves_sign((hi - lo) * u, strict=True), "concentration: b u is not decided > 0")
        ok = proves_sign(sp.expand(u**2 - 2 * ell * den))
        rel = sp.Le(total, n * m1 + u)
    elif law == "ax:hoeffding":
        _need(hi is not None and proves_sign(hi - lo, strict=True), "concentration: ax:hoeffding: lo < hi")
        ok = proves_sign(sp.expand(2 * u**2 - ell * n * (hi - lo) ** 2))
        rel = sp.Le(n * m1 - u, total)
    elif law == "ax:maurer":
        _need(proves_sign(lo), "concentration: ax:maurer needs terms >= 0")
        ok = proves_sign(sp.expand(u**2 - 2 * ell * n * (m2 if second is None else second.rel.rhs)))
        rel = sp.Le(n * m1 - u, total)
    else:
        _need(proves_sign(lo) and proves_sign(u, strict=True), "concentration: ax:markov: terms >= 0, a > 0")
        ok = proves_sign(fail - n * m1 / u)
        rel = sp.Lt(total, u)
    _need(ok, f"concentration: {law}'s bound at the deviation {u} is not decided <= {fail}")
    event = (f"{law}: {rel}", fail)
    if second is None:
        return _fact(rel, (), None, "concentration", (law, *_GAUSS, "ax:exp-monotone"), events=[event])
    # where the hypotheses behind the moment bound hold (events of failure 0)
    return _fact(rel, (), second.model, "concentration", (law, *_GAUSS, "ax:exp-monotone"),
                 f"E g^2 <= {second.rel.rhs}", events=[event, *second.events])


# ---------------------------------------------------------------------------------------------
# What the statement assumes and chooses; counts are integers
# ---------------------------------------------------------------------------------------------


def assume(result_id: str, mdl: K.Model | None = None) -> list[Fact]:
    """The hypotheses of `result_id` that hold only with high probability (read with the sizes of `mdl`),
    each on an event named 'assumed by <result_id>' with its failure bound (counted by `conclude` for
    that result only)."""
    got = _inputs("assume", result_id=result_id)
    if got is DROP:
        return [K._dropped("assume")]
    result = _registry.registry[got["result_id"]]
    sizes = mdl.size_subs if mdl else {}
    out = []
    for rel, fail in result.assumed:
        rel, fail = rel.xreplace(sizes), fail.xreplace(sizes)
        event = (f"assumed by {result.id}: {rel}", fail)
        out.append(_fact(rel, (), mdl, "assume", (result.id,), events=[event]))
    return out


def chosen(result_id: str, symbol: sp.Symbol, mdl: K.Model | None = None) -> Fact:
    """The threshold or level `symbol` (t, M) as the statement of `result_id` chooses it: the equation
    symbol = value of its registry formula, read with the sizes of `mdl` (the other relations are claimed
    for that value)."""
    got = _inputs("chosen", result_id=result_id, symbol=symbol)
    if got is DROP:
        return K._dropped("chosen")
    result_id, symbol = got["result_id"], got["symbol"]
    _need(symbol in CHOSEN, f"chosen: {symbol} is not a threshold or level a statement may choose")
    rels = _registry.registry[result_id].relations()
    _need(bool(rels), f"chosen: {result_id} has no formula")
    eqs = [r for r in rels if isinstance(r, sp.Eq) and r.lhs == symbol]
    _need(len(eqs) == 1, f"chosen: {result_id} does not choose {symbol}")
    return _fact(eqs[0].xreplace(mdl.size_subs if mdl else {}), (), mdl, "chosen", (result_id,))


def count_floor(fact: Fact, count: Fact) -> Fact:
    """A count is an integer: from X <= B and X = a sum of terms each 0 or 1 (`count`), X <= floor(B)."""
    got = _inputs("count_floor", fact=fact, count=count)
    if got is DROP:
        return K._dropped("count_floor")
    fact, count = got["fact"], got["count"]
    _need(isinstance(fact.rel, sp.Le) and not fact.over, "count_floor: not X <= B")
    _need(isinstance(count.rel, sp.Eq) and count.rel.lhs == fact.rel.lhs, "count_floor: not X's meaning")
    _sure_eq = not count.events
    branches, _ = _branches(_term(count.rel.rhs))
    _need(_sure_eq and all(v in (0, 1) for v, _ in branches), "count_floor: the terms are not 0 or 1")
    return _fact(
        sp.Le(fact.rel.lhs, sp.floor(fact.rel.rhs)),
        (),
        None,
        "count_floor",
        ("integer count",),
        events=_events([fact, count]),
    )


# ---------------------------------------------------------------------------------------------
# Sums over the keys on the model of a row (the top-k order)
# ---------------------------------------------------------------------------------------------


def dropped_below(mdl: K.Model, fact: Fact) -> list[Fact]:
    """From `fact`, the count of scores above a level theta at most k (the model's k), every dropped key
    has s_j <= theta: were a dropped s_j > theta, the k kept scores (each >= s_j, ax:topk-order) and s_j
    would be k + 1 scores above theta. The facts hold where `fact` does."""
    got = _inputs("dropped_below", mdl=mdl, fact=fact)
    if got is DROP:
        return [K._dropped("dropped_below")]
    mdl, fact = got["mdl"], got["fact"]
    K._top_k(mdl, "dropped_below")
    from .symbols import k

    _need(isinstance(fact.rel, sp.Le) and isinstance(fact.rel.lhs, sp.Sum) and not fact.over,
          "dropped_below: not a count <= k")
    _need(is_zero(fact.rel.rhs - k.xreplace(mdl.size_subs)), f"dropped_below: {fact.rel.rhs} is not k")
    branches, thresholds = _branches(_term(fact.rel.lhs))
    _need(len(thresholds) == 1, "dropped_below: not the count above one level")
    (theta,) = thresholds
    _need(
        _value_on(branches, theta, None, [theta]) == 1 and _value_on(branches, None, theta, [theta]) == 0,
        "dropped_below: not the count of scores above a level",
    )
    level = sp.log(theta)
    cites = ("ax:topk-order", "sum-monotone", "ax:exp-monotone")
    return [
        _fact(sp.Le(s[p.index], level), () if p.single else (p.name,), mdl, "dropped_below", cites,
              events=fact.events)
        for p in mdl.parts
        if p.name not in mdl.kept
    ]


def part_of_sum(mdl: K.Model, name: str, total: sp.Sum, member: Fact) -> Fact:
    """sum-split and sum-monotone: the part `name`'s sum of the term of `total` (a sum over all keys of a
    term >= 0) is at most `total`; `member`, s_j <= theta at every member of the part, fixes the term
    there to its value below theta (theta the term's one threshold)."""
    got = _inputs("part_of_sum", mdl=mdl, name=name, total=total, member=member)
    if got is DROP:
        return K._dropped("part_of_sum")
    mdl, name, total, member = got["mdl"], got["name"], got["total"], got["member"]
    p = mdl.part(name)
    branches, thresholds = _branches(_term(total))
    _need(len(thresholds) == 1 and _nonneg(branches, thresholds), "part_of_sum: not a term >= 0, one level")
    (theta,) = thresholds
    _need(
        member.model in (None, mdl) and member.over == ((name,) if not p.single else ())
        and _same(member.rel, sp.Le(s[p.index], sp.log(theta))),
        f"part_of_sum: {member.rel} does not put the members of {name} at or below the level",
    )
    value = _value_on(branches, None, theta, [theta]).xreplace({y: p.w})
    return _fact(
        sp.Le(K.psum((p,), value), total), (), mdl, "part_of_sum",
        ("ax:relabel", "sum-split", "sum-monotone"), events=_events([member]),
    )


def part_at_most(mdl: K.Model, name: str, total: sp.Sum, const) -> Fact:
    """sum-split and sum-monotone: the part `name`'s sum of e^{s_j} is at most `total` (a sum over all keys
    of a term g >= 0, one level) plus |part| const, when e^x <= g(x) + const at every score (checked region
    by region): each member's e^{s_j} is at most g(s_j) + const, and the part's sum of g at most `total`."""
    got = _inputs("part_at_most", mdl=mdl, name=name, total=total, const=const)
    if got is DROP:
        return K._dropped("part_at_most")
    mdl, name, total, const = got["mdl"], got["name"], got["total"], K.exact(sp.sympify(got["const"]))
    p = mdl.part(name)
    branches, thresholds = _branches(_term(total))
    _need(len(thresholds) <= 1 and _nonneg(branches, thresholds), "part_at_most: not a term >= 0, one level")
    _need(_nonneg([(v + const - y, c) for v, c in branches], thresholds),
          f"part_at_most: e^x <= {_term(total)} + {const} is not decided at every score")
    return _fact(sp.Le(K.psum((p,), p.w), total + p.count * const), (), mdl, "part_at_most",
                 ("ax:relabel", "sum-split", "sum-monotone"))


def weaken(fact: Fact, bound: Fact) -> Fact:
    """A larger failure bound for a fact's one event: from `bound`, a sure fact p <= q with p the event's
    bound, the same relation on the same event, now said to fail with probability <= q."""
    got = _inputs("weaken", fact=fact, bound=bound)
    if got is DROP:
        return K._dropped("weaken")
    fact, bound = got["fact"], got["bound"]
    _need(len(fact.events) == 1, "weaken: a fact with exactly one event")
    ((name, p),) = fact.events
    _need(
        not bound.events and isinstance(bound.rel, sp.Le) and is_zero(bound.rel.lhs - p),
        f"weaken: {bound.rel} is not a sure bound on the failure {p}",
    )
    raised = [(name, bound.rel.rhs)]
    return _fact(fact.rel, fact.over, fact.model, "weaken", ("ax:union-bound",), events=raised)


def all_below(mdl: K.Model, fact: Fact) -> list[Fact]:
    """From `fact`, the count of scores above a level theta is < 1 (a count: then 0), every key of the
    model (a partition of 1..n) has s_j <= theta. The facts hold where `fact` does."""
    got = _inputs("all_below", mdl=mdl, fact=fact)
    if got is DROP:
        return [K._dropped("all_below")]
    mdl, fact = got["mdl"], got["fact"]
    _need(isinstance(fact.rel, sp.Lt) and fact.rel.rhs == 1 and isinstance(fact.rel.lhs, sp.Sum)
          and not fact.over, "all_below: not a count < 1")
    _need(is_zero(sum(p.count for p in mdl.parts) - n), f"all_below: the parts of {mdl.name} are not 1..n")
    branches, thresholds = _branches(_term(fact.rel.lhs))
    _need(len(thresholds) == 1, "all_below: not the count above one level")
    (theta,) = thresholds
    _need(
        _value_on(branches, theta, None, [theta]) == 1 and _value_on(branches, None, theta, [theta]) == 0,
        "all_below: not the count of scores above a level",
    )
    return [
        _fact(sp.Le(s[p.index], sp.log(theta)), () if p.single else (p.name,), mdl, "all_below",
              ("integer count", "sum-split", "ax:exp-monotone"), events=fact.events)
        for p in mdl.parts
    ]
