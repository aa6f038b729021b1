"""A check per deterministic result: the registry's formula against the exactly measured quantities.

Each `check_*` takes one input (a row of scores, and values or eps where the result needs
them) and measures, in mpmath at 50 digits, every quantity that the result's formula names
(tau, err, v_max, Delta, ...). It then reads the formula from the registry (at each call: a
Result swapped into `natsparse.proofs.registry.registry` is seen at once) and evaluates each
relation's two sides through `bounds.compile_expr`, cached on the expression: one
`CheckRecord` per relation (per norm or column where the relation has several readings), with
`measured` its left-hand side and `bound` its right-hand side. No check holds a copy of a bound.

Inequalities are also decided in arb balls (`CheckRecord.certified`): the same formula is
evaluated on balls of the measured quantities (built from the float64 inputs exactly), first
at 50 digits, then, for a comparison the balls cannot decide, again at the precision the
magnitudes call for (a tail mass of e^-10000 needs ~4400 digits), up to `MAX_CERT_DPS`. A
comparison still undecided there is an exact equality case (e.g. the second gap bound at
k = n - 1), which balls can never decide.

Tests run the checks under Hypothesis, the book shows them, the CLI prints them, and
`evidence.py` runs them on seeded panels to compute each result's status.
"""

from __future__ import annotations

from dataclasses import replace

import mpmath
import numpy as np
import sympy as sp
from flint import arb as Arb

from natsparse.proofs import get

from . import arb as ab
from . import mp
from .bounds import evaluate_expr, leaves
from .records import CheckRecord, decide, is_vacuous
from .validate import as_k, as_open_unit, as_scores, as_values, topk_indices

DPS = mp.DPS
MAX_CERT_DPS = 16000
_KINDS = ((sp.Eq, "eq"), (sp.Le, "le"), (sp.Lt, "lt"), (sp.Ge, "ge"), (sp.Gt, "gt"))
_OPS = {"eq": "=", "le": "<=", "lt": "<", "ge": ">=", "gt": ">"}


def formula_relations(result_id: str) -> list[tuple[int, str, sp.Basic]]:
    """(index, relation kind, relation) for each relation of the registry formula of
    `result_id`, read now. A formula item that is not a relation (e.g. a formula that SymPy
    has simplified to True) raises ValueError: there is nothing the check could compare.

    >>> formula_relations("lem:max-weight")
    [(0, 'ge', tau >= -a_max*k + 1)]
    """
    out = []
    for index, rel in enumerate(get(result_id).relations()):
        kind = next((name for cls, name in _KINDS if isinstance(rel, cls)), None)
        if kind is None:
            raise ValueError(f"{result_id}: formula item {index} is {sp.sstr(rel)}, not a relation "
                             f"(=, <=, <, >=, >) a check can evaluate")
        out.append((index, kind, rel))
    return out


def relation_text(kind: str, rel: sp.Basic) -> str:
    """`lhs op rhs` in SymPy's plain printing, e.g. 'tau <= eps*(-k + n)'."""
    return f"{sp.sstr(rel.lhs)} {_OPS[kind]} {sp.sstr(rel.rhs)}"


def _verdict(relation: str, measured: Arb, bound: Arb) -> bool | None:
    """arb's verdict on `measured (relation) bound`: True/False only when certain."""
    if relation == "le":
        return True if measured <= bound else (False if measured > bound else None)
    if relation == "lt":
        return True if measured < bound else (False if measured >= bound else None)
    if relation == "ge":
        return True if measured >= bound else (False if measured < bound else None)
    if relation == "gt":
        return True if measured > bound else (False if measured <= bound else None)
    return None


def _digits_needed(recs: list[CheckRecord]) -> int:
    """Working digits that resolve the smallest magnitude among `recs`, plus 150 guard digits
    (so that a tight case shows >= 100 agreeing digits)."""
    smallest = 0
    for r in recs:
        for x in (r.bound, r.measured):
            if x != 0:
                smallest = max(smallest, -int(mpmath.floor(mpmath.log10(abs(x)))))
    return DPS + smallest + 150


