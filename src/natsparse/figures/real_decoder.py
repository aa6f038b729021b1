"""Figures of book/real_decoder.md, drawn from the report of `natsparse.experiments.real_decoder.study`
(book/data/real_decoder.json): each function takes the report dict and returns a matplotlib Figure.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .style import PALETTE, column_figsize, legend_below, plt

_LAYERS = plt.get_cmap("viridis")


def k_eps_by_layer(report: dict, eps: str = "0.05") -> Figure:
    """Median k_ε over heads against n, one line per layer (dark = early), beside k = n."""
    law = report["law"]
    ns = law["lengths"]
    L = len(law["by_layer"])
    fig, ax = plt.subplots(figsize=column_figsize(4.2))
    for la in range(L):
        k = np.median([h[f"k_{eps}"] for h in law["heads"] if h["layer"] == la], axis=0)
        ax.loglog(ns, k, "-", color=_LAYERS(la / max(L - 1, 1)), lw=1.2)
    ax.loglog(ns, ns, "k--", lw=1, label="k = n")
    ax.set_xlabel("context length n")
    ax.set_ylabel(f"median k_ε over heads (ε = {eps})")
    ax.set_title("k_ε against n, one line per layer (dark = early)")
    ax.legend()
    fig.tight_layout()
    return fig


def exponents(report: dict) -> Figure:
    """Per layer, the fitted C of k_ε ~ n^C with its 95% bootstrap interval, for ε = 0.05 with and
    without the sink token, and ε = 0.01."""
    rows = report["law"]["by_layer"]
    x = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=column_figsize(4.6), layout="constrained")
    fits = (("0.05", "ε = 0.05"), ("0.05_nosink", "ε = 0.05, sink apart"), ("0.01", "ε = 0.01"))
    for off, (key, label) in zip((-0.22, 0.0, 0.22), fits, strict=True):
        c = np.array([r[f"C_{key}"] for r in rows])
        ci = np.array([r[f"C_{key}_ci"] for r in rows])
        ax.errorbar(x + off, c, yerr=[c - ci[:, 0], ci[:, 1] - c], fmt="o", ms=3, capsize=0, label=label)
    ax.axhline(1, color="k", lw=0.8, ls="--")
    ax.set_xlabel("layer")
    ax.set_ylabel("fitted C")
    ax.set_title("Exponent of k_ε ~ n^C per layer (95% bootstrap intervals)")
    legend_below(fig, ax, ncols=3)
    return fig


def sink(report: dict) -> Figure:
    """Median attention-sink mass (on token 0) per layer at each n."""
    law = report["law"]
    L = len(law["by_layer"])
    fig, ax = plt.subplots(figsize=column_figsize(4.4), layout="constrained")
    for i, n in enumerate(law["lengths"]):
        m = [np.median([h["sink"][i] for h in law["heads"] if h["layer"] == la]) for la in range(L)]
        colour = plt.get_cmap("plasma")(i / max(len(law["lengths"]) - 1, 1))
        ax.plot(range(L), m, "o-", ms=3, lw=1, color=colour, label=f"n = {n}")
    ax.set_xlabel("layer")
    ax.set_ylabel("median mass on token 0")
    ax.set_ylim(0, 1)
    ax.set_title("The attention sink")
    legend_below(fig, ax, ncols=4)
    return fig


def perplexity_gap(report: dict) -> Figure:
    """Relative perplexity gap to dense attention against n, one line per window rule (log scale)."""
    rows = [r for r in report["inference"]["rows"] if r["kind"] != "dense"]
    fig, ax = plt.subplots(figsize=column_figsize(4.8), layout="constrained")
    rules = list(dict.fromkeys(r["rule"] for r in rows))
    styles = {"fixed": "o-", "log": "s--", "power": "D-", "mass": "^:"}
    for i, rule in enumerate(rules):
        rs = [r for r in rows if r["rule"] == rule]
        ax.semilogx([r["n"] for r in rs], [max(r["rel_gap"], 1e-5) for r in rs], styles[rs[0]["kind"]],
                    color=PALETTE[i % len(PALETTE)] if i < len(PALETTE) else "0.4", label=rule)
    ax.set_yscale("log")
    ax.set_xlabel("context length n")
    ax.set_ylabel("perplexity / dense − 1")
    ax.set_title("Perplexity gap to dense attention")
    legend_below(fig, ax, ncols=4)
    return fig


def cost_against_gap(report: dict) -> Figure:
    """Mean kept fraction (the cost) against the relative perplexity gap, per rule and n."""
    rows = [r for r in report["inference"]["rows"] if r["kind"] != "dense"]
    fig, ax = plt.subplots(figsize=column_figsize(4.2))
    ns = sorted({r["n"] for r in rows})
    marks = {"fixed": "o", "log": "s", "power": "D", "mass": "^"}
    for kind, m in marks.items():
        rs = [r for r in rows if r["kind"] == kind]
        if rs:
            ax.scatter([r["kept_fraction"] for r in rs], [max(r["rel_gap"], 1e-5) for r in rs], marker=m,
                       c=[ns.index(r["n"]) for r in rs], cmap="viridis", vmin=0, vmax=max(len(ns) - 1, 1),
                       label=kind)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("mean kept fraction of the visible keys (scored rows)")
    ax.set_ylabel("perplexity / dense − 1")
    ax.set_title(f"Cost against gap (colour: n = {', '.join(map(str, ns))}, dark = short)")
    ax.legend()
    fig.tight_layout()
    return fig
