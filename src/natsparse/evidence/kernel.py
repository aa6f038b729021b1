"""Evidence for the kernel: exp:kernel (sampled), thm:certificate-rounding and def:mass-attention
(verified, ball arithmetic on stated rows).

exp:kernel. On seeded float64 inputs (a few shapes, causal and not, ties included) the dispatching
`natsparse.kernels.topk_attention` (the chunked reference on this CPU) must return, for every query
row, the tail mass, both log-sum-exps and the output of `numeric.mp` at 50 digits to float64
accuracy, and its stats.error_bound must bound the measured distance to the dense 50-digit output.

thm:certificate-rounding. On stated rows in float64, float32, float16 and bfloat16 (torch backend;
top-k and mass-target; causal rows with τ = 0; values chosen as the worst case of
lem:worst-case-error, with cancellation around 8, and plain) the kernel's per-row terms τ_up, ρ_o and
vmax (`natsparse.kernels.dispatch.certificate_terms_of`) are put into the registry's own formula and
hypotheses and decided exactly: the error ‖õ − o‖₂ against dense attention o in arb balls (its upper
end), the exact tail τ of the kept set (upper end) ≤ τ_up, and ‖õ − ô‖₂ ≤ ρ_o too. Inputs are
integers (q, k) and short dyadics (v) so that every dtype holds them and float64 holds the exact
scores; the score matmul in float32 still rounds (q, k up to 2^12, D = 4, so the dot products need
26 bits), so the score-rounding part of the analysis is exercised. A finite check on these rows, not
a proof: the proof is book/kernel.md's forward error analysis.

def:mass-attention. For the rows of `mass_attention` (float64, torch backend), in arb: the kept set
is the top-k set of the kernel's k; τ_k ≤ η (upper end), τ_{k−1} > η (lower end; τ_0 = 1) and
‖o − ô‖₂ ≤ 2η·max_j‖v_j‖₂, the registry's relations with these values.

Registering is cheap: numpy, torch, flint, the kernels and `numeric` are imported when a check runs.
"""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from natsparse.proofs import Outcome, get, register

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

# thm:certificate-rounding rows: (dtype name, mode, parameter, causal, values, seed).
DTYPES = ("float64", "float32", "float16", "bfloat16")
ROUNDING_CASES = [(dt, mode, par, causal, values, seed)
                  for seed, dt in enumerate(DTYPES)
                  for mode, par in (("top_k", 5), ("max_tail", 0.2))
                  for causal, values in ((True, "plain"), (False, "worst"), (False, "cancel"))]
ROUNDING_SHAPE = (2, 8, 8, 4)  # heads, queries, keys, D
#: the Triton interpreter's cases (it has no float64 kernel, and it is slow): per 32/16-bit dtype, top-k
#: causal (tau = 0 rows among them) and mass-target with worst-case values
INTERPRET_CASES = [c for c in ROUNDING_CASES if c[0] != "float64"
                   and (c[1], c[3], c[4]) in (("top_k", True, "plain"), ("max_tail", False, "worst"))]
INTERPRET_DOMAIN = (f"{len(INTERPRET_CASES) * 16} rows: float32/16 and bfloat16 x top-k causal (tau = 0 "
                    "rows) and mass-target with worst-case values, N <= 8, D = 4, Triton interpreter "
                    "backend (the fused kernel's code run on the CPU, 16-bit inputs computed in float32; "
                    "not the compiled GPU kernel)")
ROUNDING_DOMAIN = (f"{len(ROUNDING_CASES) * 16} rows: float64/32/16, bfloat16 x top-k (k = 5) and mass "
                   "(eta = 0.2) x causal (tau = 0 rows), worst-case values, cancellation around 8; "
                   "N <= 8, D = 4, torch backend, exact-in-float64 scores")
