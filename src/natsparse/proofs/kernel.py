"""The proof kernel: the only code that makes a `Fact`, so that "proved" means the machine derived it.

In the style of LCF and HOL Light: a `Fact` is made only by the rules below, and each rule checks what
it is given. A proof is Python that calls the rules; it never writes a conclusion itself. Every call is
recorded as a `Step` of the current `ProofLog` (rule, what it cites, conclusion), which the book shows
and the step-sabotage gate replays with mutated inputs.

The model of a row. After relabelling the keys by the top-k order (ax:relabel), {1..n} is cut into
`Part`s of consecutive indices (kept S, dropped T, ...): a `Model` says which parts are kept and what
the sizes n, k, m are in the parts' counts. A part has a generic member j (weight w = e^{s_j} > 0,
value v[j], weights a[j], a_hat[j]); its sums are aggregates: sum 1 = count, sum w = W, sum w v = P
(lemmas sum-split, sum-linear). A fact `over` some parts holds at every member of each; a fact over
no part is about the row. Facts of one model are never mixed with another model's.

The rules:

- `decide(rel)`: SymPy decides rel for every admissible value (`natsparse.proofs.decide.holds`).
- `unfold(model)`: the registry's def:attention, def:tail-mass and def:topk-attention, read now, on the
  model's parts: Z, LSE, o, tau, o_hat, and a, a_hat, s at each part's member.
- `order(model)`: ax:topk-order: s_(k) <= every kept score, every dropped score <= s_(k+1) <= s_(k).
- `maximum`, `maximum_at_most`: ax:max-bound for the named maxima (`MAXIMA`: v_max, a_max, D_SH).
- `meaning(symbol)`: a named quantity's definition (`MEANINGS`: err = ||o - o_hat||, Delta = s_(k) - s_(k+1)).
- `instance(law, ...)`: an axiom (ax:...) with values for its variables (each meeting the variable's
  assumptions), or a registry result whose kernel proof passes (its quantities kept); hypotheses are
  decided or matched by given facts; the kernel substitutes.
- `sum_over(parts, fact, weight)`: a fact at every member, times a weight >= 0, summed.
- `norm_of_sum(parts, coeff, vec)`: ||sum coeff vec|| <= sum coeff ||vec|| (lemma norm-finite-triangle).
- `derive(goal, eqs, ineqs)`: proven equations substituted, then goal L <= R follows from proven
  relations when R - L - sum lambda_i (R_i - L_i) is decided >= 0 and each lambda_i >= 0
  (transitivity, adding and scaling inequalities are such combinations).
- `conclude(result_id, facts, models)`: each relation of the registry formula, read now with each
  model's sizes, is the relation of one of the facts, in every model (models that split on whether one
  key is kept are the two cases of one proof).

    >>> x = sp.Symbol("x", positive=True)
    >>> with ProofLog("demo") as log:
    ...     f = decide(sp.Le(x / (1 + x), 1, evaluate=False))
    >>> f.rel, log.steps[0].rule
    (x/(x + 1) <= 1, 'decide')
    >>> decide(sp.Le(x, 1))
    Traceback (most recent call last):
    ...
    natsparse.proofs.kernel.ProofError: decide: SymPy does not decide x <= 1
"""

from __future__ import annotations

import contextvars
import functools
import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import sympy as sp
from sympy.core.relational import Relational

from .decide import exact, holds, is_zero, proves_sign
from .symbols import (
    LSE,
    Delta,
    a,
    a_hat,
    a_max,
    err,
    o,
    o_hat,
    one_S,
    s,
    s_k1,
    tau,
    v,
    v_max,
    v_spread,
)

#: the registry module, read at call time (a result swapped in by the mutation gate is seen)
_registry = importlib.import_module(f"{__package__}.registry")

#: ||x||: a norm on the value space (its laws are the norm axioms); its values are >= 0
norm = sp.Function("norm", nonnegative=True)
#: s_(k), the k-th largest score (the smallest kept one); s_k1 is s_(k+1)
s_k = sp.Symbol("s_k", real=True)
#: Z, the partition function sum_j e^{s_j} (unfold's first equation)
Z = sp.Symbol("Z", positive=True)


class ProofError(AssertionError):
    """A rule refused a step: what it was given does not establish what was asked."""


_MADE_BY_KERNEL = object()


@dataclass(frozen=True)
class Part:
    """Consecutive indices (after ax:relabel) with a generic member: index, weight w = e^{s_index},
    and the aggregates sum 1 = count, sum w = W, sum w v = P. A single index is its own sum."""

    name: str
    count: sp.Expr
    index: sp.Symbol
    w: sp.Symbol
    W: sp.Expr
    P: sp.Expr

    @property
    def v(self) -> sp.Expr:
        return v[self.index]

    @property
    def single(self) -> bool:
        return self.W == self.w

    def mine(self, expr: sp.Expr) -> bool:
        """Whether `expr` mentions this part's generic member."""
        return bool(expr.free_symbols & {self.index, self.w})


def part(name: str, count, *, nonempty: bool = True, single: bool = False, index=None) -> Part:
    """A part named `name` with `count` members (`single`: exactly one; `nonempty`: W > 0)."""
    idx = index if index is not None else sp.Symbol(f"j_{name}", integer=True, positive=True)
    w = sp.Symbol(f"w_{name}", positive=True)
    if single:
        return Part(name, sp.Integer(1), idx, w, w, w * v[idx])
    W = sp.Symbol(f"W_{name}", positive=True) if nonempty else sp.Symbol(f"W_{name}", nonnegative=True)
    return Part(name, sp.sympify(count), idx, w, W, sp.Symbol(f"P_{name}", real=True))


@dataclass(frozen=True)
class Model:
    """A row cut into `parts` in the top-k order; `kept` names the kept parts (of the set whose tail is
    tau); `sizes` gives the registry's sizes (n, k, m) in the parts' counts. The parts must partition
    1..n: sum of counts = n."""

    name: str
    parts: tuple[Part, ...]
    kept: frozenset[str]
    sizes: tuple[tuple[sp.Symbol, sp.Expr], ...]

    def part(self, name: str) -> Part:
        return next(p for p in self.parts if p.name == name)

    @property
    def size_subs(self) -> dict:
        return dict(self.sizes)


def model(name: str, parts: Iterable[Part], kept: Iterable[str], sizes: dict) -> Model:
    """A `Model`; refuses parts whose counts do not add up to the model's n."""
    parts = tuple(parts)
    m = Model(name, parts, frozenset(kept), tuple(sizes.items()))
    n_value = m.size_subs.get(sp.Symbol("n", integer=True, positive=True))
    if n_value is not None:
        _need(
            is_zero(sum(p.count for p in parts) - n_value), f"model {name}: the parts do not partition 1..n"
        )
    return m


@dataclass(frozen=True, eq=False)
class Fact:
    """A relation the kernel derived, for every admissible value of its symbols, at every member of the
    parts in `over`, within `model` (None: in every model). Made only by this module's rules (and those
    of `natsparse.proofs.chance`).

    `events` is empty for a sure fact. Otherwise the relation holds on the intersection of the named
    events, each failing with probability at most its bound: a fact fails with probability at most the
    sum of its events' bounds (ax:union-bound). Rules that combine facts take the union of their events;
    an event is named by what made it, so the same name is the same event, counted once."""

    rel: sp.Basic
    over: tuple[str, ...]
    model: Model | None
    rule: str
    cites: tuple[str, ...]
    events: tuple[tuple[str, sp.Expr], ...] = ()
    _token: object = field(repr=False, default=None)

    @property
    def failure(self) -> sp.Expr:
        """An upper bound on the probability that the relation fails (0 for a sure fact)."""
        return sp.Add(*(p for _, p in self.events))

    def __post_init__(self):
        if self._token is not _MADE_BY_KERNEL:
            raise ProofError("a Fact is made by the kernel's rules only")


@dataclass(frozen=True)
class Step:
    """One recorded rule application: the rule, what it cites, its conclusion, a short note."""

    rule: str
    cites: tuple[str, ...]
    conclusion: str
    note: str = ""


