"""natsparse.cli.simulate: the `simulate` subcommand, JSON (stdout or a file) and tables, bad input."""

import json

import pytest

from natsparse.cli import main
from natsparse.cli import simulate as cli_simulate
from natsparse.cli.common import Parser
from natsparse.numeric import gaussian


def _run(argv, capsys):
    parser = Parser()
    cli_simulate.add_parsers(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    code = args.func(args)
    return code, capsys.readouterr().out


def test_json_report(capsys):
    code, out = _run("simulate --n 256 --beta 2 --eps 1e-2 --k 16 64 --trials 2000 --json --no-progress "
                     "--seed 3".split(), capsys)
    rep = json.loads(out)
    assert code == 0 and rep["trials"] == 2000 and rep["seed"] == 3
    assert rep["delta"] == gaussian.DEFAULT_DELTA  # the default when --delta is not given
    (sp,) = rep["sparsity"]
    assert sp["quantile"] <= sp["k_bound"] and sp["failures"] == 0
    assert {r["k"] for r in rep["tail"]} == {16, 64}
    assert rep["statistics"]["count_a_0_01"]["name"] == "count[a>0.01]" and "tau_16" in rep["statistics"]


def test_table_report(capsys):
    code, out = _run("simulate --n 128 --beta 1 --eps 1e-2 --trials 500 --no-progress".split(), capsys)
    assert code == 0 and "thm:sparse-whp" in out and "count[a>0.01]" in out
    assert " std " in out and " sd " not in out                      # one name, as in the JSON


def test_json_to_a_file_keeps_the_tables(tmp_path, capsys):
    code, out = _run(f"simulate --n 64 --beta 1 --k 4 --trials 200 --no-progress --json {tmp_path / 'r.json'}"
                     .split(), capsys)
    assert code == 0 and "thm:error-whp" in out
    assert json.loads((tmp_path / "r.json").read_text())["tail"][0]["k"] == 4


@pytest.mark.parametrize("argv,msg", [
    ("simulate --n 0 --beta 1 --trials 10", "argument --n: expected an integer >= 1, got '0'"),
    ("simulate --n 10 --beta -1 --trials 10 --eps 0.1", "argument --beta: expected a real number >= 0"),
    ("simulate --n 10 --beta 1 --trials 10 --eps 2", r"argument --eps: expected a real number in (0, 1)"),
    ("simulate --n 10 --beta 1 --trials 10 --k 11", "--k must be at most --n = 10, got 11"),
    ("simulate --n 10 --beta 1 --trials 0", "argument --trials: expected an integer >= 1"),
    ("simulate --n 10 --beta 1 --delta 2", "argument --delta: expected a real number in (0, 1), got '2'"),
])
def test_bad_input(argv, msg, capsys):
    """One line naming the argument and the expected form, exit 2, before any sampling; --delta is
    checked even without --eps (once accepted)."""
    assert main(argv.split() + ["--no-progress"]) == 2
    err = capsys.readouterr().err
    assert msg in err and err.count("\n") == 1


def test_the_help_states_the_default_delta():
    """--help states the default without importing numeric.gaussian: it must be DEFAULT_DELTA."""
    assert float(cli_simulate.DELTA_HELP_DEFAULT) == gaussian.DEFAULT_DELTA
    parser = Parser()
    cli_simulate.add_parsers(parser.add_subparsers(dest="command"))
    assert parser.parse_args("simulate --n 8 --beta 1".split()).delta is None
    assert parser.parse_args("simulate --n 8 --beta 1 --delta 0.01".split()).delta == 0.01
