"""Bad input gets a clear error that names the argument and the expected form."""

import mpmath
import numpy as np
import pytest
import torch

from natsparse.numeric import arb as ab
from natsparse.numeric import batched, bounds, mp
from natsparse.numeric import validate as V
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
        bounds.evaluate("lem:gap-bound", n=3, k=3, Delta=1, s_k1=0, LSE=1)
    with pytest.raises(ValueError, match="n must be an integer, got 3.5"):
        bounds.evaluate("lem:gap-bound", n=3.5, k=1, Delta=1, s_k1=0, LSE=1)
    with pytest.raises(ValueError, match="Delta must be >= 0"):
        bounds.evaluate("lem:gap-bound", n=4, k=1, Delta=-1, s_k1=0, LSE=1)
    with pytest.raises(ValueError, match=r"parameter\(s\) \['LSE', 's_k1'\] needed"):
        bounds.evaluate("lem:gap-bound", n=4, k=1, Delta=1)
    with pytest.raises(ValueError, match="unknown parameter"):
        bounds.evaluate("lem:gap-bound", n=4, k=1, Delta=1, s_k1=0, LSE=1, beta=2)


# --- the validators themselves (natsparse.numeric.validate) -------------------------------------

@pytest.mark.parametrize("bad, kind, match", [
    ([1.0, 2.0], TypeError, r"scores must be a torch.Tensor of shape \(..., n\), got list"),
    (torch.tensor([1 + 1j]), TypeError, "scores must have a real dtype"),
    (torch.tensor([True]), TypeError, "scores must have a real dtype"),
    (torch.tensor(1.0), ValueError, r"scores must have shape \(..., n\) with n >= 1"),
    (torch.zeros(0, 3), ValueError, "be non-empty"),
    (torch.tensor([1.0, float("nan")]), ValueError, r"scores must be finite \(found NaN or Inf\)"),
    (torch.tensor([float("inf"), float("-inf")]), ValueError, "scores must be finite"),
    (torch.tensor([1e308, float("inf")], dtype=torch.float64), ValueError, "scores must be finite"),
])
def test_as_tensor_rejects(bad, kind, match):
    with pytest.raises(kind, match=match):
        V.as_tensor(bad)


def test_as_tensor_accepts_finite_rows_whose_sum_overflows():
    """The fast check (a finite sum) falls back to the entries when the sum overflows."""
    for x in (torch.tensor([1e308, 1e308], dtype=torch.float64),
              torch.tensor([6e4, 6e4], dtype=torch.float16),
              torch.tensor([3, 1]), torch.tensor([[0.5]], requires_grad=True)):
        assert V.as_tensor(x) is x
    with pytest.raises(TypeError, match="attn must have a real floating dtype, got torch.int64"):
        V.as_tensor(torch.tensor([1, 0]), "attn", floating=True)


@pytest.mark.parametrize("k, shape, kind, match", [
    (0, (2, 3), ValueError, r"k must be an int in \[1, n=3\] \(the row length of scores\), got k=0"),
    (4, (2, 3), ValueError, "got k=4"),
    (2.0, (2, 3), TypeError, "k must be an int in .* or a 1-D integer tensor"),
    (True, (2, 3), TypeError, "k must be an int"),
    (torch.tensor([1.0, 2.0]), (2, 3), TypeError, "1-D integer tensor"),
    (torch.tensor([], dtype=torch.int64), (2, 3), TypeError, "non-empty 1-D integer tensor"),
    (torch.tensor([1, 0]), (2, 3), ValueError, "k must be >= 1 in every row"),
    (torch.tensor([1, 2, 3]), (2, 3), ValueError, r"M = len\(k\) = 3"),
    (torch.tensor([1, 2]), (3,), ValueError, r"\(..., M, N\)"),
    (torch.tensor([1, 4]), (2, 3), ValueError, "k=4 > the row length N=3"),
])
def test_as_row_k_rejects(k, shape, kind, match):
    with pytest.raises(kind, match=match):
        V.as_row_k(k, shape)


