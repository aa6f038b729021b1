"""Public entry points: validate, pick a backend, run it.

Backends: "torch" (chunked reference, any device), "triton" (fused kernel, CUDA tensors),
"triton-interpret" (the same kernel through the Triton interpreter, CPU tensors; slow, for
tests), "auto" (Triton for CUDA tensors of float16/bfloat16/float32, else torch).
"""

from __future__ import annotations

import torch

from . import validate
from .reference import attention_reference
from .stats import AttentionStats

BACKENDS = ("auto", "torch", "triton", "triton-interpret")


def resolve_backend(backend: object, q: torch.Tensor) -> str:
    """The backend that runs for ``backend`` on tensors like q ("auto" resolved).

    >>> x = torch.zeros(1, 1, 2, 2)
    >>> resolve_backend("auto", x)  # CPU tensors: the chunked reference
    'torch'
    >>> resolve_backend("triton", x)
    Traceback (most recent call last):
    ...
    ValueError: backend='triton' needs CUDA tensors, got device cpu
    """
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, got {backend!r}")
    triton_ok = q.dtype != torch.float64
    if backend == "auto":
        return "triton" if q.is_cuda and triton_ok else "torch"
    if backend == "triton" and not q.is_cuda:
        raise ValueError(f"backend='triton' needs CUDA tensors, got device {q.device}")
    if backend == "triton-interpret" and q.device.type != "cpu":
        raise ValueError(f"backend='triton-interpret' needs CPU tensors, got device {q.device}")
    if backend.startswith("triton") and not triton_ok:
        raise TypeError(
            f"backend={backend!r} needs float16, bfloat16 or float32 tensors, got {q.dtype}"
        )
    return backend


def _run(q, k, v, *, top_k, eps, scale, is_causal, return_stats, check_finite, backend):
    B, H, M, N, D, Dv = validate.check_qkv(q, k, v)
    if top_k is not None:
        top_k = validate.check_top_k(top_k, N)
    else:
        eps = validate.check_eps(eps)
    scale = validate.check_scale(scale, D)
    is_causal = validate.check_flag("is_causal", is_causal)
    return_stats = validate.check_flag("return_stats", return_stats)
    if validate.check_flag("check_finite", check_finite):
        validate.check_values(q, k, v, scale)
    name = resolve_backend(backend, q)
    if name == "torch":
        out, stats = attention_reference(
            q, k, v, scale=scale, is_causal=is_causal, top_k=top_k, eps=eps
        )
    else:
        from .triton_topk import attention_triton

        out, stats = attention_triton(
            q, k, v, scale=scale, is_causal=is_causal, top_k=top_k, eps=eps,
            interpret=name == "triton-interpret",
        )
    return (out, stats) if return_stats else out


def topk_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    *,
    top_k: int,
    scale: float | None = None,
    is_causal: bool = False,
    return_stats: bool = False,
    check_finite: bool = True,
    backend: str = "auto",
) -> torch.Tensor | tuple[torch.Tensor, AttentionStats]:
    """Top-k attention with a certificate of its error (def:topk-attention).

    q (B, H, M, D), k (B, H, N, D), v (B, H, N, Dv), as in
    ``torch.nn.functional.scaled_dot_product_attention``; ``scale`` defaults to 1/√D. Each
    query keeps the ``top_k`` (an int, 1 ≤ top_k ≤ N) largest scores, ties toward the lower key
    index, and returns softmax over the kept scores times v. ``is_causal`` masks like SDPA
    (query i sees keys j ≤ i); a query that sees fewer than top_k keys keeps all it sees (τ = 0).
    With ``return_stats=True`` returns ``(out, AttentionStats(tail_mass, lse_all, lse_kept))``;
    by thm:output-error the dense output o obeys ‖o − out‖ ≤ 2·tail_mass·max_j‖v_j‖.
    NaN/Inf inputs raise ValueError unless ``check_finite=False``. Any strides are accepted.

    Scores 2, 0, -2 and top_k=2: the key of score -2 is dropped, with its softmax mass τ.

    >>> q = torch.tensor([[[[1.0, 0.0]]]])  # (B, H, M, D) = (1, 1, 1, 2)
    >>> k = torch.tensor([[[[2.0, 0.0], [0.0, 1.0], [-2.0, 0.0]]]])
    >>> v = torch.tensor([[[[1.0], [2.0], [3.0]]]])
    >>> out, st = topk_attention(q, k, v, top_k=2, scale=1.0, return_stats=True)
    >>> round(out.item(), 4), round(st.tail_mass.item(), 4)
    (1.1192, 0.0159)
    >>> dense = torch.nn.functional.scaled_dot_product_attention(q, k, v, scale=1.0)
    >>> bool((dense - out).abs().max() <= 2 * st.tail_mass.max() * v.abs().max())
    True
    """
    return _run(q, k, v, top_k=top_k, eps=None, scale=scale, is_causal=is_causal,
                return_stats=return_stats, check_finite=check_finite, backend=backend)


def threshold_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    *,
    eps: float,
    scale: float | None = None,
    is_causal: bool = False,
    return_stats: bool = False,
    check_finite: bool = True,
    backend: str = "auto",
) -> torch.Tensor | tuple[torch.Tensor, AttentionStats]:
    """Threshold attention (def:threshold-attention): keep the keys with a_j ≥ eps, 0 < eps < 1.

    Same arguments and certificate as :func:`topk_attention`. The keys with the maximal score
    are always kept (the kept set is {j : a_j ≥ min(eps, max_j a_j)}), so it is never empty; by
    thm:threshold-error the discarded mass is below (#dropped)·eps.

    The weights of scores 2, 0, -2 are about 0.867, 0.117 and 0.016: eps = 0.1 drops the last.

    >>> q = torch.tensor([[[[1.0, 0.0]]]])
    >>> k = torch.tensor([[[[2.0, 0.0], [0.0, 1.0], [-2.0, 0.0]]]])
    >>> v = torch.tensor([[[[1.0], [2.0], [3.0]]]])
    >>> out, st = threshold_attention(q, k, v, eps=0.1, scale=1.0, return_stats=True)
    >>> round(st.tail_mass.item(), 4), bool(st.tail_mass.item() < 1 * 0.1)
    (0.0159, True)
    """
    return _run(q, k, v, top_k=None, eps=eps, scale=scale, is_causal=is_causal,
                return_stats=return_stats, check_finite=check_finite, backend=backend)
