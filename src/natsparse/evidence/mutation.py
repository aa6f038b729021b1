"""The mutation gate: do the checks of a result catch false variants of its formula?

A status is only worth what its checks can tell apart. For every result with a formula this module
builds *mutants* of each relation of `Result.relations()`:

- every numeric constant scaled by 0.9 and by 1.1 (one at a time; not the limits of a sum, not an
  index, not the -1 and +-1/2 exponents that only spell a division or a root);
- every additive term dropped (one at a time, in every sum of either side);
- for probabilistic results (the symbols delta, delta' of `proofs.symbols`) delta -> 2 delta and
  delta -> delta/2;
- the relation flipped: <= and >=, < and > swap; = becomes != (an identity negated).

Each mutant replaces the result in the registry for a moment (`substituted`), the result's evidence
runs again *fresh* in this process (never the disk cache), and its status is compared with the
unmutated one. A mutant is **killed** when the status drops (to `failed` or to a lower rung),
**survived** otherwise.

A mutant may be true (a looser bound): surviving it is right, so each mutant is first classified by
`decide` (SymPy, never a guess):

- **true**: SymPy proves the mutant follows from the original under the symbols' assumptions and
  the result's hypotheses (an upper bound's slack rhs - lhs only grows, a lower bound's lhs - rhs
  only grows, or the two equations are equivalent);
- **false**: SymPy exhibits a *witness*, exact values of the formula's quantities that satisfy the
  symbols' assumptions and the hypotheses, at which the original holds and the mutant fails: the
  mutant claims more than the original there (a tighter bound, a wrong identity). The witness is a
  point of the formula's variables; whether an attention row realises it is the theory's question
  (its bounds are tight, and the checks' panels include the tight cases);
- **undecided**: neither was found.

The gate (`natsparse audit`) fails when a false mutant of a deterministic result survives: its
checks could not tell the claim from a false one. The report also lists true mutants that were
killed (a check that rejects a *weaker* claim does not read the formula as a claim) and the fate of
the undecided ones.

    >>> import sympy as sp
    >>> x, y = sp.symbols("x y", positive=True)
    >>> [description for _kind, description, _mutant in relation_mutants(sp.Le(x, 2 * y))]
    ['constant 2 x0.9 in 2*y', 'constant 2 x1.1 in 2*y', 'flip <= to >=']
    >>> decide(sp.Le(x, 2 * y), sp.Le(x, sp.Rational(11, 5) * y)).verdict    # looser: implied
    'true'
    >>> decide(sp.Le(x, 2 * y), sp.Le(x, sp.Rational(9, 5) * y)).verdict     # tighter: a witness
    'false'
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import random
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.core.relational import Relational
from sympy.polys.polyerrors import BasePolynomialError

from natsparse.proofs import Result, get, registry
from natsparse.proofs import chance as _chance
from natsparse.proofs.decide import proves_sign
from natsparse.proofs.symbols import Plim, delta, delta_p

#: the levels a statement chooses (t = ln(eps L), M = beta sqrt(2 ln(n/delta'))): `natsparse.proofs.chance`
CHOSEN = _chance.CHOSEN
#: (factor, label) of the constant mutants
SCALES = ((sp.Rational(9, 10), "0.9"), (sp.Rational(11, 10), "1.1"))
#: exponents that only spell a division or a root: not constants of the claim
STRUCTURAL_EXPONENTS = (sp.Integer(-1), sp.Rational(1, 2), sp.Rational(-1, 2))
#: the probability symbols: a result whose formula or hypotheses use one is probabilistic
PROBABILITY_SYMBOLS = (delta, delta_p)
FLIPS = {"<=": (sp.Ge, "flip <= to >="), ">=": (sp.Le, "flip >= to <="), "<": (sp.Gt, "flip < to >"),
         ">": (sp.Lt, "flip > to <"), "==": (sp.Ne, "negate = to !="), "!=": (sp.Eq, "negate != to =")}
#: modules whose functools caches are cleared around a substitution (compiled bounds, cached runs);
#: the on-disk cache's source hash is left alone (it depends on the source only)
CACHE_PREFIXES = ("natsparse.numeric", "natsparse.evidence", "natsparse.proofs.general")
CACHE_KEEP = ("natsparse.evidence.cache",)


# --- mutants ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Mutant:
    """One variant of one relation of a result: what was changed (`kind`, `description`), the mutated
    relation and the whole mutated formula (what `substituted` puts in the registry)."""

    result_id: str
    index: int
    kind: str
    description: str
    relation: sp.Basic
    original: sp.Basic
    formula: sp.Basic | None = None

    def as_dict(self) -> dict:
        """JSON-ready fields (SymPy objects as their `sstr`)."""
        return {"result": self.result_id, "index": self.index, "kind": self.kind,
                "description": self.description, "relation": sp.sstr(self.relation),
                "original": sp.sstr(self.original)}


def _walk(expr: sp.Basic, path: tuple[int, ...] = ()) -> Iterator[tuple[tuple[int, ...], sp.Basic]]:
    """(path, node) for every node a mutation may touch: not inside an index, not a limit of a
    sum/product/integral, not a structural exponent (see STRUCTURAL_EXPONENTS)."""
    yield path, expr
    if isinstance(expr, sp.Indexed | sp.Symbol | sp.Number):
        return
    args = expr.args
    if isinstance(expr, sp.Sum | sp.Product | sp.Integral):
        args = args[:1]
    elif isinstance(expr, sp.Pow) and expr.exp in STRUCTURAL_EXPONENTS:
        args = args[:1]
    for i, arg in enumerate(args):
        yield from _walk(arg, (*path, i))


def _replace(expr: sp.Basic, path: tuple[int, ...], new: sp.Basic) -> sp.Basic:
    """`expr` with the node at `path` replaced by `new` (each level rebuilt, so SymPy re-canonicalises;
    a relation is rebuilt unevaluated so that it stays a relation)."""
    if not path:
        return new
    args = list(expr.args)
    args[path[0]] = _replace(args[path[0]], path[1:], new)
    if isinstance(expr, Relational):
        return expr.func(*args, evaluate=False)
    return expr.func(*args)


def _node(expr: sp.Basic, path: tuple[int, ...]) -> sp.Basic:
    for i in path:
        expr = expr.args[i]
    return expr


def _is_constant(node: sp.Basic) -> bool:
    return isinstance(node, sp.Number) and bool(node.is_finite) and node != 0


def relation_mutants(rel: sp.Basic, *, probabilistic: bool = False) -> list[tuple[str, str, sp.Basic]]:
    """(kind, description, mutated relation) for one relation: constants scaled, terms dropped, delta
    doubled and halved (when `probabilistic`), the relation flipped; duplicates and no-ops removed.

    >>> import sympy as sp
    >>> k, n = sp.symbols("k n", positive=True, integer=True)
    >>> tau = sp.Symbol("tau", nonnegative=True)
    >>> [(kind, sp.sstr(m)) for kind, _d, m in relation_mutants(sp.Le(tau, 1 - k / n))]
    [('scale', 'tau <= -k/n + 9/10'), ('scale', 'tau <= -k/n + 11/10'), ('scale', 'tau <= -9*k/(10*n) + 1'),
     ('scale', 'tau <= -11*k/(10*n) + 1'), ('drop', 'tau <= -k/n'), ('drop', 'tau <= 1'),
     ('flip', 'tau >= -k/n + 1')]
    """
    out: list[tuple[str, str, sp.Basic]] = []
    nodes = list(_walk(rel))
    for path, node in nodes:
        if path and _is_constant(node):
            parent = _node(rel, path[:-1])
            for factor, label in SCALES:
                out.append(("scale", f"constant {sp.sstr(node)} x{label} in {sp.sstr(parent)}",
                            _replace(rel, path, node * factor)))
    for path, node in nodes:
        if isinstance(node, sp.Add):
            for i, term in enumerate(node.args):
                rest = sp.Add(*(a for j, a in enumerate(node.args) if j != i))
                out.append(("drop", f"drop term {sp.sstr(term)} of {sp.sstr(node)}",
                            _replace(rel, path, rest)))
    if probabilistic:
        for sym in PROBABILITY_SYMBOLS:
            if sym in rel.free_symbols:
                for new, label in ((2 * sym, f"2*{sym}"), (sym / 2, f"{sym}/2")):
                    out.append(("delta", f"{sym} -> {label}", rel.xreplace({sym: new})))
    if isinstance(rel, Relational) and rel.rel_op in FLIPS:
        func, label = FLIPS[rel.rel_op]
        out.append(("flip", label, func(rel.lhs, rel.rhs, evaluate=False)))
    seen, kept = {rel}, []
    for kind, desc, mut in out:
        if isinstance(rel, Relational) and not isinstance(mut, Relational):
            continue   # the change evaluated the relation to True/False: not a claim any more
        if mut not in seen:
            seen.add(mut)
            kept.append((kind, desc, mut))
    return kept


def is_probabilistic(result: Result) -> bool:
    """Does the result's formula or a hypothesis use delta or delta' (a with-probability claim)?

    >>> from natsparse.proofs import get
    >>> is_probabilistic(get("lem:count-upper")), is_probabilistic(get("lem:gap-bound"))
    (True, False)
    """
    syms: set = set()
    for rel in (*result.relations(), *result.hypotheses):
        syms |= rel.free_symbols
    return any(s in syms for s in PROBABILITY_SYMBOLS)


def mutants(result: Result) -> list[Mutant]:
    """Every mutant of every relation of `result` (empty when it has no formula).

    >>> from natsparse.proofs import get
    >>> [m.description for m in mutants(get("lem:max-weight"))][-3:]
    ['drop term 1 of -a_max*k + 1', 'drop term -a_max*k of -a_max*k + 1', 'flip >= to <=']
    """
    rels = result.relations()
    prob = is_probabilistic(result)
    out = []
    for index, rel in enumerate(rels):
        for kind, desc, mut in relation_mutants(rel, probabilistic=prob):
            new = list(rels)
            new[index] = mut
            formula = mut if len(rels) == 1 and not isinstance(result.formula, sp.Tuple | tuple | list) \
                else sp.Tuple(*new)
            out.append(Mutant(result.id, index, kind, desc, mut, rel, formula))
    return out


# --- is a mutant true? ------------------------------------------------------------------------

@dataclass(frozen=True)
class Truth:
    """SymPy's verdict on a mutant: "true" (implied by the original), "false" (a witness where the
    original holds and the mutant fails) or "undecided"; `why` says how, `witness` gives the values."""

    verdict: str
    why: str
    witness: dict[str, str] | None = None


def _slack(rel: Relational) -> sp.Expr | None:
    """rhs - lhs of an upper bound, lhs - rhs of a lower bound (>= 0 exactly when it holds)."""
    if rel.rel_op in ("<=", "<"):
        return rel.rhs - rel.lhs
    if rel.rel_op in (">=", ">"):
        return rel.lhs - rel.rhs
    return None


def _with_hypotheses(expr: sp.Expr, hypotheses: Iterable[sp.Basic]) -> sp.Expr:
    """`expr` with each inequality hypothesis `small < big` (or <=) whose one side is a symbol
    written in as a slack: big -> small + p, or small -> big - p, with p > 0 (>= 0 for <=; an integer
    >= 1 when both sides are integers). Every point of the hypotheses' domain is reached by some
    p, so a sign proved for every p holds on the domain (the replaced symbol's own assumptions are
    dropped, which only makes the claim to prove stronger)."""
    for i, h in enumerate(hypotheses):
        if not isinstance(h, Relational) or h.rel_op not in ("<", "<=", ">", ">="):
            continue
        small, big = (h.lhs, h.rhs) if h.rel_op in ("<", "<=") else (h.rhs, h.lhs)
        strict = h.rel_op in ("<", ">")
        integer = bool(small.is_integer and big.is_integer)
        p = sp.Symbol(f"_slack{i}", integer=integer or None, positive=strict or None,
                      nonnegative=True)
        if isinstance(big, sp.Symbol) and big in expr.free_symbols:
            expr = expr.xreplace({big: small + p})
        elif isinstance(small, sp.Symbol) and small in expr.free_symbols:
            expr = expr.xreplace({small: big - p})
    return expr


def _small(expr: sp.Expr) -> bool:
    return sp.count_ops(expr) <= 400


def _implied(original: Relational, mutant: Relational, hypotheses) -> str | None:
    """How SymPy proves that `mutant` follows from `original` (None when it does not)."""
    if original.rel_op == "==" and mutant.rel_op == "==":
        d0, d1 = original.lhs - original.rhs, mutant.lhs - mutant.rhs
        if not (_small(d0) and _small(d1)):
            return None
        if sp.simplify(d1 - d0) == 0:
            return "the same equation"
        ratio = sp.simplify(d1 / d0)
        if ratio.is_number and ratio != 0 and ratio.is_finite:
            return f"the same equation times {ratio}"
        return None
    s0, s1 = _slack(original), _slack(mutant)
    if s0 is None or s1 is None:
        return None
    strict = mutant.rel_op in ("<", ">") and original.rel_op not in ("<", ">")
    # first from the assumptions alone (a larger domain: sound), then with the hypotheses written in
    if any(proves_sign(_with_hypotheses(s1 - s0, hs), strict=strict) for hs in ((), hypotheses)):
        change = sp.sstr(sp.simplify(s1 - s0)) if _small(s1 - s0) else "(a long expression)"
        return f"implied: the slack changes by {change} {'>' if strict else '>='} 0"
    return None


# -- witnesses --

_INT_POS = (1, 2, 3, 4, 5, 9, 10, 11, 19, 20, 100)
_INT_NONNEG = (0, 1, 2, 3, 5, 9, 10, 11, 20)
_INT = (-3, -1, 0, 1, 2, 5, 10)
_POS = ("1/100", "1/10", "1/3", "1/2", "9/10", "1", "11/10", "2", "5", "10")
_NONNEG = ("0", "1/100", "1/10", "1/2", "9/10", "1", "2", "5", "10")
_REAL = ("-5", "-1", "-1/2", "0", "1/3", "1/2", "1", "2", "5")
GRID_VARS, SAMPLES, DPS, TOL = 3, 800, 40, sp.Rational(1, 10**25)


def _candidates(sym: sp.Symbol) -> list[sp.Rational]:
    """Exact values consistent with the symbol's assumptions."""
    if sym.is_integer:
        vals = _INT_POS if sym.is_positive else _INT_NONNEG if sym.is_nonnegative else _INT
    else:
        vals = _POS if sym.is_positive else _NONNEG if sym.is_nonnegative else _REAL
    return [sp.Rational(v) for v in vals]


