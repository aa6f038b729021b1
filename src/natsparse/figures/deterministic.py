"""Figures of the deterministic chapter (book/deterministic.md): tail mass and the gap bound.

    >>> from natsparse.figures.deterministic import tail_mass_curves
    >>> from natsparse.figures.style import unreadable
    >>> fig = tail_mass_curves({"row": [2.0, 1.0, 0.0]})
    >>> fig.axes[0].get_xlabel(), unreadable(fig)
    ('k (keys kept)', [])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch

from natsparse.numeric import batched
from natsparse.numeric.records import CheckRecord

from .style import PALETTE, column_figsize, plt


def tail_mass_curves(rows: Mapping[str, Sequence[float]]):
    """τ_k against k for each named row of scores (lem:tail-monotone, lem:max-weight).

    Left: τ_k on a linear scale between its certified bounds max(0, 1 − k·max a) below
    (lem:max-weight) and 1 − k/n above (lem:tail-monotone). Right: τ_k on a log scale.
    τ is computed in float64 by `natsparse.numeric.batched.tail_mass` for every k at once.
    """
    fig, (lin, log) = plt.subplots(1, 2, figsize=column_figsize(3.4), constrained_layout=True)
    for colour, (name, scores) in zip(PALETTE, rows.items(), strict=False):
        s = torch.as_tensor(np.asarray(scores, dtype=np.float64))
        n = s.numel()
        ks = np.arange(1, n + 1)
        tau = np.array([float(batched.tail_mass(s[None, :], int(k))[0]) for k in ks])
        amax = float(batched.softmax(s[None, :]).max())
        lin.plot(ks, tau, color=colour, lw=1.8, label=f"{name}: $\\tau_k$")
        lin.plot(ks, np.maximum(0.0, 1 - ks * amax), color=colour, lw=1, ls="--")
        pos = tau > 0
        log.semilogy(ks[pos], tau[pos], color=colour, lw=1.8, label=name)
    n_max = max(len(v) for v in rows.values())
    kk = np.arange(1, n_max + 1)
    lin.plot(kk, 1 - kk / n_max, color="0.4", lw=1, ls=":", label=f"$1-k/n$ (n={n_max})")
    lin.set(xlabel="k (keys kept)", ylabel="discarded mass $\\tau_k$", ylim=(-0.02, 1.02),
            title="between $1-k\\max a$ (dashed) and $1-k/n$")
    log.set(xlabel="k (keys kept)", ylabel="$\\tau_k$ (log scale)", title="$\\tau_k$ decays with k")
    lin.legend(loc="upper right")
    log.legend(loc="lower left")
    return fig


def gap_bound_scatter(records: Sequence[CheckRecord]):
    """Measured τ_k against each form of lem:gap-bound (records of `check_gap_bound`).

    Points on or above the diagonal mean the bound held; the diagonal is equality.
    """
    fig, ax = plt.subplots(figsize=column_figsize(4.2), constrained_layout=True)
    names = sorted({r.name for r in records})
    lo = np.inf
    for colour, marker, name in zip(PALETTE, "os^D", names, strict=False):
        pts = [(float(r.measured), float(r.bound)) for r in records
               if r.name == name and r.measured > 0 and r.bound > 0]
        if not pts:
            continue
        x, y = np.array(pts).T
        lo = min(lo, x.min(), y.min())
        ax.scatter(x, y, s=18, alpha=0.75, color=colour, marker=marker, label=name)
    lo = max(lo, 1e-300) if np.isfinite(lo) else 1e-6
    ax.plot([lo, 1], [lo, 1], color="0.3", lw=1, ls="--", label="bound = $\\tau_k$")
    ax.set(xscale="log", yscale="log", xlabel="measured $\\tau_k$", ylabel="bound",
           title="lem:gap-bound: every point above the diagonal")
    ax.legend()
    return fig
