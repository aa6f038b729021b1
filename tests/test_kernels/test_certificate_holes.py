"""No certificate for numbers the kernel did not compute right (kernels/dispatch.py, certificate.py,
validate.py): finite arguments that overflow inside the kernel (a scale above the float32 maximum,
scale·q on the torch backend, float64 scores, an additive mask), a subnormal scale that the CPU
flushes to zero (torch.set_flush_denormal), and NaN inputs under check_finite=False. Each is refused
with a ValueError that names the argument or answered with error_bound = inf on the rows it touches;
a Hypothesis sweep over extreme scales and magnitudes, denormals flushed or not, checks that every
row is refused or certified against the 50-digit dense attention. Regression tests of three holes a
review found (a wrong answer with a small error_bound); interpreter cases stay tiny."""

from __future__ import annotations

import math
import re
from contextlib import contextmanager

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import natsparse.kernels as nk
from tests.test_kernels.helpers import TRITON, mp_truth, topk_set

BACKENDS = ["torch", TRITON]
MODES = [(nk.topk_attention, dict(top_k=1)), (nk.mass_attention, dict(max_tail=0.1)),
         (nk.threshold_attention, dict(eps=0.1))]


def _t(rows, dtype=torch.float32, backend="torch"):
    """A (1, 1, L, E) tensor, on the device the backend runs on."""
    t = torch.tensor(rows, dtype=torch.float64).to(dtype).reshape(1, 1, len(rows), -1)
    return t.cuda() if backend == "triton" else t


def _flushing() -> bool:
    """Whether this thread flushes float32 subnormals to zero now (torch has no getter)."""
    return float(torch.tensor([2.0**-126]) / 2) == 0.0


@contextmanager
def flush_denormal(on: bool):
    """torch.set_flush_denormal(on) inside, the previous setting restored after."""
    before = _flushing()
    if on and not torch.set_flush_denormal(True):
        pytest.skip("this CPU cannot flush denormals")
    try:
        torch.set_flush_denormal(on)
        yield
    finally:
        torch.set_flush_denormal(before)


def certified_or_refused(fn, q, k, v, *, scale, **kw):
    """fn(..., return_stats=True) raises a one-line ValueError (returned) or returns (out, stats) with,
    on every row, error_bound ≥ ‖out − o‖₂ against the 50-digit dense attention o of the inputs (an
    infinite bound holds anything; NaN is never a bound)."""
    try:
        out, st_ = fn(q, k, v, scale=scale, return_stats=True, **kw)
    except ValueError as exc:
        assert "\n" not in str(exc)
        return exc
    mask = kw.get("attn_mask")
    bias = None if mask is None else mask.expand(*q.shape[:-1], k.shape[-2]).double().cpu().numpy()
    truth = mp_truth(q, k, v, scale, False, topk_set(1), bias=bias)
    err = np.linalg.norm(out.double().cpu().numpy() - truth.o, axis=-1)
    bound = st_.error_bound.cpu().numpy()
    assert not np.isnan(bound).any(), "error_bound must never be NaN"
    bad = ~((bound == np.inf) | (err <= bound))
    assert not bad.any(), f"certificate violated: error {err[bad]}, bound {bound[bad]}"
    return out, st_


def refused(res, pattern: str) -> None:
    assert isinstance(res, ValueError), f"expected a ValueError matching {pattern!r}, got a certificate"
    assert re.match(pattern, str(res)), str(res)


# ----------------------------------------------------------------------------- hole 1: overflow
@pytest.mark.parametrize("check_finite", [True, False])
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_scale_above_the_float32_maximum_is_refused(backend, check_finite):
    """Hole 1: scale = 1e40 is a finite float but inf in float32, so every score was NaN/inf, the
    row looked fully masked and came back 0 with error_bound 0 (the exact answer is 1)."""
    q, k, v = _t([[1e-20, -1e-20]], backend=backend), _t([[1, 1], [2, 1]], backend=backend), \
        _t([[0.0], [1.0]], backend=backend)
    for res in [certified_or_refused(fn, q, k, v, scale=1e40, backend=backend, check_finite=check_finite,
                                     **kw) for fn, kw in MODES]:
        refused(res, r"scale = 1e\+40 overflows float32")


