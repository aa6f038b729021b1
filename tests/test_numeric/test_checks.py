"""Property tests: every deterministic result holds on generated inputs, bound against the
50-digit measured value, and arb never finds a violation; every record is the registry's formula.

`hypothesis.target(measured/bound)` pushes the search toward the tightest inputs (ratio -> 1);
`@example` pins the inputs where a bound is attained or nearly so (`numeric.panel.tight_rows`:
dyadic eps, dropped weights just below eps, v = +-u, equal scores, gaps of every size) and the
known edge cases (n = 1, ties, one huge score, k = 1, k = n-1). Swapping a false formula into the
registry (a mutant) makes the checks fail on those tight inputs.
"""

import dataclasses
import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, example, given, target
from hypothesis import strategies as st

from natsparse.numeric import CHECKS, mp
from natsparse.numeric.bounds import evaluate_expr
from natsparse.numeric.checks import (
    check_eps_k_tail,
    check_gap_bound,
    check_loss_gradient,
    check_max_weight,
    check_output_error,
    check_output_factorization,
    check_tail_identity,
    check_tail_monotone,
    check_threshold_error,
    check_topk_optimal,
    check_worst_case_error,
)
from natsparse.numeric.panel import (
    edge_rows,
    inputs,
    just_below,
    random_rows,
    tight_rows,
    two_level,
    worst_values,
)
from natsparse.numeric.records import informative
from natsparse.numeric.validate import topk_indices
from natsparse.proofs import get
from natsparse.proofs import symbols as S
from natsparse.proofs.registry import registry
from tests.strategies import rows_and_k, score_rows, values_for

TIES = np.array([3.0, 3.0, 3.0, 1.0, 1.0, -2.0])
HUGE = np.array([1e4, 0.0, 0.0, -1e4])
EQUAL = np.zeros(8)             # every weight is the dyadic 1/8
PAIRS = [(two_level(8, 3, g), 3) for g in (0.0, 2.0 ** -40, 1.0, 5.0, 30.0)]
THRESHOLD = np.log([0.406, 0.297, 0.297])


def examples(*cases):
    """@example for each case (a tuple of the test's arguments)."""
    def deco(fn):
        for case in reversed(cases):
            fn = example(*case)(fn)
        return fn
    return deco


def holds(records):
    """Every relation passed at 50 digits and arb found no violation; target the tightest.

    Only informative records are targeted: where both sides are below the 50-digit slack
    (about 1e-45) the ratio measures rounding, not the bound (arb certifies those cases).
    """
    for r in records:
        assert r.passed, f"{r.result_id}: {r.name} fails: bound {r.bound}, measured {r.measured}"
        assert r.certified is not False, f"{r.result_id}: arb proves {r.name} violated"
    for r in informative(records):
        if r.relation != "eq" and math.isfinite(r.ratio):
            target(r.ratio, label=f"{r.result_id} {r.name}")
    return records


@st.composite
def rows_k_values(draw, max_n=300, k_below_n=False):
    s, k = draw(rows_and_k(max_n=max_n, k_below_n=k_below_n))
    return s, k, draw(values_for(len(s)))


def worst(s, k, u=(1.0,)):
    return s, k, worst_values(s, topk_indices(s, k), u)


@given(rows_and_k())
@examples(*[((s, k),) for s, k in PAIRS], ((np.array([0.0]), 1),), ((TIES, 2),), ((HUGE, 1),),
          ((np.zeros(1024), 512),))
def test_tail_identity(case):
    s, k = case
    holds(check_tail_identity(s, k=k))


@given(rows_k_values())
@examples(*[(worst(s, k, (1.0, 0.0, 0.0)),) for s, k in PAIRS], ((TIES, 6, np.ones((6, 1))),))
def test_output_factorization(case):
    s, k, V = case
    records = holds(check_output_factorization(s, V, k=k))
    assert records or k == len(s)          # tau = 0 (k = n) is outside the hypothesis tau > 0


@given(rows_k_values(max_n=120))
@examples(*[(worst(s, k, u),) for s, k in PAIRS for u in ((1.0,), (0.5, 0.5, 0.5, 0.5))])
def test_output_error(case):
    s, k, V = case
    holds(check_output_error(s, V, k=k))


