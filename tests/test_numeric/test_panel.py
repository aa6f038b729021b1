"""The seeded panels: edge rows, random rows, the tight rows of each result, and what they count."""

import math

import mpmath
import numpy as np
import pytest

from natsparse.numeric import CHECKS, mp
from natsparse.numeric.panel import (
    GAPS,
    edge_rows,
    inputs,
    just_below,
    random_rows,
    run_panel,
    tight_panel,
    tight_rows,
    two_level,
    worst_values,
)
from natsparse.numeric.records import informative

#: relations whose bound the tight panel attains (ratio 1 up to rounding); the others have a
#: supremum that no input attains: tau_{k+1}/tau_k <= 1 - 1/(n-k), m eps / n eps = m/n < 1,
#: tau_thr < m eps (dropped weights are < eps), L_k < 1 - k/n (k < n needs a gap at the boundary)
ATTAINED = {
    ("lem:tail-identity", 0), ("lem:tail-identity", 1), ("lem:tail-identity", 2), ("lem:tail-identity", 3),
    ("lem:output-factorization", 0), ("thm:output-error", 0), ("thm:output-error", 1),
    ("lem:worst-case-error", 0), ("lem:eps-k-tail", 0), ("lem:eps-k-tail", 1), ("lem:gap-bound", 0),
    ("lem:gap-bound", 1), ("lem:topk-optimal", 0), ("lem:tail-monotone", 1), ("lem:max-weight", 0),
    ("lem:loss-gradient", 0), ("thm:threshold-error", 2)}
APPROACHED = {("thm:threshold-error", 0): 1e-15, ("lem:loss-gradient", 1): 1e-17,
              ("lem:tail-monotone", 0): 1e-3, ("thm:threshold-error", 1): 1e-3}


def test_edge_rows():
    rows = edge_rows()
    assert len(rows) == 13
    assert any(len(r) == 8 and not r.any() for r in rows)                     # dyadic all-equal
    assert any(len(r) == 1 for r in rows) and any(np.ptp(r) >= 2e4 for r in rows)


def test_random_rows_reach_n_max():
    """n is log-uniform in [2, n_max], n_max included (it was never drawn: n <= n_max - 1)."""
    sizes = {len(r) for r in random_rows(200, seed=5, n_max=4)}
    assert sizes == {2, 3, 4}
    assert max(len(r) for r in random_rows(60, seed=0)) <= 300


def test_topk_optimal_inputs_draw_other_sets_from_the_seed():
    """Every row was compared with the set of seed 0 (the same set for equal n and k): now each
    input carries its own seed, drawn from the panel's."""
    kws = inputs("lem:topk-optimal", [np.zeros(8)] * 12, seed=3)
    assert len({kw["seed"] for kw in kws}) == 12


@pytest.mark.parametrize("result_id", sorted(CHECKS))
def test_tight_rows_hold_and_are_tight(result_id):
    """On the tight panel every relation holds (arb finds no violation), every relation of the formula
    is informative somewhere, and each attained bound reaches measured/bound = 1 up to rounding."""
    recs = tight_panel(result_id)
    assert recs and all(r.passed and r.certified is not False for r in recs)
    gap: dict[int, mpmath.mpf] = {}        # per relation: the smallest 1 - ratio, at 50 digits
    for r in informative(recs):
        if math.isfinite(r.ratio):
            num, den = (r.bound, r.measured) if r.relation in ("ge", "gt") else (r.measured, r.bound)
            with mpmath.workdps(50):
                one_minus = 1 - num / den
            gap[r.relation_index] = min(gap.get(r.relation_index, mpmath.inf), one_minus)
    assert len(gap) == len({r.relation_index for r in recs})
    for index, g in gap.items():
        if (result_id, index) in ATTAINED:
            assert abs(g) <= 1e-12, (result_id, index, g)
        else:
            assert 0 < g <= APPROACHED[(result_id, index)], (result_id, index, g)


def test_tight_eps_are_dyadic():
    """The float eps of a tight row is the rational it stands for (a power of two), but the one
    threshold row the theory names (a = (0.406, 0.297, 0.297), eps = 0.3)."""
    for rid in ("lem:eps-k-tail", "thm:threshold-error"):
        eps = [kw["eps"] for kw in tight_rows(rid)]
        assert all(e == 2.0 ** round(math.log2(e)) for e in eps if e != 0.3)
    assert 0.3 in [kw["eps"] for kw in tight_rows("thm:threshold-error")]


def test_just_below():
    for n, k, p in ((10, 2, 4), (300, 1, 9), (3, 1, 2)):
        s = just_below(n, k, p)
        with mpmath.workdps(50):
            a = [mpmath.exp(x) / (k * mpmath.exp(s[0]) + n - k) for x in s]
            eps = mpmath.mpf(2) ** -p
            assert all(x > eps for x in a[:k]) and all(x < eps for x in a[k:])
            assert 1 - a[-1] / eps < 1e-15
        assert mp.count_above(s, eps=2.0 ** -p) == k
    with pytest.raises(ValueError, match="2\\^p > n"):
        just_below(8, 1, 3)


def test_worst_values_and_two_level():
    assert two_level(3, 2, GAPS[1]).tolist() == [2.0 ** -40, 2.0 ** -40, 0.0]
    V = worst_values(np.zeros(3), [0], (0.5, 0.5))
    assert V.tolist() == [[-0.5, -0.5], [0.5, 0.5], [0.5, 0.5]]


def test_tight_rows_of_an_unknown_result():
    with pytest.raises(KeyError, match="has no check"):
        tight_rows("lem:nope")


def test_informative_leaves_out_the_vacuous_records():
    recs = run_panel("lem:gap-bound", [two_level(8, 3, 700.0), two_level(8, 3, 1.0)], seed=0)
    assert any(r.vacuous for r in recs) and informative(recs) == [r for r in recs if not r.vacuous]
    assert all(r.passed for r in recs)
