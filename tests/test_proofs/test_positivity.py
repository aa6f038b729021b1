"""The positivity prover accepts what is true and never what is false."""

import pytest
import sympy as sp

from natsparse.proofs.positivity import nonnegative_on_orthant, sorted_weights


def test_sorted_weights_parametrise_sorted_positive_vectors():
    w, x, d = sorted_weights(4)
    assert [sp.expand(w[j] - w[j + 1]) for j in range(3)] == d
    assert w[-1] == x
    with pytest.raises(ValueError, match="n must be >= 1"):
        sorted_weights(0)


def test_prover_accepts_true_and_rejects_false_inequalities():
    w, x, d = sorted_weights(4)
    Z = sum(w)
    tau2 = (w[2] + w[3]) / Z
    assert nonnegative_on_orthant(2 * w[2] / Z - tau2, [x], d)            # tau_2 <= (n-k) a_(3)
    assert not nonnegative_on_orthant(tau2 - 2 * w[2] / Z, [x], d)        # the reverse is false
    assert not nonnegative_on_orthant(w[2] / Z - tau2, [x], d)            # (n-k-1) a_(3): false
    assert not nonnegative_on_orthant(d[0] - x, [x], d)
    assert not nonnegative_on_orthant(sp.sin(x), [x], d)                  # not a rational function
    assert not nonnegative_on_orthant(d[0] / d[1], [x], d)                # denominator may vanish
