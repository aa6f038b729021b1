"""Launcher of the fused Triton kernel for certified top-k, threshold and mass-target attention.

Design (source in ``triton_topk_kernel.py``, whose kernel reads as its phases: ``_setup``, a select
phase — ``_select_topk`` (bracket or radix), ``_online_pass`` (threshold) or ``_online_pass`` then
``_select_mass`` — then ``_final_pass`` and ``_store``). One program handles one block of BLOCK_M queries
of one (batch, query head) and streams over the key blocks of its key/value head (h // group:
grouped-query attention without copying K or V), recomputing scores s = q·kᵀ·scale (+ the additive
mask) in float32 each time; masked keys get −inf and are invisible. The N×N score matrix never exists.

* Selection passes (top-k). Each float32 score is mapped to an order-preserving uint32 key.
  A per-row radix select finds T, the key of the k-th largest score, RADIX_BITS bits per
  streaming pass (32/RADIX_BITS passes): for every candidate digit it counts the keys ≥ the
  candidate prefix and keeps the largest digit whose count is still ≥ k. The same counts give
  #{key > T}, hence how many of the keys equal to T are needed. The row max is taken on the way.
  (Threshold variant: one online pass for the row max and the dense log-sum-exp instead; keep
  s_j ≥ min(LSE + log ε, max s), i.e. a_j ≥ ε, and never an empty set.)
* Bracket select (top-k, the default; selection_config). A guess first: a radix select on a few
  evenly spaced key blocks gives order keys [lo, hi] that likely hold the k-th key (sample ranks
  e ∓ (3√e + 1)). Then one counting pass over all keys (no exp, no p·V) takes the exact row max, the
  visible count, #{key > hi} and #{lo ≤ key ≤ hi}, compacting (a prefix sum within the block) the
  first CAP in-bracket keys of each row into a scratch of O(M·CAP); sorting those gives T and
  #{key > T} exactly. Rows whose k-th key lies outside the bracket, or whose bracket overflows CAP,
  take the radix select above, so the kept set never depends on the guess. Passes over QKᵀ: 2 (count,
  final) plus 2·16 over the sampled blocks, against 17 for the radix select; 18 where a row misses.
* Mass variant (def:mass-attention). One online pass for the row max m and L = Σ p_j, then the same
  radix select on weights instead of counts: the largest T with Σ_{key < T} p_j ≤ max_tail·L; of the
  keys tied at T it keeps, in index order, only as many as the budget needs. Cost: one pass more
  than top-k (18 streaming passes over K at RADIX_BITS = 2), memory O(BLOCK·(D + Dv)) per program.
* Final pass. Streams the key blocks once more in increasing index, keeps key > T, and key == T
  while a running per-row count of such ties (a prefix sum within the block) is below the
  number needed: ties break toward the lower index exactly as def:topk-attention. It
  accumulates, shifted by the exact row max, the kept and the dropped exponentials separately
  and the output Σ_kept p_j v_j; it writes o = acc / l_kept, τ = l_drop / (l_kept + l_drop)
  (no cancellation, so τ is accurate even when tiny), and both log-sum-exps.

The final pass also counts the kept keys and takes max‖v_j‖² over the visible keys, for the
certificate (kernels/certificate.py). Cost: (32/RADIX_BITS + 1) recomputations of QKᵀ; exact
selection needs all scores, so the floor is one dense attention forward (DESIGN.md, "Kernel
interface"). Causal masking is SDPA's top-left one (query i sees keys j ≤ i); a row that sees
fewer than top_k keys keeps them all.
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
from .certificate import RowNumbers, gamma_of
from .selection import Selection

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
    attn_mask: torch.Tensor | None = None,
    *,
    scale: float,
    is_causal: bool,
    select: Selection,
    interpret: bool = False,
    config: dict | None = None,
):
    """Run the fused kernel on validated inputs; any strides are accepted.

    q (B, Hq, M, D), k (B, Hkv, N, D), v (B, Hkv, N, Dv), attn_mask None or broadcast to
    (B, Hq, M, N) (a view: stride 0 where broadcast); ``select`` the kept set (top-k, threshold or
    mass-target). ``interpret=True`` runs the Triton interpreter on CPU tensors (tests),
    with float16/bfloat16 upcast to float32 (the interpreter's ``tl.dot`` multiplies bfloat16 bit
    patterns); otherwise the tensors must live on a CUDA device. ``config`` (tests and benchmarks)
    overrides entries of :func:`selection_config`; if it has a key "bracketed", that entry receives
    the per-row int32 flags (1: the bracket held the k-th key, 0: radix fallback). Returns what
    :func:`~natsparse.kernels.reference.attention_reference` returns, without the kept mask.

    >>> x = torch.zeros(1, 1, 2, 2, dtype=torch.float64)
    >>> attention_triton(x, x, x, scale=1.0, is_causal=False, select=Selection("top_k", 1))
    Traceback (most recent call last):
    ...
    TypeError: q, k, v must be float16, bfloat16 or float32 for Triton, got torch.float64
    """
    if q.dtype not in _TRITON_DTYPES:
        raise TypeError(f"q, k, v must be float16, bfloat16 or float32 for Triton, got {q.dtype}")
    mod = _kernel_module(interpret)
    out_dtype = q.dtype
    upcast = interpret and q.dtype != torch.float32
    if upcast:
        q, k, v = (t.float() for t in (q, k, v))
        if attn_mask is not None and attn_mask.dtype != torch.bool:
            attn_mask = attn_mask.float()
    B, Hq, M, D = q.shape
    Hkv, N, Dv = k.shape[1], k.shape[2], v.shape[3]
    dev = q.device
    # Upcast in the interpreter: the output is written in float32 and rounded to the input dtype by
    # torch (to nearest), not by the interpreter's own bfloat16 conversion, which is not round-to-nearest
    # (it broke the certificate by up to one bf16 ulp, test_certificate_holds_on_every_row_triton).
    out = buffers.empty((B, Hq, M, Dv), torch.float32 if upcast else out_dtype, dev)
    # τ, lse_all, lse_kept, row max, l_kept, l_drop, max‖v_j‖²; the visible and kept counts
    stats = buffers.empty((7, B, Hq, M), torch.float32, dev)
    counts = buffers.empty((2, B, Hq, M), torch.int64, dev)
    if attn_mask is None:
        mask, mask_kind, mstrides = q, 0, (0, 0, 0, 0)
    else:
        mask = attn_mask.view(torch.uint8) if attn_mask.dtype == torch.bool else attn_mask
        mask_kind, mstrides = (1 if attn_mask.dtype == torch.bool else 2), mask.stride()
    # Small blocks keep the interpreter fast; 64 suits a GPU (tl.dot needs ≥ 16).
    block = 16 if interpret else 64
    grid = (-(-M // block), B * Hq)
    mode = {"top_k": 0, "eps": 1, "max_tail": 2}[select.kind]
    sel = {**selection_config(interpret), **{key: val for key, val in (config or {}).items()
                                             if key != "bracketed"}}
    # Scratch of the bracket select: CAP candidate order keys per row, O(M·CAP), no N×N.
    scratch = torch.empty((B * Hq * M * sel["cap"] if sel["select"] == "bracket" else 1,),
                          dtype=torch.int32, device=dev)
    bracketed = torch.zeros((B, Hq, M), dtype=torch.int32, device=dev)
    mod._sparse_attn_fwd[grid](
        q, k, v, mask, out, stats, counts, scratch, bracketed,
        q.stride(), k.stride(), v.stride(), tuple(mstrides), out.stride(),
        Hq, Hq // Hkv, M, N, D, Dv, float(scale),
        kernel_top_k(select.top_k) if select.kind == "top_k" else 0,
        math.log(select.value) if select.kind == "eps" else 0.0,
        float(select.value) if select.kind == "max_tail" else 0.0, float(sel["skew"]),
        BLOCK_M=block, BLOCK_N=block, BLOCK_D=_pow2(D), BLOCK_DV=_pow2(Dv),
        IS_CAUSAL=is_causal, MODE=mode, MASK_KIND=mask_kind, RADIX_BITS=2,
        PRECISION="ieee" if q.dtype == torch.float32 else "tf32",
        SELECT=int(sel["select"] == "bracket"), SAMPLE_BLOCKS=sel["sample_blocks"], CAP=sel["cap"],
    )
    tau, lse_all, lse_kept, row_max, l_kept, l_drop, vsq = stats
    n_vis, kept = counts
    if config is not None and "bracketed" in config:
        config["bracketed"] = bracketed
    if upcast:
        out = out.to(out_dtype)
    # max‖v_j‖₂ from the float32 sum of squares: raise it past that sum's rounding (γ_{Dv+1}),
    # the square root's, and past squares and partial sums that underflow (≤ 2⁻¹²⁶ each, flushed to
    # zero or not).
    vmax = torch.sqrt(vsq.double() * (1 + gamma_of(Dv + 1, 2.0**-24)) + 2 * (Dv + 1) * 2.0**-126)
    vmax = vmax * (1 + 2.0**-52)
    rows = RowNumbers(row_max=row_max, l_kept=l_kept, l_drop=l_drop, n_vis=n_vis, kept=kept, vmax=vmax)
    return out, tau, lse_all, lse_kept, rows


def selection_config(interpret: bool) -> dict:
    """How top-k selects: "bracket" (sample, one counting pass, resolve; radix for the rows the
    bracket misses) or "radix" (32/RADIX_BITS counting passes), the sample's key blocks, the
    candidate slots per row (a power of two, for tl.sort) and the fault-injection skew (0: none).

    >>> selection_config(interpret=True)["select"]
    'bracket'
    """
    return {"select": "bracket", "sample_blocks": 1 if interpret else 8, "cap": 64 if interpret else 512,
            "skew": 0.0}


def kernel_top_k(top_k: int) -> int:
    """The k the kernel is launched with (a seam for the fault-injection test: a wrong k here must
    end in an error, never in a certificate).

    >>> kernel_top_k(5)
    5
    """
    return top_k
