"""The general-n proofs go through on the real registry, and they check the registry's own formula:
a false variant swapped into the registry (a constant scaled by 0.9, a flipped relation) makes the
prover raise, a looser true variant (an upper bound scaled by 1.1) still passes."""

import dataclasses

import pytest
import sympy as sp

from natsparse.proofs import general
from natsparse.proofs.registry import registry
from natsparse.proofs.symbols import (
    KL,
    L1,
    LSE,
    TV,
    Delta,
    L_k,
    a,
    a_max,
    ds,
    eps,
    err,
    j,
    k,
    l,
    m,
    mu_H,
    mu_T,
    n,
    o,
    o_hat,
    one_S,
    s_k1,
    tau,
    tau_next,
    tau_S,
    tau_thr,
    v_max,
    v_spread,
)

sup_err = sp.Symbol("sup_err", nonnegative=True)
R = sp.Rational
T = sp.Tuple

DETERMINISTIC_IDS = ["lem:tail-identity", "lem:output-factorization", "thm:output-error",
                     "lem:worst-case-error", "lem:eps-k-tail", "lem:gap-bound", "lem:topk-optimal",
                     "lem:tail-monotone", "lem:max-weight", "lem:loss-gradient", "thm:threshold-error"]

_gap1 = sp.Le(tau, 1 / (1 + k / (n - k) * sp.exp(Delta)))
_gap2 = sp.Le(tau, (n - k) * sp.exp(s_k1 - LSE))
_grad = sp.Eq(ds(l), a[l] * (1 - one_S(l) - tau))

#: result id -> false variants of its formula (each must make the prover raise)
FALSE = {
    "lem:tail-identity": [
        T(sp.Eq(L1, R(9, 10) * 2 * tau), sp.Eq(TV, tau), sp.Eq(KL, -sp.log(1 - tau)),
          sp.Eq(TV, 1 - sp.exp(-KL))),
        T(sp.Eq(L1, 2 * tau), sp.Eq(TV, tau), sp.Eq(KL, -0.9 * sp.log(1 - tau)), sp.Eq(TV, 1 - sp.exp(-KL))),
        T(sp.Eq(L1, 2 * tau), sp.Eq(TV, tau), sp.Eq(KL, -sp.log(1 - tau)), sp.Eq(TV, 1 - sp.exp(-0.9 * KL))),
    ],
    "lem:output-factorization": [
        sp.Eq(o - o_hat, 0.9 * tau * (mu_T - mu_H)),
        sp.Eq(o - o_hat, tau * (mu_H - mu_T)),
    ],
    "thm:output-error": [
        T(sp.Le(err, tau * v_spread), sp.Le(tau * v_spread, 1.5 * tau * v_max)),
        T(sp.Le(err, tau * v_spread), sp.Le(tau * v_spread, 1.8 * tau * v_max)),
        T(sp.Le(err, 0.9 * tau * v_spread), sp.Le(tau * v_spread, 2 * tau * v_max)),
        T(sp.Ge(err, tau * v_spread), sp.Le(tau * v_spread, 2 * tau * v_max)),
    ],
    "lem:worst-case-error": [sp.Eq(sup_err, 1.8 * tau), sp.Ge(sup_err, 2.2 * tau)],
    "lem:eps-k-tail": [
        T(sp.Le(tau, 0.9 * (n - k) * eps), sp.Le(err, 2 * (n - k) * eps * v_max)),
        T(sp.Le(tau, (n - k) * eps), sp.Le(err, 1.8 * (n - k) * eps * v_max)),
        T(sp.Le(tau, (n - k - 1) * eps), sp.Le(err, 2 * (n - k) * eps * v_max)),
    ],
    "lem:gap-bound": [
        T(sp.Le(tau, 0.9 / (1 + k / (n - k) * sp.exp(Delta))), _gap2),
        T(sp.Le(tau, 1 / (1 + 1.1 * k / (n - k) * sp.exp(Delta))), _gap2),
        T(_gap1, sp.Le(tau, 0.9 * (n - k) * sp.exp(s_k1 - LSE))),
    ],
    "lem:topk-optimal": [sp.Le(tau, 0.9 * tau_S), sp.Ge(tau, tau_S)],
    "lem:tail-monotone": [
        T(sp.Le(tau, tau_next), sp.Le(tau, 1 - k / n)),
        T(sp.Le(tau_next, tau), sp.Le(tau, 0.9 * (1 - k / n))),
        T(sp.Le(tau_next, tau), sp.Le(tau, 1 - 1.1 * k / n)),
    ],
    "lem:max-weight": [sp.Ge(tau, 1 - 0.9 * k * a_max), sp.Le(tau, 1 - k * a_max)],
    "lem:loss-gradient": [
        T(sp.Eq(ds(l), a[l] * (1 - one_S(l) - 0.9 * tau)), sp.Le(L_k, 1 - k / n)),
        T(sp.Eq(ds(l), a[l] * (one_S(l) - tau)), sp.Le(L_k, 1 - k / n)),
        T(_grad, sp.Le(L_k, 0.9 * (1 - k / n))),
    ],
    "thm:threshold-error": [
        T(sp.Le(tau_thr, R(1, 2) * m * eps), sp.Lt(m * eps, n * eps), sp.Le(err, 2 * tau_thr * v_max)),
        T(sp.Le(tau_thr, m * eps), sp.Lt(m * eps, (n - 1) * eps), sp.Le(err, 2 * tau_thr * v_max)),
        T(sp.Le(tau_thr, m * eps), sp.Lt(m * eps, n * eps), sp.Le(err, 1.8 * tau_thr * v_max)),
    ],
}

