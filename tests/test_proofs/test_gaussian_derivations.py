"""SymPy derivations of the Gaussian model against the registry's closed forms (what they certify is
checked with the evidence, in tests/test_evidence/test_gaussian.py)."""

import sympy as sp

from natsparse.proofs import gaussian_derivations as D
from natsparse.proofs import get
from natsparse.proofs.gaussian import Phi_inv, Phic
from natsparse.proofs.symbols import beta, eps, gamma, t


def test_lognormal_tilt_integrals_match_registry():
    derived = D.derive_lognormal_tilt()
    stated = get("lem:lognormal-tilt").relations()
    assert D.matches(derived["E[e^s]"], stated[0].rhs)
    assert D.matches(derived["E[e^s1{s>t}]"], stated[1].rhs)
    assert D.matches(derived["E[e^2s]"], stated[2].rhs)
    assert D.matches(derived["share_t"], stated[3].rhs)
    assert D.check_lognormal_tilt() == 5


def test_matches_is_not_a_rubber_stamp():
    """A wrong closed form must be rejected (the comparison can fail)."""
    derived = D.derive_lognormal_tilt()
    assert not D.matches(derived["E[e^s]"], sp.exp(beta**2))
    assert not D.matches(derived["E[e^s1{s>t}]"], sp.exp(beta**2 / 2) * Phic(t / beta))
    assert not D.matches(D.derive_k_eps_rule(), Phic(beta - Phi_inv(eps)))


def test_conditional_gaussian_log_mgf():
    lmgf, w = D.derive_conditional_gaussian(3)
    theta, c, sigma = D.theta, sp.Symbol("c", positive=True), sp.Symbol("sigma", positive=True)
    assert sp.simplify(lmgf - theta**2 * c**2 * sigma**2 * sum(wi**2 for wi in w) / 2) == 0
    assert D.check_conditional_gaussian(4) == 4


def test_k_eps_rule_solved_threshold():
    derived = D.derive_k_eps_rule()
    assert sp.simplify((derived - get("prop:k-eps-rule").relations()[0].rhs).rewrite(sp.erf)) == 0
    assert D.check_k_eps_rule()


def test_norm_sparsity_derivative_and_sign():
    d, negative = D.derive_norm_sparsity()
    assert negative is True
    assert D.matches(d.subs(D.z, Phi_inv(eps)), get("prop:norm-sparsity").relations()[0].rhs)


def test_exponents_by_limit():
    nc, poly = D.check_exponents()
    assert sp.simplify(nc - (1 - gamma)) == 0
    assert sp.simplify(poly - (1 - sp.sqrt(gamma))**2) == 0
    assert D.prove_mills_ratio()