class ProofLog:
    """The steps of one proof, in order (a context manager: rules record into the innermost log).

    `saboteur(call, rule, inputs)`, when given, is called before each rule call (numbered from 0) and
    returns the inputs to use (changed or not), or `DROP` to leave the call out (its result becomes the
    empty fact 0 = 0). The step-sabotage gate uses it."""

    def __init__(self, name: str, saboteur: Callable | None = None):
        self.name = name
        self.steps: list[Step] = []
        self.saboteur = saboteur
        self.calls = 0
        self._reset = None

    def __enter__(self) -> ProofLog:
        self._reset = _LOG.set(self)
        return self

    def __exit__(self, *exc) -> None:
        _LOG.reset(self._reset)

    def cited(self) -> list[str]:
        """Every registry id (ax:..., def:..., lem:...) and lemma name the steps cite, first use first."""
        out: list[str] = []
        for step in self.steps:
            out += [c for c in step.cites if c not in out]
        return out


_LOG: contextvars.ContextVar[ProofLog | None] = contextvars.ContextVar("natsparse_proof_log", default=None)
DROP = object()


def _inputs(rule: str, **inputs):
    """The inputs of a rule call after the saboteur (if any) has seen them; `DROP` if it drops the call."""
    log = _LOG.get()
    if log is None or log.saboteur is None:
        return inputs
    log.calls += 1
    return log.saboteur(log.calls - 1, rule, inputs)


def _fact(
    rel, over, mdl: Model | None, rule: str, cites: Iterable[str], note: str = "", events: Iterable = ()
) -> Fact:
    rel = _normal(rel)
    events = tuple(sorted(set(events), key=lambda e: e[0]))
    fact = Fact(rel, tuple(sorted(set(over))), mdl, rule, tuple(cites), events, _MADE_BY_KERNEL)
    log = _LOG.get()
    if log is not None:
        where = f"  (at every member of {', '.join(fact.over)})" if fact.over else ""
        chance = (f"  (fails with probability <= {fact.failure})" if fact.failure != 0
                  else "  (where the hypotheses hold)" if events else "")
        log.steps.append(Step(rule, fact.cites, f"{rel}{where}{chance}", note))
    return fact


def _events(facts: Iterable[Fact]) -> tuple[tuple[str, sp.Expr], ...]:
    """The union of the facts' events (a conclusion from several facts holds where all of them hold)."""
    out: dict[str, sp.Expr] = {}
    for f in facts:
        for name, bound in f.events:
            _need(out.get(name, bound) == bound, f"two failure bounds for the event {name}")
            out[name] = bound
    return tuple(out.items())


def _sure(facts: Iterable[Fact], rule: str) -> None:
    """Rules that read only the relation of a definition's unfolding refuse facts that hold only whp."""
    _need(not any(f.events for f in facts), f"{rule}: a fact that holds only with high probability")


def _dropped(rule: str) -> Fact:
    return _fact(sp.Eq(sp.Integer(0), sp.Integer(0)), (), None, rule, ("dropped",), "dropped")


def _need(ok: bool, what: str) -> None:
    if not ok:
        raise ProofError(what)


def _normal(rel):
    """Ge and Gt written as Le and Lt: the kernel compares relations in one direction."""
    if isinstance(rel, sp.Ge):
        return sp.Le(rel.rhs, rel.lhs, evaluate=False)
    if isinstance(rel, sp.Gt):
        return sp.Lt(rel.rhs, rel.lhs, evaluate=False)
    return rel


def _canonical(expr: sp.Expr) -> sp.Expr:
    """Arguments of `norm` in one cancelled form, so that equal vectors compare equal."""
    expr = exact(expr)
    return expr.replace(
        lambda e: isinstance(e, sp.Function) and e.func == norm,
        lambda e: norm(sp.cancel(sp.together(e.args[0]))),
    )


@functools.cache
def _evaluated(expr: sp.Expr) -> sp.Expr:
    """expr with its integrals and derivatives computed by SymPy (cached: a pure function of expr)."""
    return expr.doit()


def _relation(rel) -> Relational:
    _need(rel is not sp.false, "SymPy evaluates the relation to False")
    _need(isinstance(rel, Relational), f"expected an equation or inequality, got {rel!r}")
    return _normal(rel.func(_canonical(rel.lhs), _canonical(rel.rhs), evaluate=False))


def _same(r1, r2) -> bool:
    """Two relations of one kind whose sides differ by the same amount (decided)."""
    r1, r2 = _normal(r1), _normal(r2)
    if type(r1) is not type(r2):
        return False
    if r1 == r2:  # as written: no simplification needed
        return True
    if r1.has(sp.Limit) or r2.has(sp.Limit):  # limits compare as written: simplifying one may evaluate it
        return False
    return is_zero(_canonical((r1.rhs - r1.lhs) - (r2.rhs - r2.lhs)))


def _size(mdl: Model, names) -> sp.Expr:
    return sum((mdl.part(x).count for x in names), sp.Integer(0))


def _top_k(mdl: Model, rule: str) -> None:
    """The model's kept parts are a top-k set: they hold k keys (k as the model gives it)."""
    k_value = mdl.size_subs.get(
        sp.Symbol("k", integer=True, positive=True), sp.Symbol("k", integer=True, positive=True)
    )
    _need(is_zero(_size(mdl, mdl.kept) - k_value), f"{rule}: the kept parts of {mdl.name} do not hold k keys")


def _one_model(facts: Iterable[Fact]) -> Model | None:
    models = {f.model for f in facts if f.model is not None}
    _need(len(models) <= 1, f"facts of different models mixed: {sorted(m.name for m in models)}")
    return models.pop() if models else None


# ---------------------------------------------------------------------------------------------
# Sums over parts
# ---------------------------------------------------------------------------------------------

_OPAQUE: dict[str, sp.Function] = {}


def psum(parts: tuple[Part, ...], term: sp.Expr) -> sp.Expr:
    """Lemmas sum-linear and Fubini: the sum of `term` over every member of each of `parts` (pairs when
    two parts are given). Each product piece c * f_1 * f_2 with f_i one of 1, w, w v of part i sums to
    c * (count, W or P of each); any other piece stays an unevaluated sum Sum[parts](piece)."""
    out = sp.Integer(0)
    for piece in sp.Add.make_args(sp.expand(_canonical(term))):
        if piece == 0:
            continue
        coeff, dep = piece.as_independent(*set().union(*({p.index, p.w} for p in parts)), as_Add=False)
        groups: dict[str, sp.Expr] = {p.name: sp.Integer(1) for p in parts}
        total = coeff
        for factor in sp.Mul.make_args(dep):
            if factor == 1:
                continue
            owners = [p for p in parts if p.mine(factor)]
            if len(owners) != 1:
                total = None
                break
            groups[owners[0].name] *= factor
        for p in parts if total is not None else ():
            table = {sp.Integer(1): p.count, p.w: p.W, p.w * p.v: p.P}
            if p.single:
                total *= groups[p.name]
            elif groups[p.name] in table:
                total *= table[groups[p.name]]
            else:
                total = None
                break
        if total is None:
            name = "Sum[" + ",".join(sorted(p.name for p in parts)) + "]"
            total = coeff * _OPAQUE.setdefault(name, sp.Function(name))(dep)
        out += total
    return out


def _at(expr: sp.Expr, idx, p: Part, flag, defs: dict) -> sp.Expr:
    """A registry summand at the generic member of `p` (flag: the indicator 1_S there)."""
    rep: dict = {}
    for x in expr.atoms(sp.Indexed):
        if x.indices != (idx,):
            continue
        if x.base == s:
            rep[x] = sp.log(p.w)
        elif x.base == v:
            rep[x] = p.v
        elif x.base in (a, a_hat) and x.base in defs:
            rep[x] = defs[x.base][p.name]
    for x in expr.atoms(sp.core.function.AppliedUndef):
        if x.func == one_S and x.args == (idx,) and flag is not None:
            rep[x] = sp.Integer(flag)
    out = expr.xreplace(rep)
    _need(not out.has(idx), f"a summand {expr} depends on its index in a way the kernel does not know")
    return out


