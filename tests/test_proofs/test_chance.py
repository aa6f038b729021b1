"""proofs/chance.py and the kernel's events: facts that hold with high probability are derived, never
assumed; each rule refuses what does not establish its conclusion, and a failure probability is never
lost or undercounted."""

import dataclasses

import pytest
import sympy as sp

from natsparse.proofs import chance as P
from natsparse.proofs import general
from natsparse.proofs import kernel as K
from natsparse.proofs.decide import proves_sign
from natsparse.proofs.gaussian import N_eps, N_t, Phic, T_t, Z, bernstein_u, c_trunc, count_bound
from natsparse.proofs.kernel import ProofError
from natsparse.proofs.registry import registry
from natsparse.proofs.symbols import beta, delta, delta_p, eps, n, t

GAUSSIAN = ("lem:count-upper", "lem:partition-lower", "thm:sparse-whp", "thm:error-whp",
            "thm:polylog-insufficient")
x, ell = P.x, sp.Symbol("ell", positive=True)
above_t = P.meaning(N_t).rel.rhs
p = Phic(t / beta)


def _swap(monkeypatch, rid, **changes):
    monkeypatch.setitem(registry, rid, dataclasses.replace(registry[rid], **changes))


FAIL = sp.exp(-ell)
DEVIATION = bernstein_u(n * p * (1 - p), FAIL)


def _bernstein(deviation=DEVIATION, failure=FAIL, **kw):
    return P.concentration("ax:bernstein", above_t, deviation=deviation, failure=failure,
                           **({"lo": 0, "hi": 1} | kw))


@pytest.mark.parametrize("rid", GAUSSIAN)
def test_the_explicit_bounds_are_proved_and_gated_by_their_failure(monkeypatch, rid):
    log = general.PROOFS[rid].check()
    assert any(step.rule == "concentration" for step in log.steps)
    # the same relations claimed with half the failure probability: no longer concluded
    _swap(monkeypatch, rid, failure=registry[rid].failure / 2)
    with pytest.raises(ProofError, match="failing with probability"):
        general.PROOFS[rid].check()


@pytest.mark.parametrize("mutant", [
    sp.Le(N_t, count_bound.subs(delta_p, 2 * delta_p)),          # the deviation at twice the failure
    sp.Le(N_t, n * p + (count_bound - n * p) * sp.Rational(9, 10)),
    sp.Le(N_t, n * Phic(t / beta + 1) + (count_bound - n * p)),   # a smaller tail probability
    sp.Ge(N_t, count_bound),
])
def test_count_upper_refuses_false_variants(monkeypatch, mutant):
    _swap(monkeypatch, "lem:count-upper", formula=mutant)
    with pytest.raises(ProofError):
        general.PROOFS["lem:count-upper"].check()


def test_sparse_whp_counts_its_assumed_event(monkeypatch):
    # the event Z >= L assumed with failure delta (not delta/2): delta/2 + delta > delta, refused
    _swap(monkeypatch, "thm:sparse-whp", assumed=((sp.Ge(Z, sp.Symbol("L", positive=True)), delta),))
    with pytest.raises(ProofError, match="failing with probability"):
        general.PROOFS["thm:sparse-whp"].check()


def test_concentration_checks_the_deviation_the_range_and_independence():
    fact = _bernstein()
    assert fact.events and fact.failure == sp.exp(-ell)
    with pytest.raises(ProofError, match="bound at the deviation"):
        _bernstein(deviation=bernstein_u(n * p * (1 - p), sp.exp(-ell)) / 2)
    with pytest.raises(ProofError, match="bound at the deviation"):
        _bernstein(failure=sp.exp(-2 * ell))
    with pytest.raises(ProofError, match="<= 1/2 not decided"):
        _bernstein(hi=sp.Rational(1, 2))
    with pytest.raises(ProofError, match="needs bounded terms"):
        _bernstein(hi=None)
    with pytest.raises(ProofError, match="not parameters only"):   # N_eps's terms all depend on Z
        P.concentration("ax:bernstein", P.meaning(N_eps).rel.rhs, deviation=n, failure=sp.exp(-ell), hi=1)
    with pytest.raises(ProofError, match="needs terms >= 0"):
        P.concentration("ax:maurer", above_t, deviation=n, failure=sp.exp(-ell), lo=-1)
    with pytest.raises(ProofError, match="not one of"):
        P.concentration("ax:chebyshev", above_t, deviation=n, failure=sp.exp(-ell))


def test_compare_sums_is_termwise_and_needs_the_order_of_its_thresholds():
    below_t = P.meaning(T_t).rel.rhs
    z_sum = P.meaning(Z).rel.rhs
    assert P.compare_sums(sp.Le(below_t, z_sum)).rel == sp.Le(below_t, z_sum)
    assert P.compare_sums(sp.Le(sp.exp(t) * above_t, z_sum)).events == ()
    for false in (sp.Le(z_sum, below_t), sp.Le(sp.exp(t + 1) * above_t, z_sum), sp.Le(above_t, below_t)):
        with pytest.raises(ProofError, match="not decided >= 0"):
            P.compare_sums(false)
    heavy = P.meaning(N_eps).rel.rhs
    with pytest.raises(ProofError, match="not ordered"):
        P.compare_sums(sp.Le(heavy, above_t))       # needs e^t <= eps Z
    with pytest.raises(ProofError, match="not linear"):
        P.compare_sums(sp.Le(above_t**2, z_sum))


