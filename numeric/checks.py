"""A check per deterministic result: the bound against the exactly measured quantity.

Each `check_*` takes one input (a row of scores, and values or eps where the result needs
them), evaluates the measured side and the bound side in mpmath (50 digits) and returns one
`CheckRecord` per relation of the result. Inequalities are also decided in arb balls
(`CheckRecord.certified`): first at 50 digits, then, for a comparison the balls cannot
decide, again at the precision the magnitudes call for (a tail mass of e^-10000 needs
~4400 digits), up to `MAX_CERT_DPS`. A comparison still undecided there is an exact
equality case (e.g. the second gap bound at k = n - 1), which balls can never decide.

Tests run the checks under Hypothesis, the book shows them, the CLI prints them, and
`evidence.py` runs them on seeded panels to compute each result's status.
"""

from __future__ import annotations

import mpmath
import numpy as np
from flint import arb as Arb

from . import arb as ab
from . import mp
from .records import CheckRecord, decide
from .validate import as_k, as_open_unit, as_scores, as_values, topk_indices

DPS = mp.DPS
MAX_CERT_DPS = 16000


def _verdict(relation: str, measured: Arb, bound: Arb) -> bool | None:
    """arb's verdict on `measured (relation) bound`: True/False only when certain."""
    if relation == "le":
        return True if measured <= bound else (False if measured > bound else None)
    if relation == "lt":
        return True if measured < bound else (False if measured >= bound else None)
    if relation == "ge":
        return True if measured >= bound else (False if measured < bound else None)
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


def _finish(result_id: str, params: dict, specs: list[tuple], balls=None) -> list[CheckRecord]:
    """Records from (name, relation, measured, bound[, scale]) specs; `balls(dps)` returns the
    (measured_ball, bound_ball) pairs of the non-"eq" specs, in order, for the certificates."""
    recs = []
    for name, relation, measured, bound, *rest in specs:
        margin, passed = decide(relation, measured, bound, dps=DPS, scale=rest[0] if rest else 1)
        recs.append(CheckRecord(result_id, name, relation, params, bound, measured, margin, passed))
    if balls is None:
        return recs
    ineq = [i for i, r in enumerate(recs) if r.relation != "eq"]
    verdicts: dict[int, bool | None] = {i: None for i in ineq}
    agree: dict[int, float] = {}
    dps = DPS
    for attempt in range(2):
        with ab.precision(dps):
            for i, (mb, bb) in zip(ineq, balls(dps), strict=True):
                if verdicts[i] is None:
                    verdicts[i] = _verdict(recs[i].relation, mb, bb)
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


def check_tail_identity(scores, *, k: int) -> list[CheckRecord]:
    """lem:tail-identity: ||a_hat - a||_1 = 2 tau, TV = tau, KL = -log(1-tau), TV = 1 - e^-KL.

    >>> [(r.name, r.passed) for r in check_tail_identity([1.0, 0.0, -1.0], k=1)][:2]
    [('||a_hat-a||_1 = 2 tau', True), ('TV = tau', True)]
    """
    s = as_scores(scores)
    kk = as_k(k, len(s))
    r = mp.topk_attention(s, k=kk)
    with mpmath.workdps(DPS):
        l1 = mpmath.fsum(abs(h - a) for h, a in zip(r.weights_hat, r.weights, strict=True))
        kl = mpmath.fsum(r.weights_hat[j] * (r.lse - r.lse_kept) for j in r.kept)
        return _finish("lem:tail-identity", _params(s, k=kk), [
            ("||a_hat-a||_1 = 2 tau", "eq", l1, 2 * r.tau),
            ("TV = tau", "eq", l1 / 2, r.tau),
            ("KL = -log(1-tau)", "eq", kl, -mpmath.log1p(-r.tau)),
            ("TV = 1 - exp(-KL)", "eq", l1 / 2, -mpmath.expm1(-kl)),
        ])


