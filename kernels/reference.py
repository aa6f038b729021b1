"""PyTorch references for top-k attention: the chunked one (also the CPU fast path) and the naive one.

``naive_topk_attention`` is the readable ten-line version (materialise all N×N scores,
``torch.topk``, softmax over the kept ones, gather the values): a benchmark baseline and a check
of the chunked ``attention_reference``, which it must match wherever no scores tie.

``attention_reference`` processes queries in chunks of ``c`` rows (c·B·H·N ≈ 4 Mi elements), so
memory is O(c·N + N·(D + Dv)) plus the gathered values O(c·k·Dv), never the N×N score matrix. Per chunk:
scores in float32 (float64 for float64 inputs), ``torch.topk`` for the k-th largest score (and
the row max), and an exact repair of the rows where ties at the k-th score make
``torch.topk``'s choice ambiguous: those rows are re-selected by a stable descending sort, so
ties break toward the lower key index exactly as def:topk-attention. The tail mass τ is summed
from the discarded terms themselves, so it keeps its relative accuracy when it is tiny.
"""

from __future__ import annotations

import math

import torch

from . import buffers, validate
from .stats import AttentionStats

# Elements of the per-chunk work buffers (scores, exponentials, gathered values): 4 Mi.
_CHUNK_ELEMENTS = 1 << 22


def _topk_indices(s: torch.Tensor, top_k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices of the top_k largest scores per row (ties toward the lower index), row max."""
    n = s.shape[-1]
    vals, idx = torch.topk(s, min(top_k + 1, n), dim=-1, sorted=True)
    row_max = vals[..., :1]
    if top_k == n:
        return idx, row_max
    # torch.topk's choice among scores equal to the k-th one is arbitrary; it is forced
    # unless the (k+1)-th largest score equals the k-th (then an equal score was left out).
    kth = vals[..., top_k - 1]
    ambiguous = (vals[..., top_k] == kth) & torch.isfinite(kth)
    idx = idx[..., :top_k]
    if bool(ambiguous.any()):
        rows = ambiguous.nonzero(as_tuple=True)
        order = torch.sort(s[rows], dim=-1, descending=True, stable=True).indices
        idx[rows] = order[:, :top_k]
    return idx, row_max


def attention_reference(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    *,
    scale: float,
    is_causal: bool,
    top_k: int | None = None,
    eps: float | None = None,
    chunk_size: int | None = None,
) -> tuple[torch.Tensor, AttentionStats]:
    """Top-k (``top_k`` given) or threshold (``eps`` given) attention on validated inputs.

    Returns the output (B, H, M, Dv) in q's dtype and the :class:`AttentionStats`.
    Causal masking follows SDPA's ``is_causal`` (top-left): query i sees keys j ≤ i.
    A row that sees fewer than top_k keys keeps all of them (τ = 0). The threshold variant
    keeps {j : s_j ≥ min(LSE + log ε, max_j s_j)}, i.e. a_j ≥ ε, and always the maximal
    scores, so the kept set is never empty.
    """
    if (top_k is None) == (eps is None):
        raise ValueError("exactly one of top_k and eps must be given")
    B, H, M, _ = q.shape
    N, Dv = k.shape[2], v.shape[3]
    cdt = torch.float64 if q.dtype == torch.float64 else torch.float32
    kt = k.to(cdt).transpose(-1, -2)
    vc = v.to(cdt)
    out = buffers.empty((B, H, M, Dv), q.dtype, q.device)
    tau, lse_all, lse_kept = (buffers.empty((B, H, M), cdt, q.device) for _ in range(3))
    width = max(N, (top_k or 0) * Dv)
    chunk = chunk_size or max(1, _CHUNK_ELEMENTS // (B * H * width))
    cols = torch.arange(N, device=q.device)
    for start in range(0, M, chunk):
        stop = min(M, start + chunk)
        s = torch.matmul(q[:, :, start:stop].to(cdt) * scale, kt)
        if is_causal:
            rows = torch.arange(start, stop, device=q.device)[:, None]
            s.masked_fill_(cols[None, :] > rows, -math.inf)
        if top_k is not None:
            idx, m = _topk_indices(s, top_k)  # m finite: key 0 is always visible
            p = s.sub_(m).exp_()  # s is not needed any more
            p_kept = p.gather(-1, idx)
            l_kept = p_kept.sum(dim=-1)
            l_drop = p.scatter_(-1, idx, 0.0).sum(dim=-1)
            l_all = l_kept + l_drop
            c = stop - start
            v_kept = vc.gather(2, idx.reshape(B, H, c * top_k, 1).expand(-1, -1, -1, Dv))
            acc = torch.einsum("bhck,bhckd->bhcd", p_kept, v_kept.reshape(B, H, c, top_k, Dv))
        else:
            m = s.amax(dim=-1, keepdim=True)
            p = torch.exp(s - m)
            l_all = p.sum(dim=-1)
            thr = torch.minimum(m.squeeze(-1) + torch.log(l_all) + math.log(eps), m.squeeze(-1))
            kept = s >= thr.unsqueeze(-1)
            p_kept = p * kept
            l_kept = p_kept.sum(dim=-1)
            l_drop = (p - p_kept).sum(dim=-1)
            acc = torch.matmul(p_kept, vc)
        out[:, :, start:stop] = (acc / l_kept.unsqueeze(-1)).to(q.dtype)
        tau[:, :, start:stop] = l_drop / l_all
        lse_all[:, :, start:stop] = m.squeeze(-1) + torch.log(l_all)
        lse_kept[:, :, start:stop] = m.squeeze(-1) + torch.log(l_kept)
    return out, AttentionStats(tau, lse_all, lse_kept)


def naive_topk_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, top_k: int, scale: float | None = None
) -> torch.Tensor:
    """Top-k attention the readable way: all scores, ``torch.topk``, softmax, gather.

    q (B, H, M, D), k (B, H, N, D), v (B, H, N, Dv); ``scale`` defaults to 1/√D. Returns the output
    (B, H, M, Dv). Memory O(M·N) (the whole score matrix) and no certificate; no causal mask; and
    ``torch.topk`` picks among tied scores arbitrarily, so it follows def:topk-attention only where
    no score ties the k-th largest one.

    >>> q = torch.tensor([[[[1.0, 0.0]]]])                             # one query, D = 2
    >>> keys = torch.tensor([[[[4.0, 0.0], [2.0, 0.0], [0.0, 0.0]]]])   # scores 4, 2, 0 at scale 1
    >>> vals = torch.tensor([[[[1.0], [3.0], [100.0]]]])
    >>> round(naive_topk_attention(q, keys, vals, top_k=2, scale=1.0).item(), 6)  # (e^4 + 3e^2)/(e^4 + e^2)
    1.238406
    """
    B, H, M, N, D, Dv = validate.check_qkv(q, k, v)
    top_k = validate.check_top_k(top_k, N)
    scale = validate.check_scale(scale, D)
    s = torch.matmul(q, k.transpose(-1, -2)) * scale
    vals, idx = torch.topk(s, top_k, dim=-1)
    w = torch.softmax(vals, dim=-1)
    kept = v.gather(2, idx.reshape(B, H, M * top_k, 1).expand(-1, -1, -1, Dv))
    return torch.matmul(w.unsqueeze(-2), kept.reshape(B, H, M, top_k, Dv)).squeeze(-2)