def _sum_parts(expr: sp.Expr, mdl: Model, kept, defs: dict) -> sp.Expr:
    """sum-split + sum-linear: a registry sum over (j, 1, n) as the sum of the parts' sums."""
    _need(isinstance(expr, sp.Sum) and len(expr.limits) == 1, f"{expr} is not a single sum")
    idx, lo, hi = expr.limits[0]
    _need(lo == 1 and hi == sp.Symbol("n", integer=True, positive=True), f"{expr} is not a sum over 1..n")
    return sp.cancel(
        sum(
            (psum((p,), _at(expr.function, idx, p, int(p.name in kept), defs)) for p in mdl.parts),
            sp.Integer(0),
        )
    )


def _definition(rid: str, lhs_test) -> sp.Eq:
    for rel in _registry.registry[rid].relations():
        if isinstance(rel, sp.Eq) and lhs_test(rel.lhs):
            return rel
    raise ProofError(f"{rid}: the registry formula has no such defining equation")


# ---------------------------------------------------------------------------------------------
# The rules
# ---------------------------------------------------------------------------------------------


def decide(rel, *, over: Iterable[str] = ()) -> Fact:
    """A relation SymPy decides for every admissible value of its symbols (both sides read)."""
    got = _inputs("decide", rel=rel)
    if got is DROP:
        return _dropped("decide")
    rel = _relation(got["rel"])
    _need(holds(rel), f"decide: SymPy does not decide {rel}")
    return _fact(rel, over, None, "decide", ("sympy",))


def unfold(
    mdl: Model, *, tail: tuple[sp.Symbol, Iterable[str]] | None = None, tail_symbol: sp.Symbol = tau
) -> dict[str, Fact]:
    """The registry's def:attention, def:tail-mass, def:topk-attention (read now) on the model's parts.

    Returns equations "Z", "LSE", "o", "tau" (named `tail_symbol`), "o_hat", per part "a:P", "a_hat:P",
    "s:P", "1_S:P" (at its member), and with `tail` = (symbol, kept parts of another kept set) the tail
    mass of that set as "tail"."""
    got = _inputs("unfold", mdl=mdl)
    if got is DROP:
        return {}
    mdl = got["mdl"]
    cites = (
        "ax:relabel",
        "sum-split",
        "sum-linear",
        "sum-positive",
        "def:attention",
        "def:tail-mass",
        "def:topk-attention",
    )
    a_eq = _definition("def:attention", lambda x: x.is_Indexed and x.base == a)
    lse_eq = _definition("def:attention", lambda x: x == LSE)
    o_eq = _definition("def:attention", lambda x: x == o)
    tau_eq = _definition("def:tail-mass", lambda x: x == tau)
    ah_eq = _definition("def:topk-attention", lambda x: x.is_Indexed and x.base == a_hat)
    oh_eq = _definition("def:topk-attention", lambda x: x == o_hat)
    (z_sum,) = a_eq.rhs.atoms(sp.Sum)
    Z_value = _sum_parts(z_sum, mdl, mdl.kept, {})
    (ai,) = a_eq.lhs.indices
    # a, tau, o and LSE keep Z as the symbol Z > 0 (lemma sum-positive: n >= 1 positive weights), the
    # equation "Z" gives its value; a_hat and o_hat, where Z cancels, are given with Z = its value
    a_of = {p.name: sp.cancel(_at(a_eq.rhs.xreplace({z_sum: Z}), ai, p, None, {})) for p in mdl.parts}
    tau_value = _sum_parts(tau_eq.rhs, mdl, mdl.kept, {a: a_of})
    (hi,) = ah_eq.lhs.indices
    ah_of = {
        p.name: sp.cancel(
            _at(ah_eq.rhs.xreplace({tau: tau_value}), hi, p, int(p.name in mdl.kept), {a: a_of}).xreplace(
                {Z: Z_value}
            )
        )
        for p in mdl.parts
    }

    def fact(rel, over=()):
        return _fact(rel, over, mdl, "unfold", cites)

    out = {
        "Z": fact(sp.Eq(Z, Z_value)),
        "LSE": fact(sp.Eq(LSE, lse_eq.rhs.xreplace({z_sum: Z}))),
        "o": fact(sp.Eq(o, _sum_parts(o_eq.rhs, mdl, mdl.kept, {a: a_of}))),
        "tau": fact(sp.Eq(tail_symbol, tau_value)),
        "o_hat": fact(sp.Eq(o_hat, _sum_parts(oh_eq.rhs, mdl, mdl.kept, {a_hat: ah_of}))),
    }
    for p in mdl.parts:
        at = () if p.single else (p.name,)  # a single key is a key of the row, not a generic member
        out[f"a:{p.name}"] = fact(sp.Eq(a[p.index], a_of[p.name], evaluate=False), at)
        out[f"a_hat:{p.name}"] = fact(sp.Eq(a_hat[p.index], ah_of[p.name], evaluate=False), at)
        out[f"s:{p.name}"] = fact(sp.Eq(s[p.index], sp.log(p.w), evaluate=False), at)
        out[f"1_S:{p.name}"] = fact(sp.Eq(one_S(p.index), int(p.name in mdl.kept), evaluate=False), at)
    if tail is not None:
        symbol, other = tail
        from .symbols import k as k_symbol
        from .symbols import tau_next, tau_S

        sizes = {tau_S: k_symbol, tau_next: k_symbol + 1}  # the tail of which window the symbol is
        _need(symbol in sizes, f"unfold: {symbol} is not the tail mass of a named window")
        _need(
            is_zero(_size(mdl, other) - sizes[symbol].xreplace(mdl.size_subs)),
            f"unfold: the kept set of {symbol} does not hold {sizes[symbol]} keys",
        )
        out["tail"] = fact(
            sp.Eq(symbol, _sum_parts(tau_eq.rhs, mdl, frozenset(other), {a: a_of}), evaluate=False)
        )
    return out


def order(mdl: Model) -> list[Fact]:
    """ax:topk-order on a model whose kept parts are the top-k set: at every kept member
    s_(k) <= s[j], at every dropped member s[j] <= s_(k+1), and s_(k+1) <= s_(k)."""
    got = _inputs("order", mdl=mdl)
    if got is DROP:
        return [_dropped("order")]
    mdl = got["mdl"]
    _top_k(mdl, "order")
    out = [_fact(sp.Le(s_k1, s_k), (), mdl, "order", ("ax:topk-order",))]
    for p in mdl.parts:
        rel = sp.Le(s_k, s[p.index]) if p.name in mdl.kept else sp.Le(s[p.index], s_k1)
        out.append(_fact(rel, () if p.single else (p.name,), mdl, "order", ("ax:topk-order",)))
    return out


#: the named maxima: symbol -> (how many parts it ranges over, its term at their generic members);
#: v_max and a_max range over every key, D_SH over pairs (kept i, dropped j).
MAXIMA: dict[sp.Symbol, tuple[int, Callable]] = {
    v_max: (1, lambda p: norm(p.v)),
    a_max: (1, lambda p: a[p.index]),
    v_spread: (2, lambda kept, dropped: norm(dropped.v - kept.v)),
}


def _max_term(symbol, mdl: Model, parts) -> sp.Expr:
    _need(symbol in MAXIMA, f"{symbol} is not a named maximum")
    arity, term = MAXIMA[symbol]
    _need(len(parts) == arity, f"{symbol} ranges over {arity} part(s)")
    if arity == 2:
        _need(
            parts[0].name in mdl.kept and parts[1].name not in mdl.kept,
            f"{symbol} ranges over (kept, dropped) pairs",
        )
    return term(*parts)


def maximum(symbol: sp.Symbol, mdl: Model, parts: tuple[Part, ...]) -> Fact:
    """ax:max-bound: each term of a named maximum is <= it (a fact at the parts' members)."""
    got = _inputs("maximum", symbol=symbol, parts=parts)
    if got is DROP:
        return _dropped("maximum")
    symbol, parts = got["symbol"], got["parts"]
    return _fact(
        sp.Le(_max_term(symbol, mdl, parts), symbol),
        [p.name for p in parts],
        mdl,
        "maximum",
        ("ax:max-bound",),
    )


