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
    Result("exp:real-decoder", "experiment", "A real pretrained decoder",
           "A real pretrained decoder (SmolLM2-135M, GQA, RoPE, context 8192) on real text: k_eps versus "
           "n up to 4096+ per head with confidence intervals on C, the attention-sink mass set apart, "
           "score scale against sparsity.",
           r"k_\varepsilon(n)\approx n^{C}\ \text{per head},\ n\ \text{up to}\ 4096+", ("companion",),
           uses=("prop:k-eps-rule", "prop:norm-sparsity", "lem:conditional-gaussian", "thm:nC-sufficient"),
           notes="The weights are 4-bit quantised (GGUF Q4_1) and instruction-tuned."),
    Result("exp:sparse-inference", "experiment", "Sparse inference in a real decoder",
           "The decoder of exp:real-decoder run with top-k / mass-target attention in every layer: "
           "perplexity gap against dense for fixed k, k = ceil(log n), k = ceil(alpha n^C) and mass "
           "targets eta, as n grows, with every row's certificate audited.",
           r"\mathrm{PPL}_{\text{sparse}}-\mathrm{PPL}_{\text{dense}}\ \text{for}\ k\ \text{fixed},\ "
           r"k=\lceil\log n\rceil,\ k=\lceil\alpha n^C\rceil,\ \tau_k\le\eta", ("companion",),
           uses=("exp:real-decoder", "def:topk-attention", "def:mass-attention", "thm:output-error",
                 "thm:certificate-rounding", "thm:polylog-insufficient", "cor:adaptive-window"),
           notes="Perplexity over the second half of each held-out window's positions."),
    Result("exp:condensation", "experiment", "Condensation training",
           "Training with L_LM + lambda L_k: loss, tau_k and certified top-k error versus lambda.",
           r"\mathcal L = \mathcal L_{LM} + \lambda L_k", ("condensation",),
           uses=("def:sparsity-loss", "lem:loss-gradient")),
    Result("exp:kernel", "experiment", "The certified top-k kernel",
           "The fused top-k kernel against dense attention: output error, certificate, speed and "
           "memory.", r"\|o-\hat o\|\le 2\tau\max\|v\|", ("companion",),
           uses=("thm:output-error", "def:topk-attention")),
]
