"""Bad input gets a clear error that names the argument and the expected form."""

import numpy as np
import pytest
import torch

from natsparse.numeric import arb as ab
from natsparse.numeric import batched, bounds, mp
from natsparse.numeric.checks import check_gap_bound, check_topk_optimal, check_worst_case_error

ROW = np.array([1.0, 0.5, -2.0])


@pytest.mark.parametrize("impl", [mp, ab])
@pytest.mark.parametrize("bad, kind, match", [
    ([], ValueError, "scores must be non-empty"),
    ([[1.0, 2.0]], ValueError, "scores must be 1-D"),
    ([1.0, float("nan")], ValueError, "scores must be finite, got nan at index 1"),
    ([1.0, float("inf")], ValueError, "scores must be finite"),
    ("abc", TypeError, "scores must be a 1-D sequence of real numbers"),
])
def test_bad_scores(impl, bad, kind, match):
    with pytest.raises(kind, match=match):
        impl.topk_attention(bad, k=1)


@pytest.mark.parametrize("impl", [mp, ab])
@pytest.mark.parametrize("k, kind, match", [
    (0, ValueError, r"k must be an int in \[1, n=3\], got 0"),
    (4, ValueError, r"k must be an int in \[1, n=3\], got 4"),
    (1.5, TypeError, "k must be an int"),
    (True, TypeError, "k must be an int"),
])
def test_bad_k(impl, k, kind, match):
    with pytest.raises(kind, match=match):
        impl.topk_attention(ROW, k=k)


@pytest.mark.parametrize("impl", [mp, ab])
@pytest.mark.parametrize("eps", [0.0, 1.0, -0.1, 1.5, float("nan")])
def test_bad_eps(impl, eps):
    with pytest.raises(ValueError, match="eps must be in \\(0, 1\\)"):
        impl.threshold_attention(ROW, eps=eps)


@pytest.mark.parametrize("impl", [mp, ab])
def test_bad_values(impl):
    with pytest.raises(ValueError, match=r"values must have shape \(n=3, dv\)"):
        impl.topk_attention(ROW, np.ones((2, 2)), k=1)
    with pytest.raises(ValueError, match="values must be finite"):
        impl.topk_attention(ROW, np.array([1.0, np.nan, 0.0]), k=1)


def test_bad_precision():
    with pytest.raises(ValueError, match="dps must be an int >= 15"):
        mp.softmax(ROW, dps=5)


def test_batched_bad_input():
    with pytest.raises(TypeError, match="scores must be a torch.Tensor"):
        batched.softmax(ROW)
    with pytest.raises(ValueError, match="scores must be finite"):
        batched.tail_mass(torch.tensor([1.0, float("nan")]), 1)
    with pytest.raises(ValueError, match=r"k must be an int in \[1, n=2\]"):
        batched.tail_mass(torch.tensor([1.0, 0.0]), 3)
    with pytest.raises(ValueError, match=r"scores must have shape \(..., n\) with n >= 1"):
        batched.softmax(torch.zeros(3, 0))
    with pytest.raises(ValueError, match="values must have shape"):
        batched.topk_attention(torch.zeros(2, 5), torch.zeros(2, 4, 3), 1)


def test_check_preconditions():
    with pytest.raises(ValueError, match="k must be < n=3 for lem:gap-bound"):
        check_gap_bound(ROW, k=3)
    with pytest.raises(ValueError, match="k must be < n=3 for lem:worst-case-error"):
        check_worst_case_error(ROW, k=3)
    with pytest.raises(ValueError, match="other must be 2 distinct indices"):
        check_topk_optimal(ROW, k=2, other=[0, 0])


def test_bound_evaluation_errors():
    with pytest.raises(ValueError, match="needs k < n"):
        bounds.evaluate("lem:gap-bound", n=3, k=3, Delta_k=1, s_k1=0, LSE=1)
    with pytest.raises(ValueError, match="n must be an integer, got 3.5"):
        bounds.evaluate("lem:gap-bound", n=3.5, k=1, Delta_k=1, s_k1=0, LSE=1)
    with pytest.raises(ValueError, match="Delta_k must be >= 0"):
        bounds.evaluate("lem:gap-bound", n=4, k=1, Delta_k=-1, s_k1=0, LSE=1)
    with pytest.raises(ValueError, match=r"parameter\(s\) \['LSE', 's_k1'\] needed"):
        bounds.evaluate("lem:gap-bound", n=4, k=1, Delta_k=1)
    with pytest.raises(ValueError, match="unknown parameter"):
        bounds.evaluate("lem:gap-bound", n=4, k=1, Delta_k=1, s_k1=0, LSE=1, beta=2)
