"""Explicit bounds of THEORY.md "The Gaussian model", evaluable at any size in mpmath.

Scores s_1..s_n are i.i.d. N(0, beta^2). Every function takes plain numbers (n may be a
Python int as large as 10**30), validates them (errors name the argument), works at
`DPS` digits and returns a dict {name: value}: the form `natsparse bound ID` prints and
`numeric.bounds.evaluate` returns. A bound that says nothing (L <= 0, or k >= n) is
returned with `vacuous=True` and a `reason`, never as a silent number.

Grids (truncation levels of `partition_lower`) depend on (n, beta, delta) only, so the
maximum over the grid is a fixed number chosen before sampling: no union bound is needed.
The exact binomial quantile comes from scipy (float64 inputs; p is rounded *up*, which can
only enlarge the quantile) for n <= EXACT_N_MAX; beyond that only Bernstein is offered.
"""

from __future__ import annotations

import math

import mpmath
from scipy.stats import binom

from .bounds import compile_bound, compile_expr, register_bound
from .sharp import k_trivial
from .validate import as_k_of, as_nonnegative, as_open_unit, as_positive_int, as_positive_real

DPS = 30
GRID = 160
GRID_STEP = mpmath.mpf(1) / 8
#: at most this many truncation levels: L is valid for any fixed grid, and beyond beta ~ 1000 (where
#: the spacing would ask for more) the bound is vacuous anyway (n e^{beta^2/2} << e^{beta^2})
GRID_MAX = 20000
EXACT_N_MAX = 2**40
DEFAULT_DELTA = 1e-4


# --- argument checks (natsparse.numeric.validate; beta and gamma as mpmath numbers) -----------

def as_n(n, name: str = "n") -> int:
    """A positive integer (Python int of any size, numpy integer, or an integral float < 2^53).

    >>> as_n(1e6), as_n(10**30) == 10**30
    (1000000, True)
    """
    return as_positive_int(n, name)


def as_beta(beta) -> mpmath.mpf:
    """The score scale: a finite real number >= 0, as an mpf.

    >>> as_beta(2)
    mpf('2.0')
    """
    return mpmath.mpf(as_nonnegative(beta, "beta"))


def as_gamma(gamma) -> mpmath.mpf:
    """The regime exponent gamma >= 0 of beta^2 = 2 gamma ln n, as an mpf.

    >>> as_gamma(0.5)
    mpf('0.5')
    """
    return mpmath.mpf(as_nonnegative(gamma, "gamma"))


# --- the normal distribution in mpmath --------------------------------------------------------

ASYMPTOTIC_FROM = 10**4


def normal_sf(x):
    """Phi_c(x) = 1 - Phi(x), accurate in both tails.

    mpmath's erfc loses digits beyond x ~ 1e8 (and overflows near 1e200, e.g. t/beta for a
    subnormal beta), so for |x| >= 1e4 the alternating asymptotic series
    phi(x)/x (1 - x^-2 + 3x^-4 - 15x^-6 + 105x^-8) is used: its error is below 945 x^-10 < 1e-37.

    >>> mpmath.nstr(normal_sf(1), 6), mpmath.nstr(normal_sf(10**5), 6)
    ('0.158655', '1.21521e-2171472415')
    """
    x = mpmath.mpf(x)
    if abs(x) < ASYMPTOTIC_FROM:
        return mpmath.erfc(x / mpmath.sqrt(2)) / 2
    y = abs(x)
    r = 1 / (y * y)
    tail = normal_pdf(y) / y * (1 - r + 3 * r**2 - 15 * r**3 + 105 * r**4)
    return tail if x > 0 else 1 - tail


def normal_cdf(x):
    """Phi(x) = Phi_c(-x).

    >>> mpmath.nstr(normal_cdf(1.96), 6)
    '0.975002'
    """
    return normal_sf(-mpmath.mpf(x))


def normal_pdf(x):
    """phi(x).

    >>> mpmath.nstr(normal_pdf(0), 6)   # 1/sqrt(2 pi)
    '0.398942'
    """
    return mpmath.exp(-x * x / 2) / mpmath.sqrt(2 * mpmath.pi)


def normal_ppf(p):
    """Phi^{-1}(p) for 0 < p < 1 (= -sqrt(2) erfcinv(2p)).

    >>> mpmath.nstr(normal_ppf(0.975), 6)
    '1.95996'
    """
    return mpmath.sqrt(2) * mpmath.erfinv(2 * mpmath.mpf(p) - 1)


def beta_of_gamma(n, gamma) -> mpmath.mpf:
    """beta = sqrt(2 gamma ln n), the regime of thm:nC-sufficient.

    >>> mpmath.nstr(beta_of_gamma(10**4, 0.5), 6)   # sqrt(ln 10^4)
    '3.03485'
    """
    with mpmath.workdps(DPS):
        return mpmath.sqrt(2 * as_gamma(gamma) * mpmath.log(as_n(n)))


