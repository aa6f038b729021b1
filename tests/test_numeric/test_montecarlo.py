"""numeric.montecarlo: per-row statistics against the mpmath reference, streaming, seeds, bad input."""

import math

import mpmath
import numpy as np
import pytest
import torch

from natsparse.numeric import montecarlo as MC
from natsparse.numeric import mp


def test_row_stats_match_the_mpmath_reference():
    s = MC.sample_scores(40, 2.5, 6, seed=3)
    ks, eps, ts = (1, 3, 17, 40), (0.01, 0.2), (0.0, 2.5)
    fast = MC.row_stats(s, MC.Request(40, k=ks, eps=eps, t=ts))
    full = MC.row_stats(s, MC.Request(40, k=ks, eps=eps, t=ts, eps_mass=(0.05, 0.5)))
    for i, row in enumerate(s.numpy()):
        a = mp.softmax(row)
        assert float(fast["lse"][i]) == pytest.approx(float(mp.logsumexp(row)), rel=1e-14)
        assert float(fast["max_weight"][i]) == pytest.approx(float(max(a)), rel=1e-13)
        for k in ks:
            tau = float(mp.tail_mass(row, k=k))
            ulps = 8 * np.finfo(np.float64).eps * max(1.0, abs(float(fast["lse"][i])))   # 1 - head mass
            assert float(fast[MC.tau_name(k)][i]) == pytest.approx(tau, abs=ulps)
            assert float(full[MC.tau_name(k)][i]) == pytest.approx(tau, rel=1e-12, abs=1e-300)
        for e in eps:
            assert int(fast[MC.count_eps_name(e)][i]) == sum(x > e for x in a)
        for t in ts:
            assert int(fast[MC.count_t_name(t)][i]) == int((row > t).sum())
        for e in (0.05, 0.5):
            k_eps = next(k for k in range(1, 41) if mp.tail_mass(row, k=k) <= e)
            assert int(full[MC.k_eps_name(e)][i]) == k_eps


def test_streaming_summary_equals_the_direct_computation():
    kw = dict(k=(4, 32), eps=(1e-2,), t=(1.0,))
    summ = MC.simulate(300, 1.5, 2500, seed=11, batch_rows=700, **kw)
    rows = MC.collect(300, 1.5, 2500, ["lse", MC.tau_name(4), MC.count_eps_name(1e-2)], seed=11, **kw)
    # collect uses the default batch size; same seed and the same stream of normals give the same rows
    assert summ.trials == 2500
    assert summ.moments["lse"].mean == pytest.approx(rows["lse"].mean(), rel=1e-12)
    assert summ.moments["lse"].std == pytest.approx(rows["lse"].std(ddof=1), rel=1e-9)
    assert summ.moments[MC.tau_name(4)].max == rows[MC.tau_name(4)].max()
    counts = rows[MC.count_eps_name(1e-2)]
    for level in (-1.5, 0, 10, int(np.median(counts)), 299.5, 10**6):
        assert summ.exceed(MC.count_eps_name(1e-2), level) == int((counts > level).sum())
    q = summ.quantile(MC.count_eps_name(1e-2), 0.9)
    assert (counts <= q).mean() >= 0.9 > (counts <= q - 1).mean()


def test_seeded_and_reproducible():
    a = MC.simulate(64, 1.0, 500, k=(8,), seed=5)
    b = MC.simulate(64, 1.0, 500, k=(8,), seed=5)
    c = MC.simulate(64, 1.0, 500, k=(8,), seed=6)
    assert a.as_dict() == b.as_dict() and a.as_dict() != c.as_dict()


def test_memory_is_bounded_by_the_batch():
    sizes = [b.numel() for b in MC.score_batches(4096, 1.0, 5000)]
    assert max(sizes) <= MC.ELEMENTS_PER_BATCH and sum(sizes) == 4096 * 5000
    summ = MC.simulate(4096, 1.0, 600, eps=(1e-3,))
    assert summ.hist[MC.count_eps_name(1e-3)].shape == (4097,)     # O(n), not O(trials)