def check_output_factorization(scores, values, *, k: int) -> list[CheckRecord]:
    """lem:output-factorization: o - o_hat = tau (mu_T - mu_H), coordinate-wise.

    >>> [(r.name, r.passed) for r in check_output_factorization([1.0, 0.0, -1.0], [[1.0], [2.0], [3.0]], k=1)]
    [('o-o_hat = tau(mu_T-mu_H) [col 0]', True)]
    """
    s = as_scores(scores)
    kk = as_k(k, len(s))
    V = as_values(values, len(s))
    r = mp.topk_attention(s, V, k=kk)
    keep = set(r.kept)
    specs = []
    with mpmath.workdps(DPS):
        for c in range(V.shape[1]):
            tail_sum = mpmath.fsum(r.weights[j] * mpmath.mpf(float(V[j, c]))
                                   for j in range(len(s)) if j not in keep)
            rhs = tail_sum - r.tau * r.output_hat[c]          # = tau (mu_T - mu_H)
            specs.append((f"o-o_hat = tau(mu_T-mu_H) [col {c}]", "eq",
                          r.output[c] - r.output_hat[c], rhs, 1 + float(np.max(np.abs(V)))))
        return _finish("lem:output-factorization", _params(s, k=kk, dv=V.shape[1]), specs)


def check_output_error(scores, values, *, k: int) -> list[CheckRecord]:
    """thm:output-error in the 2-norm and the max-norm, both forms of the bound.

    >>> [(r.passed, r.certified) for r in check_output_error([1.0, 0.0, -1.0], [[1.0], [2.0], [3.0]], k=1)]
    [(True, True), (True, True), (True, True)]
    """
    s = as_scores(scores)
    n = len(s)
    kk = as_k(k, n)
    V = as_values(values, n)
    r = mp.topk_attention(s, V, k=kk)
    T = [j for j in range(n) if j not in set(r.kept)]
    vmax_inf = float(np.max(np.abs(V)))
    with mpmath.workdps(DPS):
        diff = [x - y for x, y in zip(r.output, r.output_hat, strict=True)]
        rows = [[mpmath.mpf(float(x)) for x in V[j]] for j in range(n)]
        err2 = _norm2(diff)
        spread = max((_norm2([x - y for x, y in zip(rows[j], rows[i], strict=True)])
                      for j in T for i in r.kept), default=mpmath.mpf(0))
        specs = [
            ("||o-o_hat||_2 <= tau max||v_j-v_i||_2", "le", err2, r.tau * spread),
            ("||o-o_hat||_2 <= 2 tau max||v||_2", "le", err2,
             2 * r.tau * max(_norm2(row) for row in rows)),
            ("||o-o_hat||_inf <= 2 tau max|V|", "le", max(abs(x) for x in diff),
             2 * r.tau * mpmath.mpf(vmax_inf)),
        ]

    def balls(dps):
        b = ab.topk_attention(s, V, k=kk, dps=dps)
        d = [x - y for x, y in zip(b.output, b.output_hat, strict=True)]
        e2 = _ball_norm2(d)
        vrows = [[ab.exact(x) for x in V[j]] for j in range(n)]
        spread_b = _ball_max([_ball_norm2([x - y for x, y in zip(vrows[j], vrows[i], strict=True)])
                              for j in T for i in b.kept]) if T else Arb(0)
        return [(e2, b.tau * spread_b),
                (e2, 2 * b.tau * _ball_max([_ball_norm2(row) for row in vrows])),
                (_ball_max([abs(x) for x in d]), 2 * b.tau * ab.exact(vmax_inf))]

    return _finish("thm:output-error", _params(s, k=kk, dv=V.shape[1]), specs, balls)


def check_worst_case_error(scores, *, k: int) -> list[CheckRecord]:
    """lem:worst-case-error: v = +1 on the tail and -1 on the head gives ||o - o_hat|| = 2 tau.

    >>> [(r.name, r.passed) for r in check_worst_case_error([1.0, 0.0, -1.0], k=1)]
    [('||o-o_hat|| = 2 tau at v = +-u', True)]
    """
    s = as_scores(scores)
    kk = as_k(k, len(s))
    if kk >= len(s):
        raise ValueError(f"k must be < n={len(s)} for lem:worst-case-error, got {kk}")
    keep = set(topk_indices(s, kk))
    V = np.array([[-1.0] if j in keep else [1.0] for j in range(len(s))])
    r = mp.topk_attention(s, V, k=kk)
    with mpmath.workdps(DPS):
        return _finish("lem:worst-case-error", _params(s, k=kk), [
            ("||o-o_hat|| = 2 tau at v = +-u", "eq", abs(r.output[0] - r.output_hat[0]), 2 * r.tau)])


