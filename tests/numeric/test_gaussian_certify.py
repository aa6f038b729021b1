"""arb certificates of the deterministic steps inside the Gaussian-model proofs, on sampled rows.

For each seeded row and the bound numbers L, t, M, k produced by numeric.gaussian, ball
arithmetic *proves* the implications the proofs use (a failed or undecided comparison fails):
- thm:sparse-whp: on Z >= L, every j has a_j <= eps or s_j > t = ln(eps L), hence
  #{a_j > eps} <= N_t;
- thm:error-whp (direct form): on Z >= L and N_t <= k, tau_k <= T_t / Z <= T_t / L;
- thm:polylog-insufficient: on Z >= L and max s <= M, max a_j <= e^M / L and
  tau_k >= 1 - k e^M / L (lem:max-weight).
"""

import math

import mpmath
import pytest
from flint import arb

from natsparse.numeric import gaussian as G
from natsparse.numeric import montecarlo as MC
from natsparse.numeric.arb import certainly_le, certainly_lt, exact, precision

DPS = 40


def ball(x) -> arb:
    """A ball containing the mpmath number x (through its decimal expansion)."""
    return arb(mpmath.nstr(mpmath.mpf(x), 40, strip_zeros=False))


def _row(s):
    xs = [exact(float(v)) for v in s]
    e = [x.exp() for x in xs]
    Z = sum(e[1:], e[0])
    return xs, e, Z


@pytest.mark.parametrize("n,beta,eps", [(64, 0.5, 0.05), (200, 2.0, 1e-2), (128, 3.5, 1e-3)])
def test_sparse_and_direct_implications_are_certified(n, beta, eps):
    sw = G.sparse_whp(n, beta, eps, 0.05)
    rows = MC.sample_scores(n, beta, 12, seed=17).numpy()
    proved = 0
    with precision(DPS):
        L = ball(sw["L"])
        t = (exact(str(eps)) * L).log()
        for s in rows:
            xs, e, Z = _row(s)
            if not certainly_le(L, Z):
                continue                            # off the event: nothing is claimed
            above_eps = 0
            for x, ej in zip(xs, e, strict=True):
                a = ej / Z
                assert certainly_le(a, exact(str(eps))) or certainly_lt(t, x)
                above_eps += certainly_lt(exact(str(eps)), a)
            n_t = sum(certainly_lt(t, x) for x in xs)
            assert n_t == sum(not certainly_le(x, t) for x in xs)      # every comparison decided
            assert above_eps <= n_t
            # direct form at k = N_t (the event N_t <= k with k = N_t): tau_k <= T_t / L
            k = max(1, n_t)
            order = sorted(range(n), key=lambda j: (-s[j], j))
            assert all(certainly_le(xs[j], t) for j in order[k:])       # tail within {s_j <= t}
            T_t = sum((ej for x, ej in zip(xs, e, strict=True) if certainly_le(x, t)), arb(0))
            assert certainly_le(T_t / Z, T_t / L)                      # so tau_k <= T_t/Z <= T_t/L
            proved += 1
    assert proved >= 10


@pytest.mark.parametrize("n,gamma", [(256, 0.25), (1024, 0.6)])
def test_polylog_implication_is_certified(n, gamma):
    beta = float(G.beta_of_gamma(n, gamma))
    k = math.ceil(math.log(n))
    poly = G.polylog_insufficient(n, beta, k, 0.05)
    rows = MC.sample_scores(n, beta, 8, seed=23).numpy()
    proved = 0
    with precision(DPS):
        L, M = ball(poly["L"]), ball(poly["M"])
        w_bound = M.exp() / L
        for s in rows:
            xs, e, Z = _row(s)
            smax = max(xs, key=lambda b: b.mid())
            if not (certainly_le(L, Z) and certainly_le(smax, M)):
                continue
            a_max = smax.exp() / Z
            assert certainly_le(a_max, w_bound)
            order = sorted(range(n), key=lambda j: (-s[j], j))
            tau = sum((e[j] for j in order[k:]), arb(0)) / Z
            assert certainly_le(1 - k * a_max, tau)                    # lem:max-weight
            assert certainly_le(1 - k * w_bound, tau)
            proved += 1
    assert proved >= 6
