"""Sampled evidence for exp:real-model: the study's machinery on the bundled real model.

On two windows of pydoc text, the attention recomputed from each layer's own Q and K must match
the model's `output_attentions`, and top-k attention on the real Q, K, V must stay within the
certificate of thm:output-error on every layer, head and row (`experiments.audit`).
Registering is cheap: the experiment (torch, transformers) is imported when the check runs.
"""

from __future__ import annotations

from natsparse.proofs import Outcome, register

CHECK_N = 32


@register("exp:real-model", level="sampled", tool="transformers",
          domain=f"all-MiniLM-L6-v2, every layer and head, 2 windows of n={CHECK_N} pydoc tokens")
def _real_model_evidence() -> Outcome:
    from natsparse.experiments import real_model as R

    net, tok = R.load()
    t = R.head_tensors(net, R.token_windows(tok, R.default_texts(), CHECK_N, 2))
    p = R.scores(t["q"], t["k"]).softmax(-1)
    diff = (p - t["attentions"]).abs().max().item()
    c = R.certify(t, R.K_FIXED)["summary"]
    ok = diff < 1e-5 and c["violations"] == 0
    return Outcome(ok, f"recomputed softmax(QK^T/sqrt d) vs output_attentions: max |diff| {diff:.2g}; "
                       f"top-{R.K_FIXED} error / certificate 2 tau max||v|| at most {c['max_ratio']:.3g} "
                       f"({c['violations']} of {c['rows']} rows over it)")
