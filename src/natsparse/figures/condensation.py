"""Figures of book/condensation.md, drawn from the exp:condensation reports: the tiny byte-level GPT
(book/data/condensation.json, written by `condensation_experiment.run_experiment`) and SmolLM2
(book/data/condensation_smollm2.json, written by `condense_decoder.run_experiment`; the `decoder_*` figures).

Each function takes a report dict and returns a matplotlib Figure made through pyplot, so a notebook's
inline backend shows it.
"""

from __future__ import annotations

import math

from matplotlib.figure import Figure

from .style import legend_below, plt

_COLOURS = plt.get_cmap("plasma")


def _label(run: dict) -> str:
    c = run["config"]
    rule = f"k={c['k']}" if c["alpha"] is None else f"k=⌈{c['alpha']:g}·n^{c['exponent']:g}⌉"
    return f"λ={c['lam']:g}, {rule}"


def _colour(i: int, n: int) -> tuple:
    return _COLOURS(0.85 * i / max(n - 1, 1))


def training_curves(report: dict, unit: str = "byte") -> Figure:
    """Validation LM loss (nats per `unit`: byte for the tiny GPT, token for a decoder) and training L_k
    against the step, one line per run."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.8))
    runs = report["runs"]
    for i, run in enumerate(runs):
        steps = [h["step"] for h in run["history"]]
        style = "--" if run["config"]["alpha"] is not None else "-"
        a.plot(steps, [h["val_lm"] for h in run["history"]], style, color=_colour(i, len(runs)),
               label=_label(run))
        b.semilogy(steps, [h["train_Lk"] for h in run["history"]], style, color=_colour(i, len(runs)))
    a.set_xlabel("step")
    a.set_ylabel(f"validation loss (nats per {unit})")
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


def _decoder_runs(report: dict) -> list[tuple[str, dict]]:
    """(label, eval) of the pretrained model and of every run of a decoder report."""
    return [("pretrained", report["pretrained"])] + [(_label(r), r["eval"]) for r in report["runs"]]


def _decoder_colour(i: int, n: int):
    """Grey for the pretrained model (i = 0), the runs' colours after it."""
    return "0.4" if i == 0 else _colour(i - 1, n - 1)


def decoder_perplexity(report: dict) -> Figure:
    """A real-decoder report (book/data/condensation_smollm2.json): held-out perplexity against the top-k
    window per model (pretrained and each run), each model's dense perplexity dashed in its colour; and
    the gap log(ppl_topk / ppl_dense) against k, where condensation should show."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4.4), layout="constrained")
    models = _decoder_runs(report)
    for i, (label, ev) in enumerate(models):
        colour = _decoder_colour(i, len(models))
        fixed = sorted((r for r in ev["topk"] if r["rule"] == f"k={r['k']}"),  # fixed windows, not a rule
                       key=lambda r: r["k"])
        ks = [r["k"] for r in fixed]
        a.plot(ks, [r["ppl"] for r in fixed], "o-", color=colour, label=label)
        a.axhline(ev["ppl_dense"], color=colour, ls="--", lw=0.8)
        b.plot(ks, [math.log(r["ppl"] / ev["ppl_dense"]) for r in fixed], "o-", color=colour)
    for ax in (a, b):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("keys kept per query k (log)")
    a.set_ylabel("held-out perplexity per token")
    a.set_title("top-k inference (dashed: dense)")
    b.axhline(0, color="0.6", lw=0.8)
    b.set_ylabel("log(ppl top-k / ppl dense)")
    b.set_title("what top-k inference costs")
    legend_below(fig, a, ncols=3)
    return fig


def decoder_layers(report: dict) -> Figure:
    """A real-decoder report: mean tau_k per layer at the fixed training k, pretrained against each run
    trained at that k (a run with the per-row rule measures its own k, so it is left out)."""
    fig, ax = plt.subplots(figsize=(10, 4.2), layout="constrained")
    models = _decoder_runs(report)
    for i, (label, ev) in enumerate(models):
        if ev["k_training"] != models[0][1]["k_training"]:
            continue
        ax.plot([r["layer"] for r in ev["layers"]], [r["tau_mean"] for r in ev["layers"]],
                "o-" if i == 0 else ".-", color=_decoder_colour(i, len(models)), lw=2 if i == 0 else 1,
                label=label)
    ax.set_xlabel("layer")
    ax.set_ylabel(f"mean τ_k at k = {report['pretrained']['k_training']}")
    ax.set_title("tail mass per layer on held-out text, before and after fine-tuning")
    legend_below(fig, ax, ncols=3)
    return fig
