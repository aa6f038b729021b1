"""Heavier, cached runs of the Gaussian-model experiments for the book (book/data/gaussian_*.json).

    python benchmarks/gaussian_experiments.py

Seeded; the book re-checks a small version of each live. Runs in about two minutes on two cores.
"""

from __future__ import annotations

import json
import math
import pathlib
import platform
import time

from natsparse.numeric import gaussian as G
from natsparse.numeric import montecarlo as MC
from natsparse.numeric import stats

OUT = pathlib.Path(__file__).resolve().parents[1] / "book" / "data"
SEED = 7


def scaling() -> dict:
    """k_eps (eps = 0.1) against n = 2^8..2^14 for gamma in 0.1, 0.25, 0.5, 0.75."""
    out = {}
    ns = [2**e for e in range(8, 15)]
    for gamma in (0.1, 0.25, 0.5, 0.75):
        mc, rule = [], []
        for n in ns:
            beta = float(G.beta_of_gamma(n, gamma))
            v = MC.collect(n, beta, max(64, 2**21 // n), [MC.k_eps_name(0.1)], eps_mass=(0.1,), seed=SEED + n)
            mc.append(float(v[MC.k_eps_name(0.1)].mean()))
            rule.append(float(G.k_eps_rule(beta, 0.1, n)["k"]))
        fit = [math.log(x) for x in ns]
        slope = _slope(fit, [math.log(x) for x in mc])
        out[str(gamma)] = {"n": ns, "k_eps": mc, "rule": rule, "slope": slope,
                           "rule_slope": _slope(fit, [math.log(x) for x in rule]), "limit": 1 - gamma}
    return out


def windows(gamma=0.5, C=0.9, k_fixed=4, rows=2000) -> dict:
    """tau for a fixed window and for ceil(n^C), n = 2^7..2^14 (medians and quartiles)."""
    out = {"gamma": gamma, "C": C, "k_fixed": k_fixed, "runs": {}}
    for n in [2**e for e in range(7, 15)]:
        beta = float(G.beta_of_gamma(n, gamma))
        ka = min(n, math.ceil(n**C))
        r = min(rows, max(200, 2**21 // n))
        v = MC.collect(n, beta, r, [MC.tau_name(k_fixed), MC.tau_name(ka)], k=(k_fixed, ka), seed=SEED + n)
        out["runs"][str(n)] = {"k_adaptive": ka, "fixed": v[MC.tau_name(k_fixed)].tolist(),
                               "adaptive": v[MC.tau_name(ka)].tolist()}
    return out


def phase(rows=300) -> dict:
    """Mass of the top 4 weights for gamma in 0..3, n in 2^8, 2^11, 2^14."""
    out = {}
    for gamma in (0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0):
        out[str(gamma)] = {}
        for n in (2**8, 2**11, 2**14):
            beta = float(G.beta_of_gamma(n, gamma))
            v = MC.collect(n, beta, min(rows, max(100, 2**20 // n)), [MC.tau_name(4)], k=(4,), seed=SEED + n)
            out[str(gamma)][str(n)] = (1 - v[MC.tau_name(4)]).tolist()
    return out


def whp(rows=200_000) -> dict:
    """thm:sparse-whp at delta = 1e-4: bound k, exact k, empirical quantile, failures, CP bounds."""
    out = []
    for n, beta, eps in [(256, 1.0, 1e-2), (256, 2.0, 1e-2), (1024, 2.0, 1e-3), (1024, 3.0, 1e-3)]:
        sw = G.sparse_whp(n, beta, eps, 1e-4)
        summ = MC.simulate(n, beta, rows, eps=(eps,), seed=SEED)
        name = MC.count_eps_name(eps)
        fails = summ.exceed(name, sw["k"])
        out.append({"n": n, "beta": beta, "eps": eps, "delta": 1e-4, "k": sw["k"],
                    "k_exact": sw["k_exact"],
                    "quantile": summ.quantile(name, 1 - 1e-4), "max": summ.moments[name].max,
                    "failures": fails, "rows": summ.trials,
                    "cp95_upper": stats.upper_bound(fails, rows, 0.05)})
    return {"rows": out}


def _slope(x, y) -> float:
    mx, my = sum(x) / len(x), sum(y) / len(y)
    return sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True)) / sum((a - mx) ** 2 for a in x)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    meta = {"seed": SEED, "machine": platform.processor() or platform.machine()}
    for name, fn in (("scaling", scaling), ("windows", windows), ("phase", phase), ("whp", whp)):
        t0 = time.perf_counter()
        data = {"meta": {**meta, "seconds": None}, "data": fn()}
        data["meta"]["seconds"] = round(time.perf_counter() - t0, 1)
        (OUT / f"gaussian_{name}.json").write_text(json.dumps(data))
        print(f"{name}: {data['meta']['seconds']} s -> book/data/gaussian_{name}.json")


if __name__ == "__main__":
    main()
