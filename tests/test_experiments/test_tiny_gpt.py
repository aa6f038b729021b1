"""experiments/tiny_gpt.py: the byte-level GPT's attention is causal and normalised, top-k inference with
every key is dense, its per-layer audits hold row by row, and bad arguments and inputs are refused."""

from __future__ import annotations

import pytest
import torch

from natsparse.experiments.tiny_gpt import GPTConfig, TinyGPT


def test_attention_is_causal_and_normalised():
    torch.manual_seed(0)
    model = TinyGPT(GPTConfig(context=16, layers=2, heads=2, width=16))
    logits, probs, audits = model(torch.randint(0, 256, (3, 16)))
    assert logits.shape == (3, 16, 256) and audits is None and len(probs) == 2
    for p in probs:
        assert p.shape == (3, 2, 16, 16)
        assert torch.all(p.triu(1) == 0)  # no query sees a later key
        assert torch.allclose(p.sum(-1), torch.ones(3, 2, 16))


def test_topk_inference_with_every_key_is_dense():
    torch.manual_seed(1)
    model = TinyGPT(GPTConfig(context=12, layers=2, heads=2, width=16)).eval()
    x = torch.randint(0, 256, (2, 12))
    with torch.no_grad():
        dense, _, _ = model(x)
        full, probs, _ = model(x, top_k=12)
        sparse, _, _ = model(x, top_k=1)
    assert probs is None
    assert torch.allclose(dense, full, atol=1e-5)
    assert not torch.allclose(dense, sparse, atol=1e-3)  # top-1 really changes the model


def test_audit_certificate_holds_row_by_row():
    torch.manual_seed(2)
    model = TinyGPT(GPTConfig(context=20, layers=2, heads=2, width=16))
    with torch.no_grad():
        _, _, audits = model(torch.randint(0, 256, (2, 20)), audit_k=3)
    for a in audits:
        assert a.tau.shape == a.error.shape == a.bound.shape == (2, 2, 20)
        assert torch.all(a.tau[..., :3] == 0)  # rows that see <= 3 keys keep them all
        assert torch.all(a.error <= a.bound + 1e-12)
        assert torch.all(a.tau[..., 3:] > 0)


@pytest.mark.parametrize(("kwargs", "exc", "match"), [
    (dict(top_k=0), ValueError, "top_k must be None or an int >= 1"),
    (dict(audit_k=True), ValueError, "audit_k must be None"),
    (dict(top_k=2, audit_k=2), ValueError, "audit_k compares"),
])
def test_model_rejects_bad_arguments(kwargs, exc, match):
    model = TinyGPT(GPTConfig(context=8, layers=1, heads=1, width=8))
    with pytest.raises(exc, match=match):
        model(torch.zeros(1, 8, dtype=torch.int64), **kwargs)


def test_model_rejects_bad_input():
    model = TinyGPT(GPTConfig(context=8, layers=1, heads=1, width=8))
    with pytest.raises(TypeError, match="idx must be an int64 tensor"):
        model(torch.zeros(1, 8))
    with pytest.raises(ValueError, match=r"idx length must be in \[1, context=8\]"):
        model(torch.zeros(1, 9, dtype=torch.int64))
    with pytest.raises(ValueError, match="width .* must be divisible by heads"):
        GPTConfig(width=10, heads=4)
    with pytest.raises(ValueError, match="GPTConfig.layers must be an int >= 1"):
        GPTConfig(layers=0)