def _atomize(rels: list[sp.Basic]) -> tuple[list[sp.Basic], dict[sp.Symbol, sp.Basic]]:
    """Indexed values, undefined functions and unevaluated sums as symbols (with the signs SymPy knows
    of them), so that the witness search sees plain variables; returns the relations and the names."""
    atoms: set = set()
    for r in rels:
        atoms |= r.atoms(sp.Indexed, AppliedUndef, sp.Sum, sp.Product, sp.Integral, sp.Derivative)
    # outermost first: an Indexed inside a Sum belongs to the sum
    names: dict[sp.Symbol, sp.Basic] = {}
    subs = {}
    for i, atom in enumerate(sorted(atoms, key=lambda a: (-sp.count_ops(a), sp.default_sort_key(a)))):
        if any(atom in big.atoms(type(atom)) and atom != big for big in subs):
            continue
        sym = sp.Symbol(f"_v{i}", integer=atom.is_integer or None, positive=atom.is_positive or None,
                        nonnegative=atom.is_nonnegative or None, real=True)
        subs[atom] = sym
        names[sym] = atom
    return [r.xreplace(subs) for r in rels], names


def _exact_holds(rel: sp.Basic, point: dict) -> bool | None:
    """Does `rel` hold at the exact `point`? The sides are exact SymPy numbers; their difference is
    evaluated by `evalf` to 60 digits (SymPy raises the working precision until the digits are
    right, cancellation included) and its sign is trusted only when it clears 1e-45; an exact zero
    is recognised structurally or by `simplify`. None when SymPy cannot tell; a side that is not a
    finite real number (log of a negative, a division by zero) makes the relation not hold."""
    lhs, rhs = rel.lhs.xreplace(point), rel.rhs.xreplace(point)
    d = lhs - rhs
    if any(x.has(sp.zoo, sp.nan, sp.oo, -sp.oo) for x in (lhs, rhs, d)):
        return False
    try:
        for side in (lhs, rhs):
            im = sp.im(sp.N(side, 30))
            if not im.is_Number or abs(im) > sp.Float("1e-25"):
                return False if im.is_Number else None
        if d.is_zero:
            zero, positive = True, False
        else:
            v = sp.re(sp.N(d, 60))
            if not v.is_Number:
                return None
            if abs(v) > sp.Float("1e-45"):
                zero, positive = False, bool(v > 0)
            elif _small(d) and sp.simplify(d) == 0:
                zero, positive = True, False
            else:
                return None
    except (TypeError, ValueError, ArithmeticError):
        return None
    if zero:
        return rel.rel_op in ("==", "<=", ">=")
    return {"==": False, "!=": True, ">": positive, ">=": positive, "<": not positive,
            "<=": not positive}.get(rel.rel_op)