# --- lem:lognormal-tilt, prop:k-eps-rule, prop:norm-sparsity ----------------------------------

@register_bound("lem:lognormal-tilt")
def lognormal_tilt(beta, t, n=1) -> dict:
    """The expectations of lem:lognormal-tilt at (beta > 0, t), counts for n keys.

    >>> r = lognormal_tilt(1.0, 0.5, 100)
    >>> [mpmath.nstr(r[key], 6) for key in ("E[e^s]", "E[e^s 1{s>t}]", "E[e^2s]", "share_t", "count_t")]
    ['1.64872', '1.14003', '7.38906', '0.691462', '30.8538']
    """
    b, nn = as_beta(beta), as_n(n)
    if b == 0:
        raise ValueError("beta must be > 0 for lem:lognormal-tilt (beta = 0 has no density)")
    with mpmath.workdps(DPS):
        tt = mpmath.mpf(t)
        share = normal_sf(tt / b - b)
        return {"E[e^s]": mpmath.exp(b**2 / 2), "E[e^s 1{s>t}]": mpmath.exp(b**2 / 2) * share,
                "E[e^2s]": mpmath.exp(2 * b**2), "share_t": share, "count_t": nn * normal_sf(tt / b)}


@register_bound("prop:k-eps-rule")
def k_eps_rule(beta, eps, n=1) -> dict:
    """Limiting fraction Phi_c(beta + Phi^{-1}(eps)) of keys carrying 1 - eps of the mass: the
    registry's formula of prop:k-eps-rule, lambdified (`bounds.compile_bound`, the one k-eps rule).

    >>> round(float(k_eps_rule(1.0, 0.1, 1000)["k"]), 3)
    610.856
    """
    b, e, nn = as_beta(beta), as_open_unit(eps, "eps"), as_n(n)
    _, fraction = compile_bound("prop:k-eps-rule")
    with mpmath.workdps(DPS):
        f = fraction(mpmath.mpf(b), mpmath.mpf(e))
        return {"fraction": f, "k": nn * f}


@register_bound("prop:norm-sparsity")
def norm_sparsity(beta, eps) -> dict:
    """The k-eps fraction and its derivative in beta, -phi(beta + Phi^{-1}(eps)) < 0.

    >>> {key: mpmath.nstr(v, 6) for key, v in norm_sparsity(1.0, 0.1).items()}
    {'fraction': '0.610856', 'derivative': '-0.383439'}
    """
    b, e = as_beta(beta), as_open_unit(eps, "eps")
    with mpmath.workdps(DPS):
        return {"fraction": k_eps_rule(b, e)["fraction"], "derivative": -normal_pdf(b + normal_ppf(e))}


@register_bound("prop:phase-diagram")
def phase_exponent(gamma) -> dict:
    """The exponent kappa of k = n^{kappa + o(1)}: 1 - gamma below collapse, 0 above (cited).

    >>> phase_exponent(0.25), phase_exponent(2)["regime"]
    ({'kappa': mpf('0.75'), 'regime': 'sparse'}, 'collapse')
    """
    g = as_gamma(gamma)
    regime = "dense" if g == 0 else ("sparse" if g < 1 else "collapse")
    return {"kappa": 1 - g if g < 1 else mpmath.mpf(0), "regime": regime}


# --- lem:partition-lower --------------------------------------------------------------------

def truncation_grid(n: int, b, delta) -> list:
    """Truncation levels c = beta u, u on [-6, max(2 beta, sqrt(2 ln(n/delta))) + 6]: at least GRID
    points and spacing at most GRID_STEP in u, so the grid refines as beta grows (the asymptotic proof
    of thm:nC-sufficient needs a level c = beta^2 + y beta for every y up to O(1), whatever beta).

    >>> grid = truncation_grid(1000, mpmath.mpf(1), 1e-4)
    >>> len(grid), mpmath.nstr(grid[0], 6), mpmath.nstr(grid[-1], 6)
    (160, '-6.0', '11.6777')
    >>> len(truncation_grid(10**1000, beta_of_gamma(10**1000, 0.99), 1e-4))
    1178
    """
    hi = max(2 * b, mpmath.sqrt(2 * mpmath.log(n / mpmath.mpf(delta)))) + 6
    points = min(GRID_MAX, max(GRID, int(mpmath.ceil((hi + 6) / GRID_STEP)) + 1))
    return [b * (-6 + (hi + 6) * i / (points - 1)) for i in range(points)]


