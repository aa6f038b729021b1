"""Triton source of the fused top-k / threshold / mass attention kernel (design: triton_topk.py).

Imported only by :mod:`natsparse.kernels.triton_topk`, after it has fixed the Triton mode.

The kernel reads setup → select → final pass → store, each a ``@triton.jit`` phase. What the phases
share travels in tuples: ``rows = (q, offs_m, M)`` (the program's query block), ``keys = (k_base,
stride_kn, stride_kd, N, D)`` and ``mask = (mask_base, stride_mm, stride_mn)``; the compile-time
settings are keyword arguments.
"""

import triton
import triton.language as tl

TOPK = tl.constexpr(0)
THRESHOLD = tl.constexpr(1)
MASS = tl.constexpr(2)
RADIX = tl.constexpr(0)
BRACKET = tl.constexpr(1)
NO_MASK = tl.constexpr(0)
BOOL_MASK = tl.constexpr(1)


@triton.jit
def _scores(rows, keys, mask, scale, start_n, BLOCK_N: tl.constexpr, BLOCK_D: tl.constexpr,
            IS_CAUSAL: tl.constexpr, MASK_KIND: tl.constexpr, PRECISION: tl.constexpr):
    """Scores of the key block at start_n (float32, −inf where invisible), the visibility mask and the
    key offsets."""
    q, offs_m, M = rows
    k_base, stride_kn, stride_kd, N, D = keys
    mask_base, stride_mm, stride_mn = mask
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
def _radix_select(rows, keys, mask, scale, target, budget, m_i, n_vis, n_blocks, n_steps,
                  BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_D: tl.constexpr,
                  IS_CAUSAL: tl.constexpr, MASK_KIND: tl.constexpr, PRECISION: tl.constexpr,
                  MODE: tl.constexpr, RADIX_BITS: tl.constexpr):
    """Radix select on the uint32 order keys of n_steps of the n_blocks key blocks (evenly spaced; all
    when n_steps = n_blocks), RADIX_BITS bits per streaming pass, most significant first.

    Top-k: the largest T with #{key ≥ T} ≥ min(n_vis, target). Mass: the largest T with
    Σ_{key < T} p ≤ budget. Returns T, #{key > T}, #{key ≥ T}, Σ_{key < T} p, the row max and the
    visible count (both updated from m_i, n_vis in top-k mode).
    """
    NDIG: tl.constexpr = 1 << RADIX_BITS
    digits = tl.arange(0, NDIG)
    prefix = tl.zeros([BLOCK_M], tl.uint32)
    above = tl.zeros([BLOCK_M], tl.int32)
    ge_t = tl.zeros([BLOCK_M], tl.int32)
    below_t = tl.zeros([BLOCK_M], tl.float32)
    for radix_pass in range(0, 32 // RADIX_BITS):
        shift_bits = 32 - RADIX_BITS * (radix_pass + 1)
        cand = prefix[:, None] | (digits[None, :].to(tl.uint32) << shift_bits)
        cnt = tl.zeros([BLOCK_M, NDIG], tl.int32)
        below = tl.zeros([BLOCK_M, NDIG], tl.float32)
        for step in range(0, n_steps):
            start_n = (step * n_blocks // n_steps) * BLOCK_N
            s, vis, offs_n = _scores(rows, keys, mask, scale, start_n, BLOCK_N=BLOCK_N, BLOCK_D=BLOCK_D,
                                     IS_CAUSAL=IS_CAUSAL, MASK_KIND=MASK_KIND, PRECISION=PRECISION)
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
            ok = (cnt >= tl.minimum(n_vis, target)[:, None]) & (digits[None, :] >= 1)
        else:
            ok = (below <= budget[:, None]) & (digits[None, :] >= 1)
        dig = tl.max(tl.where(ok, digits[None, :], 0), axis=1)
        nxt = tl.sum(tl.where(digits[None, :] == dig[:, None] + 1, cnt, 0), axis=1)
        above = tl.where(dig + 1 < NDIG, nxt, above)
        ge_t = tl.sum(tl.where(digits[None, :] == dig[:, None], cnt, 0), axis=1)
        below_t = tl.sum(tl.where(digits[None, :] == dig[:, None], below, 0.0), axis=1)
        prefix = prefix | (dig.to(tl.uint32) << shift_bits)
    return prefix, above, ge_t, below_t, m_i, n_vis


@triton.jit
def _setup(Q, K, V, Mask, q_strides, k_strides, v_strides, m_strides, H, GROUP, M, N, D,
           BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_D: tl.constexpr, IS_CAUSAL: tl.constexpr):
    """Phase *setup*: this program's query block (rows), its key/value head's K (keys) and V base,
    its mask, the key range its rows can see (n_end, n_blocks) and its per-row stat indices."""
    pid_m = tl.program_id(0)
    pid_bh = tl.program_id(1)
    b = pid_bh // H
    h = pid_bh % H
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_d = tl.arange(0, BLOCK_D)
    q = tl.load(Q + b * q_strides[0] + h * q_strides[1] + offs_m[:, None] * q_strides[2]
                + offs_d[None, :] * q_strides[3], mask=(offs_m[:, None] < M) & (offs_d[None, :] < D),
                other=0.0)
    # Grouped-query attention: query head h reads key/value head h // GROUP (no copy of K, V).
    k_base = K + b * k_strides[0] + (h // GROUP) * k_strides[1]
    v_base = V + b * v_strides[0] + (h // GROUP) * v_strides[1]
    mask = (Mask + b * m_strides[0] + h * m_strides[1], m_strides[2], m_strides[3])
    # Keys past the block's last query are invisible to all its rows under causal masking.
    n_end = N
    if IS_CAUSAL:
        n_end = tl.minimum(N, (pid_m + 1) * BLOCK_M)
    rows = (q, offs_m, M)
    keys = (k_base, k_strides[2], k_strides[3], N, D)
    return rows, keys, mask, v_base, n_end, tl.cdiv(n_end, BLOCK_N), pid_bh * M + offs_m


@triton.jit
def _online_pass(rows, keys, mask, scale, n_end, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
                 BLOCK_D: tl.constexpr, IS_CAUSAL: tl.constexpr, MASK_KIND: tl.constexpr,
                 PRECISION: tl.constexpr):
    """One online pass over the visible keys: the row max m, the dense sum L = Σ exp(s − m) (rescaled
    as m grows) and the visible count."""
    m_i = tl.full([BLOCK_M], float("-inf"), tl.float32)
    n_vis = tl.zeros([BLOCK_M], tl.int32)
    l_i = tl.zeros([BLOCK_M], tl.float32)
    for start_n in range(0, n_end, BLOCK_N):
        s, vis, offs_n = _scores(rows, keys, mask, scale, start_n, BLOCK_N=BLOCK_N, BLOCK_D=BLOCK_D,
                                 IS_CAUSAL=IS_CAUSAL, MASK_KIND=MASK_KIND, PRECISION=PRECISION)
        m_new = tl.maximum(m_i, tl.max(s, axis=1))
        shift = tl.where(m_new > float("-inf"), m_new, 0.0)
        alpha = tl.where(m_i > float("-inf"), tl.exp(m_i - shift), 0.0)
        l_i = l_i * alpha + tl.sum(tl.where(vis, tl.exp(s - shift[:, None]), 0.0), axis=1)
        m_i = m_new
        n_vis += tl.sum(vis.to(tl.int32), axis=1)
    return m_i, l_i, n_vis


@triton.jit
def _select_mass(rows, keys, mask, scale, m_i, l_i, n_vis, n_blocks, max_tail, BLOCK_M: tl.constexpr,
                 BLOCK_N: tl.constexpr, BLOCK_D: tl.constexpr, IS_CAUSAL: tl.constexpr,
                 MASK_KIND: tl.constexpr, PRECISION: tl.constexpr, RADIX_BITS: tl.constexpr):
    """Phase *select*, mass target (after :func:`_online_pass`): a radix select on weights, the largest
    order key T with Σ_{key < T} p_j ≤ max_tail·L. Returns T and how many keys equal to T to keep (in
    index order: only as many as the budget needs)."""
    budget = max_tail * l_i
    prefix, above, ge_t, below_t, m_i, n_vis = _radix_select(
        rows, keys, mask, scale, 0, budget, m_i, n_vis, n_blocks, n_blocks, BLOCK_M=BLOCK_M, BLOCK_N=BLOCK_N,
        BLOCK_D=BLOCK_D, IS_CAUSAL=IS_CAUSAL, MASK_KIND=MASK_KIND, PRECISION=PRECISION, MODE=MASS,
        RADIX_BITS=RADIX_BITS)
    # Keys tied at T weigh p_T each; keep (in index order) only as many as the budget needs.
    n_tie = ge_t - above
    p_t = tl.exp(_from_order_key(prefix) - tl.where(m_i > float("-inf"), m_i, 0.0))
    spare = tl.floor((budget - below_t) / tl.where(p_t > 0, p_t, 1.0))
    droppable = tl.where(p_t > 0, tl.minimum(spare, n_tie.to(tl.float32)), n_tie.to(tl.float32))
    need_ties = n_tie - droppable.to(tl.int32)
    need_ties = tl.where((above == 0) & (n_tie > 0), tl.maximum(need_ties, 1), need_ties)
    return prefix, need_ties


@triton.jit
def _sample_bracket(rows, keys, mask, scale, top_k, skew, n_blocks, SAMPLE_BLOCKS: tl.constexpr,
                    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_D: tl.constexpr,
                    IS_CAUSAL: tl.constexpr, MASK_KIND: tl.constexpr, PRECISION: tl.constexpr,
                    RADIX_BITS: tl.constexpr):
    """Order keys [lo, hi] that likely hold the k-th key, from SAMPLE_BLOCKS evenly spaced key blocks.

    If the sample's blocks stand for all n_blocks, the k-th key has sample rank about
    e = k·(sample blocks)/n_blocks, with standard deviation ≤ √e (binomial); hi is the sample's
    key of rank e − 3√e − 1 (all ones when that rank is < 1), lo that of rank e + 3√e + 1 (0 past the
    sample). ``skew`` moves both ranks on odd rows (a seam for the fallback tests). A guess only.
    """
    offs_m = rows[1]
    n_steps = tl.minimum(n_blocks, SAMPLE_BLOCKS)
    e = top_k * (n_steps / tl.maximum(n_blocks, 1)) + tl.where(offs_m % 2 == 1, skew, 0.0)
    width = 3.0 * tl.sqrt(tl.maximum(e, 0.0)) + 1.0
    r_hi = tl.floor(e - width).to(tl.int32)
    r_lo = tl.ceil(e + width).to(tl.int32)
    none_f = tl.zeros([BLOCK_M], tl.float32)
    none_i = tl.zeros([BLOCK_M], tl.int32)
    neg = tl.full([BLOCK_M], float("-inf"), tl.float32)
    hi, _, _, _, _, _ = _radix_select(rows, keys, mask, scale, r_hi, none_f, neg, none_i, n_blocks, n_steps,
                                      BLOCK_M=BLOCK_M, BLOCK_N=BLOCK_N, BLOCK_D=BLOCK_D, IS_CAUSAL=IS_CAUSAL,
                                      MASK_KIND=MASK_KIND, PRECISION=PRECISION, MODE=TOPK,
                                      RADIX_BITS=RADIX_BITS)
    lo, _, _, _, _, s_vis = _radix_select(rows, keys, mask, scale, r_lo, none_f, neg, none_i, n_blocks,
                                          n_steps, BLOCK_M=BLOCK_M, BLOCK_N=BLOCK_N, BLOCK_D=BLOCK_D,
                                          IS_CAUSAL=IS_CAUSAL, MASK_KIND=MASK_KIND, PRECISION=PRECISION,
                                          MODE=TOPK, RADIX_BITS=RADIX_BITS)
    lo = tl.where(r_lo > s_vis, 0, lo)
    return lo, hi


@triton.jit
def _count_bracket(rows, keys, mask, scale, Scratch, stat_rows, lo, hi, n_end, CAP: tl.constexpr,
                   BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_D: tl.constexpr,
                   IS_CAUSAL: tl.constexpr, MASK_KIND: tl.constexpr, PRECISION: tl.constexpr):
    """One counting pass (no exp, no p·V): the row max, the visible count, #{key > hi}, #{lo ≤ key ≤ hi};
    the first CAP in-bracket order keys of each row go to Scratch[row, :] (int32 bit patterns)."""
    m_i = tl.full([BLOCK_M], float("-inf"), tl.float32)
    n_vis = tl.zeros([BLOCK_M], tl.int32)
    above_hi = tl.zeros([BLOCK_M], tl.int32)
    n_in = tl.zeros([BLOCK_M], tl.int32)
    for start_n in range(0, n_end, BLOCK_N):
        s, vis, offs_n = _scores(rows, keys, mask, scale, start_n, BLOCK_N=BLOCK_N, BLOCK_D=BLOCK_D,
                                 IS_CAUSAL=IS_CAUSAL, MASK_KIND=MASK_KIND, PRECISION=PRECISION)
        key = _order_key(s)
        m_i = tl.maximum(m_i, tl.max(s, axis=1))
        n_vis += tl.sum(vis.to(tl.int32), axis=1)
        above_hi += tl.sum((vis & (key > hi[:, None])).to(tl.int32), axis=1)
        inb = vis & (key >= lo[:, None]) & (key <= hi[:, None])
        inb_i = inb.to(tl.int32)
        slot = n_in[:, None] + tl.cumsum(inb_i, axis=1) - inb_i
        tl.store(Scratch + stat_rows[:, None].to(tl.int64) * CAP + slot, key.to(tl.int32, bitcast=True),
                 mask=inb & (slot < CAP))
        n_in += tl.sum(inb_i, axis=1)
    return m_i, n_vis, above_hi, n_in


@triton.jit
def _resolve(Scratch, stat_rows, row_ok, k_eff, above_hi, n_in, CAP: tl.constexpr):
    """The k-th largest key T (sorting the candidates), #{key > T}, and whether the bracket held it:
    #{key > hi} < k ≤ #{key > hi} + #{in bracket} ≤ #{key > hi} + CAP (rows with no visible key hold
    it trivially). Ties need no index here: the final pass keeps the first k − #{key > T} keys equal
    to T in index order, as the radix path does."""
    cols = tl.arange(0, CAP)
    valid = (cols[None, :] < tl.minimum(n_in, CAP)[:, None]) & row_ok[:, None]
    cand = tl.load(Scratch + stat_rows[:, None].to(tl.int64) * CAP + cols[None, :], mask=valid, other=0)
    ranked = tl.sort(cand.to(tl.uint32, bitcast=True), 1, descending=True)  # empty slots (0) sort last
    rank = k_eff - above_hi - 1
    theta = tl.max(tl.where(cols[None, :] == rank[:, None], ranked, 0), axis=1)
    above = above_hi + tl.sum((ranked > theta[:, None]).to(tl.int32), axis=1)
    ok = (k_eff == 0) | ((rank >= 0) & (k_eff <= above_hi + n_in) & (n_in <= CAP))
    return theta, above, ok


@triton.jit
def _select_topk(rows, keys, mask, scale, Scratch, Bracketed, stat_rows, top_k, skew, n_end, n_blocks,
                 BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_D: tl.constexpr, IS_CAUSAL: tl.constexpr,
                 MASK_KIND: tl.constexpr, PRECISION: tl.constexpr, RADIX_BITS: tl.constexpr,
                 SELECT: tl.constexpr, SAMPLE_BLOCKS: tl.constexpr, CAP: tl.constexpr):
    """Phase *select*, top-k: the order key T of each row's k-th largest score, how many keys equal to
    T to keep (the first ones in index order), the row max and the visible count.

    Bracket select (SELECT = BRACKET): a guess [lo, hi] from a sample, one counting pass, the k-th key
    resolved among the compacted in-bracket candidates; rows the guess misses take the radix select
    (SELECT = RADIX: every row), so the kept set never depends on the guess. Bracketed[row] records
    which rows the bracket held."""
    m_i = tl.full([BLOCK_M], float("-inf"), tl.float32)
    n_vis = tl.zeros([BLOCK_M], tl.int32)
    no_budget = tl.zeros([BLOCK_M], tl.float32)
    if SELECT == RADIX:
        prefix, above, _, _, m_i, n_vis = _radix_select(
            rows, keys, mask, scale, top_k, no_budget, m_i, n_vis, n_blocks, n_blocks, BLOCK_M=BLOCK_M,
            BLOCK_N=BLOCK_N, BLOCK_D=BLOCK_D, IS_CAUSAL=IS_CAUSAL, MASK_KIND=MASK_KIND, PRECISION=PRECISION,
            MODE=TOPK, RADIX_BITS=RADIX_BITS)
    else:
        lo, hi = _sample_bracket(rows, keys, mask, scale, top_k, skew, n_blocks, SAMPLE_BLOCKS=SAMPLE_BLOCKS,
                                 BLOCK_M=BLOCK_M, BLOCK_N=BLOCK_N, BLOCK_D=BLOCK_D, IS_CAUSAL=IS_CAUSAL,
                                 MASK_KIND=MASK_KIND, PRECISION=PRECISION, RADIX_BITS=RADIX_BITS)
        m_i, n_vis, above_hi, n_in = _count_bracket(
            rows, keys, mask, scale, Scratch, stat_rows, lo, hi, n_end, CAP=CAP, BLOCK_M=BLOCK_M,
            BLOCK_N=BLOCK_N, BLOCK_D=BLOCK_D, IS_CAUSAL=IS_CAUSAL, MASK_KIND=MASK_KIND, PRECISION=PRECISION)
        row_ok = rows[1] < rows[2]
        prefix, above, ok = _resolve(Scratch, stat_rows, row_ok, tl.minimum(n_vis, top_k), above_hi, n_in,
                                     CAP=CAP)
        if tl.max(tl.where(ok, 0, 1)) > 0:
            r_prefix, r_above, _, _, m_i, n_vis = _radix_select(
                rows, keys, mask, scale, top_k, no_budget, m_i, n_vis, n_blocks, n_blocks, BLOCK_M=BLOCK_M,
                BLOCK_N=BLOCK_N, BLOCK_D=BLOCK_D, IS_CAUSAL=IS_CAUSAL, MASK_KIND=MASK_KIND,
                PRECISION=PRECISION, MODE=TOPK, RADIX_BITS=RADIX_BITS)
            prefix = tl.where(ok, prefix, r_prefix)
            above = tl.where(ok, above, r_above)
        tl.store(Bracketed + stat_rows, ok.to(tl.int32), mask=row_ok)
    return prefix, tl.minimum(n_vis, top_k) - above, m_i, n_vis


@triton.jit
def _final_pass(rows, keys, mask, scale, v_base, stride_vn, stride_vd, DV, m_i, prefix, need_ties, thr,
                n_end, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_D: tl.constexpr,
                BLOCK_DV: tl.constexpr, IS_CAUSAL: tl.constexpr, MASK_KIND: tl.constexpr,
                PRECISION: tl.constexpr, MODE: tl.constexpr):
    """Phase *final pass*: in increasing key index (so ties resolve by index), keep key > T and the
    first need_ties keys equal to T (top-k, mass) or s ≥ thr (threshold); accumulate, shifted by the
    exact row max, the kept and the dropped exponentials apart, Σ_kept p_j v_j, the kept count and
    max‖v_j‖² over the visible keys."""
    N = keys[3]
    shift = tl.where(m_i > float("-inf"), m_i, 0.0)
    l_kept = tl.zeros([BLOCK_M], tl.float32)
    l_drop = tl.zeros([BLOCK_M], tl.float32)
    kept = tl.zeros([BLOCK_M], tl.int32)
    vsq = tl.zeros([BLOCK_M], tl.float32)
    ties_seen = tl.zeros([BLOCK_M], tl.int32)
    acc = tl.zeros([BLOCK_M, BLOCK_DV], tl.float32)
    offs_dv = tl.arange(0, BLOCK_DV)
    for start_n in range(0, n_end, BLOCK_N):
        s, vis, offs_n = _scores(rows, keys, mask, scale, start_n, BLOCK_N=BLOCK_N, BLOCK_D=BLOCK_D,
                                 IS_CAUSAL=IS_CAUSAL, MASK_KIND=MASK_KIND, PRECISION=PRECISION)
        if MODE == THRESHOLD:
            keep = vis & (s >= thr[:, None])
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
    return acc, l_kept, l_drop, kept, vsq


@triton.jit
def _store(Out, o_strides, Stats, Counts, rows, stat_rows, b, h, DV, acc, m_i, l_kept, l_drop, n_vis, kept,
           vsq, BLOCK_DV: tl.constexpr):
    """Phase *store*: o = acc / l_kept (0 where nothing is kept) and the per-row numbers: Stats rows
    τ = l_drop / (l_kept + l_drop), both log-sum-exps, the row max, l_kept, l_drop, max‖v_j‖²;
    Counts rows the visible and kept counts."""
    _, offs_m, M = rows
    row_ok = offs_m < M
    offs_dv = tl.arange(0, BLOCK_DV)
    out = tl.where(l_kept[:, None] > 0, acc / tl.where(l_kept > 0, l_kept, 1.0)[:, None], 0.0)
    tl.store(Out + b * o_strides[0] + h * o_strides[1] + offs_m[:, None] * o_strides[2]
             + offs_dv[None, :] * o_strides[3], out.to(Out.dtype.element_ty),
             mask=row_ok[:, None] & (offs_dv[None, :] < DV))
    l_all = l_kept + l_drop
    n_rows = tl.num_programs(1) * M
    safe_all = tl.where(l_all > 0, l_all, 1.0)
    safe_kept = tl.where(l_kept > 0, l_kept, 1.0)
    tl.store(Stats + stat_rows, tl.where(l_all > 0, l_drop / safe_all, 0.0), mask=row_ok)
    tl.store(Stats + n_rows + stat_rows, tl.where(l_all > 0, m_i + tl.log(safe_all), float("-inf")),
             mask=row_ok)
    tl.store(Stats + 2 * n_rows + stat_rows, tl.where(l_kept > 0, m_i + tl.log(safe_kept), float("-inf")),
             mask=row_ok)
    tl.store(Stats + 3 * n_rows + stat_rows, m_i, mask=row_ok)
    tl.store(Stats + 4 * n_rows + stat_rows, l_kept, mask=row_ok)
    tl.store(Stats + 5 * n_rows + stat_rows, l_drop, mask=row_ok)
    tl.store(Stats + 6 * n_rows + stat_rows, vsq, mask=row_ok)
    tl.store(Counts + stat_rows, n_vis.to(tl.int64), mask=row_ok)
    tl.store(Counts + n_rows + stat_rows, kept.to(tl.int64), mask=row_ok)


@triton.jit
def _sparse_attn_fwd(
    Q, K, V, Mask, Out, Stats, Counts, Scratch, Bracketed,
    q_strides, k_strides, v_strides, m_strides, o_strides,
    H, GROUP, M, N, D, DV, scale, top_k, log_eps, max_tail, skew,
    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_D: tl.constexpr,
    BLOCK_DV: tl.constexpr, IS_CAUSAL: tl.constexpr, MODE: tl.constexpr, MASK_KIND: tl.constexpr,
    RADIX_BITS: tl.constexpr, PRECISION: tl.constexpr, SELECT: tl.constexpr,
    SAMPLE_BLOCKS: tl.constexpr, CAP: tl.constexpr,
):
    """One program: BLOCK_M query rows of one (batch, query head) against all the keys of its key/value
    head. Setup, select (threshold, mass or top-k), final pass, store."""
    rows, keys, mask, v_base, n_end, n_blocks, stat_rows = _setup(
        Q, K, V, Mask, q_strides, k_strides, v_strides, m_strides, H, GROUP, M, N, D, BLOCK_M=BLOCK_M,
        BLOCK_N=BLOCK_N, BLOCK_D=BLOCK_D, IS_CAUSAL=IS_CAUSAL)
    prefix = tl.zeros([BLOCK_M], tl.uint32)
    need_ties = tl.zeros([BLOCK_M], tl.int32)
    thr = tl.zeros([BLOCK_M], tl.float32)
    if MODE == TOPK:
        prefix, need_ties, m_i, n_vis = _select_topk(
            rows, keys, mask, scale, Scratch, Bracketed, stat_rows, top_k, skew, n_end, n_blocks,
            BLOCK_M=BLOCK_M, BLOCK_N=BLOCK_N, BLOCK_D=BLOCK_D, IS_CAUSAL=IS_CAUSAL, MASK_KIND=MASK_KIND,
            PRECISION=PRECISION, RADIX_BITS=RADIX_BITS, SELECT=SELECT, SAMPLE_BLOCKS=SAMPLE_BLOCKS, CAP=CAP)
    else:
        m_i, l_i, n_vis = _online_pass(rows, keys, mask, scale, n_end, BLOCK_M=BLOCK_M, BLOCK_N=BLOCK_N,
                                       BLOCK_D=BLOCK_D, IS_CAUSAL=IS_CAUSAL, MASK_KIND=MASK_KIND,
                                       PRECISION=PRECISION)
        if MODE == THRESHOLD:
            thr = tl.minimum(m_i + tl.log(tl.where(l_i > 0, l_i, 1.0)) + log_eps, m_i)  # l_i = 0: no key
        else:
            prefix, need_ties = _select_mass(
                rows, keys, mask, scale, m_i, l_i, n_vis, n_blocks, max_tail, BLOCK_M=BLOCK_M,
                BLOCK_N=BLOCK_N, BLOCK_D=BLOCK_D, IS_CAUSAL=IS_CAUSAL, MASK_KIND=MASK_KIND,
                PRECISION=PRECISION, RADIX_BITS=RADIX_BITS)
    acc, l_kept, l_drop, kept, vsq = _final_pass(
        rows, keys, mask, scale, v_base, v_strides[2], v_strides[3], DV, m_i, prefix, need_ties, thr, n_end,
        BLOCK_M=BLOCK_M, BLOCK_N=BLOCK_N, BLOCK_D=BLOCK_D, BLOCK_DV=BLOCK_DV, IS_CAUSAL=IS_CAUSAL,
        MASK_KIND=MASK_KIND, PRECISION=PRECISION, MODE=MODE)
    _store(Out, o_strides, Stats, Counts, rows, stat_rows, tl.program_id(1) // H, tl.program_id(1) % H, DV,
           acc, m_i, l_kept, l_drop, n_vis, kept, vsq, BLOCK_DV=BLOCK_DV)