def _num_holds(op: str, lhs, rhs) -> bool | None:
    """Does `lhs op rhs` hold numerically, with the tolerance in favour of holding? None if a side
    is not a finite real number."""
    import mpmath

    if isinstance(lhs, mpmath.mpc) or isinstance(rhs, mpmath.mpc):
        if abs(mpmath.im(lhs)) + abs(mpmath.im(rhs)) > TOL:
            return None
        lhs, rhs = mpmath.re(lhs), mpmath.re(rhs)
    try:
        lhs, rhs = mpmath.mpf(lhs), mpmath.mpf(rhs)
    except (TypeError, ValueError):
        return None
    if not (mpmath.isfinite(lhs) and mpmath.isfinite(rhs)):
        return None
    tol = mpmath.mpf(TOL) * (1 + abs(lhs) + abs(rhs))
    d = lhs - rhs
    return {"==": abs(d) <= tol, "!=": abs(d) > tol, "<=": d <= tol, "<": d < tol,
            ">=": d >= -tol, ">": d > -tol}[op]


def _modules():
    import mpmath

    return [{"erfcinv": lambda x: mpmath.erfinv(1 - x)}, "mpmath"]


def _linear_pivots(rel: Relational, variables) -> list[tuple[sp.Symbol, sp.Expr]]:
    """(x, the x that makes the relation an equality) for symbols in which lhs - rhs is linear: the
    lhs first when it is a symbol, then the rhs, then the others by name."""
    e = rel.lhs - rel.rhs
    order = [s for s in (rel.lhs, rel.rhs) if isinstance(s, sp.Symbol)]
    order += sorted((s for s in variables if s not in order), key=str)
    out = []
    for x in order:
        if x not in e.free_symbols:
            continue
        c1 = sp.diff(e, x)
        if c1 == 0 or x in c1.free_symbols:
            continue
        c0 = sp.sympify(e.xreplace({x: 0}))     # xreplace may hand back a plain int
        if c0.has(sp.zoo, sp.nan):
            continue
        out.append((x, sp.cancel(-c0 / c1) if _small(c0) else -c0 / c1))
        if len(out) == 3:
            break
    return out