def maurer_term(n: int, b, delta, c):
    """n e^{b^2/2} Phi(c/b - b) - sqrt(2 n e^{2 b^2} Phi(c/b - 2b) ln(1/delta)); c = inf allowed.

    >>> mpmath.nstr(maurer_term(1000, mpmath.mpf(1), 1e-4, mpmath.inf), 6)
    '1279.79'
    """
    lg = mpmath.log(1 / mpmath.mpf(delta))
    if c == mpmath.inf:
        return n * mpmath.exp(b**2 / 2) - mpmath.exp(b**2) * mpmath.sqrt(2 * n * lg)
    return (n * mpmath.exp(b**2 / 2) * normal_cdf(c / b - b)
            - mpmath.sqrt(2 * n * mpmath.exp(2 * b**2) * normal_cdf(c / b - 2 * b) * lg))


def count_term(n: int, b, delta, c):
    """e^c (n Phi_c(c/b) - sqrt(n ln(1/delta) / 2)): Hoeffding on #{s_j > c}.

    >>> mpmath.nstr(count_term(1000, mpmath.mpf(1), 1e-4, mpmath.mpf(0)), 6)
    '432.139'
    """
    return mpmath.exp(c) * (n * normal_sf(c / b) - mpmath.sqrt(n * mpmath.log(1 / mpmath.mpf(delta)) / 2))


@register_bound("lem:partition-lower")
def partition_lower(n, beta, delta=DEFAULT_DELTA) -> dict:
    """L(n, beta, delta): with probability >= 1 - delta, Z = sum_j e^{s_j} >= L.

    The larger of (a) Maurer's lower tail for the truncated terms, best over the grid and
    c = inf, and (b) Hoeffding on the count above c, best over the grid. `vacuous` when L <= 0.

    >>> p = partition_lower(4096, 2.0)          # E Z = 4096 e^2 = 30265
    >>> mpmath.nstr(p["L"], 6), p["vacuous"]
    ('19971.8', False)
    >>> partition_lower(1, 1.0)["vacuous"]
    True
    """
    nn, b, d = as_n(n), as_beta(beta), as_open_unit(delta, "delta")
    with mpmath.workdps(DPS):
        if b == 0:  # every score is 0: Z = n surely
            L = mpmath.mpf(nn)
            return {"L": L, "log_L": mpmath.log(L), "maurer": L, "c_maurer": mpmath.inf,
                    "count": L, "c_count": mpmath.mpf(0), "vacuous": False}
        grid = truncation_grid(nn, b, d)
        a_val, a_c = max(((maurer_term(nn, b, d, c), c) for c in [*grid, mpmath.inf]),
                         key=lambda x: x[0])
        c_val, c_c = max(((count_term(nn, b, d, c), c) for c in grid), key=lambda x: x[0])
        L = max(a_val, c_val)
        out = {"L": L, "log_L": mpmath.log(L) if L > 0 else None, "maurer": a_val, "c_maurer": a_c,
               "count": c_val, "c_count": c_c, "vacuous": not L > 0}
        if out["vacuous"]:
            out["reason"] = f"L = {mpmath.nstr(L, 5)} <= 0: n = {nn} is too small for delta = {d}"
        return out


# --- lem:count-upper ------------------------------------------------------------------------

def bernstein_u(mean_var, delta):
    """u = ln(1/delta)/3 + sqrt(ln^2(1/delta)/9 + 2 var ln(1/delta)) (one-sided Bernstein).

    >>> mpmath.nstr(bernstein_u(10, 1e-4), 6)
    '16.9853'
    """
    lg = mpmath.log(1 / mpmath.mpf(delta))
    return lg / 3 + mpmath.sqrt(lg**2 / 9 + 2 * mean_var * lg)


def binomial_quantile(n: int, p, delta) -> int | None:
    """Smallest m with P(Bin(n, p) > m) <= delta (p rounded up); None when n > EXACT_N_MAX.

    >>> binomial_quantile(1000, 0.01, 1e-4), binomial_quantile(2**41, 0.5, 1e-4)
    (24, None)
    """
    if n > EXACT_N_MAX:
        return None
    pf = min(1.0, math.nextafter(float(p), 2.0)) if p > 0 else 0.0
    if pf == 0.0:
        return 0
    m = int(binom.isf(delta, n, pf))
    while m < n and binom.sf(m, n, pf) > delta:   # guard the float64 inversion both ways
        m += 1
    while m > 0 and binom.sf(m - 1, n, pf) <= delta:
        m -= 1
    return m


def _count(nn: int, p, d) -> dict:
    u = bernstein_u(nn * p * (1 - p), d)
    bound = nn * p + u
    return {"p": p, "mean": nn * p, "u": u, "bound": bound,
            "k": min(nn, int(mpmath.floor(bound))), "k_exact": binomial_quantile(nn, p, d)}


