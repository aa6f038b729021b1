"""Figures of the Gaussian-model chapters (book/gaussian.md, book/asymptotics.md).

Each function takes the JSON-ready dicts written by benchmarks/gaussian_experiments.py (or the
same structure computed live by natsparse.evidence.gaussian) and returns a matplotlib Figure made
through pyplot, so a notebook's inline backend shows it at the end of the cell.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .style import column_figsize, legend_below, plt


def k_eps_scaling(runs: dict) -> Figure:
    """k_eps against n on log-log axes for each gamma: Monte Carlo, the k-eps rule, fitted slope."""
    fig, ax = plt.subplots(figsize=column_figsize(6.2), layout="constrained")
    for gamma, r in runs.items():
        ns, ks = np.asarray(r["n"], float), np.asarray(r["k_eps"], float)
        line, = ax.loglog(ns, ks, "o", label=f"γ={float(gamma):g}: Monte Carlo, slope {r['slope']:.3f}")
        ax.loglog(ns, r["rule"], "-", color=line.get_color(), alpha=0.6,
                  label=f"k-ε rule n·Φc(β+Φ⁻¹(ε)), slope {r['rule_slope']:.3f} (limit {r['limit']:.2f})")
    ax.set_xlabel("n")
    ax.set_ylabel("k_ε = min{k : τ_k ≤ ε}")
    legend_below(fig, ax, ncols=1)
    ax.set_title("k_ε against n, β² = 2γ ln n")
    return fig


def windows(run: dict, k_fixed: int, C: float) -> Figure:
    """Median tau against n for a fixed window and for k = ceil(n^C)."""
    fig, ax = plt.subplots(figsize=column_figsize(4.2))
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
    fig, ax = plt.subplots(figsize=column_figsize(4.2))
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


def sharp_tightness(results: list[dict]) -> Figure:
    """k / empirical (1-delta)-quantile of N_eps at each grid point: the simple bound (Bernstein and
    exact quantile) against the sharp one (benchmarks/results/sharp_tightness.json's rows)."""
    fig, ax = plt.subplots(figsize=column_figsize(4.6))
    x = np.arange(len(results))
    labels = [f"{r['n']}\n{r['beta']:g}\n{r['eps']:g}\n{r['delta']:g}" for r in results]
    for key, mark, name in (("k_simple", "v", "simple, Bernstein"),
                            ("k_simple_exact", "^", "simple, exact quantile"),
                            ("k_sharp", "o", "sharp")):
        ax.plot(x, [r[key] / r["quantile"] for r in results], mark, label=name)
    ax.axhline(1.0, color="grey", lw=1)
    ax.axhline(1.15, color="grey", ls="--", lw=1, label="target 1.15")
    ax.set_xticks(x, labels)
    ax.set_ylabel("k / (1−δ)-quantile")
    ax.set_xlabel("n, β, ε, δ")
    ax.legend()
    ax.set_title(f"k against Monte Carlo ({results[0]['rows']:,} rows each)")
    fig.tight_layout()
    return fig


def exponent(rows: list[dict]) -> Figure:
    """ln(e^M / L) / ln n against log10 n for each gamma, with its limit -(1 - sqrt(gamma))^2, and
    L / E Z (thm:polylog-insufficient, lem:partition-lower); rows: {gamma, log10_n, exponent, L_over_EZ}."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=column_figsize(3.8))
    for gamma in sorted({r["gamma"] for r in rows}):
        rs = sorted((r for r in rows if r["gamma"] == gamma), key=lambda r: r["log10_n"])
        xs = [r["log10_n"] for r in rs]
        line, = ax.semilogx(xs, [r["exponent"] for r in rs], "o-", label=f"γ={gamma:g}")
        ax.axhline(-(1 - gamma ** 0.5) ** 2, color=line.get_color(), ls="--", lw=1)
        bx.semilogx(xs, [r["L_over_EZ"] for r in rs], "o-", color=line.get_color(), label=f"γ={gamma:g}")
    ax.set_xlabel("log10 n")
    ax.set_ylabel("ln(e^M / L) / ln n")
    ax.set_title("exponent (dashed: limit)")
    ax.legend()
    bx.set_xlabel("log10 n")
    bx.set_ylabel("L / E Z")
    bx.set_ylim(0, 1.05)
    bx.set_title("lower bound on Z")
    fig.tight_layout()
    return fig