def test_events_are_carried_by_every_combination_and_refused_by_sure_results():
    fact = _bernstein()
    combined = K.derive(sp.Le(N_t, fact.rel.rhs), eqs=[P.meaning(N_t)], ineqs=[(fact, 1)])
    assert combined.events == fact.events
    with pytest.raises(ProofError, match="no step derives"):
        K.conclude("lem:count-upper", [combined], [])      # delta' is not e^{-ell} without the model
    # a sure result never concludes from a fact that holds only with high probability
    z = sp.Symbol("z", positive=True)
    assert K._chance_ok(registry["lem:max-weight"], K.decide(sp.Le(z, z + 1, evaluate=False)), {})
    assert not K._chance_ok(registry["lem:max-weight"], combined, {})


def test_assumed_events_belong_to_their_result():
    (large_z,) = P.assume("thm:sparse-whp")
    assert large_z.events[0][0].startswith("assumed by thm:sparse-whp")
    assert not K._chance_ok(registry["lem:count-upper"], large_z, {})
    assert K._chance_ok(registry["thm:sparse-whp"], large_z, {})


def test_chosen_and_count_floor_refuse_what_they_do_not_know():
    assert P.chosen("thm:sparse-whp", t).rel.rhs == sp.log(eps * sp.Symbol("L", positive=True))
    with pytest.raises(ProofError, match="does not choose"):
        P.chosen("lem:count-upper", t)
    with pytest.raises(ProofError, match="not a threshold"):
        P.chosen("thm:sparse-whp", n)
    mass = P.meaning(T_t)
    bound = K.derive(sp.Le(T_t, z_bound := P.meaning(Z).rel.rhs), eqs=[mass],
                     ineqs=[(P.compare_sums(sp.Le(mass.rel.rhs, z_bound)), 1)])
    with pytest.raises(ProofError, match="not 0 or 1"):
        P.count_floor(bound, mass)


def test_the_decider_knows_the_range_of_erfc_and_roots():
    q = sp.erfc(c_trunc / beta)
    assert proves_sign(q * (1 - q / 2)) and proves_sign(sp.sqrt(q * (2 - q)) + 1, strict=True)
    assert not proves_sign(q - 1) and not proves_sign(1 - q)
    assert not proves_sign(sp.sqrt(c_trunc) - 1)


def test_error_whp_needs_each_hypothesis_on_k(monkeypatch):
    """thm:error-whp's k must reach both count bounds: without either hypothesis the proof fails."""
    hyps = registry["thm:error-whp"].hypotheses
    for drop in (2, 3):
        _swap(monkeypatch, "thm:error-whp", hypotheses=hyps[:drop] + hyps[drop + 1:])
        with pytest.raises((ProofError, ValueError)):
            general.PROOFS["thm:error-whp"].check()


def test_dropped_below_and_part_of_sum_read_the_count_and_the_level():
    k = sp.Symbol("k", integer=True, positive=True)
    mdl = K.model("top-k", (K.part("S", k), K.part("T", n - k, nonempty=False)), {"S"}, {delta: FAIL})
    count = P.meaning(N_t).rel.rhs
    *_, at_least = K.hypothesis("thm:error-whp", mdl)     # k >= the count bound at t, delta/3
    deviation = sp.expand_log(bernstein_u(n * p * (1 - p), FAIL / 3))
    bern = P.concentration("ax:bernstein", count, deviation=deviation, failure=FAIL / 3, hi=1)
    few = K.derive(sp.Le(count, k), ineqs=[(bern, 1), (at_least, 1)])
    (low,) = P.dropped_below(mdl, few)
    assert low.rel == sp.Le(sp.IndexedBase("s", real=True)[mdl.part("T").index], t) and low.events
    with pytest.raises(ProofError, match="is not k"):
        P.dropped_below(mdl, K.derive(sp.Le(count, k + 1), ineqs=[(few, 1)]))
    with pytest.raises(ProofError, match="not a count <= k"):
        P.dropped_below(mdl, K.decide(sp.Le(t, t + 1, evaluate=False)))
    mass = P.meaning(T_t).rel.rhs
    part = P.part_of_sum(mdl, "T", mass, low)
    assert part.rel == sp.Le(mdl.part("T").W, mass) and part.events == low.events
    with pytest.raises(ProofError, match="does not put the members"):
        P.part_of_sum(mdl, "S", mass, low)
    with pytest.raises(ProofError, match="not a term >= 0"):
        P.part_of_sum(mdl, "T", P.score_sum(sp.Piecewise((-1, x <= t), (0, True))), low)


def test_markov_weaken_and_all_below_check_their_inputs():
    from natsparse.proofs.gaussian import M

    above = P.score_sum(sp.Piecewise((1, x > M), (0, True)))
    expected = n * P.moment(above, 1)
    with pytest.raises(ProofError, match="bound at the deviation"):
        P.concentration("ax:markov", above, deviation=1, failure=expected / 2)
    none = P.concentration("ax:markov", above, deviation=1, failure=expected)
    assert none.rel == sp.Lt(above, 1) and none.failure == expected
    with pytest.raises(ProofError, match="not a sure bound"):
        P.weaken(none, K.decide(sp.Le(M, M + 1, evaluate=False)))
    mdl = K.model("all", (K.part("A", n),), {"A"}, {})
    (low,) = P.all_below(mdl, none)
    assert low.rel == sp.Le(sp.IndexedBase("s", real=True)[mdl.part("A").index], M)
    with pytest.raises(ProofError, match="are not 1..n"):
        P.all_below(K.model("half", (K.part("A", n - 1),), {"A"}, {}), none)