def _eliminate_equalities(hyps: list[sp.Basic]) -> tuple[dict, list[sp.Basic]]:
    """Equality hypotheses solved for one of their symbols (x -> expression), the rest kept."""
    derived: dict = {}
    rest = []
    for h in hyps:
        h = h.xreplace(derived) if derived else h
        if isinstance(h, sp.Eq):
            for x in sorted(h.free_symbols, key=lambda s: (bool(s.is_integer), str(s))):
                try:
                    sols = sp.solve(h, x)
                except (NotImplementedError, ValueError, TypeError):
                    continue
                if len(sols) == 1:
                    derived = {k: v.xreplace({x: sols[0]}) for k, v in derived.items()}
                    derived[x] = sols[0]
                    break
            else:
                rest.append(h)
        else:
            rest.append(h)
    return derived, rest


def _admissible(sym: sp.Symbol, value: sp.Expr) -> bool:
    """Does an exact `value` satisfy the assumptions of `sym`?"""
    checks = [("is_integer", sym.is_integer), ("is_positive", sym.is_positive),
              ("is_nonnegative", sym.is_nonnegative), ("is_extended_real", sym.is_real)]
    return all(getattr(value, attr) is True for attr, need in checks if need)


def _num_admissible(sym: sp.Symbol, value) -> bool:
    import mpmath

    if isinstance(value, mpmath.mpc) or not mpmath.isfinite(value):
        return False
    if sym.is_integer and abs(value - mpmath.nint(value)) > TOL:
        return False
    if sym.is_positive and not value > 0:
        return False
    return not (sym.is_nonnegative and not value >= -TOL)


