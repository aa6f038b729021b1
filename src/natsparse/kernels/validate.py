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


def check_qkv(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, *, enable_gqa: bool
) -> tuple[int, int, int, int, int, int]:
    """Check query (..., Hq, L, E), key (..., Hkv, S, E), value (..., Hkv, S, Ev) as SDPA takes them.

    The leading dims must match; Hkv = Hq, or Hkv = 1 (broadcast), or, with ``enable_gqa``, any Hkv
    dividing Hq (2-D inputs (L, E) have one head). Returns (Hq, Hkv, L, S, E, Ev).

    >>> q, k, v = torch.zeros(2, 4, 5, 8), torch.zeros(2, 4, 7, 8), torch.zeros(2, 4, 7, 3)
    >>> check_qkv(q, k, v, enable_gqa=False)
    (4, 4, 5, 7, 8, 3)
    >>> check_qkv(q, k[..., :4], v, enable_gqa=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: key must have shape (..., Hkv, S, E) with E = 8 and leading dims (2,) ...
    """
    for name, t in (("query", q), ("key", k), ("value", v)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        if t.dim() < 2:
            raise ValueError(f"{name} must have shape (..., L, E) with at least 2 dims, got {tuple(t.shape)}")
        if t.numel() == 0:
            raise ValueError(f"{name} must be non-empty, got shape {tuple(t.shape)}")
        if t.dtype not in FLOAT_DTYPES:
            raise TypeError(
                f"{name} must have dtype float16, bfloat16, float32 or float64, got {t.dtype}"
            )
    lead, E = tuple(q.shape[:-3]), q.shape[-1]
    Hq = q.shape[-3] if q.dim() >= 3 else 1
    if k.dim() != q.dim() or tuple(k.shape[:-3]) != lead or k.shape[-1] != E:
        raise ValueError(
            f"key must have shape (..., Hkv, S, E) with E = {E} and leading dims {lead} like query, "
            f"got {tuple(k.shape)}"
        )
    Hkv = k.shape[-3] if k.dim() >= 3 else 1
    if v.dim() != k.dim() or v.shape[:-1] != k.shape[:-1]:
        raise ValueError(
            f"value must have shape (..., Hkv, S, Ev) = {tuple(k.shape[:-1])} + (Ev,) to match key, "
            f"got {tuple(v.shape)}"
        )
    if Hkv != Hq and not (Hkv == 1 or (enable_gqa and Hq % Hkv == 0)):
        want = "a divisor of" if enable_gqa else "1 or equal to (enable_gqa=True allows a divisor of)"
        raise ValueError(f"key/value heads Hkv = {Hkv} must be {want} the query heads Hq = {Hq}")
    if not (q.dtype == k.dtype == v.dtype):
        raise TypeError(
            f"query, key and value must share one dtype, got {q.dtype}, {k.dtype}, {v.dtype}"
        )
    if not (q.device == k.device == v.device):
        raise ValueError(
            f"query, key and value must be on one device, got {q.device}, {k.device}, {v.device}"
        )
    return Hq, Hkv, q.shape[-2], k.shape[-2], E, v.shape[-1]


def check_mask(attn_mask: object, rows_shape: tuple[int, ...], n: int, dtype: torch.dtype,
               is_causal: bool) -> torch.Tensor | None:
    """attn_mask: None, or a bool (True = may attend) or float (additive, −inf = masked) tensor of
    the query's dtype, broadcastable to (..., Hq, L, S) as SDPA broadcasts it. With is_causal it
    raises SDPA's documented error. Returns the mask expanded (a view) to rows_shape + (S,).

    >>> check_mask(torch.ones(3, 5, dtype=torch.bool), (2, 3), 5, torch.float32, False).shape
    torch.Size([2, 3, 5])
    >>> check_mask(torch.ones(4, 5, dtype=torch.bool), (2, 3), 5, torch.float32, False)
    Traceback (most recent call last):
    ...
    ValueError: attn_mask must be broadcastable to (..., Hq, L, S) = (2, 3, 5), got (4, 5)
    """
    if attn_mask is None:
        return None
    if not isinstance(attn_mask, torch.Tensor):
        raise TypeError(f"attn_mask must be None or a torch.Tensor, got {type(attn_mask).__name__}")
    if is_causal:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                           "is_causal=True")
    if attn_mask.dtype != torch.bool and attn_mask.dtype != dtype:
        raise TypeError(f"attn_mask must be bool or have the query's dtype {dtype}, got {attn_mask.dtype}")
    target = (*rows_shape, n)
    try:
        ok = torch.broadcast_shapes(attn_mask.shape, target) == torch.Size(target)
    except RuntimeError:
        ok = False
    if not ok:
        raise ValueError(f"attn_mask must be broadcastable to (..., Hq, L, S) = {target}, "
                         f"got {tuple(attn_mask.shape)}")
    return attn_mask.expand(target)


