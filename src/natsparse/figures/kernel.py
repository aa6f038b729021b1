"""Figures of the kernel chapter (book/kernel.md): the certificate against the error, benchmarks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from matplotlib.ticker import NullFormatter

from .style import PALETTE, plt

#: Axis labels, with units, of the benchmark columns (and the factor from the JSON's unit).
UNITS = {"seconds": ("time (ms)", 1e3), "peak_mib": ("peak memory (MiB)", 1.0),
         "N": ("keys N", 1.0), "time_vs_sdpa": ("time / dense SDPA", 1.0),
         "memory_vs_sdpa": ("peak memory / dense SDPA", 1.0)}


def certificate_scatter(error: torch.Tensor, bound: torch.Tensor, *, label: str = ""):
    """Measured error ‖out − o‖₂ against the certificate stats.error_bound, one point per query.

    A point below the diagonal is a query whose error the certificate bounds; how far below
    says how pessimistic the worst case over values (lem:worst-case-error) is for these values.
    """
    err = error.detach().double().flatten().cpu().numpy()
    cert = bound.detach().double().flatten().cpu().numpy()
    keep = (err > 0) & (cert > 0)
    fig, ax = plt.subplots(figsize=(7.0, 4.6), constrained_layout=True)
    ax.scatter(cert[keep], err[keep], s=10, alpha=0.6, color=PALETTE[0], label=label or "queries")
    if keep.any():
        lo = min(cert[keep].min(), err[keep].min())
        hi = max(cert[keep].max(), err[keep].max())
        ax.plot([lo, hi], [lo, hi], color="0.3", lw=1, ls="--", label="error = bound")
    ax.set(xscale="log", yscale="log", xlabel="certificate: stats.error_bound",
           ylabel="measured error $\\|out-o\\|_2$", title="Certificate against measured error")
    ax.legend(fontsize=11)
    return fig


def benchmark_figure(rows: Sequence[Mapping[str, object]], *, x: str, ys: Sequence[str],
                     group: str | None, title: str = ""):
    """One log-log panel per column in `ys`: ``rows[y]`` against ``rows[x]``, one line per value of
    ``rows[group]`` (the kernel benchmark's JSON rows), with the units of `UNITS` on the axes."""
    if not ys:
        raise ValueError("ys must name at least one column to plot")
    fig, axes = plt.subplots(1, len(ys), figsize=(7.0, 4.4), layout="constrained", squeeze=False)
    for ax, y in zip(axes[0], ys, strict=True):
        ylabel, yf = UNITS.get(y, (y, 1.0))
        xlabel, xf = UNITS.get(x, (x, 1.0))
        groups: dict[object, list[tuple[float, float]]] = {}
        for r in rows:
            if r.get(y) is not None and float(r[y]) > 0:  # a log axis: zero growth is not drawn
                point = (float(r[x]) * xf, float(r[y]) * yf)
                groups.setdefault(r.get(group) if group else y, []).append(point)
        for colour, (g, pts) in zip(PALETTE * 4, groups.items(), strict=False):
            pts.sort()
            xs, vals = zip(*pts, strict=True)
            ax.plot(xs, vals, marker="o", color=colour, label=str(g))
        ax.set(xscale="log", yscale="log", xlabel=xlabel, ylabel=ylabel)
        ticks = sorted({p[0] for pts in groups.values() for p in pts})
        ax.set_xticks(ticks, [f"{t / 1024:g}k" if t >= 1024 else f"{t:g}" for t in ticks])
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_minor_formatter(NullFormatter())
        ax.tick_params(labelsize=10)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(4, len(labels)), fontsize=10)
    if title:
        fig.suptitle(title, fontsize=12)
    return fig