MASS_TARGETS = (0.0, 0.05, 0.3, 0.7)
BALL_DPS = 80  # digits of the arb evaluations: balls far narrower than any margin checked
MASS_DOMAIN = f"3 heads x 10 queries x 16 keys, eta in {MASS_TARGETS}, float64, torch backend"


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
    """Check every row of every case; returns (rows checked, worst error / error_bound)."""
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
                        err = mpmath.sqrt(mpmath.fsum((x - float(y)) ** 2
                                                      for x, y in zip(ref.output, out[b, h, i], strict=True)))
                        bound = float(st.error_bound[b, h, i])
                        assert err <= bound, f"error_bound exceeded in case {case}, row {i}"
                        worst = max(worst, float(err / bound))
                    rows += 1
    return rows, worst


@register("exp:kernel", level="sampled", tool="torch+mpmath",
          domain=f"{len(CASES)} seeded shapes (causal, ties, k = 1 and k = N-1), float64, every row")
def _kernel_against_mpmath() -> Outcome:
    rows, worst = run_cases()
    return Outcome(True, f"{rows} rows: tau, LSEs and output match 50 digits; max error/error_bound "
                         f"= {worst:.3f} (<= 1 by thm:certificate-rounding)")


# --------------------------------------------------------------------------- exact rows in balls
def _exact(x) -> sp.Rational:
    """A float (or a flint arb's endpoint given as a float) as the exact rational it is."""
    return sp.Rational(Fraction(float(x)))


def _decimal(point) -> sp.Rational:
    """An arb point printed to 60 significant digits, read back exactly (off by ≤ 1e-59 relatively)."""
    return sp.Rational(point.str(60, radius=False))


def _upper(ball) -> sp.Rational:
    """An exact rational ≥ every point of an arb ball (its upper end, printed, raised by 1e-55
    relatively; an exact zero stays zero)."""
    x = _decimal(ball.upper())
    return x + abs(x) * sp.Rational(1, 10**55)


def _lower(ball) -> sp.Rational:
    """An exact rational ≤ every point of an arb ball."""
    x = _decimal(ball.lower())
    return x - abs(x) * sp.Rational(1, 10**55)


def _holds(relations, values: dict) -> bool:
    """Every relation is True with the symbols (named as strings) replaced by exact values."""
    for rel in relations:
        sub = rel.xreplace({x: values[str(x)] for x in rel.free_symbols if str(x) in values})
        if sub is not sp.true:
            return False
    return True


def _row_balls(scores, values, kept: int):
    """The arb row of the top-`kept` set (scores exact float64, no ties): o, ô, τ."""
    from natsparse.numeric import arb as ab

    return ab.topk_attention([float(x) for x in scores], [[float(c) for c in row] for row in values],
                             k=kept, dps=BALL_DPS)


def _norm_upper(xs, ys) -> sp.Expr:
    """An exact upper bound on ‖x − y‖₂ (x in balls, y floats): √(upper end of Σ (x_c − y_c)²)."""
    from flint import arb

    from natsparse.numeric import arb as ab

    xs = [x[0] if isinstance(x, list) else x for x in xs]  # one-dimensional values come nested
    with ab.precision(BALL_DPS):
        total = arb(0)
        for x, y in zip(xs, ys, strict=True):
            d = x - arb(float(y))
            total += d * d  # not d ** 2: arb's power of a ball around 0 is nan
        return sp.sqrt(max(_upper(total), sp.Integer(0)))


def _rounding_inputs(dtype, values: str, seed: int):
    import numpy as np
    import torch

    H, M, N, D = ROUNDING_SHAPE
    rng = np.random.default_rng(1000 + seed)
    q = torch.from_numpy(rng.integers(-4096, 4097, (1, H, M, D)).astype(np.float64)).to(dtype)
    k = torch.from_numpy(rng.integers(-4096, 4097, (1, H, N, D)).astype(np.float64)).to(dtype)
    if values == "cancel":
        v = 8 + torch.from_numpy(rng.integers(-8, 9, (1, H, N, 2)) / 16.0)
    else:
        v = torch.from_numpy(rng.integers(-128, 129, (1, H, N, 2)) / 64.0)
    return q, k, v.to(dtype)


