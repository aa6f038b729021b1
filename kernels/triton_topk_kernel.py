"""Triton source of the fused top-k / threshold / mass attention kernel (design: triton_topk.py).

Imported only by :mod:`natsparse.kernels.triton_topk`, after it has fixed the Triton mode.
"""

import triton
import triton.language as tl

TOPK = tl.constexpr(0)
THRESHOLD = tl.constexpr(1)
MASS = tl.constexpr(2)
NO_MASK = tl.constexpr(0)
BOOL_MASK = tl.constexpr(1)


@triton.jit
def _scores(q, k_base, mask_base, start_n, offs_m, M, N, D, stride_kn, stride_kd, stride_mm, stride_mn,
            scale, BLOCK_N: tl.constexpr, BLOCK_D: tl.constexpr, IS_CAUSAL: tl.constexpr,
            MASK_KIND: tl.constexpr, PRECISION: tl.constexpr):
    """Scores of one key block (float32, -inf where invisible) and the visibility mask."""
    offs_n = start_n + tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, BLOCK_D)
    kt = tl.load(k_base + offs_n[None, :] * stride_kn + offs_d[:, None] * stride_kd,
                 mask=(offs_n[None, :] < N) & (offs_d[:, None] < D), other=0.0)
    s = tl.dot(q, kt, input_precision=PRECISION) * scale
    vis = (offs_n[None, :] < N) & (offs_m[:, None] < M)
    if IS_CAUSAL:
        vis = vis & (offs_n[None, :] <= offs_m[:, None])
    if MASK_KIND != NO_MASK:
        mk = tl.load(mask_base + offs_m[:, None] * stride_mm + offs_n[None, :] * stride_mn,
                     mask=vis, other=0)
        if MASK_KIND == BOOL_MASK:
            vis = vis & (mk != 0)
        else:
            s = s + mk
    s = tl.where(vis, s, float("-inf"))
    vis = vis & (s > float("-inf"))
    return s, vis, offs_n


@triton.jit
def _order_key(s):
    """Order-preserving map float32 → uint32 (-0.0 is first mapped to +0.0)."""
    s = tl.where(s == 0.0, 0.0, s)
    u = s.to(tl.uint32, bitcast=True)
    return tl.where((u >> 31) == 1, ~u, u | 0x80000000)


@triton.jit
def _from_order_key(key):
    """The float32 whose order key is `key` (inverse of _order_key)."""
    u = tl.where((key >> 31) == 1, key & 0x7FFFFFFF, ~key)
    return u.to(tl.float32, bitcast=True)