def maximum_at_most(symbol: sp.Symbol, mdl: Model, parts: tuple[Part, ...], bound: Fact) -> Fact:
    """ax:max-bound: a maximum of terms each <= B (a fact at the members of `parts`, which must be all
    of the maximum's range in the model; B free of the members) is <= B. A range that may be empty
    needs B >= 0 (an empty maximum of norms is 0)."""
    got = _inputs("maximum_at_most", symbol=symbol, parts=parts, bound=bound)
    if got is DROP:
        return _dropped("maximum_at_most")
    symbol, parts, bound = got["symbol"], got["parts"], got["bound"]
    term = _max_term(symbol, mdl, parts)
    arity = MAXIMA[symbol][0]
    wanted = (
        [(p,) for p in mdl.parts]
        if arity == 1
        else [(p, q) for p in mdl.parts if p.name in mdl.kept for q in mdl.parts if q.name not in mdl.kept]
    )
    _need(
        len(wanted) == 1 and wanted[0] == tuple(parts),
        f"maximum_at_most: {symbol} ranges over more than {[p.name for p in parts]} in {mdl.name}",
    )
    rel = bound.rel
    _need(
        bound.model in (None, mdl) and isinstance(rel, sp.Le) and rel.lhs == _canonical(term),
        f"maximum_at_most: {rel} does not bound the term {term} of {symbol}",
    )
    _need(
        not any(p.mine(rel.rhs) for p in parts), f"maximum_at_most: the bound {rel.rhs} depends on a member"
    )
    if not all(proves_sign(p.count - 1) for p in parts):
        _need(proves_sign(rel.rhs), "maximum_at_most: the range may be empty and the bound is not >= 0")
    return _fact(sp.Le(symbol, rel.rhs), (), mdl, "maximum_at_most", ("ax:max-bound",), events=bound.events)


def _meanings() -> dict[sp.Symbol, tuple[sp.Expr, tuple[str, ...]]]:
    """The named quantities and their definitions, with what each cites (THEORY.md's notation)."""
    from .gaussian import E_e2s, E_es, E_es_above, Phi_inv, Phic, count_above, d_frac, share_above, w_exp
    from .symbols import beta, delta_p, gamma, n, t

    x = sp.Symbol("x", real=True)
    ell = sp.Symbol("ell_n", positive=True)
    density = sp.exp(-(x**2) / (2 * beta**2)) / (beta * sp.sqrt(2 * sp.pi))
    gauss = ("ax:gaussian-expectation",)
    return {
        err: (norm(o - o_hat), ("notation",)),
        Delta: (s_k - s_k1, ("notation",)),
        E_es: (sp.Integral(sp.exp(x) * density, (x, -sp.oo, sp.oo)), gauss),
        E_es_above: (sp.Integral(sp.exp(x) * density, (x, t, sp.oo)), gauss),
        E_e2s: (sp.Integral(sp.exp(2 * x) * density, (x, -sp.oo, sp.oo)), gauss),
        share_above: (E_es_above / E_es, ("notation",)),
        count_above: (n * sp.Integral(density, (x, t, sp.oo)), gauss),
        d_frac: (sp.Derivative(Phic(beta + Phi_inv(sp.Symbol("eps", positive=True))), beta), ("notation",)),
        # the decay exponent of the bound e^M / E Z on max_j a_j in the regime beta^2 = 2 gamma ln n:
        # lim ln(E Z e^{-M}) / ln n: ln n = ell -> oo, E Z = n e^{beta^2/2}, M = beta sqrt(2 ln(n/delta'))
        w_exp: (sp.Limit((ell + gamma * ell - sp.sqrt(2 * gamma * ell) * sp.sqrt(2 * (ell - sp.log(delta_p))))
                         / ell, ell, sp.oo), ("notation",)),
    }


def meaning(symbol: sp.Symbol) -> Fact:
    """The definition of a named quantity (err = ||o - o_hat||, Delta = s_(k) - s_(k+1), the Gaussian
    expectations of lem:lognormal-tilt as integrals, the derivative of prop:norm-sparsity)."""
    got = _inputs("meaning", symbol=symbol)
    if got is DROP:
        return _dropped("meaning")
    symbol = got["symbol"]
    table = _meanings()
    _need(symbol in table, f"meaning: {symbol} has no definition")
    value, cites = table[symbol]
    return _fact(sp.Eq(symbol, value, evaluate=False), (), None, "meaning", cites)


def distances(mdl: Model, row: dict[str, Fact]) -> dict[str, Fact]:
    """ax:prob-distances on the model: L1 = sum_j |a_hat_j - a_j| (each part's sign decided), TV = L1/2,
    KL = sum over parts where a_hat > 0 of a_hat log(a_hat / a), from `row` = unfold(mdl) (with its Z)."""
    got = _inputs("distances", mdl=mdl, row=row)
    if got is DROP:
        return {}
    mdl, row = got["mdl"], got["row"]
    _sure(row.values(), "distances")
    from .symbols import KL, L1, TV

    l1, kl = sp.Integer(0), sp.Integer(0)
    for p in mdl.parts:
        ah, aa = row[f"a_hat:{p.name}"], row[f"a:{p.name}"]
        _need(ah.model == mdl and aa.model == mdl, "distances: the row is not of this model")
        z_value = {Z: row["Z"].rel.rhs}
        d = sp.factor(sp.together((ah.rel.rhs - aa.rel.rhs).xreplace(z_value)))
        if proves_sign(d):
            l1 += psum((p,), d)
        else:
            _need(proves_sign(-d), f"distances: the sign of a_hat - a on {p.name} is not decided")
            l1 += psum((p,), -d)
        if ah.rel.rhs != 0:
            kl += psum((p,), ah.rel.rhs * sp.log(sp.cancel((ah.rel.rhs / aa.rel.rhs).xreplace(z_value))))
    cites = ("ax:prob-distances",)
    return {
        "L1": _fact(sp.Eq(L1, sp.cancel(l1), evaluate=False), (), mdl, "distances", cites),
        "TV": _fact(sp.Eq(TV, L1 / 2, evaluate=False), (), None, "distances", cites),
        "KL": _fact(sp.Eq(KL, kl, evaluate=False), (), mdl, "distances", cites),
    }


