"""SymPy derivations of the Gaussian model against the registry's closed forms (what they certify is
checked with the evidence, in tests/test_evidence/test_gaussian.py)."""

import sympy as sp

from natsparse.proofs import gaussian_derivations as D
from natsparse.proofs import get
from natsparse.proofs.gaussian import Phi_inv, Phic
from natsparse.proofs.symbols import beta, eps, gamma


def test_matches_is_not_a_rubber_stamp():
    """A wrong closed form must be rejected (the comparison can fail)."""
    assert D.matches(D.derive_k_eps_rule(), Phic(beta + Phi_inv(eps)))
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


def test_exponents_by_limit():
    nc, poly = D.check_exponents()
    assert sp.simplify(nc - (1 - gamma)) == 0
    assert sp.simplify(poly - (1 - sp.sqrt(gamma))**2) == 0
    assert D.prove_mills_ratio()
