"""natsparse/figures/gaussian.py: the new figures draw what they are given, readably."""

import json
from pathlib import Path

from natsparse.figures import gaussian as figs
from natsparse.figures.style import plt, unreadable

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "sharp_tightness.json"


def test_sharp_tightness_plots_each_ratio():
    results = json.loads(RESULTS.read_text())["results"]
    fig = figs.sharp_tightness(results)
    ax = fig.axes[0]
    sharp = next(line for line in ax.get_lines() if line.get_label() == "sharp")
    assert list(sharp.get_ydata()) == [r["k_sharp"] / r["quantile"] for r in results]
    assert unreadable(fig) == []
    plt.close(fig)


def test_exponent_draws_one_curve_per_gamma_with_its_limit():
    rows = [{"gamma": g, "log10_n": e, "exponent": 0.1 / e, "L_over_EZ": 1 - 1 / e}
            for g in (0.25, 0.81) for e in (4, 8, 16)]
    fig = figs.exponent(rows)
    ax, bx = fig.axes
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    limits = sorted(round(float(line.get_ydata()[0]), 6) for line in dashed)
    assert limits == [-0.25, -0.01]          # -(1 - sqrt(gamma))^2
    assert len(bx.get_lines()) == 2 and unreadable(fig) == []
    plt.close(fig)
