"""natsparse.cli.common and natsparse.cli.output: numbers as numbers in JSON (also beyond float64),
balls with their true radius, argument types that name the expected form, and --json's two targets."""

import argparse
import decimal
import json

import mpmath
import pytest
from flint import arb, ctx

from natsparse.cli import common as cc
from natsparse.cli import output


def test_json_numbers_are_numbers_even_beyond_float64():
    with mpmath.workdps(50):
        report = {"tiny": mpmath.mpf("3.4064516e-4343"), "third": mpmath.mpf(1) / 3, "k": 3,
                  "inf": mpmath.inf, "nan": float("nan"), "flag": True, "t": (1, 2)}
        text = output.dumps(report)
    back = json.loads(text, parse_float=decimal.Decimal)
    assert back["tiny"] == decimal.Decimal("3.4064516e-4343")       # once printed 0.0 or a string
    assert back["third"] == decimal.Decimal("0.33333333333333333")  # 17 digits, a number
    assert back["k"] == 3 and back["inf"] is None and back["nan"] is None and back["t"] == [1, 2]
    with pytest.raises(TypeError, match="cannot write a object into JSON"):
        output.dumps({"x": object()})


def test_balls_show_their_true_radius():
    """At 200 bits, 1/3's radius is ~3e-61: shown so (once "± 3.48e-16", the display precision's)."""
    old, ctx.prec = ctx.prec, 200
    try:
        ball = arb(1) / 3
        shown = output.number(ball, 10)
        dumped = json.loads(output.dumps({"b": ball}))["b"]
    finally:
        ctx.prec = old
    mid, rad = shown.split(" ± ")
    assert mid == "0.3333333333" and 1e-62 < float(rad) < 1e-60
    assert dumped["mid"] == pytest.approx(1 / 3) and 1e-62 < dumped["radius"] < 1e-60


@pytest.mark.parametrize("kind, raw, message", [
    (cc.integer(1), "0", "expected an integer >= 1, got '0'"),
    (cc.integer(1, 50), "x", "expected an integer in [1, 50], got 'x'"),
    (cc.real(0, 1), "1", "expected a real number in (0, 1), got '1'"),
    (cc.real(0, 1), "nan", "expected a real number in (0, 1), got 'nan'"),
    (cc.real(0, closed_lo=True), "-inf", "expected a real number >= 0"),
    (cc.real(), "inf", "expected a finite real number, got 'inf'"),
    (cc.folder("--out"), "/etc/passwd/x", "expected a folder that can be created"),
    (cc.json_target, "/etc/passwd/x", "expected '-' or a file path in a writable folder"),
])
def test_argument_types_name_the_expected_form(kind, raw, message):
    with pytest.raises(argparse.ArgumentTypeError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]")):
        kind(raw)


def test_parse_errors_are_one_usage_error():
    p = cc.Parser(prog="natsparse demo")
    p.add_argument("--n", type=cc.integer(1))
    p.hint = "see natsparse demo --help"
    with pytest.raises(cc.UsageError, match=r"^demo: argument --n: expected an integer >= 1, got '0' \(see"):
        p.parse_args(["--n", "0"])


def test_emit_json_to_stdout_or_a_file(tmp_path, capsys):
    assert output.emit_json(argparse.Namespace(json=None), {"a": 1}) is False
    assert output.emit_json(argparse.Namespace(json="-"), {"a": 1}) is True
    assert json.loads(capsys.readouterr().out) == {"a": 1}
    target = tmp_path / "r.json"
    assert output.emit_json(argparse.Namespace(json=str(target)), {"a": 2}) is False
    assert json.loads(target.read_text()) == {"a": 2} and capsys.readouterr().out == ""
