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

import mpmath
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


# --- the whole domain: every Gaussian bound returns or refuses at its corners -------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from natsparse.numeric import bounds  # noqa: E402

#: per parameter, the corners of the domain `natsparse bound` accepts (beyond float64: 1e400, 1e-400,
#: n = 10^10000) and ordinary values; "n" as k means k = n
CORNERS = {
    "n": [1, 2, 4096, 10**100, 10**10000],
    "beta": [0, mpmath.mpf("1e-300"), 1, mpmath.mpf("1e10"), mpmath.mpf("1e400")],
    "eps": [mpmath.mpf("1e-400"), mpmath.mpf("1e-300"), 0.5, 1 - 1e-16],
    "delta": [mpmath.mpf("1e-400"), 1e-4, 0.999],
    "k": [1, "n"],
    "t": [0, mpmath.mpf("1e400"), -mpmath.mpf("1e400")],
    "gamma": [0, 0.5, 0.999],
    "C": [0.5, 1.5],
    "alpha": [1, mpmath.mpf("1e400")],
    "c": [0, 10],
    "theta": [None, 0.5],
}


@pytest.mark.parametrize("rid", sorted(bounds._FUNCTIONS))
@settings(max_examples=6, deadline=None)
@given(data=st.data())
def test_every_gaussian_bound_returns_or_refuses_at_the_corners_of_its_domain(rid, data):
    """Within LIMIT seconds (enforced by the harness), either numbers or a ValueError that says why;
    any other exception is a bug (once: mpmath's erfc overflowed at beta = 1e400)."""
    params = {name: data.draw(st.sampled_from(CORNERS.get(name, [1])), label=name)
              for name in bounds.parameters(rid)}
    if params.get("k") == "n":
        params["k"] = params.get("n", 1)
    with returns_within():
        try:
            bounds.evaluate(rid, **params)
        except ValueError as exc:
            assert str(exc) and "\n" not in str(exc)


@pytest.mark.parametrize("rid, params", [
    ("prop:k-eps-rule", {"beta": mpmath.mpf("1e400"), "eps": 0.5, "n": 2}),
    ("prop:norm-sparsity", {"beta": mpmath.mpf("1e400"), "eps": 0.5}),
])
def test_a_huge_beta_gives_a_tiny_fraction_not_an_overflow(rid, params):
    """mpmath's erfc overflowed (OverflowError) at arguments near 1e400; the fraction is ~e^{-beta^2/2}."""
    with returns_within():
        out = bounds.evaluate(rid, **params)
    assert 0 < out["fraction"] < mpmath.mpf("1e-1000")


def test_sharp_bound_returns_at_huge_beta_and_eps_near_one():
    """k = 0 has no M_above factor, but an arb 0 is truthy, so M_above was still integrated, over
    [0, 12 beta]: at beta = 1e10 a NaN ball in every cell, each retried at 4x precision inside
    acb.integral (C code, which SIGALRM cannot interrupt); over 400 s in all."""
    with returns_within():
        r = bounds.evaluate("thm:sparse-whp-sharp", n=4096, beta=mpmath.mpf("1e10"), eps=1 - 1e-16,
                            delta=0.999)
    assert r["k_trivial"] == 1 and 0 <= r["k"] <= 1
    assert r["capped"] or r["certified_bound"] <= 0.999
