"""`natsparse real-model`: exp:real-model on a pretrained transformer and real text (offline).

    natsparse real-model [--model PATH] [--text FILE ...] [--json OUT] [--lengths 16 32 ...]

Runs `natsparse.experiments.real_model.study` (default: the bundled all-MiniLM-L6-v2 on the standard
library's pydoc topics) and prints the fitted exponent C of k_eps ~ n^C per layer and the summary;
with --json writes the whole report to OUT. Needs the `real` extra (transformers).
Building the parser imports nothing heavy; the study and rich load when the command runs.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def _texts(files: list[str] | None) -> list[str] | None:
    if not files:
        return None
    out = []
    for f in files:
        path = Path(f)
        if not path.is_file():
            raise ValueError(f"--text must name readable text files, got {f!r}")
        out.append(path.read_text(encoding="utf-8"))
    return out


def cmd_real_model(args) -> int:
    """Run `natsparse real-model`; 0 on success."""
    from rich.console import Console
    from rich.table import Table

    from natsparse.experiments import real_model

    report = real_model.study(args.model, _texts(args.text), tuple(args.lengths), progress=args.progress,
                              windows=args.windows, layers=args.layers)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    con = Console(highlight=False, soft_wrap=True)
    t = Table(title=f"k_eps ~ n^C (eps={report['eps']}), {report['windows']} windows per n, "
                    f"{report['seconds']:.0f} s")
    for col in ("layer", "C median", "C min", "C max"):
        t.add_column(col)
    for r in report["by_layer"]:
        t.add_row(str(r["layer"]), f"{r['C_median']:.3f}", f"{r['C_min']:.3f}", f"{r['C_max']:.3f}")
    con.print(t)
    t = Table(title="summary")
    t.add_column("quantity")
    t.add_column("value")
    for name, value in report["summary"].items():
        t.add_row(name, f"{value:.4g}")
    cert = report["certificate"]
    t.add_row(f"top-{cert['k']} error / certificate (max)", f"{cert['max_ratio']:.4g}")
    t.add_row("certificate violations", str(cert["violations"]))
    con.print(t)
    return 0


def add_parsers(subparsers) -> None:
    """Add the `real-model` subcommand to the CLI's subparsers."""
    s = subparsers.add_parser("real-model", help="k_eps, score scale and certificates on a real model",
                              description=__doc__.splitlines()[0])
    s.add_argument("--model", help="a local Hugging Face BERT-style checkpoint directory "
                                   "(default: the bundled all-MiniLM-L6-v2)")
    s.add_argument("--text", nargs="+", metavar="FILE", help="text files (default: pydoc topics)")
    s.add_argument("--json", metavar="OUT", help="write the JSON report to OUT")
    s.add_argument("--lengths", type=int, nargs="+", default=[16, 32, 64, 128, 256, 512],
                   help="context lengths n (default 16 ... 512)")
    s.add_argument("--windows", type=int, default=8, help="text windows per length (default 8)")
    s.add_argument("--layers", type=int, nargs="+", help="layer indices (default all)")
    s.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True,
                   help="show a progress bar (default on)")
    s.set_defaults(func=cmd_real_model)