def _evaluate(result_id: str, params: dict, base: dict, parts=(), balls=None, *, scale=1,
              worst_of_parts: bool = False) -> list[CheckRecord]:
    """The records of `result_id`'s registry formula on one input.

    `base` maps the names of the formula's leaves (`bounds.leaves`: "tau", "a[l]", ...) to
    their 50-digit measured values; `parts` lists (label, values, scale) for quantities with
    several readings (a norm, a column, an index l). A relation whose leaves are all in `base`
    gives one record; any other gives one record per part that supplies the rest (labelled
    "[label]"); a value None means "undefined on this input" (the hypothesis fails) and gives
    no record; a leaf that nothing supplies raises ValueError. With `worst_of_parts`, only the
    part with the smallest margin is kept per relation. `balls(dps)` returns (base, parts) of
    arb balls in the same shape, for the certificates of the inequalities.
    """
    specs = []
    for index, kind, rel in formula_relations(result_id):
        need = {str(x) for side in (rel.lhs, rel.rhs) for x in leaves(side)}
        if need <= base.keys():
            targets = [(None, "", {}, scale)]
        else:
            targets = [(p, label, own, sc) for p, (label, own, sc) in enumerate(parts)
                       if need <= base.keys() | own.keys()]
            if not targets:
                known = set(base).union(*(own.keys() for _, own, _ in parts))
                raise ValueError(f"{result_id}: the check measures no {sorted(need - known)} "
                                 f"(relation {index}: {relation_text(kind, rel)})")
        for p, label, own, sc in targets:
            at = {name: {**base, **own}[name] for name in sorted(need)}
            if any(v is None for v in at.values()):
                continue
            specs.append((index, kind, rel, p, label, at, sc))
    recs = []
    with mpmath.workdps(DPS):
        for index, kind, rel, _p, label, at, sc in specs:
            measured, bound = evaluate_expr(rel.lhs, at), evaluate_expr(rel.rhs, at)
            margin, passed = decide(kind, measured, bound, dps=DPS, scale=sc)
            name = relation_text(kind, rel) + (f" [{label}]" if label else "")
            recs.append(CheckRecord(result_id, name, kind, params, bound, measured, margin, passed,
                                    relation_index=index, at=at,
                                    vacuous=is_vacuous(measured, bound, dps=DPS, scale=sc)))
    if worst_of_parts:
        groups: dict[int, list[int]] = {}
        for i, spec in enumerate(specs):
            if spec[3] is not None:
                groups.setdefault(spec[0], []).append(i)
        drop: set[int] = set()
        for members in groups.values():
            worst = min(members, key=lambda i: recs[i].margin)
            drop |= set(members) - {worst}
            recs[worst] = replace(recs[worst], name=f"{recs[worst].name[:-1]}; the worst of {len(members)}]")
        keep = [i for i in range(len(specs)) if i not in drop]
        recs, specs = [recs[i] for i in keep], [specs[i] for i in keep]
    if balls is None:
        return recs
    return _certify(recs, specs, balls)


def _certify(recs: list[CheckRecord], specs: list, balls) -> list[CheckRecord]:
    """arb's verdict on each inequality of `recs`, escalating the precision once for the
    comparisons that 50 digits cannot decide."""
    ineq = [i for i, r in enumerate(recs) if r.relation != "eq"]
    verdicts: dict[int, bool | None] = {i: None for i in ineq}
    agree: dict[int, float] = {}
    dps = DPS
    for attempt in range(2):
        with ab.precision(dps):
            base_b, parts_b = balls(dps)
            for i in ineq:
                if verdicts[i] is not None:
                    continue
                index, kind, rel, p, *_ = specs[i]
                at_b = {**base_b, **({} if p is None else parts_b[p])}
                mb, bb = evaluate_expr(rel.lhs, at_b, "arb"), evaluate_expr(rel.rhs, at_b, "arb")
                verdicts[i] = _verdict(kind, mb, bb)
                if verdicts[i] is None:
                    agree[i] = _agreeing_digits(mb, bb)
        pending = [recs[i] for i in ineq if verdicts[i] is None]
        if not pending or attempt == 1:
            break
        dps = min(MAX_CERT_DPS, max(4 * DPS, _digits_needed(pending)))
    return [CheckRecord(**{**r.__dict__, "certified": verdicts.get(i),
                           "extra": {"agreeing_digits": agree[i]} if verdicts.get(i, 0) is None
                           and i in agree else {}})
            for i, r in enumerate(recs)]


