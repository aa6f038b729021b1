"""The `natsparse` command line: list, show, check, bound; one JSON convention, --digits, --version,
per-id help of `bound`, help text on every option; a lazy start. Bad input of every subcommand:
tests/test_face/test_cli_bad_input.py.

The cache of outcomes, --refresh and `check` running afresh are tested in tests/test_evidence/test_cache.py.
"""

import argparse
import decimal
import json
import os
import subprocess
import sys

import mpmath
import pytest

from natsparse import __version__
from natsparse.cli import build_parser, main
from natsparse.cli.bound import bound_parser, specs_of, vectors
from natsparse.numeric import bounds
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
    assert "Max-weight lower bound" in out and "LaTeX:" in out and r"a_{\max}" in out


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
    report = json.loads(out)
    assert report["exact"]["exponent"].startswith("0.5") and report["values"]["C_above_exponent"] is True
    assert report["parameters"]["n"] == 10**digits                      # an exact integer, not a float


def test_bound_json_convention(capsys, tmp_path):
    """Keys named by the quantity, numbers as numbers, the exact 50 digits in `exact`; --json PATH."""
    argv = ["bound", "lem:eps-k-tail", "--n", "100", "--k", "3", "--eps", "1e-3", "--v_max", "2"]
    code, out, _ = run(capsys, *argv, "--json")
    report = json.loads(out)
    assert code == 0 and set(report["values"]) == {"tau", "err"}
    assert report["values"]["tau"] == pytest.approx(0.097, rel=1e-15)
    assert report["relations"]["tau"] == "tau <= eps*(-k + n)"
    exact = report["exact"]["tau"]
    assert len(exact.replace("0.", "", 1).lstrip("0")) == report["digits_computed"] == 50
    with mpmath.workdps(60):
        assert abs(mpmath.mpf(exact) - mpmath.mpf(97) / 1000) < mpmath.mpf(10) ** -52
    assert report["parameters"] == {"n": 100, "k": 3, "eps": 0.001, "v_max": 2}
    code, out, _ = run(capsys, *argv, "--json", str(tmp_path / "b.json"))
    assert code == 0 and json.loads((tmp_path / "b.json").read_text()) == report
    assert "tau <= eps*(-k + n)" in out                                 # the table is still printed


def test_bound_digits_up_to_the_precision_computed(capsys, monkeypatch):
    """Computed at 50 digits, shown at 50 on request (once: always 15)."""
    monkeypatch.setenv("COLUMNS", "200")
    argv = ["bound", "lem:gap-bound", "--n", "10", "--k", "3", "--Delta", "1.5", "--s_k1", "0", "--LSE", "2"]
    code, out, _ = run(capsys, *argv, "--digits", "50")
    with mpmath.workdps(60):
        want = mpmath.nstr(1 / (1 + mpmath.mpf(3) / 7 * mpmath.exp(mpmath.mpf("1.5"))), 50)
    assert code == 0 and "50 digits computed, 50 shown" in out and want in out and len(want) == 52
    code, _, err = run(capsys, *argv, "--digits", "51")
    assert code == 2 and "--digits: expected an integer in [1, 50], got '51'" in err


def test_bound_help_lists_the_parameters_of_the_id(capsys, monkeypatch):
    """`bound ID --help` (once swallowed: "parameters must be --name value pairs") lists that id's
    parameters with meaning, domain and default, and the hypotheses."""
    monkeypatch.setenv("COLUMNS", "200")                  # argparse wraps its help at the terminal width
    with pytest.raises(SystemExit) as stop:
        main(["bound", "thm:nC-sufficient", "--help"])
    out = capsys.readouterr().out
    assert stop.value.code == 0
    for line in ("--n VALUE      number of keys (the row length); integer >= 1",
                 "--gamma VALUE  regime: beta^2 = 2 gamma ln n; real number in (0, 1); "
                 "must satisfy C > 1 - gamma",
                 "--alpha VALUE  constant of the window k = ceil(alpha n^C); real number > 0; default 1",
                 "Hypotheses (enforced): gamma < 1; C > 1 - gamma"):
        assert line in out, line


def test_every_option_has_help_text():
    """Every option of every subcommand, and of every result's `bound ID` parser, says what it is."""
    def actions(parser):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    yield from actions(sub)
            elif not isinstance(action, argparse._HelpAction):
                yield parser.prog, action

    missing = [f"{prog} {action.dest}" for prog, action in actions(build_parser()) if not action.help]
    for rid, r in registry.items():
        if (r.formula is not None or bounds.has_function(rid)) and r.kind != "axiom" and not vectors(r):
            if not bounds.parameter_specs(rid):    # a limit only (thm:nC-necessary): `bound` refuses it
                continue
            parser = bound_parser(r, specs_of(r), bounds.precision(rid))
            missing += [f"{prog} {a.dest}" for prog, a in actions(parser) if not a.help]
    assert not missing


def test_version(capsys):
    """`natsparse --version` prints the version, which is pyproject's (the two must not drift)."""
    import tomllib
    from pathlib import Path

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out.strip() == f"natsparse {__version__}"
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    assert __version__ == pyproject["project"]["version"]


def test_list_never_cuts_an_id_at_80_columns(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run(capsys, "list")
    assert code == 0
    first_cells = {line.split("│")[1].strip() for line in out.splitlines() if line.startswith("│")}
    assert set(registry) <= first_cells


def test_show_json_and_check_json_are_complete(capsys):
    code, out, _ = run(capsys, "show", "lem:gap-bound", "--json")
    shown = json.loads(out)
    texts = [text for _, text in bounds.quantities("lem:gap-bound")]
    assert code == 0 and shown["relations"] == {"tau_1": texts[0], "tau_2": texts[1]}
    assert shown["latex"].count(r"\Delta_k") == 1 and shown["evidence"] and shown["status"]
    code, out, _ = run(capsys, "check", "lem:gap-bound", "--json")
    report = json.loads(out, parse_float=decimal.Decimal)
    assert code == 0 and report["passed"] is True and report["evidence"]
    (records,) = report["records"].values()
    assert len(records) == 8 and all(isinstance(r["margin"], decimal.Decimal) for r in records)
    assert min(abs(r["margin"]) for r in records if r["margin"]) < decimal.Decimal("1e-50")  # not 0.0


def test_check_at_80_columns_keeps_every_digit(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run(capsys, "check", "lem:gap-bound", "--digits", "12")
    assert code == 0 and "…" not in out and "e-4343" in out


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


def test_tables_to_a_pipe_are_not_cut_to_80_columns(capsys):
    """Under pytest stdout is not a terminal, as when a user pipes a report into a file."""
    from rich.table import Table

    from natsparse.cli import common as cc

    table = Table(*[f"column {i}" for i in range(12)])
    table.add_row(*[f"{1e6 + i:.4f}" for i in range(12)])
    cc.console().print(table)
    out = capsys.readouterr().out
    assert all(f"{1e6 + i:.4f}" in out for i in range(12)), out
