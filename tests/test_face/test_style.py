"""natsparse/figures/style.py: figures as wide as the book's column, and `unreadable` finds text that
the book would show smaller than SMALLEST_PT (also text that shrinks because its figure is too wide)."""

from __future__ import annotations

import pytest

from natsparse.figures.style import SMALLEST_PT, TEXT_WIDTH_IN, column_figsize, plt, unreadable


def test_column_figsize_is_the_column_width_and_rejects_bad_heights():
    assert column_figsize(3) == (TEXT_WIDTH_IN, 3.0)
    for bad in (0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="column_figsize: height must be a positive number"):
            column_figsize(bad)


def test_default_fonts_are_readable_and_small_or_shrunk_text_is_found():
    fig, ax = plt.subplots(figsize=column_figsize(3.0))
    ax.plot([1, 2], label="curve")
    ax.set(xlabel="n", ylabel="time (ms)", title="default sizes")
    ax.legend()
    assert unreadable(fig) == []
    fig.set_figwidth(2 * TEXT_WIDTH_IN)  # shown at half size on the page
    assert "'curve': 5 pt" in unreadable(fig) and f"'n': {11 / 2:.3g} pt" in unreadable(fig)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=column_figsize(3.0))
    ax.text(0.5, 0.5, "tiny", fontsize=SMALLEST_PT - 2)
    assert unreadable(fig) == [f"'tiny': {SMALLEST_PT - 2:.3g} pt"]
    plt.close(fig)