def test_above_below_counters_and_progress_bar():
    summ = MC.simulate(128, 2.0, 800, k=(4,), above={MC.tau_name(4): 0.5}, below={"lse": 6.0},
                       seed=2, progress=True)
    rows = MC.collect(128, 2.0, 800, [MC.tau_name(4), "lse"], k=(4,), seed=2)
    assert summ.above[(MC.tau_name(4), 0.5)] == int((rows[MC.tau_name(4)] > 0.5).sum())
    assert summ.below[("lse", 6.0)] == int((rows["lse"] < 6.0).sum())


def test_scores_have_the_model_distribution():
    """Pooled standardized scores: the fraction above 1 lies within 6 sigma of Phi_c(1) (p < 1e-8)."""
    s = MC.sample_scores(1000, 3.0, 200, seed=9).numpy() / 3.0
    p = 0.5 * math.erfc(1 / math.sqrt(2))
    assert abs((s > 1).mean() - p) <= 6 * math.sqrt(p * (1 - p) / s.size)


def test_model_scores_are_conditionally_gaussian_with_the_stated_beta():
    scores, beta = MC.sample_model_scores(50, 8, 30, sigma=0.7, seed=4)
    g = torch.Generator().manual_seed(4)
    wq = torch.randn(30, 8, 8, generator=g, dtype=torch.float64) / math.sqrt(8)
    wk = torch.randn(30, 8, 8, generator=g, dtype=torch.float64) / math.sqrt(8)
    x = torch.randn(30, 8, generator=g, dtype=torch.float64)
    w = wq @ wk.transpose(-1, -2)
    wtx = (w.transpose(-1, -2) @ x[..., None]).squeeze(-1)
    assert torch.allclose(beta, 0.7 * wtx.norm(dim=-1) / math.sqrt(8))
    op = torch.linalg.matrix_norm(w, ord=2)                  # beta <= c sigma ||W||_op ||x||
    assert bool((beta <= 0.7 * op * x.norm(dim=-1) / math.sqrt(8) * (1 + 1e-12)).all())
    assert scores.shape == (30, 50)


@pytest.mark.parametrize("kw,exc,msg", [
    (dict(n=0, beta=1.0, trials=10), ValueError, "n must be a positive int"),
    (dict(n=10, beta=-1.0, trials=10), ValueError, "beta must be a finite real number >= 0"),
    (dict(n=10, beta="1", trials=10), TypeError, "beta must be a real number"),
    (dict(n=10, beta=1.0, trials=0), ValueError, "trials must be a positive int"),
    (dict(n=10, beta=1.0, trials=10, k=(11,)), ValueError, r"k must be an int in \[1, n=10\]"),
    (dict(n=10, beta=1.0, trials=10, eps=(1.0,)), ValueError, r"eps must be in \(0, 1\)"),
    (dict(n=10, beta=1.0, trials=10, t=(math.inf,)), ValueError, "t must be a finite real number"),
    (dict(n=10, beta=1.0, trials=10, above={"nope": 1.0}), ValueError, "unknown statistic"),
])
def test_bad_input(kw, exc, msg):
    with pytest.raises(exc, match=msg):
        MC.simulate(**kw)


def test_degenerate_beta_zero():
    summ = MC.simulate(10, 0.0, 20, k=(3,), eps=(0.05,))
    assert summ.moments["lse"].mean == pytest.approx(math.log(10))
    assert summ.moments[MC.tau_name(3)].max == pytest.approx(0.7)
    assert summ.exceed(MC.count_eps_name(0.05), 9) == 20
    with mpmath.workdps(15):
        assert summ.moments["max_weight"].min == pytest.approx(0.1)


def test_k_eps_and_tau_are_the_batched_definitions():
    """row_stats reads tau_k and k_eps off batched.tail_masses: the same numbers as batched's own."""
    from natsparse.numeric import batched

    s = torch.from_numpy(np.random.default_rng(5).normal(size=(64, 300)) * 2.5)
    for req in (MC.Request(n=300, k=(8, 40), eps_mass=(0.1, 0.01)), MC.Request(n=300, k=(8, 40))):
        stats = MC.row_stats(s, req)
        for level in req.eps_mass:
            assert torch.equal(stats[MC.k_eps_name(level)], batched.k_eps(s, level))
        for k in req.k:
            assert torch.allclose(stats[MC.tau_name(k)], batched.tail_mass(s, k), rtol=1e-13, atol=0)
