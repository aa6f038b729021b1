"""Launcher of the fused Triton kernel for certified top-k and threshold attention.

Design (source in ``triton_topk_kernel.py``). One program handles one block of BLOCK_M queries
of one (batch, head) and streams over the key blocks, recomputing scores s = q·kᵀ·scale in
float32 each time; the N×N score matrix never exists.

* Selection passes (top-k). Each float32 score is mapped to an order-preserving uint32 key.
  A per-row radix select finds T, the key of the k-th largest score, RADIX_BITS bits per
  streaming pass (32/RADIX_BITS passes): for every candidate digit it counts the keys ≥ the
  candidate prefix and keeps the largest digit whose count is still ≥ k. The same counts give
  #{key > T}, hence how many of the keys equal to T are needed. The row max is taken on the way.
  (Threshold variant: one online pass for the row max and the dense log-sum-exp instead; keep
  s_j ≥ min(LSE + log ε, max s), i.e. a_j ≥ ε, and never an empty set.)
* Final pass. Streams the key blocks once more in increasing index, keeps key > T, and key == T
  while a running per-row count of such ties (a prefix sum within the block) is below the
  number needed: ties break toward the lower index exactly as def:topk-attention. It
  accumulates, shifted by the exact row max, the kept and the dropped exponentials separately
  and the output Σ_kept p_j v_j; it writes o = acc / l_kept, τ = l_drop / (l_kept + l_drop)
  (no cancellation, so τ is accurate even when tiny), and both log-sum-exps.

Cost: (32/RADIX_BITS + 1) recomputations of QKᵀ; exact selection needs all scores, so the floor
is one dense attention forward (DESIGN.md, "Kernel interface"). Causal masking is SDPA's
top-left one (query i sees keys j ≤ i); a row that sees fewer than top_k keys keeps them all.
Triton is imported only when this backend runs. ``triton.jit`` reads TRITON_INTERPRET when it
decorates (Triton's own library too), so one process runs Triton either compiled ("triton") or
interpreted ("triton-interpret", CPU tensors), fixed by the first import; see _kernel_module.
"""

from __future__ import annotations

import importlib
import math
import os
import sys
from types import ModuleType

import torch

from . import buffers
from .stats import AttentionStats

_TRITON_DTYPES = (torch.float16, torch.bfloat16, torch.float32)


def triton_mode() -> str | None:
    """"interpret" or "compiled": the mode Triton was imported in; None if not imported yet.

    >>> triton_mode() in (None, "interpret", "compiled")
    True
    """
    if "triton" not in sys.modules:
        return None
    from triton.language import standard
    from triton.runtime.interpreter import InterpretedFunction

    return "interpret" if isinstance(standard.cdiv, InterpretedFunction) else "compiled"


def _kernel_module(interpret: bool) -> ModuleType:
    """Import Triton and the kernel source in the requested mode, or explain why not.

    ``triton.jit`` reads TRITON_INTERPRET when it decorates, Triton's own library included, so
    the first import of triton fixes the mode for the whole process. If triton is not imported
    yet, "triton-interpret" sets TRITON_INTERPRET=1 (process-wide) before importing it.
    """
    wanted = "interpret" if interpret else "compiled"
    if triton_mode() is None and interpret:
        os.environ["TRITON_INTERPRET"] = "1"
    try:
        import triton  # noqa: F401
    except ImportError as exc:
        raise ImportError("the Triton backends need triton: pip install 'natsparse[kernel]'") from exc
    if triton_mode() != wanted:
        raise RuntimeError(
            f"backend={'triton-interpret' if interpret else 'triton'!r} needs Triton in {wanted} "
            f"mode, but this process imported it in {triton_mode()} mode; set TRITON_INTERPRET="
            f"{'1' if interpret else '0'} before triton is first imported, or use another process"
        )
    return importlib.import_module(".triton_topk_kernel", __package__)


def _pow2(x: int, lo: int = 16) -> int:
    """Smallest power of two ≥ x and ≥ lo (block widths; tl.dot needs ≥ 16)."""
    return max(lo, 1 << (x - 1).bit_length())


def attention_triton(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    *,
    scale: float,
    is_causal: bool,
    top_k: int | None = None,
    eps: float | None = None,
    interpret: bool = False,
) -> tuple[torch.Tensor, AttentionStats]:
    """Run the fused kernel on validated inputs; any strides are accepted.

    ``interpret=True`` runs the Triton interpreter on CPU tensors (tests); otherwise the
    tensors must live on a CUDA device. Exactly one of ``top_k`` and ``eps`` is given.

    >>> x = torch.zeros(1, 1, 2, 2)
    >>> attention_triton(x, x, x, scale=1.0, is_causal=False)
    Traceback (most recent call last):
    ...
    ValueError: exactly one of top_k and eps must be given
    """
    if (top_k is None) == (eps is None):
        raise ValueError("exactly one of top_k and eps must be given")
    if q.dtype not in _TRITON_DTYPES:
        raise TypeError(f"q, k, v must be float16, bfloat16 or float32 for Triton, got {q.dtype}")
    mod = _kernel_module(interpret)
    B, H, M, D = q.shape
    N, Dv = k.shape[2], v.shape[3]
    out = buffers.empty((B, H, M, Dv), q.dtype, q.device)
    tau, lse_all, lse_kept = (buffers.empty((B, H, M), torch.float32, q.device) for _ in range(3))
    # Small blocks keep the interpreter fast; 64 suits a GPU (tl.dot needs ≥ 16).
    block = 16 if interpret else 64
    grid = (-(-M // block), B * H)
    mod._sparse_attn_fwd[grid](
        q, k, v, out, tau, lse_all, lse_kept,
        *q.stride(), *k.stride(), *v.stride(), *out.stride(),
        H, M, N, D, Dv, float(scale),
        top_k if top_k is not None else 0,
        math.log(eps) if eps is not None else 0.0,
        BLOCK_M=block, BLOCK_N=block, BLOCK_D=_pow2(D), BLOCK_DV=_pow2(Dv),
        IS_CAUSAL=is_causal, MODE=0 if top_k is not None else 1, RADIX_BITS=2,
        PRECISION="ieee" if q.dtype == torch.float32 else "tf32",
    )
    return out, AttentionStats(tau, lse_all, lse_kept)
