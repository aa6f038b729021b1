"""condense_decoder.compare: the paired differences a condensation verdict is read from."""

import numpy as np
import pytest

from natsparse.experiments.condense_decoder import compare


def _eval(rng, dense, gap, windows=8, tokens=100):
    counts = [tokens] * windows
    nll_dense = list(tokens * (dense + 0.1 * rng.standard_normal(windows)))
    nll_topk = [d + tokens * gap for d in nll_dense]
    return {"counts": counts, "nll_dense": nll_dense, "topk": [{"rule": "k=8", "nll": nll_topk}]}


def test_topk_change_is_dense_change_plus_gap_change_and_the_intervals_hold_their_means():
    rng = np.random.default_rng(1)
    base, run = _eval(rng, 2.5, 0.4), _eval(rng, 2.6, 0.1)
    c = compare(run, base, draws=500)
    (g,) = c["gap"]
    assert g["topk_log_ppl_change"] == pytest.approx(c["dense_log_ppl_change"] + g["gap_change"])
    assert g["gap_change"] == pytest.approx(-0.3)
    for mean, (lo, hi) in [(c["dense_log_ppl_change"], c["dense_log_ppl_change_ci"]),
                           (g["gap_change"], g["gap_change_ci"]),
                           (g["topk_log_ppl_change"], g["topk_log_ppl_change_ci"])]:
        assert lo <= mean <= hi


def test_rules_only_one_side_has_are_left_out_and_other_windows_refused():
    rng = np.random.default_rng(2)
    base, run = _eval(rng, 2.5, 0.4), _eval(rng, 2.5, 0.2)
    run["topk"].append({"rule": "k=⌈n^0.5⌉", "nll": run["nll_dense"]})
    assert [g["rule"] for g in compare(run, base, draws=20)["gap"]] == ["k=8"]
    run["counts"] = [99] * 8
    with pytest.raises(ValueError, match="same windows"):
        compare(run, base, draws=20)
