"""`bounds.evaluate` turns the registry's SymPy bounds into 50-digit numbers that match the
measured side on real inputs."""

import mpmath
import numpy as np
import pytest
import torch

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


def test_lambdified_bounds_agree_across_modules():
    rng = np.random.default_rng(0)
    n, k = 50, np.arange(1, 50)
    delta = rng.uniform(0, 5, size=k.size)
    syms, f_np = bounds.compile_bound("lem:gap-bound", 0, "numpy")
    assert [str(x) for x in syms] == ["Delta_k", "k", "n"]
    _, f_t = bounds.compile_bound("lem:gap-bound", 0, "torch")
    _, f_mp = bounds.compile_bound("lem:gap-bound", 0, "mpmath")
    got_np = f_np(delta, k, n)
    got_t = f_t(torch.from_numpy(delta), torch.from_numpy(k).double(), n).numpy()
    with mpmath.workdps(50):
        want = np.array([float(f_mp(mpmath.mpf(d), int(kk), n)) for d, kk in zip(delta, k, strict=True)])
    assert np.allclose(got_np, want, rtol=1e-13) and np.allclose(got_t, want, rtol=1e-13)
    with pytest.raises(ValueError, match="module must be one of"):
        bounds.compile_bound("lem:gap-bound", 0, "jax")
    with pytest.raises(ValueError, match="index must be in"):
        bounds.compile_bound("lem:gap-bound", 5)
