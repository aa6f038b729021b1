"""`natsparse condense train | eval | experiment`: the command line of the condensation training."""

from __future__ import annotations

import json

import pytest

from natsparse.cli import main
from natsparse.cli.schemas import validate
from natsparse.experiments import training as condense

TINY_ARGS = ["--context", "32", "--layers", "1", "--heads", "2", "--width", "16", "--steps", "2",
             "--batch", "4", "--k", "4", "--no-progress"]


def test_cli_train_and_eval(tmp_path, capsys):
    assert main(["condense", "train", "--out", str(tmp_path), "--lam", "0.5", *TINY_ARGS]) == 0
    assert "validation perplexity dense" in capsys.readouterr().out
    assert json.loads((tmp_path / "eval.json").read_text())["k_inference"] == 4
    assert main(["condense", "eval", str(tmp_path), "--json"]) == 0      # --json alone: JSON on stdout
    evaluation = json.loads(capsys.readouterr().out)
    assert evaluation["k_inference"] == 4
    validate("condense-eval", evaluation)
    assert main(["condense", "train", "--out", str(tmp_path), "--lam", "0.5", *TINY_ARGS, "--json"]) == 0
    validate("condense-train", json.loads(capsys.readouterr().out))    # resumed: trained, evaluated


@pytest.mark.parametrize(("extra", "match"), [
    (["--k", "0"], "argument --k: expected an integer >= 1, got '0'"),
    (["--lam", "-1"], "argument --lam: expected a real number >= 0, got '-1'"),
    (["--alpha", "1"], "--alpha and --exponent go together"),
    (["--steps", "0"], "argument --steps: expected an integer >= 1"),
    (["--layers", "0"], "argument --layers: expected an integer >= 1"),
    (["--heads", "3"], "--width must be a multiple of --heads, got --width 16 and --heads 3"),
])
def test_cli_bad_input_exits_2(tmp_path, capsys, extra, match):
    assert main(["condense", "train", "--out", str(tmp_path), *TINY_ARGS, *extra]) == 2
    assert match in capsys.readouterr().err


def test_cli_corrupted_checkpoint_exits_2(tmp_path, capsys):
    (tmp_path / "checkpoint.pt").write_bytes(b"garbage")
    assert main(["condense", "eval", str(tmp_path)]) == 2
    assert "is not a checkpoint written by natsparse condense train" in capsys.readouterr().err
    assert (tmp_path / "checkpoint.pt").read_bytes() == b"garbage"


def test_cli_quick_experiment_records_its_command(tmp_path, capsys, monkeypatch):
    argv = ["condense", "experiment", "--quick", "--runs", str(tmp_path / "runs"), "--json",
            str(tmp_path / "r.json"), "--no-progress"]
    monkeypatch.setattr("sys.argv", ["natsparse", *argv])
    assert main(argv) == 0
    report = json.loads((tmp_path / "r.json").read_text())
    validate("condense-experiment", report)
    assert report["command"].startswith("natsparse condense experiment --quick")
    assert len(report["runs"]) == 5 and "lam0.3_alpha1_C0.5" in capsys.readouterr().out


