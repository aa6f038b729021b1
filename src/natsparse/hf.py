"""Certified sparse attention in Hugging Face models: ``attn_implementation="natsparse_topk"``.

    import natsparse.hf as nh
    nh.register()       # ('natsparse_topk', 'natsparse_mass')

Then any model whose attention goes through transformers' ``AttentionInterface`` (Llama, Mistral,
Qwen, SmolLM, ...) runs natsparse attention in every layer:

    model = AutoModelForCausalLM.from_pretrained(..., attn_implementation="natsparse_topk")
    certs = nh.Certificates(audit=True)
    out = model(ids, natsparse_window=nh.power(0.5, 0.7), natsparse_certificates=certs)
    certs.summary()     # kept fraction, tau, and the audit: rows, violations, worst error / bound

Window rules: `fixed` (k), `log_n` (⌈ln n⌉), `power` (⌈α·n^C⌉) for ``natsparse_topk``; `mass` (η) for
``natsparse_mass``. The implementation is `natsparse.experiments.hf_attention` (in the experiments
layer, where the real-decoder study and its evidence use it); this module is its public name.
"""

from natsparse.experiments.hf_attention import (
    NAMES,
    Certificates,
    Window,
    audit_rows,
    fixed,
    log_n,
    mass,
    power,
    register,
)

__all__ = ["NAMES", "Certificates", "Window", "audit_rows", "fixed", "log_n", "mass", "power", "register"]