def _agreeing_digits(x: Arb, y: Arb) -> float:
    """Digits to which the overlapping balls x and y agree: relative to their size, or absolute
    when both are within their width of 0 (an equality at zero, e.g. err = 0 = 2 tau max|v|)."""
    width = (x - y).abs_upper()
    if width == 0:
        return float("inf")
    scale = max(abs(x).mid(), abs(y).mid())
    ref = scale if scale > width else Arb(1)
    return float(-(width / ref).log() / Arb(10).log())


def _params(s: np.ndarray, **kw) -> dict:
    return {"n": len(s), **kw}


def _sorted_order(s: np.ndarray) -> list[int]:
    return sorted(range(len(s)), key=lambda j: (-s[j], j))


def _norm2(xs):
    return mpmath.sqrt(mpmath.fsum(x * x for x in xs))


def _ball_norm2(xs) -> Arb:
    return ab.ARB.dot(xs, xs).nonnegative_part().sqrt()


def _ball_max(xs) -> Arb:
    out = xs[0]
    for x in xs[1:]:
        out = out.max(x)
    return out


def _pm_values(kept, n: int) -> np.ndarray:
    """The worst-case values of lem:worst-case-error: v = -1 on the kept set, +1 elsewhere."""
    keep = set(kept)
    return np.array([[-1.0] if j in keep else [1.0] for j in range(n)])


def _mp_values(V: np.ndarray) -> list[list]:
    return [[mpmath.mpf(float(x)) for x in row] for row in V]


def _ball_values(V: np.ndarray) -> list[list]:
    return [[ab.exact(x) for x in row] for row in V]


def check_tail_identity(scores, *, k: int) -> list[CheckRecord]:
    """lem:tail-identity: ||a_hat - a||_1 = 2 tau, TV = tau, KL = -log(1-tau), TV = 1 - e^-KL.

    >>> [(r.name, r.passed) for r in check_tail_identity([1.0, 0.0, -1.0], k=1)][:2]
    [('L1 = 2*tau', True), ('TV = tau', True)]
    """
    s = as_scores(scores)
    kk = as_k(k, len(s))
    r = mp.topk_attention(s, k=kk)
    with mpmath.workdps(DPS):
        l1 = mpmath.fsum(abs(h - a) for h, a in zip(r.weights_hat, r.weights, strict=True))
        kl = mpmath.fsum(r.weights_hat[j] * (r.lse - r.lse_kept) for j in r.kept)
        base = {"tau": r.tau, "L1": l1, "TV": l1 / 2, "KL": kl}
    return _evaluate("lem:tail-identity", _params(s, k=kk), base)


def check_output_factorization(scores, values, *, k: int) -> list[CheckRecord]:
    """lem:output-factorization: o - o_hat = tau (mu_T - mu_H), coordinate-wise, where tau > 0
    (at tau = 0, i.e. k = n, mu_T is undefined and there is no record).

    >>> [(r.name, r.passed) for r in check_output_factorization([1.0, 0.0, -1.0], [[1.0], [2.0], [3.0]], k=1)]
    [('o - o_hat = tau*(-mu_H + mu_T) [col 0]', True)]
    """
    s = as_scores(scores)
    kk = as_k(k, len(s))
    V = as_values(values, len(s))
    r = mp.topk_attention(s, V, k=kk)
    keep = set(r.kept)
    scale = 1 + float(np.max(np.abs(V)))
    parts = []
    with mpmath.workdps(DPS):
        for c in range(V.shape[1]):
            tail_sum = mpmath.fsum(r.weights[j] * mpmath.mpf(float(V[j, c]))
                                   for j in range(len(s)) if j not in keep)
            parts.append((f"col {c}", {"o": r.output[c], "o_hat": r.output_hat[c], "mu_H": r.output_hat[c],
                                       "mu_T": tail_sum / r.tau if r.tau > 0 else None}, scale))
    return _evaluate("lem:output-factorization", _params(s, k=kk, dv=V.shape[1]), {"tau": r.tau}, parts)


def _norms(balls: bool):
    """(2-norm, max-norm, maximum) for lists of mpmath numbers, or of balls (rigorous maxima)."""
    if balls:
        return (("2-norm", _ball_norm2), ("max-norm", lambda xs: _ball_max([abs(x) for x in xs]))), _ball_max
    return (("2-norm", _norm2), ("max-norm", lambda xs: max(abs(x) for x in xs))), max


