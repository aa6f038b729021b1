"""thm:sparse-whp-sharp (numeric.sharp): the certified bound holds, is tight, and says when it is capped.

Monte Carlo decisions use Clopper-Pearson bounds at level FALSE_ALARM = 1e-6 (fixed seeds)."""

import math

import pytest

from natsparse.numeric import gaussian as G
from natsparse.numeric import montecarlo as MC
from natsparse.numeric import sharp, stats

FALSE_ALARM = 1e-6


@pytest.fixture(scope="module")
def small_run():
    """n = 64, beta = 2, eps = 0.05: 40000 seeded rows, the histogram of N_eps."""
    summ = MC.simulate(64, 2.0, 40_000, eps=(0.05,), seed=131)
    return summ, MC.count_eps_name(0.05)


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_certified_bound_is_above_the_failure_frequency(small_run, k):
    """P(N_eps > k) <= bound: never rejected by the CP lower bound at 1e-6 (it would be if the
    bound dropped a factor or took the wrong cell endpoint)."""
    summ, name = small_run
    bound = sharp.tail_probability_bound(64, 2.0, 0.05, k, delta=1e-3)
    fails = summ.exceed(name, k)
    assert stats.lower_bound(fails, summ.trials, FALSE_ALARM) <= bound


@pytest.mark.parametrize("k", [2, 3])
def test_certified_bound_is_tight(small_run, k):
    """The bound is at most 1.6 times the CP upper bound at 1e-6 of the frequency, where the
    frequency is large enough to measure (a loose constant would fail this)."""
    summ, name = small_run
    bound = sharp.tail_probability_bound(64, 2.0, 0.05, k, delta=1e-3)
    fails = summ.exceed(name, k)
    assert fails > 200 and bound <= 1.6 * stats.upper_bound(fails, summ.trials, FALSE_ALARM)


def test_certificate_encloses_the_float_bound():
    """The arb certificate (exact integrals) agrees with the float64 search (trapezoid rule) to 1%."""
    n, b, e, k = 256, 1.0, 0.01, 31
    fl, us, lams = sharp._float_bound(n, b, e, k, 1e-4)
    cert = sharp.certify(n, b, e, k, us, lams)
    assert abs(cert / fl - 1) <= 0.01


def test_sharp_k_meets_the_tightness_target():
    """n = 256, beta = 1, eps = 0.01, delta = 1e-2: k <= 1.15 x the empirical 0.99-quantile of
    N_eps (20000 rows), and the failure rate is not rejected at 1e-6; the simple k is far above."""
    n, b, e, d = 256, 1.0, 0.01, 1e-2
    r = sharp.sparse_whp_sharp(n, b, e, d)
    summ = MC.simulate(n, b, 20_000, eps=(e,), seed=7)
    name = MC.count_eps_name(e)
    q = summ.quantile(name, 1 - d)
    assert r["k"] <= 1.15 * q and not r["capped"] and r["certified_bound"] <= d
    assert not stats.check_rate_at_most(summ.exceed(name, r["k"]), summ.trials, d, FALSE_ALARM).rejected
    assert G.sparse_whp(n, b, e, d)["k"] > 1.5 * q


def test_sure_bound_caps_k():
    r = sharp.sparse_whp_sharp(64, 8.0, 0.3)
    assert r["k"] == 3 and r["capped"] and "holds surely" in r["reason"]
    r = sharp.sparse_whp_sharp(8, 8.0, 0.9)
    assert r["k"] == 1
    assert sharp.tail_probability_bound(64, 8.0, 0.3, 3) == 0.0


def test_beta_beyond_float64_gives_the_sure_bound_and_says_why():
    import mpmath

    r = sharp.sparse_whp_sharp(1000, mpmath.mpf("1e400"), 0.1)
    assert r["k"] == 9 and r["capped"] and "beta is beyond float64" in r["reason"]
    assert sharp.tail_probability_bound(1000, mpmath.mpf("1e400"), 0.1, 3) == 1.0


def test_beta_zero_is_exact():
    assert sharp.sparse_whp_sharp(100, 0.0, 0.02)["k"] == 0
    assert sharp.sparse_whp_sharp(100, 0.0, 0.005)["k"] == 100


def test_trivial_bound_uses_the_decimal():
    assert sharp.k_trivial(10**6, 0.1) == 9 and sharp.k_trivial(10**6, 0.3) == 3
    assert sharp.k_trivial(5, 1e-3) == 5 and sharp.k_trivial(10**6, 1e-3) == math.ceil(1e3) - 1


@pytest.mark.parametrize("kw,exc,msg", [
    (dict(n=0, beta=1.0, eps=0.1), ValueError, "n must be a positive integer"),
    (dict(n=10, beta=-1.0, eps=0.1), ValueError, "beta must be"),
    (dict(n=10, beta=1.0, eps=1.0), ValueError, r"eps must be in \(0, 1\)"),
    (dict(n=10, beta=1.0, eps=0.1, delta=0.0), ValueError, r"delta must be in \(0, 1\)"),
    (dict(n=10**8, beta=1.0, eps=0.1), ValueError, "n must be <= 10000000"),
    (dict(n=10**10000, beta=1.0, eps=0.1), ValueError, r"n must be <= 10000000 .*got about 10\^10000"),
])
def test_bad_input_names_the_argument(kw, exc, msg):
    with pytest.raises(exc, match=msg):
        sharp.sparse_whp_sharp(**kw)


def test_tau_bound_by_conditioning_holds_and_is_tight():
    """n = 256, beta = 2, k = 30, delta = 1e-2: P(tau_k > bound) is not rejected at 1e-6 on 20000 rows,
    the bound is within 1.3x the empirical 0.99-quantile of tau_k, and far below the direct U_t / L."""
    n, b, k, d = 256, 2.0, 30, 1e-2
    r = sharp.tau_whp_sharp(n, b, k, d)
    tau = MC.collect(n, b, 20_000, [MC.tau_name(k)], k=(k,), seed=5)[MC.tau_name(k)]
    fails = int((tau > r["tau"]).sum())
    assert not stats.check_rate_at_most(fails, tau.size, d, FALSE_ALARM).rejected
    q = float(sorted(tau)[int((1 - d) * tau.size)])
    assert q <= r["tau"] <= 1.3 * q and r["certified_bound"] <= d
    assert r["tau"] < 0.7 * float(G.tail_bound_direct(n, b, k, d)["tau"])