#: result id -> true variants (looser bounds, equivalent forms) that must still pass
TRUE = {
    "lem:tail-identity": [T(sp.Le(L1, 2.2 * tau), sp.Eq(TV, L1 / 2), sp.Eq(KL, -sp.log(1 - TV)))],
    "lem:output-factorization": [sp.Eq(o, o_hat + tau * (mu_T - mu_H))],
    "thm:output-error": [T(sp.Le(err, 1.1 * tau * v_spread), sp.Le(tau * v_spread, 2.2 * tau * v_max)),
                         sp.Le(err, 2 * tau * v_max)],
    "lem:worst-case-error": [sp.Le(sup_err, 2.2 * tau), sp.Ge(sup_err, 1.8 * tau)],
    "lem:eps-k-tail": [T(sp.Le(tau, 1.1 * (n - k) * eps), sp.Le(err, 2.2 * (n - k) * eps * v_max))],
    "lem:gap-bound": [T(sp.Le(tau, 1.1 / (1 + k / (n - k) * sp.exp(Delta))),
                        sp.Le(tau, 1.1 * (n - k) * sp.exp(s_k1 - LSE)))],
    "lem:topk-optimal": [sp.Le(tau, 1.1 * tau_S)],
    "lem:tail-monotone": [T(sp.Le(tau_next, 1.1 * tau), sp.Le(tau, 1.1 * (1 - k / n)))],
    "lem:max-weight": [sp.Ge(tau, 1 - 1.1 * k * a_max)],
    "lem:loss-gradient": [T(_grad, sp.Le(L_k, 1.1 * (1 - k / n)))],
    "thm:threshold-error": [T(sp.Le(tau_thr, 1.1 * m * eps), sp.Lt(m * eps, (n + 1) * eps),
                              sp.Le(err, 2.2 * tau_thr * v_max))],
}


def _swap(monkeypatch, rid, formula=None, **changes):
    changes = {"formula": formula, **changes} if formula is not None else changes
    monkeypatch.setitem(registry, rid, dataclasses.replace(registry[rid], **changes))


def test_every_deterministic_result_is_covered():
    assert sorted(general.GENERAL_PROOFS) == sorted(DETERMINISTIC_IDS)
    assert set(FALSE) == set(TRUE) == set(DETERMINISTIC_IDS)
    for rid in general.NOT_PROVED:
        assert rid in registry and rid not in general.GENERAL_PROOFS
    assert all(scope for _prover, scope in general.GENERAL_PROOFS.values())


@pytest.mark.parametrize("rid", DETERMINISTIC_IDS)
def test_prover_passes_on_the_registry(rid):
    prover, _scope = general.GENERAL_PROOFS[rid]
    detail = prover()
    assert detail.startswith(rid) and str(registry[rid].relations()[0]) in detail