def check_eps_k_tail(scores, *, eps: float, k: int | None = None) -> list[CheckRecord]:
    """lem:eps-k-tail: if a is (eps,k)-sparse then tau_k <= (n-k) eps.

    k defaults to the number of weights above eps (the smallest k that makes a sparse, at
    least 1); a k below that number violates the hypothesis and raises ValueError.

    >>> (r,) = check_eps_k_tail([2.0, 0.0, -1.0], eps=0.2)     # one weight above 0.2: k = 1
    >>> r.params["k"], mpmath.nstr(r.bound, 6), r.passed, r.certified
    (1, '0.4', True, True)
    """
    s = as_scores(scores)
    n = len(s)
    e = as_open_unit(eps, "eps")
    with mpmath.workdps(DPS):
        above = sum(1 for x in mp.softmax(s) if x > mpmath.mpf(e))
    kk = max(above, 1) if k is None else as_k(k, n)
    if kk < above:
        raise ValueError(f"a is not (eps,k)-sparse: {above} weights exceed eps={e} but k={kk}")
    r = mp.topk_attention(s, k=kk)
    with mpmath.workdps(DPS):
        specs = [("tau_k <= (n-k) eps", "le", r.tau, (n - kk) * mpmath.mpf(e))]

    def balls(dps):
        return [(ab.tail_mass(s, k=kk, dps=dps), (n - kk) * ab.exact(e))]

    return _finish("lem:eps-k-tail", _params(s, k=kk, eps=e), specs, balls)


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
        delta = mpmath.mpf(float(sk)) - mpmath.mpf(float(sk1))
        specs = [
            ("tau_k <= 1/(1 + k/(n-k) e^Delta)", "le", r.tau,
             1 / (1 + mpmath.mpf(kk) / (n - kk) * mpmath.exp(delta))),
            ("tau_k <= (n-k) e^(s_(k+1)-LSE)", "le", r.tau,
             (n - kk) * mpmath.exp(mpmath.mpf(float(sk1)) - r.lse)),
        ]

    def balls(dps):
        b = ab.topk_attention(s, k=kk, dps=dps)
        g1 = 1 / (1 + Arb(kk) / (n - kk) * (ab.exact(sk) - ab.exact(sk1)).exp())
        return [(b.tau, g1), (b.tau, (n - kk) * (ab.exact(sk1) - b.lse).exp())]

    return _finish("lem:gap-bound", _params(s, k=kk, Delta=float(sk - sk1)), specs, balls)


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
    other = sorted(int(j) for j in other)
    if len(set(other)) != kk or not all(0 <= j < n for j in other):
        raise ValueError(f"other must be {kk} distinct indices in [0, {n}), got {other}")
    drop = [j for j in range(n) if j not in set(other)]
    r = mp.topk_attention(s, k=kk)
    with mpmath.workdps(DPS):
        specs = [("tau_k <= tau(S')", "le", r.tau, mpmath.fsum(r.weights[j] for j in drop))]

    def balls(dps):
        b = ab.topk_attention(s, k=kk, dps=dps)
        return [(b.tau, ab.ARB.fsum(b.weights[j] for j in drop))]

    return _finish("lem:topk-optimal", _params(s, k=kk, other=other), specs, balls)


def check_tail_monotone(scores, *, k: int) -> list[CheckRecord]:
    """lem:tail-monotone: tau_{k+1} <= tau_k, tau_k <= 1 - k/n, tau_n = 0.

    >>> [(r.name, r.certified) for r in check_tail_monotone([1.0, 0.0, -1.0], k=1)]
    [('tau_{k+1} <= tau_k', True), ('tau_k <= 1 - k/n', True), ('tau_n = 0', None)]
    """
    s = as_scores(scores)
    n = len(s)
    kk = as_k(k, n)
    r = mp.topk_attention(s, k=kk)
    with mpmath.workdps(DPS):
        specs = []
        if kk < n:
            specs.append(("tau_{k+1} <= tau_k", "le", mp.tail_mass(s, k=kk + 1), r.tau))
        specs.append(("tau_k <= 1 - k/n", "le", r.tau, 1 - mpmath.mpf(kk) / n))
        specs.append(("tau_n = 0", "eq", mp.tail_mass(s, k=n), mpmath.mpf(0)))

    def balls(dps):
        tau_b = ab.tail_mass(s, k=kk, dps=dps)
        pairs = [(ab.tail_mass(s, k=kk + 1, dps=dps), tau_b)] if kk < n else []
        return pairs + [(tau_b, 1 - Arb(kk) / n)]

    return _finish("lem:tail-monotone", _params(s, k=kk), specs, balls)


