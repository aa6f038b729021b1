"""What every `natsparse` subcommand shares: the user-error exception, the parser, the guard around a
run, the argument types, the shared options and the progress bar.

How a subcommand (natsparse/cli/<name>.py) uses it:

    from natsparse.cli import common as cc

    def add_parsers(subparsers):
        s = subparsers.add_parser("name", help="one line", description="one line")
        s.add_argument("--n", type=cc.integer(1), required=True, help="keys per row (integer >= 1)")
        s.add_argument("--delta", type=cc.real(0, 1), help="failure probability, in (0, 1)")
        cc.add_json(s)        # --json [PATH]: JSON to stdout, or to PATH (natsparse.cli.output)
        s.set_defaults(func=cmd_name)

    def cmd_name(args) -> int:
        if something_wrong:     # every argument is checked here, before any model load or run
            raise cc.UsageError("--k must be at most --n, got k = 9 > n = 8")
        ...

Errors. Bad input is a `UsageError`: one line `natsparse: error: ...` naming the option as typed
(`--delta`), the expected form and the value received; exit status 2. Parse errors are UsageErrors
(`Parser`). Nothing else is taken for bad input: a handler validates its arguments explicitly, so
any other exception is a bug in natsparse, shown as a traceback with a line asking to report it,
exit status 1. An OSError (a file or folder the system refuses) is one line, exit 2; a closed
stdout (`natsparse show ID --json | head -1`) ends quietly, as the Python documentation advises
(exit status 1, as Python's own); Ctrl-C exits 130.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import traceback
from decimal import Decimal, InvalidOperation
from pathlib import Path

#: the line after a traceback: a bug, not bad input
REPORT = ("natsparse: this is a bug in natsparse, not a problem with your input; please report it with "
          "the command line and the traceback above")


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
    """Run `run(argv)` and flush stdout; bad input is one line and exit 2, a bug a traceback and exit 1."""
    try:
        code = run(argv)
        sys.stdout.flush()          # a closed pipe shows here, not at exit
        return code
    except UsageError as exc:
        return _fail(str(exc))
    except BrokenPipeError:
        return _stdout_closed()
    except KeyboardInterrupt as exc:
        print(f"natsparse: {exc or 'interrupted'}", file=sys.stderr)
        return 130                  # the shell's status for SIGINT
    except OSError as exc:
        where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
        return _fail(f"{exc.strerror or exc}{where}")
    except Exception:
        traceback.print_exc()
        print(REPORT, file=sys.stderr)
        return 1


def _fail(message: str) -> int:
    print(f"natsparse: error: {' '.join(message.split())}", file=sys.stderr)
    return 2


def _stdout_closed() -> int:
    """The reader of stdout went away: point stdout at devnull so that the flush at exit is silent."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 1


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
    """An argparse `type`: a real number in the interval from lo to hi (open ends by default), held as
    a float64; a number float64 cannot hold is refused with that reason.

    >>> real(0, 1)("1e-3"), real(0, 1).__name__
    (0.001, 'real number in (0, 1)')
    """
    form = _range_text("a real number", lo, hi, closed_lo, closed_hi)

    def inside(value) -> bool:
        return ((lo is None or value > lo or (closed_lo and value == lo))
                and (hi is None or value < hi or (closed_hi and value == hi)))

    def parse(raw: str) -> float:
        try:
            exact, value = Decimal(raw), float(raw)
        except (InvalidOperation, ValueError):
            raise argparse.ArgumentTypeError(f"expected {form}, got {raw!r}") from None
        if not (exact.is_finite() and inside(exact)):
            raise argparse.ArgumentTypeError(f"expected {form}, got {raw!r}")
        if math.isinf(value):
            raise argparse.ArgumentTypeError(f"expected {form} that float64 can hold (at most 1.8e308), "
                                             f"got {raw!r}")
        if value == 0 and exact != 0 and not inside(0):
            where = form.removeprefix("a real number ")
            raise argparse.ArgumentTypeError(f"{raw!r} is {where} but underflows to 0 in float64 "
                                             "(smallest positive 5e-324)")
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
    """The --json value: '-' (stdout) or a file path in an existing, writable folder (a missing folder
    is refused, not created); checked before any work is done."""
    if raw == "-":
        return raw
    if raw.partition(":")[0] in ("ax", "def", "lem", "thm", "prop", "cor", "exp") and "/" not in raw:
        raise argparse.ArgumentTypeError(f"expected '-' or a file path, got the result id {raw!r} "
                                         "(put --json after the ids)")
    path = Path(raw)
    parent = path.parent
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"expected '-' or a file path, got the folder {raw!r}")
    if not parent.exists():
        raise argparse.ArgumentTypeError(f"expected '-' or a file path in an existing folder, got {raw!r} "
                                         f"(there is no folder {str(parent)!r}: create it first)")
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise argparse.ArgumentTypeError(f"expected '-' or a file path in a writable folder, got {raw!r}")
    return raw


json_target.__name__ = "path"


# --- the shared options --------------------------------------------------------------------------

def add_json(parser: argparse.ArgumentParser, what: str = "the report") -> None:
    """Add `--json [PATH]`: JSON of `what` to stdout (instead of the tables), or to PATH."""
    parser.add_argument("--json", nargs="?", const="-", default=None, type=json_target, metavar="PATH",
                        help=f"write {what} as JSON: to stdout instead of the tables, or to PATH in an "
                             "existing folder (put --json last, or give '-' for stdout, before a "
                             "positional argument)")


def add_digits(parser: argparse.ArgumentParser, default: int, computed: int) -> None:
    """Add `--digits N`: significant digits shown, 1 to `computed` (the precision computed)."""
    parser.add_argument("--digits", type=integer(1, computed), default=default, metavar="N",
                        help=f"significant digits shown (default {default}; at most {computed}, "
                             "the precision computed)")


def add_progress(parser: argparse.ArgumentParser) -> None:
    """Add `--progress/--no-progress` (see `wants_progress`)."""
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True,
                        help="show a progress bar on stderr when it is a terminal (default on; never "
                             "with --json to stdout)")


# --- progress ------------------------------------------------------------------------------------

def wants_progress(args) -> bool:
    """A progress bar is shown on stderr when it is a terminal, unless --no-progress, or unless --json
    prints to stdout (a script is reading)."""
    return (getattr(args, "progress", True) and getattr(args, "json", None) != "-"
            and sys.stderr.isatty())


def progress(show: bool):
    """A transient rich progress bar on stderr (disabled unless `show`)."""
    from rich.console import Console
    from rich.progress import Progress

    return Progress(transient=True, console=Console(stderr=True), disable=not show)


def console():
    """The console tables are printed on: as wide as the terminal, or 200 columns when stdout is a file
    or a pipe (rich's default there is 80, which cuts numbers to "11.…")."""
    import sys

    from rich.console import Console

    return Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)
