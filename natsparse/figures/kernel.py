"""Figures of the kernel chapter (book/kernel.md): the certificate against the error, benchmarks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from .style import PALETTE, plt


def certificate_scatter(error: torch.Tensor, certificate: torch.Tensor, *, label: str = ""):
    """Actual error ‖o − ô‖ against the certificate 2τ·max‖v‖ per query (exp:kernel).

    A point below the diagonal is a query whose error the certificate bounds; how far below
    says how pessimistic the worst case over values (lem:worst-case-error) is for these values.
    """
    err = error.detach().double().flatten().cpu().numpy()
    cert = certificate.detach().double().flatten().cpu().numpy()
    keep = (err > 0) & (cert > 0)
    fig, ax = plt.subplots(figsize=(5.6, 4.4), constrained_layout=True)
    ax.scatter(cert[keep], err[keep], s=10, alpha=0.6, color=PALETTE[0], label=label or "queries")
    if keep.any():
        lo = min(cert[keep].min(), err[keep].min())
        hi = max(cert[keep].max(), err[keep].max())
        ax.plot([lo, hi], [lo, hi], color="0.3", lw=1, ls="--", label="error = certificate")
    ax.set(xscale="log", yscale="log", xlabel="certificate $2\\tau\\,\\max_j\\|v_j\\|_2$",
           ylabel="actual error $\\|o-\\hat o\\|_2$", title="Certificate against actual error")
    ax.legend(fontsize=8)
    return fig


def benchmark_figure(rows: Sequence[Mapping[str, object]], *, x: str, ys: Sequence[str],
                     group: str | None):
    """One log-log panel per column in `ys`: ``rows[y]`` against ``rows[x]``, one line per value of
    ``rows[group]`` (for the kernel benchmark JSON)."""
    if not ys:
        raise ValueError("ys must name at least one column to plot")
    fig, axes = plt.subplots(1, len(ys), figsize=(4.6 * len(ys), 3.8), constrained_layout=True,
                             squeeze=False)
    for ax, y in zip(axes[0], ys, strict=True):
        groups: dict[object, list[tuple[float, float]]] = {}
        for r in rows:
            groups.setdefault(r.get(group) if group else y, []).append((float(r[x]), float(r[y])))
        for colour, (g, pts) in zip(PALETTE * 4, groups.items(), strict=False):
            pts.sort()
            xs, vals = zip(*pts, strict=True)
            ax.plot(xs, vals, marker="o", color=colour, label=str(g))
        ax.set(xscale="log", yscale="log", xlabel=x, ylabel=y)
        ax.legend(fontsize=8, title=group)
    return fig