@given(rows_and_k(k_below_n=True))
@examples(*[((s, k),) for s, k in PAIRS], ((np.array([0.5, 0.0]), 1),), ((TIES, 3),))
def test_worst_case_error_is_attained(case):
    s, k = case
    holds(check_worst_case_error(s, k=k))


@given(score_rows(), st.floats(1e-9, 0.5))
@example(EQUAL, 0.125).via("dyadic: tau = 7/8 = (n-k) eps exactly")
@example(np.zeros(1024), 2.0 ** -10).via("dyadic, n = 1024")
@example(just_below(10, 2, 4), 2.0 ** -4).via("dropped weights just below eps")
@example(just_below(300, 1, 9), 2.0 ** -9)
@example(np.array([0.0]), 0.5)
def test_eps_k_tail(s, eps):
    holds(check_eps_k_tail(s, eps=eps))


@given(rows_and_k(k_below_n=True))
@examples(*[((two_level(n, k, g), k),) for n, k in ((8, 3), (300, 1), (300, 299))
            for g in (0.0, 2.0 ** -40, 1.0, 30.0, 700.0)], ((TIES, 2),), ((HUGE, 1),))
def test_gap_bound(case):
    s, k = case
    holds(check_gap_bound(s, k=k))


@given(rows_and_k(), st.integers(0, 2**31))
@example((TIES, 2), 0)
@example((EQUAL, 3), [5, 6, 7]).via("equal scores: every 3-set discards 5/8")
@example((two_level(8, 3, 1.0), 3), [0, 1, 2]).via("S' = S")
def test_topk_is_optimal(case, other):
    s, k = case
    kw = {"other": other} if isinstance(other, list) else {"seed": other}
    holds(check_topk_optimal(s, k=k, **kw))


@given(rows_and_k())
@example((np.array([0.0]), 1))
@example((EQUAL, 1)).via("all equal: tau = 1 - k/n")
@example((EQUAL, 8))
@example((np.zeros(1024), 1)).via("tau_2/tau_1 = 1 - 1/1023")
def test_tail_monotone(case):
    s, k = case
    holds(check_tail_monotone(s, k=k))


@given(rows_and_k())
@examples(*[((s, k),) for s, k in PAIRS], ((EQUAL, 2),), ((np.array([2.0, -3.0]), 1),))
def test_max_weight(case):
    s, k = case
    holds(check_max_weight(s, k=k))


@given(rows_and_k(max_n=25))
@example((two_level(8, 3, 2.0 ** -40), 3)).via("L_k = 1 - k/n up to 2^-40")
@example((two_level(8, 7, 1.0), 7))
def test_loss_gradient(case):
    s, k = case
    order = np.argsort(-s, kind="stable")
    assume(k == len(s) or s[order[k - 1]] != s[order[k]])
    holds(check_loss_gradient(s, k=k))


def test_loss_gradient_rejects_a_boundary_tie():
    with pytest.raises(ValueError, match="tie at the top-k boundary"):
        check_loss_gradient(TIES, k=2)


@st.composite
def threshold_cases(draw):
    s = draw(score_rows(min_n=1))
    # below 1/n: a float64 1/n may be rounded up past the weights of an all-equal row
    eps = draw(st.floats(1e-9, math.nextafter(1.0 / len(s), 0.0) if len(s) > 1 else 0.5))
    return s, eps, draw(values_for(len(s)))


def _threshold_worst(s, eps, u=(1.0,)):
    return s, eps, worst_values(s, mp.threshold_attention(s, eps=eps).kept, u)


@given(threshold_cases())
@examples((_threshold_worst(THRESHOLD, 0.3),),
          (_threshold_worst(two_level(1024, 1, 2.0 ** -40), 2.0 ** -10),),
          (_threshold_worst(just_below(100, 5, 7), 2.0 ** -7, (0.5, 0.5, 0.5, 0.5)),))
def test_threshold_error(case):
    s, eps, V = case
    holds(check_threshold_error(s, V, eps=eps))


def test_every_deterministic_result_has_a_check():
    assert set(CHECKS) == {
        "lem:tail-identity", "lem:output-factorization", "thm:output-error", "lem:worst-case-error",
        "lem:eps-k-tail", "lem:gap-bound", "lem:topk-optimal", "lem:tail-monotone",
        "lem:max-weight", "lem:loss-gradient", "thm:threshold-error"}


