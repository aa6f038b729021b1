"""The high-probability statements of the Gaussian model, held against seeded Monte Carlo.

Each test rejects "P(fail) <= delta" only when the one-sided Clopper–Pearson lower bound on the
failure rate, at level FALSE_ALARM / (number of comparisons), exceeds delta; so when every
statement is true, each test raises a false alarm with probability <= FALSE_ALARM = 1e-6.
"""

import math
import os

import pytest
from hypothesis import example, given, settings, target
from hypothesis import strategies as st

from natsparse.numeric import gaussian as G
from natsparse.numeric import montecarlo as MC
from natsparse.numeric import stats

FALSE_ALARM = 1e-6
EXAMPLES = 12
ROWS = 3000
WHP_ROWS = int(os.environ.get("NATSPARSE_WHP_ROWS", "100000"))
FLOAT_SLACK = 1e-12   # the engine's float64 error on weights and tau (bounds can be tight: beta = 0)


def _not_rejected(failures: int, rows: int, delta: float, comparisons: int) -> stats.RateCheck:
    r = stats.check_rate_at_most(failures, rows, delta, FALSE_ALARM / comparisons)
    assert not r.rejected, (f"{failures}/{rows} failures: CP lower bound {r.lower:.3g} > delta={delta}")
    return r


@settings(max_examples=EXAMPLES, deadline=None)
@given(n=st.integers(8, 512), beta=st.floats(0.0, 4.5), eps=st.floats(1e-3, 0.5), delta=st.floats(0.01, 0.3))
@example(n=256, beta=math.sqrt(2 * math.log(256)), eps=1e-2, delta=0.05)     # the collapse point
@example(n=8, beta=0.0, eps=0.1, delta=0.01)
def test_every_whp_statement_holds(n, beta, eps, delta):
    """thm:sparse-whp, lem:partition-lower, lem:count-upper, thm:error-whp (direct form) and
    thm:polylog-insufficient at (n, beta, eps, delta); beta ranges past sqrt(2 ln n).
    False alarm <= 1e-6 per test: 6 comparisons per example, (EXAMPLES + 2) examples, Bonferroni."""
    comparisons = 6 * (EXAMPLES + 2)
    sw = G.sparse_whp(n, beta, eps, delta)
    part = G.partition_lower(n, beta, delta)
    k_log = max(1, min(n, math.ceil(math.log(n))))
    poly = G.polylog_insufficient(n, beta, k_log, delta)
    k_dir = max(1, min(n, sw["k"]))
    direct = G.tail_bound_direct(n, beta, k_dir, delta)
    t = 0.0 if sw["t"] is None else float(sw["t"])
    cnt = G.count_upper(n, beta, t, delta)
    ks = sorted({k_dir, k_log})
    below = {MC.tau_name(k_log): float(poly["tau_lower"]) - FLOAT_SLACK}
    if not part["vacuous"]:
        below["lse"] = float(part["log_L"]) - FLOAT_SLACK
    summ = MC.simulate(n, beta, ROWS, k=ks, eps=(eps,), t=(t,), seed=hash((n, round(beta, 6))) % 2**31,
                       above={MC.tau_name(k_dir): float(direct["tau"]) + FLOAT_SLACK,
                              "max_weight": float(poly["max_weight"]) + FLOAT_SLACK}, below=below)
    name = MC.count_eps_name(eps)
    fails = {
        "sparse": summ.exceed(name, sw["k"]),
        "count": summ.exceed(MC.count_t_name(t), cnt["k_exact"]),
        "partition": summ.below.get(("lse", below.get("lse")), 0),
        "direct": summ.above[(MC.tau_name(k_dir), float(direct["tau"]) + FLOAT_SLACK)],
        "max_weight": summ.above[("max_weight", float(poly["max_weight"]) + FLOAT_SLACK)],
        "tau_lower": summ.below[(MC.tau_name(k_log), below[MC.tau_name(k_log)])],
    }
    for f in fails.values():
        _not_rejected(f, ROWS, delta, comparisons)
    if sw["k"] > 0 and not sw["vacuous"]:
        target(summ.quantile(name, 1 - delta) / sw["k"], label="empirical quantile / k")


@pytest.mark.slow
@pytest.mark.parametrize("n,beta,eps", [(256, 2.0, 1e-2), (256, 1.0, 1e-3)])
def test_whp_frequency_at_the_papers_delta(n, beta, eps):
    """exp:whp-frequency: thm:sparse-whp at delta = 1e-4 (the paper's 0.9999) on >= 1e5 rows.
    Rejects only if the CP lower bound at 1e-6 / 2 exceeds 1e-4 (false alarm <= 1e-6 per test);
    reports the frequency and its 95% CP upper bound, and checks the bound's k against the
    empirical 1 - delta quantile (k >= quantile is the content of the theorem)."""
    delta = 1e-4
    sw = G.sparse_whp(n, beta, eps, delta)
    summ = MC.simulate(n, beta, WHP_ROWS, eps=(eps,), seed=20260 + n)
    name = MC.count_eps_name(eps)
    fails = summ.exceed(name, sw["k"])
    r = _not_rejected(fails, summ.trials, delta, 2)
    print(f"n={n} beta={beta} eps={eps}: k={sw['k']} k_exact={sw['k_exact']} "
          f"quantile={summ.quantile(name, 1 - delta)} failures={fails}/{summ.trials} "
          f"CP95 upper={r.upper95:.2g}")
    assert summ.trials >= min(WHP_ROWS, 100_000)
