"""numeric.gaussian: the explicit bounds of the Gaussian model.

- The formulas: each bound agrees with the registry's SymPy formula, works at any n, and rejects bad
  input with an error that names the argument.
- The certificates: for seeded rows and the numbers L, t, M, k that numeric.gaussian produces, ball
  arithmetic *proves* the deterministic implications inside the proofs (a failed or undecided
  comparison fails the test).
- The high-probability statements, held against seeded Monte Carlo: each test rejects "P(fail) <= delta"
  only when the one-sided Clopper-Pearson lower bound on the failure rate, at level
  FALSE_ALARM / (number of comparisons), exceeds delta; so when every statement is true, each test
  raises a false alarm with probability <= FALSE_ALARM = 1e-6.
"""

import math
import os
from fractions import Fraction

import mpmath
import pytest
import sympy as sp
from flint import arb
from hypothesis import example, given, settings, target
from hypothesis import strategies as st

from natsparse.numeric import bounds, stats
from natsparse.numeric import gaussian as G
from natsparse.numeric import montecarlo as MC
from natsparse.numeric.arb import certainly_le, certainly_lt, exact, precision
from natsparse.proofs import gaussian as PG
from natsparse.proofs import get
from natsparse.proofs.symbols import C, alpha, beta, delta, delta_p, eps, gamma, k, n, t

# --- the formulas ---------------------------------------------------------------------------------

DIGITS = 25


def ev(expr, subs=None):
    """Evaluate a SymPy formula at 34 digits; floats enter as their exact binary value, as in mpmath."""
    exact = {key: sp.Float(v, 34) if isinstance(v, float) else v for key, v in (subs or {}).items()}
    with mpmath.workdps(34):
        return mpmath.mpf(str(sp.N(expr.subs(exact).rewrite(sp.erfinv), 34)))


def F(x):
    """An mpmath number as a SymPy Float, without losing digits."""
    return sp.Float(mpmath.nstr(x, 34, strip_zeros=False), 34)


REL = mpmath.mpf(10) ** -DIGITS


def close(a, b, rel=REL):
    with mpmath.workdps(34):
        return abs(mpmath.mpf(a) - mpmath.mpf(b)) <= rel * (abs(mpmath.mpf(b)) + 1)


CASES = [(4096, 2.0, 1e-3, 1e-4), (256, 1.0, 1e-2, 0.05), (10**6, 3.0, 1e-4, 1e-6), (10**30, 5.0, 1e-3, 1e-4)]


@pytest.mark.parametrize("nn,b,e,d", CASES)
def test_partition_lower_matches_formula(nn, b, e, d):
    r = G.partition_lower(nn, b, d)
    rels = get("lem:partition-lower").relations()
    at = {n: nn, beta: b, delta_p: d}
    maurer = (ev(rels[1].rhs, at) if r["c_maurer"] == mpmath.inf
              else ev(rels[0].rhs.subs(PG.c_trunc, F(r["c_maurer"])), at))
    count = ev(rels[2].rhs.subs(PG.c_trunc, F(r["c_count"])), at)
    assert close(r["maurer"], maurer, mpmath.mpf(10) ** -20)
    assert close(r["count"], count, mpmath.mpf(10) ** -20)
    assert r["L"] == max(r["maurer"], r["count"])
    assert 0 < r["L"] <= nn * mpmath.exp(mpmath.mpf(b) ** 2 / 2)       # below E Z


@pytest.mark.parametrize("nn,b,e,d", CASES)
def test_sparse_whp_matches_formula(nn, b, e, d):
    r = G.sparse_whp(nn, b, e, d)
    rel_t, rel_k = get("thm:sparse-whp").relations()
    L = F(r["L"])
    t_formula = ev(rel_t.rhs.subs(PG.L, L), {eps: e})
    assert close(r["t"], t_formula, mpmath.mpf(10) ** -20)
    k_formula = int(ev(rel_k.rhs.subs(PG.L, L), {n: nn, beta: b, eps: e, delta: d}))
    assert r["k_bernstein"] == min(nn, k_formula)
    assert r["k"] == min(r["k_exact"], r["k_bernstein"], r["k_trivial"]) and r["k_exact"] <= r["k_bernstein"]
    cnt = G.count_upper(nn, b, float(r["t"]), d / 2)
    assert cnt["k"] == r["k_bernstein"] or abs(cnt["bound"] - (r["np"] + r["u"])) < 1e-6