# --- one source: every record is the registry's formula ------------------------------------------

PANEL_ROWS = edge_rows() + random_rows(10, seed=11, n_max=60)


def _close(x, y, rel):
    return abs(x - y) <= rel * max(abs(x), abs(y), mpmath.mpf(10) ** -45)


def _expected(result_id: str, kw: dict, rec) -> dict:
    """The values of the formula's symbols on this input, measured here independently of the check."""
    s = np.asarray(kw["scores"], dtype=np.float64)
    n, k = len(s), rec.params.get("k")
    out: dict = {"n": n}
    if k is not None:
        out.update(k=k, tau=mp.tail_mass(s, k=k))
    if "eps" in kw:
        out["eps"] = mpmath.mpf(kw["eps"])
    if result_id == "thm:threshold-error":
        row = mp.threshold_attention(s, eps=kw["eps"])
        out.update(tau_thr=row.tau, m=n - len(row.kept))
    if result_id == "lem:max-weight":
        out["a_max"] = max(mp.softmax(s))
    if result_id == "lem:tail-monotone" and k < n:
        out["tau_{k+1}"] = mp.tail_mass(s, k=k + 1)
    if result_id == "lem:topk-optimal":
        a = mp.softmax(s)
        out["tau_S"] = mpmath.fsum(a[j] for j in range(n) if j not in set(rec.params["other"]))
    if result_id == "lem:gap-bound":
        desc = np.sort(s)[::-1]
        out.update(Delta=mpmath.mpf(desc[k - 1]) - mpmath.mpf(desc[k]), s_k1=mpmath.mpf(desc[k]),
                   LSE=mp.logsumexp(s))
    if result_id == "lem:loss-gradient":
        out["L_k"] = out["tau"]
    if "values" in kw and result_id in ("thm:output-error", "thm:threshold-error"):
        V = np.asarray(kw["values"], dtype=np.float64)
        if rec.name.endswith("[max-norm]"):
            out["v_max"] = mpmath.mpf(float(np.max(np.abs(V))))
        elif rec.name.endswith("[2-norm]"):
            out["v_max"] = mpmath.mpf(float(np.max(np.linalg.norm(V, axis=1))))
    return out


@pytest.mark.parametrize("result_id", sorted(CHECKS))
def test_every_record_is_the_registry_formula(result_id):
    """Each record's bound and measured side are the right- and left-hand sides of a relation of
    the registry's formula at the record's values `at`, those values are the input's (measured
    independently here), and every relation of the formula is checked somewhere on the panel."""
    rels = get(result_id).relations()
    seen = set()
    panel = inputs(result_id, PANEL_ROWS, seed=11) + tight_rows(result_id)
    for kw in panel:
        for rec in CHECKS[result_id](**kw):
            assert rec.relation_index is not None, f"{rec.name} is not a relation of the formula"
            rel = rels[rec.relation_index]
            seen.add(rec.relation_index)
            with mpmath.workdps(50):
                assert rec.bound == evaluate_expr(rel.rhs, rec.at), rec.name
                assert rec.measured == evaluate_expr(rel.lhs, rec.at), rec.name
                for name, want in _expected(result_id, kw, rec).items():
                    if name in rec.at:
                        tol = 1e-12 if name == "v_max" else mpmath.mpf(10) ** -40
                        got = mpmath.mpf(rec.at[name])
                        assert _close(got, mpmath.mpf(want), tol), (name, got, want)
    assert seen == set(range(len(rels))), f"relations {set(range(len(rels))) - seen} are never checked"


# --- mutants: a false formula in the registry fails on the tight inputs ------------------------------

