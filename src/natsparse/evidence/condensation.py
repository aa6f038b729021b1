"""Sampled evidence for exp:condensation: a live, seeded, small condensation run.

Two tiny byte-level GPTs (`experiments.condensation.QUICK_BASE`: 2 layers, context 32, 30 steps, a few
seconds) train from the same seed on the pydoc corpus, one with lambda = 0 and one with lambda = 1. On
the validation split, the one trained with L_k must have the smaller mean tail mass tau_k (the loss does
what it is for), and in both, on every layer, head and query row, top-k attention on the layer's own
q, k, v must stay within the certificate 2 tau max|v| of dense attention (thm:output-error, float64).
The full experiment (a 4-layer model, 800 steps per lambda) is in book/data/condensation.json.
Registering is cheap: the experiment (torch) is imported when the check runs.
"""

from __future__ import annotations

from natsparse.proofs import Outcome, register


@register("exp:condensation", level="sampled", tool="torch",
          domain="two seeded 30-step runs of a 2-layer byte GPT (lambda = 0, 1; k = 4), "
                 "64 validation windows")
def _condensation_quick_run() -> Outcome:
    from natsparse.experiments.condensation import quick_pair

    ev = quick_pair()
    base, cond = ev[0.0]["tau_mean"], ev[1.0]["tau_mean"]
    violations = sum(r["certificate_violations"] for e in ev.values() for r in e["layers"])
    ratio = max(r["certificate_max_ratio"] for e in ev.values() for r in e["layers"])
    passed = cond < base and violations == 0
    return Outcome(passed, f"mean tau_4 {base:.3f} (lambda 0) -> {cond:.3f} (lambda 1); certificate "
                           f"violations {violations}, max error/bound {ratio:.3f}")