def instance(
    law: str, *, over: Iterable[str] = (), given: Iterable[Fact] = (), sizes: Model | None = None, **values
) -> list[Fact]:
    """The relations of `law` with its variables replaced by `values` (by name).

    An axiom (ax:...) is a statement for all values of its variables: each value must meet its
    variable's assumptions. A registry result is used only if its kernel proof passes, and of the same
    row: its quantities keep their meaning (a value may be the symbol itself, or row i's copy `X[i]`),
    and so do its sizes n, k, m (each itself, or its value in the model `sizes`); a free parameter of
    the statement (`gaussian.FREE_PARAMETERS`: a lower bound L, a margin theta, a failure delta, ...) may
    take any value built from parameters, n, k, beta, eps and the model's size symbols (never from a
    random quantity). Each hypothesis instance is decided or is the relation of a given fact, and a
    positive variable's value is decided > 0 or given as 0 < value. A result that holds with probability
    >= 1 - failure gives its relations on one event of that failure (named by the law and the values);
    each of its assumed relations (Z >= L with P >= 1 - delta') must be given with at most that failure,
    which the law's failure already counts."""
    got = _inputs("instance", law=law, values=dict(values), given=list(given), sizes=sizes)
    if got is DROP:
        return [_dropped("instance")]
    law, values, given = got["law"], got["values"], got["given"]
    result = _registry.registry.get(law)
    _need(result is not None, f"instance: no law {law!r}")
    from .axioms import RULES

    _need(law not in RULES, f"instance: {law} is used through the kernel rule {RULES.get(law)}")
    if not law.startswith("ax:"):
        from .general import kernel_proved  # noqa: PLC0415  (the kernel proofs import this module)

        _need(kernel_proved(law), f"instance: {law} has no passing kernel proof")
    rels = [*result.hypotheses, *result.relations(), *(rel for rel, _ in result.assumed)]
    free = {str(x): x for x in set().union(*(r.free_symbols for r in rels))}
    _need(set(values) == set(free), f"instance: {law} needs values for {sorted(free)}, got {sorted(values)}")
    model_sizes = got.get("sizes").size_subs if got.get("sizes") else {}
    subs = {x: _value(law, x, exact(sp.sympify(values[name])), model_sizes, given)
            for name, x in free.items()}
    _one_window(law, subs)

    def put(rel):  # substitute without letting SymPy evaluate the relation away
        return rel.func(rel.lhs.xreplace(subs), rel.rhs.xreplace(subs), evaluate=False)

    for h in result.hypotheses:
        if h.xreplace(subs) is sp.true:  # SymPy's assumptions decide it (exp(-ell) < 1 for ell > 0)
            continue
        hi = _relation(put(h))
        _need(
            any(_normal(hi) == g.rel for g in given) or holds(hi) or any(_same(hi, g.rel) for g in given),
            f"instance: {law}: the hypothesis {hi} is neither decided nor given",
        )
    covered = set()
    for rel, bound in result.assumed:
        ai, bi = _normal(_relation(put(rel))), bound.xreplace(subs)
        ok = [g for g in given if _same(ai, g.rel) and holds(sp.Le(g.failure, bi, evaluate=False))]
        _need(bool(ok), f"instance: {law} assumes {ai} with probability >= 1 - {bi}: give it")
        covered.add(ok[0])
    sure = _events(g for g in given if g not in covered)
    events, certain = sure, False
    if result.failure is not None:
        shown = ", ".join(f"{x} = {subs[x]}" for x in sorted(subs, key=str) if subs[x] != x)
        failure = result.failure.xreplace(subs)
        events += ((f"instance of {law}" + (f" at {shown}" if shown else ""), failure),)
        # a relation of numbers only (a limit of the bound) holds with probability >= 1 - failure > 0 and
        # has no randomness, so it holds: it needs no event of its own
        certain = holds(sp.Lt(failure, 1, evaluate=False))
    mdl = _one_model(given)
    numbers = [certain and _numbers_only(put(r), subs) for r in result.relations()]
    return [_fact(put(r), over, mdl, "instance", (law,), events=sure if plain else events)
            for r, plain in zip(result.relations(), numbers, strict=True)]


def _numbers_only(rel, subs: dict) -> bool:
    """The relation speaks of no random quantity: its symbols are free parameters, sizes, the score scale
    and threshold, or symbols the parameters' values brought in (a model's ell, w, kappa: `_value` checked
    that they are no random quantity)."""
    from .gaussian import FREE_PARAMETERS  # noqa: PLC0415  (the chapter imports the kernel's symbols)

    brought = set().union(*(sp.sympify(v).free_symbols for x, v in subs.items() if x in FREE_PARAMETERS))
    return not rel.has(sp.Indexed) and rel.free_symbols <= _numbers() | brought


def _numbers() -> frozenset:
    """The symbols that are numbers, not random quantities: the free parameters, the sizes n, k, m (and the
    windows of `gaussian.WINDOWS`), the score scale beta and the weight threshold eps."""
    from .gaussian import FREE_PARAMETERS, WINDOWS  # noqa: PLC0415  (the chapter imports the kernel's symbols)
    from .symbols import beta, eps, k, m, n  # noqa: PLC0415  (local: the kernel's own names stay free)

    return FREE_PARAMETERS | {n, k, m, beta, eps, *WINDOWS.values()}


def _one_window(law: str, subs: dict) -> None:
    """A law's window k renamed to another window of the row (`gaussian.WINDOWS`: k_fixed, k_adaptive)
    takes tau to that window's tail mass with it, and the law speaks of no other quantity of the window."""
    from .gaussian import WINDOWS  # noqa: PLC0415  (the chapter imports the kernel's symbols)
    from .symbols import L_k, k, tau_next, tau_S, tau_thr  # noqa: PLC0415

    window, mass = subs.get(k, k), subs.get(tau, tau)
    if window == k and (mass == tau or (mass.is_Indexed and str(mass.base) == str(tau))):
        return  # the same window (row i's tail mass tau[i] is this window's too)
    _need(WINDOWS.get(subs.get(tau)) == window and window in WINDOWS.values(),
          f"instance: {law}: the window k = {window} and the tail mass tau = {subs.get(tau)} are not one "
          "window's")
    other = {str(x) for x in subs} & {str(q) for q in (err, o_hat, a_hat, tau_next, tau_S, tau_thr, L_k)}
    _need(not other, f"instance: {law} speaks of {sorted(other)}, which a renamed window would change")


def _value(law: str, x: sp.Symbol, val: sp.Expr, model_sizes: dict, given: list[Fact]) -> sp.Expr:
    """The value `val` of the variable `x` of `law`, checked (see `instance`)."""
    from .gaussian import FREE_PARAMETERS, WINDOWS  # noqa: PLC0415  (the chapter imports the kernel's symbols)
    from .symbols import k  # noqa: PLC0415  (local: the kernel's own names stay free)

    row_copy = val.is_Indexed and str(val.base) == str(x)
    if not law.startswith("ax:"):
        if x in FREE_PARAMETERS:
            allowed = _numbers() | set().union(*(sp.sympify(v).free_symbols for v in model_sizes.values()))
            _need(not val.has(sp.Indexed) and val.free_symbols <= allowed,
                  f"instance: {law}'s parameter {x} = {val} is not built from parameters and sizes")
        else:
            another_window = (x == tau and val in WINDOWS) or (x == k and val in WINDOWS.values())
            _need(
                val == x or row_copy or val == model_sizes.get(x) or another_window,
                f"instance: {law}'s quantity {x} must stay itself (or row i's {x}[i], its size in "
                f"the model, or another window's with tau: `_one_window`), got {val}",
            )
    def given_positive(e):
        return any(_same(sp.Lt(0, e), g.rel) for g in given)

    for prop, test in (
        ("positive", lambda e: proves_sign(e, strict=True) or given_positive(e)),
        ("nonnegative", lambda e: proves_sign(e) or given_positive(e)),
        ("integer", lambda e: bool(e.is_integer)),
    ):
        if getattr(x, f"is_{prop}") and not row_copy:
            _need(test(val), f"instance: {law}: {x} = {val} is not decided {prop} (nor given)")
    return val


def sum_over(parts: tuple[Part, ...], fact: Fact, weight=1) -> Fact:
    """sum-monotone: from a fact at every member of `parts` (L <= R, L < R or L = R) and a weight
    decided >= 0 at every member (any weight for an equation): sum weight L <= (=) sum weight R."""
    got = _inputs("sum_over", parts=parts, fact=fact, weight=weight)
    if got is DROP:
        return _dropped("sum_over")
    parts, fact, weight = got["parts"], got["fact"], exact(sp.sympify(got["weight"]))
    names = {p.name for p in parts}
    _need(
        set(fact.over) <= names, f"sum_over: the fact is at the members of {fact.over}, not {sorted(names)}"
    )
    rel = fact.rel
    if not isinstance(rel, sp.Eq):
        _need(proves_sign(weight), f"sum_over: the weight {weight} is not decided >= 0")
    op = sp.Eq if isinstance(rel, sp.Eq) else sp.Le
    return _fact(
        op(psum(parts, weight * rel.lhs), psum(parts, weight * rel.rhs)),
        (),
        fact.model,
        "sum_over",
        ("sum-linear", "sum-monotone"),
        f"over {', '.join(sorted(names))}",
        events=fact.events,
    )


