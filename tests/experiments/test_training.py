"""Condensation training (exp:condensation): the model, short training runs, resumption, checkpoints
that survive crashes and corruption, evaluation, the experiment driver, the CLI, and bad input."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest
import torch

from natsparse.cli import main
from natsparse.experiments import training as condense
from natsparse.experiments.condensation import QUICK_BASE, run_experiment, run_name
from natsparse.experiments.corpus import load_corpus
from natsparse.experiments.tiny_gpt import GPTConfig, TinyGPT
from natsparse.numeric.loss import causal_adaptive_k, sparsity_loss

TINY = dataclasses.replace(QUICK_BASE, steps=4, eval_every=2, checkpoint_every=2)


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


def _weights(path):
    model, _, _ = condense.load_model(path)
    return {k: v.clone() for k, v in model.state_dict().items()}


# ----------------------------------------------------------------------------- the model
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
    with pytest.raises(ValueError, match="text files must exist"):
        load_corpus([tmp_path / "missing.txt"])
    with pytest.raises(ValueError, match=r"val_fraction must be a float in \(0, 1\)"):
        load_corpus(val_fraction=1.0)


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


def test_adaptive_rule_infers_with_its_largest_k():
    cfg = dataclasses.replace(QUICK_BASE, alpha=1.0, exponent=0.5)
    assert cfg.inference_k() == math.ceil(32**0.5)
    assert cfg.loss_k().tolist()[:5] == [1, 2, 2, 2, 3]
    assert run_name(cfg) == "lam0_alpha1_C0.5" and run_name(QUICK_BASE) == "lam0_k4"


def test_experiment_writes_json_and_resumes_without_retraining(tmp_path, corpus):
    runs = ({"lam": 0.0}, {"lam": 1.0})
    out = tmp_path / "report.json"
    rep = run_experiment(tmp_path / "runs", base=TINY, runs=runs, corpus=corpus, json_path=out,
                         command="test", progress=False, val_windows=8)
    assert json.loads(out.read_text()) == rep
    assert [r["name"] for r in rep["runs"]] == ["lam0_k4", "lam1_k4"]
    again = run_experiment(tmp_path / "runs", base=TINY, runs=runs, corpus=corpus, progress=False,
                           val_windows=8)
    assert [r["history"] for r in again["runs"]] == [r["history"] for r in rep["runs"]]
    with pytest.raises(ValueError, match="runs must differ"):
        run_experiment(tmp_path / "x", base=TINY, runs=({"lam": 0.0}, {"lam": 0.0}), corpus=corpus)


# ----------------------------------------------------------------------------- CLI
TINY_ARGS = ["--context", "32", "--layers", "1", "--heads", "2", "--width", "16", "--steps", "2",
             "--batch", "4", "--k", "4", "--no-progress"]


def test_cli_train_and_eval(tmp_path, capsys):
    assert main(["condense", "train", "--out", str(tmp_path), "--lam", "0.5", *TINY_ARGS]) == 0
    assert "validation perplexity dense" in capsys.readouterr().out
    assert json.loads((tmp_path / "eval.json").read_text())["k_inference"] == 4
    assert main(["condense", "eval", str(tmp_path), "--json", str(tmp_path / "e.json")]) == 0
    assert "top-4 inference" in capsys.readouterr().out


@pytest.mark.parametrize(("extra", "match"), [
    (["--k", "0"], "k must be an int >= 1"),
    (["--lam", "-1"], "lam must be >= 0"),
    (["--alpha", "1"], "alpha and exponent go together"),
    (["--steps", "0"], "steps must be an int >= 1"),
    (["--layers", "0"], "GPTConfig.layers must be an int >= 1"),
])
def test_cli_bad_input_exits_2(tmp_path, capsys, extra, match):
    assert main(["condense", "train", "--out", str(tmp_path), *TINY_ARGS, *extra]) == 2
    assert match in capsys.readouterr().err


def test_cli_corrupted_checkpoint_exits_2(tmp_path, capsys):
    (tmp_path / "checkpoint.pt").write_bytes(b"garbage")
    assert main(["condense", "eval", str(tmp_path)]) == 2
    assert "cannot be read" in capsys.readouterr().err
    assert (tmp_path / "checkpoint.pt").read_bytes() == b"garbage"


def test_training_leaves_the_global_rng_alone(tmp_path, corpus):
    before = torch.get_rng_state()
    condense.train(dataclasses.replace(TINY, steps=1), tmp_path, corpus, progress=False, val_windows=2)
    assert torch.equal(before, torch.get_rng_state())


def test_cli_quick_experiment_records_its_command(tmp_path, capsys, monkeypatch):
    argv = ["condense", "experiment", "--quick", "--runs", str(tmp_path / "runs"), "--json",
            str(tmp_path / "r.json"), "--no-progress"]
    monkeypatch.setattr("sys.argv", ["natsparse", *argv])
    assert main(argv) == 0
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["command"].startswith("natsparse condense experiment --quick")
    assert len(report["runs"]) == 5 and "lam0.3_alpha1_C0.5" in capsys.readouterr().out


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
    with pytest.raises(KeyboardInterrupt, match="interrupted at step 3 of 4"):
        condense.train(TINY, tmp_path / "b", corpus, progress=False, val_windows=4)
    assert condense.load_model(tmp_path / "b")[2]["step"] == 3
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored
    monkeypatch.setattr(condense, "_batch", real_batch)
    condense.train(TINY, tmp_path / "b", corpus, progress=False, val_windows=4)
    condense.train(TINY, tmp_path / "a", corpus, progress=False, val_windows=4)
    wa, wb = _weights(tmp_path / "a"), _weights(tmp_path / "b")
    assert all(torch.equal(wa[k], wb[k]) for k in wa)


def test_cli_ctrl_c_exits_130_with_the_resume_hint(tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt("interrupted at step 7 of 800; the checkpoint holds it")

    monkeypatch.setattr(condense, "train", interrupted)
    assert main(["condense", "train", "--out", str(tmp_path), *TINY_ARGS]) == 130
    assert "interrupted at step 7" in capsys.readouterr().err
