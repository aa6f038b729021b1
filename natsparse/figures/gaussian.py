"""Figures of the Gaussian-model chapters (book/gaussian.md, book/asymptotics.md).

Each function takes the JSON-ready dicts written by benchmarks/gaussian_experiments.py (or the
same structure computed live by natsparse.evidence.gaussian) and returns a matplotlib Figure made
through pyplot, so a notebook's inline backend shows it at the end of the cell.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .style import plt


def k_eps_scaling(runs: dict) -> Figure:
    """k_eps against n on log-log axes for each gamma: Monte Carlo, the k-eps rule, fitted slope."""
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for gamma, r in runs.items():
        ns, ks = np.asarray(r["n"], float), np.asarray(r["k_eps"], float)
        line, = ax.loglog(ns, ks, "o", label=f"γ={float(gamma):g}: Monte Carlo, slope {r['slope']:.3f}")
        ax.loglog(ns, r["rule"], "-", color=line.get_color(), alpha=0.6,
                  label=f"k-ε rule n·Φc(β+Φ⁻¹(ε)), slope {r['rule_slope']:.3f} (limit {r['limit']:.2f})")
    ax.set_xlabel("n")
    ax.set_ylabel("k_ε = min{k : τ_k ≤ ε}")
    ax.legend(fontsize=7)
    ax.set_title("k_ε against n, β² = 2γ ln n")
    return fig


def windows(run: dict, k_fixed: int, C: float) -> Figure:
    """Median tau against n for a fixed window and for k = ceil(n^C)."""
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ns = [int(n) for n in run]
    ax.semilogx(ns, [float(np.median(run[n]["fixed"])) for n in run], "o-", label=f"fixed k = {k_fixed}")
    ax.semilogx(ns, [float(np.median(run[n]["adaptive"])) for n in run], "s-", label=f"k = ⌈n^{C:g}⌉")
    ax.set_yscale("log")
    ax.set_xlabel("n")
    ax.set_ylabel("median τ_k")
    ax.legend()
    ax.set_title("Fixed against adaptive windows")
    return fig


def phase(runs: dict) -> Figure:
    """Median mass of the top-4 weights against gamma, one curve per n: collapse for gamma > 1."""
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    gammas = sorted(float(g) for g in runs)
    ns = sorted({int(n) for r in runs.values() for n in r})
    for n in ns:
        ax.plot(gammas, [float(np.median(runs[_key(runs, g)][_key(runs[_key(runs, g)], n)])) for g in gammas],
                "o-", label=f"n = {n}")
    ax.axvline(1.0, color="grey", ls="--", lw=1)
    ax.set_xlabel("γ  (β² = 2γ ln n)")
    ax.set_ylabel("median mass of the top 4 weights")
    ax.legend()
    ax.set_title("Phase diagram: attention collapse past γ = 1")
    return fig


def _key(d: dict, x):
    """The key of d equal to x as a number (JSON turns numeric keys into strings)."""
    return next(k for k in d if float(k) == float(x))