@pytest.mark.parametrize("rid", DETERMINISTIC_IDS)
def test_false_variant_of_the_formula_fails(monkeypatch, rid):
    for mutant in FALSE[rid]:
        _swap(monkeypatch, rid, mutant)
        with pytest.raises(general.GeneralProofError):
            general.GENERAL_PROOFS[rid][0]()


@pytest.mark.parametrize("rid", DETERMINISTIC_IDS)
def test_looser_true_variant_still_passes(monkeypatch, rid):
    for variant in TRUE[rid]:
        _swap(monkeypatch, rid, variant)
        general.GENERAL_PROOFS[rid][0]()


@pytest.mark.parametrize("rid", DETERMINISTIC_IDS)
def test_a_result_without_formula_is_not_proved(monkeypatch, rid):
    monkeypatch.setitem(registry, rid, dataclasses.replace(registry[rid], formula=None))
    with pytest.raises(general.GeneralProofError, match="no formula"):
        general.GENERAL_PROOFS[rid][0]()


@pytest.mark.parametrize(("def_id", "mutant", "broken"), [
    # tail mass scaled: every proof that reads tau from the definition breaks
    ("def:tail-mass", sp.Eq(tau, 0.9 * registry["def:tail-mass"].formula.rhs),
     ["lem:tail-identity", "thm:output-error", "lem:max-weight", "lem:tail-monotone", "lem:gap-bound"]),
    # (eps,k)-sparse read as "at most k+1 above eps": a_(k+1) <= eps no longer follows
    ("def:eps-k-sparse", sp.Le(registry["def:eps-k-sparse"].formula.lhs, k + 1), ["lem:eps-k-tail"]),
    # threshold read as "keep a_j >= 2 eps": a dropped weight may be up to 2 eps, tau_thr <= m eps fails
    ("def:threshold-attention",
     sp.Eq(one_S(j), registry["def:threshold-attention"].formula.rhs.subs(eps, 2 * eps)),
     ["thm:threshold-error"]),
])
def test_a_false_definition_breaks_the_proofs_that_read_it(monkeypatch, def_id, mutant, broken):
    _swap(monkeypatch, def_id, mutant)
    for rid in broken:
        with pytest.raises(general.GeneralProofError):
            general.GENERAL_PROOFS[rid][0]()


def test_threshold_proof_needs_its_hypothesis(monkeypatch):
    _swap(monkeypatch, "thm:threshold-error", hypotheses=(sp.Lt(m, n + 1),))
    with pytest.raises(general.GeneralProofError, match="eps <= max_j a_j"):
        general.prove_threshold_error()


@pytest.mark.parametrize("name", sorted(general.LEMMAS))
def test_every_lemma_has_a_proof_or_is_an_axiom(name):
    lemma = general.LEMMAS[name]
    assert lemma.statement and lemma.why and lemma.basis in ("sympy", "axiom")
    assert (lemma.proof is None) == (lemma.basis == "axiom")
    assert lemma.prove()


def test_uses_table_matches_what_the_proofs_use():
    for rid, lemmas in general.USES.items():
        detail = general.GENERAL_PROOFS[rid][0]()
        assert detail.endswith("by " + ", ".join(lemmas))
        assert all(name in general.LEMMAS for name in lemmas)
    assert set(general.USES) == set(general.GENERAL_PROOFS)


def test_the_decider_rejects_what_is_false_and_accepts_what_is_true():
    x, y = sp.symbols("x y", positive=True)
    z = sp.Symbol("z", nonnegative=True)
    assert general._nonneg(z * x / (x + y)) and general._nonneg(x, strict=True)
    assert not general._nonneg(z * x / (x + y), strict=True)      # z may be 0
    assert not general._nonneg(x - y) and not general._nonneg(0.9 * x - x)
    assert general._zero(sp.log(x / y) + sp.log(y) - sp.log(x)) and not general._zero(x - y)
    with pytest.raises(general.GeneralProofError, match="not an equation"):
        general._decide(sp.true, {}, "demo")
