"""proofs/asymptotic.py and thm:nC-explicit: a limit is concluded only when the growth rates decide it, and
the kernel proof of the n^C window refuses false variants of its bound, of its limits and of its margin."""

import dataclasses

import pytest
import sympy as sp

from natsparse.proofs import chance as P
from natsparse.proofs import general
from natsparse.proofs.asymptotic import rate, vanishes
from natsparse.proofs.gaussian import L, L_w, L_w_dev, L_w_mean, U_w, count_w, in_regime, theta, theta_star
from natsparse.proofs.kernel import ProofError
from natsparse.proofs.registry import registry
from natsparse.proofs.symbols import C, alpha, beta, delta, gamma, k, n, tau

w = P.w
ell = sp.Symbol("ell", positive=True)
REGIME = {delta: sp.exp(-ell), gamma: 1 / (1 + w), C: 1 - 1 / (1 + w) + P.kappa}


def _swap(monkeypatch, rid, **changes):
    monkeypatch.setitem(registry, rid, dataclasses.replace(registry[rid], **changes))


def test_rates_of_simple_functions():
    assert rate(sp.sqrt(n) * sp.log(n) / n) == sp.Rational(-1, 2)
    assert rate(n**2 + n * sp.log(n)) == 2
    assert rate(n - sp.sqrt(n)) == 1                      # the negative term grows slower
    f = sp.log(n) ** 5 / n
    assert vanishes(f).rel == sp.Eq(sp.Limit(f, n, sp.oo), 0, evaluate=False)


@pytest.mark.parametrize("f, why", [
    (sp.sqrt(n), "not decided < 0"),                       # grows
    (sp.log(n) / sp.log(n) ** 0, "not decided < 0"),      # rate 0 is not < 0 (ln n does not vanish)
    (1 / n - 1 / sp.sqrt(n), "not decided to grow slower"),  # eventually < 0: no rate
    (sp.erfc(sp.sqrt(sp.log(n))), "is not built from"),    # not exp-log: reduce Phi_c by an axiom first
    (sp.exp(sp.sqrt(sp.log(n)) * sp.sqrt(sp.Symbol("c", real=True) * sp.log(n) + 1)) / n,
     "no finite real rate"),                             # rate sqrt(c): real only if c >= 0
    (sp.Symbol("c", real=True) / n, "not decided > 0"),   # a constant of unknown sign
])
def test_vanishes_refuses_what_the_rates_do_not_decide(f, why):
    with pytest.raises(ProofError, match=why):
        vanishes(f)


def test_vanishes_refuses_when_sympy_cannot_take_the_limit(monkeypatch):
    """SymPy's `limit` raises NotImplementedError when it cannot decide a sign: a refusal, not a crash."""
    import natsparse.proofs.asymptotic as A

    def undecided(*args, **kw):
        raise NotImplementedError("Not sure of sign")

    monkeypatch.setattr(A.sp, "limit", undecided)
    with pytest.raises(ProofError, match="SymPy finds no limit"):
        vanishes(sp.exp(sp.sqrt(sp.log(n) ** 3)) / n**5)


def test_the_untruncated_partition_bound_is_positive_only_for_gamma_below_one_half():
    """n e^{beta^2/2} - e^{beta^2} sqrt(2 n ln(1/delta)): the deviation grows like n^{1/2 + 2 gamma}, the
    mean like n^{1 + gamma}; with gamma = 1/(1 + w)^2 (any value in (0, 1)) the rates are not ordered, with
    gamma = 1/(2 + w) (below 1/2) they are: the truncation of lem:partition-lower is what the theorem
    needs."""
    b = sp.sqrt(2 * gamma * sp.log(n))
    untruncated = sp.sqrt(2 * n * sp.exp(2 * b**2) * (ell + sp.log(3))) / (n * sp.exp(b**2 / 2))
    with pytest.raises(ProofError):
        vanishes(untruncated.subs(gamma, 1 / (1 + w) ** 2))
    assert vanishes(untruncated.subs(gamma, 1 / (2 + w)))


def test_the_fixed_window_bound_decays_like_n_to_minus_one_minus_root_gamma_squared():
    """k e^M / E Z with M = beta sqrt(2 ln(n / delta')), the rate -(1 - sqrt(gamma))^2 of
    thm:polylog-insufficient, decided with gamma = 1/(1 + w)^2."""
    b = sp.sqrt(2 * gamma * sp.log(n))
    bound = 7 * sp.exp(b * sp.sqrt(2 * sp.log(n * sp.exp(ell)))) / (n * sp.exp(b**2 / 2))
    r = rate(bound.subs(gamma, 1 / (1 + w) ** 2))
    assert sp.simplify(r + (1 - 1 / (1 + w)) ** 2) == 0


def test_each_limit_of_the_theorem_has_a_negative_rate_at_theta_star():
    for f in (U_w / L_w, count_w / (alpha * n**C), L_w_dev / L_w_mean):
        r = rate(in_regime(f).xreplace(REGIME))
        assert r.free_symbols <= {w, P.kappa}
        assert float(r.subs({w: 1, P.kappa: sp.Rational(1, 10)})) < 0


