"""The one style of the book's figures: sizes for the book's column, fonts, the colour palette.

Every figure module imports `plt` from here, so the settings apply before any figure is made.
A figure is drawn at the width of the book's text column (`TEXT_WIDTH_IN` inches at `DPI`, about
700 px, the column at a 1280 px window), so the browser shows it at its natural size and every
font keeps its size on the page; no text is smaller than `SMALLEST_PT` points (≈ 14 px).

    >>> fig, ax = plt.subplots(figsize=column_figsize(3.0))
    >>> _ = ax.plot([1, 2], label="a"); _ = ax.legend(fontsize=6)
    >>> unreadable(fig)
    ["'a': 6 pt"]
    >>> plt.close(fig)
"""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt

#: Colours shared by the figures (colour-blind safe, Okabe-Ito).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
#: Width of the book's text column in inches at `DPI` (the browser shows it 1:1, about 700 px).
TEXT_WIDTH_IN = 7.0
#: Pixels per inch of the figures the book shows.
DPI = 100
#: The smallest font a figure may use, in points at `DPI` (tick labels, legends).
SMALLEST_PT = 10.0

matplotlib.rcParams.update({
    "figure.dpi": DPI, "savefig.dpi": "figure", "figure.figsize": (TEXT_WIDTH_IN, 4.0),
    "font.size": 11, "axes.titlesize": 12, "axes.labelsize": 11, "xtick.labelsize": SMALLEST_PT,
    "ytick.labelsize": SMALLEST_PT, "legend.fontsize": SMALLEST_PT, "legend.title_fontsize": SMALLEST_PT,
    "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False, "axes.spines.right": False,
    "lines.linewidth": 1.8, "lines.markersize": 5, "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
})


def column_figsize(height: float = 4.0) -> tuple[float, float]:
    """(width, height) in inches of a figure as wide as the book's column; raises ValueError for a
    height that is not positive."""
    if not height > 0:
        raise ValueError(f"column_figsize: height must be a positive number of inches, got {height!r}")
    return (TEXT_WIDTH_IN, float(height))


def unreadable(fig) -> list[str]:
    """The texts of `fig` that the book would show smaller than `SMALLEST_PT`: each font size is
    scaled by how much the browser shrinks a figure wider than the column."""
    shrink = min(1.0, TEXT_WIDTH_IN / fig.get_figwidth())
    out = []
    for text in fig.findobj(matplotlib.text.Text):
        if not text.get_visible() or not text.get_text().strip():
            continue
        size = text.get_fontsize() * shrink
        if size < SMALLEST_PT - 1e-9:
            out.append(f"{text.get_text()!r}: {size:.3g} pt")
    return out


def legend_below(fig, ax=None, *, ncols: int | None = None):
    """The legend of `ax` (the figure's first axes by default) under the figure, off every axes, so it
    never covers data; `fig` must use ``layout="constrained"``, which makes room for it. Returns it.

    >>> fig, ax = plt.subplots(figsize=column_figsize(3.0), layout="constrained")
    >>> _ = ax.plot([0, 1], [0, 1], label="a"); _ = legend_below(fig)
    >>> legend_problems(fig)
    []
    >>> plt.close(fig)
    """
    handles, labels = (ax or fig.axes[0]).get_legend_handles_labels()
    return fig.legend(handles, labels, loc="outside lower center", ncols=ncols or min(4, len(labels)))


def _drawn_points(ax, step: float = 2.0):
    """Display coordinates of what `ax` draws as data: the vertices of every visible line and points
    every `step` px along its segments (unless it has no line style), the markers of scatter plots and
    the bars of error bars, limited to the axes' box (what lies outside is clipped away)."""
    import numpy as np
    from matplotlib.collections import LineCollection, PathCollection

    def along(xy: np.ndarray) -> np.ndarray:
        if len(xy) < 2:
            return xy
        out = [xy[:1]]
        for a, b in zip(xy[:-1], xy[1:], strict=True):
            n = max(1, int(np.hypot(*(b - a)) // step))
            out.append(a + (b - a) * np.linspace(0, 1, n + 1)[1:, None])
        return np.concatenate(out)

    pts = []
    for line in ax.get_lines():
        if not line.get_visible():
            continue
        xy = line.get_transform().transform(np.asarray(line.get_xydata(), float))
        xy = xy[np.isfinite(xy).all(axis=1)]
        pts.append(along(xy) if line.get_linestyle() not in ("None", " ", "", "none") else xy)
    for coll in ax.collections:
        if not coll.get_visible():
            continue
        if isinstance(coll, PathCollection) and len(coll.get_offsets()):
            pts.append(coll.get_offset_transform().transform(np.asarray(coll.get_offsets(), float)))
        elif isinstance(coll, LineCollection):
            for seg in coll.get_segments():
                if len(seg):
                    pts.append(along(coll.get_transform().transform(np.asarray(seg, float))))
    if not pts:
        return np.empty((0, 2))
    xy = np.concatenate(pts)
    box = ax.get_window_extent()
    keep = (xy[:, 0] >= box.x0) & (xy[:, 0] <= box.x1) & (xy[:, 1] >= box.y0) & (xy[:, 1] <= box.y1)
    return xy[keep]


def legend_problems(fig) -> list[str]:
    """Legends of `fig` (of an axes or of the figure) that a reader cannot read whole or that hide data:
    a legend cut off by the figure's edge, and for each legend how many drawn points of each axes
    (`_drawn_points`: lines, markers, error bars) fall inside its box.

    >>> fig, ax = plt.subplots(figsize=column_figsize(3.0))
    >>> _ = ax.plot([0, 1], [0, 1], label="a"); _ = ax.legend(loc="center")
    >>> legend_problems(fig)[0].startswith("legend ['a'] covers")
    True
    >>> plt.close(fig)
    """
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None] + list(fig.legends)
    out = []
    for leg in legends:
        if not leg.get_visible():
            continue
        box = leg.get_window_extent(renderer)
        labels = [t.get_text() for t in leg.get_texts()]
        page = fig.bbox
        if box.x0 < page.x0 - 1 or box.x1 > page.x1 + 1 or box.y0 < page.y0 - 1 or box.y1 > page.y1 + 1:
            out.append(f"legend {labels} is cut off by the figure's edge")
        for i, ax in enumerate(fig.axes):
            xy = _drawn_points(ax)
            inside = ((xy[:, 0] > box.x0) & (xy[:, 0] < box.x1) & (xy[:, 1] > box.y0) & (xy[:, 1] < box.y1))
            if inside.any():
                out.append(f"legend {labels} covers {int(inside.sum())} drawn points of axes {i} "
                           f"({ax.get_title() or 'untitled'})")
    return out


__all__ = ["DPI", "PALETTE", "SMALLEST_PT", "TEXT_WIDTH_IN", "column_figsize", "legend_below",
           "legend_problems", "plt", "unreadable"]
