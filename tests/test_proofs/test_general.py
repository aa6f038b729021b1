"""proofs/general.py: the kernel proofs go through on the real registry, and they end on the registry's
own formula: a false variant swapped into the registry (a constant scaled by 0.9, a flipped relation)
makes the proof fail, a looser true variant (an upper bound scaled by 1.1) still passes, a false
definition breaks every proof that reads it. The sign and `!=` mutants of prop:norm-sparsity and
lem:lognormal-tilt fail too (both sides of every relation are read)."""

import dataclasses

import pytest
import sympy as sp

from natsparse.proofs import general
from natsparse.proofs.gaussian import E_e2s, E_es, E_es_above, count_above, d_frac, share_above
from natsparse.proofs.kernel import ProofError
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
    "thm:output-error": [T(sp.Le(err, 1.1 * tau * v_spread), sp.Le(tau * v_spread, 2.2 * tau * v_max))],
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


def _check(rid):
    return general.PROOFS[rid].check()


def test_every_deterministic_result_is_covered():
    assert sorted(general.DETERMINISTIC_PROOFS) == sorted(DETERMINISTIC_IDS)
    gaussian = {"prop:norm-sparsity", "lem:lognormal-tilt", "lem:count-upper", "lem:partition-lower",
                "thm:sparse-whp", "thm:error-whp", "thm:polylog-insufficient", "thm:nC-explicit",
                "thm:nC-sufficient", "thm:nC-necessary-explicit", "thm:nC-necessary", "cor:adaptive-window"}
    assert set(general.PROOFS) == set(DETERMINISTIC_IDS) | gaussian
    assert set(FALSE) == set(TRUE) == set(DETERMINISTIC_IDS)
    for rid in general.NOT_PROVED:
        assert rid in registry and rid not in general.PROOFS
    assert all(p.scope and p.model for p in general.PROOFS.values())


@pytest.mark.parametrize("rid", sorted(general.PROOFS))
def test_proof_passes_on_the_registry_and_ends_on_its_formula(rid):
    log = _check(rid)
    assert log.steps[-1].rule == "conclude" and log.steps[-1].cites[0] == rid
    assert all(step.rule != "conclude" for step in log.steps[:-1])
    assert general.PROOFS[rid].detail().startswith(rid)


@pytest.mark.parametrize("rid", DETERMINISTIC_IDS)
def test_false_variant_of_the_formula_fails(monkeypatch, rid):
    for mutant in FALSE[rid]:
        _swap(monkeypatch, rid, mutant)
        with pytest.raises(ProofError):
            _check(rid)


@pytest.mark.parametrize("rid", DETERMINISTIC_IDS)
def test_looser_true_variant_still_passes(monkeypatch, rid):
    for variant in TRUE[rid]:
        _swap(monkeypatch, rid, variant)
        _check(rid)


@pytest.mark.parametrize("rid", sorted(general.PROOFS))
def test_a_result_without_formula_is_not_proved(monkeypatch, rid):
    monkeypatch.setitem(registry, rid, dataclasses.replace(registry[rid], formula=None))
    with pytest.raises(ProofError, match="no formula"):
        _check(rid)


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
        with pytest.raises(ProofError):
            _check(rid)


def test_threshold_proof_needs_its_hypothesis(monkeypatch):
    _swap(monkeypatch, "thm:threshold-error", hypotheses=(sp.Lt(m, n + 1),))
    with pytest.raises(ProofError, match="eps <= max_j a_j"):
        _check("thm:threshold-error")


def test_a_lemma_instance_needs_the_lemma_proved(monkeypatch):
    """lem:eps-k-tail uses thm:output-error, lem:loss-gradient uses lem:tail-monotone: a false formula of
    the lemma (its proof fails) makes the results that use it fail too."""
    _swap(monkeypatch, "thm:output-error", FALSE["thm:output-error"][0])
    with pytest.raises(ProofError, match="thm:output-error has no passing kernel proof"):
        _check("lem:eps-k-tail")
    _swap(monkeypatch, "lem:tail-monotone", FALSE["lem:tail-monotone"][1])
    with pytest.raises(ProofError, match="lem:tail-monotone has no passing kernel proof"):
        _check("lem:loss-gradient")


@pytest.mark.parametrize("name", sorted(general.LEMMAS))
def test_every_lemma_has_a_sympy_proof(name):
    assert general.LEMMAS[name]() and name in general.LEMMA_STATEMENTS


def test_uses_are_read_off_the_proof():
    uses = general.PROOFS["thm:output-error"].uses()
    assert {"ax:norm-triangle", "ax:norm-homogeneity", "ax:max-bound", "def:attention", "def:tail-mass",
            "def:topk-attention", "norm-finite-triangle"} <= set(uses)
    assert "thm:output-error" in general.PROOFS["lem:eps-k-tail"].uses()
    assert "ax:topk-order" in general.PROOFS["lem:gap-bound"].uses()
    assert "ax:topk-order" not in general.PROOFS["lem:tail-identity"].uses()   # any kept set: no order
    for rid in general.PROOFS:
        cited = general.PROOFS[rid].uses()
        assert all(c in registry or c in general.LEMMA_STATEMENTS for c in cited), cited


_d_eq, _d_lt = registry["prop:norm-sparsity"].relations()
_tilt = registry["lem:lognormal-tilt"].relations()


@pytest.mark.parametrize("mutant", [
    T(_d_eq, sp.Gt(d_frac, 0)),                          # the sign flipped
    T(_d_eq, sp.Ge(d_frac, 0)),
    T(sp.Ne(_d_eq.lhs, _d_eq.rhs), _d_lt),                # = turned into !=
    T(sp.Eq(d_frac, 0.9 * _d_eq.rhs), _d_lt),
])
def test_norm_sparsity_reads_both_sides(monkeypatch, mutant):
    _swap(monkeypatch, "prop:norm-sparsity", mutant)
    with pytest.raises(ProofError):
        _check("prop:norm-sparsity")


@pytest.mark.parametrize("position", range(5))
def test_lognormal_tilt_kills_every_ne_mutant(monkeypatch, position):
    rels = list(_tilt)
    rels[position] = sp.Ne(rels[position].lhs, rels[position].rhs)
    _swap(monkeypatch, "lem:lognormal-tilt", T(*rels))
    with pytest.raises(ProofError):
        _check("lem:lognormal-tilt")
    assert {E_es, E_es_above, E_e2s, share_above, count_above} == {r.lhs for r in _tilt}