def _sf_over(t, b):
    """P(s > t) for s ~ N(0, b^2) (b = 0: s = 0)."""
    if b == 0:
        return mpmath.mpf(1) if t < 0 else mpmath.mpf(0)
    return normal_sf(t / b)


@register_bound("lem:count-upper")
def count_upper(n, beta, t, delta=DEFAULT_DELTA) -> dict:
    """With probability >= 1 - delta, N_t = #{s_j > t} <= k (Bernstein) and <= k_exact.

    >>> c = count_upper(4096, 2.0, 5.0)
    >>> c["k"], c["k_exact"], mpmath.nstr(c["mean"], 6)
    (50, 46, '25.4348')
    """
    nn, b, d = as_n(n), as_beta(beta), as_open_unit(delta, "delta")
    with mpmath.workdps(DPS):
        return _count(nn, _sf_over(mpmath.mpf(t), b), d)


# --- thm:sparse-whp, thm:error-whp ----------------------------------------------------------

@register_bound("thm:sparse-whp")
def sparse_whp(n, beta, eps, delta=DEFAULT_DELTA) -> dict:
    """k such that a is (eps, k)-sparse with probability >= 1 - delta.

    t = ln(eps L(n, beta, delta/2)); k_bernstein = floor(np + u) at delta/2 (the theorem's k) and
    k_exact (the exact binomial quantile at delta/2, also valid and tighter). The headline k is
    the smallest of those and the sure bound k_trivial = min(n, ceil(1/eps) - 1) (more weights
    above eps would sum past 1); `capped` and `reason` say when the sure bound wins. `vacuous`
    when k = n (every row is (eps, n)-sparse: the output says nothing).

    >>> r = sparse_whp(4096, 2.0, 1e-3)
    >>> r["k"], r["k_bernstein"], r["k_exact"], mpmath.nstr(r["t"], 6), r["vacuous"]
    (344, 354, 344, '2.97994', False)
    >>> r = sparse_whp(64, 8.0, 0.3)
    >>> r["k"], r["k_bernstein"], r["capped"], r["vacuous"]
    (3, 41, True, False)
    """
    nn, b = as_n(n), as_beta(beta)
    e, d = as_open_unit(eps, "eps"), as_open_unit(delta, "delta")
    kt = k_trivial(nn, e)
    with mpmath.workdps(DPS):
        part = partition_lower(nn, b, d / 2)
        if part["vacuous"]:
            out = {"k_bernstein": nn, "k_exact": nn, "t": None, "L": part["L"], "reason": part["reason"]}
        else:
            t = mpmath.log(e) + part["log_L"]
            cnt = _count(nn, _sf_over(t, b), d / 2)
            k_exact = cnt["k_exact"]
            out = {"k_bernstein": cnt["k"], "k_exact": cnt["k"] if k_exact is None else k_exact, "t": t,
                   "L": part["L"], "p": cnt["p"], "np": cnt["mean"], "u": cnt["u"]}
            if k_exact is None:
                out["note"] = f"n > {EXACT_N_MAX}: exact quantile not computed, Bernstein used"
            if cnt["k"] >= nn:
                out["reason"] = (f"the count bound {mpmath.nstr(cnt['bound'], 6)} >= n: "
                                 "every a is (eps, n)-sparse")
        k_prob = min(out["k_bernstein"], out["k_exact"])
        out.update(k=min(k_prob, kt), k_trivial=kt, capped=kt < k_prob, vacuous=min(k_prob, kt) >= nn)
        if out["capped"]:
            out["reason"] = (f"k = ceil(1/eps) - 1 = {kt} holds surely (more weights above eps would sum "
                             f"past 1); the probabilistic bound gave {k_prob}")
        return out


def _direct_t(nn: int, b, k: int, d3):
    """Smallest t (bisection, 80 steps) whose count bound at d3 is <= k; None if none is."""
    def fits(t):
        c = _count(nn, _sf_over(t, b), d3)
        return (c["k"] if c["k_exact"] is None else c["k_exact"]) <= k
    hi = b * (mpmath.sqrt(2 * mpmath.log(3 * mpmath.mpf(nn) / d3)) + 1)
    if not fits(hi):
        return None
    lo = -10 * b
    if fits(lo):
        return lo
    for _ in range(80):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if fits(mid) else (mid, hi)
    return hi


