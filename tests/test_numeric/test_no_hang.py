"""Nothing hangs: the Gaussian bounds return (or refuse) on parameters where they used to loop forever.

Each call runs under a time limit enforced by the harness (SIGALRM): a call still running after
LIMIT seconds fails the test as a hang. This is not a timing assertion (a slow machine passes; only
a loop that never ends fails). The cases are the review's: an arb MGF ball that reached 0 made its
log NaN and `numeric.sharp._up` looped; a truncation grid of billions of points at beta = 1e10.
"""

from __future__ import annotations

import contextlib
import math
import signal

import pytest

from natsparse.numeric import gaussian as G
from natsparse.numeric import sharp

LIMIT = 120


@contextlib.contextmanager
def returns_within(seconds: int = LIMIT):
    def hung(_signum, _frame):
        raise TimeoutError(f"no return within {seconds} s: a hang")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize("args", [(300, 0.3, 0.05, 1e-2), (256, 0.5, 0.05, 1e-4), (1024, 1, 0.1, 1e-3),
                                  (4096, 0.5, 0.01, 1e-3)])
def test_sharp_bound_returns_and_is_certified(args):
    with returns_within():
        r = sharp.sparse_whp_sharp(*args)
    assert 0 <= r["k"] <= r["k_trivial"]
    assert r["capped"] or r["certified_bound"] <= args[3]


def test_a_failed_enclosure_is_vacuous_never_a_loop():
    from flint import arb

    assert sharp._up(arb("nan")) == math.inf and sharp._up(arb("inf")) == math.inf
    assert sharp._up(arb("0.1")) >= 0.1
    top = sharp._log_upper(arb(0, 1))                                # a ball around 0: log of its top
    assert top.is_finite() and top >= 0


@pytest.mark.parametrize("beta", [1e10, 1e50])
def test_sparse_whp_returns_at_huge_beta(beta):
    with returns_within():
        r = G.sparse_whp(4096, beta, 1e-3)
    assert r["k"] <= r["k_trivial"] == 999