def norm_of_sum(parts: tuple[Part, ...], coeff, vec, mdl: Model) -> Fact:
    """||sum coeff vec|| <= sum coeff ||vec|| over every member of `parts` (pairs for two parts), the
    coefficient decided >= 0 (lemma norm-finite-triangle, from ax:norm-triangle, ax:norm-homogeneity)."""
    got = _inputs("norm_of_sum", parts=parts, coeff=coeff, vec=vec)
    if got is DROP:
        return _dropped("norm_of_sum")
    parts, coeff, vec = got["parts"], exact(sp.sympify(got["coeff"])), got["vec"]
    _need(proves_sign(coeff), f"norm_of_sum: the coefficient {coeff} is not decided >= 0")
    return _fact(
        sp.Le(_canonical(norm(psum(parts, coeff * vec))), psum(parts, coeff * norm(vec))),
        (),
        mdl,
        "norm_of_sum",
        ("norm-finite-triangle", "ax:norm-triangle", "ax:norm-homogeneity", "sum-linear"),
    )


def derive(
    goal, *, eqs: Iterable[Fact] = (), ineqs: Iterable[tuple[Fact, sp.Expr]] = (), over: Iterable[str] = ()
) -> Fact:
    """goal from proven equations (substituted, lhs -> rhs, lhs a named quantity) and a nonnegative
    combination of proven relations: for L <= R, R - L - sum lambda_i (R_i - L_i) decided >= 0 (> 0 for
    L < R unless a strict relation has lambda decided > 0); an equation may take any lambda, an
    inequality lambda decided >= 0; an equation goal combines equations only."""
    got = _inputs("derive", goal=goal, eqs=list(eqs), ineqs=list(ineqs))
    if got is DROP:
        return _dropped("derive")
    goal, eqs, ineqs = _relation(got["goal"]), got["eqs"], got["ineqs"]
    over = set(over)
    used = [*eqs, *(f for f, _ in ineqs)]
    for f in used:
        _need(isinstance(f, Fact), f"derive: {f!r} is not a Fact")
        _need(
            set(f.over) <= over,
            f"derive: a fact at the members of {f.over} used for a goal at {sorted(over)}",
        )
    mdl = _one_model(used)
    subs = {}
    for e in eqs:
        lhs = e.rel.lhs
        _need(
            isinstance(e.rel, sp.Eq) and (lhs.is_Symbol or lhs.is_Indexed or isinstance(lhs, sp.Function)),
            f"derive: {e.rel} is not an equation naming a quantity",
        )
        subs[lhs] = e.rel.rhs

    def sub(x):
        for _ in range(20):
            y = _canonical(x.xreplace(subs))
            if y == x:
                return _evaluated(y) if y.has(sp.Integral, sp.Derivative, sp.Limit) else y
            x = y
        raise ProofError("derive: the equations do not terminate")

    L, R = sub(goal.lhs), sub(goal.rhs)
    residual = R - L
    strict_used = False
    for f, lam in ineqs:
        lam = exact(sp.sympify(lam))
        rel = f.rel
        if isinstance(goal, sp.Eq | sp.Ne):
            _need(isinstance(rel, sp.Eq), "derive: an equation or a Ne follows from equations only")
        if isinstance(rel, sp.Le | sp.Lt):
            # the sign is decided on the multiplier as written: its symbols are the row's quantities with
            # their assumptions (Z > 0 by sum-positive, tau >= 0, ...), equal to what they are replaced by
            _need(proves_sign(lam), f"derive: the multiplier {lam} of {rel} is not decided >= 0")
            strict_used |= isinstance(rel, sp.Lt) and proves_sign(lam, strict=True)
        else:
            _need(isinstance(rel, sp.Eq), f"derive: cannot combine {rel}")
        residual -= lam * (sub(rel.rhs) - sub(rel.lhs))
    residual = sub(residual)
    if isinstance(goal, sp.Eq):
        ok = is_zero(residual)
    elif isinstance(goal, sp.Ne):
        ok = proves_sign(residual, strict=True) or proves_sign(-residual, strict=True)
    else:
        ok = proves_sign(residual, strict=isinstance(goal, sp.Lt) and not strict_used)
    if not ok:  # simplified for the message only when small: simplify can run for minutes on a large one
        left = sp.simplify(residual) if sp.count_ops(residual) <= 40 else residual
        raise ProofError(f"derive: {goal} does not follow (what is left, {left}, is not decided)")
    return _fact(
        goal,
        over,
        mdl,
        "derive",
        ("sympy",) if not used else ("combination",),
        f"from {len(eqs)} equation(s) and {len(ineqs)} relation(s)",
        events=_events(used),
    )


def conclude(result_id: str, facts: Iterable[Fact], models: Iterable[Model]) -> Fact:
    """The last step: each relation of the registry formula of `result_id`, read now with each model's
    sizes substituted, is the relation of one of `facts` of that model (or of no model). Two models are
    accepted together only as the two cases of one key kept or dropped (same sizes, one single part
    kept in one and dropped in the other). For a result that holds with probability >= 1 - failure,
    the fact's events must fail with probability at most that in total (`_chance_ok`)."""
    got = _inputs("conclude", result_id=result_id, facts=list(facts))
    if got is DROP:
        return _dropped("conclude")
    result_id, facts, models = got["result_id"], got["facts"], list(models)
    rels = _registry.registry[result_id].relations()
    _need(bool(rels), f"conclude: {result_id} has no formula")
    _need(len(models) <= 2, "conclude: no model, one, or the two cases of one key")
    if len(models) == 2:
        m1, m2 = models
        flipped = {p.name for p in m1.parts if p.single} & {p.name for p in m2.parts if p.single}
        _need(
            m1.sizes == m2.sizes and any((x in m1.kept) != (x in m2.kept) for x in flipped),
            "conclude: the two models are not the cases 'kept' and 'dropped' of one key",
        )
    result = _registry.registry[result_id]
    covered = [_covers(result, mdl) for mdl in models]
    union = False
    for mdl in models or [None]:
        sizes = mdl.size_subs if mdl else {}
        for rel in rels:
            target = _normal(rel.xreplace(sizes))
            matching = [f for f in facts if not f.over and f.model in (None, mdl) and _same(target, f.rel)]
            _need(
                any(_chance_ok(result, f, sizes) for f in matching),
                f"conclude: no step derives {target} of {result_id}"
                + (f" in {mdl.name}" if mdl else "")
                + (f" failing with probability <= {result.failure}" if result.failure is not None else ""),
            )
            union |= any(len(f.events) > 1 for f in matching)
    formula = rels[0] if len(rels) == 1 else sp.And(*rels, evaluate=False)
    cites = (result_id, *(("ax:union-bound",) if union else ()),
             *(("parametrization",) if any(covered) else ()))
    return _fact(formula, (), None, "conclude", cites)


def _covers(result, mdl: Model) -> bool:
    """The model covers the statement: each parameter x of `result` that the model writes through a fresh
    symbol u > 0 (delta = e^{-ell}, gamma = 1/(1 + w), C = 1 - gamma + kappa, earlier parameters put back
    by their inverses) is strictly monotone in u, and its limits as u -> 0 and u -> oo are the ends of the
    range its hypotheses allow: each finite end is a strict hypothesis of the result (or 0 for a positive
    x). A continuous strictly monotone map of (0, oo) onto that interval reaches every point of it
    (intermediate value theorem), so every x the statement speaks of is some value of u. True when the
    model writes a parameter so."""
    from .symbols import k, m, n  # noqa: PLC0415  (local: the kernel's own names stay free)

    own = set().union(*(r.free_symbols for r in (*result.hypotheses, *result.relations())))
    todo = {x: v for x, v in mdl.sizes if x in own and x not in (n, k, m)}
    inverse: dict = {}  # each fresh symbol in the statement's symbols, once its parameter is covered
    while todo:
        ready = [(x, sp.sympify(v)) for x, v in todo.items()
                 if len(sp.sympify(v).free_symbols - own - set(inverse)) == 1]
        _need(bool(ready), f"conclude: the model {mdl.name} writes {sorted(map(str, todo))} through no one "
              "fresh parameter each")
        x, v = ready[0]
        (u,) = v.free_symbols - own - set(inverse)
        slope = sp.diff(v, u)  # its sign for every value of the earlier fresh symbols, so of theirs
        up = proves_sign(slope, strict=True)
        _need(u.is_positive and (up or proves_sign(-slope, strict=True)),
              f"conclude: {x} = {v} is not strictly monotone in {u} > 0")
        ends = [sp.limit(v, u, 0, "+").xreplace(inverse), sp.limit(v, u, sp.oo).xreplace(inverse)]
        lo, hi = ends if up else ends[::-1]
        hyps = [_normal(h) for h in result.hypotheses]
        _need(lo == -sp.oo or (lo == 0 and x.is_positive) or any(_same(sp.Lt(lo, x), h) for h in hyps),
              f"conclude: the model reaches {x} > {lo} only, which no hypothesis of {result.id} says")
        _need(hi == sp.oo or any(_same(sp.Lt(x, hi), h) for h in hyps),
              f"conclude: the model reaches {x} < {hi} only, which no hypothesis of {result.id} says")
        solved = sp.solve(sp.Eq(v.xreplace(inverse), x), u)
        _need(len(solved) == 1, f"conclude: {x} = {v} has no one inverse in {u}")
        inverse[u] = solved[0]
        del todo[x]
    return bool(inverse)