ERR_EPS_K = sp.Le(S.err, 2 * (S.n - S.k) * S.eps * S.v_max)
MUTANTS = {
    "thm:output-error: 1.5 tau v_max": ("thm:output-error", sp.Tuple(
        sp.Le(S.err, S.tau * S.v_spread), sp.Le(S.tau * S.v_spread, sp.Rational(3, 2) * S.tau * S.v_max))),
    "thm:output-error: err <= 1.5 tau v_max alone": (
        "thm:output-error", sp.Le(S.err, sp.Float("1.5") * S.tau * S.v_max)),
    "lem:eps-k-tail: 0.9 (n-k) eps": ("lem:eps-k-tail", sp.Tuple(
        sp.Le(S.tau, sp.Rational(9, 10) * (S.n - S.k) * S.eps), ERR_EPS_K)),
    "lem:eps-k-tail: Float 0.9 (n-k) eps": ("lem:eps-k-tail", sp.Tuple(
        sp.Le(S.tau, sp.Float("0.9") * (S.n - S.k) * S.eps), ERR_EPS_K)),
    "thm:threshold-error: (#dropped) eps / 2": ("thm:threshold-error", sp.Tuple(
        sp.Le(S.tau_thr, S.m * S.eps / 2), sp.Lt(S.m * S.eps, S.n * S.eps),
        sp.Le(S.err, 2 * S.tau_thr * S.v_max))),
}


def _swap(monkeypatch, result_id, formula):
    monkeypatch.setitem(registry, result_id, dataclasses.replace(registry[result_id], formula=formula))


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_a_false_formula_fails_on_the_tight_inputs(mutant, monkeypatch):
    result_id, formula = MUTANTS[mutant]
    rows = tight_rows(result_id)
    before = [r for kw in rows for r in CHECKS[result_id](**kw)]
    assert before and all(r.passed and r.certified is not False for r in before)
    _swap(monkeypatch, result_id, formula)           # read at call time: no reload, no cache to clear
    after = [r for kw in rows for r in CHECKS[result_id](**kw)]
    failed = [r for r in after if not r.passed]
    assert failed, f"{mutant} passed every tight input"
    assert all(r.certified is False for r in failed), "arb must prove each failure"
    monkeypatch.undo()
    assert all(r.passed for kw in rows[:3] for r in CHECKS[result_id](**kw))   # the true formula again


def test_a_strict_or_reversed_relation_is_evaluated_as_written(monkeypatch):
    """A formula may use > (and <): tau > -k a_max holds and arb proves it; tau > 1 - k a_max is
    false where it is attained (all equal), and both mpmath and arb say so."""
    _swap(monkeypatch, "lem:max-weight", sp.Gt(S.tau, -S.k * S.a_max, evaluate=False))
    (r,) = check_max_weight(EQUAL, k=2)
    assert (r.relation, r.passed, r.certified) == ("gt", True, True)
    _swap(monkeypatch, "lem:max-weight", sp.Gt(S.tau, 1 - S.k * S.a_max))
    (r,) = check_max_weight(EQUAL, k=2)
    assert (r.passed, r.certified) == (False, False)


def test_a_formula_the_check_cannot_evaluate_is_an_error(monkeypatch):
    _swap(monkeypatch, "lem:max-weight", sp.Le(S.tau, S.beta))
    with pytest.raises(ValueError, match=r"measures no \['beta'\]"):
        check_max_weight(EQUAL, k=2)
    _swap(monkeypatch, "lem:max-weight", sp.true)
    with pytest.raises(ValueError, match="not a relation"):
        check_max_weight(EQUAL, k=2)


# --- smaller defects ----------------------------------------------------------------------------------

def test_vacuous_records_are_marked_and_not_informative():
    """tau = e^-2000 against bounds of the same size: both sides are below the 50-digit slack, so
    the records check nothing at 50 digits (arb still decides them at the digits they need)."""
    recs = check_gap_bound(np.array([0.0, -2000.0]), k=1)
    assert all(r.vacuous and r.passed for r in recs) and informative(recs) == []
    assert all(not r.vacuous for r in check_gap_bound(two_level(8, 3, 1.0), k=3))


def test_eps_k_tail_counts_the_exact_weights_of_a_dyadic_row():
    """All-equal n = 1024, eps = 2^-10: no weight exceeds eps, so k = 1 and tau = 1023/1024 = (n-k) eps
    exactly (counting with exp(s - LSE), whose rounding puts 1/1024 above eps, made it k = n: 0 <= 0)."""
    r1, r2 = check_eps_k_tail(np.zeros(1024), eps=2.0 ** -10)
    assert r1.params["k"] == 1 and r1.measured == r1.bound == mpmath.mpf(1023) / 1024
    assert (r1.certified, r2.certified) == (True, True) and not r1.vacuous


