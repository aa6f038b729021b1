"""The `natsparse` command line: list, show, check, bound; bad input exits 2 in one line; a lazy start.

The cache of outcomes, --refresh and `check` running afresh are tested in tests/evidence/test_cache.py.
"""

import json
import os
import subprocess
import sys

import pytest

from natsparse.cli import main
from natsparse.proofs import registry


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_list_shows_every_id_with_its_status(capsys):
    code, out, _ = run(capsys, "list", "--json")
    rows = json.loads(out)
    assert code == 0
    assert [r["id"] for r in rows] == list(registry)
    assert not [r for r in rows if r["status"] == "failed"]
    status = {r["id"]: r["status"] for r in rows}
    assert status["thm:output-error"] in ("verified", "proved", "fully-proved")


def test_show_prints_statement_bound_and_latex(capsys):
    code, out, _ = run(capsys, "show", "lem:max-weight")
    assert code == 0
    assert "Max-weight lower bound" in out and "LaTeX:" in out and "a_{max}" in out


def test_check_one_result_prints_records_and_passes(capsys):
    code, out, _ = run(capsys, "check", "lem:max-weight")
    assert code == 0
    assert "tightest" in out and "all checks passed" in out


def test_check_exits_1_when_a_check_fails(capsys, monkeypatch):
    from natsparse.proofs import evidence
    failing = evidence.Evidence("lem:max-weight", "sampled", "t", "d",
                                lambda: evidence.Outcome(False, "broken on purpose"))
    monkeypatch.setitem(evidence._EVIDENCE, "lem:max-weight", [failing])
    code, out, _ = run(capsys, "check", "lem:max-weight")
    assert code == 1 and "broken on purpose" in out


@pytest.mark.parametrize("digits", [10, 310, 1000])
def test_bound_of_an_algorithm_at_any_n(capsys, digits):
    """Bounds that are algorithms (numeric.gaussian's registered functions) are found however little was
    imported, and n beyond the float range (once an OverflowError traceback) is computed in mpmath."""
    code, out, err = run(capsys, "bound", "thm:nC-sufficient", "--n", "1" + "0" * digits, "--gamma", "0.5",
                         "--C", "0.8", "--json")
    assert code == 0, err
    values = json.loads(out)
    assert values["exponent"].startswith("0.5") and values["C_above_exponent"] is True


def test_bound_evaluates_at_50_digits(capsys):
    code, out, _ = run(capsys, "bound", "lem:eps-k-tail", "--n", "100", "--k", "3", "--eps", "1e-3",
                       "--v_max", "2", "--json")
    assert code == 0
    assert list(json.loads(out).values())[0].startswith("0.097")


@pytest.mark.parametrize("argv, message", [
    (["show", "lem:gap-bund"], "unknown result id 'lem:gap-bund'"),
    (["bound", "lem:gap-bound", "--n", "x"], "--n must be a number"),
    (["bound", "lem:gap-bound", "--n"], "--name value pairs"),
    (["bound", "lem:gap-bound", "--n", "3", "--k", "3", "--Delta_k", "1", "--s_k1", "0",
      "--LSE", "1"], "needs k < n"),
    (["check"], "give result ids or --all"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message in err and err.count("\n") == 1


HEAVY = ("sympy", "mpmath", "torch", "numpy", "scipy", "flint", "rich", "transformers", "natsparse.proofs",
         "natsparse.evidence", "natsparse.numeric", "natsparse.kernels", "natsparse.experiments")


def test_help_and_parsing_load_nothing_heavy():
    """`natsparse --help`, each subcommand's --help and parsing every command import no SymPy, torch,
    rich or layer of natsparse: the handlers import what they need when they run."""
    code = f"""
import contextlib, io, sys
from natsparse.cli import build_parser, main
parser = build_parser()
for argv in (["list", "--refresh"], ["show", "thm:output-error"], ["check", "--all", "--json"],
             ["bound", "lem:gap-bound", "--n", "3"], ["simulate", "--n", "8", "--beta", "1"],
             ["real-model", "--lengths", "16"], ["condense", "eval", "run"]):
    parser.parse_args(argv)
for argv in (["--help"], ["list", "--help"], ["simulate", "--help"], ["condense", "train", "--help"],
             ["real-model", "--help"]):
    with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.suppress(SystemExit):
        main(argv)
    assert "usage: natsparse" in out.getvalue(), argv
heavy = {HEAVY!r}
print(sorted({{m for m in sys.modules for h in heavy if m == h or m.startswith(h + ".")}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", f"parsing or --help loaded {out.stdout.strip()}"