def _search(original: Relational, mutant: Relational, hyps: list[sp.Basic], *, seed: int,
            fixed: dict) -> dict[str, str] | None:
    """An exact point where the hypotheses and the original hold and the mutant fails, or None."""
    import mpmath

    rels, names = _atomize([original, mutant, *hyps])
    original, mutant, hyps = rels[0], rels[1], rels[2:]
    derived, hyps = _eliminate_equalities(hyps)
    original, mutant = original.xreplace(derived), mutant.xreplace(derived)
    free = set().union(*(r.free_symbols for r in (original, mutant, *hyps)),
                       *(v.free_symbols for v in derived.values()))
    rng = random.Random(seed)
    for pivot in [None, *_linear_pivots(original, free)]:
        base = sorted(free - ({pivot[0]} if pivot else set()), key=str)
        given = {pivot[0]: pivot[1]} if pivot else {}
        sides = [original.lhs, original.rhs, mutant.lhs, mutant.rhs]
        sides += [s for h in hyps for s in (h.lhs, h.rhs)]
        try:
            f_sides = sp.lambdify(base, [s.xreplace(given) for s in sides], modules=_modules())
            f_piv = sp.lambdify(base, pivot[1], modules=_modules()) if pivot else None
            f_der = sp.lambdify(base, [v.xreplace(given) for v in derived.values()], modules=_modules())
        except (SyntaxError, TypeError, NameError, KeyError):
            continue
        cands = [_candidates(s) for s in base]
        if len(base) <= GRID_VARS:
            points = itertools.product(*cands)
        else:
            points = (_biased(cands, rng) for _ in range(SAMPLES))
        confirmations = 0
        for values in points:
            with mpmath.workdps(DPS):
                args = [mpmath.mpf(v.p) / v.q for v in values]
                try:
                    if f_piv is not None and not _num_admissible(pivot[0], f_piv(*args)):
                        continue
                    if not all(_num_admissible(x, v) for x, v in zip(derived, f_der(*args), strict=True)):
                        continue
                    vals = f_sides(*args)
                except (ZeroDivisionError, ValueError, TypeError, OverflowError):
                    continue
                if not all(_num_holds(h.rel_op, vals[4 + 2 * i], vals[5 + 2 * i])
                           for i, h in enumerate(hyps)):
                    continue
                if not _num_holds(original.rel_op, vals[0], vals[1]):
                    continue
                if _num_holds(mutant.rel_op, vals[2], vals[3]) is True:
                    continue
            point = dict(zip(base, values, strict=True))
            if pivot:
                point[pivot[0]] = pivot[1].xreplace(point)
            for x, expr in derived.items():
                point[x] = expr.xreplace(point)
            if not all(_admissible(x, v) for x, v in point.items()):
                continue
            if (all(_exact_holds(h, point) is True for h in hyps) and _exact_holds(original, point) is True
                    and _exact_holds(mutant, point) is False):
                shown = {sp.sstr(names.get(x, x)): sp.sstr(v) for x, v in point.items()}
                return {**{sp.sstr(k): sp.sstr(v) for k, v in fixed.items()}, **dict(sorted(shown.items()))}
            confirmations += 1
            if confirmations >= 8:
                break
    return None


