"""THEORY.md "Experiments the book shows": each is a seeded, reproducible computation."""

from .result import Result

EXPERIMENTS = [
    Result("exp:k-eps-scaling", "experiment", "k_eps against n",
           "Monte Carlo k_eps versus n for several gamma; fitted slope against 1 - gamma.",
           r"\log k_\varepsilon \sim (1-\gamma)\log n", ("companion",),
           uses=("thm:nC-sufficient", "prop:k-eps-rule")),
    Result("exp:adaptive-vs-fixed", "experiment", "Adaptive against fixed windows",
           "tau and output error versus n for fixed k and for k = alpha n^C.",
           r"\tau_k(n)\ \text{for}\ k\ \text{fixed and}\ k=\alpha n^C", ("companion",),
           uses=("cor:adaptive-window",)),
    Result("exp:whp-frequency", "experiment", "Failure frequency of the sparsity theorem",
           "Empirical failure frequency of thm:sparse-whp against delta with a Clopper-Pearson "
           "upper bound.", r"\hat p_{\mathrm{fail}} \le \delta", ("companion",),
           uses=("thm:sparse-whp",)),
    Result("exp:real-model", "experiment", "A real pretrained transformer",
           "A real pretrained transformer on real text: k_eps versus n per head, score Gaussianity, "
           "score scale versus sparsity.", r"k_\varepsilon(n)\ \text{per head}", ("companion",),
           uses=("prop:k-eps-rule", "prop:norm-sparsity", "lem:conditional-gaussian")),
    Result("exp:condensation", "experiment", "Condensation training",
           "Training with L_LM + lambda L_k: loss, tau_k and certified top-k error versus lambda.",
           r"\mathcal L = \mathcal L_{LM} + \lambda L_k", ("condensation",),
           uses=("def:sparsity-loss", "lem:loss-gradient")),
    Result("exp:kernel", "experiment", "The certified top-k kernel",
           "The fused top-k kernel against dense attention: output error, certificate, speed and "
           "memory.", r"\|o-\hat o\|\le 2\tau\max\|v\|", ("companion",),
           uses=("thm:output-error", "def:topk-attention")),
]
