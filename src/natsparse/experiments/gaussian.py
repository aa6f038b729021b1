"""Runners of the Gaussian-model experiments, shared by the evidence, the book and the benchmark.

Each runner draws seeded rows of the Gaussian model (`numeric.montecarlo`) at beta = sqrt(2 gamma
ln n) and returns plain data: the evidence (`natsparse.evidence.gaussian`) runs small versions
live, `benchmarks/gaussian_experiments.py` runs large ones into book/data/gaussian_*.json.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from natsparse.numeric import gaussian as G
from natsparse.numeric import montecarlo as MC
from natsparse.numeric import stats


def scaling(gamma: float, ns: Sequence[int], rows: Callable[[int], int], *, eps: float = 0.1,
            seed: int = 0) -> dict:
    """Mean k_eps per n (Monte Carlo, `rows(n)` rows at seed + n) and the k-eps rule's
    n Phi_c(beta(n) + Phi^-1(eps)), with both fitted log-log slopes and the limit 1 - gamma.

    >>> r = scaling(0.5, (32, 64), lambda n: 50, seed=0)
    >>> r["n"], r["limit"], len(r["k_eps"]), r["k_eps"][0] < r["k_eps"][1]
    ([32, 64], 0.5, 2, True)
    """
    mc, rule = [], []
    for n in ns:
        beta = float(G.beta_of_gamma(n, gamma))
        v = MC.collect(n, beta, rows(n), [MC.k_eps_name(eps)], eps_mass=(eps,), seed=seed + n)
        mc.append(float(v[MC.k_eps_name(eps)].mean()))
        rule.append(float(G.k_eps_rule(beta, eps, n)["k"]))
    return {"n": list(ns), "k_eps": mc, "rule": rule, "slope": stats.loglog_slope(ns, mc),
            "rule_slope": stats.loglog_slope(ns, rule), "limit": 1 - gamma}


def windows(gamma: float, C: float, k_fixed: int, ns: Sequence[int], rows: Callable[[int], int], *,
            seed: int = 0) -> dict:
    """Per n: tau for the fixed window k_fixed and for k = ceil(n^C), per row (numpy arrays).

    >>> out = windows(0.5, 0.5, 2, (64,), lambda n: 20, seed=0)
    >>> out[64]["k_adaptive"], out[64]["fixed"].shape
    (8, (20,))
    >>> bool((out[64]["adaptive"] <= out[64]["fixed"]).all())  # lem:tail-monotone: k = 8 drops less
    True
    """
    out = {}
    for n in ns:
        beta = float(G.beta_of_gamma(n, gamma))
        ka = min(n, math.ceil(n**C))
        v = MC.collect(n, beta, rows(n), [MC.tau_name(k_fixed), MC.tau_name(ka)], k=(k_fixed, ka),
                       seed=seed + n)
        out[n] = {"beta": beta, "k_adaptive": ka, "fixed": v[MC.tau_name(k_fixed)],
                  "adaptive": v[MC.tau_name(ka)]}
    return out


def phase(gamma: float, ns: Sequence[int], rows: Callable[[int], int], *, top: int = 4,
          seed: int = 0) -> dict:
    """Per n: the mass of the top `top` weights, 1 - tau_top, per row (numpy arrays).

    >>> v = phase(2.0, (32,), lambda n: 10, top=4, seed=0)[32]
    >>> v.shape, bool(((0 < v) & (v <= 1)).all())
    ((10,), True)
    """
    return {n: 1 - MC.collect(n, float(G.beta_of_gamma(n, gamma)), rows(n), [MC.tau_name(top)], k=(top,),
                              seed=seed + n)[MC.tau_name(top)] for n in ns}


def whp_frequency(cases: Sequence[tuple[int, float, float]], delta: float, rows: int, *,
                  seed: int = 0) -> list[dict]:
    """thm:sparse-whp per (n, beta, eps): bound k, exact k, empirical (1 - delta)-quantile of
    #{a_j > eps}, failures over `rows` rows and their Clopper–Pearson 95% upper bound.

    >>> (r,) = whp_frequency([(128, 1.5, 0.05)], 0.1, 100, seed=0)
    >>> r["rows"], 0 <= r["failures"] <= r["rows"], r["k_exact"] <= r["k"]
    (100, True, True)
    """
    out = []
    for n, beta, eps in cases:
        sw = G.sparse_whp(n, beta, eps, delta)
        summ = MC.simulate(n, beta, rows, eps=(eps,), seed=seed)
        name = MC.count_eps_name(eps)
        fails = summ.exceed(name, sw["k"])
        out.append({"n": n, "beta": beta, "eps": eps, "delta": delta, "k": sw["k"], "k_exact": sw["k_exact"],
                    "quantile": summ.quantile(name, 1 - delta), "max": summ.moments[name].max,
                    "failures": fails, "rows": summ.trials,
                    "cp95_upper": stats.upper_bound(fails, rows, 0.05)})
    return out

