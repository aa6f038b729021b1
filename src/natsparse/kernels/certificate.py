"""The floating-point certificate (thm:certificate-rounding): error_bound ≥ ‖out − o‖₂ per row.

o is the exact dense attention of the given inputs; out is what a backend returned. Every backend
reports, per row, the numbers it actually computed (row max m, the sums l_kept and l_drop of the
kept and dropped weights p̃_j = fl(exp(fl(s̃_j − m))), the visible and kept counts) and upper bounds
on ‖q_i‖₂, max_j‖k_j‖₂ and max_j‖v_j‖₂ over the visible keys; :func:`error_bound` turns them into

    error_bound = 2·τ_up·vmax + ρ_o,   τ_up = τ̃ + ρ_τ ≥ τ (the exact tail of the kept set),

by the forward error analysis proved in book/kernel.md ("A certificate that covers rounding"). The
model of arithmetic, with u the unit roundoff of the accumulation dtype (float32, or float64 for
float64 inputs) and tiny its smallest normal number:

- scores: |s̃_j − s_j| ≤ γ_{D+1}(u_dot)·(|scale| + e_c)·‖q‖‖k_j‖ + e_c·‖q‖‖k_j‖ + Δ_u + u/(1−u)·|s̃_j|
  (the last term only when an additive float mask is added), u_dot the unit roundoff of the score
  matmul, e_c = |fl(scale) − scale| the rounding of the scale to the compute dtype, and Δ_u the
  underflow term below;
- the shift and exp: fl(s̃ − m) and a ×log2(e) inside exp perturb the argument by ≤ 3u relatively,
  exp has relative error ≤ 8u (2 ulp with room) and may flush results below tiny to zero;
- sums and the p·v product of n nonzero terms: γ_n = n·u/(1 − n·u), any order, FMA or not;
- the division acc/l_kept: ≤ 2 ulp (4u) plus tiny; the cast to the output dtype: u_out plus half its
  smallest subnormal spacing;
- underflow, gradual or flushed (``torch.set_flush_denormal``, GPU kernels that flush): any result may
  be off by tiny in absolute terms and any subnormal operand may be read as 0. In the scores (either
  order: scale·q then ·kᵀ, or q·kᵀ then ·scale) that is at most Δ_u = 2(1 + γ_{D+1})·tiny·((|c| + 2)·√D·
  (‖q‖ + ‖k_j‖) + (|c| + 1)(5D + 2)) + 8·tiny (c the scale; the 8·tiny covers the shift, the exp
  argument and a float mask); per weight it adds 2·tiny to exp's 2·tiny; in the output, 8·tiny per
  kept key and component (products p·v and partial sums).

Overflow, NaN and Inf are outside this model: the caller refuses the inputs or sets the bound of
the rows they reach to inf (``kernels.dispatch``).

The bound is evaluated in float64 and multiplied by 1 + 2⁻⁴⁰, which covers the rounding of its own
few dozen float64 operations (each ≤ 2⁻⁵³ relative on positive terms).

    >>> import torch
    >>> one = torch.ones(1, dtype=torch.float64)
    >>> b = error_bound(row_max=0 * one, l_kept=one, l_drop=0 * one, n_vis=one, kept=one, vmax=one,
    ...                 qnorm=one, kmax=one, scale=1.0, dim=4, dim_v=1, compute_dtype=torch.float32,
    ...                 out_dtype=torch.float32, float_mask=False, u_dot=2.0**-24)
    >>> 0 < float(b) < 1e-5  # one kept key, nothing dropped: only rounding remains
    True
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch

#: Multiplier that covers the rounding of the float64 evaluation of the bound itself.
SAFETY = 1.0 + 2.0**-40

_UNIT_ROUNDOFF = {torch.float16: 2.0**-11, torch.bfloat16: 2.0**-8, torch.float32: 2.0**-24,
                  torch.float64: 2.0**-53}
# Half the spacing of the subnormal numbers: the largest absolute error of rounding to nearest there.
_HALF_SUBNORMAL = {torch.float16: 2.0**-25, torch.bfloat16: 2.0**-134, torch.float32: 2.0**-150,
                   torch.float64: 2.0**-1075}


class RowNumbers(NamedTuple):
    """What a backend computed per row, for the certificate (each shaped like the output rows).

    row_max: m = max_j s̃_j (−inf when every key is masked); l_kept, l_drop: the computed sums of the
    kept and dropped p̃_j = fl(exp(fl(s̃_j − m))); n_vis, kept: the visible and kept counts (int64);
    vmax: an upper bound on max_{j visible}‖v_j‖₂ (float64).
    """

    row_max: torch.Tensor
    l_kept: torch.Tensor
    l_drop: torch.Tensor
    n_vis: torch.Tensor
    kept: torch.Tensor
    vmax: torch.Tensor


def unit_roundoff(dtype: torch.dtype) -> float:
    """u of a floating dtype (half the machine epsilon).

    >>> unit_roundoff(torch.float16) == 2.0**-11
    True
    """
    return _UNIT_ROUNDOFF[dtype]


def gamma_of(n: int, u: float) -> float:
    """γ_n = n·u/(1 − n·u), +inf where n·u ≥ 1 (Higham's constant for n rounded operations), for one
    count in Python floats.

    >>> gamma_of(2, 0.25)
    1.0
    """
    nu = n * u
    return nu / (1 - nu) if nu < 1 else math.inf


def _z(u: float) -> float:
    """sup over x ≤ 0 and |ε| ≤ u of |e^{x(1+ε)} − e^x|: at most u/(e(1 − u)) (book/kernel.md)."""
    return u / (math.e * (1 - u))


def row_norms(t: torch.Tensor) -> torch.Tensor:
    """2-norms of the rows of t (last dim), computed in float32 (float64 for float64 inputs): one fast
    pass. They may fall short of the exact norms by rounding; :func:`raise_norm` turns any reduction
    of them (a max) into a rigorous upper bound.

    >>> row_norms(torch.tensor([[3.0, 4.0]])).tolist()
    [5.0]
    """
    return torch.linalg.vector_norm(t, dim=-1, dtype=torch.float64 if t.dtype == torch.float64
                                    else torch.float32)


def raise_norm(n, d: int):
    """Norms from :func:`row_norms` of rows of length d (or their max; a tensor or a NumPy array),
    raised past their rounding (2γ_{d+2}) and past squares and partial sums that underflow, flushed to
    zero or not (√(2(d+1))·2⁻⁶² in float32, 2⁻⁵¹⁰ in float64: twice √(2d·tiny)): float64 upper bounds
    on the exact norms.

    >>> float(raise_norm(row_norms(torch.tensor([[3.0, 4.0]])), 2)[0]) > 5.0
    True
    """
    if n.dtype in (torch.float64, np.float64):
        return n * (1 + 2 * gamma_of(d + 2, 2.0**-53)) + math.sqrt(2 * (d + 1)) * 2.0**-510
    wide = n.astype(np.float64) if isinstance(n, np.ndarray) else n.double()
    return wide * (1 + 2 * gamma_of(d + 2, 2.0**-24)) + math.sqrt(2 * (d + 1)) * 2.0**-62


def upward_norm(t: torch.Tensor) -> torch.Tensor:
    """An upper bound (float64) on the 2-norm of each row of t: ``raise_norm(row_norms(t))``.

    >>> float(upward_norm(torch.tensor([[3.0, 4.0]]))[0]) > 5.0
    True
    """
    return raise_norm(row_norms(t), t.shape[-1])


class Terms(NamedTuple):
    """The parts of the certificate per row (float64): τ_up = τ̃ + ρ_τ ≥ τ, ρ_o ≥ ‖out − ô‖₂, and
    vmax ≥ max_{j visible}‖v_j‖₂; error_bound = (2·τ_up·vmax + ρ_o)·SAFETY."""

    tau_up: torch.Tensor
    rho_o: torch.Tensor
    vmax: torch.Tensor

    def bound(self) -> torch.Tensor:
        """error_bound = (2·τ_up·vmax + ρ_o)·SAFETY (thm:certificate-rounding)."""
        return (2 * self.tau_up * self.vmax + self.rho_o) * SAFETY


def error_bound(**kw) -> torch.Tensor:
    """Per-row float64 bound on ‖out − o‖₂: ``certificate_terms(**kw).bound()``."""
    return certificate_terms(**kw).bound()


class _Ops(NamedTuple):
    """The few array functions :func:`certificate_terms` needs, from one library: NumPy for CPU
    tensors (a tenth of PyTorch's overhead per call on the few rows of a decode step) or PyTorch.
    Both evaluate +, −, ×, ÷ in IEEE float64 alike; exp and expm1 may differ in the last bit, which
    SAFETY covers."""

    where: object
    isfinite: object
    exp: object
    expm1: object
    clip: object
    f64: object


_TORCH = _Ops(torch.where, torch.isfinite, torch.exp, torch.expm1, torch.clamp,
              f64=lambda x: x.to(torch.float64))
_NUMPY = _Ops(np.where, np.isfinite, np.exp, np.expm1, np.clip,
              f64=lambda x: np.asarray(x.numpy() if isinstance(x, torch.Tensor) else x, np.float64))


def _gamma_of(xp: _Ops, n, u: float):
    """:func:`gamma_of` of an array n of counts (float64)."""
    nu = n * u
    return xp.where(nu < 1, nu / xp.clip(1 - nu, 1e-300, None), math.inf)


def certificate_terms(*, row_max: torch.Tensor, l_kept: torch.Tensor, l_drop: torch.Tensor,
                      n_vis: torch.Tensor, kept: torch.Tensor, vmax: torch.Tensor, qnorm: torch.Tensor,
                      kmax: torch.Tensor, scale: float, dim: int, dim_v: int, compute_dtype: torch.dtype,
                      out_dtype: torch.dtype, float_mask: bool, u_dot: float,
                      scale_err: float = 0.0) -> Terms:
    """Per-row :class:`Terms` of the bound on ‖out − o‖₂ (module docstring; tensors broadcast).

    row_max, l_kept, l_drop: the backend's own row max and sums; n_vis, kept: visible and kept
    counts; vmax, qnorm, kmax: upper bounds on max_{j visible}‖v_j‖₂, ‖q_i‖₂ and max_j‖k_j‖₂;
    scale_err: |fl(scale) − scale|, the rounding of the scale to the compute dtype.
    Rows with n_vis = 0 (every key masked) get 0 everywhere: their output is the exact 0 by
    convention. Scalar factors are evaluated in Python floats in the order the formulas give, so the
    array operations are only those that involve a row's own numbers. CPU tensors and NumPy arrays are
    evaluated in NumPy; the Terms are NumPy arrays for NumPy inputs, else tensors.
    """
    arrays = isinstance(row_max, np.ndarray)
    xp = _NUMPY if arrays or row_max.device.type == "cpu" else _TORCH
    with np.errstate(all="ignore"):      # inf and NaN rows are expected; the caller bounds them
        u = unit_roundoff(compute_dtype)
        tiny = torch.finfo(compute_dtype).tiny
        m, lk, ld, n_s, n_v, vmax, qnorm, kmax = (
            xp.f64(x) for x in (row_max, l_kept, l_drop, kept, n_vis, vmax, qnorm, kmax))
        n_t = n_v - n_s
        # Score error: |s̃_j − m − (s_j − m)| ≤ delta0 + u'|s̃_j − m| (the last part only with a float mask):
        # the products (the kernel's scale fl(c) within e_c of c) and underflow (gradual or flushed).
        u_mask = u / (1 - u) if float_mask else 0.0
        g_dot = gamma_of(dim + 1, u_dot)
        c_up = abs(scale) + scale_err                              # ≥ |fl(c)|
        delta_u = (2 * (1 + g_dot) * tiny) * (((c_up + 2) * math.sqrt(dim)) * (qnorm + kmax)
                                              + (c_up + 1) * (5 * dim + 2)) + 8 * tiny
        delta0 = (g_dot * c_up + scale_err) * qnorm * kmax + delta_u
        if float_mask:
            delta0 = delta0 + u_mask * xp.where(xp.isfinite(m), abs(m), 0.0)
        r2 = xp.expm1(delta0)                                      # relative part, exact vs e^{x_j}
        c2 = xp.exp(delta0) * _z(u_mask) if float_mask else 0.0
        eps_e = 8 * u                                              # exp's relative error
        # shift rounding, exp's underflow (flushed or not, a subnormal weight read as 0) and the flush of a
        # subnormal partial sum of the weights, per key
        c1 = (1 + eps_e) * _z(3 * u) + 4 * tiny
        g_s, g_t = _gamma_of(xp, n_s, u), _gamma_of(xp, n_t, u)
        # Exact sums of the computed weights, then of w_j = e^{s̃_j − m}, then of the exact weights.
        p_s_lo, p_t_hi = lk / (1 + g_s), ld / (1 - g_t)
        w_s_lo = (p_s_lo - n_s * c1) / (1 + eps_e)
        w_t_hi = xp.where(n_t > 0, (p_t_hi + n_t * c1) / (1 - eps_e), 0.0)
        e_s_lo, e_t_hi = (1 - r2) * w_s_lo, (1 + r2) * w_t_hi
        if float_mask:                                         # c2 = 0 without one
            e_s_lo, e_t_hi = e_s_lo - n_s * c2, e_t_hi + n_t * c2
        tau_up = xp.where(e_s_lo > 0, e_t_hi / xp.clip(e_s_lo + e_t_hi, 1e-300, None), 1.0)
        tau_up = xp.where(n_t > 0, xp.clip(tau_up, None, 1.0), 0.0)
        # ‖out − ô‖: exact vs computed weights (W_S ≥ 1: the row max is kept and weighs exactly 1),
        # the sums and the p·v product, the division and the cast.
        u_out = 0.0 if out_dtype == compute_dtype else unit_roundoff(out_dtype)
        t_out = 0.0 if out_dtype == compute_dtype else _HALF_SUBNORMAL[out_dtype]
        eps_div = 4 * u
        sums = 2 * g_s / (1 - g_s)
        rho_rel = 2 * r2 + 2 * n_s * c2 if float_mask else 2 * r2
        rho_rel = rho_rel + 2 * eps_e + 2 * n_s * c1 + sums + (eps_div + u_out * (1 + eps_div)) * (1 + sums)
        # the division's and the cast's underflow; the p·v products and partial sums that underflow (≤ tiny
        # each per component, over l_kept ≥ 1/2)
        rho_abs = math.sqrt(dim_v) * (tiny * (1 + u_out) + t_out + 8 * n_s * tiny * (1 + sums))
        seen = n_v > 0
        terms = (xp.where(seen, x, 0.0) for x in (tau_up, rho_rel * vmax + rho_abs, vmax))
        return Terms(*(terms if arrays or xp is _TORCH else map(torch.from_numpy, terms)))