def rounding_rows(backend: str = "torch") -> tuple[int, float, float]:
    """Check thm:certificate-rounding on ROUNDING_CASES (INTERPRET_CASES for the Triton interpreter,
    which is slow); returns (rows, worst error/bound over rows with τ > 0, over rows with τ = 0)."""
    import numpy as np
    import torch

    from natsparse.kernels import dispatch

    r = get("thm:certificate-rounding")
    scale = 2.0**-21
    rows, worst_tail, worst_zero = 0, 0.0, 0.0
    for dt, mode, par, causal, values, seed in (ROUNDING_CASES if backend == "torch" else INTERPRET_CASES):
        dtype = getattr(torch, dt)
        q, k, v = _rounding_inputs(dtype, values, seed)
        fn = dispatch.topk_attention if mode == "top_k" else dispatch.mass_attention
        kw = dict(scale=scale, is_causal=causal, backend=backend, **{mode: par})
        if values == "worst":  # lem:worst-case-error: +1 on each row's kept keys, −1 on the others
            q, k, v = _worst_case(q, k, fn(q, k, v, return_stats=True, **kw)[1].kept)
        out, st, terms = dispatch.certificate_terms_of(fn, q, k, v, **kw)
        qd, kd, vd = (t.double().numpy() for t in (q, k, v))
        H, M, N = q.shape[1], q.shape[2], k.shape[2]
        for h in range(H):
            for i in range(M):
                n = i + 1 if causal else N
                s = kd[0, h, :n] @ qd[0, h, i] * scale
                assert np.unique(s).size == n, "the rows are chosen without ties"
                row = _row_balls(s, vd[0, h, :n], int(st.kept[0, h, i]))
                got = out[0, h, i].double().numpy()
                err = _norm_upper(row.output, got)
                val = {"err_fl": err, "tau_up": _exact(terms.tau_up[0, h, i]),
                       "rho_o": _exact(terms.rho_o[0, h, i]), "v_max": _exact(terms.vmax[0, h, i]),
                       "tau": _upper(row.tau)}
                ok = _holds(r.relations(), val) and _holds(r.hypotheses, val)
                ok = ok and bool(_norm_upper(row.output_hat, got) <= val["rho_o"])     # ‖õ − ô‖ ≤ ρ_o
                ok = ok and _exact(np.sqrt((vd[0, h, :n] ** 2).sum(-1)).max()) <= val["v_max"]
                ok = ok and bool(err <= _exact(st.error_bound[0, h, i]))
                if not ok:
                    raise AssertionError(f"thm:certificate-rounding fails: {dt} {mode} causal={causal} "
                                         f"{values}, head {h}, row {i}: {val}")
                ratio = float(err) / float(st.error_bound[0, h, i])
                if float(st.tail_mass[0, h, i]) > 0:
                    worst_tail = max(worst_tail, ratio)
                else:
                    worst_zero = max(worst_zero, ratio)
                rows += 1
    return rows, worst_tail, worst_zero


def _worst_case(q, k, kept):
    """Each query row becomes its own head (its keys copied), with values +1 on its top-`kept`
    keys and −1 elsewhere: ‖o − ô‖ = 2τ exactly in real arithmetic (lem:worst-case-error)."""
    import torch

    _, H, M, D = q.shape
    N = k.shape[2]
    qs = q.reshape(1, H * M, 1, D)
    ks = k[:, :, None].expand(1, H, M, N, D).reshape(1, H * M, N, D)
    s = torch.matmul(qs.double(), ks.double().transpose(-1, -2))[0, :, 0]          # (H·M, N)
    order = torch.sort(s, dim=-1, descending=True, stable=True).indices
    head = torch.arange(N)[None, :] < kept.reshape(-1, 1)
    v = torch.where(torch.zeros_like(head).scatter_(-1, order, head), 1.0, -1.0)
    return qs, ks.contiguous(), v.reshape(1, H * M, N, 1).to(q.dtype)


