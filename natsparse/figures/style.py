"""The one style of the book's figures: matplotlib settings and the colour palette.

Every figure module imports `plt` from here, so the settings apply before any figure is made.
"""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt

#: Colours shared by the figures (colour-blind safe, Okabe-Ito).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")

matplotlib.rcParams.update({"figure.dpi": 110, "axes.grid": True, "grid.alpha": 0.3,
                            "axes.spines.top": False, "axes.spines.right": False, "font.size": 10,
                            "axes.prop_cycle": matplotlib.cycler(color=PALETTE)})

__all__ = ["PALETTE", "plt"]
