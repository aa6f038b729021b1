"""Triton source of the fused top-k / threshold attention kernel (design: triton_topk.py).

Imported only by :mod:`natsparse.kernels.triton_topk`, after it has fixed the Triton mode.
"""

import triton
import triton.language as tl

TOPK = tl.constexpr(0)
THRESHOLD = tl.constexpr(1)


@triton.jit
def _scores(q, k_base, start_n, offs_m, N, D, stride_kn, stride_kd, scale,
            BLOCK_N: tl.constexpr, BLOCK_D: tl.constexpr, IS_CAUSAL: tl.constexpr,
            PRECISION: tl.constexpr):
    """Scores of one key block (float32, -inf where invisible) and the visibility mask."""
    offs_n = start_n + tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, BLOCK_D)
    kt = tl.load(k_base + offs_n[None, :] * stride_kn + offs_d[:, None] * stride_kd,
                 mask=(offs_n[None, :] < N) & (offs_d[:, None] < D), other=0.0)
    s = tl.dot(q, kt, input_precision=PRECISION) * scale
    vis = offs_n[None, :] < N
    if IS_CAUSAL:
        vis = vis & (offs_n[None, :] <= offs_m[:, None])
    s = tl.where(vis, s, float("-inf"))
    return s, vis, offs_n


@triton.jit
def _order_key(s):
    """Order-preserving map float32 → uint32 (-0.0 is first mapped to +0.0)."""
    s = tl.where(s == 0.0, 0.0, s)
    u = s.to(tl.uint32, bitcast=True)
    return tl.where((u >> 31) == 1, ~u, u | 0x80000000)