def check_max_weight(scores, *, k: int) -> list[CheckRecord]:
    """lem:max-weight: tau_k >= 1 - k max_j a_j.

    >>> [(r.passed, r.certified) for r in check_max_weight([1.0, 0.0, -1.0], k=2)]
    [(True, True)]
    """
    s = as_scores(scores)
    kk = as_k(k, len(s))
    r = mp.topk_attention(s, k=kk)
    with mpmath.workdps(DPS):
        specs = [("tau_k >= 1 - k max a", "ge", r.tau, 1 - kk * max(r.weights))]

    def balls(dps):
        b = ab.topk_attention(s, k=kk, dps=dps)
        return [(b.tau, 1 - kk * _ball_max(b.weights))]

    return _finish("lem:max-weight", _params(s, k=kk), specs, balls)


def check_loss_gradient(scores, *, k: int) -> list[CheckRecord]:
    """lem:loss-gradient: d tau_k/d s_l (mpmath numerical derivative at 50 digits) against
    a_l (1[l not in S] - tau_k), and 0 <= L_k <= 1 - k/n for this row.

    Needs s_(k) > s_(k+1) (S locally constant); a tie at the boundary raises ValueError.

    >>> [r.passed for r in check_loss_gradient([1.0, 0.0, -1.0], k=1)]
    [True, True, True]
    """
    s = as_scores(scores)
    n = len(s)
    kk = as_k(k, n)
    order = _sorted_order(s)
    if kk < n and s[order[kk - 1]] == s[order[kk]]:
        raise ValueError("scores have a tie at the top-k boundary: S is not locally constant")
    keep = set(topk_indices(s, kk))
    r = mp.topk_attention(s, k=kk)
    with mpmath.workdps(DPS):
        xs = [mpmath.mpf(float(x)) for x in s]

        def tau_at(l_index, h):
            ys = list(xs)
            ys[l_index] += h
            m = max(ys)
            z = mpmath.fsum(mpmath.exp(y - m) for y in ys)
            return mpmath.fsum(mpmath.exp(ys[j] - m) for j in range(n) if j not in keep) / z

        gap = mpmath.mpf(0)
        for l_index in range(n):
            num = mpmath.diff(lambda h, li=l_index: tau_at(li, h), 0)
            closed = r.weights[l_index] * ((0 if l_index in keep else 1) - r.tau)
            gap = max(gap, abs(num - closed))
        # mpmath.diff's finite differences keep ~dps-10 digits: hence the 1e10 scale.
        specs = [("max_l |dtau/ds_l - a_l(1[l!in S]-tau)| = 0", "eq", gap, mpmath.mpf(0), 10 ** 10),
                 ("L_k <= 1 - k/n", "le", r.tau, 1 - mpmath.mpf(kk) / n),
                 ("L_k >= 0", "ge", r.tau, mpmath.mpf(0))]
    return _finish("lem:loss-gradient", _params(s, k=kk), specs)


def check_threshold_error(scores, values, *, eps: float) -> list[CheckRecord]:
    """thm:threshold-error: tau_thr <= (#dropped) eps < n eps, ||o-o_hat||_inf <= 2 tau max|V|.

    >>> recs = check_threshold_error([1.0, 0.0, -1.0], [[1.0], [2.0], [3.0]], eps=0.2)
    >>> [(r.passed, r.certified) for r in recs]
    [(True, True), (True, True), (True, True)]
    """
    s = as_scores(scores)
    n = len(s)
    e = as_open_unit(eps, "eps")
    V = as_values(values, n)
    r = mp.threshold_attention(s, V, eps=e)
    dropped = n - len(r.kept)
    vmax = float(np.max(np.abs(V)))
    with mpmath.workdps(DPS):
        specs = [
            ("tau_thr <= dropped * eps", "le", r.tau, dropped * mpmath.mpf(e)),
            ("dropped * eps < n eps", "lt", dropped * mpmath.mpf(e), n * mpmath.mpf(e)),
            ("||o-o_hat||_inf <= 2 tau_thr max|V|", "le",
             max(abs(x - y) for x, y in zip(r.output, r.output_hat, strict=True)),
             2 * r.tau * mpmath.mpf(vmax)),
        ]

    def balls(dps):
        b = ab.threshold_attention(s, V, eps=e, dps=dps)
        err = _ball_max([abs(x - y) for x, y in zip(b.output, b.output_hat, strict=True)])
        drop_b = (n - len(b.kept)) * ab.exact(e)
        return [(b.tau, drop_b), (drop_b, n * ab.exact(e)), (err, 2 * b.tau * ab.exact(vmax))]

    return _finish("thm:threshold-error", _params(s, eps=e, dropped=dropped), specs, balls)


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
