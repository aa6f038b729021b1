"""Figures of book/condensation.md, drawn from an exp:condensation report (book/data/condensation.json).

Each function takes the report dict written by `condensation_experiment.run_experiment` and returns a
matplotlib Figure made through pyplot, so a notebook's inline backend shows it.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from .style import plt

_COLOURS = plt.get_cmap("plasma")


def _label(run: dict) -> str:
    c = run["config"]
    rule = f"k={c['k']}" if c["alpha"] is None else f"k=⌈{c['alpha']:g}·n^{c['exponent']:g}⌉"
    return f"λ={c['lam']:g}, {rule}"


def _colour(i: int, n: int) -> tuple:
    return _COLOURS(0.85 * i / max(n - 1, 1))


def training_curves(report: dict) -> Figure:
    """Validation LM loss and training L_k against the step, one line per run."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.8))
    runs = report["runs"]
    for i, run in enumerate(runs):
        steps = [h["step"] for h in run["history"]]
        style = "--" if run["config"]["alpha"] is not None else "-"
        a.plot(steps, [h["val_lm"] for h in run["history"]], style, color=_colour(i, len(runs)),
               label=_label(run))
        b.semilogy(steps, [h["train_Lk"] for h in run["history"]], style, color=_colour(i, len(runs)))
    a.set_xlabel("step")
    a.set_ylabel("validation loss (nats per byte)")
    a.set_title("language-model loss")
    a.legend(fontsize=8)
    b.set_xlabel("step")
    b.set_ylabel("training L_k (mean τ_k)")
    b.set_title("sparsity loss")
    fig.tight_layout()
    return fig


def tradeoff(report: dict) -> Figure:
    """Perplexity (dense and top-k inference) against mean tau_k, and tau_k per layer, for every run."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.8))
    runs = report["runs"]
    for i, run in enumerate(runs):
        ev, colour = run["eval"], _colour(i, len(runs))
        a.plot([ev["tau_mean"]] * 2, [ev["ppl_dense"], ev["ppl_topk"]], ":", color=colour, lw=1)
        a.plot(ev["tau_mean"], ev["ppl_dense"], "o", color=colour, label=_label(run))
        a.plot(ev["tau_mean"], ev["ppl_topk"], "x", color=colour, ms=8)
        layers = [r["layer"] for r in ev["layers"]]
        width = 0.8 / len(runs)
        b.bar([x + (i - (len(runs) - 1) / 2) * width for x in layers], [r["tau_mean"] for r in ev["layers"]],
              width=width, color=colour)
    a.set_xscale("log")
    a.set_xlabel("mean τ_k on validation (log)")
    a.set_ylabel("validation perplexity per byte")
    a.set_title("o dense, × top-k inference")
    a.legend(fontsize=8)
    b.set_yscale("log")
    b.set_xticks([r["layer"] for r in runs[0]["eval"]["layers"]])
    b.set_xlabel("layer")
    b.set_ylabel("mean τ_k")
    b.set_title("tail mass per layer (same colours)")
    fig.tight_layout()
    return fig
