"""proofs/asymptotic.py and thm:nC-explicit: a limit is concluded only when the growth rates decide it, and
the kernel proof of the n^C window refuses false variants of its bound, of its limits and of its margin."""

import dataclasses

import pytest
import sympy as sp

from natsparse.proofs import chance as P
from natsparse.proofs import general
from natsparse.proofs.asymptotic import eventually, rate, vanishes
from natsparse.proofs.gaussian import (
    K_win,
    L,
    L_w,
    L_w_dev,
    L_w_mean,
    U_w,
    count_w,
    in_regime,
    k_adapt,
    k_fixed,
    tau_adapt,
    tau_fixed,
    theta,
    theta_star,
)
from natsparse.proofs.kernel import ProofError
from natsparse.proofs.registry import registry
from natsparse.proofs.symbols import C, Plim, alpha, beta, delta, delta_p, gamma, k, n, tau

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


# --- thm:nC-sufficient: convergence in probability from the explicit bound ------------------------------


def test_nc_sufficient_is_proved_from_an_instance_of_the_explicit_bound():
    log = general.PROOFS["thm:nC-sufficient"].check()
    rules = [s.rule for s in log.steps]
    assert rules.count("eventually") == 2 and rules.count("in_probability") == 1
    assert {"thm:nC-explicit", "ax:in-probability", "ax:growth-rate"} <= set(log.cited())


@pytest.mark.parametrize("weaker", [
    sp.Ge(k, alpha * n ** (1 - gamma)),          # a window of n^(1 - gamma): not enough keys
    sp.Ge(k, alpha * n ** C / n ** (P.kappa)),   # the window's exponent lowered by kappa
])
def test_nc_sufficient_needs_a_window_above_n_to_the_one_minus_gamma(monkeypatch, weaker):
    hyps = registry["thm:nC-sufficient"].hypotheses
    _swap(monkeypatch, "thm:nC-sufficient", hypotheses=(*hyps[:3], weaker))
    with pytest.raises(ProofError, match="vanishes|eventually|derive"):
        general.PROOFS["thm:nC-sufficient"].check()


@pytest.mark.parametrize("formula", [sp.Eq(Plim(tau), 1), sp.Eq(Plim(tau / n), 0), sp.Eq(Plim(1 - tau), 0)])
def test_nc_sufficient_refuses_another_limit(monkeypatch, formula):
    _swap(monkeypatch, "thm:nC-sufficient", formula=formula)
    with pytest.raises(ProofError, match="conclude"):
        general.PROOFS["thm:nC-sufficient"].check()


def test_eventually_reads_the_limit_of_its_own_ratio():
    lim, ln = vanishes(sp.log(n) / n), sp.log(n)
    assert eventually(sp.Le(ln, n), lim).failure == 1                 # ln n / n -> 0: ln n <= n for large n
    with pytest.raises(ProofError, match="not that of"):
        eventually(sp.Le(2 * ln, n), lim)                             # the limit of 2 ln n / n was not given
    with pytest.raises(ProofError, match="decided > 0"):
        eventually(sp.Le(-ln, -n), lim)                               # the same ratio, both sides < 0: false
    with pytest.raises(ProofError, match="not lim"):
        eventually(sp.Le(ln, n), general.K.decide(sp.Le(1, n + 1, evaluate=False)))


@pytest.mark.parametrize("failure, why", [
    (delta * (n + 1) / (n + delta), "depends on n"),              # between delta and 1, depends on n
    (delta + (1 - delta) / 3, "does not tend to 0"),              # a failure that stays above 1/3
    (delta * n, "not a sure fact"),                               # not below 1: its limits need an event
])
def test_in_probability_needs_a_failure_that_vanishes(monkeypatch, failure, why):
    """thm:nC-explicit with a weaker failure is still proved (its events fail with probability <= delta),
    but its instance no longer gives convergence in probability. The first two stay below 1, so the
    instance's limits hold outright and `in_probability` itself must refuse."""
    _swap(monkeypatch, "thm:nC-explicit", failure=failure)
    assert general.PROOFS["thm:nC-explicit"].check()
    with pytest.raises(ProofError, match=why):
        general.PROOFS["thm:nC-sufficient"].check()