def test_scale_times_query_overflow_on_the_torch_backend_is_never_certified():
    """Hole 1: |scale|·‖q‖·‖k‖ = 2e10 passes the score check, but the torch backend scales q first
    and 1e30·1e10 overflows float32: refused up front, or (check_finite=False) error_bound = inf."""
    q, k, v = _t([[1e10, -1e10]]), _t([[1e-10, 1e-10], [2e-10, 1e-10]]), _t([[0.0], [1.0]])
    for res in [certified_or_refused(fn, q, k, v, scale=1e30, backend="torch", **kw) for fn, kw in MODES]:
        refused(res, r"scale \* query overflows float32")
    for fn, kw in MODES:
        _, st_ = certified_or_refused(fn, q, k, v, scale=1e30, backend="torch", check_finite=False, **kw)
        assert st_.error_bound.item() == math.inf


def test_float64_scores_that_overflow_are_refused():
    """Hole 1 in float64, where the overflow check was skipped: scores beyond 1.8e308, and scale·q
    beyond it with finite scores."""
    f64 = torch.float64
    v = _t([[0.0], [1.0]], f64)
    q, k = _t([[1e150, -1e150]], f64), _t([[1e150, 1e150], [2e150, 1e150]], f64)
    refused(certified_or_refused(nk.topk_attention, q, k, v, top_k=1, scale=1e10),
            r"scale\*max\|q_i\|\*max\|k_j\| = .* must be below the float64 maximum")
    q, k = _t([[1e150, -1e150]], f64), _t([[1e-150, 1e-150], [2e-150, 1e-150]], f64)
    for res in [certified_or_refused(fn, q, k, v, scale=1e200, **kw) for fn, kw in MODES]:
        refused(res, r"scale \* query overflows float64")
    for fn, kw in MODES:
        _, st_ = certified_or_refused(fn, q, k, v, scale=1e200, check_finite=False, **kw)
        assert st_.error_bound.item() == math.inf


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy (the interpreter) overflowing on purpose
@pytest.mark.parametrize("backend", BACKENDS)
def test_an_additive_mask_that_overflows_the_scores_is_never_certified(backend):
    """Scores near the float32 maximum plus a finite mask: +inf (a row max of inf) or −inf (a key that
    looks masked). The kernel's row numbers show it: a ValueError, or error_bound = inf."""
    q = _t([[1.3e19, 1.3e19], [1.3e19, 1.3e19]], backend=backend)
    k = _t([[1.3e19, 1.3e19], [-1.3e19, -1.3e19], [0.0, 0.0]], backend=backend)
    v = _t([[0.0], [1.0], [2.0]], backend=backend)
    mask = torch.tensor([[1e38, 0.0, 0.0], [0.0, -1e38, 0.0]], device=q.device).reshape(1, 1, 2, 3)
    for res in [certified_or_refused(fn, q, k, v, attn_mask=mask, scale=1.0, backend=backend, **kw)
                for fn, kw in MODES]:
        refused(res, r"scores overflow float32 inside the kernel on 2 row\(s\) \(first: row 0\)")
    for fn, kw in MODES:
        _, st_ = certified_or_refused(fn, q, k, v, attn_mask=mask, scale=1.0, backend=backend,
                                      check_finite=False, **kw)
        assert torch.all(st_.error_bound == math.inf)


# ----------------------------------------------------------------------------- hole 2: flushed scale
@pytest.mark.parametrize("flush", [True, False])
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_subnormal_scale_is_refused(backend, flush):
    """Hole 2: with denormals flushed, scale = 5e-39 (subnormal in float32) became 0 inside the kernel:
    uniform weights, an error of 0.12 against a bound of 4e-6. A subnormal scale is refused, flushed
    or not (it has lost relative precision either way)."""
    q = _t([[1e19, 0.5e19]], backend=backend)
    k = _t([[1e19, 0.0], [-1e19, 1e19], [0.3e19, 0.2e19]], backend=backend)
    v = _t([[0.0], [1.0], [2.0]], backend=backend)
    with flush_denormal(flush):
        results = [certified_or_refused(fn, q, k, v, scale=5e-39, backend=backend, **kw) for fn, kw in MODES]
    for res in results:
        refused(res, r"scale = 5e-39 is subnormal in float32")


@pytest.mark.parametrize("backend", BACKENDS)
def test_flushed_subnormal_products_are_covered_by_the_bound(backend):
    """Hole 2 without a subnormal scale: the Triton kernel forms q·kᵀ = ±1e-38 (subnormal), then scales
    it by 3e38; with denormals flushed the scores became 0 instead of ±3 (an error of 0.9 against a
    bound of 4e-6). The certificate now charges every rounding an absolute error of the smallest
    normal number (scaled by |scale| where it is applied after), so the bound covers it."""
    q = _t([[1e-19, 0.0]], backend=backend)
    k = _t([[1e-19, 0.0], [-1e-19, 0.0], [0.0, 0.0]], backend=backend)
    v = _t([[0.0], [1.0], [2.0]], backend=backend)
    with flush_denormal(True):
        for fn, kw in MODES:
            assert isinstance(certified_or_refused(fn, q, k, v, scale=3e38, backend=backend, **kw), tuple)


