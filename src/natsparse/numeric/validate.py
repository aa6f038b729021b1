"""Argument validation shared by the evaluators: clear errors that name the argument.

Every public function of `natsparse.numeric` passes its inputs through these, so bad
input fails the same way everywhere (DESIGN.md "Errors and inputs"): a wrong type raises
TypeError, a wrong value ValueError, and the message names the argument and the expected form.
What stays with a function is only what belongs to its result: a hypothesis (k < n for
lem:gap-bound), a name it must know (a statistic, a registry id), or a registry formula's own
symbol assumptions (`bounds.evaluate`).

    >>> as_open_unit(1.5, "delta")
    Traceback (most recent call last):
    ...
    ValueError: delta must be in (0, 1), got 1.5

Rows for mpmath and arb are numpy arrays (`as_scores`, `as_values`, `as_k`); batched rows are
torch tensors (`as_tensor`, `as_values_tensor`, `as_row_k`, `as_probability_rows`; torch is
imported only when one of these is called). Scalars: `as_positive_int` (n, trials, ...),
`as_nonnegative` (beta, gamma, ...), `as_positive_real`, `as_finite_real`, `as_open_unit`,
`as_counts` (successes out of trials), `as_k_of` (a window in a model of any size), `as_dps`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import mpmath
import numpy as np

# --- rows for mpmath and arb (numpy) ---------------------------------------------------------


def as_scores(scores, name: str = "scores", *, allow_nonfinite: bool = False) -> np.ndarray:
    """A non-empty 1-D float64 array of finite scores.

    >>> as_scores([1, 2.5])
    array([1. , 2.5])
    """
    try:
        arr = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a 1-D sequence of real numbers, got "
                        f"{type(scores).__name__}") from exc
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one row of n scores), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must be non-empty, got an empty array")
    if not allow_nonfinite and not np.all(np.isfinite(arr)):
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise ValueError(f"{name} must be finite, got {arr[bad]} at index {bad}")
    return arr


def as_values(values, n: int, name: str = "values") -> np.ndarray:
    """Values as an (n, dv) float64 array; a 1-D array of length n is read as dv = 1.

    >>> as_values([1.0, 2.0], 2).shape
    (2, 1)
    """
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of shape (n, dv) of real numbers") from exc
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] != n or arr.shape[1] == 0:
        raise ValueError(f"{name} must have shape (n={n}, dv) with dv >= 1, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr


def as_k(k, n: int, name: str = "k") -> int:
    """An integer 1 <= k <= n.

    >>> as_k(3, 5)
    3
    >>> as_k(6, 5)
    Traceback (most recent call last):
    ...
    ValueError: k must be an int in [1, n=5], got 6
    """
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"{name} must be an int in [1, n={n}], got {type(k).__name__} {k!r}")
    if not 1 <= int(k) <= n:
        raise ValueError(f"{name} must be an int in [1, n={n}], got {k}")
    return int(k)


def as_dps(dps) -> int:
    """Decimal digits of working precision: an int >= 15 (the reference uses >= 50).

    >>> as_dps(50)
    50
    """
    if isinstance(dps, bool) or not isinstance(dps, numbers.Integral) or dps < 15:
        raise ValueError(f"dps must be an int >= 15, got {dps!r}")
    return int(dps)


def topk_indices(scores: np.ndarray, k: int) -> list[int]:
    """The kept set of def:topk-attention: the k largest scores, ties to the lower index.

    >>> topk_indices(np.array([1.0, 2.0, 2.0, 0.0]), 2)
    [1, 2]
    """
    order = np.lexsort((np.arange(len(scores)), -np.asarray(scores)))  # by -s, then by index
    return sorted(order[:k].tolist())


# --- scalars -------------------------------------------------------------------------------


def _is_real(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _finite(x) -> bool:
    """x is finite (a Python int of any size, a float, an mpf)."""
    return mpmath.isfinite(x if isinstance(x, mpmath.mpf | numbers.Integral) else float(x))


def as_open_unit(x, name: str) -> float:
    """A real number in the open interval (0, 1), as a float64. A value in (0, 1) that float64 cannot
    hold (it underflows to 0 or rounds to 1) is refused with that reason, not as out of range.

    >>> as_open_unit(0.25, "eps")
    0.25
    >>> import mpmath
    >>> as_open_unit(mpmath.mpf("1e-400"), "eps")
    Traceback (most recent call last):
    ...
    ValueError: eps = 1.0e-400 is in (0, 1) but underflows to 0 in float64 (smallest positive 5e-324)
    """
    if not _is_real(x):
        raise TypeError(f"{name} must be a real number in (0, 1), got {type(x).__name__}")
    if not (x > 0 and x < 1):                 # compared exactly (int, float, mpf, Fraction); NaN fails
        raise ValueError(f"{name} must be in (0, 1), got {x}")
    f = float(x)
    if f == 0.0:
        raise ValueError(f"{name} = {x} is in (0, 1) but underflows to 0 in float64 "
                         "(smallest positive 5e-324)")
    if f == 1.0:
        raise ValueError(f"{name} = {x} is in (0, 1) but rounds to 1 in float64")
    return f


def as_finite_real(x, name: str):
    """A finite real number (returned as given: an int, a float or an mpf).

    >>> as_finite_real(-2.5, "t")
    -2.5
    """
    if not _is_real(x):
        raise TypeError(f"{name} must be a finite real number, got {type(x).__name__} {x!r}")
    if not _finite(x):
        raise ValueError(f"{name} must be a finite real number, got {x!r}")
    return x


def as_positive_real(x, name: str):
    """A finite real number > 0 (returned as given).

    >>> as_positive_real(0, "alpha")
    Traceback (most recent call last):
    ...
    ValueError: alpha must be > 0, got 0
    """
    if not as_finite_real(x, name) > 0:
        raise ValueError(f"{name} must be > 0, got {x!r}")
    return x


def as_nonnegative(x, name: str):
    """A finite real number >= 0 such as beta or gamma: a float (an int or an mpf is kept as it is,
    so that an mpf keeps its digits).

    >>> as_nonnegative(2, "beta"), as_nonnegative(0.5, "gamma")
    (2, 0.5)
    """
    if not _is_real(x):
        raise TypeError(f"{name} must be a real number >= 0, got {type(x).__name__}")
    v = x if isinstance(x, mpmath.mpf | numbers.Integral) else float(x)
    if not (_finite(v) and v >= 0):
        raise ValueError(f"{name} must be a finite real number >= 0, got {x}")
    return v


def as_positive_int(x, name: str, *, strict: bool = False) -> int:
    """A positive integer: a Python int of any size, a numpy integer, or (unless `strict`) an
    integral float < 2^53 such as 1e6.

    >>> as_positive_int(10**30, "n") == 10**30, as_positive_int(1e6, "n")
    (True, 1000000)
    >>> as_positive_int(0, "trials")
    Traceback (most recent call last):
    ...
    ValueError: trials must be a positive integer (>= 1), got 0
    >>> as_positive_int(1.0, "length", strict=True)
    Traceback (most recent call last):
    ...
    ValueError: length must be an int >= 1, got 1.0
    """
    if strict:
        if isinstance(x, bool) or not isinstance(x, numbers.Integral) or x < 1:
            raise ValueError(f"{name} must be an int >= 1, got {x!r}")
        return int(x)
    if isinstance(x, bool):
        raise TypeError(f"{name} must be a positive integer, got bool {x!r}")
    if isinstance(x, numbers.Integral):
        value = int(x)
    elif isinstance(x, numbers.Real) and math.isfinite(float(x)) and float(x).is_integer() \
            and abs(float(x)) < 2**53:
        value = int(x)
    else:
        raise TypeError(f"{name} must be a positive integer, got {type(x).__name__} {x!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer (>= 1), got {value}")
    return value


def as_k_of(k, n: int) -> int:
    """A window size in a model of n keys (n of any size): an integer 1 <= k <= n.

    >>> as_k_of(8.0, 10**30)
    8
    """
    kk = as_positive_int(k, "k")
    if kk > n:
        raise ValueError(f"k must be an integer in [1, n={n}], got {kk}")
    return kk


def as_counts(successes, trials) -> tuple[int, int]:
    """(successes, trials): ints with trials >= 1 and 0 <= successes <= trials.

    >>> as_counts(3, 10)
    (3, 10)
    """
    for name, v in (("successes", successes), ("trials", trials)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{name} must be an int, got {type(v).__name__} {v!r}")
    x, n = int(successes), int(trials)
    if n < 1:
        raise ValueError(f"trials must be >= 1, got {n}")
    if not 0 <= x <= n:
        raise ValueError(f"successes must be in [0, trials={n}], got {x}")
    return x, n


# --- batched rows (torch) ------------------------------------------------------------------


def as_tensor(x, name: str = "scores", *, floating: bool = False):
    """A non-empty, finite torch tensor of shape (..., n) of a real dtype (a floating one with
    `floating`), returned as it is.

    >>> import torch
    >>> as_tensor(torch.tensor([[1.0, float("nan")]]))
    Traceback (most recent call last):
    ...
    ValueError: scores must be finite (found NaN or Inf)
    """
    import torch

    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (..., n), got {type(x).__name__}")
    if x.is_complex() or x.dtype == torch.bool or (floating and not x.is_floating_point()):
        raise TypeError(f"{name} must have a real {'floating ' if floating else ''}dtype, got {x.dtype}")
    if x.ndim < 1 or x.numel() == 0:
        raise ValueError(f"{name} must have shape (..., n) with n >= 1 and be non-empty, got "
                         f"{tuple(x.shape)}")
    if not _all_finite(x):
        raise ValueError(f"{name} must be finite (found NaN or Inf)")
    return x


def _all_finite(x) -> bool:
    """Every entry of the tensor x is finite. A finite sum proves it at the cost of one reduction
    (NaN and Inf propagate through a sum); only an overflowing sum or a bad entry needs the
    elementwise check."""
    import torch

    if not x.is_floating_point():
        return True
    return bool(torch.isfinite(x.detach().sum()) or torch.isfinite(x).all())


def as_values_tensor(values, scores, name: str = "values"):
    """Values of shape scores.shape + (dv,), finite, for the rows `scores` (returned as given).

    >>> import torch
    >>> as_values_tensor(torch.zeros(2, 4, 3), torch.zeros(2, 5))
    Traceback (most recent call last):
    ...
    ValueError: values must have shape (2, 5) + (dv,), got (2, 4, 3)
    """
    import torch

    if not isinstance(values, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (..., n, dv)")
    if values.ndim != scores.ndim + 1 or values.shape[:-1] != scores.shape:
        raise ValueError(f"{name} must have shape {tuple(scores.shape)} + (dv,), got {tuple(values.shape)}")
    if values.is_complex() or values.dtype == torch.bool:
        raise TypeError(f"{name} must have a real dtype, got {values.dtype}")
    if not _all_finite(values):
        raise ValueError(f"{name} must be finite (found NaN or Inf)")
    return values


def as_row_k(k, shape: tuple, name: str = "scores"):
    """k for rows of shape (..., M, N): an int in [1, N], or a 1-D integer tensor of M values in
    [1, N], one per query row (returned as int64).

    >>> import torch
    >>> as_row_k(2, (3, 4)), as_row_k(torch.tensor([1, 4, 2]), (3, 4)).tolist()
    (2, [1, 4, 2])
    >>> as_row_k(5, (3, 4))
    Traceback (most recent call last):
    ...
    ValueError: k must be an int in [1, n=4] (the row length of scores), got k=5
    """
    import torch

    n = shape[-1]
    if isinstance(k, torch.Tensor):
        if k.ndim != 1 or k.numel() == 0 or k.is_floating_point() or k.is_complex() or k.dtype == torch.bool:
            raise TypeError(f"k as a tensor must be a non-empty 1-D integer tensor (one k per query row), "
                            f"got dtype {k.dtype} and shape {tuple(k.shape)}")
        if (k < 1).any():
            raise ValueError(f"k must be >= 1 in every row, got a minimum of {int(k.min())}")
        if len(shape) < 2 or shape[-2] != k.numel():
            raise ValueError(f"a per-row k needs {name} of shape (..., M, N) with M = len(k) = {k.numel()}, "
                             f"got {tuple(shape)}")
        if int(k.max()) > n:
            raise ValueError(f"k has a row with k={int(k.max())} > the row length N={n} of {name}")
        return k.to(torch.int64)
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"k must be an int in [1, n={n}] or a 1-D integer tensor (one k per query row), "
                        f"got {type(k).__name__} {k!r}")
    if not 1 <= int(k) <= n:
        raise ValueError(f"k must be an int in [1, n={n}] (the row length of {name}), got k={k}")
    return int(k)


def as_probability_rows(a, name: str = "attn"):
    """Rows of probabilities (..., N) of a floating dtype: non-negative, each summing to 1 within
    1e-6 (float64) or max(1e-3, the dtype's epsilon) in lower precision (returned as given).

    >>> import torch
    >>> as_probability_rows(torch.tensor([[0.5, 0.25]]))
    Traceback (most recent call last):
    ...
    ValueError: attn must hold probability rows summing to 1 (within 0.001 for torch.float32); \
the worst row is off by 0.25
    """
    import torch

    as_tensor(a, name, floating=True)
    d = a.detach()
    if (d < 0).any():
        raise ValueError(f"{name} must hold probabilities: found a negative entry ({d.min().item():.3g})")
    # float64 rows: 1e-6. Lower precision: 1e-3 (a float32 softmax over a long row drifts by
    # far more than float32's epsilon), or the dtype's epsilon where larger (bfloat16: each
    # entry's own rounding alone moves the row sum by up to 2**-9).
    tol = 1e-6 if d.dtype == torch.float64 else max(1e-3, torch.finfo(d.dtype).eps)
    err = (d.to(torch.float64).sum(-1) - 1.0).abs().max().item()
    if err > tol:
        raise ValueError(f"{name} must hold probability rows summing to 1 (within {tol:g} for {d.dtype}); "
                         f"the worst row is off by {err:.3g}")
    return a


def as_layer_weights(weights, count: int, name: str = "layer_weights"):
    """None, or `count` non-negative finite numbers (a sequence or a tensor), not all zero, returned
    normalised to sum 1 as a float64 tensor.

    >>> as_layer_weights([1, 3], 2).tolist()
    [0.25, 0.75]
    """
    import torch

    if weights is None:
        return None
    if isinstance(weights, torch.Tensor):
        w = weights.detach()
        if w.is_complex() or w.dtype == torch.bool:
            raise TypeError(f"{name} must hold real numbers, got dtype {w.dtype}")
        w = w.to(torch.float64).reshape(-1).cpu()
    elif isinstance(weights, Sequence) and not isinstance(weights, str | bytes):
        for x in weights:
            if not _is_real(x):
                raise TypeError(f"{name} must be a sequence of real numbers, got an entry {x!r}")
        w = torch.tensor([float(x) for x in weights], dtype=torch.float64)
    else:
        raise TypeError(f"{name} must be a sequence or tensor of non-negative numbers, "
                        f"got {type(weights).__name__}")
    if w.numel() != count:
        raise ValueError(f"{name} must have one entry per layer ({count}), got {w.numel()}")
    if not torch.isfinite(w).all():
        raise ValueError(f"{name} must be finite (found NaN or Inf)")
    if (w < 0).any():
        raise ValueError(f"{name} must be non-negative, got {w.tolist()}")
    total = math.fsum(w.tolist())
    if not total > 0:
        raise ValueError(f"{name} must not all be zero")
    return w / total