def upper_tail_sum(n: int, b, t, delta):
    """U_t: with probability >= 1 - delta, T_t = sum_j e^{s_j} 1{s_j <= t} <= U_t (Bernstein).

    >>> mpmath.nstr(upper_tail_sum(4096, mpmath.mpf(2), mpmath.mpf(5), 1e-4), 6)
    '25286.2'
    """
    lg = mpmath.log(1 / mpmath.mpf(delta))
    var = n * mpmath.exp(2 * b**2) * normal_cdf(t / b - 2 * b)
    return (n * mpmath.exp(b**2 / 2) * normal_cdf(t / b - b) + mpmath.exp(t) * lg / 3
            + mpmath.sqrt(mpmath.exp(2 * t) * lg**2 / 9 + 2 * var * lg))


def tail_bound_direct(n, beta, k, delta=DEFAULT_DELTA) -> dict:
    """The direct form of thm:error-whp: with probability >= 1 - delta, tau_k <= U_t / L.

    Events at delta/3 each: Z >= L, N_t <= k (count bound), T_t <= U_t; t is the smallest
    level whose count bound fits k. `vacuous` when no t fits or L <= 0.

    >>> d = tail_bound_direct(4096, 2.0, 256)
    >>> mpmath.nstr(d["tau"], 6), mpmath.nstr(d["t"], 6), d["vacuous"]
    ('0.651783', '3.31553', False)
    """
    nn, b, d = as_n(n), as_beta(beta), as_open_unit(delta, "delta")
    kk = as_k_of(k, nn)
    with mpmath.workdps(DPS):
        if kk == nn:
            return {"tau": mpmath.mpf(0), "t": None, "U_t": mpmath.mpf(0), "L": None, "vacuous": False}
        if b == 0:  # tau_k = (n - k)/n surely
            return {"tau": mpmath.mpf(nn - kk) / nn, "t": None, "U_t": None, "L": mpmath.mpf(nn),
                    "vacuous": False}
        part = partition_lower(nn, b, d / 3)
        t = _direct_t(nn, b, kk, d / 3)
        if part["vacuous"] or t is None:
            why = part.get("reason") or f"no level t has a count bound <= k = {kk} at delta/3"
            return {"tau": mpmath.mpf(1), "t": t, "U_t": None, "L": part["L"], "vacuous": True,
                    "reason": why}
        U = upper_tail_sum(nn, b, t, d / 3)
        tau = min(mpmath.mpf(1), U / part["L"])
        return {"tau": tau, "t": t, "U_t": U, "L": part["L"], "vacuous": tau >= 1}


@register_bound("thm:error-whp")
def error_whp(n, beta, eps, delta=DEFAULT_DELTA, k=None, v_max=1) -> dict:
    """Bounds on tau_k and on ||o - o_hat||_inf <= 2 tau max|V|, each with probability >= 1 - delta.

    eps form: tau_k <= min(1, (n - k) eps) for k >= the k of thm:sparse-whp (None below it);
    direct form: tau_k <= U_t / L. k defaults to the k of thm:sparse-whp. A tau bound >= 1 says
    nothing (tau_k <= 1 always): `vacuous` is True unless one of the two forms is below 1, and
    `reason` says why.

    >>> e = error_whp(4096, 2.0, 1e-3)
    >>> e["k"], mpmath.nstr(e["tau_eps_form"], 6), mpmath.nstr(e["tau_direct"], 6), e["vacuous"]
    (344, '1.0', '0.540258', False)
    >>> error_whp(256, 0.5, 1e-2)["vacuous"]
    True
    """
    nn = as_n(n)
    sp_ = sparse_whp(nn, beta, eps, delta)
    kk = sp_["k"] if k is None else as_k_of(k, nn)
    v_max = as_nonnegative(v_max, "v_max")
    with mpmath.workdps(DPS):
        covered = not sp_["vacuous"] and kk >= sp_["k"]
        tau_eps = min(mpmath.mpf(1), (nn - kk) * mpmath.mpf(as_open_unit(eps, "eps"))) if covered else None
        direct = tail_bound_direct(nn, beta, max(kk, 1), delta)
        vm = mpmath.mpf(v_max)
        err_eps = None if tau_eps is None else 2 * tau_eps * vm
        vacuous = direct["tau"] >= 1 and (tau_eps is None or tau_eps >= 1)
        out = {"k": kk, "tau_eps_form": tau_eps, "err_eps_form": err_eps, "tau_direct": direct["tau"],
               "err_direct": 2 * direct["tau"] * vm, "t_direct": direct["t"], "U_t": direct["U_t"],
               "L_direct": direct["L"], "vacuous": vacuous}
        if vacuous:
            out["reason"] = ("both tau bounds are >= 1 (tau_k <= 1 holds always)" if tau_eps is not None
                             else f"the direct bound is >= 1 and k = {kk} is below the k of "
                                  "thm:sparse-whp, so the eps form does not apply")
        return out


# --- the regime beta^2 = 2 gamma ln n ------------------------------------------------------

