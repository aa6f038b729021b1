"""experiments/gaussian.py: small runs of the Gaussian-model runners (a few hundred rows, n <= 256)
have the documented shapes, repeat exactly for a seed, and are consistent with what they measure."""

from __future__ import annotations

import math

import numpy as np
import pytest

from natsparse.experiments import gaussian as runs
from natsparse.numeric import stats

NS = (64, 128, 256)


def rows(n):
    return 200


def test_scaling_returns_per_n_means_the_rule_and_both_slopes():
    r = runs.scaling(0.5, NS, rows, eps=0.1, seed=3)
    assert set(r) == {"n", "k_eps", "rule", "slope", "rule_slope", "limit"}
    assert r["n"] == list(NS) and len(r["k_eps"]) == len(r["rule"]) == 3 and r["limit"] == 0.5
    assert all(1 <= k <= n for k, n in zip(r["k_eps"], NS, strict=True))
    assert r["k_eps"] == sorted(r["k_eps"])  # more keys, more of them needed for 90 % of the mass
    assert r["slope"] == pytest.approx(stats.loglog_slope(NS, r["k_eps"]))
    assert 0 < r["rule_slope"] < 1 and 0 < r["slope"] < 1
    assert runs.scaling(0.5, NS, rows, eps=0.1, seed=3) == r
    assert runs.scaling(0.5, NS, rows, eps=0.1, seed=4)["k_eps"] != r["k_eps"]


def test_windows_tau_per_row_and_the_adaptive_window_drops_less():
    out = runs.windows(0.5, 0.6, 2, NS, lambda n: n, seed=1)
    assert list(out) == list(NS)
    for n, r in out.items():
        assert r["k_adaptive"] == min(n, math.ceil(n**0.6)) > 2
        assert r["fixed"].shape == r["adaptive"].shape == (n,)
        assert np.all((0 <= r["adaptive"]) & (r["adaptive"] <= r["fixed"]) & (r["fixed"] < 1))
        assert r["beta"] == pytest.approx(math.sqrt(2 * 0.5 * math.log(n)))
    again = runs.windows(0.5, 0.6, 2, NS, lambda n: n, seed=1)
    assert all(np.array_equal(again[n]["fixed"], out[n]["fixed"]) for n in NS)


def test_phase_is_the_top_mass_per_row():
    out = runs.phase(2.0, (32, 128), rows, top=4, seed=2)
    assert list(out) == [32, 128]
    for v in out.values():
        assert v.shape == (200,) and np.all((0 < v) & (v <= 1))
    assert np.array_equal(runs.phase(2.0, (32, 128), rows, top=4, seed=2)[128], out[128])
    assert np.all(runs.phase(2.0, (32,), rows, top=32, seed=2)[32] == 1)  # top = n keeps all the mass


def test_whp_frequency_counts_failures_among_its_rows():
    cases = [(128, 1.5, 0.05), (256, 2.0, 0.02)]
    out = runs.whp_frequency(cases, 0.1, 300, seed=5)
    assert [(r["n"], r["beta"], r["eps"]) for r in out] == cases
    for r in out:
        assert r["rows"] == 300 and 0 <= r["failures"] <= r["rows"] and r["delta"] == 0.1
        assert r["failures"] / 300 <= r["cp95_upper"] <= 1
        assert r["k_exact"] <= r["k"] and r["quantile"] <= r["max"] <= r["n"]
    assert runs.whp_frequency(cases, 0.1, 300, seed=5) == out


def test_whp_frequency_can_report_failures(monkeypatch):
    """With a claimed k below the counts the rows really have, the failures show (no rubber stamp)."""
    monkeypatch.setattr(runs.G, "sparse_whp", lambda n, beta, eps, delta: {"k": 0, "k_exact": 0})
    (r,) = runs.whp_frequency([(128, 2.0, 0.01)], 0.1, 300, seed=6)
    assert 0 < r["failures"] <= 300 and r["quantile"] >= 1
    assert r["cp95_upper"] >= r["failures"] / 300 > 0.1