def test_cli_ctrl_c_exits_130_with_the_resume_hint(tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt("interrupted at step 7 of 800; the checkpoint holds it")

    monkeypatch.setattr(condense, "train", interrupted)
    assert main(["condense", "train", "--out", str(tmp_path), *TINY_ARGS]) == 130
    assert "interrupted at step 7" in capsys.readouterr().err


# --- --model smollm2 (issue 27): bad input refused before the model loads; the CI-sized run ---------

@pytest.fixture
def no_model(monkeypatch):
    """Loading the decoder fails the test: bad input must be refused before it."""
    def load():
        raise AssertionError("the model was loaded before the arguments were checked")

    monkeypatch.setattr("natsparse.experiments.real_decoder.load", load)


@pytest.mark.parametrize(("extra", "match"), [
    (["--width", "16"], "--width shape the tiny GPT; --model smollm2 has its own shape"),
    (["--lk-layers", "0", "30"], "--lk-layers must be distinct layer indices in [0, 29] (smollm2 has 30), "
                                 "got 0 30"),
    (["--lk-heads", "9"], "--lk-heads must be distinct query head indices in [0, 8]"),
    (["--k", "64", "--context", "32"], "--k must be at most --context = 32, got 64"),
    (["--context", "9000"], "--context must be at most 8192 for --model smollm2, got 9000"),
    (["--eval-k", "300"], "--eval-k must be at most --eval-context = 256, got 300"),
    (["--law-lengths", "64"], "--law-lengths must be at least two lengths in [34, 8192], got 64"),
    (["--alpha", "1"], "--alpha and --exponent go together"),
    (["--rank", "0"], "argument --rank: expected an integer >= 1, got '0'"),
    (["--text", "/no/such/file"], "--text must name readable text files, got '/no/such/file'"),
])
def test_cli_smollm2_bad_input_exits_2_before_loading(tmp_path, capsys, no_model, extra, match):
    argv = ["condense", "train", "--model", "smollm2", "--out", str(tmp_path), "--no-progress", *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert match in err and len(err.strip().splitlines()) == 1


def test_cli_smollm2_short_text_and_tiny_only_options(tmp_path, capsys, no_model):
    short = tmp_path / "short.txt"
    short.write_text("too short")
    assert main(["condense", "train", "--model", "smollm2", "--out", str(tmp_path), "--text", str(short)]) \
        == 2
    assert "the text has 9 bytes, fewer than the" in capsys.readouterr().err
    assert main(["condense", "train", "--out", str(tmp_path), "--rank", "2", "--lk-heads", "1"]) == 2
    assert "--rank, --lk-heads apply to --model smollm2 only" in capsys.readouterr().err


#: the CI-sized run of issue 27: 2 steps of one 32-token window, evaluated on one 48-token window
SMOLLM2_CI = ["--model", "smollm2", "--lam", "1", "--k", "8", "--steps", "2", "--batch", "1", "--context",
              "32", "--rank", "2", "--lk-layers", "0", "1", "29", "--eval-context", "48", "--eval-windows",
              "1", "--eval-k", "8", "--law-lengths", "34", "40", "--no-progress"]


def test_cli_smollm2_ci_run(tmp_path, capsys):
    """Issue 27's CI-sized run (<= 2 minutes on two idle cores): train, evaluate, resume."""
    import torch

    from natsparse.experiments import condense_decoder as cd

    pytest.importorskip("gguf")
    out = tmp_path / "run"
    assert main(["condense", "train", "--out", str(out), *SMOLLM2_CI, "--json"]) == 0
    ev = json.loads(capsys.readouterr().out)
    validate("condense-train", ev)
    assert ev["k_training"] == 8 and [r["k"] for r in ev["topk"]] == [8]
    assert ev["violations"] == 0 and ev["topk"][0]["audit"]["rows"] > 0
    assert len(ev["layers"]) == 30 and 0 < ev["Lk"] < 1 - 8 / 32
    # L_k on layers 0, 1, 29 only: the mean of those layers' tau_k
    assert ev["Lk"] == pytest.approx(sum(ev["layers"][i]["tau_mean"] for i in (0, 1, 29)) / 3, rel=1e-6)
    log = json.loads((out / "log.json").read_text())
    assert [h["step"] for h in log["history"]] == [2] and log["history"][0]["train_Lk"] > 0
    ckpt = torch.load(out / "checkpoint.pt", weights_only=True)
    assert ckpt["step"] == 2 and len(ckpt["model"]) == 30 * 2 * 2          # A and B of q_proj, k_proj
    assert any(t.abs().sum() > 0 for name, t in ckpt["model"].items() if name.endswith(".B"))  # trained
    # the same run again: resumed from its checkpoint, nothing retrained
    cfg = cd.DecoderConfig.from_dict(log["config"])
    assert cd.train(cfg, out, progress=False)["history"] == log["history"] and cd.is_decoder_checkpoint(out)
    # a changed configuration in the same folder is bad input, told before anything loads
    assert main(["condense", "train", "--out", str(out), *SMOLLM2_CI, "--steps", "3"]) == 2
    assert "holds a run with another configuration" in capsys.readouterr().err