def test_an_instance_of_a_whp_law_keeps_its_quantities_and_its_assumptions():
    """A parameter takes no random value, a quantity is not renamed, and an assumed Z >= L must be given."""
    from natsparse.proofs.gaussian import M, Z, w_exp
    from natsparse.proofs.symbols import a_max, delta_p

    base = dict(tau=tau, k=k, n=n, beta=beta, L=L, M=M, Z=Z, a_max=a_max, mu=w_exp, gamma=gamma,
                **{"delta'": delta_p})
    given = general.K.hypothesis("thm:polylog-insufficient")    # the regime, gamma < 1, delta' < 1
    with pytest.raises(ProofError, match="assumes"):
        general.K.instance("thm:polylog-insufficient", given=given, **base)
    with pytest.raises(ProofError, match="parameter L"):
        general.K.instance("thm:polylog-insufficient", given=given, **{**base, "L": Z})
    with pytest.raises(ProofError, match="must stay itself"):
        general.K.instance("thm:polylog-insufficient", given=given, **{**base, "tau": 2 * tau})
    # the control: with Z >= L given (here as its own assumption, at delta'), the instance is made, on one
    # event of the law's failure 2 delta'
    assumed = P.assume("thm:polylog-insufficient")
    facts = general.K.instance("thm:polylog-insufficient", given=[*given, *assumed], **base)
    assert {f.failure for f in facts} == {2 * delta_p}


# --- thm:nC-necessary: the other half of the window exponent ------------------------------------------


def test_the_lower_half_is_proved_from_its_explicit_bound():
    for rid, rules in (("thm:nC-necessary-explicit", {"part_at_most", "vanishes", "weaken"}),
                       ("thm:nC-necessary", {"instance", "eventually", "in_probability"})):
        log = general.PROOFS[rid].check()
        assert rules <= {s.rule for s in log.steps}, rid


@pytest.mark.parametrize("rid, i, weaker, why", [
    ("thm:nC-necessary", 3, sp.Le(k, alpha * n ** (1 - gamma)), "instance"),  # the window at n^(1 - gamma)
    ("thm:nC-necessary-explicit", 4, sp.Le(k, 2 * K_win), "derive"),          # twice the window K
])
def test_the_lower_half_needs_a_small_window(monkeypatch, rid, i, weaker, why):
    hyps = registry[rid].hypotheses
    _swap(monkeypatch, rid, hypotheses=(*hyps[:i], weaker, *hyps[i + 1:]))
    with pytest.raises(ProofError, match=why):
        general.PROOFS[rid].check()


@pytest.mark.parametrize("rid, i, weaker", [
    ("thm:nC-necessary", 1, sp.Lt(C, 1)),              # C up to 1: (1 - gamma)/(1 + q) stops short
    ("thm:nC-necessary-explicit", 1, sp.Lt(C, 1)),
    ("thm:nC-sufficient", 1, sp.Gt(C, 1 - 2 * gamma)),  # C down to 1 - 2 gamma: 1 - gamma + kappa stops
    ("thm:nC-explicit", 0, sp.Lt(gamma, 2)),           # gamma up to 2: gamma = 1/(1 + w) stops at 1
    ("lem:count-upper", 0, sp.Lt(delta_p, 2)),          # delta' up to 2: e^{-ell} stops at 1
])
def test_the_model_must_cover_what_the_hypotheses_allow(monkeypatch, rid, i, weaker):
    """A statement whose hypotheses allow more than the proof's parametrization reaches is refused by
    conclude (the weaker hypothesis is never used by the steps, so only this check can see it)."""
    hyps = registry[rid].hypotheses
    _swap(monkeypatch, rid, hypotheses=(*hyps[:i], weaker, *hyps[i + 1:]))
    with pytest.raises(ProofError, match="the model reaches"):
        general.PROOFS[rid].check()


