"""Argument validation shared by the evaluators: clear errors that name the argument.

Every public function of `natsparse.numeric` passes its inputs through these, so bad
input fails the same way everywhere (DESIGN.md "Errors and inputs").
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def as_scores(scores, name: str = "scores", *, allow_nonfinite: bool = False) -> np.ndarray:
    """A non-empty 1-D float64 array of finite scores."""
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
    """Values as an (n, dv) float64 array; a 1-D array of length n is read as dv = 1."""
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
    """An integer 1 <= k <= n."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"{name} must be an int in [1, n={n}], got {type(k).__name__} {k!r}")
    if not 1 <= int(k) <= n:
        raise ValueError(f"{name} must be an int in [1, n={n}], got {k}")
    return int(k)


def as_open_unit(x, name: str) -> float:
    """A real number in the open interval (0, 1)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number in (0, 1), got {type(x).__name__}")
    if not (math.isfinite(float(x)) and 0.0 < float(x) < 1.0):
        raise ValueError(f"{name} must be in (0, 1), got {x}")
    return float(x)


def as_dps(dps) -> int:
    """Decimal digits of working precision: an int >= 15 (the reference uses >= 50)."""
    if isinstance(dps, bool) or not isinstance(dps, numbers.Integral) or dps < 15:
        raise ValueError(f"dps must be an int >= 15, got {dps!r}")
    return int(dps)


def topk_indices(scores: np.ndarray, k: int) -> list[int]:
    """The kept set of def:topk-attention: the k largest scores, ties to the lower index."""
    order = np.lexsort((np.arange(len(scores)), -np.asarray(scores)))  # by -s, then by index
    return sorted(order[:k].tolist())
