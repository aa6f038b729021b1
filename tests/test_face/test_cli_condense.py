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