def test_in_probability_needs_one_minus_tau_to_be_surely_nonnegative(monkeypatch):
    """1 - tau >= 0 is not an assumption of tau's symbol: without the fact from the row, refused."""
    import natsparse.proofs.general_gaussian as GG

    real = GG.K.derive

    def no_floor(goal, **kw):
        if isinstance(goal, sp.Le) and goal.lhs == 0 and goal.rhs == 1 - tau:
            return real(sp.Le(0, tau, evaluate=False))      # a true fact about something else
        return real(goal, **kw)

    monkeypatch.setattr(GG.K, "derive", no_floor)
    with pytest.raises(ProofError, match="surely >= 0"):
        general.PROOFS["thm:nC-necessary"].check()


def test_part_at_most_checks_the_termwise_bound():
    K = general.K
    mdl = K.model("top-k", (K.part("S", k), K.part("T", n - k, nonempty=False)), {"S"}, {})
    above = P.score_sum(sp.Piecewise((sp.exp(P.x), P.x > beta), (0, True)))
    assert P.part_at_most(mdl, "S", above, sp.exp(beta))          # e^s <= e^s 1{s > beta} + e^beta
    with pytest.raises(ProofError, match="not decided"):
        P.part_at_most(mdl, "S", above, sp.exp(beta) / 2)         # fails just below beta


# --- cor:adaptive-window: two windows of one row -----------------------------------------------------


def test_adaptive_window_is_two_instances_with_their_windows_renamed():
    log = general.PROOFS["cor:adaptive-window"].check()
    laws = [s.cites[0] for s in log.steps if s.rule == "instance" and s.cites[0].startswith("thm:")]
    assert laws == ["thm:nC-necessary", "thm:nC-sufficient"]


@pytest.mark.parametrize("formula", [
    sp.Tuple(sp.Eq(Plim(tau_fixed), 0), sp.Eq(Plim(tau_adapt), 0)),        # the fixed window's error -> 0
    sp.Tuple(sp.Eq(Plim(1 - tau_fixed), 0), sp.Eq(Plim(tau_fixed), 0)),    # the windows swapped
])
def test_adaptive_window_refuses_the_wrong_limits(monkeypatch, formula):
    _swap(monkeypatch, "cor:adaptive-window", formula=formula)
    with pytest.raises(ProofError, match="conclude"):
        general.PROOFS["cor:adaptive-window"].check()


def test_a_window_is_renamed_with_its_tail_mass_only():
    base = dict(n=n, alpha=alpha, C=C, gamma=gamma, beta=beta)
    for values in (dict(tau=tau_fixed, k=k_adapt), dict(tau=tau_adapt, k=k), dict(tau=tau, k=k_fixed)):
        with pytest.raises(ProofError, match="one window's|must stay itself"):
            general.K.instance("thm:nC-sufficient", **base, **values)
    from natsparse.proofs.gaussian import L_half, Z
    from natsparse.proofs.symbols import eps, err, t, v_max

    with pytest.raises(ProofError, match="renamed window"):   # the output error belongs to the window too
        general.K.instance("thm:error-whp", tau=tau_fixed, k=k_fixed, n=n, err=err, eps=eps, v_max=v_max,
                           t=t, beta=beta, delta=delta, L=L, L_2=L_half, Z=Z)


def test_an_instance_puts_its_failure_on_random_relations_only():
    """thm:nC-explicit's bound on tau holds with probability >= 1 - delta; its limits speak of numbers only
    and hold outright (a statement without randomness true with positive probability is true)."""
    log = general.PROOFS["thm:nC-sufficient"].check()
    made = [s.conclusion.split("fails with probability")[-1] for s in log.steps if s.rule == "instance"]
    assert len(made) == 4 and "exp(-ell)" in made[0]          # the law's failure, on the bound only
    assert not any("exp(-ell)" in c for c in made[1:])
