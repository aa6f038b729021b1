"""experiments.real_decoder without the model: the probe's row statistics, the fit of C, the windows.

(The model itself runs in tests/test_face/test_cli_real.py, at CI size, and in the registered evidence.)
"""

import math

import numpy as np
import pytest
import torch

from natsparse.experiments import real_decoder as D
from natsparse.numeric import batched


def test_row_statistics_are_those_of_each_row_restricted_to_its_visible_keys():
    """The -1e300 score of a future key gives the same k_eps, sink mass and scale as cutting the row."""
    g = torch.Generator().manual_seed(0)
    n, rows = 200, 8
    q = torch.randn(2, 6, n, 16, generator=g) * 2
    k = torch.randn(2, 3, n, 16, generator=g)
    st = D.row_statistics(q, k, rows=rows)
    kk = k.double().repeat_interleave(2, dim=1)
    s = q[..., n - rows:, :].double() @ kk.transpose(-1, -2) / 4
    want = {c: [] for c in st}
    for j in range(rows):
        r = s[..., j, : n - rows + j + 1]
        want["sink"].append(r.softmax(-1)[..., 0])
        want["beta"].append(r[..., 1: n - rows + 1].std(-1))
        for eps in D.EPSILONS:
            want[f"k_{eps}"].append(batched.k_eps(r, eps).double())
            want[f"k_{eps}_nosink"].append(batched.k_eps(r[..., 1:], eps).double())
    for c, v in want.items():
        np.testing.assert_allclose(st[c], torch.stack(v, -1).median(-1).values.numpy(), rtol=1e-12, err_msg=c)
    assert st["k_0.01"].min() >= 1 and (st["k_0.01"] >= st["k_0.05"]).all()


def test_fit_recovers_a_known_exponent_and_its_interval_covers_it():
    rng = np.random.default_rng(1)
    lengths = (64, 128, 256, 512, 1024)
    per_n = [3 * n**0.6 * np.exp(rng.normal(0, 0.1, (4, 5, 3))) for n in lengths]
    f = D.fit_exponents(lengths, per_n, bootstrap=200)
    assert np.abs(f["layer_C"] - 0.6).max() < 0.05
    assert ((f["layer_ci"][:, 0] <= 0.6) & (0.6 <= f["layer_ci"][:, 1])).mean() >= 0.75
    assert np.abs(np.exp(f["head_logalpha"]) - 3).max() < 1.0
    # a head whose k_eps does not grow: C = 0 exactly, a zero-width interval
    flat = D.fit_exponents(lengths, [np.full((1, 3, 1), 7.0) for _ in lengths], bootstrap=20)
    assert flat["head_C"][0, 0] == 0 and flat["head_ci"][0, 0].tolist() == [0.0, 0.0]


def test_fit_is_seeded():
    rng = np.random.default_rng(2)
    per_n = [n**0.5 * np.exp(rng.normal(0, 0.2, (2, 3, 2))) for n in (64, 256)]
    a, b = (D.fit_exponents((64, 256), per_n, bootstrap=50) for _ in range(2))
    assert np.array_equal(a["layer_ci"], b["layer_ci"])


def test_windows_are_disjoint_and_cover_the_ends():
    w = D.windows(list(range(100)), 10, 4)
    assert w[0, 0] == 0 and w[-1, -1] == 99 and len(set(w.flatten().tolist())) == 40


@pytest.mark.parametrize(("lengths", "message"), [([], "lengths must be integers"),
                                                   ([16], "in [34, 8192]"), ([64.0], "lengths must be"),
                                                   ([True, 64], "lengths must be")])
def test_check_lengths_rejects(lengths, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        D.check_lengths(lengths, 8192)


def test_window_rules_of_the_inference():
    rules = D.window_rules(0.5, 0.7)
    assert [r.kind for r in rules] == ["fixed"] * 3 + ["log", "power"] + ["mass"] * 3
    assert rules[3].top_k(4096) == math.ceil(math.log(4096))
    assert rules[4].top_k(4096) == math.ceil(0.5 * 4096**0.7)


def test_the_vectorised_slopes_are_loglog_slope_column_by_column():
    """`_slopes` is `numeric.stats.loglog_slope` over every column at once (the bootstrap needs that):
    the same slopes, and the intercepts that go with them."""
    from natsparse.numeric.stats import loglog_slope

    rng = np.random.default_rng(3)
    lengths = (64, 128, 256, 512)
    k = 1 + np.exp(rng.normal(2, 1, (4, 3, 5)))     # k >= 1: _slopes reads k < 1 as 1
    slope, intercept = D._slopes(lengths, k)
    want = np.array([[loglog_slope(lengths, k[:, i, j]) for j in range(5)] for i in range(3)])
    np.testing.assert_allclose(slope, want, rtol=1e-10, atol=1e-12)
    x = np.log(lengths)
    np.testing.assert_allclose(intercept, np.log(k).mean(0) - want * x.mean(), rtol=1e-10, atol=1e-12)


def test_weight_norms_of_a_gqa_decoder_are_those_of_each_query_head_with_its_shared_key_head():
    """The one weight_norms (real_model's) on the decoder: W_h = W_Q,h^T W_K,g(h) / sqrt(d), g(h) the
    key head query head h shares, computed here directly on a small random Llama."""
    transformers = pytest.importorskip("transformers")
    cfg = transformers.LlamaConfig(vocab_size=31, hidden_size=24, intermediate_size=32, num_hidden_layers=2,
                                   num_attention_heads=6, num_key_value_heads=2, max_position_embeddings=32)
    torch.manual_seed(0)
    net = transformers.LlamaForCausalLM(cfg)
    ops, fros = D.weight_norms(net)
    assert ops.shape == fros.shape == (2, 6)
    for li, layer in enumerate(net.model.layers):
        a = layer.self_attn
        d = a.head_dim
        for h in range(6):
            wq = a.q_proj.weight.detach().double()[h * d:(h + 1) * d]
            g = h // 3
            wk = a.k_proj.weight.detach().double()[g * d:(g + 1) * d]
            w = wq.T @ wk / math.sqrt(d)
            assert ops[li, h] == pytest.approx(torch.linalg.matrix_norm(w, ord=2).item(), rel=1e-12)
            assert fros[li, h] == pytest.approx(torch.linalg.matrix_norm(w).item(), rel=1e-12)