def check_dropout(dropout_p: object) -> None:
    """dropout_p must be 0 (the kernels have no dropout; a certificate of a random output is none).

    >>> check_dropout(0.0)
    >>> check_dropout(0.1)
    Traceback (most recent call last):
    ...
    ValueError: dropout_p must be 0.0 (sparse attention here has no dropout), got 0.1
    """
    if isinstance(dropout_p, bool) or not isinstance(dropout_p, numbers.Real):
        raise TypeError(f"dropout_p must be 0.0 (sparse attention here has no dropout), got {dropout_p!r}")
    if float(dropout_p) != 0.0:
        raise ValueError(f"dropout_p must be 0.0 (sparse attention here has no dropout), got {dropout_p!r}")


def check_max_tail(max_tail: object) -> float:
    """max_tail must be a real number in [0, 1).

    >>> check_max_tail(0.01)
    0.01
    >>> check_max_tail(None)
    Traceback (most recent call last):
    ...
    TypeError: max_tail must be a real number in [0, 1), got None
    """
    if isinstance(max_tail, bool) or not isinstance(max_tail, numbers.Real):
        raise TypeError(f"max_tail must be a real number in [0, 1), got {max_tail!r}")
    if not 0.0 <= float(max_tail) < 1.0:
        raise ValueError(f"max_tail must be in [0, 1), got {float(max_tail)!r}")
    return float(max_tail)


def check_top_k(top_k: object, n: int) -> int:
    """top_k must be an int with 1 ≤ top_k ≤ N (bool is rejected).

    >>> check_top_k(3, 8)
    3
    >>> check_top_k(0, 8)
    Traceback (most recent call last):
    ...
    ValueError: top_k must be an int in [1, N=8], got 0
    """
    if top_k is None:
        raise TypeError(f"top_k must be an int in [1, N={n}] (a keyword argument), got None")
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


def check_scale_dtype(scale: float, dtype: torch.dtype) -> float:
    """The scale as the kernel holds it, rounded to its compute dtype (float32, float64 for float64
    inputs), must be finite and, unless 0, a normal number: an infinite one turns the scores into
    NaN/inf (which look masked), a subnormal one has lost relative precision and becomes 0 where
    denormals are flushed (``torch.set_flush_denormal``, GPU kernels). Checked whatever check_finite
    says. Returns |fl(scale) − scale|, the rounding the certificate charges to the scores.

    >>> check_scale_dtype(0.5, torch.float32)
    0.0
    >>> check_scale_dtype(1e40, torch.float32)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: scale = 1e+40 overflows float32 (max 3.40282e+38), the kernel's compute dtype; ...
    """
    name = str(dtype).removeprefix("torch.")
    info = torch.finfo(dtype)
    rounded = float(torch.tensor(scale, dtype=dtype))
    if not math.isfinite(rounded):
        raise ValueError(f"scale = {scale:.6g} overflows {name} (max {info.max:.6g}), the kernel's compute "
                         "dtype; fold part of it into query or key")
    if scale != 0.0 and abs(rounded) < info.tiny:
        raise ValueError(f"scale = {scale:.6g} is subnormal in {name} (below {info.tiny:.6g}), the kernel's "
                         "compute dtype: it has lost precision and may be flushed to 0; fold part of it "
                         "into query or key")
    return abs(rounded - scale)


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