@register_bound("thm:polylog-insufficient")
def polylog_insufficient(n, beta, k, delta=DEFAULT_DELTA) -> dict:
    """With probability >= 1 - delta: max_j a_j <= e^M / L and tau_k >= 1 - k e^M / L.

    M = beta sqrt(2 ln(n/delta')) with delta' = delta/2 (P(max s > M) <= delta'/2), L at delta/2.
    `exponent` is (1 - sqrt(gamma))^2 for gamma = beta^2 / (2 ln n) (n > 1).

    >>> r = polylog_insufficient(10**8, beta_of_gamma(10**8, 0.25), 19)
    >>> mpmath.nstr(r["M"], 6), mpmath.nstr(r["max_weight"], 6), r["vacuous"]   # k = ln n: still vacuous
    ('22.8419', '0.857963', True)
    """
    nn, b, d = as_n(n), as_beta(beta), as_open_unit(delta, "delta")
    kk = as_k_of(k, nn)
    with mpmath.workdps(DPS):
        dp = mpmath.mpf(d) / 2
        M = b * mpmath.sqrt(2 * mpmath.log(mpmath.mpf(nn) / dp))
        part = partition_lower(nn, b, dp)
        g = b**2 / (2 * mpmath.log(nn)) if nn > 1 else None
        out = {"M": M, "L": part["L"], "exponent": None if g is None else (1 - mpmath.sqrt(g))**2}
        if part["vacuous"]:
            return {**out, "max_weight": mpmath.mpf(1), "tau_lower": mpmath.mpf(0), "vacuous": True,
                    "reason": part["reason"]}
        w = min(mpmath.mpf(1), mpmath.exp(M - part["log_L"]))
        tau_lo = max(mpmath.mpf(0), 1 - kk * w)
        return {**out, "max_weight": w, "tau_lower": tau_lo, "vacuous": tau_lo == 0}


@register_bound("thm:nC-sufficient")
def nc_sufficient(n, gamma, C, alpha=1, delta=DEFAULT_DELTA) -> dict:
    """k = ceil(alpha n^C) at beta = sqrt(2 gamma ln n): the direct bound on tau_k (w.p. 1 - delta).

    >>> r = nc_sufficient(10**8, 0.25, 0.9)
    >>> r["k"], mpmath.nstr(r["tau_bound"], 6), r["C_above_exponent"]
    (15848932, '0.0216868', True)
    """
    nn, g = as_n(n), as_gamma(gamma)
    C, alpha = as_positive_real(C, "C"), as_positive_real(alpha, "alpha")
    with mpmath.workdps(DPS):
        kk = min(nn, int(mpmath.ceil(mpmath.mpf(alpha) * mpmath.mpf(nn) ** C)))
        b = beta_of_gamma(nn, g)
        direct = tail_bound_direct(nn, b, kk, delta)
        return {"k": kk, "beta": b, "tau_bound": direct["tau"], "exponent": 1 - g,
                "C_above_exponent": C > 1 - g, "vacuous": direct["vacuous"]}


def _explicit_parts():
    """thm:nC-explicit's quantities as the registry states them: U (relation 0 is tau <= U / L), the count
    bound N (hypothesis k >= N) and L_w (hypothesis L <= L_w), each compiled for mpmath, and theta_star."""
    from ..proofs import get
    from ..proofs.gaussian import L, theta_star  # the symbol L and the margin the limits are taken at

    r = get("thm:nC-explicit")
    by_lhs = {str(h.lhs): h.rhs for h in r.hypotheses}
    exprs = {"U": r.relations()[0].rhs * L, "N": by_lhs["k"], "L_w": by_lhs["L"], "theta": theta_star}
    return {name: compile_expr(e, "mpmath") for name, e in exprs.items()}


def _gamma_c(gamma, C, above=True, result="thm:nC-explicit"):
    """gamma in (0, 1) and C above 1 - gamma (`above`) or in (0, 1 - gamma), as `result` needs them."""
    g, c = as_gamma(gamma), mpmath.mpf(as_positive_real(C, "C"))
    if not 0 < g < 1:
        raise ValueError(f"gamma must be in (0, 1) for {result}, got {gamma}")
    if (c > 1 - g) != above:
        side = ">" if above else "<"
        raise ValueError(f"C must be {side} 1 - gamma = {mpmath.nstr(1 - g, 6)} for {result}, got {C}")
    return g, c


