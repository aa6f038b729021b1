"""evidence/gaussian.py: the asymptotic statements at finite n (slopes, adaptive vs fixed windows, the
collapse regime), its registered Monte Carlo evidence, and which results its SymPy derivations certify.

Trends are decided by disjoint distribution-free median intervals (each comparison misses with
probability <= 1e-6 / 2 per interval, so each test's false alarm is <= 1e-6 times the number of
comparisons / 2, below 1e-5; see numeric.gaussian_evidence). Slopes use a stated tolerance.
"""

import numpy as np
import pytest

from natsparse.evidence import all_evidence, run, status
from natsparse.evidence import gaussian as GE


def test_k_eps_slope_tracks_the_k_eps_rule_and_moves_toward_one_minus_gamma():
    for gamma in GE.SCALING_GAMMAS:
        r = GE.scaling_run(gamma)
        assert abs(r["slope"] - r["rule_slope"]) <= GE.SLOPE_TOL
        assert r["limit"] < r["slope"] < 1          # finite-n slopes approach 1 - gamma from above
    slopes = [GE.scaling_run(g)["slope"] for g in GE.SCALING_GAMMAS]
    assert slopes == sorted(slopes, reverse=True)


def test_fixed_window_tau_rises_and_adaptive_falls():
    run = GE.window_run(GE.WINDOW["gamma"], GE.WINDOW["C"], GE.WINDOW["k"])
    up, _ = GE.median_trend({n: r["fixed"] for n, r in run.items()}, "up")
    down, _ = GE.median_trend({n: r["adaptive"] for n, r in run.items()}, "down")
    assert up and down


def test_median_trend_can_fail():
    rng = np.random.default_rng(0)
    same = {1: rng.random(500), 2: rng.random(500)}
    assert not GE.median_trend(same, "up")[0] and not GE.median_trend(same, "down")[0]
    assert GE.median_trend({1: rng.random(500), 2: 2 + rng.random(500)}, "up")[0]


def test_collapse_regime_keeps_mass_on_the_top_weights():
    collapse, sparse = GE.phase_run(2.0), GE.phase_run(0.25)
    for n in GE.PHASE_N:
        assert np.median(collapse[n]) > 0.5 > np.median(sparse[n])


@pytest.mark.parametrize("rid", ["lem:conditional-gaussian", "lem:lognormal-tilt", "prop:k-eps-rule",
                                 "lem:partition-lower", "lem:count-upper", "thm:sparse-whp", "thm:error-whp",
                                 "thm:sparse-whp-sharp", "thm:nC-sufficient", "thm:polylog-insufficient",
                                 "cor:adaptive-window",
                                 "prop:norm-sparsity", "prop:phase-diagram", "exp:k-eps-scaling",
                                 "exp:adaptive-vs-fixed", "exp:whp-frequency"])
def test_registered_monte_carlo_evidence_passes(rid):
    mc = [e for e in all_evidence(rid) if e.tool == "monte-carlo"]
    assert mc and all(e.level == "sampled" for e in mc)
    for e in mc:
        out = run(e)
        assert out.outcome.passed, out.outcome.detail


def test_what_is_proved_and_what_is_not():
    """Derivations prove only exact statements for every parameter (lem:conditional-gaussian only for
    d <= D_MAX: verified); the kernel proves the explicit whp bounds it has proofs of; the other
    probabilistic claims are only sampled."""
    proved = ("lem:lognormal-tilt", "prop:norm-sparsity", "lem:count-upper", "lem:partition-lower",
              "thm:sparse-whp", "thm:error-whp", "thm:polylog-insufficient", "thm:nC-explicit",
              "thm:nC-sufficient", "thm:nC-necessary-explicit", "thm:nC-necessary", "cor:adaptive-window")
    levels = {rid: {e.level for e in all_evidence(rid) if e.tool in ("sympy", "kernel")}
              for rid in (*proved, "lem:conditional-gaussian")}
    assert levels == {**dict.fromkeys(proved, {"proved"}), "lem:conditional-gaussian": {"verified"}}
    for rid in proved[2:]:
        assert status(rid) in ("proved", "fully-proved"), rid
    for rid in ("prop:k-eps-rule", "prop:phase-diagram", "thm:sparse-whp-sharp"):
        assert all(e.level == "sampled" for e in all_evidence(rid)), rid
        assert status(rid) in ("encoded", "sampled"), rid


@pytest.mark.parametrize("factor", [0.6, 1.5])
def test_sharp_evidence_tells_constants_apart(monkeypatch, factor):
    """A sharp k 40% too low fails the rate check; one 50% too high fails the 20%-lower check."""
    true_k = {b: GE.sharp_k(b)["k"] for b in GE.WHP_BETAS}
    monkeypatch.setattr(GE, "sharp_k", lambda b: {"k": int(factor * true_k[b])})
    assert not GE._sharp_evidence().passed
