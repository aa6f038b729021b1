"""Sampled evidence for exp:real-model, exp:real-decoder and exp:sparse-inference: each study's
machinery on its real model (all-MiniLM-L6-v2; SmolLM2-135M-Instruct).

On two windows of pydoc text, the attention recomputed from each layer's own Q and K must match
the model's `output_attentions`, and top-k attention on the real Q, K, V must stay within the
certificate of thm:output-error on every layer, head and row (`experiments.audit`). For the decoder,
the probe's k_eps and sink mass must be those of the model's own eager attention weights, and
natsparse attention in every layer must give SDPA's logits when every key is kept and hold its
certificate on every row with eight.
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


DECODER_N = 64


@register("exp:real-decoder", level="sampled", tool="transformers",
          domain=f"SmolLM2-135M-Instruct, 30 layers x 9 heads, 2 windows of n={DECODER_N} pydoc tokens")
def _real_decoder_evidence() -> Outcome:
    from natsparse.experiments import real_decoder as D

    dev = D.probe_against_eager(DECODER_N, 2)
    ok = dev["k_eps_mismatches"] == 0 and dev["sink_max_abs_diff"] < 1e-5
    return Outcome(ok, f"the probe's k_eps (eps {', '.join(map(str, D.EPSILONS))}, sink apart too) on the "
                       f"last {D.ROWS} rows against the model's own eager attention weights: "
                       f"{dev['k_eps_mismatches']} of {dev['k_eps_compared']} medians differ; sink mass "
                       f"max |diff| {dev['sink_max_abs_diff']:.2g}")


@register("exp:sparse-inference", level="sampled", tool="transformers",
          domain=f"SmolLM2-135M-Instruct, natsparse_topk in all 30 layers, 2 windows of n={DECODER_N}")
def _sparse_inference_evidence() -> Outcome:
    from natsparse.experiments import real_decoder as D

    dev = D.sparse_against_dense(DECODER_N, 2, top_k=8)
    a = dev["audit"]
    ok = dev["all_kept_max_abs_diff"] < 1e-3 and a["violations"] == 0 and dev["small_window_max_abs_diff"] > 0
    return Outcome(ok, f"every key kept: logits within {dev['all_kept_max_abs_diff']:.2g} of SDPA's "
                       f"(float32); top-8 in every layer: {a['violations']} of {a['rows']} rows over their "
                       f"certificate (worst error / bound {a['max_ratio']:.3g})")
