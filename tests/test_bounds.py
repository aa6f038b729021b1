"""`bounds.evaluate` turns the registry's SymPy bounds into 50-digit numbers that match the
measured side on real inputs."""

import mpmath
import numpy as np

from natsparse.numeric import bounds, mp
from natsparse.numeric.checks import check_gap_bound


def test_gap_bound_from_the_registry_formula_matches_the_check():
    s = np.random.default_rng(3).normal(size=40) * 3
    k = 5
    order = sorted(range(len(s)), key=lambda j: (-s[j], j))
    rec1, rec2 = check_gap_bound(s, k=k)
    values = list(bounds.evaluate("lem:gap-bound", n=len(s), k=k,
                                  Delta_k=mpmath.mpf(float(s[order[k - 1]])) - float(s[order[k]]),
                                  s_k1=float(s[order[k]]), LSE=mp.logsumexp(s)).values())
    with mpmath.workdps(50):
        assert mpmath.almosteq(values[0], rec1.bound, mpmath.mpf(10) ** -40)
        assert mpmath.almosteq(values[1], rec2.bound, mpmath.mpf(10) ** -40)


def test_parameters_and_aliases():
    assert bounds.parameters("lem:eps-k-tail") == ["epsilon", "k", "n", "v_max"]
    out = bounds.evaluate("lem:eps-k-tail", n=100, k=3, eps=0.001, v_max=2)
    assert [float(v) for v in out.values()] == [0.097, 0.388]
