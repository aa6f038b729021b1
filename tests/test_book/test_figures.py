"""The book's figures keep their legends off the data and inside the figure.

Each figure the chapters draw from data on disk (book/data/*.json, and the exponent panel of
book/asymptotics.md, computed here as the chapter computes it) is drawn and checked with
`natsparse.figures.style.legend_problems`: no legend may cover a drawn point, line, marker or error
bar, and none may be cut off by the figure's edge. The figures themselves are PNGs in the built book,
where the browser cannot see what lies under a legend, so this is checked on the matplotlib figures.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from natsparse.figures.style import column_figsize, legend_below, legend_problems, plt

DATA = Path(__file__).resolve().parents[2] / "book" / "data"


def _json(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def _exponent_rows() -> list[dict]:
    """The rows of book/asymptotics.md's exponent figure (thm:polylog-insufficient), as it computes them."""
    import mpmath

    from natsparse.numeric import gaussian as G

    rows = []
    for gamma in (0.25, 0.5, 0.9):
        for e in (4, 8, 16, 30, 100, 300, 1000):
            n = 10 ** e
            beta = G.beta_of_gamma(n, gamma)
            r = G.polylog_insufficient(n, beta, 1)
            if r["L"] > 0:
                rows.append({"gamma": gamma, "log10_n": e,
                             "exponent": float((r["M"] - mpmath.log(r["L"])) / mpmath.log(n)),
                             "L_over_EZ": float(r["L"] / (n * mpmath.exp(beta ** 2 / 2)))})
    return rows


def _figures():
    from natsparse.figures import condensation, gaussian, real_decoder

    decoder = lambda: _json("real_decoder.json")                      # noqa: E731
    gauss = lambda name: _json(f"gaussian_{name}.json")["data"]       # noqa: E731
    yield "real_decoder.k_eps_by_layer", lambda: real_decoder.k_eps_by_layer(decoder())
    yield "real_decoder.exponents", lambda: real_decoder.exponents(decoder())
    yield "real_decoder.sink", lambda: real_decoder.sink(decoder())
    yield "real_decoder.perplexity_gap", lambda: real_decoder.perplexity_gap(decoder())
    yield "real_decoder.cost_against_gap", lambda: real_decoder.cost_against_gap(decoder())
    yield "condensation.training_curves", lambda: condensation.training_curves(_json("condensation.json"))
    yield "condensation.tradeoff", lambda: condensation.tradeoff(_json("condensation.json"))
    smollm2 = lambda: _json("condensation_smollm2.json")              # noqa: E731
    yield "condensation.training_curves (smollm2)", lambda: condensation.training_curves(smollm2(), "token")
    yield "condensation.decoder_perplexity", lambda: condensation.decoder_perplexity(smollm2())
    yield "condensation.decoder_layers", lambda: condensation.decoder_layers(smollm2())
    yield "gaussian.windows", lambda: gaussian.windows(gauss("windows")["runs"], gauss("windows")["k_fixed"],
                                                       gauss("windows")["C"])
    yield "gaussian.k_eps_scaling", lambda: gaussian.k_eps_scaling(gauss("scaling"))
    yield "gaussian.phase", lambda: gaussian.phase(gauss("phase"))
    yield "gaussian.exponent", lambda: gaussian.exponent(_exponent_rows())


FIGURES = dict(_figures())


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_legends_stay_off_the_data(name):
    fig = FIGURES[name]()
    try:
        problems = legend_problems(fig)
    finally:
        plt.close(fig)
    assert not problems, f"{name}: " + "; ".join(problems)


def test_the_check_sees_a_legend_on_the_data_or_off_the_figure():
    fig, ax = plt.subplots(figsize=column_figsize(3.0))
    ax.plot(range(10), [5.0] * 10, label="flat")
    ax.legend(loc="center")
    assert [p.split(" covers ")[0] for p in legend_problems(fig)] == ["legend ['flat']"]
    plt.close(fig)
    fig, ax = plt.subplots(figsize=column_figsize(3.0), layout="constrained")
    ax.plot(range(10), [5.0] * 10, label="x" * 400)
    legend_below(fig, ax)
    assert any("cut off" in p for p in legend_problems(fig))
    plt.close(fig)