def _spread(rows, tail, head, label, norm, biggest, V=None):
    """max_{j in tail, i in head} norm(v_j - v_i) (the tail is not empty). In the max-norm it is
    max over columns of (max_tail - min_head, max_head - min_tail): O(n dv), not O(n^2 dv). In the
    2-norm only the pairs that `_candidate_pairs` keeps (from the float64 values V) are evaluated."""
    if label == "max-norm":
        out = []
        for c in range(len(rows[0])):
            t, h = [rows[j][c] for j in tail], [rows[i][c] for i in head]
            out += [biggest(t) - _least(h, biggest), biggest(h) - _least(t, biggest)]
        return biggest(out)
    pairs = _candidate_pairs(V, tail, head) if V is not None else [(j, i) for j in tail for i in head]
    return biggest([norm([x - y for x, y in zip(rows[j], rows[i], strict=True)]) for j, i in pairs])


#: relative tolerance of the float64 prefilter: far above its rounding ((dv + 3) 2^-53 for the squared
#: distance of a pair), so the pair that attains the maximum is always kept
_PREFILTER = 1e-9


def _candidate_pairs(V: np.ndarray, tail, head) -> list[tuple[int, int]]:
    """The pairs (j in tail, i in head) whose squared 2-norm distance, computed in float64 on V
    scaled by a power of two (exact), is within a relative 1e-9 of the largest. The exact maximum
    is among them: a pair's float value is within (dv + 3) 2^-53 of its true value (relative), so
    the true maximiser's float value is >= (1 - 1e-9) times the float maximum. Where rounding
    could be absolute rather than relative (underflow: a float maximum below 1e-200) or overflow
    is possible, every pair is kept.

    >>> _candidate_pairs(np.array([[0.0], [1.0], [-3.0]]), [1, 2], [0])
    [(2, 0)]
    """
    T, H = np.asarray(tail), np.asarray(head)
    big = float(np.max(np.abs(V)))
    if big == 0 or V.shape[1] > 10**6:
        return [(int(j), int(i)) for j in T for i in H]
    W = np.ldexp(V, -int(np.frexp(big)[1]))                      # |W| < 1, exactly V / 2^e
    d2 = ((W[T][:, None, :] - W[H][None, :, :]) ** 2).sum(axis=2)
    top = float(d2.max())
    if not np.isfinite(top) or top < 1e-200:
        return [(int(j), int(i)) for j in T for i in H]
    jj, ii = np.nonzero(d2 >= top * (1 - _PREFILTER))
    return [(int(T[a]), int(H[b])) for a, b in zip(jj, ii, strict=True)]


def _least(xs, biggest):
    return -biggest([-x for x in xs])


def check_output_error(scores, values, *, k: int) -> list[CheckRecord]:
    """thm:output-error in the 2-norm and the max-norm: each relation of the formula (err <=
    tau D_SH, tau D_SH <= 2 tau v_max) with err = ||o - o_hat||, D_SH = max_{i in S, j not in S}
    ||v_j - v_i|| and v_max = max_j ||v_j|| in that norm.

    >>> recs = check_output_error([1.0, 0.0, -1.0], [[1.0], [2.0], [3.0]], k=1)
    >>> [(r.name, r.passed, r.certified) for r in recs]   # doctest: +NORMALIZE_WHITESPACE
    [('err <= D_SH*tau [2-norm]', True, True), ('err <= D_SH*tau [max-norm]', True, True),
     ('D_SH*tau <= 2*tau*v_max [2-norm]', True, True), ('D_SH*tau <= 2*tau*v_max [max-norm]', True, True)]
    """
    s = as_scores(scores)
    n = len(s)
    kk = as_k(k, n)
    V = as_values(values, n)
    r = mp.topk_attention(s, V, k=kk)
    T = [j for j in range(n) if j not in set(r.kept)]

    def measure(row, rows, balls: bool):
        diff = [x - y for x, y in zip(row.output, row.output_hat, strict=True)]
        norms, biggest = _norms(balls)
        zero = Arb(0) if balls else mpmath.mpf(0)
        return {"tau": row.tau}, [
            {"err": norm(diff), "D_SH": _spread(rows, T, row.kept, label, norm, biggest, V) if T else zero,
             "v_max": biggest([norm(v) for v in rows])} for label, norm in norms]

    with mpmath.workdps(DPS):
        base, parts = measure(r, _mp_values(V), False)

    def balls(dps):
        return measure(ab.topk_attention(s, V, k=kk, dps=dps), _ball_values(V), True)

    labels = [label for label, _ in _norms(False)[0]]
    return _evaluate("thm:output-error", _params(s, k=kk, dv=V.shape[1]), base,
                     [(label, part, 1) for label, part in zip(labels, parts, strict=True)], balls)


