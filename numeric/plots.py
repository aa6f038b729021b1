"""Figures and small tables that the book shows (DESIGN.md: plotting code lives in the package).

Every function computes what it draws through the public API (`natsparse.numeric`,
`natsparse.proofs`, `natsparse.kernels`) and returns a matplotlib ``Figure`` or an HTML
string; nothing here is a number typed by hand. matplotlib is imported lazily, so
``natsparse.numeric`` does not need it.

    >>> from natsparse.numeric.plots import records_html
    >>> from natsparse.numeric.checks import check_max_weight
    >>> "tau_k &gt;= 1 - k max a" in records_html(check_max_weight([1.0, 0.0, -1.0], k=1))
    True
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence

import mpmath
import numpy as np
import torch

from .records import CheckRecord

#: Colours shared by the figures (colour-blind safe, Okabe-Ito).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")


def _pyplot():
    import matplotlib

    matplotlib.rcParams.update({"figure.dpi": 110, "axes.grid": True, "grid.alpha": 0.3,
                                "axes.spines.top": False, "axes.spines.right": False,
                                "font.size": 10})
    import matplotlib.pyplot as plt

    return plt


def _cell(value) -> str:
    if value is None:
        return "<span class='natsparse-undecided'>undecided</span>"
    if value is True:
        return "<span class='natsparse-yes'>yes</span>"
    if value is False:
        return "<span class='natsparse-no'>no</span>"
    return html.escape(str(value))


def html_table(rows: Sequence[Mapping[str, object]], columns: Sequence[str] | None = None) -> str:
    """A plain HTML table of dict rows (True/False/None shown as yes/no/undecided)."""
    if not rows:
        return "<p><em>(no rows)</em></p>"
    cols = list(columns or rows[0].keys())
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{_cell(r.get(c))}</td>" for c in cols) + "</tr>"
                   for r in rows)
    return f"<table class='natsparse-table'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def records_html(records: Iterable[CheckRecord], *, params: Sequence[str] = ()) -> str:
    """`CheckRecord.as_row()` of each record as an HTML table, with the chosen parameters
    (e.g. ``("n", "k")``) as leading columns; ``certified`` is arb's verdict for that input."""
    rows = []
    for rec in records:
        row = {p: rec.params.get(p) for p in params}
        row.update(rec.as_row())
        row.pop("id", None)
        rows.append(row)
    return html_table(rows)


def evidence_html(result_id: str) -> str:
    """Every piece of evidence registered for `result_id`, run now (cached per process):
    level, tool, domain, whether it passed, what it found, and the seconds it took."""
    from natsparse.proofs import evidence_for, run_evidence

    rows = []
    for ev in evidence_for(result_id):
        run = run_evidence(ev)
        rows.append({"level": ev.level, "tool": ev.tool, "domain": ev.domain,
                     "passed": run.outcome.passed, "detail": run.outcome.detail,
                     "seconds": f"{run.seconds:.2f}"})
    return html_table(rows, ["level", "tool", "domain", "passed", "detail", "seconds"])


def tail_mass_curves(rows: Mapping[str, Sequence[float]]):
    """τ_k against k for each named row of scores (lem:tail-monotone, lem:max-weight).

    Left: τ_k on a linear scale between its certified bounds max(0, 1 − k·max a) below
    (lem:max-weight) and 1 − k/n above (lem:tail-monotone). Right: τ_k on a log scale.
    τ is computed in float64 by `natsparse.numeric.batched.tail_mass` for every k at once.
    """
    from . import batched

    plt = _pyplot()
    fig, (lin, log) = plt.subplots(1, 2, figsize=(9.2, 3.6), constrained_layout=True)
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
            title="$\\tau_k$ between $1-k\\max a$ (dashed) and $1-k/n$")
    log.set(xlabel="k (keys kept)", ylabel="$\\tau_k$ (log scale)", title="$\\tau_k$ decays with k")
    lin.legend(fontsize=8, loc="upper right")
    log.legend(fontsize=8, loc="lower left")
    return fig


def gap_bound_scatter(records: Sequence[CheckRecord]):
    """Measured τ_k against each form of lem:gap-bound (records of `check_gap_bound`).

    Points on or above the diagonal mean the bound held; the diagonal is equality.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.6, 4.4), constrained_layout=True)
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
    ax.legend(fontsize=8)
    return fig


def certificate_scatter(error: torch.Tensor, certificate: torch.Tensor, *, label: str = ""):
    """Actual error ‖o − ô‖ against the certificate 2τ·max‖v‖ per query (exp:kernel).

    A point below the diagonal is a query whose error the certificate bounds; how far below
    says how pessimistic the worst case over values (lem:worst-case-error) is for these values.
    """
    plt = _pyplot()
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
    plt = _pyplot()
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


def fmt(x, digits: int = 3) -> str:
    """A number for prose: mpmath/torch/numpy/float shown with `digits` significant digits."""
    if isinstance(x, torch.Tensor):
        x = float(x)
    return mpmath.nstr(mpmath.mpf(x), digits) if not isinstance(x, int) else str(x)
