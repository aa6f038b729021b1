"""Condensation training (exp:condensation): short training runs, resumption, checkpoints that survive
crashes and corruption, evaluation, the experiment driver, the CLI, and bad input (the model itself is
tested in test_tiny_gpt.py)."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest
import torch

from natsparse.experiments import training as condense
from natsparse.experiments.condensation import QUICK_BASE
from natsparse.experiments.corpus import load_corpus
from natsparse.numeric.loss import causal_adaptive_k, sparsity_loss

TINY = dataclasses.replace(QUICK_BASE, steps=4, eval_every=2, checkpoint_every=2)


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


def _weights(path):
    model, _, _ = condense.load_model(path)
    return {k: v.clone() for k, v in model.state_dict().items()}


# ----------------------------------------------------------------------------- per-row k
def test_causal_adaptive_k_values():
    k = causal_adaptive_k(10, 1.0, 0.5)
    assert k.tolist() == [min(n, math.ceil(n**0.5)) for n in range(1, 11)]
    assert causal_adaptive_k(5, 3.0, 0.0).tolist() == [1, 2, 3, 3, 3]


@pytest.mark.parametrize(("args", "match"), [
    ((0, 1.0, 0.5), "length must be an int >= 1"),
    ((4, 0.0, 0.5), "alpha must be > 0"),
    ((4, 1.0, 1.5), r"exponent must be in \[0, 1\]"),
    ((4, float("nan"), 0.5), "alpha must be a finite real number"),
])
def test_causal_adaptive_k_rejects_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        causal_adaptive_k(*args)


def test_per_row_k_equals_row_by_row_loss():
    g = torch.Generator().manual_seed(3)
    a = torch.softmax(torch.randn(2, 3, 6, 9, generator=g, dtype=torch.float64), -1)
    k = torch.tensor([1, 2, 3, 4, 9, 5])
    want = torch.stack([sparsity_loss(a[:, :, i:i + 1, :], int(k[i])) for i in range(6)]).mean()
    assert torch.allclose(sparsity_loss(a, k), want, rtol=1e-14)


def test_per_row_k_gradient_is_the_closed_form():
    g = torch.Generator().manual_seed(4)
    s = torch.randn(5, 7, generator=g, dtype=torch.float64, requires_grad=True)
    k = torch.tensor([1, 2, 3, 6, 7])
    from natsparse.numeric.loss import tail_mass_from_scores

    assert torch.autograd.gradcheck(lambda x: tail_mass_from_scores(x, k), (s,))
    tau = tail_mass_from_scores(s, k)
    tau.sum().backward()
    a = torch.softmax(s.detach(), -1)
    kept = torch.zeros_like(a, dtype=torch.bool)
    for i in range(5):
        kept[i, torch.sort(s.detach()[i], descending=True, stable=True).indices[:k[i]]] = True
    closed = a * ((~kept).double() - tau.detach()[:, None])  # lem:loss-gradient
    assert torch.allclose(s.grad, closed, atol=1e-14)


@pytest.mark.parametrize(("k", "exc", "match"), [
    (torch.tensor([1.0, 2.0]), TypeError, "1-D integer tensor"),
    (torch.tensor([[1, 2]]), TypeError, "1-D integer tensor"),
    (torch.tensor([1, 0, 1]), ValueError, "k must be >= 1 in every row"),
    (torch.tensor([1, 2]), ValueError, "M = len"),
    (torch.tensor([1, 2, 5]), ValueError, "k=5 > the row length N=4"),
])
def test_per_row_k_bad_input(k, exc, match):
    a = torch.full((3, 4), 0.25)
    with pytest.raises(exc, match=match):
        sparsity_loss(a, k)


# ----------------------------------------------------------------------------- training
def test_short_training_run_logs_and_checkpoints(tmp_path, corpus):
    log = condense.train(TINY, tmp_path, corpus, progress=False, val_windows=4)
    assert [h["step"] for h in log["history"]] == [2, 4]
    for h in log["history"]:
        assert math.isfinite(h["train_lm"]) and math.isfinite(h["val_lm"]) and 0 <= h["train_Lk"] <= 1
    assert log["config"] == TINY.to_dict() and log["seconds"] > 0
    assert json.loads((tmp_path / "log.json").read_text()) == log
    model, cfg, ckpt = condense.load_model(tmp_path)
    assert cfg == TINY and ckpt["step"] == 4


def test_training_lowers_the_loss(tmp_path, corpus):
    """30 steps of the quick config: the LM loss falls well below its ln(256) = 5.55 start."""
    log = condense.train(QUICK_BASE, tmp_path, corpus, progress=False, val_windows=8)
    assert log["history"][-1]["val_lm"] < 0.8 * math.log(256)


def test_interrupted_run_resumes_to_the_same_weights(tmp_path, corpus, monkeypatch):
    straight = condense.train(TINY, tmp_path / "a", corpus, progress=False, val_windows=4)
    real_batch, calls = condense._batch, []

    def crash_on_fourth(*args):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real_batch(*args)

    monkeypatch.setattr(condense, "_batch", crash_on_fourth)
    with pytest.raises(KeyboardInterrupt):
        condense.train(TINY, tmp_path / "b", corpus, progress=False, val_windows=4)
    assert condense.load_model(tmp_path / "b")[2]["step"] == 2  # the checkpoint at step 2 survived
    monkeypatch.setattr(condense, "_batch", real_batch)
    resumed = condense.train(TINY, tmp_path / "b", corpus, progress=False, val_windows=4)
    wa, wb = _weights(tmp_path / "a"), _weights(tmp_path / "b")
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert [h["val_lm"] for h in resumed["history"]] == [h["val_lm"] for h in straight["history"]]


def test_a_crash_while_saving_keeps_the_good_checkpoint(tmp_path, corpus, monkeypatch):
    """The second save (step 4) dies half-written: the step-2 checkpoint stays whole and resumable."""
    real_save, saves = torch.save, []

    def dies_on_second_save(obj, path):
        saves.append(path)
        real_save(obj, path)
        if len(saves) == 2:
            data = open(path, "rb").read()
            open(path, "wb").write(data[: len(data) // 2])
            raise OSError("disk full")

    monkeypatch.setattr(torch, "save", dies_on_second_save)
    with pytest.raises(OSError, match="disk full"):
        condense.train(TINY, tmp_path / "run", corpus, progress=False, val_windows=4)
    monkeypatch.setattr(torch, "save", real_save)
    assert saves[1].name == "checkpoint.pt.tmp"  # the damage is confined to the temporary file
    assert condense.load_model(tmp_path / "run")[2]["step"] == 2
    condense.train(TINY, tmp_path / "run", corpus, progress=False, val_windows=4)
    condense.train(TINY, tmp_path / "straight", corpus, progress=False, val_windows=4)
    wa, wb = _weights(tmp_path / "run"), _weights(tmp_path / "straight")
    assert all(torch.equal(wa[k], wb[k]) for k in wa)


def test_corrupted_checkpoint_is_reported_and_left_alone(tmp_path, corpus):
    condense.train(dataclasses.replace(TINY, steps=2), tmp_path, corpus, progress=False, val_windows=4)
    path = tmp_path / "checkpoint.pt"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])  # truncated, as after a crash without write-then-rename
    bad = path.read_bytes()
    with pytest.raises(condense.CheckpointError, match="cannot be read .corrupted or partially written"):
        condense.train(dataclasses.replace(TINY, steps=2), tmp_path, corpus, progress=False)
    with pytest.raises(condense.CheckpointError, match="cannot be read"):
        condense.load_model(tmp_path)
    assert path.read_bytes() == bad
    path.write_bytes(b"not a checkpoint at all")
    with pytest.raises(condense.CheckpointError, match="cannot be read"):
        condense.load_model(path)


def test_foreign_or_incomplete_checkpoints_are_refused(tmp_path):
    torch.save({"format": "something else"}, tmp_path / "x.pt")
    with pytest.raises(condense.CheckpointError, match="not a natsparse condensation checkpoint"):
        condense.load_model(tmp_path / "x.pt")
    torch.save({"format": condense.FORMAT, "config": {}}, tmp_path / "y.pt")
    with pytest.raises(condense.CheckpointError, match="lacks"):
        condense.load_model(tmp_path / "y.pt")
    with pytest.raises(condense.CheckpointError, match="no checkpoint at"):
        condense.load_model(tmp_path / "missing")


def test_another_configuration_in_the_same_folder_is_refused(tmp_path, corpus):
    condense.train(dataclasses.replace(TINY, steps=2), tmp_path, corpus, progress=False, val_windows=4)
    with pytest.raises(condense.CheckpointError, match="another configuration"):
        condense.train(dataclasses.replace(TINY, steps=2, lam=0.5), tmp_path, corpus, progress=False)


@pytest.mark.parametrize(("kwargs", "match"), [
    (dict(k=0), "k must be an int >= 1"),
    (dict(k=2.0), "k must be an int >= 1"),
    (dict(lam=-0.1), r"lam must be >= 0"),
    (dict(lam=float("inf")), "lam must be a finite real number"),
    (dict(k=33), r"k=33 exceeds the context length 32"),
    (dict(alpha=1.0), "alpha and exponent go together"),
    (dict(alpha=-1.0, exponent=0.5), "alpha must be > 0"),
    (dict(steps=0), "steps must be an int >= 1"),
    (dict(lr=0.0), "lr must be a finite number > 0"),
    (dict(layer_weights=(1.0,)), "one entry per layer"),
])
def test_bad_training_configuration(kwargs, match):
    with pytest.raises(ValueError, match=match):
        dataclasses.replace(QUICK_BASE, **kwargs)


def test_corpus_too_small_for_the_context(tmp_path):
    text = tmp_path / "tiny.txt"
    text.write_text("x" * 200)
    small = load_corpus([text])
    with pytest.raises(ValueError, match=r"too small for context=32: its val split has 20 bytes"):
        condense.train(QUICK_BASE, tmp_path / "run", small, progress=False)


# ----------------------------------------------------------------------------- evaluation
def test_evaluate_reports_dense_topk_and_certificate(tmp_path, corpus):
    condense.train(TINY, tmp_path, corpus, progress=False, val_windows=4)
    model, cfg, _ = condense.load_model(tmp_path)
    ev = condense.evaluate(model, cfg, corpus, windows=8)
    assert ev["windows"] == 8 and ev["tokens"] == 8 * 32 and ev["k_inference"] == cfg.k
    for mode in ("dense", "topk"):
        assert math.isclose(ev[f"ppl_{mode}"], math.exp(ev[f"val_loss_{mode}"]))
    assert ev["val_loss_topk"] != ev["val_loss_dense"]  # k = 4 < 32 keys: inference really is sparse
    for r in ev["layers"]:
        assert 0 < r["tau_mean"] < 1 - cfg.k / cfg.model.context  # lem:tail-monotone, strictly here
        assert r["certificate_violations"] == 0 and 0 < r["certificate_max_ratio"] <= 1
        assert 0 < r["error_mean"] <= r["certificate_mean"]
        assert 1 <= r["k_eps_median"] <= cfg.model.context
    with pytest.raises(ValueError, match=r"eps must be a float in \(0, 1\)"):
        condense.evaluate(model, cfg, corpus, eps=0.0)


def test_training_leaves_the_global_rng_alone(tmp_path, corpus):
    before = torch.get_rng_state()
    condense.train(dataclasses.replace(TINY, steps=1), tmp_path, corpus, progress=False, val_windows=2)
    assert torch.equal(before, torch.get_rng_state())


def test_ctrl_c_saves_the_finished_steps(tmp_path, corpus, monkeypatch):
    """SIGINT during step 3 lets step 3 finish, saves it (checkpoint_every is 2), and resumes exactly."""
    import os
    import signal

    real_batch, calls = condense._batch, []

    def interrupt_on_third(*args):
        calls.append(1)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGINT)
        return real_batch(*args)

    monkeypatch.setattr(condense, "_batch", interrupt_on_third)
    before = signal.getsignal(signal.SIGINT)  # not always Python's default: a library may have set SIG_IGN
    with pytest.raises(KeyboardInterrupt, match="interrupted at step 3 of 4"):
        condense.train(TINY, tmp_path / "b", corpus, progress=False, val_windows=4)
    assert condense.load_model(tmp_path / "b")[2]["step"] == 3
    assert signal.getsignal(signal.SIGINT) is before  # handler restored
    monkeypatch.setattr(condense, "_batch", real_batch)
    condense.train(TINY, tmp_path / "b", corpus, progress=False, val_windows=4)
    condense.train(TINY, tmp_path / "a", corpus, progress=False, val_windows=4)
    wa, wb = _weights(tmp_path / "a"), _weights(tmp_path / "b")
    assert all(torch.equal(wa[k], wb[k]) for k in wa)


