"""proofs/decide.py: the one decider accepts what is true and never what is false, and reads both sides
of every relation (=, !=, <, <=, >, >=)."""

import pytest
import sympy as sp

from natsparse.proofs.decide import holds, is_zero, nonnegative_on_orthant, proves_sign, sorted_weights

x, y = sp.symbols("x y", positive=True)
z = sp.Symbol("z", nonnegative=True)
r = sp.Symbol("r", real=True)


def test_sorted_weights_parametrise_sorted_positive_vectors():
    w, x0, d = sorted_weights(4)
    assert [sp.expand(w[j] - w[j + 1]) for j in range(3)] == d
    assert w[-1] == x0
    with pytest.raises(ValueError, match="n must be >= 1"):
        sorted_weights(0)


def test_orthant_certificate_accepts_true_and_rejects_false_inequalities():
    w, x0, d = sorted_weights(4)
    Z = sum(w)
    tau2 = (w[2] + w[3]) / Z
    assert nonnegative_on_orthant(2 * w[2] / Z - tau2, [x0], d)            # tau_2 <= (n-k) a_(3)
    assert not nonnegative_on_orthant(tau2 - 2 * w[2] / Z, [x0], d)        # the reverse is false
    assert not nonnegative_on_orthant(w[2] / Z - tau2, [x0], d)            # (n-k-1) a_(3): false
    assert not nonnegative_on_orthant(sp.sin(x0), [x0], d)                 # not a rational function
    assert not nonnegative_on_orthant(d[0] / d[1], [x0], d)                # denominator may vanish


def test_signs():
    assert proves_sign(z * x / (x + y)) and proves_sign(x, strict=True)
    assert not proves_sign(z * x / (x + y), strict=True)                   # z may be 0
    assert not proves_sign(x - y) and not proves_sign(0.9 * x - x)
    assert not proves_sign(r**2 - 1) and proves_sign(r**2)
    # exponentials of sums are split, so e^{x-y} e^y - e^x = 0 is seen, and e^{x-y} >= 0
    assert proves_sign(sp.exp(x - y) * sp.exp(y) - sp.exp(x)) and proves_sign(sp.exp(r - x), strict=True)


def test_zero():
    assert is_zero(sp.log(x / y) + sp.log(y) - sp.log(x)) and not is_zero(x - y)
    assert is_zero(sp.erfc(r) - 1 + sp.erf(r))


def test_a_nonzero_expression_skips_simplify_and_an_identity_still_reaches_it(monkeypatch):
    """`is_zero` runs simplify (minutes on a large mutant) only when no admissible point shows the
    expression away from 0; identities that need simplify are still decided."""
    from natsparse.proofs import decide

    calls = []
    real_simplify = sp.simplify
    monkeypatch.setattr(decide.sp, "simplify", lambda e, *args: calls.append(e) or real_simplify(e, *args))
    n = sp.Symbol("n", positive=True, integer=True)
    big = sp.exp(sp.sqrt(2 * x * sp.log(n))) * (1 + y) ** 5 / (n ** y + sp.erfc(x))
    assert not is_zero(2 * big - big) and calls == []
    assert is_zero(sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1) and len(calls) == 1
    assert not is_zero(sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1 + sp.Rational(1, 10**40)) and len(calls) == 1
    assert not decide._nonzero_at_a_point(sp.Function("f")(x))         # nothing to evaluate: inconclusive


@pytest.mark.parametrize(("rel", "truth"), [
    (sp.Eq(x + y, y + x), True), (sp.Eq(x, 2 * x), False),
    (sp.Ne(x, x + 1), True), (sp.Ne(x, x), False), (sp.Ne(x, y), False),
    (sp.Lt(x, x + 1), True), (sp.Lt(x, x), False), (sp.Le(x, x), True),
    (sp.Gt(x + 1, x), True), (sp.Gt(x, x + 1), False), (sp.Ge(x, x), True), (sp.Ge(x, y), False),
    (sp.Le(x / (x + y), 1), True), (sp.Ge(x / (x + y), 1), False),
])
def test_both_sides_of_every_relation_are_read(rel, truth):
    assert holds(rel) is truth


def test_holds_refuses_what_is_not_a_relation():
    assert holds(sp.true) and not holds(sp.false)
    with pytest.raises(TypeError, match="expects a relation"):
        holds(x + y)
