"""Every subcommand of `natsparse` (real-model aside: its own helper's tests) meets bad input with one
line `natsparse: error: ...` naming the argument and the expected form, exit status 2, no traceback.

The cases include those issue 17 found: a missing eps ("sparse_whp() missing 1 required positional
argument"), an unexpected keyword, an mpf leaking into the message, "invalid input: nan" without the
argument, a traceback for `condense train --out /etc/passwd/x`, `simulate --delta 2` accepted without
--eps, and `bound thm:nC-sufficient --gamma 2` answered with exit 0 although gamma < 1 is a hypothesis.
"""

import subprocess
import sys

import pytest

from natsparse.cli import main

GAP = ["--n", "4", "--k", "1", "--Delta", "1", "--s_k1", "0", "--LSE", "1"]
NC = ["--n", "100", "--C", "0.8"]

#: (argv, what the one line must say)
CASES = [
    # the top level
    ([], "the following arguments are required: COMMAND"),
    (["frobnicate"], "argument COMMAND: invalid choice: 'frobnicate'"),
    # list
    (["list", "--bogus"], "unrecognized arguments: --bogus"),
    (["list", "--json", "/etc/passwd/x.json"],
     "list: argument --json: expected '-' or a file path in a writable"),
    # show
    (["show"], "show: the following arguments are required: id"),
    (["show", "lem:gap-bund"], "unknown result id 'lem:gap-bund'"),
    (["show", "lem:gap-bound", "--json", "/etc/passwd/x"],
     "show: argument --json: expected '-' or a file path"),
    # check
    (["check"], "check: give result ids or --all"),
    (["check", "--all", "lem:gap-bound"], "check: give result ids or --all (not both)"),
    (["check", "lem:nope"], "unknown result id 'lem:nope'"),
    (["check", "--json", "lem:gap-bound", "lem:max-weight"],
     "argument --json: expected '-' or a file path, got the result id 'lem:gap-bound' (put --json after"),
    (["check", "lem:gap-bound", "--digits", "80"],
     "check: argument --digits: expected an integer in [1, 50], got '80'"),
    # bound: the id, the parameters, their values, the hypotheses, the options
    (["bound"], "bound: the following arguments are required: id"),
    (["bound", "lem:nope", "--n", "3"], "unknown result id 'lem:nope'"),
    (["bound", "exp:kernel"], "bound: exp:kernel has no bound to evaluate"),
    (["bound", "thm:sparse-whp-sharp", "--n", "1e10000", "--beta", "1", "--eps", "0.1"],   # str(n) failed
     "--n must be <= 10000000 for thm:sparse-whp-sharp (got about 10^10000); use thm:sparse-whp beyond"),
    (["bound", "thm:sparse-whp", "--n", "100", "--beta", "1"],     # once "parameter(s) ['eps'] needed"
     "bound thm:sparse-whp: the following arguments are required: --eps (its parameters: --n, --beta,"),
    (["bound", "thm:sparse-whp", "--n", "4096"],
     "the following arguments are required: --beta, --eps"),
    (["bound", "thm:sparse-whp", "--n", "100", "--beta", "1", "--eps", "0.1", "--foo", "1"],
     "unrecognized arguments: --foo 1 (its parameters: --n, --beta, --eps, --delta;"),
    (["bound", "thm:sparse-whp", "--n", "1.5", "--beta", "1", "--eps", "0.1"],
     "--n must be an integer, got 1.5"),
    (["bound", "thm:sparse-whp", "--n", "100", "--beta", "nan", "--eps", "0.1"],
     "--beta must be a finite number (real number > 0), got 'nan'"),
    (["bound", "thm:sparse-whp", "--n", "100", "--beta", "1", "--eps", "0.1", "--delta", "1"],
     "--delta must be in (0, 1) (a probability), got 1"),
    (["bound", "thm:nC-sufficient", "--gamma", "2", *NC],
     "--gamma must be < 1 for thm:nC-sufficient (its hypothesis gamma < 1), got 2"),
    (["bound", "thm:nC-sufficient", "--gamma", "0.5", "--n", "100", "--C", "0.2"],
     "thm:nC-sufficient needs C > 1 - gamma, which fails at C = 0.2, gamma = 0.5"),
    (["bound", "lem:gap-bound", "--n", "x", *GAP[2:]],
     "--n must be a finite number (integer >= 1; must satisfy k < n), got 'x'"),
    (["bound", "lem:gap-bound", "--n"], "argument --n: expected one argument"),
    (["bound", "lem:gap-bound", *GAP, "3"], "unrecognized arguments: 3"),
    (["bound", "lem:gap-bound", "--n", "3", "--k", "3", "--Delta", "1", "--s_k1", "0", "--LSE", "1"],
     "lem:gap-bound needs k < n, which fails at k = 3, n = 3"),
    (["bound", "lem:gap-bound", *GAP[:4], "--Delta", "-1", *GAP[6:]], "--Delta must be >= 0, got -1"),
    (["bound", "lem:gap-bound", *GAP, "--Delta_k", "1"], "unrecognized arguments: --Delta_k 1"),
    (["bound", "lem:gap-bound", *GAP[:4], "--Delta", "-2.5", *GAP[6:]], "--Delta must be >= 0, got -2.5"),
    (["bound", "lem:gap-bound", *GAP, "--digits", "51"], "argument --digits: expected an integer in [1, 50]"),
    (["bound", "lem:gap-bound", *GAP, "--json", "/etc/passwd/x"],
     "argument --json: expected '-' or a file path"),
    (["bound", "thm:error-whp", "--n", "100", "--beta", "1", "--eps", "0.1", "--k", "101"],
     "--k must be an integer in [1, n=100], got 101"),
    (["bound", "def:attention", "--n", "3"], "bound: def:attention sums over vectors (a[j], s[i], v[j])"),
    (["bound", "def:tail-mass", "--help"], "bound: def:tail-mass sums over vectors (1_S(j), a[j])"),
    (["bound", "lem:loss-gradient", "--n", "10", "--k", "2", "--tau", "0.1", "--a_l", "-1", "--1_S_l", "1"],
     "--a_l must be >= 0, got -1"),
    # simulate
    (["simulate", "--n", "100"], "simulate: the following arguments are required: --beta"),
    (["simulate", "--n", "0", "--beta", "1"], "simulate: argument --n: expected an integer >= 1, got '0'"),
    (["simulate", "--n", "10", "--beta", "nan"],
     "simulate: argument --beta: expected a real number >= 0, got 'nan'"),
    (["simulate", "--n", "10", "--beta", "1", "--delta", "2"],
     "simulate: argument --delta: expected a real number in (0, 1), got '2'"),
    (["simulate", "--n", "10", "--beta", "1", "--eps", "0"],
     "argument --eps: expected a real number in (0, 1)"),
    (["simulate", "--n", "10", "--beta", "1", "--k", "11", "--no-progress"],
     "simulate: --k must be at most --n = 10"),
    (["simulate", "--n", "10", "--beta", "1", "--trials", "1e3"],
     "argument --trials: expected an integer >= 1"),
    (["simulate", "--n", "10", "--beta", "1e400"],                        # once "expected >= 0"
     "argument --beta: expected a real number >= 0 that float64 can hold (at most 1.8e308), got '1e400'"),
    (["simulate", "--n", "10", "--beta", "1", "--eps", "1e-400"],
     "argument --eps: '1e-400' is in (0, 1) but underflows to 0 in float64"),
    (["simulate", "--n", "10", "--beta", "1", "--json", "{tmp}/no/such/r.json"],   # once created silently
     "argument --json: expected '-' or a file path in an existing folder, got"),
    # audit
    (["bound", "thm:sparse-whp", "--n", "4096", "--beta", "2", "--eps", "1e-400"],
     "--eps = 1e-400 is in (0, 1) but underflows to 0 in float64"),
    (["bound", "ax:norm-triangle"], "bound: ax:norm-triangle is an axiom"),
    (["audit"], "audit: give result ids, --deterministic, --gated or --all"),
    (["audit", "--all", "--gated"], "audit: give result ids, --deterministic, --gated or --all (exactly one"),
    (["audit", "lem:nope"], "unknown result id 'lem:nope'"),
    (["audit", "exp:kernel"], "audit: exp:kernel has no formula to mutate"),
    # condense
    (["condense"], "condense: the following arguments are required: {train,eval,experiment}"),
    (["condense", "train"], "condense train: the following arguments are required: --out"),
    (["condense", "train", "--out", "/etc/passwd/x"],
     "condense train: argument --out: expected a folder that can be created, got '/etc/passwd/x'"),
    (["condense", "train", "--out", "{tmp}", "--exponent", "2"],
     "argument --exponent: expected a real number in [0, 1]"),
    (["condense", "train", "--out", "{tmp}", "--lr", "0"],
     "argument --lr: expected a real number > 0, got '0'"),
    (["condense", "eval", "{tmp}/none"], "no checkpoint at"),
    (["condense", "eval", "{file}"],                  # once "cannot be read (corrupted ...: EOFError: )"
     "condense eval: {file} is not a checkpoint written by natsparse condense train"),
    (["condense", "train", "--out", "{tmp}", "--width", "30", "--heads", "4"],   # once GPTConfig.width
     "condense train: --width must be a multiple of --heads, got --width 30 and --heads 4"),
    (["condense", "train", "--out", "{tmp}", "--context", "8", "--k", "9"],
     "condense train: --k must be at most --context = 8, got 9"),
    (["condense", "train", "--out", "{tmp}", "--text", "{file}", "--context", "64"],
     "--text: the train split of the text has"),
    (["condense", "experiment", "--runs", "/etc/passwd/x"],
     "argument --runs: expected a folder that can be created"),
    (["condense", "experiment", "--runs", "{tmp}", "--json", "/etc/passwd/x"],
     "argument --json: expected '-'"),
]


