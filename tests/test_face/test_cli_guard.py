"""natsparse.cli.common's guard and progress: a bug is a traceback and exit 1 (not "bad input"), a
closed stdout ends quietly, progress goes to stderr only when it is a terminal and no script reads
stdout; natsparse.cli.output writes numbers without a sentinel."""

import json
import os
import subprocess
import sys

import pytest

from natsparse.cli import bound, common, main, output, results

GAP = ["bound", "lem:gap-bound", "--n", "10", "--k", "3", "--Delta", "1.5", "--s_k1", "0", "--LSE", "2"]


@pytest.mark.parametrize("error", [ValueError("math domain error"), TypeError("unsupported operand"),
                                   ZeroDivisionError("division by zero"), KeyError("tau")])
def test_a_bug_in_a_handler_is_a_traceback_and_exit_1(capsys, monkeypatch, error):
    """Once every ValueError/TypeError/ArithmeticError was "natsparse: error: ..." and exit 2."""
    def broken(*args):
        raise error

    monkeypatch.setattr(bound, "_evaluate", broken)
    code = main(GAP)
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" in err and type(error).__name__ in err
    assert err.rstrip().endswith(common.REPORT) and "natsparse: error:" not in err


def test_a_closed_stdout_ends_quietly():
    """`natsparse ... --json | head -1`: the reader is gone before the report is written. Once
    "natsparse: error: Broken pipe", exit 2, and "Exception ignored ... BrokenPipeError" at exit."""
    read, write = os.pipe()
    os.close(read)
    try:
        out = subprocess.run([sys.executable, "-m", "natsparse", *GAP, "--json"], stdout=write,
                             stderr=subprocess.PIPE, text=True)
    finally:
        os.close(write)
    assert out.stderr == "" and out.returncode == 1


def _show(capsys, monkeypatch, terminal: bool, *extra):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: terminal, raising=False)
    monkeypatch.setenv("FORCE_TERMINAL", "1")               # rich draws as on a terminal
    assert main(["show", "lem:gap-bound", *extra]) == 0
    return capsys.readouterr()


def test_progress_on_stderr_only_on_a_terminal_and_never_under_json_to_stdout(capsys, monkeypatch):
    """Running the evidence shows a bar on stderr (once on stdout for `list`, none for `show`), none
    when stderr is not a terminal or when --json prints to stdout."""
    shown = _show(capsys, monkeypatch, True)
    assert "loading the evidence" in shown.err and "loading the evidence" not in shown.out
    assert "loading the evidence" not in _show(capsys, monkeypatch, False).err
    quiet = _show(capsys, monkeypatch, True, "--json")
    assert quiet.err == "" and json.loads(quiet.out)["id"] == "lem:gap-bound"


def test_wants_progress():
    class Args:
        progress, json = True, None

    args = Args()
    assert common.wants_progress(args) is sys.stderr.isatty()
    args.json = "-"
    assert common.wants_progress(args) is False


def test_numbers_reach_json_without_a_sentinel():
    """A string that looks like the old sentinel stays a string (once turned into a number by a regex)."""
    text = output.dumps({"note": "@@natsparse-number:1", "empty": {}, "none": [], "rows": [{"k": 3}]})
    assert json.loads(text) == {"note": "@@natsparse-number:1", "empty": {}, "none": [], "rows": [{"k": 3}]}


def test_results_get_names_an_unknown_id():
    with pytest.raises(common.UsageError, match="unknown result id 'lem:nope'"):
        results.get("lem:nope")
