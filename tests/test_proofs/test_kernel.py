"""proofs/kernel.py: a Fact is made only by the rules, and each rule refuses what does not establish its
conclusion. The review's eight sabotaged steps (each a false step of a real proof) are refused."""

import pytest
import sympy as sp

from natsparse.proofs import kernel as K
from natsparse.proofs.general import PROOFS, _top, p, p0
from natsparse.proofs.kernel import Fact, ProofError, ProofLog
from natsparse.proofs.symbols import a_max, err, k, n, tau, tau_next, tau_S, v_max, v_spread

x, y = sp.symbols("x y", positive=True)


def le(lhs, rhs):
    """lhs <= rhs, kept as a relation (SymPy would evaluate x <= x + y to True)."""
    return sp.Le(lhs, rhs, evaluate=False)


def test_a_fact_cannot_be_forged():
    with pytest.raises(ProofError, match="made by the kernel's rules only"):
        Fact(sp.Le(x, y), (), None, "decide", ("sympy",))


def test_decide_reads_both_sides():
    assert K.decide(sp.Le(x / (x + y), 1)).rel == sp.Le(x / (x + y), 1)
    for false in (sp.Le(x, y), sp.Ge(x / (x + y), 1), sp.Ne(x, x, evaluate=False), sp.Eq(x, 2 * x),
                  sp.Lt(x, x, evaluate=False), sp.Lt(x + 1, x)):
        with pytest.raises(ProofError, match="does not decide|evaluates the relation to False"):
            K.decide(false)


def test_derive_checks_multipliers_and_the_residual():
    z = sp.Symbol("z", real=True)
    f = K.decide(le(z, z**2 + z))
    assert K.derive(le(2 * z, 2 * z**2 + 2 * z), ineqs=[(f, 2)]).rel == le(2 * z, 2 * z**2 + 2 * z)
    with pytest.raises(ProofError, match="multiplier"):
        K.derive(le(2 * z, 2 * z**2 + 2 * z), ineqs=[(f, -2)])
    with pytest.raises(ProofError, match="does not follow"):
        K.derive(le(z**2 + z, z), ineqs=[(f, 1)])
    with pytest.raises(ProofError, match="equations only"):
        K.derive(sp.Eq(z, z**2 + z), ineqs=[(f, 1)])


def test_facts_of_two_models_are_never_mixed():
    row1, row2 = K.unfold(_top(p0, "one")), K.unfold(_top(p, "two"))
    with pytest.raises(ProofError, match="different models"):
        K.derive(sp.Le(tau, 1), eqs=[row1["tau"], row2["Z"]])


def test_sum_over_needs_a_fact_at_the_members_and_a_nonnegative_weight():
    mdl = _top(p0)
    S, T = mdl.parts
    row = K.unfold(mdl)
    member = K.maximum(v_max, mdl, (T,))
    with pytest.raises(ProofError, match="not"):
        K.sum_over((S,), member)
    with pytest.raises(ProofError, match="weight"):
        K.sum_over((T,), member, -1)
    summed = K.sum_over((T,), member, row["a:T"].rel.rhs)
    assert summed.rel.rhs == v_max * T.W / K.Z


def test_an_instance_checks_values_and_hypotheses():
    z = sp.Symbol("z", real=True)
    (f,) = K.instance("ax:exp-monotone", given=[K.decide(le(z, z**2 + z))], x=z, y=z**2 + z)
    assert f.rel == sp.Le(sp.exp(z), sp.exp(z**2 + z))
    with pytest.raises(ProofError, match="neither decided nor given"):
        K.instance("ax:exp-monotone", x=z**2 + z, y=z)
    with pytest.raises(ProofError, match="needs values"):
        K.instance("ax:exp-monotone", x=x)
    with pytest.raises(ProofError, match="kernel rule"):
        K.instance("ax:max-bound", x=x)
    # a result used as a lemma keeps its quantities: tau cannot become 0
    with pytest.raises(ProofError, match="must stay itself"):
        K.instance("thm:output-error", err=err, tau=0, D_SH=v_spread, v_max=v_max)
    # nor can its sizes change: the tail of window k is not bounded by 1 - 2k/n (the step-sabotage gate
    # found this hole: an instance of lem:tail-monotone with k doubled was accepted)
    with pytest.raises(ProofError, match="must stay itself"):
        K.instance("lem:tail-monotone", tau=tau, **{"tau_{k+1}": tau_next}, k=2 * k, n=n)


def test_order_and_tails_need_the_right_window():
    """ax:topk-order holds for the top-k set only, and tau_S is the tail of a set of k keys."""
    q, c = sp.symbols("q c", integer=True, nonnegative=True)
    parts = (K.part("A", q, nonempty=False), K.part("C", c, nonempty=False), K.part("B", q, nonempty=False))
    wrong = K.model("kept A only", parts, {"A"}, {n: 2 * q + c, k: q + c})
    with pytest.raises(ProofError, match="do not hold k keys"):
        K.order(wrong)
    right = K.model("kept A and C", parts, {"A", "C"}, {n: 2 * q + c, k: q + c})
    with pytest.raises(ProofError, match="does not hold"):
        K.unfold(right, tail=(tau_S, {"B"}))
    assert K.unfold(right, tail=(tau_S, {"C", "B"}))["tail"].rel.lhs == tau_S