@triton.jit
def _sparse_attn_fwd(
    Q, K, V, Out, Tau, LseAll, LseKept,
    stride_qb, stride_qh, stride_qm, stride_qd,
    stride_kb, stride_kh, stride_kn, stride_kd,
    stride_vb, stride_vh, stride_vn, stride_vd,
    stride_ob, stride_oh, stride_om, stride_od,
    H, M, N, D, DV, scale, top_k, log_eps,
    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_D: tl.constexpr,
    BLOCK_DV: tl.constexpr, IS_CAUSAL: tl.constexpr, MODE: tl.constexpr,
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
    k_base = K + b * stride_kb + h * stride_kh
    v_base = V + b * stride_vb + h * stride_vh
    # Keys past the block's last query are invisible to all its rows under causal masking.
    n_end = N
    if IS_CAUSAL:
        n_end = tl.minimum(N, (pid_m + 1) * BLOCK_M)

    m_i = tl.full([BLOCK_M], float("-inf"), tl.float32)
    if MODE == TOPK:
        # Radix select on the uint32 order keys: find the largest T with #{key ≥ T} ≥ k_eff,
        # RADIX_BITS bits per streaming pass, most significant first. `above` tracks
        # #{key > current prefix range}; at the end it is #{key > T}.
        n_vis = tl.zeros([BLOCK_M], tl.int32) + N
        if IS_CAUSAL:
            n_vis = tl.minimum(n_vis, offs_m + 1)
        k_eff = tl.minimum(n_vis, top_k)
        NDIG: tl.constexpr = 1 << RADIX_BITS
        digits = tl.arange(0, NDIG)
        prefix = tl.zeros([BLOCK_M], tl.uint32)
        above = tl.zeros([BLOCK_M], tl.int32)
        for radix_pass in range(0, 32 // RADIX_BITS):
            shift = 32 - RADIX_BITS * (radix_pass + 1)
            cand = prefix[:, None] | (digits[None, :].to(tl.uint32) << shift)
            cnt = tl.zeros([BLOCK_M, NDIG], tl.int32)
            for start_n in range(0, n_end, BLOCK_N):
                s, vis, offs_n = _scores(q, k_base, start_n, offs_m, N, D, stride_kn,
                                         stride_kd, scale, BLOCK_N, BLOCK_D, IS_CAUSAL,
                                         PRECISION)
                m_i = tl.maximum(m_i, tl.max(s, axis=1))
                key = _order_key(s)
                ge = (key[:, :, None] >= cand[:, None, :]) & vis[:, :, None]
                cnt += tl.sum(ge.to(tl.int32), axis=1)
            ok = (cnt >= k_eff[:, None]) & (digits[None, :] >= 1)
            dig = tl.sum(ok.to(tl.int32), axis=1)
            nxt = tl.sum(tl.where(digits[None, :] == dig[:, None] + 1, cnt, 0), axis=1)
            above = tl.where(dig + 1 < NDIG, nxt, above)
            prefix = prefix | (dig.to(tl.uint32) << shift)
        need_ties = k_eff - above
        ties_seen = tl.zeros([BLOCK_M], tl.int32)
    else:
        # Threshold: one online pass for the dense LSE, then keep s ≥ min(LSE + log ε, max).
        l_i = tl.zeros([BLOCK_M], tl.float32)
        for start_n in range(0, n_end, BLOCK_N):
            s, vis, offs_n = _scores(q, k_base, start_n, offs_m, N, D, stride_kn, stride_kd,
                                     scale, BLOCK_N, BLOCK_D, IS_CAUSAL, PRECISION)
            m_new = tl.maximum(m_i, tl.max(s, axis=1))
            l_i = l_i * tl.exp(m_i - m_new) + tl.sum(tl.exp(s - m_new[:, None]), axis=1)
            m_i = m_new
        thr_s = tl.minimum(m_i + tl.log(l_i) + log_eps, m_i)

    # Final pass: accumulate kept and dropped exponentials (shifted by the exact row max)
    # and the output over kept keys, in increasing key index so ties resolve by index.
    l_kept = tl.zeros([BLOCK_M], tl.float32)
    l_drop = tl.zeros([BLOCK_M], tl.float32)
    acc = tl.zeros([BLOCK_M, BLOCK_DV], tl.float32)
    offs_dv = tl.arange(0, BLOCK_DV)
    for start_n in range(0, n_end, BLOCK_N):
        s, vis, offs_n = _scores(q, k_base, start_n, offs_m, N, D, stride_kn, stride_kd,
                                 scale, BLOCK_N, BLOCK_D, IS_CAUSAL, PRECISION)
        if MODE == TOPK:
            key = _order_key(s)
            tie = vis & (key == prefix[:, None])
            tie_i = tie.to(tl.int32)
            rank = ties_seen[:, None] + tl.cumsum(tie_i, axis=1) - tie_i
            keep = vis & ((key > prefix[:, None]) | (tie & (rank < need_ties[:, None])))
            ties_seen += tl.sum(tie_i, axis=1)
        else:
            keep = vis & (s >= thr_s[:, None])
        p = tl.exp(s - m_i[:, None])
        p_kept = tl.where(keep, p, 0.0)
        l_kept += tl.sum(p_kept, axis=1)
        l_drop += tl.sum(tl.where(keep, 0.0, p), axis=1)
        v = tl.load(v_base + offs_n[:, None] * stride_vn + offs_dv[None, :] * stride_vd,
                    mask=(offs_n[:, None] < N) & (offs_dv[None, :] < DV), other=0.0)
        # p·V in float32 for every input dtype: with 16-bit operands, Triton 3.6 on an H100
        # miscompiled this product whenever D was not a multiple of 16 (outputs off by O(1), τ still
        # right; book/kernel.md tells how test_gpu_triton_matches_mpmath, D = 24, found it).
        acc += tl.dot(p_kept, v.to(tl.float32), input_precision="ieee")

    out = acc / l_kept[:, None]
    row_ok = offs_m < M
    tl.store(Out + b * stride_ob + h * stride_oh + offs_m[:, None] * stride_om
             + offs_dv[None, :] * stride_od, out.to(Out.dtype.element_ty),
             mask=row_ok[:, None] & (offs_dv[None, :] < DV))
    l_all = l_kept + l_drop
    stat = pid_bh * M + offs_m
    tl.store(Tau + stat, l_drop / l_all, mask=row_ok)
    tl.store(LseAll + stat, m_i + tl.log(l_all), mask=row_ok)
    tl.store(LseKept + stat, m_i + tl.log(l_kept), mask=row_ok)