@pytest.mark.parametrize("argv, message", CASES, ids=[" ".join(a)[:60] or "(none)" for a, _ in CASES])
def test_bad_input_is_one_line_naming_the_argument_exit_2(capsys, tmp_path, argv, message):
    plain = tmp_path / "plain.txt"               # a text file: not a checkpoint, too short a text
    plain.write_text("a few words\n")
    code = main([a.replace("{tmp}", str(tmp_path)).replace("{file}", str(plain)) for a in argv])
    out = capsys.readouterr()
    assert code == 2, out.out[-500:] + out.err
    assert out.err.startswith("natsparse: error: ") and out.err.count("\n") == 1, out.err
    assert message.replace("{file}", str(plain)) in out.err, out.err
    assert "Traceback" not in out.err and "mpf(" not in out.err and "positional argument" not in out.err


def test_every_subcommand_is_covered():
    """A new subcommand needs its bad-input cases here (real-model: tested by its own helper)."""
    from natsparse.cli import build_parser

    (sub,) = [a for a in build_parser()._actions if a.dest == "command"]
    covered = {argv[0] for argv, _ in CASES if argv}
    assert set(sub.choices) - {"real-model"} <= covered


def test_no_traceback_from_the_installed_command():
    """The installed entry point (a subprocess: what a user runs) prints one line for the path that
    once printed a traceback."""
    out = subprocess.run([sys.executable, "-m", "natsparse", "condense", "train", "--out", "/etc/passwd/x"],
                         capture_output=True, text=True)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