#: how the events of a result's own hypotheses are named (`hypothesis`, `chance.assume`)
OWN_EVENTS = ("hypothesis of ", "assumed by ")


def _chance_ok(result, fact: Fact, sizes: dict) -> bool:
    """Every event of the fact that is a result's hypothesis is one of `result`'s own. A sure result
    needs a fact that holds wherever its hypotheses do; a result that holds with probability >= 1 -
    failure needs a fact whose events' bounds sum (ax:union-bound) to at most that failure (decided)."""
    own = tuple(f"{prefix}{result.id}:" for prefix in OWN_EVENTS)
    if any(name.startswith(OWN_EVENTS) and not name.startswith(own) for name, _ in fact.events):
        return False
    if result.failure is None:
        return all(name.startswith(OWN_EVENTS[0]) for name, _ in fact.events)
    return holds(sp.Le(fact.failure, result.failure.xreplace(sizes), evaluate=False))


def hypothesis(result_id: str, mdl: Model | None = None) -> list[Fact]:
    """The hypotheses of `result_id` (read now, with the sizes of `mdl`), each a fact on the event
    'hypothesis of <result_id>: ...' of failure 0: `conclude` accepts it for that result only (the result
    claims its formula where its hypotheses hold), and an instance of the result must be given it."""
    got = _inputs("hypothesis", result_id=result_id)
    if got is DROP:
        return [_dropped("hypothesis")]
    result = _registry.registry[got["result_id"]]
    sizes = mdl.size_subs if mdl else {}
    out = []
    for rel in result.hypotheses:
        rel = rel.xreplace(sizes)
        if rel is sp.true:  # decided once the sizes are in (delta = e^{-ell} < 1)
            continue
        rel = _relation(rel)
        event = (f"{OWN_EVENTS[0]}{result.id}: {rel}", sp.Integer(0))
        out.append(_fact(rel, (), mdl, "hypothesis", (result.id,), events=[event]))
    return out


# ---------------------------------------------------------------------------------------------
# Suprema over the values (lem:worst-case-error)
# ---------------------------------------------------------------------------------------------

#: sup_err = sup of err over all values with max_j ||v_j|| <= 1 (the other inputs fixed)
sup_err = sp.Symbol("sup_err", nonnegative=True)
#: a unit vector of the value space: ||u|| = 1 (any nonzero vector scaled by ax:norm-homogeneity)
unit = sp.Symbol("u", real=True)


def supremum_at_most(fact: Fact) -> Fact:
    """ax:max-bound: from err <= B (for all values), B depending on the values only through v_max,
    linearly and nondecreasingly: sup_err <= B at v_max = 1."""
    got = _inputs("supremum_at_most", fact=fact)
    if got is DROP:
        return _dropped("supremum_at_most")
    fact = got["fact"]
    rel = fact.rel
    _need(
        isinstance(rel, sp.Le) and rel.lhs == err and not fact.over, "supremum_at_most: not a bound err <= B"
    )
    B = rel.rhs
    on_values = {
        x for x in B.free_symbols if x in (v_spread, err, o, o_hat) or str(x).startswith(("P_", "mu_"))
    }
    _need(
        not B.has(v, norm) and not on_values and sp.degree(B, v_max) <= 1 and proves_sign(sp.diff(B, v_max)),
        f"supremum_at_most: {B} is not nondecreasing and linear in v_max",
    )
    return _fact(
        sp.Le(sup_err, B.xreplace({v_max: 1})),
        (),
        fact.model,
        "supremum_at_most",
        ("ax:max-bound",),
        events=fact.events,
    )


def supremum_attained(mdl: Model, row: dict[str, Fact]) -> Fact:
    """ax:max-bound (a supremum is >= every value it ranges over) at the values v = u on the dropped
    parts and -u on the kept ones, ||u|| = 1 (so max_j ||v_j|| = 1): the kernel evaluates err =
    ||o - o_hat|| there (def:attention, def:topk-attention through `row`) and pulls the scalar out of the
    norm (ax:norm-homogeneity, the scalar decided >= 0)."""
    got = _inputs("supremum_attained", mdl=mdl, row=row)
    if got is DROP:
        return _dropped("supremum_attained")
    mdl, row = got["mdl"], got["row"]
    _sure(row.values(), "supremum_attained")
    _need(
        row["o"].model == mdl and row["o_hat"].model == mdl, "supremum_attained: the row is not of this model"
    )
    at = {p.P: (p.W * unit if p.name not in mdl.kept else -p.W * unit) for p in mdl.parts if not p.single}
    at |= {p.v: (unit if p.name not in mdl.kept else -unit) for p in mdl.parts}
    difference = (row["o"].rel.rhs - row["o_hat"].rel.rhs).xreplace({Z: row["Z"].rel.rhs})
    diff = sp.cancel(sp.together(difference.xreplace(at)))
    scalar = sp.cancel(diff / unit)
    _need(
        not scalar.has(unit) and proves_sign(scalar),
        f"supremum_attained: {diff} is not a scalar >= 0 times u",
    )
    return _fact(
        sp.Le(scalar, sup_err),
        (),
        mdl,
        "supremum_attained",
        ("ax:max-bound", "ax:norm-homogeneity", "def:attention", "def:topk-attention"),
    )


def antisymmetry(goal, le: Fact, ge: Fact) -> Fact:
    """x <= y and y <= x give x = y (goal x = y; each fact's sides decided equal to the goal's)."""
    got = _inputs("antisymmetry", goal=goal, le=le, ge=ge)
    if got is DROP:
        return _dropped("antisymmetry")
    goal, le, ge = _relation(got["goal"]), got["le"], got["ge"]
    _need(isinstance(goal, sp.Eq), "antisymmetry: the goal is not an equation")
    _need(
        isinstance(le.rel, sp.Le) and isinstance(ge.rel, sp.Le), "antisymmetry: two inequalities are needed"
    )
    _need(
        _same(sp.Le(goal.lhs, goal.rhs), le.rel) and _same(sp.Le(goal.rhs, goal.lhs), ge.rel),
        f"antisymmetry: {le.rel} and {ge.rel} are not the two halves of {goal}",
    )
    return _fact(goal, (), _one_model([le, ge]), "antisymmetry", ("order",), events=_events([le, ge]))


# ---------------------------------------------------------------------------------------------
# Rules that read one more definition of the registry
# ---------------------------------------------------------------------------------------------


def means(mdl: Model, row: dict[str, Fact]) -> dict[str, Fact]:
    """The notation of lem:output-factorization: mu_H = o_hat, mu_T = sum_{j not in S} a_j v_j / tau."""
    got = _inputs("means", mdl=mdl, row=row)
    if got is DROP:
        return {}
    mdl, row = got["mdl"], got["row"]
    _sure(row.values(), "means")
    from .symbols import mu_H, mu_T

    dropped = sum(
        (psum((p,), row[f"a:{p.name}"].rel.rhs * p.v) for p in mdl.parts if p.name not in mdl.kept),
        sp.Integer(0),
    )
    return {
        "mu_H": _fact(sp.Eq(mu_H, o_hat, evaluate=False), (), None, "means", ("notation",)),
        "mu_T": _fact(sp.Eq(mu_T, sp.cancel(dropped) / tau, evaluate=False), (), mdl, "means", ("notation",)),
    }


