"""The `natsparse` command line: list, show, check, bound; bad input exits 2 in one line."""

import json

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
    assert status["thm:output-error"] == "fully-certified"


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
