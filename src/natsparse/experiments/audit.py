"""The certificate audit: top-k attention against dense attention on the same q, k, v, in float64.

The kernel returns per row stats.error_bound >= ||o~ - o||_2, o the exact dense attention
(thm:certificate-rounding: 2 (tau + rho_tau) max_j ||v_j|| + rho_o, the real-arithmetic bound of
thm:output-error plus the rounding of the computed numbers; a 2-norm bound also bounds the entrywise
error). `audit` runs `natsparse.kernels.topk_attention` (torch backend) and dense SDPA on float64
copies, so the comparison measures top-k's error and not the model's own rounding; `summarise` counts
violations beyond the dense reference's own float64 rounding and the worst error/bound ratio. Used by
the real-model study and the condensation evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.nn import functional as F

from natsparse.kernels import topk_attention

#: The float64 rounding allowance per unit of (1 + max ||v||) of the *dense reference* (float64 SDPA, a
#: sum of at most a few thousand terms each within 2^-53 relative): the bound is against the exact o,
#: the measured error against SDPA's float64 o, so an error beyond bound + SLACK (1 + vmax) is real.
SLACK = 1e-12


@dataclass
class Audit:
    """Per (batch, head, query) row: tau, the measured error ||o - o_hat||, the largest value norm
    over the keys the row sees (vmax), and the certificate bound = stats.error_bound.

    >>> t = torch.tensor
    >>> a = Audit(tau=t([0.1, 0.0]), error=t([0.05, 0.0]), vmax=t([1.0, 1.0]), bound=t([0.2, 0.0]))
    >>> summarise(a)["violations"]
    0
    """

    tau: torch.Tensor
    error: torch.Tensor
    vmax: torch.Tensor
    bound: torch.Tensor


def audit(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, top_k: int, *, is_causal: bool = False,
          ord: float = 2) -> Audit:
    """Audit top-k attention (q, k, v of shape (..., M, D), (..., N, D), (..., N, Dv)) in the norm
    `ord` (2, or float("inf") for the entrywise form).

    >>> g = torch.Generator().manual_seed(0)
    >>> q, k, v = (torch.randn(1, 2, 6, 4, generator=g) for _ in range(3))
    >>> a = audit(q, k, v, 2, is_causal=True)
    >>> a.tau.shape
    torch.Size([1, 2, 6])
    >>> bool((a.tau[..., :2] == 0).all())  # the first two rows see at most 2 keys: nothing dropped
    True
    >>> bool((a.error <= a.bound + SLACK * (1 + a.vmax)).all())  # thm:certificate-rounding, row by row
    True
    """
    with torch.no_grad():
        q, k, v = q.double(), k.double(), v.double()
        dense = F.scaled_dot_product_attention(q, k, v, is_causal=is_causal)
        sparse, stats = topk_attention(q, k, v, top_k=min(top_k, k.shape[-2]), is_causal=is_causal,
                                       return_stats=True, backend="torch")
        norms = torch.linalg.vector_norm(v, ord=ord, dim=-1)              # (..., N)
        if is_causal:  # query i sees keys j <= i (SDPA's alignment, M = N here)
            vmax = norms.cummax(dim=-1).values[..., : q.shape[-2]]
        else:
            vmax = norms.amax(-1, keepdim=True).expand(stats.tail_mass.shape)
        error = torch.linalg.vector_norm(dense - sparse, ord=ord, dim=-1)
        return Audit(tau=stats.tail_mass, error=error, vmax=vmax, bound=stats.error_bound)


def summarise(a: Audit) -> dict:
    """Rows, violations (error > bound + SLACK (1 + vmax)), the largest error/bound over rows whose
    bound exceeds 1e3 times that allowance (elsewhere the ratio measures rounding), and the sums of
    bound and error (for means over several batches).

    >>> t = torch.tensor
    >>> a = Audit(tau=t([0.1, 0.1]), error=t([0.05, 0.3]), vmax=t([1.0, 1.0]), bound=t([0.2, 0.2]))
    >>> s = summarise(a)
    >>> s["rows"], s["violations"], s["max_ratio"]  # the second row breaks its bound
    (2, 1, 1.5)
    """
    slack = SLACK * (1 + a.vmax)
    big = a.bound > 1e3 * slack
    return {"rows": a.error.numel(), "violations": int((a.error > a.bound + slack).sum()),
            "max_ratio": float((a.error[big] / a.bound[big]).max()) if big.any() else 0.0,
            "bound_sum": float(a.bound.sum()), "error_sum": float(a.error.sum())}


def merge(parts: list[dict]) -> dict:
    """One summary of several `summarise` results.

    >>> t = torch.tensor
    >>> a = Audit(tau=t([0.1]), error=t([0.05]), vmax=t([1.0]), bound=t([0.2]))
    >>> m = merge([summarise(a), summarise(a)])
    >>> m["rows"], m["violations"], m["max_ratio"]
    (2, 0, 0.25)
    """
    return {"rows": sum(p["rows"] for p in parts), "violations": sum(p["violations"] for p in parts),
            "max_ratio": max((p["max_ratio"] for p in parts), default=0.0),
            "bound_sum": sum(p["bound_sum"] for p in parts), "error_sum": sum(p["error_sum"] for p in parts)}
