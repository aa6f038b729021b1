"""PyTorch references for sparse attention: the chunked one (the "torch" backend) and the naive one.

``naive_topk_attention`` is the readable ten-line version (materialise all N×N scores,
``torch.topk``, softmax over the kept ones, gather the values): a benchmark baseline and a check
of the chunked ``attention_reference``, which it must match wherever no scores tie.

``attention_reference`` processes queries in chunks of ``c`` rows (c·B·H·N ≈ 8 Mi elements, so a
decode step of a few query rows reads K once), so memory is O(c·N + N·(D + Dv)) plus the gathered
values O(c·k·Dv), never the N×N score matrix. Scores are float32 (float64 for float64 inputs); the
causal and ``attn_mask`` masks give a masked key the score −inf (never kept, never counted). The
selection (:class:`~natsparse.kernels.selection.Selection`):

* top-k, in three phases. *scores*: QKᵀ in key blocks small enough to stay in cache (c·B·H·w ≈
  128 Ki elements, or 8 Ki keys), with the row max and the maxima of groups of keys (key j in group
  j mod g, g ≈ √(2kN)). *select*: the 2k groups of largest maxima hold every score above t, the least of their
  maxima (any other group's maximum is ≤ t); ``torch.topk`` over their 2k·N/g keys gives the top k
  with ties toward the lower key index (def:topk-attention), unless the k-th score equals t (a tie
  that may reach outside: those rows take a stable sort over all keys). *weigh*: the kept scores are
  set apart and p = exp(s − m) summed block by block over the dropped keys. Two ``torch.topk`` of
  about √(2kN) keys per row instead of one of N;
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
import torch.nn.functional as F

from . import buffers, validate
from .certificate import RowNumbers, raise_norm
from .selection import Selection

# Elements of the per-chunk score buffer: 8 Mi (32 MiB in float32).
_CHUNK_ELEMENTS = 1 << 23
# Elements of one key block of the top-k passes: 128 Ki, which stays in a 1 MiB cache with its temporaries,
# but at least 8 Ki keys (narrower blocks cost more in matmul calls than the cache saves; measured).
_BLOCK_ELEMENTS = 1 << 17
_BLOCK_KEYS = 1 << 13


def _mass_keep(s: torch.Tensor, p: torch.Tensor, max_tail: float) -> torch.Tensor:
    """Kept mask of mass-target attention: the shortest prefix of the stable descending order whose
    computed tail Σ_{i ≥ k} p_(i) is ≤ max_tail·Σ p (at least one key)."""
    order = torch.sort(s, dim=-1, descending=True, stable=True).indices
    tail = p.gather(-1, order).flip(-1).cumsum(-1).flip(-1)          # tail[i] = Σ_{j ≥ i} p_(j)
    ok = torch.cat([tail[..., 1:], torch.zeros_like(tail[..., :1])], -1) <= max_tail * tail[..., :1]
    need = ok.to(torch.int8).argmax(-1, keepdim=True) + 1             # first k with tail_k ≤ η·L
    pos = torch.arange(s.shape[-1], device=s.device)
    return torch.zeros_like(ok).scatter_(-1, order, pos < need)


def _stable_top(s: torch.Tensor, top_k: int) -> torch.Tensor:
    """Indices of the top_k largest scores of each row by a stable descending sort: exact, ties toward
    the lower index, O(N log N) per row (for the few rows whose ties make the fast paths ambiguous)."""
    return torch.sort(s, dim=-1, descending=True, stable=True).indices[..., :top_k]


def _topk_indices(s: torch.Tensor, top_k: int) -> torch.Tensor:
    """Indices of the top_k largest scores per row (ties toward the lower index)."""
    n = s.shape[-1]
    if top_k >= n:  # every key kept: no selection (a full sort per row was most of a decode step's cost)
        return torch.arange(n, device=s.device).expand(*s.shape[:-1], n)
    vals, idx = torch.topk(s, top_k + 1, dim=-1, sorted=True)
    # torch.topk's choice among scores equal to the k-th one is arbitrary; it is forced
    # unless the (k+1)-th largest score equals the k-th (then an equal score was left out).
    kth = vals[..., top_k - 1]
    ambiguous = (vals[..., top_k] == kth) & torch.isfinite(kth)
    idx = idx[..., :top_k]
    if bool(ambiguous.any()):
        rows = ambiguous.nonzero(as_tuple=True)
        idx[rows] = _stable_top(s[rows], top_k)
    return idx


def _groups(n: int, top_k: int) -> tuple[int, int]:
    """(layers, groups) of the top-k selection: key j belongs to group j mod groups, so a group holds
    one key of each layer of ``groups`` consecutive keys (the last layer padded with −inf). Layers: a
    power of two near √(n/2k), so that the two ``torch.topk`` calls (over the group maxima, then over
    the 2k·layers keys of the chosen groups) are both about √(2kn) wide; (1, n) (one ``torch.topk``
    over all keys) where fewer than 8k groups would remain."""
    sub = 1 << int(math.log2(math.sqrt(n / (2 * top_k))) + 0.5) if n >= 2 * top_k else 1
    if sub < 4 or n // sub < 8 * top_k:
        return 1, n
    return sub, -(-n // sub)


class _Chunk:
    """The query rows [start, stop) of every (batch, key/value head), stacked G·c rows per head, and
    the masks that apply to them: ``scores(out, a)`` writes their masked scores against keys
    [a, a + out.shape[-1]) into ``out``."""

    def __init__(self, qg, kt, mask_g, is_causal, start, stop, scale, cdt):
        B, Hkv, G = qg.shape[:3]
        self.shape = (B, Hkv, G, stop - start)
        self.qc = (qg[:, :, :, start:stop].to(cdt) * scale).reshape(B, Hkv, G * (stop - start), -1)
        self.kt, self.mask, self.start, self.stop = kt, mask_g, start, stop
        self.rows = torch.arange(start, stop, device=qg.device) if is_causal else None
        self.masked = is_causal or mask_g is not None

    def scores(self, out: torch.Tensor, a: int) -> torch.Tensor:
        """``out`` (B, Hkv, G·c, w) ← the scores against keys [a, a + w), −inf where masked."""
        b = a + out.shape[-1]
        torch.matmul(self.qc, self.kt[..., a:b], out=out)
        s = out.unflatten(2, self.shape[2:])
        if self.rows is not None:
            s.masked_fill_(torch.arange(a, b, device=s.device) > self.rows[:, None], -math.inf)
        if self.mask is not None:
            mc = self.mask[:, :, :, self.start:self.stop, a:b]
            if mc.dtype == torch.bool:
                s.masked_fill_(~mc, -math.inf)
            else:
                s.add_(mc.to(s.dtype))
        return out


def _scores_pass(chunk: _Chunk, s: torch.Tensor, n: int, groups: int, vnorm):
    """Top-k phase *scores*, in key blocks of whole layers that stay in cache: ``s`` (rows, n_pad) ←
    the scores (its padding past n is −inf already); the group maxima (None with one layer, i.e. no
    groups), the visible counts (without masks only the row minima, to find −inf scores) and, with
    ``vnorm`` (per key, masked calls), max‖v_j‖ over the visible keys."""
    rows = s.shape[:-1]
    width = max(groups, max(_BLOCK_KEYS, _BLOCK_ELEMENTS // math.prod(rows)) // groups * groups)
    layered = s.shape[-1] > groups
    group_max = None
    n_vis = torch.zeros(rows, dtype=torch.int64, device=s.device) if chunk.masked else None
    low = None if chunk.masked else torch.full(rows, math.inf, dtype=s.dtype, device=s.device)
    vmax = torch.zeros(rows, dtype=vnorm.dtype, device=s.device) if vnorm is not None else None
    for a in range(0, n, width):
        x = chunk.scores(s[..., a:min(n, a + width)], a)
        if layered:       # a vertical max over the block's layers: contiguous, vectorised
            part = s[..., a:min(s.shape[-1], a + width)].unflatten(-1, (-1, groups)).amax(-2)
            group_max = part if group_max is None else torch.maximum(group_max, part)
        if low is not None:
            low = torch.minimum(low, x.amin(-1))
        else:
            vis = x > -math.inf
            n_vis += vis.sum(-1)
            if vmax is not None:
                vmax = torch.maximum(vmax, torch.where(vis, vnorm[..., a:a + x.shape[-1]], 0.0).amax(-1))
    if low is not None:   # no masks: every key is visible unless a score came out −inf (or NaN)
        n_vis = torch.full(rows, n, dtype=torch.int64, device=s.device)
        if bool((low == -math.inf).any()):
            n_vis = (s[..., :n] > -math.inf).sum(-1)
    return group_max, n_vis, vmax, width


def _select(s: torch.Tensor, group_max: torch.Tensor | None, top_k: int) -> torch.Tensor:
    """Top-k phase *select*: the indices (rows, top_k) of each row's top_k scores, ties toward the lower
    key index (def:topk-attention). With groups: the 2k groups of largest maxima hold every score above
    t, the least of their maxima (any other group's maximum is ≤ t); their keys, gathered layer by
    layer in increasing key index, give the exact top k of the row unless its k-th score equals t
    (then an equal score may lie outside: those rows, ties only, are selected over all their keys)."""
    if group_max is None:
        return _topk_indices(s, top_k)
    groups = group_max.shape[-1]
    maxima, chosen = torch.topk(group_max, 2 * top_k, dim=-1, sorted=False)
    t = maxima.amin(-1)
    chosen = chosen.sort(-1).values
    layers = s.unflatten(-1, (-1, groups))
    held = layers.gather(-1, chosen.unsqueeze(-2).expand(*chosen.shape[:-1], layers.shape[-2], 2 * top_k))
    held = held.flatten(-2)                       # key (layer i, group g) is i·groups + g: increasing
    pick = _topk_indices(held, top_k)
    kth = held.gather(-1, pick).amin(-1)
    idx = (pick // (2 * top_k)) * groups + chosen.gather(-1, pick % (2 * top_k))
    tied = (kth == t) & (kth > -math.inf)
    if bool(tied.any()):
        rows = tied.nonzero(as_tuple=True)
        idx[rows] = _stable_top(s[rows], top_k)
    return idx


def _value_rows(vc: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """vc (B, Hkv, N, Dv) as one table of rows (a view of its storage where its strides allow, so a
    cache's K/V views are not copied) and the table row of key 0 of each (batch, head), (B, Hkv, 1, 1)."""
    B, Hkv, N, Dv = vc.shape
    s0, s1, s2, s3 = vc.stride()
    if not (s3 == 1 or Dv == 1) or s2 < Dv or s0 % s2 or s1 % s2:
        vc = vc.contiguous()
        s0, s1, s2 = vc.stride()[:3]
    rows = ((B - 1) * s0 + (Hkv - 1) * s1) // s2 + N
    first = torch.tensor([[b * s0 // s2 + h * s1 // s2 for h in range(Hkv)] for b in range(B)],
                         device=vc.device).view(B, Hkv, 1, 1)
    return vc.as_strided((rows, Dv), (s2, 1)), first


def _weighted_rows(vc: torch.Tensor, idx: torch.Tensor, p: torch.Tensor, vis: torch.Tensor) -> torch.Tensor:
    """Σ_j p_j v_j over each row's kept keys idx (B, Hkv, R, k) whose ``vis`` is set, (B·Hkv·R, Dv): one
    fused gather and weighted sum (``embedding_bag``), without the (R, k, Dv) gathered values."""
    table, first = _value_rows(vc)
    rows = (idx + first).reshape(-1, idx.shape[-1])
    if bool(vis.all()):
        return F.embedding_bag(rows, table, per_sample_weights=p.reshape(rows.shape), mode="sum")
    # rows with fewer visible keys than top_k: only their visible slots enter the sum
    vis = vis.reshape(rows.shape)
    count = vis.sum(-1)
    return F.embedding_bag(rows[vis], table, offsets=count.cumsum(0) - count,
                           per_sample_weights=p.reshape(rows.shape)[vis], mode="sum")


def _topk_chunk(chunk: _Chunk, vc: torch.Tensor, n: int, top_k: int, want_keep: bool, vnorm):
    """Top-k over the chunk's rows: the phases scores, select and weigh (module docstring), then the
    kept weights times their gathered values. Returns the row max, l_kept, l_drop, the visible and
    kept counts, Σ_kept p_j v_j, max‖v_j‖ over the visible keys (only with ``vnorm``, the per-key norms
    of a masked call) and the kept mask (with ``want_keep``), shaped like the chunk's rows."""
    B, Hkv, G, c = chunk.shape
    layers, groups = _groups(n, top_k)
    s = chunk.qc.new_empty((B, Hkv, G * c, layers * groups))
    s[..., n:] = -math.inf                                         # padding of the last layer
    group_max, n_vis, vmax, width = _scores_pass(chunk, s, n, groups, vnorm)
    m = (group_max if group_max is not None else s).amax(-1)
    idx = _select(s, group_max, top_k)
    # Phase weigh: the kept scores apart, then −inf in their place, so that the block sums of
    # p = exp(s − m) below are of the dropped keys alone (τ from its own terms, no cancellation).
    shift = m.nan_to_num(0.0, 0.0, 0.0).unsqueeze(-1)                # the max, 0 where not finite
    s_kept = s.gather(-1, idx)
    s.scatter_(-1, idx, -math.inf)
    l_drop = torch.zeros_like(m)
    for a in range(0, n, width):
        l_drop += s[..., a:min(n, a + width)].sub_(shift).exp_().sum(-1)
    p_kept = (s_kept - shift).exp_()
    vis = s_kept > -math.inf
    acc = _weighted_rows(vc, idx, p_kept, vis).view(*chunk.shape, -1)
    keep_mask = None
    if want_keep:
        keep_mask = torch.zeros_like(s, dtype=torch.bool).scatter_(-1, idx, vis)[..., :n]
    m, l_kept, l_drop, n_vis, kept = (t.view(chunk.shape) for t in (m, p_kept.sum(-1), l_drop, n_vis,
                                                                      vis.sum(-1)))
    vmax = None if vmax is None else vmax.view(chunk.shape)
    keep_mask = None if keep_mask is None else keep_mask.unflatten(2, (G, c))
    return m, l_kept, l_drop, n_vis, kept, acc, vmax, keep_mask


def _dense_chunk(chunk: _Chunk, vc: torch.Tensor, n: int, select: Selection, vnorm):
    """Threshold or mass selection over the chunk's whole rows (scores of all keys at once); returns
    what :func:`_topk_chunk` returns, the kept mask always."""
    B, Hkv, G, c = chunk.shape
    s = chunk.scores(chunk.qc.new_empty((B, Hkv, G * c, n)), 0).view(B, Hkv, G, c, n)
    vis = s > -math.inf
    m = s.amax(dim=-1)
    p = torch.exp(s - m.nan_to_num(0.0, 0.0, 0.0).unsqueeze(-1))
    if select.kind == "eps":
        thr = torch.minimum(m + torch.log(p.sum(-1)) + math.log(select.value), m)
        keep = (s >= thr.unsqueeze(-1)) & vis
    else:
        keep = _mass_keep(s, p, select.value) & vis
    p_kept = p * keep
    acc = torch.matmul(p_kept.view(B, Hkv, G * c, n), vc).view(B, Hkv, G, c, -1)
    vmax = torch.where(vis, vnorm, 0.0).amax(-1) if vnorm is not None else None
    return (m, p_kept.sum(dim=-1), (p - p_kept).sum(dim=-1), vis.sum(-1), keep.sum(-1), acc, vmax, keep)


def attention_reference(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    attn_mask: torch.Tensor | None = None,
    *,
    scale: float,
    is_causal: bool,
    select: Selection,
    vnorm: torch.Tensor,
    vmax: torch.Tensor | None = None,
    chunk_size: int | None = None,
    want_keep: bool = False,
):
    """Sparse attention on validated inputs with the kept set of ``select`` (top-k, threshold or
    mass-target).

    q (B, Hq, M, D), k (B, Hkv, N, D), v (B, Hkv, N, Dv) with Hkv dividing Hq; attn_mask None or
    broadcast to (B, Hq, M, N), boolean (True = may attend) or additive float. Causal masking follows
    SDPA's ``is_causal`` (top-left): query i sees keys j ≤ i. ``vnorm`` (B, Hkv, N): the row norms of
    v (``certificate.row_norms``); ``vmax`` (B, Hkv): their maxima, if the caller has them. Returns the
    output (B, Hq, M, Dv) in q's dtype, τ, both LSEs (float32, float64 for float64 inputs), the
    :class:`~natsparse.kernels.certificate.RowNumbers` of the certificate and, with ``want_keep``, the
    kept mask (B, Hq, M, N) (for autograd; else None).
    """
    B, Hq, M, _ = q.shape
    Hkv, N, Dv = k.shape[1], k.shape[2], v.shape[3]
    G = Hq // Hkv
    cdt = torch.float64 if q.dtype == torch.float64 else torch.float32
    dev = q.device
    kt = k.to(cdt).transpose(-1, -2)
    vc = v.to(cdt)
    out = buffers.empty((B, Hq, M, Dv), q.dtype, dev)
    floats = buffers.empty((6, B, Hq, M), cdt, dev)       # τ, both LSEs, row max, l_kept, l_drop
    ints = buffers.empty((2, B, Hq, M), torch.int64, dev)  # kept and visible counts
    vmax_rows = buffers.empty((B, Hq, M), vnorm.dtype, dev)
    keep_all = torch.zeros((B, Hq, M, N), dtype=torch.bool, device=dev) if want_keep else None
    qg = q.reshape(B, Hkv, G, M, -1)
    mask_g = attn_mask.reshape(B, Hkv, G, M, N) if attn_mask is not None else None
    o_g, vmax_g = out.view(B, Hkv, G, M, Dv), vmax_rows.view(B, Hkv, G, M)
    floats_g, ints_g = floats.view(6, B, Hkv, G, M), ints.view(2, B, Hkv, G, M)
    top_k = select.top_k
    width = max(N, (top_k or 0) * Dv)
    chunk = chunk_size or max(1, _CHUNK_ELEMENTS // (B * Hq * width))
    # max‖v_j‖ over the visible keys: of all keys without masks, a running max under causal masking
    # alone, else per row among the visible keys (the chunk functions take it with the scores).
    masked = mask_g is not None
    if not masked and not is_causal:
        vm_all = (vnorm.amax(-1) if vmax is None else vmax)[:, :, None, None]
    elif not masked:
        vm_run = vnorm.cummax(-1).values
    for start in range(0, M, chunk):
        stop = min(M, start + chunk)
        c = stop - start
        part = _Chunk(qg, kt, mask_g, is_causal, start, stop, scale, cdt)
        if top_k is not None:
            vn = vnorm[:, :, None, :] if masked else None
            m, lk, ld, nv, nk, acc, vm, kg = _topk_chunk(part, vc, N, top_k, want_keep, vn)
        else:
            vn = vnorm[:, :, None, None, :] if masked else None
            m, lk, ld, nv, nk, acc, vm, kg = _dense_chunk(part, vc, N, select, vn)
        if not masked and not is_causal:
            vm = vm_all.expand(B, Hkv, G, c)
        elif not masked:
            vm = vm_run[..., torch.arange(start, stop, device=dev).clamp(max=N - 1)].unsqueeze(2).expand(
                B, Hkv, G, c)
        if keep_all is not None:
            keep_all.view(B, Hkv, G, M, N)[:, :, :, start:stop] = kg
        rows = slice(start, stop)
        l_all = lk + ld
        o_g[:, :, :, rows] = torch.where(lk.unsqueeze(-1) > 0, acc / lk.unsqueeze(-1), 0.0).to(q.dtype)
        tau = torch.where(l_all > 0, ld / l_all, 0.0)
        floats_g[..., rows] = torch.stack((tau, m + torch.log(l_all), m + torch.log(lk), m, lk, ld))
        ints_g[..., rows] = torch.stack((nk, nv))
        vmax_g[:, :, :, rows] = vm
    tau, lse_all, lse_kept, row_max, l_kept, l_drop = floats
    kept, n_vis = ints
    numbers = RowNumbers(row_max=row_max, l_kept=l_kept, l_drop=l_drop, n_vis=n_vis, kept=kept,
                         vmax=raise_norm(vmax_rows, Dv))
    return out, tau, lse_all, lse_kept, numbers, keep_all


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
