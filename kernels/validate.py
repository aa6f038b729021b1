"""Argument checks shared by every backend.

Each check raises ``TypeError`` (wrong kind of object) or ``ValueError`` (right kind, wrong
value) with a message that names the argument and the expected form, e.g.
``top_k must be an int in [1, N=128], got 0``.
"""

from __future__ import annotations

import math
import numbers

import torch

FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
_FP32_MAX = float(torch.finfo(torch.float32).max)


def check_qkv(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor
) -> tuple[int, int, int, int, int, int]:
    """Check q (B, H, M, D), k (B, H, N, D), v (B, H, N, Dv); return (B, H, M, N, D, Dv).

    >>> q, k, v = torch.zeros(2, 4, 5, 8), torch.zeros(2, 4, 7, 8), torch.zeros(2, 4, 7, 3)
    >>> check_qkv(q, k, v)
    (2, 4, 5, 7, 8, 3)
    >>> check_qkv(q, k[..., :4], v)
    Traceback (most recent call last):
    ...
    ValueError: k must have shape (B, H, N, D) = (2, 4, N, 8) to match q, got (2, 4, 7, 4)
    """
    for name, t in (("q", q), ("k", k), ("v", v)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    forms = {"q": "(B, H, M, D)", "k": "(B, H, N, D)", "v": "(B, H, N, Dv)"}
    for name, t in (("q", q), ("k", k), ("v", v)):
        if t.dim() != 4:
            raise ValueError(f"{name} must have shape {forms[name]}, got {tuple(t.shape)}")
        if t.numel() == 0:
            raise ValueError(f"{name} must be non-empty, got shape {tuple(t.shape)}")
        if t.dtype not in FLOAT_DTYPES:
            raise TypeError(
                f"{name} must have dtype float16, bfloat16, float32 or float64, got {t.dtype}"
            )
    B, H, M, D = q.shape
    N = k.shape[2]
    if k.shape[:2] != (B, H) or k.shape[3] != D:
        raise ValueError(
            f"k must have shape (B, H, N, D) = ({B}, {H}, N, {D}) to match q, "
            f"got {tuple(k.shape)}"
        )
    if v.shape[:3] != (B, H, N):
        raise ValueError(
            f"v must have shape (B, H, N, Dv) = ({B}, {H}, {N}, Dv) to match k, "
            f"got {tuple(v.shape)}"
        )
    if not (q.dtype == k.dtype == v.dtype):
        raise TypeError(
            f"q, k and v must share one dtype, got q {q.dtype}, k {k.dtype}, v {v.dtype}"
        )
    if not (q.device == k.device == v.device):
        raise ValueError(
            f"q, k and v must be on one device, got q {q.device}, k {k.device}, v {v.device}"
        )
    return B, H, M, N, D, v.shape[3]


def check_top_k(top_k: object, n: int) -> int:
    """top_k must be an int with 1 ≤ top_k ≤ N (bool is rejected).

    >>> check_top_k(3, 8)
    3
    >>> check_top_k(0, 8)
    Traceback (most recent call last):
    ...
    ValueError: top_k must be an int in [1, N=8], got 0
    """
    if isinstance(top_k, bool) or not isinstance(top_k, numbers.Integral):
        raise TypeError(f"top_k must be an int in [1, N={n}], got {top_k!r}")
    if not 1 <= int(top_k) <= n:
        raise ValueError(f"top_k must be an int in [1, N={n}], got {int(top_k)}")
    return int(top_k)


def check_eps(eps: object) -> float:
    """eps must be a real number in the open interval (0, 1).

    >>> check_eps(0.05)
    0.05
    >>> check_eps(1)
    Traceback (most recent call last):
    ...
    ValueError: eps must be in (0, 1), got 1.0
    """
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real):
        raise TypeError(f"eps must be a real number in (0, 1), got {eps!r}")
    if not 0.0 < float(eps) < 1.0:
        raise ValueError(f"eps must be in (0, 1), got {float(eps)!r}")
    return float(eps)


def check_scale(scale: object, d: int) -> float:
    """scale is None (meaning 1/√D, as in SDPA) or a finite real number.

    >>> check_scale(None, 16), check_scale(2, 16)
    (0.25, 2.0)
    """
    if scale is None:
        return 1.0 / math.sqrt(d)
    if isinstance(scale, bool) or not isinstance(scale, numbers.Real):
        raise TypeError(f"scale must be None or a finite real number, got {scale!r}")
    if not math.isfinite(float(scale)):
        raise ValueError(f"scale must be None or a finite real number, got {float(scale)!r}")
    return float(scale)


def check_flag(name: str, value: object) -> bool:
    """Boolean flags (is_causal, return_stats, check_finite) must be real bools.

    >>> check_flag("is_causal", True)
    True
    >>> check_flag("is_causal", 1)
    Traceback (most recent call last):
    ...
    TypeError: is_causal must be a bool, got 1
    """
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {value!r}")
    return value


def check_values(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float) -> None:
    """Reject NaN/Inf inputs and inputs whose scores or sums could overflow float32.

    The kernel computes scores q·kᵀ·scale and the sums Σ_j p_j v_j (p_j ≤ 1) in float32.
    By Cauchy–Schwarz |s_ij| ≤ |scale|·‖q_i‖·‖k_j‖ and |Σ_j p_j v_j| ≤ N·max|v|, so when both
    bounds stay below the float32 maximum nothing can overflow.

    >>> x = torch.ones(1, 1, 2, 2)
    >>> check_values(x, x, x, 1.0)  # finite and far from overflow: returns None
    >>> check_values(x * 1e20, x * 1e20, x, 1.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: scale*max|q_i|*max|k_j| = 2e+40 must be below the float32 maximum so that ...
    >>> check_values(x, x, x * float("nan"), 1.0)
    Traceback (most recent call last):
    ...
    ValueError: v must contain only finite values (no NaN or Inf); pass check_finite=False to skip this check
    """
    if q.dtype == torch.float64:
        for name, t in (("q", q), ("k", k), ("v", v)):
            if not bool(torch.isfinite(t).all()):
                raise ValueError(_nonfinite(name))
        return
    # One float64 pass per tensor: a row norm (or max |v|) is NaN/Inf exactly when the row holds
    # a NaN/Inf, since float64 cannot overflow on float32/16 inputs.
    qn, kn = (torch.linalg.vector_norm(t, dim=-1, dtype=torch.float64).max() for t in (q, k))
    vmax = v.abs().max().double()
    for name, x in (("q", qn), ("k", kn), ("v", vmax)):
        if not math.isfinite(float(x)):
            raise ValueError(_nonfinite(name))
    bound = abs(scale) * float(qn) * float(kn)
    if bound >= _FP32_MAX:
        raise ValueError(
            f"scale*max|q_i|*max|k_j| = {bound:.3g} must be below the float32 "
            "maximum so that scores cannot overflow; rescale q or k"
        )
    if k.shape[2] * float(vmax) >= _FP32_MAX:
        raise ValueError(
            f"N*max|v| = {k.shape[2] * float(vmax):.3g} must be below the float32 maximum; rescale v"
        )


def _nonfinite(name: str) -> str:
    return (
        f"{name} must contain only finite values (no NaN or Inf); "
        "pass check_finite=False to skip this check"
    )