def check_worst_case_error(scores, *, k: int) -> list[CheckRecord]:
    """lem:worst-case-error: v = +1 on the tail and -1 on the head gives ||o - o_hat|| = 2 tau.

    >>> [(r.name, r.passed) for r in check_worst_case_error([1.0, 0.0, -1.0], k=1)]
    [('sup_err = 2*tau', True)]
    """
    s = as_scores(scores)
    kk = as_k(k, len(s))
    if kk >= len(s):
        raise ValueError(f"k must be < n={len(s)} for lem:worst-case-error, got {kk}")
    r = mp.topk_attention(s, _pm_values(topk_indices(s, kk), len(s)), k=kk)
    with mpmath.workdps(DPS):
        base = {"tau": r.tau, "sup_err": abs(r.output[0] - r.output_hat[0])}
    return _evaluate("lem:worst-case-error", _params(s, k=kk), base)


def check_eps_k_tail(scores, *, eps: float, k: int | None = None, values=None) -> list[CheckRecord]:
    """lem:eps-k-tail: if a is (eps,k)-sparse then tau_k <= (n-k) eps and
    ||o - o_hat||_inf <= 2 (n-k) eps max|V|.

    k defaults to the number of weights above eps (the smallest k that makes a sparse, at
    least 1); a k below that number violates the hypothesis and raises ValueError. Without
    `values`, the error is measured at the worst-case values v = -1 on the kept set and +1
    elsewhere (lem:worst-case-error: err = 2 tau, max|V| = 1, so both relations are as tight as
    the first).

    >>> r1, r2 = check_eps_k_tail([2.0, 0.0, -1.0], eps=0.2)     # one weight above 0.2: k = 1
    >>> r1.params["k"], mpmath.nstr(r1.bound, 6), r1.passed, r1.certified, r2.name
    (1, '0.4', True, True, 'err <= eps*v_max*(-2*k + 2*n) [v = +-1]')
    """
    s = as_scores(scores)
    n = len(s)
    e = as_open_unit(eps, "eps")
    with mpmath.workdps(DPS):
        # the weights e^(s_j - max) / Z of the row itself: exact on a dyadic row (all-equal n = 2^p)
        above = sum(1 for x in mp.topk_attention(s, k=1).weights if x > mpmath.mpf(e))
    kk = max(above, 1) if k is None else as_k(k, n)
    if kk < above:
        raise ValueError(f"a is not (eps,k)-sparse: {above} weights exceed eps={e} but k={kk}")
    V = _pm_values(topk_indices(s, kk), n) if values is None else as_values(values, n)
    label = "v = +-1" if values is None else "max-norm"
    vmax = float(np.max(np.abs(V)))
    r = mp.topk_attention(s, V, k=kk)
    with mpmath.workdps(DPS):
        base = {"tau": r.tau, "n": n, "k": kk, "eps": mpmath.mpf(e)}
        err = max(abs(x - y) for x, y in zip(r.output, r.output_hat, strict=True))
        part = {"err": err, "v_max": mpmath.mpf(vmax)}

    def balls(dps):
        b = ab.topk_attention(s, V, k=kk, dps=dps)
        return ({"tau": b.tau, "n": n, "k": kk, "eps": ab.exact(e)},
                [{"err": _ball_max([abs(x - y) for x, y in zip(b.output, b.output_hat, strict=True)]),
                  "v_max": ab.exact(vmax)}])

    return _evaluate("lem:eps-k-tail", _params(s, k=kk, eps=e), base, [(label, part, 1)], balls)


