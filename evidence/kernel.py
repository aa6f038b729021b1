"""Sampled evidence for exp:kernel: the kernel's certificate against 50-digit attention.

On seeded float64 inputs (a few shapes, causal and not, ties included) the dispatching
`natsparse.kernels.topk_attention` (the chunked reference on this CPU) must return, for
every query row, the tail mass, both log-sum-exps and the output of `numeric.mp` at 50
digits to float64 accuracy, and its certificate 2 tau max_j ||v_j|| must bound the measured
distance to the dense 50-digit output. The full kernel tests (Triton in the interpreter,
Hypothesis over shapes and adversarial scores) live in tests/kernels/.

Registering is cheap: numpy, torch, the kernels and `numeric.mp` are imported when the check runs.
"""

from __future__ import annotations

from natsparse.proofs import Outcome, register

# (B, H, M, N, D, Dv, top_k, is_causal, integer q and k: ties). D = 4 and 16 make the scale
# 1/sqrt(D) a power of two, so tied scores stay exactly tied in the kernel and in mpmath.
CASES = [
    (1, 2, 7, 13, 4, 3, 4, False, False),
    (2, 1, 9, 9, 16, 2, 1, True, False),
    (1, 1, 6, 20, 4, 4, 19, False, True),
    (1, 3, 5, 33, 16, 1, 7, True, True),
]
SEED = 11
# float64 reference against 50 digits: a relative error of 1e-12 is ~5000 unit roundoffs,
# room for the sums of up to 33 terms these shapes make.
RTOL = 1e-12


def topk_attention(*args, **kw):
    """`natsparse.kernels.topk_attention`, imported on the first call (a test replaces this name
    with a damaged kernel to show that the evidence fails)."""
    from natsparse.kernels import topk_attention as kernel

    return kernel(*args, **kw)


def _inputs(case, rng):
    B, H, M, N, D, Dv, top_k, causal, ties = case
    q, k = rng.normal(size=(B, H, M, D)), rng.normal(size=(B, H, N, D))
    if ties:
        q, k = q.round(), k.round()
    v = rng.normal(size=(B, H, N, Dv))
    return q, k, v


def run_cases() -> tuple[int, float]:
    """Check every row of every case; returns (rows checked, worst error / certificate)."""
    import mpmath
    import numpy as np
    import torch

    from natsparse.numeric import mp

    rng = np.random.default_rng(SEED)
    rows, worst = 0, 0.0
    for case in CASES:
        B, H, M, N, D, Dv, top_k, causal, _ = case
        q, k, v = _inputs(case, rng)
        out, st = topk_attention(*(torch.from_numpy(x) for x in (q, k, v)), top_k=top_k,
                                 is_causal=causal, return_stats=True)
        for b in range(B):
            for h in range(H):
                for i in range(M):
                    visible = i + 1 if causal else N
                    s = (k[b, h, :visible] @ q[b, h, i]) / np.sqrt(D)
                    ref = mp.topk_attention(s, v[b, h, :visible], k=min(top_k, visible))
                    for got, want in [(st.tail_mass[b, h, i], ref.tau), (st.lse_all[b, h, i], ref.lse),
                                      (st.lse_kept[b, h, i], ref.lse_kept)]:
                        assert abs(float(got) - float(want)) <= RTOL * max(1.0, abs(float(want))), \
                            f"stat {float(got)} != {float(want)} in case {case}, row {i}"
                    for c in range(Dv):
                        assert abs(float(out[b, h, i, c]) - float(ref.output_hat[c])) <= RTOL * (
                            1 + float(np.abs(v).max())), f"output differs in case {case}, row {i}"
                    with mpmath.workdps(50):
                        err = max(abs(x - float(y)) for x, y in zip(ref.output, out[b, h, i], strict=True))
                        cert = 2 * ref.tau * float(np.abs(v[b, h, :visible]).max())
                        slack = RTOL * (1 + float(np.abs(v).max()))  # the float64 output's own error
                        assert err <= cert + slack, f"certificate exceeded in case {case}, row {i}"
                        if cert > 0:
                            worst = max(worst, float(err / cert))
                    rows += 1
    return rows, worst


@register("exp:kernel", level="sampled", tool="torch+mpmath",
          domain=f"{len(CASES)} seeded shapes (causal, ties, k = 1 and k = N-1), float64, every row")
def _kernel_against_mpmath() -> Outcome:
    rows, worst = run_cases()
    return Outcome(True, f"{rows} rows: tau, LSEs and output match 50 digits; max error/certificate "
                         f"= {worst:.3f} (<= 1 by thm:output-error)")
