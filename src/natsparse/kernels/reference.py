"""PyTorch references for sparse attention: the chunked one (the "torch" backend) and the naive one.

``naive_topk_attention`` is the readable ten-line version (materialise all N×N scores,
``torch.topk``, softmax over the kept ones, gather the values): a benchmark baseline and a check
of the chunked ``attention_reference``, which it must match wherever no scores tie.

``attention_reference`` processes queries in chunks of ``c`` rows (c·B·H·N ≈ 4 Mi elements), so
memory is O(c·N + N·(D + Dv)) plus the gathered values O(c·k·Dv), never the N×N score matrix. Per chunk:
scores in float32 (float64 for float64 inputs), the causal and ``attn_mask`` masks (a masked key has
score −inf: never kept, never counted), then the selection:

* top-k: ``torch.topk`` for the k-th largest score and an exact repair of the rows where ties at the
  k-th score make ``torch.topk``'s choice ambiguous (re-selected by a stable descending sort, so ties
  break toward the lower key index exactly as def:topk-attention);
* threshold: keep s_j ≥ min(LSE + log ε, max s), i.e. a_j ≥ ε and never an empty set;
* mass: a stable descending sort of the scores, suffix sums of the sorted weights, and the smallest
  prefix whose computed tail is ≤ max_tail·Σ (def:mass-attention); O(N log N) per row.

The tail mass τ is summed from the discarded terms themselves, so it keeps its relative accuracy
when it is tiny. Grouped-query attention: query head h reads key/value head h // (Hq/Hkv); the
queries of a group are stacked as rows, so K and V are never copied per query head.
"""

from __future__ import annotations

import math

import torch

from . import buffers, validate
from .certificate import RowNumbers, raise_norm, row_norms

# Elements of the per-chunk work buffers (scores, exponentials, gathered values): 4 Mi.
_CHUNK_ELEMENTS = 1 << 22


def _topk_indices(s: torch.Tensor, top_k: int) -> torch.Tensor:
    """Indices of the top_k largest scores per row (ties toward the lower index)."""
    n = s.shape[-1]
    vals, idx = torch.topk(s, min(top_k + 1, n), dim=-1, sorted=True)
    if top_k == n:
        return idx
    # torch.topk's choice among scores equal to the k-th one is arbitrary; it is forced
    # unless the (k+1)-th largest score equals the k-th (then an equal score was left out).
    kth = vals[..., top_k - 1]
    ambiguous = (vals[..., top_k] == kth) & torch.isfinite(kth)
    idx = idx[..., :top_k]
    if bool(ambiguous.any()):
        rows = ambiguous.nonzero(as_tuple=True)
        order = torch.sort(s[rows], dim=-1, descending=True, stable=True).indices
        idx[rows] = order[:, :top_k]
    return idx


def _mass_keep(s: torch.Tensor, p: torch.Tensor, max_tail: float) -> torch.Tensor:
    """Kept mask of mass-target attention: the shortest prefix of the stable descending order whose
    computed tail Σ_{i ≥ k} p_(i) is ≤ max_tail·Σ p (at least one key)."""
    order = torch.sort(s, dim=-1, descending=True, stable=True).indices
    tail = p.gather(-1, order).flip(-1).cumsum(-1).flip(-1)          # tail[i] = Σ_{j ≥ i} p_(j)
    ok = torch.cat([tail[..., 1:], torch.zeros_like(tail[..., :1])], -1) <= max_tail * tail[..., :1]
    need = ok.to(torch.int8).argmax(-1, keepdim=True) + 1             # first k with tail_k ≤ η·L
    pos = torch.arange(s.shape[-1], device=s.device)
    return torch.zeros_like(ok).scatter_(-1, order, pos < need)