def check_gap_bound(scores, *, k: int) -> list[CheckRecord]:
    """lem:gap-bound: both forms, for k < n.

    >>> r1, r2 = check_gap_bound([1.0, 0.0, -1.0], k=1)
    >>> mpmath.nstr(r1.measured, 6), mpmath.nstr(r1.bound, 6), r1.certified, r2.certified
    ('0.334759', '0.423883', True, True)
    """
    s = as_scores(scores)
    n = len(s)
    kk = as_k(k, n)
    if kk >= n:
        raise ValueError(f"k must be < n={n} for lem:gap-bound, got {kk}")
    order = _sorted_order(s)
    sk, sk1 = s[order[kk - 1]], s[order[kk]]
    r = mp.topk_attention(s, k=kk)
    with mpmath.workdps(DPS):
        base = {"tau": r.tau, "k": kk, "n": n, "Delta": mpmath.mpf(float(sk)) - mpmath.mpf(float(sk1)),
                "s_k1": mpmath.mpf(float(sk1)), "LSE": r.lse}

    def balls(dps):
        b = ab.topk_attention(s, k=kk, dps=dps)
        return ({"tau": b.tau, "k": kk, "n": n, "Delta": ab.exact(sk) - ab.exact(sk1),
                 "s_k1": ab.exact(sk1), "LSE": b.lse}, [])

    return _evaluate("lem:gap-bound", _params(s, k=kk, Delta=float(sk - sk1)), base, (), balls)


def _as_index_set(other, n: int, k: int) -> list[int]:
    """`other` as k distinct integer indices in [0, n) (sorted); anything else raises."""
    out = []
    for j in other:
        if isinstance(j, bool) or not isinstance(j, int | np.integer):
            raise TypeError(f"other must hold integer indices, got {j!r}")
        out.append(int(j))
    if len(set(out)) != k or not all(0 <= j < n for j in out):
        raise ValueError(f"other must be {k} distinct indices in [0, {n}), got {sorted(out)}")
    return sorted(out)


def check_topk_optimal(scores, *, k: int, other: list[int] | None = None,
                       seed: int = 0) -> list[CheckRecord]:
    """lem:topk-optimal: tau_k <= the mass discarded by another k-set (random if not given).

    >>> [(r.passed, r.certified) for r in check_topk_optimal([1.0, 0.0, -1.0], k=1, other=[2])]
    [(True, True)]
    """
    s = as_scores(scores)
    n = len(s)
    kk = as_k(k, n)
    if other is None:
        other = np.random.default_rng(seed).choice(n, size=kk, replace=False).tolist()
    other = _as_index_set(other, n, kk)
    drop = [j for j in range(n) if j not in set(other)]
    r = mp.topk_attention(s, k=kk)
    with mpmath.workdps(DPS):
        base = {"tau": r.tau, "tau_S": mpmath.fsum(r.weights[j] for j in drop)}

    def balls(dps):
        b = ab.topk_attention(s, k=kk, dps=dps)
        return {"tau": b.tau, "tau_S": ab.ARB.fsum(b.weights[j] for j in drop)}, []

    return _evaluate("lem:topk-optimal", _params(s, k=kk, other=other), base, (), balls)


def check_tail_monotone(scores, *, k: int) -> list[CheckRecord]:
    """lem:tail-monotone: tau_{k+1} <= tau_k (for k < n) and tau_k <= 1 - k/n.

    >>> [(r.name, r.certified) for r in check_tail_monotone([1.0, 0.0, -1.0], k=1)]
    [('tau_{k+1} <= tau', True), ('tau <= -k/n + 1', True)]
    """
    s = as_scores(scores)
    n = len(s)
    kk = as_k(k, n)
    r = mp.topk_attention(s, k=kk)
    with mpmath.workdps(DPS):
        base = {"tau": r.tau, "tau_{k+1}": mp.tail_mass(s, k=kk + 1) if kk < n else None, "k": kk, "n": n}

    def balls(dps):
        return ({"tau": ab.tail_mass(s, k=kk, dps=dps), "k": kk, "n": n,
                 "tau_{k+1}": ab.tail_mass(s, k=kk + 1, dps=dps) if kk < n else None}, [])

    return _evaluate("lem:tail-monotone", _params(s, k=kk), base, (), balls)


def check_max_weight(scores, *, k: int) -> list[CheckRecord]:
    """lem:max-weight: tau_k >= 1 - k max_j a_j.

    >>> [(r.passed, r.certified) for r in check_max_weight([1.0, 0.0, -1.0], k=2)]
    [(True, True)]
    """
    s = as_scores(scores)
    kk = as_k(k, len(s))
    r = mp.topk_attention(s, k=kk)
    base = {"tau": r.tau, "k": kk, "a_max": max(r.weights)}

    def balls(dps):
        b = ab.topk_attention(s, k=kk, dps=dps)
        return {"tau": b.tau, "k": kk, "a_max": _ball_max(b.weights)}, []

    return _evaluate("lem:max-weight", _params(s, k=kk), base, (), balls)