@register("thm:certificate-rounding", level="verified", tool="torch+arb", domain=ROUNDING_DOMAIN,
          scope={"rows": len(ROUNDING_CASES) * 16, "dtypes": list(DTYPES), "n_max": 8, "d": 4})
def _certificate_rounding_in_balls() -> Outcome:
    rows, worst_tail, worst_zero = rounding_rows()
    return Outcome(True, f"{rows} rows: ||o~ - o|| <= 2 tau_up v_max + rho_o, tau <= tau_up and "
                         f"||o~ - o_hat|| <= rho_o in arb; worst error/bound {worst_tail:.3f} (tau > 0), "
                         f"{worst_zero:.2e} (tau = 0)")





@register("thm:certificate-rounding", level="verified", tool="triton-interpret+arb", domain=INTERPRET_DOMAIN,
          scope={"rows": len(INTERPRET_CASES) * 16, "backend": "triton-interpret", "n_max": 8, "d": 4})
def _certificate_rounding_triton_interpreter() -> Outcome:
    rows, worst_tail, worst_zero = rounding_rows("triton-interpret")
    return Outcome(True, f"{rows} rows of the Triton kernel (interpreted): the same relations in arb; worst "
                         f"error/bound {worst_tail:.3f} (tau > 0), {worst_zero:.2e} (tau = 0)")


def mass_rows() -> int:
    """Check def:mass-attention's relations on the kernel's rows; returns the rows checked."""
    import numpy as np
    import torch

    from natsparse.kernels import mass_attention

    r = get("def:mass-attention")
    rng = np.random.default_rng(7)
    H, M, N, D = 3, 10, 16, 4
    q, k = (torch.from_numpy(rng.integers(-6, 7, (1, H, x, D)).astype(np.float64)) for x in (M, N))
    v = torch.from_numpy(rng.integers(-64, 65, (1, H, N, 3)) / 32.0)
    rows = 0
    for eta in MASS_TARGETS:
        _, st = mass_attention(q, k, v, max_tail=eta, scale=0.5, return_stats=True, backend="torch")
        for h in range(H):
            for i in range(M):
                s = k[0, h].numpy() @ q[0, h, i].numpy() * 0.5
                kk = int(st.kept[0, h, i])
                row = _row_balls(s, v[0, h].numpy(), kk)
                prev = _row_balls(s, v[0, h].numpy(), kk - 1).tau if kk > 1 else None
                vmax = max(_exact(x) for x in np.sqrt((v[0, h].numpy() ** 2).sum(-1)))
                tau_prev = _lower(prev) if prev is not None else sp.Integer(1)            # τ_0 = 1
                # ‖o − ô‖: exactly 0 when every key is kept (ô is o), else bounded in balls
                err = 0 if kk == N else _norm_upper(row.output, _mid(row.output_hat)) + _radius(row)
                val = {"tau": _upper(row.tau), "tau_{k-1}": tau_prev, "eta": _exact(eta),
                       "err": err, "v_max": vmax}
                if not (_holds(r.relations(), val) and _holds(r.hypotheses, val)):
                    raise AssertionError(f"def:mass-attention fails at eta={eta}, head {h}, row {i}: {val}")
                rows += 1
    return rows


def _mid(balls):
    return [float((b[0] if isinstance(b, list) else b).mid()) for b in balls]


def _radius(row) -> sp.Expr:
    """An exact upper bound on ‖ô − mid(ô)‖₂: the distance from ô to the float midpoints used for it."""
    return _norm_upper(row.output_hat, _mid(row.output_hat))


@register("def:mass-attention", level="verified", tool="torch+arb", domain=MASS_DOMAIN,
          scope={"rows": 3 * 10 * len(MASS_TARGETS), "n": 16, "eta": list(MASS_TARGETS)})
def _mass_attention_in_balls() -> Outcome:
    rows = mass_rows()
    return Outcome(True, f"{rows} rows: the kernel's k has tau_k <= eta < tau_(k-1) and "
                         f"||o - o_hat|| <= 2 eta v_max, in arb")
