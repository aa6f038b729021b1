"""The `natsparse` command line: the results of the theory, their bounds and evidence, the experiments.

    natsparse list                      table of every result: id, status, provenance, scope
    natsparse show ID                   statement, hypotheses, bound (pretty and LaTeX), evidence
    natsparse check ID ... | --all      run the evidence; exit 1 if anything fails
    natsparse bound ID --n 10 --k 3 ... evaluate a bound (50 digits); `bound ID --help`: its parameters
    natsparse simulate --n 4096 ...     a seeded Monte Carlo experiment in the Gaussian model
    natsparse audit ...                 the mutation and step-sabotage gates
    natsparse real-model ...            the real-model studies
    natsparse condense ...              condensation training

Each subcommand is one module here with `add_parsers(subparsers)`, added in `COMMANDS`' order. The
conventions they share (errors, argument types, progress) are `natsparse.cli.common`; what they
write (JSON, keys, numbers) is `natsparse.cli.output`; the schema of each `--json` report is in
`natsparse.cli.schemas`. Startup is lazy: building the parser imports only argparse and these
modules; each handler imports what it needs (SymPy, rich, the evidence, torch) when it runs.
"""

from __future__ import annotations

import os

from natsparse import __version__
from natsparse.cli import audit, bound, condense, real, results, simulate
from natsparse.cli import common as cc

#: the subcommand modules, in the order `natsparse --help` lists them
COMMANDS = (results, bound, simulate, audit, real, condense)


def build_parser() -> cc.Parser:
    """The parser of every subcommand (imports nothing heavy)."""
    p = cc.Parser(prog="natsparse", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"natsparse {__version__}",
                   help="print the version and exit")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.add_parsers(sub)
    return p


def _run(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 1 a check failed or a bug, 2 bad input in one line).

    The progress bars of other libraries (tqdm: a model's loading bar) are off: natsparse shows its own.
    """
    saved = os.environ.get("TQDM_DISABLE")
    os.environ["TQDM_DISABLE"] = saved or "1"
    try:
        return cc.main_guard(_run, argv)
    finally:
        if saved is None:
            del os.environ["TQDM_DISABLE"]


__all__ = ["build_parser", "main"]