def _biased(cands: list[list[sp.Rational]], rng: random.Random) -> tuple:
    """A random point of the candidate grid; a third of the coordinates repeat an earlier value when
    it is admissible there (ties between quantities are where bounds are tight)."""
    out: list = []
    for c in cands:
        reuse = [v for v in out if v in c]
        out.append(rng.choice(reuse) if reuse and rng.random() < 1 / 3 else rng.choice(c))
    return tuple(out)


def _witness(original: Relational, mutant: Relational, hyps: list[sp.Basic], seed: int = 0):
    """`_search`, first instantiating the symbolic limits of sums (n = 1, 2, 3) so that they expand."""
    rels = [original, mutant, *hyps]
    limit_syms = sorted({s for r in rels for w in r.atoms(sp.Sum, sp.Product) for lim in w.limits
                         for b in lim[1:] for s in b.free_symbols}, key=str)
    if not limit_syms:
        return _search(original, mutant, hyps, seed=seed, fixed={})
    for values in itertools.product(*([1, 2, 3] for _ in limit_syms)):
        fixed = {s: sp.Integer(v) for s, v in zip(limit_syms, values, strict=True)}
        inst = [r.xreplace(fixed).doit() for r in rels]
        if not all(isinstance(r, Relational) for r in inst[:2]):
            continue
        found = _search(inst[0], inst[1], [h for h in inst[2:] if isinstance(h, Relational)],
                        seed=seed, fixed=fixed)
        if found:
            return found
    return None


def _relevant(hyps: list[sp.Basic], syms: set) -> list[sp.Basic]:
    """The hypotheses connected to `syms` through shared symbols (the others constrain nothing here)."""
    syms, out, rest = set(syms), [], list(hyps)
    grew = True
    while grew:
        grew = False
        for h in list(rest):
            if h.free_symbols & syms:
                out.append(h)
                rest.remove(h)
                syms |= h.free_symbols
                grew = True
    return [h for h in hyps if h in out]


def decide(original: sp.Basic, mutant: sp.Basic, hypotheses: Iterable[sp.Basic] = (), *,
           seed: int = 0) -> Truth:
    """Is `mutant` true given `original` (and the `hypotheses`)? See the module docstring.

    >>> import sympy as sp
    >>> tau, a = sp.Symbol("tau", nonnegative=True), sp.Symbol("a", positive=True)
    >>> k = sp.Symbol("k", integer=True, positive=True)
    >>> decide(sp.Ge(tau, 1 - k * a), sp.Ge(tau, 1 - sp.Rational(11, 10) * k * a)).verdict  # looser
    'true'
    >>> t = decide(sp.Ge(tau, 1 - k * a), sp.Le(tau, 1 - k * a)); t.verdict, sorted(t.witness)
    ('false', ['a', 'k', 'tau'])
    """
    hypotheses = list(hypotheses)
    if not (isinstance(original, Relational) and isinstance(mutant, Relational)):
        return Truth("undecided", "not a relation")
    if isinstance(original, sp.Eq) and original.lhs in CHOSEN:
        return Truth("undecided", f"{original.lhs} is a level the statement chooses: another choice is "
                                  "another statement, true or false with the other relations")
    if any(h is sp.false for h in hypotheses):
        return Truth("undecided", "a hypothesis is false under the symbols' assumptions")
    if original.has(sp.Limit, Plim) or mutant.has(sp.Limit, Plim):
        return Truth("undecided", "a limit as n -> oo (or in probability): the witness search evaluates at "
                                  "points, and SymPy cannot decide limits with symbolic exponents")
    hyps_here = _relevant([h for h in hypotheses if isinstance(h, Relational)],
                          original.free_symbols | mutant.free_symbols)
    try:
        how = _implied(original, mutant, hyps_here)
    except (TypeError, ValueError, NotImplementedError, BasePolynomialError) as exc:
        how, note = None, f" (proof attempt stopped: {type(exc).__name__})"
    else:
        note = ""
    if how:
        return Truth("true", how)
    try:
        witness = _witness(original, mutant, hyps_here, seed=seed)
    except (TypeError, ValueError, NotImplementedError, ZeroDivisionError) as exc:
        return Truth("undecided", f"no proof; the witness search stopped: {type(exc).__name__}: {exc}")
    if witness:
        return Truth("false", "not implied: the original holds and the mutant fails at the witness",
                     witness)
    return Truth("undecided", "SymPy found neither a proof that it is implied nor a witness" + note)


# --- running the evidence under a mutant --------------------------------------------------------

def _clear_caches() -> None:
    """Clear the functools caches of the loaded numeric and evidence modules (compiled bounds keyed on
    a result id, cached runs): after a substitution nothing computed from the other formula is reused."""
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(CACHE_PREFIXES) or name in CACHE_KEEP:
            continue
        for value in list(vars(module).values()):
            clear = getattr(value, "cache_clear", None)
            if callable(clear) and getattr(value, "__module__", None) == name:
                clear()