def test_as_row_k_accepts():
    assert V.as_row_k(np.int32(3), (2, 3)) == 3
    k = V.as_row_k(torch.tensor([3, 1], dtype=torch.int32), (5, 2, 3))
    assert k.dtype == torch.int64 and k.tolist() == [3, 1]


@pytest.mark.parametrize("x, strict, kind, match", [
    (0, False, ValueError, r"n must be a positive integer \(>= 1\), got 0"),
    (1.5, False, TypeError, "n must be a positive integer, got float 1.5"),
    (2.0**60, False, TypeError, "n must be a positive integer"),
    (True, False, TypeError, "n must be a positive integer, got bool"),
    ("3", False, TypeError, "n must be a positive integer, got str"),
    (1.0, True, ValueError, "n must be an int >= 1, got 1.0"),
    (0, True, ValueError, "n must be an int >= 1, got 0"),
])
def test_as_positive_int_rejects(x, strict, kind, match):
    with pytest.raises(kind, match=match):
        V.as_positive_int(x, "n", strict=strict)


def test_as_positive_int_accepts():
    assert V.as_positive_int(10**30, "n") == 10**30
    assert V.as_positive_int(1e6, "n") == 10**6 and V.as_positive_int(np.int64(7), "n", strict=True) == 7


def test_scalars_keep_their_digits_and_name_the_argument():
    with mpmath.workdps(40):
        b = mpmath.mpf("0.1000000000000000000000000000001")
    assert V.as_nonnegative(b, "beta") is b                     # an mpf is not rounded to a float
    assert V.as_nonnegative(np.float32(0.5), "beta") == 0.5 and V.as_nonnegative(10**400, "beta") == 10**400
    for bad, kind, match in [(-1.0, ValueError, "beta must be a finite real number >= 0, got -1.0"),
                             (float("nan"), ValueError, "beta must be a finite real number >= 0"),
                             (mpmath.inf, ValueError, "beta must be a finite"),
                             ("1", TypeError, "beta must be a real number >= 0, got str")]:
        with pytest.raises(kind, match=match):
            V.as_nonnegative(bad, "beta")
    assert V.as_finite_real(-3, "t") == -3 and V.as_positive_real(0.5, "C") == 0.5
    with pytest.raises(ValueError, match="t must be a finite real number, got inf"):
        V.as_finite_real(float("inf"), "t")
    with pytest.raises(ValueError, match="C must be > 0, got -1"):
        V.as_positive_real(-1, "C")
    with pytest.raises(TypeError, match="C must be a finite real number, got NoneType"):
        V.as_positive_real(None, "C")
    with pytest.raises(ValueError, match=r"k must be an integer in \[1, n=10\], got 11"):
        V.as_k_of(11, 10)
    with pytest.raises(ValueError, match=r"successes must be in \[0, trials=3\], got 4"):
        V.as_counts(4, 3)


def test_a_probability_float64_cannot_hold_is_refused_for_that_reason():
    """1e-400 is in (0, 1): the message says it underflows, not that it is out of range."""
    import mpmath

    from natsparse.numeric.validate import as_open_unit

    with pytest.raises(ValueError, match=r"eps = 1.0e-400 is in \(0, 1\) but underflows to 0 in float64"):
        as_open_unit(mpmath.mpf("1e-400"), "eps")
    with mpmath.workdps(40), pytest.raises(ValueError, match=r"rounds to 1 in float64"):
        as_open_unit(1 - mpmath.mpf("1e-30"), "delta")
    for bad in (0, 1, -0.5, 1.5, float("nan"), float("inf")):
        with pytest.raises(ValueError, match=r"must be in \(0, 1\), got"):
            as_open_unit(bad, "eps")
    assert as_open_unit(mpmath.mpf("1e-300"), "eps") == 1e-300