def eps_k_sparse(mdl: Model, sparse: Fact) -> list[Fact]:
    """def:eps-k-sparse (read now) on a top-k model: given `sparse`, the fact N_eps <= k (N_eps the count
    of the definition's sum), a_j <= eps at every dropped key. By contradiction: were a dropped a_j > eps,
    the k kept keys (each a_i >= a_j, by ax:topk-order) and j would be k + 1 keys counted by the
    definition's sum, which is <= k. The facts hold where `sparse` does (its events)."""
    got = _inputs("eps_k_sparse", mdl=mdl, sparse=sparse)
    if got is DROP:
        return [_dropped("eps_k_sparse")]
    mdl, sparse = got["mdl"], got["sparse"]
    _top_k(mdl, "eps_k_sparse")
    from .symbols import N_eps, eps, k

    premise = sp.Le(N_eps, k.xreplace(mdl.size_subs))
    _need(
        isinstance(sparse, Fact) and not sparse.over and _same(sparse.rel, premise),
        f"eps_k_sparse: {getattr(sparse, 'rel', sparse)} is not the premise N_eps <= k",
    )

    rel = _registry.registry["def:eps-k-sparse"].formula
    _need(isinstance(rel, sp.Le) and isinstance(rel.lhs, sp.Sum), "def:eps-k-sparse: not a count <= k")
    idx, lo, hi = rel.lhs.limits[0]
    _need(
        lo == 1 and hi == sp.Symbol("n", integer=True, positive=True),
        "def:eps-k-sparse: not a count over 1..n",
    )
    term = rel.lhs.function
    g, y = sp.symbols("g y", positive=True)
    h = sp.Symbol("h", nonnegative=True)
    # a weight eps + g + h above a dropped eps + g is counted (1); every term is 0 or 1 (nonnegative)
    _need(term.xreplace({a[idx]: eps + g + h}) == 1, "def:eps-k-sparse: a weight above eps is not counted")
    _need(
        all(bool(term.xreplace({a[idx]: eps + x}).is_nonnegative) for x in (y, 0, -y)),
        "def:eps-k-sparse: a count term is negative",
    )
    R = sp.Symbol("R", nonnegative=True)  # the count over the other keys (sum of terms >= 0)
    count = sp.Sum(term.xreplace({a[idx]: eps + g + h}), (idx, 1, k + 1)).doit() + R
    _need(bool((rel.rhs - count).is_negative), "def:eps-k-sparse: no contradiction from a dropped a_j > eps")
    cites = ("def:eps-k-sparse", "ax:topk-order", "sum-split")
    return [
        _fact(sp.Le(a[p.index], eps), () if p.single else (p.name,), mdl, "eps_k_sparse", cites,
              events=sparse.events)
        for p in mdl.parts
        if p.name not in mdl.kept
    ]


def threshold_kept(mdl: Model) -> list[Fact]:
    """def:threshold-attention (read now) on a model whose kept parts are the keys it keeps: at every
    dropped key a_j <= eps (a key with a_j >= eps, i.e. s_j >= LSE + log eps, is kept), and, with
    thm:threshold-error's hypothesis eps <= max_j a_j, the key of largest weight is kept, so a model
    with a nonempty kept part covers every row."""
    got = _inputs("threshold_kept", mdl=mdl)
    if got is DROP:
        return [_dropped("threshold_kept")]
    mdl = got["mdl"]
    from .symbols import eps

    rule = _registry.registry["def:threshold-attention"].formula
    _need(
        isinstance(rule, sp.Eq)
        and isinstance(rule.lhs, sp.core.function.AppliedUndef)
        and rule.lhs.func == one_S,
        "def:threshold-attention: not 1_S(j) = ...",
    )
    (idx,) = rule.lhs.args
    a_eq = _definition("def:attention", lambda x: x.is_Indexed and x.base == a)
    lse_eq = _definition("def:attention", lambda x: x == LSE)
    (z_sum,) = a_eq.rhs.atoms(sp.Sum)
    lse = lse_eq.rhs.xreplace({z_sum: Z})
    (ai,) = a_eq.lhs.indices

    def weight(score):
        return a_eq.rhs.xreplace({z_sum: Z}).xreplace({s[ai]: score})

    def flag(score):
        return sp.expand_log(rule.rhs.xreplace({s[idx]: score, LSE: lse}))

    t, g, hh = sp.Symbol("t", positive=True), sp.Symbol("g", positive=True), sp.Symbol("h", positive=True)
    _need(
        all(flag(lse + sp.log(eps) + x) == 1 for x in (0, t)),
        "def:threshold-attention: a key with a_j >= eps is not kept",
    )
    _need(
        is_zero(weight(lse + sp.log(eps) - g) - eps * sp.exp(-g)), "def:threshold-attention: a dropped weight"
    )
    hyps = _registry.registry["thm:threshold-error"].hypotheses
    _need(
        any(_same(_normal(hyp), sp.Le(eps, a_max)) for hyp in hyps),
        "thm:threshold-error: the hypothesis eps <= max_j a_j is missing",
    )
    for top in (eps, eps * (1 + hh)):  # the largest weight a_max = eps, or > eps
        _need(
            is_zero(weight(sp.log(top) + lse) - top) and flag(sp.log(top) + lse) == 1,
            "def:threshold-attention: the key of largest weight is not kept",
        )
    _need(
        any(p.name in mdl.kept and proves_sign(p.count - 1) for p in mdl.parts),
        "threshold_kept: the model has no nonempty kept part",
    )
    cites = ("def:threshold-attention", "ax:exp-monotone")
    return [
        _fact(sp.Le(a[p.index], eps), () if p.single else (p.name,), mdl, "threshold_kept", cites)
        for p in mdl.parts
        if p.name not in mdl.kept
    ]


def derivative(mdl: Model, row: dict[str, Fact], name: str) -> Fact:
    """d tau / d s_l for the single key `name` (w_l = e^{s_l}) where the kept set is locally constant
    (lemma local-constancy: s_(k) > s_(k+1)); SymPy differentiates the unfolded tau."""
    got = _inputs("derivative", mdl=mdl, row=row, name=name)
    if got is DROP:
        return _dropped("derivative")
    mdl, row, name = got["mdl"], got["row"], got["name"]
    _sure(row.values(), "derivative")
    from .symbols import ds

    p = mdl.part(name)
    _need(p.single and row["tau"].model == mdl, "derivative: with respect to one key of this model")
    sl = sp.Symbol("s_l", real=True)
    tau_value = row["tau"].rel.rhs.xreplace({Z: row["Z"].rel.rhs})  # Z depends on s_l too
    d = sp.diff(tau_value.xreplace({p.w: sp.exp(sl)}), sl).xreplace({sp.exp(sl): p.w})
    return _fact(
        sp.Eq(ds(p.index), sp.cancel(d), evaluate=False), (), mdl, "derivative", ("local-constancy", "sympy")
    )


def loss_rows(rows: Part) -> Fact:
    """def:sparsity-loss (read now) over a part `rows` of m rows (index i): L_k = sum_i tau[i] / m."""
    got = _inputs("loss_rows", rows=rows)
    if got is DROP:
        return _dropped("loss_rows")
    rows = got["rows"]
    from .symbols import L_k

    eq = _definition("def:sparsity-loss", lambda x: x == L_k)
    (total,) = eq.rhs.atoms(sp.Sum)
    idx, lo, hi = total.limits[0]
    _need(lo == 1 and hi == rows.count, f"def:sparsity-loss: not a sum over the {rows.count} rows")
    value = eq.rhs.xreplace({total: psum((rows,), total.function.xreplace({idx: rows.index}))})
    return _fact(
        sp.Eq(L_k, value, evaluate=False), (), None, "loss_rows", ("def:sparsity-loss", "sum-linear")
    )