@contextlib.contextmanager
def substituted(result_id: str, formula: sp.Basic | None, *, forget: Iterable[str] = ()) -> Iterator[Result]:
    """Within the block, `registry[result_id]` is the result with `formula` (a `dataclasses.replace`),
    the in-process runs of its evidence (and of the results in `forget`) are forgotten, so that
    `natsparse.evidence.run(ev, refresh=True)` runs them again, and the compile caches are cleared.
    On exit, even on an error, the registry, the in-process runs of every result and the caches
    are as before (the caches empty).

    >>> import sympy as sp
    >>> from natsparse.proofs import get
    >>> original = get("lem:max-weight")
    >>> with substituted("lem:max-weight", sp.Le(sp.Symbol("tau"), 1)) as r:
    ...     get("lem:max-weight").formula
    tau <= 1
    >>> get("lem:max-weight") is original
    True
    """
    import natsparse.evidence as evidence

    evidence.load()
    original = get(result_id)
    mutated = dataclasses.replace(original, formula=formula)
    keys = [ev.key for rid in (result_id, *forget) for ev in evidence.all_evidence(rid)]
    try:
        with evidence.forgetting(keys):
            registry[result_id] = mutated
            _clear_caches()
            yield mutated
    finally:
        registry[result_id] = original
        _clear_caches()


def ladder() -> list[str]:
    """The status ladder, lowest first (from `natsparse.proofs.STATUSES`), `failed` below it."""
    from natsparse.proofs import STATUSES

    return ["failed", *(s for s in STATUSES if s != "failed")]


def rank(status: str) -> int:
    """Position of a status on the ladder (`failed` = 0); an unknown status ranks lowest too."""
    lad = ladder()
    return lad.index(status) if status in lad else 0


def _fastest_first(result_id: str) -> list:
    """The evidence of `result_id`, the quickest first (by its last run in this process)."""
    import natsparse.evidence as evidence

    return sorted(evidence.all_evidence(result_id),
                  key=lambda ev: getattr(evidence.last_run(ev), "seconds", 0.0))


def _status_now(result_id: str) -> tuple[str, str]:
    """The status of `result_id` from its evidence run now (inside `substituted`): the quickest piece
    first, stopping at the first failing one (a failing piece makes the status `failed`, whatever the
    rest says); else `natsparse.evidence.status`, which reuses these runs."""
    import natsparse.evidence as evidence

    for ev in _fastest_first(result_id):
        done = evidence.run(ev, refresh=True)
        if not done.outcome.passed:
            return "failed", f"{ev.level}/{ev.tool}: {done.outcome.detail}"
    return evidence.status(result_id, refresh=True), ""


def dependents(result_id: str) -> list[str]:
    """The results that use `result_id` directly and have evidence (their checks may read its formula)."""
    import natsparse.evidence as evidence

    return [rid for rid, r in registry.items() if result_id in r.uses and evidence.all_evidence(rid)]


def _caught_by(result_id: str, formula, deps: list[str], base: dict[str, str]) -> str | None:
    """The first result using `result_id` whose status drops when `result_id` has `formula`."""
    with substituted(result_id, formula, forget=deps):
        for d in deps:
            st, _detail = _status_now(d)
            if rank(st) < rank(base[d]):
                return d
    return None


def deterministic_ids() -> list[str]:
    """The ids the gate guards: the deterministic lemmas and theorems that have a formula.

    The definitions are not gated yet: their own evidence (evidence/definitions.py) compares the
    implementations with SymPy values of each definition written out there, not read from the
    registry, so it cannot kill a mutant of the registry's formula. `natsparse audit def:...` reports
    them, and `--dependents` shows most of their false mutants caught by the results that use them.
    """
    from natsparse.proofs.deterministic import DETERMINISTIC

    return [r.id for r in DETERMINISTIC if get(r.id).formula is not None]


def gated_ids() -> list[str]:
    """The ids the gate guards: `deterministic_ids()`, then the Gaussian results that the proof kernel
    proves (their false mutants are killed by the proof, which reads the registry formula).

    >>> [rid for rid in gated_ids() if rid not in deterministic_ids()][:3]
    ['lem:lognormal-tilt', 'lem:partition-lower', 'lem:count-upper']
    """
    from natsparse.proofs.gaussian import GAUSSIAN
    from natsparse.proofs.general import PROOFS

    return deterministic_ids() + [r.id for r in GAUSSIAN if r.id in PROOFS and get(r.id).formula is not None]


def formula_ids() -> list[str]:
    """Every result id with a formula, in registry order."""
    return [rid for rid, r in registry.items() if r.formula is not None]


