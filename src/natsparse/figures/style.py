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


__all__ = ["DPI", "PALETTE", "SMALLEST_PT", "TEXT_WIDTH_IN", "column_figsize", "plt", "unreadable"]