@triton.jit
def _sparse_attn_fwd(
    Q, K, V, Mask, Out, Tau, LseAll, LseKept, RowMax, LKept, LDrop, NVis, Kept, VSq,
    stride_qb, stride_qh, stride_qm, stride_qd,
    stride_kb, stride_kh, stride_kn, stride_kd,
    stride_vb, stride_vh, stride_vn, stride_vd,
    stride_mb, stride_mh, stride_mm, stride_mn,
    stride_ob, stride_oh, stride_om, stride_od,
    H, GROUP, M, N, D, DV, scale, top_k, log_eps, max_tail,
    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_D: tl.constexpr,
    BLOCK_DV: tl.constexpr, IS_CAUSAL: tl.constexpr, MODE: tl.constexpr, MASK_KIND: tl.constexpr,
    RADIX_BITS: tl.constexpr, PRECISION: tl.constexpr,
):
    pid_m = tl.program_id(0)
    pid_bh = tl.program_id(1)
    b = pid_bh // H
    h = pid_bh % H
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_d = tl.arange(0, BLOCK_D)
    q = tl.load(Q + b * stride_qb + h * stride_qh + offs_m[:, None] * stride_qm
                + offs_d[None, :] * stride_qd,
                mask=(offs_m[:, None] < M) & (offs_d[None, :] < D), other=0.0)
    # Grouped-query attention: query head h reads key/value head h // GROUP (no copy of K, V).
    k_base = K + b * stride_kb + (h // GROUP) * stride_kh
    v_base = V + b * stride_vb + (h // GROUP) * stride_vh
    mask_base = Mask + b * stride_mb + h * stride_mh
    # Keys past the block's last query are invisible to all its rows under causal masking.
    n_end = N
    if IS_CAUSAL:
        n_end = tl.minimum(N, (pid_m + 1) * BLOCK_M)

    m_i = tl.full([BLOCK_M], float("-inf"), tl.float32)
    n_vis = tl.zeros([BLOCK_M], tl.int32)
    if MODE != TOPK:
        # One online pass for the row max, the dense sum and the visible count.
        l_i = tl.zeros([BLOCK_M], tl.float32)
        for start_n in range(0, n_end, BLOCK_N):
            s, vis, offs_n = _scores(q, k_base, mask_base, start_n, offs_m, M, N, D, stride_kn,
                                     stride_kd, stride_mm, stride_mn, scale, BLOCK_N, BLOCK_D,
                                     IS_CAUSAL, MASK_KIND, PRECISION)
            m_new = tl.maximum(m_i, tl.max(s, axis=1))
            shift = tl.where(m_new > float("-inf"), m_new, 0.0)
            alpha = tl.where(m_i > float("-inf"), tl.exp(m_i - shift), 0.0)
            l_i = l_i * alpha + tl.sum(tl.where(vis, tl.exp(s - shift[:, None]), 0.0), axis=1)
            m_i = m_new
            n_vis += tl.sum(vis.to(tl.int32), axis=1)
    if MODE == THRESHOLD:
        thr_s = tl.minimum(m_i + tl.log(tl.where(l_i > 0, l_i, 1.0)) + log_eps, m_i)  # l_i = 0: no key
    else:
        # Radix select on the uint32 order keys, RADIX_BITS bits per streaming pass, most significant
        # first. Top-k: the largest T with #{key ≥ T} ≥ k_eff. Mass: the largest T with
        # Σ_{key < T} p ≤ max_tail·Σ p. `above` ends as #{key > T}, `ge` as #{key ≥ T}.
        NDIG: tl.constexpr = 1 << RADIX_BITS
        digits = tl.arange(0, NDIG)
        prefix = tl.zeros([BLOCK_M], tl.uint32)
        above = tl.zeros([BLOCK_M], tl.int32)
        ge_t = tl.zeros([BLOCK_M], tl.int32)
        below_t = tl.zeros([BLOCK_M], tl.float32)
        if MODE == MASS:
            budget = max_tail * l_i
        else:
            budget = tl.zeros([BLOCK_M], tl.float32)
        for radix_pass in range(0, 32 // RADIX_BITS):
            shift_bits = 32 - RADIX_BITS * (radix_pass + 1)
            cand = prefix[:, None] | (digits[None, :].to(tl.uint32) << shift_bits)
            cnt = tl.zeros([BLOCK_M, NDIG], tl.int32)
            below = tl.zeros([BLOCK_M, NDIG], tl.float32)
            for start_n in range(0, n_end, BLOCK_N):
                s, vis, offs_n = _scores(q, k_base, mask_base, start_n, offs_m, M, N, D, stride_kn,
                                         stride_kd, stride_mm, stride_mn, scale, BLOCK_N, BLOCK_D,
                                         IS_CAUSAL, MASK_KIND, PRECISION)
                key = _order_key(s)
                ge = (key[:, :, None] >= cand[:, None, :]) & vis[:, :, None]
                cnt += tl.sum(ge.to(tl.int32), axis=1)
                if MODE == TOPK:
                    m_i = tl.maximum(m_i, tl.max(s, axis=1))
                else:
                    shift = tl.where(m_i > float("-inf"), m_i, 0.0)
                    p = tl.where(vis, tl.exp(s - shift[:, None]), 0.0)
                    lt = (key[:, :, None] < cand[:, None, :]) & vis[:, :, None]
                    below += tl.sum(tl.where(lt, p[:, :, None], 0.0), axis=1)
            if MODE == TOPK:
                # Pass 0's digit-0 candidate is the prefix 0: its count is every visible key.
                n_vis = tl.maximum(n_vis, tl.sum(tl.where(digits[None, :] == 0, cnt, 0), axis=1))
                ok = (cnt >= tl.minimum(n_vis, top_k)[:, None]) & (digits[None, :] >= 1)
            else:
                ok = (below <= budget[:, None]) & (digits[None, :] >= 1)
            dig = tl.max(tl.where(ok, digits[None, :], 0), axis=1)
            nxt = tl.sum(tl.where(digits[None, :] == dig[:, None] + 1, cnt, 0), axis=1)
            above = tl.where(dig + 1 < NDIG, nxt, above)
            ge_t = tl.sum(tl.where(digits[None, :] == dig[:, None], cnt, 0), axis=1)
            below_t = tl.sum(tl.where(digits[None, :] == dig[:, None], below, 0.0), axis=1)
            prefix = prefix | (dig.to(tl.uint32) << shift_bits)
        if MODE == TOPK:
            need_ties = tl.minimum(n_vis, top_k) - above
        else:
            # Keys tied at T weigh p_T each; keep (in index order) only as many as the budget needs.
            n_tie = ge_t - above
            p_t = tl.exp(_from_order_key(prefix) - tl.where(m_i > float("-inf"), m_i, 0.0))
            spare = tl.floor((budget - below_t) / tl.where(p_t > 0, p_t, 1.0))
            droppable = tl.where(p_t > 0, tl.minimum(spare, n_tie.to(tl.float32)), n_tie.to(tl.float32))
            need_ties = n_tie - droppable.to(tl.int32)
            need_ties = tl.where((above == 0) & (n_tie > 0), tl.maximum(need_ties, 1), need_ties)
        ties_seen = tl.zeros([BLOCK_M], tl.int32)

    # Final pass: accumulate kept and dropped exponentials (shifted by the exact row max), the
    # output over kept keys, the kept count and max‖v_j‖² over visible keys, in increasing key index
    # so ties resolve by index.
    shift = tl.where(m_i > float("-inf"), m_i, 0.0)
    l_kept = tl.zeros([BLOCK_M], tl.float32)
    l_drop = tl.zeros([BLOCK_M], tl.float32)
    kept = tl.zeros([BLOCK_M], tl.int32)
    vsq = tl.zeros([BLOCK_M], tl.float32)
    acc = tl.zeros([BLOCK_M, BLOCK_DV], tl.float32)
    offs_dv = tl.arange(0, BLOCK_DV)
    for start_n in range(0, n_end, BLOCK_N):
        s, vis, offs_n = _scores(q, k_base, mask_base, start_n, offs_m, M, N, D, stride_kn, stride_kd,
                                 stride_mm, stride_mn, scale, BLOCK_N, BLOCK_D, IS_CAUSAL, MASK_KIND,
                                 PRECISION)
        if MODE == THRESHOLD:
            keep = vis & (s >= thr_s[:, None])
        else:
            key = _order_key(s)
            tie = vis & (key == prefix[:, None])
            tie_i = tie.to(tl.int32)
            rank = ties_seen[:, None] + tl.cumsum(tie_i, axis=1) - tie_i
            keep = vis & ((key > prefix[:, None]) | (tie & (rank < need_ties[:, None])))
            ties_seen += tl.sum(tie_i, axis=1)
        p = tl.where(vis, tl.exp(s - shift[:, None]), 0.0)
        p_kept = tl.where(keep, p, 0.0)
        l_kept += tl.sum(p_kept, axis=1)
        l_drop += tl.sum(tl.where(keep, 0.0, p), axis=1)
        kept += tl.sum(keep.to(tl.int32), axis=1)
        v = tl.load(v_base + offs_n[:, None] * stride_vn + offs_dv[None, :] * stride_vd,
                    mask=(offs_n[:, None] < N) & (offs_dv[None, :] < DV), other=0.0).to(tl.float32)
        vsq = tl.maximum(vsq, tl.max(tl.where(vis, tl.sum(v * v, axis=1)[None, :], 0.0), axis=1))
        # p·V in float32 for every input dtype: with 16-bit operands, Triton 3.6 on an H100
        # miscompiled this product whenever D was not a multiple of 16 (outputs off by O(1), τ still
        # right; book/kernel.md tells how test_gpu_triton_matches_mpmath, D = 24, found it).
        acc += tl.dot(p_kept, v, input_precision="ieee")

    out = tl.where(l_kept[:, None] > 0, acc / tl.where(l_kept > 0, l_kept, 1.0)[:, None], 0.0)
    row_ok = offs_m < M
    tl.store(Out + b * stride_ob + h * stride_oh + offs_m[:, None] * stride_om
             + offs_dv[None, :] * stride_od, out.to(Out.dtype.element_ty),
             mask=row_ok[:, None] & (offs_dv[None, :] < DV))
    l_all = l_kept + l_drop
    stat = pid_bh * M + offs_m
    tl.store(Tau + stat, tl.where(l_all > 0, l_drop / tl.where(l_all > 0, l_all, 1.0), 0.0), mask=row_ok)
    tl.store(LseAll + stat, tl.where(l_all > 0, m_i + tl.log(tl.where(l_all > 0, l_all, 1.0)),
                                     float("-inf")), mask=row_ok)
    tl.store(LseKept + stat, tl.where(l_kept > 0, m_i + tl.log(tl.where(l_kept > 0, l_kept, 1.0)),
                                      float("-inf")), mask=row_ok)
    tl.store(RowMax + stat, m_i, mask=row_ok)
    tl.store(LKept + stat, l_kept, mask=row_ok)
    tl.store(LDrop + stat, l_drop, mask=row_ok)
    tl.store(NVis + stat, n_vis.to(tl.int64), mask=row_ok)
    tl.store(Kept + stat, kept.to(tl.int64), mask=row_ok)
    tl.store(VSq + stat, vsq, mask=row_ok)
