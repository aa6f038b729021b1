"""The conventions every `natsparse` subcommand follows: errors, JSON, digits, number types.

How a subcommand (natsparse/cli_<name>.py) uses this module:

    from natsparse import cli_common as cc

    def add_parsers(subparsers):
        s = subparsers.add_parser("name", help="one line", description="one line")
        s.add_argument("--n", type=cc.integer(1), required=True, help="keys per row (integer >= 1)")
        s.add_argument("--delta", type=cc.real(0, 1), help="failure probability, in (0, 1)")
        s.add_argument("--out", type=cc.folder("--out"), help="...")    # creatable, writable folder
        cc.add_json(s)        # --json [PATH]: JSON to stdout, or to PATH
        cc.add_digits(s)      # --digits N, where the command prints computed numbers
        s.set_defaults(func=cmd_name)

    def cmd_name(args) -> int:
        if something_wrong:
            raise cc.UsageError("--k must be at most --n, got k = 9 > n = 8")  # one line, exit 2
        report = {...}                  # numbers as numbers (int, float, mpf; see `dumps`)
        if cc.emit_json(args, report):  # --json given: written, nothing else printed
            return 0
        ...print tables, numbers through cc.number(x, args.digits)...

Errors. `natsparse.cli.main` builds every parser with `Parser`, whose parse errors raise
`UsageError` instead of printing the usage; it catches UsageError, ValueError, TypeError, OSError
and ArithmeticError and prints one line `natsparse: error: <message>`, exit status 2, never a
traceback. A message names the argument as the user typed it (`--delta`) and the expected form
(`a real number in (0, 1)`) and the value received. Validate at parse time with the `type=`
functions below (they import nothing heavy), or raise UsageError in the handler.

JSON. `--json` prints the machine-readable report to stdout instead of the tables; `--json PATH`
writes it to PATH (the tables are still printed). Numbers are JSON numbers: an mpmath value is
written with 17 significant digits as a number literal (also outside float64's range, e.g.
`3.4e-4343`: read it with `json.loads(text, parse_float=decimal.Decimal)` to keep it), an arb ball as
`{"mid": number, "radius": number}` with its true radius, nan and infinities as null. Where 50 digits
matter (natsparse bound), the exact decimal strings are in one documented field, `exact`, keyed like
the numbers. Keys are named by the quantity (`tau`, `k_exact`), never by a SymPy relation string.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from pathlib import Path

#: significant digits of a number written into JSON (float64 round-trips at 17)
JSON_DIGITS = 17


class UsageError(Exception):
    """Bad input on the command line: printed in one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose parse errors raise UsageError (one line, exit 2) instead of printing
    the usage, prefixed by the subcommand (`simulate: argument --delta: ...`) and followed by
    `hint` when set (what to try instead); `add_subparsers` makes its subparsers of this class."""

    hint = ""

    def error(self, message: str):
        where = self.prog.removeprefix("natsparse").strip()
        hint = f" ({self.hint})" if self.hint else ""
        raise UsageError(f"{where + ': ' if where else ''}{message}{hint}")


def main_guard(run, argv) -> int:
    """Run `run(argv)`, turning bad input into one line on stderr and exit status 2."""
    try:
        return run(argv)
    except UsageError as exc:
        return _fail(str(exc))
    except OSError as exc:
        where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
        return _fail(f"{exc.strerror or exc}{where}")
    except (ValueError, TypeError, ArithmeticError) as exc:
        return _fail(str(exc))


def _fail(message: str) -> int:
    print(f"natsparse: error: {' '.join(message.split())}", file=sys.stderr)
    return 2


# --- argument types: each raises argparse.ArgumentTypeError naming the expected form -----------

def integer(lo: int | None = None, hi: int | None = None):
    """An argparse `type`: an integer in [lo, hi] (either end open-ended when None).

    >>> integer(1)("3"), integer(1).__name__
    (3, 'integer >= 1')
    """
    form = _range_text("an integer", lo, hi, True, True)

    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {form}, got {raw!r}") from None
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise argparse.ArgumentTypeError(f"expected {form}, got {raw!r}")
        return value

    parse.__name__ = form.removeprefix("an ")
    return parse


def real(lo: float | None = None, hi: float | None = None, *, closed_lo: bool = False,
         closed_hi: bool = False):
    """An argparse `type`: a finite real number in the interval from lo to hi (open ends by default).

    >>> real(0, 1)("1e-3"), real(0, 1).__name__
    (0.001, 'real number in (0, 1)')
    """
    form = _range_text("a real number", lo, hi, closed_lo, closed_hi)

    def parse(raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {form}, got {raw!r}") from None
        low_ok = lo is None or value > lo or (closed_lo and value == lo)
        high_ok = hi is None or value < hi or (closed_hi and value == hi)
        if not (math.isfinite(value) and low_ok and high_ok):
            raise argparse.ArgumentTypeError(f"expected {form}, got {raw!r}")
        return value

    parse.__name__ = form.removeprefix("a ")
    return parse


def _range_text(what: str, lo, hi, closed_lo: bool, closed_hi: bool) -> str:
    """'an integer >= 1', 'a real number in (0, 1)', ..."""
    if lo is not None and hi is not None:
        return f"{what} in {'[' if closed_lo else '('}{lo:g}, {hi:g}{']' if closed_hi else ')'}"
    if lo is not None:
        return f"{what} {'>=' if closed_lo else '>'} {lo:g}"
    if hi is not None:
        return f"{what} {'<=' if closed_hi else '<'} {hi:g}"
    return what.replace("a real", "a finite real")


def folder(option: str):
    """An argparse `type`: a folder that exists or can be created, and can be written (created
    here, so that a bad path fails before any work).

    >>> import tempfile; folder("--out")(tempfile.mkdtemp()).is_dir()
    True
    """
    def parse(raw: str) -> Path:
        path = Path(raw)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise argparse.ArgumentTypeError(f"expected a folder that can be created, got {raw!r} "
                                             f"({exc.strerror})") from None
        if not os.access(path, os.W_OK):
            raise argparse.ArgumentTypeError(f"expected a writable folder, got {raw!r}")
        return path

    parse.__name__ = "folder"
    return parse


def json_target(raw: str) -> str:
    """The --json value: '-' (stdout) or a file path that can be written (its folder exists and is
    writable, or can be created inside a writable one); checked before any work is done."""
    if raw == "-":
        return raw
    if re.fullmatch(r"(def|lem|thm|prop|cor|exp):[\w-]+", raw):      # `check --json lem:a lem:b`
        raise argparse.ArgumentTypeError(f"expected '-' or a file path, got the result id {raw!r} "
                                         "(put --json after the ids)")
    path = Path(raw)
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if path.is_dir() or not parent.is_dir() or not os.access(parent, os.W_OK):
        raise argparse.ArgumentTypeError(f"expected '-' or a file path in a writable folder, got {raw!r}")
    return raw


json_target.__name__ = "path"


# --- the shared options --------------------------------------------------------------------------

def add_json(parser: argparse.ArgumentParser, what: str = "the report") -> None:
    """Add `--json [PATH]`: JSON of `what` to stdout (instead of the tables), or to PATH."""
    parser.add_argument("--json", nargs="?", const="-", default=None, type=json_target, metavar="PATH",
                        help=f"write {what} as JSON: to stdout instead of the tables, or to PATH "
                             "(put --json last, or give '-' for stdout, before a positional argument)")


def add_digits(parser: argparse.ArgumentParser, default: int, computed: int) -> None:
    """Add `--digits N`: significant digits shown, 1 to `computed` (the precision computed)."""
    parser.add_argument("--digits", type=integer(1, computed), default=default, metavar="N",
                        help=f"significant digits shown (default {default}; at most {computed}, "
                             "the precision computed)")


def emit_json(args, report) -> bool:
    """Write `report` as `--json` asks (stdout or PATH); True when it was printed to stdout, so
    the caller prints nothing else."""
    target = getattr(args, "json", None)
    if target is None:
        return False
    text = dumps(report)
    if target == "-":
        print(text)
        return True
    try:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        Path(target).write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--json: cannot write {target!r} ({exc.strerror})") from None
    return False


# --- numbers -------------------------------------------------------------------------------------

_MARK = "@@natsparse-number:"


def dumps(report) -> str:
    """`report` as JSON text with numbers as numbers (see the module docstring).

    >>> import mpmath
    >>> with mpmath.workdps(50):
    ...     text = dumps({"tau": mpmath.mpf("3.4e-4343"), "k": 3, "x": float("nan"), "ok": True})
    >>> text.split()
    ['{', '"tau":', '3.4e-4343,', '"k":', '3,', '"x":', 'null,', '"ok":', 'true', '}']
    """
    text = json.dumps(_plain(report), indent=1)
    return re.sub(rf'"{_MARK}([^"]*)"', r"\1", text)


def _plain(x):
    """JSON-ready: dict keys as str, tuples as lists, mpf marked for a number literal, arb as
    {mid, radius}, numpy and SymPy scalars as Python ones, non-finite as None."""
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    if x is None or isinstance(x, bool | int | str):
        return x
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, Path):
        return str(x)
    kind = type(x).__module__.split(".")[0]
    if kind == "mpmath" and hasattr(x, "_mpf_"):
        return _literal(x)
    if kind == "flint" and hasattr(x, "rad"):
        return {"mid": _literal(_arb_mpf(x.mid())), "radius": _literal(_arb_mpf(x.rad()))}
    if kind in ("numpy", "torch") and hasattr(x, "item"):
        return _plain(x.item())
    if kind == "sympy":
        if getattr(x, "is_Boolean", False):
            return bool(x)
        if getattr(x, "is_Integer", False):
            return int(x)
        if getattr(x, "is_number", False):
            import mpmath
            with mpmath.workdps(JSON_DIGITS + 3):
                return _literal(mpmath.mpf(x.evalf(JSON_DIGITS + 3)))
    raise TypeError(f"cannot write a {type(x).__name__} into JSON: {x!r}")


def _literal(x) -> str | None:
    """An mpf as a marked JSON number literal (17 significant digits); None when not finite."""
    import mpmath

    if not mpmath.isfinite(x):
        return None
    return _MARK + mpmath.nstr(x, JSON_DIGITS)


def _arb_mpf(x):
    """An exact arb (a midpoint or a radius) as the mpf it holds, exactly."""
    import mpmath

    man, exp = x.man_exp()
    return mpmath.ldexp(mpmath.mpf(int(man)), int(exp))


def number(x, digits: int = 15) -> str:
    """A computed value for display: mpmath and float values to `digits` significant digits, an arb
    ball as `mid ± radius` with its true radius, integers, booleans and text as they are.

    >>> import mpmath
    >>> with mpmath.workdps(50):
    ...     number(mpmath.mpf(1) / 3, 30)
    '0.333333333333333333333333333333'
    >>> from flint import arb, ctx
    >>> old, ctx.prec = ctx.prec, 200
    >>> number(arb(1) / 3, 10)
    '0.3333333333 ± 3.11e-61'
    >>> ctx.prec = old
    """
    if isinstance(x, bool) or x is None or isinstance(x, int | str):
        return str(x)
    if isinstance(x, float):
        return f"{x:.{min(digits, JSON_DIGITS)}g}"
    kind = type(x).__module__.split(".")[0]
    if kind == "flint" and hasattr(x, "rad"):
        return f"{x.mid().str(digits, radius=False)} ± {x.rad().str(3, radius=False)}"
    if kind == "mpmath" and hasattr(x, "_mpf_"):
        import mpmath
        return mpmath.nstr(x, digits)
    return str(x)