@pytest.mark.parametrize("nn,b,e,d", CASES[:3])
def test_count_upper_matches_formula(nn, b, e, d):
    r = G.count_upper(nn, b, 1.5, d)
    f = ev(get("lem:count-upper").relations()[0].rhs, {n: nn, beta: b, t: 1.5, delta_p: d})
    assert close(r["bound"], f, mpmath.mpf(10) ** -20)
    assert r["k_exact"] <= r["k"]


@pytest.mark.parametrize("nn,b,e,d", CASES)
def test_error_whp_matches_formula(nn, b, e, d):
    r = G.error_whp(nn, b, e, d, k=max(1, nn // 8))
    rels = get("thm:error-whp").relations()
    kk = r["k"]
    if r["tau_eps_form"] is not None:
        assert close(r["tau_eps_form"], min(1, ev(rels[0].rhs, {n: nn, k: kk, eps: e})))
    if not r["vacuous"] and r["t_direct"] is not None:
        f = ev(rels[2].rhs.subs({PG.L: F(r["L_direct"])}),
               {n: nn, beta: b, t: F(r["t_direct"]), delta: d})
        assert close(r["tau_direct"], min(1, f), mpmath.mpf(10) ** -20)


@pytest.mark.parametrize("nn,g", [(4096, 0.25), (10**30, 0.5)])
def test_polylog_matches_formula(nn, g):
    b = float(G.beta_of_gamma(nn, g))
    r = G.polylog_insufficient(nn, b, 8, 1e-4)
    rels = get("thm:polylog-insufficient").relations()
    M = ev(rels[0].rhs, {beta: b, n: nn, delta_p: 0.5e-4})
    assert close(r["M"], M, mpmath.mpf(10) ** -20)
    w = ev(rels[1].rhs.subs({PG.M: F(M), PG.L: F(r["L"])}))
    assert close(r["max_weight"], min(1, w), mpmath.mpf(10) ** -20)
    assert close(r["tau_lower"], max(0, 1 - 8 * w), mpmath.mpf(10) ** -20)
    assert close(r["exponent"], ev(rels[3].rhs, {gamma: g}), mpmath.mpf(10) ** -12)


@pytest.mark.parametrize("b,e", [(0.3, 0.1), (2.0, 1e-3), (4.0, 0.5)])
def test_closed_forms_match_formula(b, e):
    rule = get("prop:k-eps-rule").relations()[0].rhs
    assert close(G.k_eps_rule(b, e)["fraction"], ev(rule, {beta: b, eps: e}))
    assert close(G.norm_sparsity(b, e)["derivative"],
                 ev(get("prop:norm-sparsity").relations()[0].rhs, {beta: b, eps: e}))
    tilt = G.lognormal_tilt(b, 0.7, 100)
    for rel, key in zip(get("lem:lognormal-tilt").relations(), tilt, strict=True):
        assert close(tilt[key], ev(rel.rhs, {beta: b, t: 0.7, n: 100})), key


def test_nc_and_phase_formulas():
    r = G.nc_sufficient(10**8, 0.3, 0.9, 2.0)
    scale, window = get("thm:nC-sufficient").hypotheses[2:]       # beta = sqrt(2 gamma ln n), k >= alpha n^C
    least = ev(window.rhs, {alpha: 2.0, n: 10**8, C: 0.9})
    assert least <= r["k"] < least + 1                              # k = ceil(alpha n^C)
    (exponent, below_one), _ = get("prop:phase-diagram").relations()[0].rhs.args
    assert close(r["exponent"], ev(exponent, {gamma: 0.3})) and below_one == (gamma < 1)
    assert close(r["beta"], ev(scale.rhs, {gamma: 0.3, n: 10**8}))
    for g in (0, 0.4, 1.7):
        kappa = get("prop:phase-diagram").relations()[0].rhs
        assert close(G.phase_exponent(g)["kappa"], ev(kappa, {gamma: g}))


def test_evaluate_route_and_cli_names():
    r = bounds.evaluate("thm:sparse-whp", n=4096, beta=2.0, eps=1e-3)
    assert r == G.sparse_whp(4096, 2.0, 1e-3, 1e-4) and "k" in r
    assert bounds.parameters("thm:sparse-whp") == ["n", "beta", "eps", "delta"]


def test_astronomical_n():
    nn = 10**30
    b = G.beta_of_gamma(nn, 0.5)
    for fn, args in [(G.partition_lower, (nn, b)), (G.sparse_whp, (nn, b, 1e-3)),
                     (G.error_whp, (nn, b, 1e-3)), (G.polylog_insufficient, (nn, b, 70)),
                     (G.nc_sufficient, (nn, 0.5, 0.8)), (G.adaptive_window, (nn, 0.5, 70, 0.8))]:
        out = fn(*args)
        assert all(v is None or not isinstance(v, mpmath.mpf) or mpmath.isfinite(v) for v in out.values())
    assert G.sparse_whp(nn, b, 1e-3)["k"] < nn


def test_asymptotic_behaviour_of_the_bounds():
    """tau bound for k = n^C falls to 0; the polylog lower bound for k = ln n rises from 0 (vacuous at
    n = 1e4) to 1 (gamma = 0.25)."""
    ns = [10**4, 10**8, 10**16, 10**30]
    up = [G.nc_sufficient(x, 0.25, 0.9)["tau_bound"] for x in ns]
    lo = [G.polylog_insufficient(x, G.beta_of_gamma(x, 0.25), math.ceil(math.log(x)))["tau_lower"]
          for x in ns]
    assert all(a > b for a, b in zip(up, up[1:], strict=False)) and up[-1] < 0.05
    assert all(a <= b for a, b in zip(lo, lo[1:], strict=False)) and lo[0] == 0 and lo[-1] > 0.99


@settings(max_examples=25, deadline=None)
@given(nn=st.integers(2, 10**6), b=st.floats(0, 5), e1=st.floats(1e-4, 0.4), d=st.floats(1e-6, 0.3))
def test_bound_properties(nn, b, e1, d):
    """k <= k_exact <= k_bernstein <= n, k <= ceil(1/eps) - 1; k is non-increasing in eps; L never
    exceeds E Z; tau bounds never exceed 1."""
    r1, r2 = G.sparse_whp(nn, b, e1, d), G.sparse_whp(nn, b, min(0.99, 2 * e1), d)
    assert 0 <= r1["k"] <= r1["k_exact"] <= r1["k_bernstein"] <= nn
    sure = math.ceil(1 / Fraction(str(e1))) - 1           # exact on eps's decimal (float 1/eps can round)
    assert r1["k"] <= sure and r1["capped"] == (r1["k_trivial"] < r1["k_exact"])
    assert r2["k"] <= r1["k"]
    L = G.partition_lower(nn, b, d)["L"]
    assert L <= nn * mpmath.exp(mpmath.mpf(b) ** 2 / 2) * (1 + mpmath.mpf(10) ** -25)


BAD = [
    (G.sparse_whp, dict(n=0, beta=1.0, eps=0.1), ValueError, "n must be a positive integer"),
    (G.sparse_whp, dict(n=10.5, beta=1.0, eps=0.1), TypeError, "n must be a positive integer"),
    (G.sparse_whp, dict(n="10", beta=1.0, eps=0.1), TypeError, "n must be a positive integer"),
    (G.sparse_whp, dict(n=10, beta=-1.0, eps=0.1), ValueError, "beta must be a finite real number >= 0"),
    (G.sparse_whp, dict(n=10, beta=float("nan"), eps=0.1), ValueError, "beta must be"),
    (G.sparse_whp, dict(n=10, beta=1.0, eps=0.0), ValueError, r"eps must be in \(0, 1\)"),
    (G.sparse_whp, dict(n=10, beta=1.0, eps=1.5), ValueError, r"eps must be in \(0, 1\)"),
    (G.sparse_whp, dict(n=10, beta=1.0, eps=0.1, delta=1.0), ValueError, r"delta must be in \(0, 1\)"),
    (G.partition_lower, dict(n=10, beta=1.0, delta=0), ValueError, r"delta must be in \(0, 1\)"),
    (G.polylog_insufficient, dict(n=10, beta=1.0, k=11), ValueError, "k must be an integer in"),
    (G.error_whp, dict(n=10, beta=1.0, eps=0.1, k=0), ValueError, "k must be a positive integer"),
    (G.error_whp, dict(n=10, beta=1.0, eps=0.1, v_max=-1), ValueError, "v_max must be"),
    (G.nc_sufficient, dict(n=10, gamma=-0.1, C=0.5), ValueError, "gamma must be"),
    (G.nc_sufficient, dict(n=10, gamma=0.1, C=0), ValueError, "C must be"),
    (G.lognormal_tilt, dict(beta=0.0, t=1.0), ValueError, "beta must be > 0"),
    (G.k_eps_rule, dict(beta=1.0, eps=1.0), ValueError, r"eps must be in \(0, 1\)"),
]


@pytest.mark.parametrize("fn,kw,exc,msg", BAD)
def test_bad_input_names_the_argument(fn, kw, exc, msg):
    with pytest.raises(exc, match=msg):
        fn(**kw)


def test_vacuous_regimes_are_explicit():
    p = G.partition_lower(1, 1.0, 1e-4)
    assert p["vacuous"] and p["L"] <= 0 and "reason" in p
    s = G.sparse_whp(1, 1.0, 0.5)
    assert s["vacuous"] and s["k"] == 1 and s["t"] is None
    s = G.sparse_whp(16, 1.0, 0.1)
    assert not s["vacuous"] and s["k"] == 9 and s["capped"] and "holds surely" in s["reason"]
    s = G.sparse_whp(16, 1.0, 0.01)
    assert s["vacuous"] and s["k"] == 16 and "reason" in s
    e = G.error_whp(4096, 2.0, 1e-3, k=8)
    assert e["tau_eps_form"] is None                      # k below the sparse-whp k: not covered


def test_trivial_bound_caps_k():
    """The issue's cases: k = 41 > 3 at (64, 8, 0.3) and 'vacuous' at (8, 8, 0.9) were wrong."""
    r = G.sparse_whp(64, 8.0, 0.3)
    assert r["k"] == 3 and r["k_bernstein"] > 3 and r["capped"] and not r["vacuous"]
    r = G.sparse_whp(8, 8.0, 0.9)
    assert r["k"] == 1 and not r["vacuous"] and "holds surely" in r["reason"]


def test_tau_bounds_at_least_one_are_vacuous():
    """A tau bound >= 1 is reported as vacuous, and (n - k) eps is capped at 1."""
    for nn, b, e in [(256, 0.5, 1e-2), (256, 2.0, 1e-2), (4096, 2.0, 1e-3), (1024, 1.0, 1e-3)]:
        r = G.error_whp(nn, b, e)
        forms = [x for x in (r["tau_eps_form"], r["tau_direct"]) if x is not None]
        assert all(x <= 1 for x in forms)
        assert r["vacuous"] == all(x >= 1 for x in forms)
        assert not r["vacuous"] or "reason" in r
    d = G.tail_bound_direct(256, 2.0, 3)
    assert d["vacuous"] and d["tau"] == 1


def test_beta_zero_is_exact():
    assert G.partition_lower(100, 0.0)["L"] == 100
    assert G.sparse_whp(100, 0.0, 0.02)["k_exact"] == 0       # a_j = 1/100 <= 0.02
    assert G.sparse_whp(100, 0.0, 0.005)["k"] == 100          # a_j = 1/100 > 0.005
    assert close(G.tail_bound_direct(100, 0.0, 30)["tau"] * 10, 7)


def test_normal_tails_switch_to_the_asymptotic_series():
    """Below 1e4 erfc is used; at and beyond it the series agrees with erfc to 25 digits."""
    with mpmath.workdps(40):
        for x in (10**4, 2 * 10**4):
            via_erfc = mpmath.erfc(mpmath.mpf(x) / mpmath.sqrt(2)) / 2
            assert abs(G.normal_sf(x) / via_erfc - 1) < mpmath.mpf(10) ** -25
            assert G.normal_cdf(-x) == G.normal_sf(x)
    assert 0 < G.normal_sf(mpmath.mpf("1e300")) < mpmath.mpf(10) ** -1000
    assert G.normal_cdf(mpmath.mpf("1e300")) == 1


# --- certificates: arb proves the deterministic steps of the proofs on sampled rows ---------------
#
# For each seeded row and the bound numbers L, t, M, k produced by numeric.gaussian, ball
# arithmetic *proves* the implications the proofs use (a failed or undecided comparison fails):
# - thm:sparse-whp: on Z >= L, every j has a_j <= eps or s_j > t = ln(eps L), hence
#   #{a_j > eps} <= N_t;
# - thm:error-whp (direct form): on Z >= L and N_t <= k, tau_k <= T_t / Z <= T_t / L;
# - thm:polylog-insufficient: on Z >= L and max s <= M, max a_j <= e^M / L and
#   tau_k >= 1 - k e^M / L (lem:max-weight).

CERT_DPS = 40


def ball(x) -> arb:
    """A ball containing the mpmath number x (through its decimal expansion)."""
    return arb(mpmath.nstr(mpmath.mpf(x), 40, strip_zeros=False))


def _row(s):
    xs = [exact(float(v)) for v in s]
    e = [x.exp() for x in xs]
    Z = sum(e[1:], e[0])
    return xs, e, Z


@pytest.mark.parametrize("n,beta,eps", [(64, 0.5, 0.05), (200, 2.0, 1e-2), (128, 3.5, 1e-3)])
def test_sparse_and_direct_implications_are_certified(n, beta, eps):
    sw = G.sparse_whp(n, beta, eps, 0.05)
    rows = MC.sample_scores(n, beta, 12, seed=17).numpy()
    proved = 0
    with precision(CERT_DPS):
        L = ball(sw["L"])
        t = (exact(str(eps)) * L).log()
        for s in rows:
            xs, e, Z = _row(s)
            if not certainly_le(L, Z):
                continue                            # off the event: nothing is claimed
            above_eps = 0
            for x, ej in zip(xs, e, strict=True):
                a = ej / Z
                assert certainly_le(a, exact(str(eps))) or certainly_lt(t, x)
                above_eps += certainly_lt(exact(str(eps)), a)
            n_t = sum(certainly_lt(t, x) for x in xs)
            assert n_t == sum(not certainly_le(x, t) for x in xs)      # every comparison decided
            assert above_eps <= n_t
            # direct form at k = N_t (the event N_t <= k with k = N_t): tau_k <= T_t / L
            k = max(1, n_t)
            order = sorted(range(n), key=lambda j: (-s[j], j))
            assert all(certainly_le(xs[j], t) for j in order[k:])       # tail within {s_j <= t}
            T_t = sum((ej for x, ej in zip(xs, e, strict=True) if certainly_le(x, t)), arb(0))
            assert certainly_le(T_t / Z, T_t / L)                      # so tau_k <= T_t/Z <= T_t/L
            proved += 1
    assert proved >= 10


@pytest.mark.parametrize("n,gamma", [(256, 0.25), (1024, 0.6)])
def test_polylog_implication_is_certified(n, gamma):
    beta = float(G.beta_of_gamma(n, gamma))
    k = math.ceil(math.log(n))
    poly = G.polylog_insufficient(n, beta, k, 0.05)
    rows = MC.sample_scores(n, beta, 8, seed=23).numpy()
    proved = 0
    with precision(CERT_DPS):
        L, M = ball(poly["L"]), ball(poly["M"])
        w_bound = M.exp() / L
        for s in rows:
            xs, e, Z = _row(s)
            smax = max(xs, key=lambda b: b.mid())
            if not (certainly_le(L, Z) and certainly_le(smax, M)):
                continue
            a_max = smax.exp() / Z
            assert certainly_le(a_max, w_bound)
            order = sorted(range(n), key=lambda j: (-s[j], j))
            tau = sum((e[j] for j in order[k:]), arb(0)) / Z
            assert certainly_le(1 - k * a_max, tau)                    # lem:max-weight
            assert certainly_le(1 - k * w_bound, tau)
            proved += 1
    assert proved >= 6


# --- the high-probability statements against seeded Monte Carlo (false alarm <= 1e-6 per test) ---

FALSE_ALARM = 1e-6
EXAMPLES = 12
ROWS = 3000
WHP_ROWS = int(os.environ.get("NATSPARSE_WHP_ROWS", "100000"))
FLOAT_SLACK = 1e-12   # the engine's float64 error on weights and tau (bounds can be tight: beta = 0)


def _not_rejected(failures: int, rows: int, delta: float, comparisons: int) -> stats.RateCheck:
    r = stats.check_rate_at_most(failures, rows, delta, FALSE_ALARM / comparisons)
    assert not r.rejected, (f"{failures}/{rows} failures: CP lower bound {r.lower:.3g} > delta={delta}")
    return r


@settings(max_examples=EXAMPLES, deadline=None)
@given(n=st.integers(8, 512), beta=st.floats(0.0, 4.5), eps=st.floats(1e-3, 0.5), delta=st.floats(0.01, 0.3))
@example(n=256, beta=math.sqrt(2 * math.log(256)), eps=1e-2, delta=0.05)     # the collapse point
@example(n=8, beta=0.0, eps=0.1, delta=0.01)
def test_every_whp_statement_holds(n, beta, eps, delta):
    """thm:sparse-whp, lem:partition-lower, lem:count-upper, thm:error-whp (direct form) and
    thm:polylog-insufficient at (n, beta, eps, delta); beta ranges past sqrt(2 ln n).
    False alarm <= 1e-6 per test: 6 comparisons per example, (EXAMPLES + 2) examples, Bonferroni."""
    comparisons = 6 * (EXAMPLES + 2)
    sw = G.sparse_whp(n, beta, eps, delta)
    part = G.partition_lower(n, beta, delta)
    k_log = max(1, min(n, math.ceil(math.log(n))))
    poly = G.polylog_insufficient(n, beta, k_log, delta)
    k_dir = max(1, min(n, sw["k"]))
    direct = G.tail_bound_direct(n, beta, k_dir, delta)
    t = 0.0 if sw["t"] is None else float(sw["t"])
    cnt = G.count_upper(n, beta, t, delta)
    ks = sorted({k_dir, k_log})
    below = {MC.tau_name(k_log): float(poly["tau_lower"]) - FLOAT_SLACK}
    if not part["vacuous"]:
        below["lse"] = float(part["log_L"]) - FLOAT_SLACK
    summ = MC.simulate(n, beta, ROWS, k=ks, eps=(eps,), t=(t,), seed=hash((n, round(beta, 6))) % 2**31,
                       above={MC.tau_name(k_dir): float(direct["tau"]) + FLOAT_SLACK,
                              "max_weight": float(poly["max_weight"]) + FLOAT_SLACK}, below=below)
    name = MC.count_eps_name(eps)
    fails = {
        "sparse": summ.exceed(name, sw["k"]),
        "count": summ.exceed(MC.count_t_name(t), cnt["k_exact"]),
        "partition": summ.below.get(("lse", below.get("lse")), 0),
        "direct": summ.above[(MC.tau_name(k_dir), float(direct["tau"]) + FLOAT_SLACK)],
        "max_weight": summ.above[("max_weight", float(poly["max_weight"]) + FLOAT_SLACK)],
        "tau_lower": summ.below[(MC.tau_name(k_log), below[MC.tau_name(k_log)])],
    }
    for f in fails.values():
        _not_rejected(f, ROWS, delta, comparisons)
    if sw["k"] > 0 and not sw["vacuous"]:
        target(summ.quantile(name, 1 - delta) / sw["k"], label="empirical quantile / k")


@pytest.mark.slow
@pytest.mark.parametrize("n,beta,eps", [(256, 2.0, 1e-2), (256, 1.0, 1e-3)])
def test_whp_frequency_at_the_papers_delta(n, beta, eps):
    """exp:whp-frequency: thm:sparse-whp at delta = 1e-4 (the paper's 0.9999) on >= 1e5 rows.
    Rejects only if the CP lower bound at 1e-6 / 2 exceeds 1e-4 (false alarm <= 1e-6 per test);
    reports the frequency and its 95% CP upper bound, and checks the bound's k against the
    empirical 1 - delta quantile (k >= quantile is the content of the theorem)."""
    delta = 1e-4
    sw = G.sparse_whp(n, beta, eps, delta)
    summ = MC.simulate(n, beta, WHP_ROWS, eps=(eps,), seed=20260 + n)
    name = MC.count_eps_name(eps)
    fails = summ.exceed(name, sw["k"])
    r = _not_rejected(fails, summ.trials, delta, 2)
    print(f"n={n} beta={beta} eps={eps}: k={sw['k']} k_exact={sw['k_exact']} "
          f"quantile={summ.quantile(name, 1 - delta)} failures={fails}/{summ.trials} "
          f"CP95 upper={r.upper95:.2g}")
    assert summ.trials >= min(WHP_ROWS, 100_000)


def test_truncation_grid_refines_with_beta():
    """Spacing <= 1/8 in u = c/beta at every beta, so L/E Z rises towards 1 at gamma = 0.99 (the grid of
    160 fixed points had spacing ~beta/80 and L/E Z fell: 0.29 at 1e30, 0.009 at 1e30000)."""
    for nn, g in [(4096, 0.5), (10**30, 0.9), (10**3000, 0.99)]:
        b = G.beta_of_gamma(nn, g)
        us = [c / b for c in G.truncation_grid(nn, b, 1e-4)]
        assert max(y - x for x, y in zip(us, us[1:], strict=False)) <= G.GRID_STEP * (1 + 1e-20)
    ratio = {}
    for nn in (10**30, 10**3000):
        b = G.beta_of_gamma(nn, 0.99)
        ratio[nn] = G.partition_lower(nn, b, 1e-4)["L"] / (nn * mpmath.exp(b**2 / 2))
    assert ratio[10**30] < ratio[10**3000] and ratio[10**3000] > 0.5