def test_eps_k_tail_checks_the_error_relation_too():
    V = np.random.default_rng(1).normal(size=(6, 2))
    recs = check_eps_k_tail(np.array([2.0, 1.0, 0.0, -1.0, -1.0, -3.0]), eps=0.05, values=V)
    assert [r.relation_index for r in recs] == [0, 1] and recs[1].name.endswith("[max-norm]")
    assert recs[1].at["v_max"] == float(np.max(np.abs(V)))


def test_topk_optimal_rejects_indices_that_are_not_integers():
    with pytest.raises(TypeError, match="integer indices"):
        check_topk_optimal(TIES, k=2, other=[0.0, 1.7])
    with pytest.raises(ValueError, match="distinct indices"):
        check_topk_optimal(TIES, k=2, other=[1, 1])


def test_eps_k_tail_rejects_a_row_that_is_not_sparse():
    with pytest.raises(ValueError, match="not \\(eps,k\\)-sparse"):
        check_eps_k_tail(EQUAL, eps=0.01, k=2)


def _prefilter_agrees(V, n_head):
    from natsparse.numeric import checks

    rows = [[mpmath.mpf(float(x)) for x in r] for r in V]
    head, tail = list(range(n_head)), list(range(n_head, len(V)))
    with mpmath.workdps(50):
        fast = checks._spread(rows, tail, head, "2-norm", checks._norm2, max, V)
        slow = checks._spread(rows, tail, head, "2-norm", checks._norm2, max)
    assert fast == slow


@given(st.integers(1, 30), st.integers(1, 30), st.integers(1, 4), st.integers(-300, 300),
       st.integers(0, 2**32 - 1), st.sampled_from(["normal", "grid", "equal"]))
def test_the_float_prefilter_keeps_the_farthest_pair(n_head, n_tail, dv, exponent, seed, kind):
    """D_SH in the 2-norm from the prefiltered pairs equals the maximum over all pairs, exactly,
    at every magnitude (under- and overflow of the float squares included) and with ties."""
    rng = np.random.default_rng(seed)
    V = rng.normal(size=(n_head + n_tail, dv)) * 10.0 ** exponent
    if kind == "grid":
        V = np.round(rng.normal(size=V.shape) * 3) * 2.0 ** (exponent // 4)
    elif kind == "equal":
        V[:] = V[0]
        V[-1, 0] = np.nextafter(V[-1, 0], np.inf)
    _prefilter_agrees(V, n_head)


def test_the_float_prefilter_survives_a_misordered_pair():
    """|A| > |B| exactly (by 1.4e-17, relative), but float64 says |B|^2 > |A|^2 (by 1.3e-16): a
    prefilter that kept only the float maximum would return |B|."""
    A, B = [0.36457239618607573, 0.294132496655526], [0.02842224131579679, 0.46756725061562704]
    assert A[0] ** 2 + A[1] ** 2 < B[0] ** 2 + B[1] ** 2
    for scale in (1.0, 2.0 ** -600, 2.0 ** 500):
        _prefilter_agrees(np.array([[0.0, 0.0], A, B]) * scale, 1)


def test_the_ratio_of_a_lower_bound_is_bound_over_measured():
    (r,) = check_max_weight(np.array([1.0, 0.5, 0.0, 0.0]), k=2)
    assert r.relation == "ge" and 0 < r.bound < r.measured and r.ratio == float(r.bound / r.measured)


def test_loss_gradient_reports_the_worst_l(monkeypatch):
    """The derivative relation is checked at every l and reported at the worst one: a formula that is
    false only where l is dropped fails (kept l come first, and hold)."""
    s = np.array([2.0, 1.0, 0.0, -1.0, -3.0])
    (rec, _) = check_loss_gradient(s, k=2)
    assert rec.passed and rec.name.endswith("the worst of 5]")
    true = get("lem:loss-gradient").formula
    wrong = sp.Eq(true[0].lhs, true[0].rhs + (1 - S.one_S(S.l)) * S.a[S.l] / 1000)
    _swap(monkeypatch, "lem:loss-gradient", sp.Tuple(wrong, true[1]))
    (rec, _) = check_loss_gradient(s, k=2)
    assert not rec.passed and rec.at["1_S(l)"] == 0