def check_values(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float,
                 attn_mask: torch.Tensor | None = None, norms=None, *, scales_query: bool = True) -> None:
    """Reject NaN/Inf inputs (and NaN/+inf in a float attn_mask; −inf masks a key) and inputs whose
    scores or sums could overflow the compute dtype (float32, float64 for float64 inputs).

    The kernel computes scores q·kᵀ·scale and the sums Σ_j p_j v_j (p_j ≤ 1) in that dtype.
    By Cauchy–Schwarz |s_ij| ≤ |scale|·‖q_i‖·‖k_j‖ and |Σ_j p_j v_j| ≤ N·max_j‖v_j‖, so when both
    bounds stay below its maximum nothing can overflow; nor can the product formed first: scale·q
    (``scales_query``, the torch backend) or q·kᵀ (the Triton kernel, which scales after). ``norms``
    are the row norms of q, k and v (from ``certificate.row_norms``), or any tensors whose maxima are
    theirs (a KVCache keeps the maxima of K and V), if the caller has them (the certificate needs
    them too: one pass over each tensor, or none). What still overflows (an additive mask,
    rounding at the very edge) the caller finds in the kernel's own numbers.

    >>> x = torch.ones(1, 1, 2, 2)
    >>> check_values(x, x, x, 1.0)  # finite and far from overflow: returns None
    >>> check_values(x * 1e19, x * 1e19, x, 100.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: scale*max|q_i|*max|k_j| = 2e+40 must be below the float32 maximum so that ...
    >>> check_values(x, x, x * float("nan"), 1.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: value must contain only finite values (no NaN or Inf); pass check_finite=False ...
    """
    from .certificate import raise_norm, row_norms

    if attn_mask is not None and attn_mask.dtype != torch.bool:
        if bool(torch.isnan(attn_mask).any() | (attn_mask == math.inf).any()):
            raise ValueError("attn_mask must not contain NaN or +inf (−inf masks a key); "
                             "pass check_finite=False to skip this check")
    # A row norm is NaN/Inf when the row holds a NaN/Inf, or when its float32 squares overflow
    # (entries beyond ~1e19); only then is the tensor itself scanned, to say which.
    qn, kn, vn = (raise_norm(x.max(), t.shape[-1])
                  for x, t in zip(norms or (row_norms(t) for t in (q, k, v)), (q, k, v), strict=True))
    for name, t, x in (("query", q, qn), ("key", k, kn), ("value", v, vn)):
        if not math.isfinite(float(x)) and not bool(torch.isfinite(t).all()):
            raise ValueError(_nonfinite(name))
    cdt = torch.float64 if q.dtype == torch.float64 else torch.float32
    name, top = str(cdt).removeprefix("torch."), float(torch.finfo(cdt).max)
    lo, mid, hi = sorted((abs(scale), float(qn), float(kn)))
    bound = lo * hi * mid                          # this order overflows only if the product does
    if not bound < top:
        raise ValueError(
            f"scale*max|q_i|*max|k_j| = {bound:.3g} must be below the {name} "
            "maximum so that scores cannot overflow; rescale q or k"
        )
    if scales_query:
        what, detail, first = "scale * query", "|scale|*max||q_i||", abs(scale) * float(qn)
    else:
        what, detail, first = "query * key", "max||q_i||*max||k_j||", float(qn) * float(kn)
    if not first < top:
        raise ValueError(f"{what} overflows {name}: {detail} = {first:.3g} (the backend forms it before "
                         "the other factor); rescale q, k or scale")
    if not k.shape[-2] * float(vn) < top:
        raise ValueError(
            f"N*max_j||v_j|| = {k.shape[-2] * float(vn):.3g} must be below the {name} maximum; rescale v"
        )


def _nonfinite(name: str) -> str:
    return (
        f"{name} must contain only finite values (no NaN or Inf); "
        "pass check_finite=False to skip this check"
    )