def _audit_one(result_id: str, gated: bool, tick, with_dependents: bool, only_false: bool = False) -> dict:
    """The report of one result: its baseline status (evidence run fresh), then every mutant's truth,
    status and fate; with `with_dependents`, each survivor is also tried on the results that use it;
    with `only_false`, the evidence runs for the decided-false mutants only (the others: "not run")."""
    import natsparse.evidence as evidence

    t0 = time.perf_counter()
    result = get(result_id)
    base = evidence.status(result_id, refresh=True)
    deps = dependents(result_id) if with_dependents else []
    dep_base = {d: evidence.status(d, refresh=True) for d in deps}
    rows = []
    for m in mutants(result):
        t1 = time.perf_counter()
        truth = decide(m.original, m.relation, result.hypotheses)
        if only_false and truth.verdict != "false":
            rows.append({**m.as_dict(), "truth": truth.verdict, "why": truth.why, "witness": truth.witness,
                         "status": "not run", "killed": False, "detail": "",
                         "seconds": round(time.perf_counter() - t1, 3)})
            tick()
            continue
        with substituted(result_id, m.formula):
            st, detail = _status_now(result_id)
        killed = rank(st) < rank(base)
        row = {**m.as_dict(), "truth": truth.verdict, "why": truth.why, "witness": truth.witness,
               "status": st, "killed": killed, "detail": detail[:300]}
        if with_dependents and not killed and truth.verdict != "true":
            row["caught_by"] = _caught_by(result_id, m.formula, deps, dep_base)
        rows.append({**row, "seconds": round(time.perf_counter() - t1, 3)})
        tick()

    def pick(truth, killed):
        return [f"#{r['index']} {r['description']}: {r['relation']}"
                + (f" (caught by {r['caught_by']})" if r.get("caught_by") else "")
                for r in rows if r["truth"] == truth and r["killed"] == killed]

    false = [r for r in rows if r["truth"] == "false"]
    out = {"id": result_id, "gated": gated, "baseline": base, "probabilistic": is_probabilistic(result),
           "mutants": len(rows), "false": len(false), "killed": sum(r["killed"] for r in false),
           "survived": sum(not r["killed"] for r in false),
           "true": sum(r["truth"] == "true" for r in rows),
           "undecided": sum(r["truth"] == "undecided" for r in rows),
           "survivors": pick("false", False), "true_killed": pick("true", True),
           "undecided_killed": pick("undecided", True), "undecided_survived": pick("undecided", False)}
    if with_dependents:
        out["dependents"] = deps
        out["caught_by_dependents"] = sum(bool(r.get("caught_by")) for r in false)
    return {**out, "seconds": round(time.perf_counter() - t0, 2), "rows": rows}


def run_gate(ids: Iterable[str] | None = None, *, progress: bool = False,
             gated: Iterable[str] | None = None, with_dependents: bool = False,
             only_false: bool = False) -> dict:
    """Mutate every result of `ids` (default: every result with a formula), run its evidence fresh
    under each mutant and report, JSON-ready: per result the counts (mutants, false, killed,
    survived, true, undecided), the surviving false mutants, and every mutant's row; `gate.passed`
    is False when a false mutant of a `gated` result (default: `gated_ids()`) survived.

    `with_dependents`: a mutant that survives its own result's evidence is also put to the results
    that use it (`dependents`), and the first whose status drops is reported as `caught_by`
    (information only: the gate judges each result by its own status). `only_false`: only the
    decided-false mutants are run (what the gate judges), the others reported as "not run".
    """
    ids = formula_ids() if ids is None else [get(i).id for i in ids]
    gated = set(gated_ids() if gated is None else gated)
    for rid in ids:
        if get(rid).formula is None:
            raise ValueError(f"{rid} has no formula to mutate (only stated)")
    total = sum(len(mutants(get(rid))) for rid in ids)
    t0 = time.perf_counter()
    with _progress(progress, total) as tick:
        results = [_audit_one(rid, rid in gated, tick, with_dependents, only_false) for rid in ids]
    keys = ("mutants", "false", "killed", "survived", "true", "undecided")
    totals = {k: sum(r[k] for r in results) for k in keys}
    failing = [f"{r['id']} {s}" for r in results if r["gated"] for s in r["survivors"]]
    return {"ids": ids, "ladder": ladder(), "totals": totals, "results": results,
            "seconds": round(time.perf_counter() - t0, 1),
            "gate": {"gated": sorted(gated & set(ids)), "false_survivors": failing, "passed": not failing}}


@contextlib.contextmanager
def _progress(show: bool, total: int):
    """A `tick()` that advances a transient rich progress bar on stderr (a no-op when not `show`)."""
    if not show:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(transient=True, console=Console(stderr=True)) as bar:
        task = bar.add_task("mutants", total=total)
        yield lambda: bar.advance(task)


__all__ = ["Mutant", "Truth", "decide", "dependents", "deterministic_ids", "formula_ids", "gated_ids",
           "mutants", "relation_mutants", "run_gate", "substituted"]