def attention_reference(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    attn_mask: torch.Tensor | None = None,
    *,
    scale: float,
    is_causal: bool,
    top_k: int | None = None,
    eps: float | None = None,
    max_tail: float | None = None,
    chunk_size: int | None = None,
    want_keep: bool = False,
    vnorm: torch.Tensor | None = None,
):
    """Sparse attention on validated inputs: top-k (``top_k``), threshold (``eps``) or mass-target
    (``max_tail``), exactly one given.

    q (B, Hq, M, D), k (B, Hkv, N, D), v (B, Hkv, N, Dv) with Hkv dividing Hq; attn_mask None or
    broadcast to (B, Hq, M, N), boolean (True = may attend) or additive float. Causal masking follows
    SDPA's ``is_causal`` (top-left): query i sees keys j ≤ i. Returns the output (B, Hq, M, Dv) in q's
    dtype, τ, both LSEs (float32, float64 for float64 inputs), the kept counts and the
    :class:`~natsparse.kernels.certificate.RowNumbers` of the certificate; with ``want_keep`` also
    the kept mask (B, Hq, M, N) (for autograd). ``vnorm``: upper bounds on ‖v_j‖₂ (B, Hkv, N) if
    the caller has them.
    """
    if sum(x is not None for x in (top_k, eps, max_tail)) != 1:
        raise ValueError("exactly one of top_k, eps and max_tail must be given")
    B, Hq, M, _ = q.shape
    Hkv, N, Dv = k.shape[1], k.shape[2], v.shape[3]
    G = Hq // Hkv
    cdt = torch.float64 if q.dtype == torch.float64 else torch.float32
    dev = q.device
    kt = k.to(cdt).transpose(-1, -2)
    vc = v.to(cdt)
    vnorm = (row_norms(v) if vnorm is None else vnorm)[:, :, None, None, :]  # (B, Hkv, 1, 1, N)
    out = buffers.empty((B, Hq, M, Dv), q.dtype, dev)
    tau, lse_all, lse_kept, row_max, l_kept, l_drop = (
        buffers.empty((B, Hq, M), cdt, dev) for _ in range(6))
    kept, n_vis = (buffers.empty((B, Hq, M), torch.int64, dev) for _ in range(2))
    vmax = buffers.empty((B, Hq, M), vnorm.dtype, dev)
    keep_all = torch.zeros((B, Hq, M, N), dtype=torch.bool, device=dev) if want_keep else None
    grouped = lambda t: t.reshape(B, Hkv, G, *t.shape[2:])            # noqa: E731 (views)
    qg = grouped(q)
    mask_g = grouped(attn_mask) if attn_mask is not None else None
    outs = (grouped(t) for t in (out, tau, lse_all, lse_kept, row_max, l_kept, l_drop, kept, n_vis, vmax))
    o_g, tau_g, la_g, lk_g, m_g, lkept_g, ldrop_g, kept_g, nvis_g, vmax_g = outs
    width = max(N, (top_k or 0) * Dv)
    chunk = chunk_size or max(1, _CHUNK_ELEMENTS // (B * Hq * width))
    cols = torch.arange(N, device=dev) if is_causal else None
    for start in range(0, M, chunk):
        stop = min(M, start + chunk)
        c = stop - start
        qc = (qg[:, :, :, start:stop].to(cdt) * scale).reshape(B, Hkv, G * c, -1)
        s = torch.matmul(qc, kt).view(B, Hkv, G, c, N)
        if is_causal:
            s.masked_fill_(cols > torch.arange(start, stop, device=dev)[:, None], -math.inf)
        if mask_g is not None:
            mc = mask_g[:, :, :, start:stop]
            if mc.dtype == torch.bool:
                s.masked_fill_(~mc, -math.inf)
            else:
                s.add_(mc.to(cdt))
        vis = s > -math.inf
        m = s.amax(dim=-1)
        shift = torch.where(torch.isfinite(m), m, torch.zeros_like(m)).unsqueeze(-1)
        if top_k is not None:
            idx = _topk_indices(s, top_k)
            p = s.sub_(shift).exp_()                                   # s is not needed any more
            p_kept = p.gather(-1, idx)
            kept_vis = vis.gather(-1, idx)
            lk = p_kept.sum(dim=-1)
            ld = p.scatter_(-1, idx, 0.0).sum(dim=-1)
            v_kept = vc.gather(2, idx.reshape(B, Hkv, G * c * top_k, 1).expand(-1, -1, -1, Dv))
            acc = torch.einsum("bhgck,bhgckd->bhgcd", p_kept, v_kept.reshape(B, Hkv, G, c, top_k, Dv))
            n_kept = kept_vis.sum(-1)
            if keep_all is not None:
                kg = torch.zeros_like(vis).scatter_(-1, idx, kept_vis)
        else:
            p = torch.exp(s - shift)
            if eps is not None:
                thr = torch.minimum(m + torch.log(p.sum(-1)) + math.log(eps), m)
                keep = (s >= thr.unsqueeze(-1)) & vis
            else:
                keep = _mass_keep(s, p, max_tail) & vis
            p_kept = p * keep
            lk = p_kept.sum(dim=-1)
            ld = (p - p_kept).sum(dim=-1)
            acc = torch.matmul(p_kept.view(B, Hkv, G * c, N), vc).view(B, Hkv, G, c, Dv)
            n_kept = keep.sum(-1)
            kg = keep
        if keep_all is not None:
            grouped(keep_all)[:, :, :, start:stop] = kg
        l_all = lk + ld
        safe = lk > 0
        o_g[:, :, :, start:stop] = torch.where(safe.unsqueeze(-1), acc / lk.unsqueeze(-1), 0.0).to(q.dtype)
        tau_g[:, :, :, start:stop] = torch.where(l_all > 0, ld / l_all, 0.0)
        la_g[:, :, :, start:stop] = m + torch.log(l_all)
        lk_g[:, :, :, start:stop] = m + torch.log(lk)
        m_g[:, :, :, start:stop] = m
        lkept_g[:, :, :, start:stop] = lk
        ldrop_g[:, :, :, start:stop] = ld
        kept_g[:, :, :, start:stop] = n_kept
        nvis_g[:, :, :, start:stop] = vis.sum(-1)
        if mask_g is None and not is_causal:
            vm = vnorm.amax(-1).expand(B, Hkv, G, c)
        elif mask_g is None:                                           # causal only: a running max
            last = torch.arange(start, stop, device=dev).clamp(max=N - 1)
            vm = vnorm[:, :, 0, 0].cummax(-1).values[..., last].unsqueeze(2).expand(B, Hkv, G, c)
        else:
            vm = torch.where(vis, vnorm, 0.0).amax(-1)
        vmax_g[:, :, :, start:stop] = vm
    rows = RowNumbers(row_max=row_max, l_kept=l_kept, l_drop=l_drop, n_vis=n_vis, kept=kept,
                      vmax=raise_norm(vmax, Dv))
    return out, tau, lse_all, lse_kept, rows, keep_all


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
    validate.check_qkv(q, k, v, enable_gqa=False)
    B, H, M, D = q.shape
    N, Dv = k.shape[2], v.shape[3]
    top_k = validate.check_top_k(top_k, N)
    scale = validate.check_scale(scale, D)
    s = torch.matmul(q, k.transpose(-1, -2)) * scale
    vals, idx = torch.topk(s, top_k, dim=-1)
    w = torch.softmax(vals, dim=-1)
    kept = v.gather(2, idx.reshape(B, H, M * top_k, 1).expand(-1, -1, -1, Dv))
    return torch.matmul(w.unsqueeze(-2), kept.reshape(B, H, M, top_k, Dv)).squeeze(-2)