def _regime_values(n, gamma, C, alpha, delta, theta, *, above: bool, result: str):
    """The checked inputs of an asymptotic bound at n: (n, alpha, the registry's values by name: n, gamma,
    C, delta and beta = sqrt(2 gamma ln n)), call inside mpmath.workdps(DPS)."""
    nn = as_n(n)
    g, c = _gamma_c(gamma, C, above=above, result=result)
    a, d = mpmath.mpf(as_positive_real(alpha, "alpha")), as_open_unit(delta, "delta")
    if theta is not None and not 0 < as_positive_real(theta, "theta") < 1:
        raise ValueError(f"theta must be in (0, 1), got {theta}")
    values = {"n": mpmath.mpf(nn), "gamma": g, "C": c, "delta": mpmath.mpf(d), "beta": beta_of_gamma(nn, g)}
    return nn, a, values


def _at(parts: dict, values: dict, name: str):
    """The compiled registry expression `name` of `parts` at `values` (by symbol name)."""
    names, f = parts[name]
    return f(*(values[str(x)] for x in names))


def _necessary_parts():
    """thm:nC-necessary-explicit's quantities as the registry states them: the numerator B of its bound
    1 - tau_k <= B / L (relation 0), L_w (hypothesis L <= L_w) and theta_low, compiled for mpmath."""
    from ..proofs import get
    from ..proofs.gaussian import L, theta_low

    r = get("thm:nC-necessary-explicit")
    by_lhs = {str(h.lhs): h.rhs for h in r.hypotheses}
    exprs = {"B": r.relations()[0].rhs * L, "L_w": by_lhs["L"], "theta": theta_low}
    return {name: compile_expr(e, "mpmath") for name, e in exprs.items()}


@register_bound("thm:nC-necessary-explicit")
def nc_necessary_explicit(n, gamma, C, alpha=1, delta=DEFAULT_DELTA, theta=None) -> dict:
    """thm:nC-necessary-explicit at n, beta = sqrt(2 gamma ln n), the margin theta (default theta_low(gamma,
    C), the one its limits are taken at) and every window k <= K = alpha n^C: L_w and the lower bound
    1 - B / L_w on tau_k (w.p. 1 - delta) where L_w > 0; otherwise `vacuous`. Every quantity is the
    registry formula's, evaluated in mpmath.

    >>> nc_necessary_explicit(10**60, 0.25, 0.3)["vacuous"]           # at theta_low: Markov's 1/delta wins
    True
    >>> [mpmath.nstr(nc_necessary_explicit(10**e, 0.25, 0.3, theta=0.7)["tau_lower"], 4) for e in (30, 60)]
    ['0.0', '0.9993']
    """
    parts = _necessary_parts()
    with mpmath.workdps(DPS):
        nn, a, values = _regime_values(n, gamma, C, alpha, delta, theta, above=False,
                                       result="thm:nC-necessary-explicit")
        values["K"] = a * mpmath.mpf(nn) ** values["C"]

        def at(name):
            return _at(parts, values, name)

        values["theta"] = at("theta") if theta is None else mpmath.mpf(theta)
        out = {"K": values["K"], "theta": values["theta"], "beta": values["beta"], "L_w": at("L_w"),
               "B": at("B")}
        if out["L_w"] <= 0:
            return {**out, "holds": False, "tau_lower": mpmath.mpf(0), "vacuous": True, "reason": "L_w <= 0"}
        lower = max(mpmath.mpf(0), 1 - out["B"] / out["L_w"])
        return {**out, "holds": True, "tau_lower": lower, "vacuous": lower == 0}


@register_bound("thm:nC-explicit")
def nc_explicit(n, gamma, C, alpha=1, delta=DEFAULT_DELTA, theta=None) -> dict:
    """thm:nC-explicit at n, beta = sqrt(2 gamma ln n), the margin theta (default theta_star(gamma, C), the
    one its limits are taken at; its bound holds for every theta in (0, 1) fixed before sampling) and the
    window k = ceil(alpha n^C): the count bound N, L_w, and the bound U / L_w on tau_k (w.p. 1 - delta)
    where the theorem's hypotheses hold (k >= N and L_w > 0); otherwise `vacuous` with the reason. Every
    quantity is the registry formula's, evaluated in mpmath.

    >>> r = nc_explicit(10**12, 0.25, 0.9)
    >>> r["holds"], mpmath.nstr(r["theta"], 4), mpmath.nstr(r["tau_bound"], 4)   # theta_star: vacuous
    (True, '0.0625', '36.87')
    >>> [mpmath.nstr(nc_explicit(10**e, 0.25, 0.9, theta=0.35)["tau_bound"], 4) for e in (12, 30, 60)]
    ['0.7528', '0.1371', '0.01475']
    """
    parts = _explicit_parts()
    with mpmath.workdps(DPS):
        nn, a, values = _regime_values(n, gamma, C, alpha, delta, theta, above=True, result="thm:nC-explicit")
        values["L"] = mpmath.mpf(1)
        c = values["C"]

        def at(name):
            return _at(parts, values, name)

        values["theta"] = at("theta") if theta is None else mpmath.mpf(theta)
        kk = int(mpmath.ceil(a * mpmath.mpf(nn) ** c))
        out = {"k": kk, "theta": values["theta"], "beta": values["beta"], "count_bound": at("N"),
               "L_w": at("L_w"), "U": at("U")}
        reasons = []
        if kk < out["count_bound"]:
            reasons.append(f"k = {kk} is below the count bound {mpmath.nstr(out['count_bound'], 6)}")
        if out["L_w"] <= 0:
            reasons.append("L_w <= 0")
        if reasons:
            return {**out, "holds": False, "tau_bound": mpmath.mpf(1), "vacuous": True,
                    "reason": "; ".join(reasons)}
        bound = out["U"] / out["L_w"]
        return {**out, "holds": True, "tau_bound": bound, "vacuous": bound >= 1}