def check_loss_gradient(scores, *, k: int) -> list[CheckRecord]:
    """lem:loss-gradient: d tau_k/d s_l (mpmath numerical derivative at 50 digits) against the
    formula's a_l (1 - 1_S(l) - tau_k), for every l (the record shows the worst l), and
    L_k <= 1 - k/n for this row (L_k = tau_k).

    Needs s_(k) > s_(k+1) (S locally constant); a tie at the boundary raises ValueError.

    >>> [(r.name, r.passed) for r in check_loss_gradient([1.0, 0.0, -1.0], k=1)][1]
    ('L_k <= -k/n + 1', True)
    """
    s = as_scores(scores)
    n = len(s)
    kk = as_k(k, n)
    order = _sorted_order(s)
    if kk < n and s[order[kk - 1]] == s[order[kk]]:
        raise ValueError("scores have a tie at the top-k boundary: S is not locally constant")
    keep = set(topk_indices(s, kk))
    r = mp.topk_attention(s, k=kk)
    parts = []
    with mpmath.workdps(DPS):
        xs = [mpmath.mpf(float(x)) for x in s]

        def tau_at(l_index, h):
            ys = list(xs)
            ys[l_index] += h
            m = max(ys)
            z = mpmath.fsum(mpmath.exp(y - m) for y in ys)
            return mpmath.fsum(mpmath.exp(ys[j] - m) for j in range(n) if j not in keep) / z

        for l_index in range(n):
            num = mpmath.diff(lambda h, li=l_index: tau_at(li, h), 0)
            # mpmath.diff's finite differences keep ~dps-10 digits: hence the 1e10 scale.
            parts.append((f"l = {l_index}", {"dtau_ds(l)": num, "a[l]": r.weights[l_index],
                                             "1_S(l)": 1 if l_index in keep else 0}, 10 ** 10))
    base = {"tau": r.tau, "L_k": r.tau, "k": kk, "n": n}
    return _evaluate("lem:loss-gradient", _params(s, k=kk), base, parts, worst_of_parts=True)


def check_threshold_error(scores, values, *, eps: float) -> list[CheckRecord]:
    """thm:threshold-error: tau_thr <= (#dropped) eps < n eps, and ||o-o_hat|| <= 2 tau_thr max_j ||v_j||
    in the max-norm and the 2-norm.

    >>> recs = check_threshold_error([1.0, 0.0, -1.0], [[1.0], [2.0], [3.0]], eps=0.2)
    >>> [(r.passed, r.certified) for r in recs]
    [(True, True), (True, True), (True, True), (True, True)]
    """
    s = as_scores(scores)
    n = len(s)
    e = as_open_unit(eps, "eps")
    V = as_values(values, n)
    r = mp.threshold_attention(s, V, eps=e)
    dropped = n - len(r.kept)

    def measure(row, rows, balls: bool):
        diff = [x - y for x, y in zip(row.output, row.output_hat, strict=True)]
        norms, biggest = _norms(balls)
        base = {"tau_thr": row.tau, "m": n - len(row.kept), "n": n,
                "eps": ab.exact(e) if balls else mpmath.mpf(e)}
        return base, [{"err": norm(diff), "v_max": biggest([norm(v) for v in rows])} for _, norm in norms]

    with mpmath.workdps(DPS):
        base, parts = measure(r, _mp_values(V), False)

    def balls(dps):
        return measure(ab.threshold_attention(s, V, eps=e, dps=dps), _ball_values(V), True)

    labels = [label for label, _ in _norms(False)[0]]
    return _evaluate("thm:threshold-error", _params(s, eps=e, dropped=dropped), base,
                     [(label, part, 1) for label, part in zip(labels, parts, strict=True)], balls)


CHECKS = {
    "lem:tail-identity": check_tail_identity,
    "lem:output-factorization": check_output_factorization,
    "thm:output-error": check_output_error,
    "lem:worst-case-error": check_worst_case_error,
    "lem:eps-k-tail": check_eps_k_tail,
    "lem:gap-bound": check_gap_bound,
    "lem:topk-optimal": check_topk_optimal,
    "lem:tail-monotone": check_tail_monotone,
    "lem:max-weight": check_max_weight,
    "lem:loss-gradient": check_loss_gradient,
    "thm:threshold-error": check_threshold_error,
}
