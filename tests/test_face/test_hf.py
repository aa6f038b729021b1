"""natsparse.hf: certified sparse attention inside a Hugging Face model, against the model's own SDPA.

A small random Llama (GQA: 4 query heads on 2 KV heads, RoPE, 2 layers) built from a config, in
float64, so that "identical" can be tested to rounding; no weights are downloaded.
"""

import math

import pytest
import torch

transformers = pytest.importorskip("transformers")

import natsparse.hf as nh  # noqa: E402

N = 24


@pytest.fixture(scope="module")
def llama():
    nh.register()
    cfg = transformers.LlamaConfig(vocab_size=97, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                   num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64)
    torch.manual_seed(0)
    net = transformers.LlamaForCausalLM(cfg).double().eval()
    with torch.no_grad():   # larger query weights: sharper attention, so a small window really drops mass
        for layer in net.model.layers:
            layer.self_attn.q_proj.weight.mul_(8)
    ids = torch.randint(0, 97, (2, N), generator=torch.Generator().manual_seed(1))
    return net, ids


def logits(net, ids, impl, **kw):
    net.set_attn_implementation(impl)
    with torch.no_grad():
        return net(input_ids=ids, **kw).logits


def test_every_key_kept_gives_the_sdpa_logits(llama):
    """top_k = n keeps every key: the logits are SDPA's (float64: to rounding), with and without a
    padding mask; the mass target keeps every key when no key can be dropped below eta (tiny eta)."""
    net, ids = llama
    dense = logits(net, ids, "sdpa")
    torch.testing.assert_close(logits(net, ids, "natsparse_topk", natsparse_window=nh.fixed(N)), dense,
                               rtol=0, atol=1e-12)
    pad = torch.ones_like(ids)
    pad[1, :5] = 0
    want = logits(net, ids, "sdpa", attention_mask=pad)
    got = logits(net, ids, "natsparse_topk", attention_mask=pad, natsparse_window=nh.fixed(N))
    torch.testing.assert_close(got[pad.bool()], want[pad.bool()], rtol=0, atol=1e-12)


def test_a_small_window_changes_the_logits_and_every_certificate_holds(llama):
    net, ids = llama
    dense = logits(net, ids, "sdpa")
    for impl, window in (("natsparse_topk", nh.fixed(2)), ("natsparse_topk", nh.log_n()),
                         ("natsparse_topk", nh.power(0.5, 0.5)), ("natsparse_mass", nh.mass(0.2))):
        certs = nh.Certificates(audit=True)
        got = logits(net, ids, impl, natsparse_window=window, natsparse_certificates=certs)
        s = certs.summary()
        assert (got - dense).abs().max() > 1e-3, window           # the window really sparsifies
        assert s["layers"] == 2 and s["rows"] == 2 * 4 * N * 2
        assert s["audit"]["violations"] == 0 and 0 < s["audit"]["max_ratio"] <= 1, window
        assert s["tau_max"] > 0 and s["kept_fraction"] < 1
        if window.kind == "mass":
            assert s["tau_max"] <= 0.2
        else:   # row i sees i + 1 keys and keeps min(k, i + 1)
            k = window.top_k(N)
            kept = certs.layers[0]["kept"][0, 0]
            assert kept.tolist() == [min(k, i + 1) for i in range(N)]


def test_the_audit_catches_a_wrong_output(llama):
    """The audit compares the output the model used with dense attention: a corrupted output breaks
    its certificate (so a zero violation count means something)."""
    net, _ = llama
    g = torch.Generator().manual_seed(2)
    q = torch.randn(1, 4, 8, 8, generator=g, dtype=torch.float64)
    k, v = (torch.randn(1, 2, 8, 8, generator=g, dtype=torch.float64) for _ in range(2))
    from natsparse.experiments.audit import summarise
    from natsparse.kernels import topk_attention

    out, st = topk_attention(q, k, v, top_k=3, is_causal=True, enable_gqa=True, return_stats=True)
    assert summarise(nh.audit_rows(q, k, v, out, st, is_causal=True))["violations"] == 0
    bad = out.clone()
    bad[0, 1, 5] += 0.5
    assert summarise(nh.audit_rows(q, k, v, bad, st, is_causal=True))["violations"] == 1


def test_window_rules():
    assert [nh.fixed(8).top_k(n) for n in (4, 100)] == [4, 8]
    assert nh.log_n().top_k(4096) == math.ceil(math.log(4096)) == 9
    assert nh.power(2.0, 0.5).top_k(4096) == 128
    for bad, msg in ((lambda: nh.fixed(1.5), "k must be a positive integer"),
                     (lambda: nh.power(0, 0.5), "alpha must be a finite number > 0"),
                     (lambda: nh.power(1, 0), "C must be a number in (0, 1]"),
                     (lambda: nh.mass(0), "eta must be a number in (0, 1)"),
                     (lambda: nh.mass(0.1).top_k(10), "a mass window keeps a per-row number")):
        with pytest.raises(ValueError, match=msg.replace("(", r"\(").replace(")", r"\)")):
            bad()


def test_a_window_of_the_wrong_kind_is_refused(llama):
    net, ids = llama
    with pytest.raises(ValueError, match="natsparse_window for natsparse_mass must be mass"):
        logits(net, ids, "natsparse_mass", natsparse_window=nh.fixed(4))
    with pytest.raises(ValueError, match="natsparse_window for natsparse_topk must be"):
        logits(net, ids, "natsparse_topk", natsparse_window=nh.mass(0.1))