def nc_explicit_n0(gamma, C, alpha=1, delta=DEFAULT_DELTA, max_log10: int = 300, step: int = 8) -> dict:
    """A numerical n_0 of thm:nC-explicit: the first n on the grid 10^(j/step) (n >= 10) from which its
    hypotheses hold with k = ceil(alpha n^C) and L = L_w, and its bound on tau_k is < 1, at every grid point
    up to 10^max_log10. A grid check, not a proof that nothing fails between grid points or beyond.

    >>> nc_explicit_n0(0.5, 0.9)["log10_n0"]   # theta_star is small: the bound tends to 0 slowly
    109.75
    """
    return _grid_n0(lambda nn: nc_explicit(nn, gamma, C, alpha, delta)["vacuous"], max_log10, step)


def nc_necessary_n0(gamma, C, alpha=1, delta=DEFAULT_DELTA, theta=None, max_log10: int = 300,
                    step: int = 8) -> dict:
    """A numerical n_0 of thm:nC-necessary-explicit at the margin theta (default theta_low): the first n on
    the grid 10^(j/step) (n >= 10) from which L_w > 0 and its lower bound on tau_k (k <= alpha n^C) is > 0,
    at every grid point up to 10^max_log10. A grid check, not a proof.

    >>> nc_necessary_n0(0.25, 0.3)["reason"]          # theta_low is small: Markov's 1/delta wins long
    'the bound is vacuous at n = 10^300'
    >>> nc_necessary_n0(0.25, 0.3, theta=0.7)["log10_n0"]
    34.125
    """
    return _grid_n0(lambda nn: nc_necessary_explicit(nn, gamma, C, alpha, delta, theta)["vacuous"], max_log10,
                    step)


def _grid_n0(vacuous, max_log10: int, step: int) -> dict:
    """The first n on the grid 10^(j/step), 1 <= j/step <= max_log10, from which `vacuous(n)` is False at
    every grid point."""
    if not (isinstance(max_log10, int) and 1 <= max_log10 <= 10000):
        raise ValueError(f"max_log10 must be an integer in [1, 10000], got {max_log10!r}")
    if not (isinstance(step, int) and 1 <= step <= 64):
        raise ValueError(f"step must be an integer in [1, 64], got {step!r}")
    first = None
    for j in range(step, max_log10 * step + 1):
        with mpmath.workdps(DPS):
            nn = int(mpmath.ceil(mpmath.power(10, mpmath.mpf(j) / step)))
        if vacuous(nn):
            first = None
        elif first is None:
            first = (j, nn)
    if first is None:
        return {"n0": None, "log10_n0": None, "reason": f"the bound is vacuous at n = 10^{max_log10}"}
    return {"n0": first[1], "log10_n0": first[0] / step, "max_log10": max_log10}


@register_bound("cor:adaptive-window")
def adaptive_window(n, gamma, k, C, alpha=1, delta=DEFAULT_DELTA) -> dict:
    """Fixed window k: lower bound on tau_k; window ceil(alpha n^C): upper bound (each w.p. 1 - delta).

    >>> r = adaptive_window(10**8, 0.25, 19, 0.9)
    >>> r["k_fixed"], r["k_adaptive"], mpmath.nstr(r["tau_adaptive_upper"], 6)
    (19, 15848932, '0.0216868')
    """
    nn = as_n(n)
    kk = as_k_of(k, nn)
    b = beta_of_gamma(nn, gamma)
    fixed = polylog_insufficient(nn, b, kk, delta)
    adaptive = nc_sufficient(nn, gamma, C, alpha, delta)
    return {"k_fixed": kk, "tau_fixed_lower": fixed["tau_lower"], "k_adaptive": adaptive["k"],
            "tau_adaptive_upper": adaptive["tau_bound"], "beta": b}
