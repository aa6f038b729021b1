"""experiments/audit.py: the certificate audit of top-k against dense attention.

On random float64 inputs the certificate ||o - o_hat|| <= stats.error_bound holds on every row in both
norms; rows that see no more than top_k keys have tau = 0; under causal masking vmax is taken over
the keys a row sees; `summarise` counts a violation when one is there, and `merge` adds summaries.
"""

from __future__ import annotations

import math

import pytest
import torch
from torch.nn import functional as F

from natsparse.experiments.audit import SLACK, Audit, audit, merge, summarise
from natsparse.kernels import topk_attention


def qkv(b=2, h=3, m=9, n=9, d=8, dv=5, seed=0, scale=2.0):
    g = torch.Generator().manual_seed(seed)
    q, k = (scale * torch.randn(b, h, x, d, generator=g, dtype=torch.float64) for x in (m, n))
    return q, k, torch.randn(b, h, n, dv, generator=g, dtype=torch.float64)


@pytest.mark.parametrize("ord", [2, math.inf])
@pytest.mark.parametrize("causal", [False, True])
def test_certificate_holds_on_every_row(ord, causal):
    q, k, v = qkv(m=9 if causal else 7, n=9, seed=1)
    a = audit(q, k, v, 3, is_causal=causal, ord=ord)
    assert a.tau.shape == a.error.shape == a.vmax.shape == a.bound.shape == q.shape[:-1]
    assert torch.all(a.error <= a.bound + SLACK * (1 + a.vmax))
    _, st = topk_attention(q, k, v, top_k=3, is_causal=causal, return_stats=True, backend="torch")
    assert torch.equal(a.bound, st.error_bound)
    # the rounding part of the bound is small in float64: the bound is 2 tau vmax_2 within 1e-10
    assert torch.all((a.bound - 2 * a.tau * audit(q, k, v, 3, is_causal=causal).vmax).abs() <= 1e-10)
    rows = a.tau[..., 3:] if causal else a.tau
    assert torch.all(rows > 0) and torch.all(a.error[..., 3:] > 0)  # top-3 of 9 keys really drops mass
    s = summarise(a)
    assert s["rows"] == q.shape[:-1].numel() and s["violations"] == 0
    assert 0 < s["max_ratio"] <= 1 and 0 < s["error_sum"] <= s["bound_sum"]


@pytest.mark.parametrize("ord", [2, math.inf])
def test_error_and_vmax_are_measured_in_the_norm_asked_for(ord):
    q, k, v = qkv(seed=2)
    a = audit(q, k, v, 2, ord=ord)
    dense = F.scaled_dot_product_attention(q, k, v)
    sparse, st = topk_attention(q, k, v, top_k=2, return_stats=True, backend="torch")
    torch.testing.assert_close(a.error, torch.linalg.vector_norm(dense - sparse, ord=ord, dim=-1),
                               rtol=0, atol=0)
    assert torch.equal(a.tau, st.tail_mass)
    want = torch.linalg.vector_norm(v, ord=ord, dim=-1).amax(-1, keepdim=True)
    assert torch.equal(a.vmax, want.expand_as(a.vmax))


def test_two_norm_dominates_the_entrywise_norm():
    q, k, v = qkv(seed=3)
    two, inf = audit(q, k, v, 2), audit(q, k, v, 2, ord=math.inf)
    assert torch.equal(two.tau, inf.tau)
    assert torch.all(inf.vmax <= two.vmax) and torch.all(inf.error <= two.error + 1e-15)


def test_rows_that_see_at_most_top_k_keys_have_tau_zero():
    q, k, v = qkv(seed=4)
    causal = audit(q, k, v, 4, is_causal=True)
    assert torch.all(causal.tau[..., :4] == 0) and torch.all(causal.tau[..., 4:] > 0)
    assert torch.all(causal.error[..., :4] <= SLACK)
    for top_k in (9, 50):  # top_k >= N keeps every key (50 is clamped to N)
        dense = audit(q, k, v, top_k)
        assert torch.all(dense.tau == 0) and torch.all(dense.bound <= 1e-11)  # rounding only
        assert summarise(dense)["violations"] == 0 and summarise(dense)["max_ratio"] == 0.0


def test_causal_vmax_uses_only_the_keys_a_row_sees():
    q, k, v = qkv(b=1, h=1, seed=5)
    v[..., -1, :] = 100.0  # the last key has by far the largest value; only the last row sees it
    norms = torch.linalg.vector_norm(v, dim=-1)
    a = audit(q, k, v, 2, is_causal=True)
    assert torch.equal(a.vmax, norms.cummax(-1).values)
    assert torch.all(a.vmax[..., :-1] < 100) and a.vmax[..., -1] == norms[..., -1]
    assert torch.all(audit(q, k, v, 2).vmax == norms[..., -1])  # not causal: every row sees it


def fake(error, bound, vmax=0.0):
    """An Audit made by hand (float64, like `audit`'s own)."""
    def t(x):
        return torch.tensor(x, dtype=torch.float64)
    return Audit(tau=t(bound) / 2, error=t(error), vmax=t([vmax] * len(bound)), bound=t(bound))


def test_summarise_counts_an_error_beyond_the_bound():
    slack = SLACK * (1 + 0.0)  # vmax = 0
    a = fake([0.1, 0.2 + 2 * slack, 0.3 + 0.5 * slack, 0.0], [0.2, 0.2, 0.3, 0.0])
    s = summarise(a)
    assert s["rows"] == 4 and s["violations"] == 1  # the row within the float64 allowance is not one
    assert s["max_ratio"] == pytest.approx(1 + 2 * slack / 0.2)
    assert s["bound_sum"] == pytest.approx(0.7) and s["error_sum"] == pytest.approx(0.6 + 2.5 * slack)
    assert summarise(fake([1.0], [0.5]))["violations"] == 1


def test_summarise_ignores_ratios_of_rounding():
    """Rows whose bound is within 1e3 allowances of zero measure rounding: no max_ratio from them."""
    s = summarise(fake([1e-13], [1e-13]))
    assert s["violations"] == 0 and s["max_ratio"] == 0.0


def test_merge_adds_counts_and_keeps_the_worst_ratio():
    p = summarise(fake([0.1, 0.3], [0.2, 0.4]))
    r = summarise(fake([0.5], [0.2]))
    m = merge([p, r])
    assert m["rows"] == 3 and m["violations"] == 1 and m["max_ratio"] == r["max_ratio"] == 2.5
    assert m["bound_sum"] == pytest.approx(0.8) and m["error_sum"] == pytest.approx(0.9)
    assert merge([]) == {"rows": 0, "violations": 0, "max_ratio": 0.0, "bound_sum": 0, "error_sum": 0}