def test_a_maximum_bound_must_cover_the_whole_range():
    mdl = _top(p0)
    S, T = mdl.parts
    only_T = K.derive(sp.Le(K.norm(T.v), 1 + v_max), ineqs=[(K.maximum(v_max, mdl, (T,)), 1)], over=("T",))
    with pytest.raises(ProofError, match="ranges over more"):
        K.maximum_at_most(v_max, mdl, (T,), only_T)


def test_conclude_needs_every_relation_of_the_registry():
    mdl = _top(p0)
    with pytest.raises(ProofError, match="no step derives"):
        K.conclude("lem:max-weight", [K.decide(le(x, x + y))], [mdl])


def _sabotage(result_id, rule, change):
    """Run a proof with the first call of `rule` whose inputs `change` accepts replaced by its result."""
    done = []

    def saboteur(_index, name, inputs):
        if name == rule and not done:
            new = change(inputs)
            if new is not None:
                done.append(True)
                return new
        return inputs

    PROOFS[result_id].check(saboteur=saboteur)
    assert done, f"{rule} step not found"


def _goal_scaled(factor, test=lambda g: True):
    def change(inputs):
        goal = inputs.get("goal")
        if goal is not None and test(goal):
            return {**inputs, "goal": goal.func(goal.lhs, factor * goal.rhs, evaluate=False)}
        return None
    return change


def _multiplier_scaled(factor):
    def change(inputs):
        if inputs.get("ineqs"):
            (fact, lam), *rest = inputs["ineqs"]
            return {**inputs, "ineqs": [(fact, factor * lam), *rest]}
        return None
    return change


def _weight_scaled(factor):
    def change(inputs):
        return {**inputs, "weight": factor * inputs["weight"]} if "weight" in inputs else None
    return change


@pytest.mark.parametrize(("result_id", "rule", "change", "what"), [
    ("thm:output-error", "derive", _goal_scaled(sp.Rational(1, 2), lambda g: g.lhs == err),
     "err <= tau D_SH / 2 (the output-error chain halved)"),
    ("thm:output-error", "derive", _goal_scaled(sp.Rational(1, 2), lambda g: g.lhs.func == K.norm),
     "||v_j - v_i|| <= v_max (the triangle step halved)"),
    ("lem:gap-bound", "sum_over", _weight_scaled(2), "W_S >= 2 k e^{s_(k)} (count times extreme doubled)"),
    ("lem:max-weight", "derive", _goal_scaled(sp.Rational(1, 2), lambda g: g.rhs == a_max),
     "a_j <= a_max / 2 at every kept key (so 1 - tau <= k a_max / 2)"),
    ("lem:eps-k-tail", "derive", _multiplier_scaled(2), "the sparse tail counted twice"),
    ("lem:tail-monotone", "derive", _multiplier_scaled(sp.Rational(1, 2)), "tau_k <= 1 - k/n, half a term"),
    ("lem:topk-optimal", "sum_over", _weight_scaled(sp.Rational(1, 2)), "W_A >= q e^{s_(k)} / 2 (exchange)"),
    ("thm:threshold-error", "derive", _goal_scaled(sp.Rational(1, 2), lambda g: g.rhs.has(sp.Symbol("eps"))
                                                    or "eps" in str(g.rhs)), "a dropped a_j <= eps / 2"),
])
def test_the_reviews_sabotaged_steps_are_refused(result_id, rule, change, what):
    """Each of these false steps was accepted by the old prover (a hand-written substitution); the
    kernel refuses it, or the proof no longer reaches the registry formula."""
    with pytest.raises(ProofError):
        _sabotage(result_id, rule, change)


def test_every_step_is_recorded_and_cites_what_it_uses():
    with ProofLog("demo") as log:
        K.decide(le(x, x + y))
        K.meaning(err)
    assert [s.rule for s in log.steps] == ["decide", "meaning"] and log.cited() == ["sympy", "notation"]


def test_an_instance_of_eps_k_tail_needs_its_premise():
    """lem:eps-k-tail holds for (eps,k)-sparse rows only: its hypothesis N_eps <= k must be given, and the
    fact then holds only where that premise does (it is no result's own hypothesis but lem:eps-k-tail's)."""
    from natsparse.proofs.registry import registry
    from natsparse.proofs.symbols import N_eps, eps

    values = {"tau": tau, "err": err, "eps": eps, "k": k, "n": n, "v_max": v_max, "N_eps": N_eps}
    with pytest.raises(ProofError, match="neither decided nor given"):
        K.instance("lem:eps-k-tail", **values)
    (premise,) = K.hypothesis("lem:eps-k-tail")
    first, _ = K.instance("lem:eps-k-tail", given=[premise], **values)
    assert first.events == premise.events and first.failure == 0
    assert K._chance_ok(registry["lem:eps-k-tail"], first, {})
    assert not K._chance_ok(registry["lem:max-weight"], first, {})
    with pytest.raises(ProofError, match="not the premise"):
        K.eps_k_sparse(_top(p0), K.decide(sp.Le(k, k + 1, evaluate=False)))