def test_nc_explicit_is_proved_with_its_limits():
    log = general.PROOFS["thm:nC-explicit"].check()
    rules = [s.rule for s in log.steps]
    assert rules.count("vanishes") == 3 and rules.count("concentration") == 3
    assert {"ax:growth-rate", "ax:gaussian-tail", "ax:maurer", "ax:bernstein"} <= set(log.cited())


def _relations(i, new):
    rels = registry["thm:nC-explicit"].relations()
    return sp.Tuple(*rels[:i], new, *rels[i + 1:])


def _limit(f):
    return sp.Eq(sp.Limit(in_regime(f), n, sp.oo), 0, evaluate=False)


@pytest.mark.parametrize("i, mutant", [
    (0, sp.Le(tau, U_w / (2 * L))),                                         # the bound halved
    (0, sp.Le(tau, U_w.subs(delta, 2 * delta) / L)),                        # at twice the failure
    (1, _limit(n ** sp.Rational(1, 10) * U_w / L_w)),                       # a growing factor
    (2, _limit(count_w / (alpha * n ** (1 - gamma)))),                      # the window at C = 1 - gamma
    (3, _limit(L_w_dev / L_w_mean * n ** gamma)),
])
def test_nc_explicit_refuses_false_variants(monkeypatch, i, mutant):
    _swap(monkeypatch, "thm:nC-explicit", formula=_relations(i, mutant))
    with pytest.raises(ProofError):
        general.PROOFS["thm:nC-explicit"].check()


def test_the_false_variants_pass_with_a_decider_that_says_yes(monkeypatch):
    """The refusals above are the rate comparisons' doing: with the decider of `vanishes` replaced by one
    that accepts every sign, the limit with a growing factor n^(1/10) is 'proved'."""
    import natsparse.proofs.asymptotic as A

    monkeypatch.setattr(A, "proves_sign", lambda expr, strict=False: True)
    _swap(monkeypatch, "thm:nC-explicit", formula=_relations(1, _limit(n ** sp.Rational(1, 10) * U_w / L_w)))
    assert general.PROOFS["thm:nC-explicit"].check()


@pytest.mark.parametrize("i, weaker", [
    (3, sp.Lt(theta, 2)),                       # a margin that may exceed 1: no Chernoff bound
    (4, sp.Ge(k, count_w / 2)),                 # a window at half the count bound
    (5, sp.Le(L, 2 * L_w)),                     # an L above the lower bound on Z
])
def test_nc_explicit_needs_its_window_and_margin_hypotheses(monkeypatch, i, weaker):
    """Each of the three hypotheses the proof uses, weakened, and the kernel refuses the step that needs it
    (the proof still finds the weakened fact: it is the kernel, not the proof script, that says no)."""
    hyps = registry["thm:nC-explicit"].hypotheses
    _swap(monkeypatch, "thm:nC-explicit", hypotheses=(*hyps[:i], weaker, *hyps[i + 1:]))
    with pytest.raises(ProofError, match="derive"):
        general.PROOFS["thm:nC-explicit"].check()


def test_a_larger_margin_breaks_the_limits(monkeypatch):
    """theta = 1/2 for every gamma and C: the count bound is no longer o(n^C) for C near 1 - gamma."""
    rels = registry["thm:nC-explicit"].relations()
    bigger = [rels[0], *(sp.Eq(sp.Limit(r.lhs.args[0].subs(theta_star, sp.Rational(1, 2)), n, sp.oo), 0,
                               evaluate=False) for r in rels[1:])]
    assert bigger[2] != rels[2]
    _swap(monkeypatch, "thm:nC-explicit", formula=sp.Tuple(*bigger))
    with pytest.raises(ProofError, match="vanishes"):
        general.PROOFS["thm:nC-explicit"].check()


def test_concentration_reads_the_second_moment_bound_it_is_given():
    """A bound on E g^2 that is not about this sum's second moment, or that holds only whp, is refused."""
    above = P.score_sum(sp.Piecewise((1, P.x > beta), (0, True)))
    m2 = P.moment(above, 2)
    whp = P.concentration("ax:markov", above, deviation=n, failure=1)           # a fact on an event
    not_m2 = general.K.decide(sp.Le(beta, beta + n, evaluate=False))
    on_an_event = general.K.derive(sp.Le(m2, m2 + n, evaluate=False), ineqs=[(whp, 0)])
    for wrong in (not_m2, on_an_event):
        with pytest.raises(ProofError, match="not a sure bound on E g"):
            P.concentration("ax:bernstein", above, deviation=n, failure=1, lo=0, hi=1, second=wrong)
    # the control: a sure bound on this E g^2 is read (the check then passes with B = E g^2 + 1)
    fine = general.K.derive(sp.Le(m2, m2 + 1, evaluate=False))
    assert P.concentration("ax:bernstein", above, deviation=2 * n + 2, failure=1, lo=0, hi=1, second=fine)
