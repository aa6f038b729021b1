"""thm:sparse-whp-sharp: P(N_eps > k) from one event, by conditioning on the order statistic.

Scores s_1..s_n are i.i.d. N(0, beta^2); N_eps = #{j : a_j > eps}. N_eps > k exactly when the
(k+1)-th largest weight exceeds eps, i.e. e^u > eps Z with u = s_(k+1). Given u, the k scores
above are i.i.d. N(0, beta^2) conditioned on s > u, the n-k-1 below i.i.d. conditioned on s < u,
all independent, so with c = 1/eps - 1 and every lambda >= 0 (Chernoff)

    P(N_eps > k | u) = P(sum_{j != (k+1)} e^{s_j - u} < c | u)
                     <= g(u) = e^{lambda c} M_above(lambda, u)^k M_below(lambda, u)^(n-k-1),

M_side(lambda, u) = E[exp(-lambda e^{s-u}) | s on that side of u]. The conditional probability
is nondecreasing in u: for a log-concave density the overshoot s - u | s > u and the deficit
s - u | s < u are both stochastically decreasing in u (log Phic and log Phi are concave), so the
sum above decreases stochastically. Cut u at u_0 < ... < u_m; bound the cell (u_{i-1}, u_i] by
G_i = g(u_i) (its worst endpoint), (-inf, u_0] by G_0 = g(u_0), (u_m, inf) by 1; with G made
nondecreasing (running maximum) summation by parts gives

    P(N_eps > k) <= G_0 + sum_{i=1}^{m+1} (G_i - G_{i-1}) P(s_(k+1) > u_{i-1}),

P(s_(k+1) > x) = P(Bin(n, Phic(x/beta)) >= k+1) = I_p(k+1, n-k), the exact binomial tail.
Rigour: lambda and the cells are chosen in float64 (any choice is valid); every M, every
binomial tail and the sum are then enclosed in arb balls (python-flint: `acb.integral` encloses
the integrals, `arb.beta_lower` the regularised incomplete beta) and the upper endpoint is
reported. k is the smallest k whose float bound is <= delta, then certified in arb (the
certificate, not the float search, is what makes k valid). N_eps <= ceil(1/eps) - 1 always
(more weights above eps would sum past 1), so k never exceeds that sure bound.

    >>> r = sparse_whp_sharp(256, 1.0, 0.01, 1e-4)
    >>> r["k"], r["certified_bound"] <= 1e-4, r["k_trivial"]
    (31, True, 99)
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

import numpy as np
import sympy as sp
from flint import acb, arb, ctx
from scipy.stats import beta as beta_dist
from scipy.stats import binom, norm

from natsparse.proofs import gaussian as PG
from natsparse.proofs import get
from natsparse.proofs.symbols import eps as EPS
from natsparse.proofs.symbols import k as K
from natsparse.proofs.symbols import n as N

from .bounds import register_bound
from .validate import as_nonnegative, as_open_unit, as_positive_int

#: cells in u between the order statistic's extreme quantiles (64 costs <= ~1.07x in k, measured)
CELLS = 64
#: the float search's coarse grid of log(lambda), refined to +-REFINE around its best point
#: (any lambda is valid; the grids only pick a good one)
LOG_LAMBDA = np.arange(-16.0, 10.0, 1.0)
REFINE = 1.0
#: nodes of the float quadrature that picks lambda (not part of the certificate)
NODES = 600
#: the sharp bound is evaluated for n up to this (binomial tails and cells are O(1) each, but the
#: float search and arb's incomplete beta are only exercised this far)
SHARP_N_MAX = 10**7
#: arb working precision in bits
PREC = 96
#: the float search aims this far below delta so that the arb certificate (slightly larger) passes
SEARCH_MARGIN = 0.98
#: k values tried upward from the float search's k before falling back to the sure bound
CERTIFY_TRIES = 4


# --- the registry's formula: what this algorithm evaluates ------------------------------------

@lru_cache(maxsize=16)
def _read_formula(rels: tuple) -> tuple:
    """(exponent, sure bound) of thm:sparse-whp-sharp's relations: the Chernoff bound's logarithm as
    const + c lambda + a log M_above + b log M_below (each a SymPy expression in n, k, eps) and the
    sure bound's right-hand side. Read from the registry so that a changed formula changes the numbers
    (the mutation gate); a relation that is not an upper bound of this shape is refused."""
    chernoff, sure = rels
    if not (isinstance(chernoff, sp.LessThan) and chernoff.lhs == PG.P_u):
        raise ValueError("thm:sparse-whp-sharp: relation 0 must bound P_u from above, got "
                         f"{sp.sstr(chernoff)}")
    if not (isinstance(sure, sp.LessThan) and sure.lhs == PG.N_eps):
        raise ValueError(f"thm:sparse-whp-sharp: relation 1 must bound N_eps from above, got {sp.sstr(sure)}")
    log_a, log_b = sp.symbols("log_M_above log_M_below", real=True)
    expo = sp.expand_log(sp.log(chernoff.rhs.subs({PG.M_above: sp.exp(log_a), PG.M_below: sp.exp(log_b)})),
                         force=True)
    variables = (PG.lam, log_a, log_b)
    coefficients = tuple(sp.diff(expo, v) for v in variables)
    if any(sp.diff(cf, v) != 0 for cf in coefficients for v in variables):
        raise ValueError("thm:sparse-whp-sharp: the Chernoff bound must be exp(linear in lambda, log M)")
    return (sp.expand(expo.subs({v: 0 for v in variables})), *coefficients), sure.rhs


def _exact(expr: sp.Expr, at: dict) -> Fraction:
    value = sp.nsimplify(expr.subs(at))
    if not value.is_Rational:
        raise ValueError(f"thm:sparse-whp-sharp: {sp.sstr(expr)} is not rational at {at}")
    return Fraction(int(value.p), int(value.q))


def exponent(n: int, k: int, eps) -> tuple[Fraction, Fraction, Fraction, Fraction]:
    """(const, c, a, b): log of the Chernoff bound = const + c lambda + a log M_above + b log M_below,
    exact at (n, k, eps as its decimal), from the registry's formula.

    >>> exponent(256, 30, 0.01)
    (Fraction(0, 1), Fraction(99, 1), Fraction(30, 1), Fraction(225, 1))
    """
    parts, _ = _read_formula(tuple(get("thm:sparse-whp-sharp").relations()))
    at = {N: n, K: k, EPS: sp.Rational(str(float(eps)))}
    return tuple(_exact(part, at) for part in parts)


def k_trivial(n: int, eps) -> int:
    """The sure bound min(n, ceil(1/eps) - 1) on N_eps (exact rational arithmetic on eps's decimal; the
    registry's formula), never below 0.

    >>> k_trivial(256, 0.01), k_trivial(64, 0.3), k_trivial(8, 0.9), k_trivial(4, 1e-3)
    (99, 3, 1, 4)
    """
    _, sure = _read_formula(tuple(get("thm:sparse-whp-sharp").relations()))
    return max(0, min(n, math.floor(_exact(sure, {EPS: sp.Rational(str(float(eps)))}))))


# --- float64 search: choose lambda per cell and the candidate k -------------------------------

def _log_mgf(u: float, b: float, side: int, log_lam: np.ndarray, sign: int = -1) -> np.ndarray:
    """log E[exp(sign lambda e^{s-u}) | side of u] at each log(lambda) (trapezoid rule; only used to
    choose lambda)."""
    if side > 0:
        y = np.linspace(0.0, 12.0 * b + 6.0, NODES)
        log_mass = norm.logsf(u / b)
    else:
        y = np.linspace(-(16.0 * b + max(0.0, u) + 6.0), 0.0, NODES)
        log_mass = norm.logcdf(u / b)
    log_w = np.full(NODES, math.log(y[1] - y[0]))
    log_w[[0, -1]] -= math.log(2)
    x = (log_w - 0.5 * ((u + y) / b) ** 2 - math.log(b * math.sqrt(2 * math.pi)))[None, :] \
        + sign * np.exp(log_lam)[:, None] * np.exp(y)[None, :]
    top = x.max(axis=1)
    return top + np.log(np.exp(x - top[:, None]).sum(axis=1)) - log_mass


def _log_g(u: float, n: int, k: int, b: float, coef) -> tuple[float, float]:
    """(log g(u) at the best lambda of a coarse grid refined around its minimum, that lambda)."""
    const, c, a_up, a_down = (float(x) for x in coef)

    def exponent(log_lam):
        expo = const + np.exp(log_lam) * c + a_down * _log_mgf(u, b, -1, log_lam)
        return expo + a_up * _log_mgf(u, b, 1, log_lam) if a_up else expo

    coarse = exponent(LOG_LAMBDA)
    centre = LOG_LAMBDA[int(np.argmin(coarse))]
    fine = centre + np.linspace(-REFINE, REFINE, 17)             # steps of REFINE / 8
    expo = exponent(fine)
    i = int(np.argmin(expo))
    return min(0.0, float(expo[i])), float(np.exp(fine[i]))


def cells(n: int, k: int, b: float, delta: float) -> np.ndarray:
    """u_0 < ... < u_m: CELLS equal cells between the order statistic's q- and (1-q)-quantiles,
    q = min(1e-14, delta 1e-6) (s_(k+1) = beta Phic^{-1}(U_(k+1)), U_(k+1) ~ Beta(k+1, n-k)).

    >>> u = cells(256, 30, 1.0, 1e-4)
    >>> len(u), round(float(u[0]), 3), round(float(u[-1]), 3)
    (65, 0.455, 2.03)
    """
    q = min(1e-14, delta * 1e-6)
    lo = b * norm.isf(beta_dist.isf(q, k + 1, n - k))
    hi = b * norm.isf(beta_dist.ppf(q, k + 1, n - k))
    return np.linspace(lo, hi, CELLS + 1)


def _float_bound(n: int, b: float, eps: float, k: int, delta: float) -> tuple[float, np.ndarray, list]:
    """The bound in float64, with the cells and the chosen lambdas (for the certificate)."""
    us = cells(n, k, b, delta)
    coef = exponent(n, k, eps)
    logs, lams = zip(*(_log_g(float(u), n, k, b, coef) for u in us), strict=True)
    G = np.maximum.accumulate(np.exp(np.array(logs)))
    T = binom.sf(k, n, norm.sf(us / b))
    G = np.append(G, 1.0)
    return float(G[0] + np.sum(T * np.diff(G))), us, list(lams)


# --- arb certificate -------------------------------------------------------------------------

def _up(x: arb) -> float:
    """A float64 >= every point of the ball x; inf for a ball that is not finite (NaN or unbounded),
    so that a failed enclosure gives a vacuous bound, never a loop or a false one."""
    if not x.is_finite():
        return math.inf
    f = float(x.upper().mid())
    for _ in range(64):                      # float() rounds to nearest: a few steps up suffice
        if math.isnan(f) or arb(f) >= x:
            return math.inf if math.isnan(f) else f
        f = math.nextafter(f, math.inf)
    return math.inf


def _log_upper(m: arb) -> arb:
    """An upper bound of log m for a ball m of positive numbers: log of its upper end (log is
    increasing), so a ball that reaches down to 0 or below still gives a finite, valid bound."""
    top = m.upper()
    return top.log() if top > 0 else arb("inf")


def _phic(x: arb) -> arb:
    return (x / arb(2).sqrt()).erfc() / 2


def _mgf_upper(lam: float, u: float, b: float, side: int, sign: int = -1) -> arb:
    """A ball whose upper end bounds E[exp(sign lam e^{s-u}) | side of u]: acb.integral on a finite
    range plus a bound on its tail (sign = +1 only below u, where e^{s-u} <= 1)."""
    ua, ba, la = arb(u), arb(b), arb(lam)
    scale = 1 / (ba * (2 * arb.pi()).sqrt())

    def f(y, _analytic):
        return (-(acb(ua) + y) ** 2 / (2 * acb(ba) ** 2) + sign * acb(la) * y.exp()).exp()

    if sign > 0 and side > 0:
        raise ValueError("the positive exponential moment is only bounded below u")
    if side > 0:
        # the tail factor is <= e^{-200} past top, whatever beta (a range of 12 beta made
        # acb.integral subdivide e^y for seconds per cell at beta = 1e10 and return a NaN ball)
        top = max(1.0, math.log(200.0 / lam) + 1.0)
        body = acb.integral(f, 0, top).real * scale
        tail = (-la * arb(top).exp()).exp() * _phic((ua + top) / ba)
        mass = _phic(ua / ba)
    else:
        width = 16.0 * b + max(0.0, u) + 6.0
        body = acb.integral(f, -width, 0).real * scale
        tail = _phic(-(ua - width) / ba) * (la * arb(-width).exp()).exp() if sign > 0 else \
            _phic(-(ua - width) / ba)                  # Phi((u - W)/beta) times the integrand's sup
        mass = _phic(-ua / ba)
    return (body + tail) / mass


def certify(n: int, b: float, eps, k: int, us, lams) -> float:
    """A float64 upper bound on P(N_eps > k), every term enclosed in arb.

    The cells `us` and multipliers `lams` are any choice (the float search's); the result is a
    valid bound whatever they are. A cell whose enclosure fails (a NaN or unbounded ball, e.g. an MGF
    ball that reaches 0 at extreme lambda) is retried at 4x the precision, then bounded by 1.
    """
    return certify_cells(n, b, eps, k, us, lams)[0]


def _log_g_ball(n, b, eps, k, u: float, lam: float) -> arb:
    """An arb ball whose upper end bounds log g(u) at this lambda (the certificate's cell value)."""
    coef = exponent(n, k, eps)
    if coef[2] < 0 or coef[3] < 0:        # an upper bound of log M bounds a log M only when a >= 0
        raise ValueError("thm:sparse-whp-sharp: the Chernoff bound's powers of M must be >= 0")
    const, c, a_up, a_down = (arb(x.numerator) / arb(x.denominator) for x in coef)
    log_g = const + arb(lam) * c + a_down * _log_upper(_mgf_upper(lam, u, b, -1))
    if coef[2]:                           # the Fraction: an arb 0 is truthy, and 0 * a NaN ball is NaN
        log_g += a_up * _log_upper(_mgf_upper(lam, u, b, 1))
    return log_g


def certify_cells(n: int, b: float, eps, k: int, us, lams) -> tuple[float, list[float]]:
    """`certify`'s bound and the cells (their right ends u) bounded by 1 because their enclosure failed
    at 4x the precision too."""
    old = ctx.prec
    ctx.prec = PREC
    try:
        G, vacuous = [], []
        for u, lam in zip(us, lams, strict=True):
            g = _up(_log_g_ball(n, b, eps, k, float(u), float(lam)).exp())
            if not math.isfinite(g):
                ctx.prec = 4 * PREC
                g = _up(_log_g_ball(n, b, eps, k, float(u), float(lam)).exp())
                ctx.prec = PREC
            if not math.isfinite(g):
                vacuous.append(float(u))
            G.append(min(1.0, g))
        G = list(np.maximum.accumulate(G)) + [1.0]
        total = arb(G[0])
        for i in range(1, len(G)):
            step = arb(G[i]) - arb(G[i - 1])                  # exact: both are floats, G nondecreasing
            if step > 0:
                p = _phic(arb(float(us[i - 1])) / arb(b))
                total += step * p.beta_lower(k + 1, n - k, regularized=True)
        return min(1.0, _up(total)), vacuous
    finally:
        ctx.prec = old


def tail_probability_bound(n, beta, eps, k, delta=1e-4) -> float:
    """Certified upper bound on P(N_eps > k) (`delta` only sets how far the cells reach).

    >>> tail_probability_bound(256, 1.0, 0.01, 31) <= 1e-4 < tail_probability_bound(256, 1.0, 0.01, 28)
    True
    """
    nn, b, e = _args(n, beta, eps)
    kk = as_positive_int(k + 1, "k + 1") - 1
    d = as_open_unit(delta, "delta")
    if kk >= k_trivial(nn, e):
        return 0.0
    if b == 0:
        return 1.0 if 1 / nn > e and kk < nn else 0.0
    if not math.isfinite(b):  # beta beyond float64: no cells to search, the trivial bound
        return 1.0
    _, us, lams = _float_bound(nn, b, e, kk, d)
    return certify(nn, b, e, kk, us, lams)


def _args(n, beta, eps) -> tuple[int, float, float]:
    nn = as_positive_int(n, "n")
    if nn > SHARP_N_MAX:
        # str(10**10000) raises (Python's limit on int digits): a huge n is shown by its size
        shown = nn if nn < 10**30 else f"about 10^{nn.bit_length() * math.log10(2):.0f}"
        raise ValueError(f"n must be <= {SHARP_N_MAX} for thm:sparse-whp-sharp (got {shown}); "
                         "use thm:sparse-whp beyond")
    return nn, float(as_nonnegative(beta, "beta")), as_open_unit(eps, "eps")


@register_bound("thm:sparse-whp-sharp")
def sparse_whp_sharp(n, beta, eps, delta=1e-4) -> dict:
    """The smallest k whose certified bound on P(N_eps > k) is <= delta, capped by ceil(1/eps) - 1.

    Returns k, certified_bound (>= P(N_eps > k), arb), k_trivial, capped (k is the sure bound, the
    probabilistic bound did not beat it) and a reason when capped; and cells_bounded_by_1, the right
    ends u of the cells whose arb enclosure failed even at 4x the precision and were bounded by 1 (a
    valid, cruder bound), when there are any.

    >>> r = sparse_whp_sharp(64, 8.0, 0.3)
    >>> r["k"], r["capped"], r["reason"]
    (3, True, 'k = ceil(1/eps) - 1 = 3 holds surely (more weights above eps would sum past 1)')
    """
    nn, b, e = _args(n, beta, eps)
    d = as_open_unit(delta, "delta")
    kt = k_trivial(nn, e)
    out = {"k": kt, "certified_bound": 0.0, "k_trivial": kt, "capped": True}
    why = (f"k = ceil(1/eps) - 1 = {kt} holds surely (more weights above eps would sum past 1)"
           if kt < nn else f"k = n = {nn}: every row is (eps, n)-sparse")
    if b == 0:  # a_j = 1/n for every j: N_eps is n or 0, surely
        k0 = nn if 1 / nn > e else 0
        return {**out, "k": min(k0, kt), "capped": False}
    if not math.isfinite(b):  # beta beyond float64 (1e400): the cells' float search cannot run
        return {**out, "reason": f"{why}; beta is beyond float64's range, where the search for cells and "
                                 "multipliers cannot run, so only the sure bound is given"}

    def fits(k):
        return _float_bound(nn, b, e, k, d)[0] <= d * SEARCH_MARGIN

    if kt == 0 or not fits(kt - 1):
        return {**out, "reason": why}
    lo, hi = 0, kt - 1                                  # fits(hi) holds
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if fits(mid) else (mid + 1, hi)
    for k in range(hi, min(kt, hi + CERTIFY_TRIES)):
        _, us, lams = _float_bound(nn, b, e, k, d)
        bound, failed = certify_cells(nn, b, e, k, us, lams)
        if bound <= d:
            found = {"k": k, "certified_bound": bound, "k_trivial": kt, "capped": False}
            return {**found, "cells_bounded_by_1": failed} if failed else found
        if failed:
            out["cells_bounded_by_1"] = failed
    return {**out, "reason": why}


# --- thm:error-whp by the same conditioning: tau_k ------------------------------------------------

def _tau_log_g(a: float, c: float, n: int, k: int, b: float, x: float) -> tuple[float, float]:
    """log of the Chernoff bound of {(1-x)(1 + B) > x A} with B's law at a, A's law at c (cell (a, c])."""
    def exponent(log_lam):
        lam = np.exp(log_lam)
        expo = lam * (1 - x) + (n - k - 1) * _log_mgf(a, b, -1, log_lam + math.log(1 - x), +1)
        return expo + k * _log_mgf(c, b, 1, log_lam + math.log(x)) if k else expo

    coarse = exponent(LOG_LAMBDA)
    centre = LOG_LAMBDA[int(np.argmin(coarse))]
    fine = centre + np.linspace(-REFINE, REFINE, 17)
    expo = exponent(fine)
    i = int(np.argmin(expo))
    return min(0.0, float(expo[i])), float(np.exp(fine[i]))


def _tau_float(n: int, b: float, k: int, x: float, us) -> tuple[float, list]:
    T = binom.sf(k, n, norm.sf(us / b))                  # P(s_(k+1) > u_i)
    chosen = [_tau_log_g(float(us[i - 1]), float(us[i]), n, k, b, x) for i in range(1, len(us))]
    G = np.exp([g for g, _ in chosen])
    return float((1 - T[0]) + np.sum(-np.diff(T) * G) + T[-1]), [lam for _, lam in chosen]


def _tau_certify(n: int, b: float, k: int, x: float, us, lams) -> float:
    old = ctx.prec
    ctx.prec = PREC
    try:
        xa = arb(x)
        T = [_phic(arb(float(u)) / arb(b)).beta_lower(k + 1, n - k, regularized=True) for u in us]
        total = (1 - T[0]) + T[-1]
        for i in range(1, len(us)):
            la = arb(lams[i - 1])
            log_g = la * (1 - xa) + (n - k - 1) * _mgf_upper(lams[i - 1] * (1 - x), float(us[i - 1]), b, -1,
                                                             +1).log()
            if k:
                log_g += k * _mgf_upper(lams[i - 1] * x, float(us[i]), b, 1).log()
            g = min(1.0, _up(log_g.exp()))
            total += arb(g) * (T[i - 1] - T[i])
        return _up(total)
    finally:
        ctx.prec = old


def tau_whp_sharp(n, beta, k, delta=1e-4) -> dict:
    """thm:error-whp by conditioning on u = s_(k+1): the smallest tau (to 1e-3 relative, found in float64)
    with a certified P(tau_k > tau) <= delta.

    tau_k > x iff (1-x)(1 + B) > x A with B = sum of e^{s_j - u} below u, A above. On a cell u in (a, c],
    B is stochastically below its law at a and A above its law at c (both sums decrease stochastically
    in u), so P(tau_k > x | u) <= e^{lambda(1-x)} E[e^{lambda(1-x) e^{s-a}} | s<a]^(n-k-1)
    E[e^{-lambda x e^{s-c}} | s>c]^k; the cells' masses are exact binomial differences, and the two
    outer cells count fully. Every term is enclosed in arb as for thm:sparse-whp-sharp.

    >>> r = tau_whp_sharp(256, 2.0, 101)
    >>> round(r["tau"], 3), r["certified_bound"] <= 1e-4
    (0.112, True)
    """
    nn, b, _ = _args(n, beta, 0.5)
    kk = as_positive_int(k, "k")
    if kk >= nn:
        raise ValueError(f"k must be an integer in [1, n - 1] = [1, {nn - 1}], got {kk}")
    d = as_open_unit(delta, "delta")
    if b == 0:   # tau_k = (n - k)/n surely
        return {"tau": (nn - kk) / nn, "certified_bound": 0.0, "vacuous": False}
    us = cells(nn, kk, b, d)
    lo, hi = 0.0, 1.0
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if _tau_float(nn, b, kk, mid, us)[0] <= d * SEARCH_MARGIN else (mid, hi)
        if hi - lo <= 1e-3 * hi:
            break
    for x in (hi, min(1.0, 1.01 * hi), min(1.0, 1.05 * hi)):
        if x >= 1.0:
            break
        bound = _tau_certify(nn, b, kk, x, us, _tau_float(nn, b, kk, x, us)[1])
        if bound <= d:
            return {"tau": x, "certified_bound": bound, "vacuous": False}
    return {"tau": 1.0, "certified_bound": 0.0, "vacuous": True,
            "reason": "no tau < 1 has a certified bound <= delta (tau_k <= 1 always)"}
