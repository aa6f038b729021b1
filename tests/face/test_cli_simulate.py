"""natsparse.cli_simulate: the `simulate` subcommand, JSON and tables, bad input."""

import argparse
import json

import pytest

from natsparse import cli_simulate
from natsparse.numeric import gaussian


def _run(argv, capsys):
    parser = argparse.ArgumentParser()
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
    assert "count[a>0.01]" in rep["statistics"] and "tau[16]" in rep["statistics"]


def test_table_report(capsys):
    code, out = _run("simulate --n 128 --beta 1 --eps 1e-2 --trials 500 --no-progress".split(), capsys)
    assert code == 0 and "thm:sparse-whp" in out and "count[a>0.01]" in out


@pytest.mark.parametrize("argv,exc,msg", [
    ("simulate --n 0 --beta 1 --trials 10", ValueError, "n must be a positive integer"),
    ("simulate --n 10 --beta -1 --trials 10 --eps 0.1", ValueError, "beta must be"),
    ("simulate --n 10 --beta 1 --trials 10 --eps 2", ValueError, r"eps must be in \(0, 1\)"),
    ("simulate --n 10 --beta 1 --trials 10 --k 11", ValueError, "k must be an integer in"),
    ("simulate --n 10 --beta 1 --trials 0", ValueError, "trials must be a positive int"),
])
def test_bad_input(argv, exc, msg, capsys):
    with pytest.raises(exc, match=msg):
        _run(argv.split() + ["--no-progress"], capsys)


def test_the_help_states_the_default_delta():
    """--help states the default without importing numeric.gaussian: it must be DEFAULT_DELTA."""
    assert float(cli_simulate.DELTA_HELP_DEFAULT) == gaussian.DEFAULT_DELTA
    parser = argparse.ArgumentParser()
    cli_simulate.add_parsers(parser.add_subparsers(dest="command"))
    assert parser.parse_args("simulate --n 8 --beta 1".split()).delta is None
    assert parser.parse_args("simulate --n 8 --beta 1 --delta 0.01".split()).delta == 0.01
