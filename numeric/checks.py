"""A check per deterministic result: the bound against the exactly measured quantity.

Each `check_*` takes one input (a row of scores, and values or eps where the result needs
them), evaluates the measured side and the bound side in mpmath (50 digits) and in arb
balls, and returns one `CheckRecord` per relation of the result. Tests run them under
Hypothesis, the book shows them, the CLI prints them, and `evidence.py` runs them on a
fixed seeded panel to compute each result's status.
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


def _rec(result_id, name, relation, params, measured, bound, *, scale=1,
         measured_ball=None, bound_ball=None) -> CheckRecord:
    margin, passed = decide(relation, measured, bound, dps=DPS, scale=scale)
    cert = None
    if measured_ball is not None and bound_ball is not None:
        if relation in ("le", "lt"):
            holds = ab.certainly_le if relation == "le" else ab.certainly_lt
            cert = True if holds(measured_ball, bound_ball) else (
                False if bool(measured_ball > bound_ball) else None)
        elif relation == "ge":
            cert = True if ab.certainly_le(bound_ball, measured_ball) else (
                False if bool(measured_ball < bound_ball) else None)
    return CheckRecord(result_id, name, relation, params, bound, measured, margin, passed, cert)


def _params(s: np.ndarray, **kw) -> dict:
    return {"n": len(s), **kw}


def _tail_order(s: np.ndarray) -> list[int]:
    return sorted(range(len(s)), key=lambda j: (-s[j], j))


def _norm2(xs):
    return mpmath.sqrt(mpmath.fsum(x * x for x in xs))


def _ball_norm2(xs):
    total = Arb(0)
    for x in xs:
        total += x * x
    return total.sqrt()


def check_tail_identity(scores, *, k: int) -> list[CheckRecord]:
    """lem:tail-identity: ||a_hat - a||_1 = 2 tau, TV = tau, KL = -log(1-tau), TV = 1 - e^-KL."""
    s = as_scores(scores)
    kk = as_k(k, len(s))
    r = mp.topk_attention(s, k=kk)
    p = _params(s, k=kk)
    with mpmath.workdps(DPS):
        l1 = mpmath.fsum(abs(h - a) for h, a in zip(r.weights_hat, r.weights, strict=True))
        kl = mpmath.fsum(r.weights_hat[j] * (r.lse - r.lse_kept) for j in r.kept)
        return [
            _rec("lem:tail-identity", "||a_hat-a||_1 = 2 tau", "eq", p, l1, 2 * r.tau),
            _rec("lem:tail-identity", "TV = tau", "eq", p, l1 / 2, r.tau),
            _rec("lem:tail-identity", "KL = -log(1-tau)", "eq", p, kl, -mpmath.log1p(-r.tau)),
            _rec("lem:tail-identity", "TV = 1 - exp(-KL)", "eq", p, l1 / 2, -mpmath.expm1(-kl)),
        ]


def check_output_factorization(scores, values, *, k: int) -> list[CheckRecord]:
    """lem:output-factorization: o - o_hat = tau (mu_T - mu_H), coordinate-wise."""
    s = as_scores(scores)
    kk = as_k(k, len(s))
    V = as_values(values, len(s))
    r = mp.topk_attention(s, V, k=kk)
    p = _params(s, k=kk, dv=V.shape[1])
    keep = set(r.kept)
    recs = []
    with mpmath.workdps(DPS):
        for c in range(V.shape[1]):
            tail_sum = mpmath.fsum(r.weights[j] * mpmath.mpf(float(V[j, c]))
                                   for j in range(len(s)) if j not in keep)
            rhs = tail_sum - r.tau * r.output_hat[c]          # tau (mu_T - mu_H)
            recs.append(_rec("lem:output-factorization", f"o-o_hat = tau(mu_T-mu_H) [col {c}]",
                             "eq", p, r.output[c] - r.output_hat[c], rhs,
                             scale=1 + float(np.max(np.abs(V)))))
    return recs


def check_output_error(scores, values, *, k: int) -> list[CheckRecord]:
    """thm:output-error in the 2-norm and the max-norm, both forms of the bound."""
    s = as_scores(scores)
    kk = as_k(k, len(s))
    V = as_values(values, len(s))
    r = mp.topk_attention(s, V, k=kk)
    b = ab.topk_attention(s, V, k=kk)
    p = _params(s, k=kk, dv=V.shape[1])
    T = [j for j in range(len(s)) if j not in set(r.kept)]
    with mpmath.workdps(DPS), ab.precision(DPS):
        diff = [x - y for x, y in zip(r.output, r.output_hat, strict=True)]
        dball = [x - y for x, y in zip(b.output, b.output_hat, strict=True)]
        rows = [[mpmath.mpf(float(x)) for x in V[j]] for j in range(len(s))]
        err2, err_inf = _norm2(diff), max(abs(x) for x in diff)
        eb2 = _ball_norm2(dball)
        eb_inf = dball[0].__abs__()
        for x in dball[1:]:
            eb_inf = eb_inf.max(abs(x))
        vmax2 = max(_norm2(row) for row in rows)
        vmax_inf = mpmath.mpf(float(np.max(np.abs(V))))
        spread = max((_norm2([x - y for x, y in zip(rows[j], rows[i], strict=True)])
                      for j in T for i in r.kept), default=mpmath.mpf(0))
        spread_b = max((_ball_norm2([ab.exact(V[j, c]) - ab.exact(V[i, c])
                                     for c in range(V.shape[1])])
                        for j in T for i in r.kept), default=Arb(0), key=lambda x: x.mid())
        vmax2_b = max((_ball_norm2([ab.exact(x) for x in V[j]]) for j in range(len(s))),
                      key=lambda x: x.mid())
        return [
            _rec("thm:output-error", "||o-o_hat||_2 <= tau max||v_j-v_i||_2", "le", p, err2,
                 r.tau * spread, measured_ball=eb2, bound_ball=b.tau * spread_b),
            _rec("thm:output-error", "||o-o_hat||_2 <= 2 tau max||v||_2", "le", p, err2,
                 2 * r.tau * vmax2, measured_ball=eb2, bound_ball=2 * b.tau * vmax2_b),
            _rec("thm:output-error", "||o-o_hat||_inf <= 2 tau max|V|", "le", p, err_inf,
                 2 * r.tau * vmax_inf, measured_ball=eb_inf,
                 bound_ball=2 * b.tau * ab.exact(float(np.max(np.abs(V))))),
        ]


def check_worst_case_error(scores, *, k: int) -> list[CheckRecord]:
    """lem:worst-case-error: v = +1 on the tail and -1 on the head gives ||o - o_hat|| = 2 tau."""
    s = as_scores(scores)
    kk = as_k(k, len(s))
    if kk >= len(s):
        raise ValueError(f"k must be < n={len(s)} for lem:worst-case-error, got {kk}")
    keep = set(topk_indices(s, kk))
    V = np.array([[-1.0] if j in keep else [1.0] for j in range(len(s))])
    r = mp.topk_attention(s, V, k=kk)
    with mpmath.workdps(DPS):
        err = abs(r.output[0] - r.output_hat[0])
        return [_rec("lem:worst-case-error", "||o-o_hat|| = 2 tau at v = +-u", "eq",
                     _params(s, k=kk), err, 2 * r.tau)]


def check_eps_k_tail(scores, *, eps: float, k: int | None = None) -> list[CheckRecord]:
    """lem:eps-k-tail: if a is (eps,k)-sparse then tau_k <= (n-k) eps.

    k defaults to the number of weights above eps (the smallest k that makes a sparse);
    a k below that number violates the hypothesis and raises ValueError.
    """
    s = as_scores(scores)
    e = as_open_unit(eps, "eps")
    a = mp.softmax(s)
    with mpmath.workdps(DPS):
        above = sum(1 for x in a if x > mpmath.mpf(e))
    kk = max(above, 1) if k is None else as_k(k, len(s))
    if kk < above:
        raise ValueError(f"a is not (eps,k)-sparse: {above} weights exceed eps={e} but k={kk}")
    r = mp.topk_attention(s, k=kk)
    b = ab.topk_attention(s, k=kk)
    with mpmath.workdps(DPS), ab.precision(DPS):
        return [_rec("lem:eps-k-tail", "tau_k <= (n-k) eps", "le", _params(s, k=kk, eps=e),
                     r.tau, (len(s) - kk) * mpmath.mpf(e),
                     measured_ball=b.tau, bound_ball=(len(s) - kk) * ab.exact(e))]


def check_gap_bound(scores, *, k: int) -> list[CheckRecord]:
    """lem:gap-bound: both forms, for k < n."""
    s = as_scores(scores)
    kk = as_k(k, len(s))
    n = len(s)
    if kk >= n:
        raise ValueError(f"k must be < n={n} for lem:gap-bound, got {kk}")
    order = _tail_order(s)
    sk, sk1 = s[order[kk - 1]], s[order[kk]]
    r = mp.topk_attention(s, k=kk)
    b = ab.topk_attention(s, k=kk)
    p = _params(s, k=kk, Delta=float(sk - sk1))
    with mpmath.workdps(DPS), ab.precision(DPS):
        delta = mpmath.mpf(float(sk)) - mpmath.mpf(float(sk1))
        delta_b = ab.exact(sk) - ab.exact(sk1)
        frac, frac_b = mpmath.mpf(kk) / (n - kk), Arb(kk) / (n - kk)
        g1 = 1 / (1 + frac * mpmath.exp(delta))
        g1b = 1 / (1 + frac_b * delta_b.exp())
        g2 = (n - kk) * mpmath.exp(mpmath.mpf(float(sk1)) - r.lse)
        g2b = (n - kk) * (ab.exact(sk1) - b.lse).exp()
        return [
            _rec("lem:gap-bound", "tau_k <= 1/(1 + k/(n-k) e^Delta)", "le", p, r.tau, g1,
                 measured_ball=b.tau, bound_ball=g1b),
            _rec("lem:gap-bound", "tau_k <= (n-k) e^(s_(k+1)-LSE)", "le", p, r.tau, g2,
                 measured_ball=b.tau, bound_ball=g2b),
        ]


def check_topk_optimal(scores, *, k: int, other: list[int] | None = None,
                       seed: int = 0) -> list[CheckRecord]:
    """lem:topk-optimal: tau_k <= the mass discarded by another k-set (random if not given)."""
    s = as_scores(scores)
    n = len(s)
    kk = as_k(k, n)
    if other is None:
        other = sorted(np.random.default_rng(seed).choice(n, size=kk, replace=False).tolist())
    other = sorted(int(j) for j in other)
    if len(set(other)) != kk or not all(0 <= j < n for j in other):
        raise ValueError(f"other must be {kk} distinct indices in [0, {n}), got {other}")
    r = mp.topk_attention(s, k=kk)
    b = ab.topk_attention(s, k=kk)
    keep = set(other)
    with mpmath.workdps(DPS), ab.precision(DPS):
        tau_o = mpmath.fsum(r.weights[j] for j in range(n) if j not in keep)
        tau_ob = Arb(0)
        for j in range(n):
            if j not in keep:
                tau_ob += b.weights[j]
        return [_rec("lem:topk-optimal", "tau_k <= tau(S')", "le", _params(s, k=kk, other=other),
                     r.tau, tau_o, measured_ball=b.tau, bound_ball=tau_ob)]


def check_tail_monotone(scores, *, k: int) -> list[CheckRecord]:
    """lem:tail-monotone: tau_{k+1} <= tau_k, tau_k <= 1 - k/n, tau_n = 0."""
    s = as_scores(scores)
    n = len(s)
    kk = as_k(k, n)
    r = mp.topk_attention(s, k=kk)
    b = ab.topk_attention(s, k=kk)
    p = _params(s, k=kk)
    recs = []
    with mpmath.workdps(DPS), ab.precision(DPS):
        if kk < n:
            r1, b1 = mp.topk_attention(s, k=kk + 1), ab.topk_attention(s, k=kk + 1)
            recs.append(_rec("lem:tail-monotone", "tau_{k+1} <= tau_k", "le", p, r1.tau, r.tau,
                             measured_ball=b1.tau, bound_ball=b.tau))
        recs.append(_rec("lem:tail-monotone", "tau_k <= 1 - k/n", "le", p, r.tau,
                         1 - mpmath.mpf(kk) / n, measured_ball=b.tau,
                         bound_ball=1 - Arb(kk) / n))
        recs.append(_rec("lem:tail-monotone", "tau_n = 0", "eq", p,
                         mp.topk_attention(s, k=n).tau, mpmath.mpf(0)))
    return recs


def check_max_weight(scores, *, k: int) -> list[CheckRecord]:
    """lem:max-weight: tau_k >= 1 - k max_j a_j."""
    s = as_scores(scores)
    kk = as_k(k, len(s))
    r = mp.topk_attention(s, k=kk)
    b = ab.topk_attention(s, k=kk)
    with mpmath.workdps(DPS), ab.precision(DPS):
        amax_b = max(b.weights, key=lambda x: x.mid())
        return [_rec("lem:max-weight", "tau_k >= 1 - k max a", "ge", _params(s, k=kk), r.tau,
                     1 - kk * max(r.weights), measured_ball=b.tau, bound_ball=1 - kk * amax_b)]


def check_loss_gradient(scores, *, k: int) -> list[CheckRecord]:
    """lem:loss-gradient: d tau_k/d s_l (mpmath numerical derivative at 50 digits) against
    a_l (1[l not in S] - tau_k), and 0 <= L_k <= 1 - k/n for this row.

    Needs s_(k) > s_(k+1) (S locally constant); a tie at the boundary raises ValueError.
    """
    s = as_scores(scores)
    n = len(s)
    kk = as_k(k, n)
    order = _tail_order(s)
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
        p = _params(s, k=kk)
        return [
            _rec("lem:loss-gradient", "max_l |dtau/ds_l - a_l(1[l!in S]-tau)| = 0", "eq", p, gap,
                 mpmath.mpf(0), scale=10 ** 10),
            _rec("lem:loss-gradient", "L_k <= 1 - k/n", "le", p, r.tau, 1 - mpmath.mpf(kk) / n),
            _rec("lem:loss-gradient", "L_k >= 0", "ge", p, r.tau, mpmath.mpf(0)),
        ]


def check_threshold_error(scores, values, *, eps: float) -> list[CheckRecord]:
    """thm:threshold-error: tau_thr <= (#dropped) eps < n eps, ||o-o_hat||_inf <= 2 tau max|V|."""
    s = as_scores(scores)
    e = as_open_unit(eps, "eps")
    V = as_values(values, len(s))
    r = mp.threshold_attention(s, V, eps=e)
    b = ab.threshold_attention(s, V, eps=e)
    n = len(s)
    dropped = n - len(r.kept)
    p = _params(s, eps=e, dropped=dropped)
    with mpmath.workdps(DPS), ab.precision(DPS):
        err = max(abs(x - y) for x, y in zip(r.output, r.output_hat, strict=True))
        err_b = abs(b.output[0] - b.output_hat[0])
        for x, y in zip(b.output[1:], b.output_hat[1:], strict=True):
            err_b = err_b.max(abs(x - y))
        vmax = float(np.max(np.abs(V)))
        return [
            _rec("thm:threshold-error", "tau_thr <= dropped * eps", "le", p, r.tau,
                 dropped * mpmath.mpf(e), measured_ball=b.tau, bound_ball=dropped * ab.exact(e)),
            _rec("thm:threshold-error", "dropped * eps < n eps", "lt", p, dropped * mpmath.mpf(e),
                 n * mpmath.mpf(e)),
            _rec("thm:threshold-error", "||o-o_hat||_inf <= 2 tau_thr max|V|", "le", p, err,
                 2 * r.tau * mpmath.mpf(vmax), measured_ball=err_b,
                 bound_ball=2 * b.tau * ab.exact(vmax)),
        ]


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
__all__ = [name for name in dir() if name.startswith("check_")] + ["CHECKS"]