# ----------------------------------------------------------------------------- hole 3: NaN inputs
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy (the interpreter) overflowing on purpose
@pytest.mark.parametrize("backend", BACKENDS)
def test_nan_or_inf_inputs_without_the_finiteness_check_get_an_infinite_bound(backend):
    """Hole 3: check_finite=False with a NaN in q returned 0 with error_bound 0 and τ 0. Now every row
    that a NaN or Inf input reaches has error_bound = inf; the other rows keep a finite certificate."""
    q = _t([[math.nan, 1.0], [0.5, -1.0], [math.inf, 0.0]], backend=backend)
    k = _t([[1, 1], [2, 1], [0, -1]], backend=backend)
    v = _t([[0.0], [1.0], [2.0]], backend=backend)
    for fn, kw in MODES:
        out, st_ = fn(q, k, v, scale=1.0, return_stats=True, backend=backend, check_finite=False, **kw)
        bound = st_.error_bound.reshape(-1)
        assert bound[0] == math.inf and bound[2] == math.inf
        assert math.isfinite(bound[1])
        clean = q[:, :, 1:2]
        truth = mp_truth(clean, k, v, 1.0, False, topk_set(1))
        assert np.linalg.norm(out[0, 0, 1].double().cpu().numpy() - truth.o[0, 0, 0]) <= float(bound[1])
        for bad_k, bad_v in ((k.clone().index_fill_(2, torch.tensor([1], device=k.device), math.nan), v),
                             (k, v.clone().fill_(math.inf))):
            _, st_ = fn(q[:, :, 1:2], bad_k, bad_v, scale=1.0, return_stats=True, backend=backend,
                        check_finite=False, **kw)
            assert st_.error_bound.item() == math.inf


# ----------------------------------------------------------------------------- property
_FLOATS = st.floats(-4, 4, allow_nan=False, width=32)


@st.composite
def extreme_cases(draw, dtypes=(torch.float32, torch.float64)):
    """Tiny shapes; scale ±10^[-45, 40], q and k of magnitudes 10^[-30, 30], entries of mixed signs;
    check_finite on or off (off, nothing is refused up front), denormals flushed or not."""
    m, n, d, dv = (draw(st.integers(1, hi)) for hi in (3, 5, 3, 2))
    dtype = draw(st.sampled_from(dtypes))

    def tensor(rows, cols, lo, hi):
        mag = 10.0 ** draw(st.floats(lo, hi))
        vals = draw(st.lists(_FLOATS, min_size=rows * cols, max_size=rows * cols))
        return torch.tensor(vals, dtype=torch.float64).reshape(1, 1, rows, cols).mul(mag).to(dtype)

    q, k, v = tensor(m, d, -30, 30), tensor(n, d, -30, 30), tensor(n, dv, -3, 3)
    # the edges of float32 (above its maximum, just below it, subnormal) often, else log-uniform
    edge = st.sampled_from([3e38, 1.2e-38, 1e38, 3.4e38, 5e-39, 1e-40, 1e-45, 1e40])
    magnitude = draw(st.one_of(edge, st.floats(-45, 40).map(lambda e: 10.0**e)))
    scale = draw(st.sampled_from([1.0, -1.0])) * magnitude
    mode = draw(st.sampled_from(["top_k", "max_tail", "eps"]))
    param = {"top_k": draw(st.integers(1, n)), "max_tail": draw(st.sampled_from([0.0, 0.1, 0.5])),
             "eps": draw(st.sampled_from([0.01, 0.3]))}[mode]
    return q, k, v, scale, {mode: param, "check_finite": draw(st.booleans())}, draw(st.booleans())


_FN = {"top_k": nk.topk_attention, "max_tail": nk.mass_attention, "eps": nk.threshold_attention}


def _check_extreme(case, backend):
    q, k, v, scale, kw, flush = case
    fn = _FN[next(iter(kw))]
    if backend == "triton":
        q, k, v = (t.cuda() for t in (q, k, v))
    with flush_denormal(flush):
        certified_or_refused(fn, q, k, v, scale=scale, backend=backend, **kw)


@settings(max_examples=80, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(case=extreme_cases())
def test_extreme_scales_are_refused_or_certified_torch(case):
    _check_extreme(case, "torch")


@settings(max_examples=10, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(case=extreme_cases(dtypes=(torch.float32,)))
def test_extreme_scales_are_refused_or_certified_triton(case):
    _check_extreme(case, TRITON)
