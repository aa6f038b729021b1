"""Figures of book/real_model.md, drawn from a report of `natsparse.experiments.real_model.study`.

Each function takes the report dict (as written to benchmarks/results/real_model.json) and returns
a matplotlib Figure made through pyplot, so a notebook's inline backend shows it.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .style import plt

_LAYER_COLOURS = plt.get_cmap("viridis")


def _colour(layer: int, layers: list[int]) -> tuple:
    return _LAYER_COLOURS(layers.index(layer) / max(len(layers) - 1, 1))


def k_eps_curves(report: dict) -> Figure:
    """Median k_eps against n per head (colour = layer), and measured against predicted at the largest n."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    ns = report["lengths"]
    for h in report["heads"]:
        a.loglog(ns, h["k_eps"], "-", color=_colour(h["layer"], report["layers"]), alpha=0.5, lw=1)
    a.loglog(ns, ns, "k--", lw=1, label="k = n")
    a.set_xlabel("n")
    a.set_ylabel(f"median k_ε (ε = {report['eps']})")
    a.set_title("k_ε against n, one line per head (dark = early layer)")
    a.legend(fontsize=8)
    sink = np.array([h["cls_mass"] + h["sep_mass"] for h in report["heads"]])
    meas = np.array([h["k_eps"][-1] for h in report["heads"]])
    pred = np.array([h["k_pred"][-1] for h in report["heads"]])
    sc = b.scatter(pred, meas, c=sink, cmap="magma_r", vmin=0, vmax=1, s=18)
    lim = [min(pred.min(), meas.min()) * 0.8, ns[-1] * 1.2]
    b.loglog(lim, lim, "k--", lw=1, label="measured = predicted")
    b.set_xlabel("prop:k-eps-rule: n·Φc(β̂ + Φ⁻¹(ε))")
    b.set_ylabel("measured median k_ε")
    b.set_title(f"n = {ns[-1]}: rule against measurement")
    b.legend(fontsize=8)
    fig.colorbar(sc, ax=b, label="mass on [CLS] + [SEP]")
    fig.tight_layout()
    return fig


def scale_and_norm(report: dict) -> Figure:
    """beta_hat against the weight prediction, and sparsity (mean k_eps/n) against ||W_h||_op."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    hs = report["heads"]
    colours = [_colour(h["layer"], report["layers"]) for h in hs]
    bp, bh = np.array([h["beta_pred"] for h in hs]), np.array([h["beta_hat"] for h in hs])
    a.scatter(bp, bh, c=colours, s=18)
    lim = [min(bp.min(), bh.min()) * 0.9, max(bp.max(), bh.max()) * 1.1]
    a.plot(lim, lim, "k--", lw=1, label="β̂ = β_pred")
    a.set_xlabel("β_pred = σ‖W_K,hᵀ q‖/√d  (lem:conditional-gaussian, isotropic σ)")
    a.set_ylabel("β̂ (std of a query's scores), median")
    a.set_title("Score scale: measured against the weights")
    a.legend(fontsize=8)
    b.scatter([h["w_op"] for h in hs], [h["sparsity"] for h in hs], c=colours, s=18)
    b.set_xlabel("‖W_Q,hᵀ W_K,h‖_op / √d")
    b.set_ylabel("mean k_ε / n over n")
    b.set_title("prop:norm-sparsity: weight norm against density")
    fig.tight_layout()
    return fig


def windows(report: dict) -> Figure:
    """Mean tau against n for the fixed window and for k = alpha n^C (cor:adaptive-window)."""
    ad, ns = report["adaptive"], report["lengths"]
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.semilogx(ns, ad["tau_fixed"], "o-", label=f"fixed k = {report['certificate']['k']}")
    ax.semilogx(ns, ad["tau_adaptive"], "s-", label=f"k = ⌈{ad['alpha']:.2f}·n^{ad['C']:.2f}⌉")
    ax.set_xlabel("n")
    ax.set_ylabel("mean τ_k over queries and heads")
    ax.set_ylim(0, 1)
    ax.legend()
    ax.set_title("Fixed against adaptive windows on the real model")
    return fig
