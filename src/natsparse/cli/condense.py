"""`natsparse condense`: condensation training (exp:condensation) from the command line.

    natsparse condense train --out DIR [--lam L] [--k K | --alpha A --exponent C] [--steps N] ...
    natsparse condense eval DIR [--json [PATH]]
    natsparse condense experiment --runs DIR [--json [PATH]] [--quick]

`train` trains one byte-level GPT with L_LM + lambda L_k into DIR (resumable: run it again with the same
DIR after an interruption); `eval` evaluates a trained run; `experiment` trains and evaluates the default
set of runs (lambda = 0, 0.1, 0.3, 1 at k = 8, and lambda = 0.3 with k = ceil(n^0.5)) and writes the
JSON report the book shows. `--json` prints the evaluation (or the report) as JSON instead of the
tables, `--json PATH` writes it to PATH (natsparse.cli.output's convention, on all three).

Every option is checked before training starts (the model's shape, the window, the text against the
context); a checkpoint that cannot be used (`CheckpointError`) is bad input. Building the parser
imports nothing heavy; torch, the experiments and rich load when a command runs.
"""

from __future__ import annotations

import json
import shlex
import sys
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from natsparse.cli import common as cc
from natsparse.cli import output

if TYPE_CHECKING:
    from rich.table import Table


def _config(args):
    """The run's TrainConfig, its options checked first."""
    from natsparse.experiments.tiny_gpt import GPTConfig
    from natsparse.experiments.training import TrainConfig

    if args.width % args.heads:
        raise cc.UsageError(f"condense train: --width must be a multiple of --heads, got --width "
                            f"{args.width} and --heads {args.heads}")
    if (args.alpha is None) != (args.exponent is None):
        raise cc.UsageError("condense train: --alpha and --exponent go together "
                            "(k = ceil(alpha n^exponent)): give both or neither")
    if args.k > args.context:
        raise cc.UsageError(f"condense train: --k must be at most --context = {args.context}, got {args.k}")
    model = GPTConfig(context=args.context, layers=args.layers, heads=args.heads, width=args.width)
    return TrainConfig(lam=args.lam, k=args.k, alpha=args.alpha, exponent=args.exponent, steps=args.steps,
                       batch=args.batch, lr=args.lr, seed=args.seed, model=model)


def _corpus(files, context: int | None = None):
    """The corpus of --text (default: the pydoc topics); each split must hold two windows of `context`."""
    from natsparse.experiments.corpus import load_corpus

    for f in files or ():
        if not Path(f).is_file():
            raise cc.UsageError(f"--text must name readable text files, got {f!r}")
    corpus = load_corpus(files or None)
    for name in ("train", "val") if context is not None else ():
        have = len(getattr(corpus, name))
        if have < context + 2:
            raise cc.UsageError(f"--text: the {name} split of the text has {have} bytes, fewer than the "
                                f"{context + 2} that --context {context} needs; give a longer text or a "
                                "smaller --context")
    return corpus


@contextmanager
def _checkpoints():
    """A checkpoint that cannot be used (unreadable, of another run or format) is bad input."""
    from natsparse.experiments.training import CheckpointError

    try:
        yield
    except CheckpointError as exc:
        raise cc.UsageError(str(exc)) from None


def _checkpoint_file(run: str) -> Path:
    """The checkpoint of `run` (a run folder or a checkpoint file), which must be a PyTorch file."""
    from natsparse.experiments.training import CHECKPOINT

    path = Path(run)
    path = path / CHECKPOINT if path.is_dir() else path
    if not path.is_file():
        raise cc.UsageError(f"condense eval: no checkpoint at {path} (give a run folder of natsparse "
                            "condense train, or its checkpoint.pt)")
    if not zipfile.is_zipfile(path):
        raise cc.UsageError(f"condense eval: {path} is not a checkpoint written by natsparse condense "
                            "train (not a PyTorch file: corrupted, partially written or another file)")
    return path


def _eval_table(ev: dict, title: str) -> Table:
    from rich.table import Table

    t = Table(title=title)
    for col in ("layer", "mean tau_k", "k_eps median", "certified error", "measured error", "error/bound max",
                "violations"):
        t.add_column(col, justify="right")
    for r in ev["layers"]:
        t.add_row(str(r["layer"]), f"{r['tau_mean']:.4f}", f"{r['k_eps_median']:.0f}",
                  f"{r['certificate_mean']:.4g}", f"{r['error_mean']:.4g}",
                  f"{r['certificate_max_ratio']:.3g}", str(r["certificate_violations"]))
    return t


def _print_eval(ev: dict, name: str) -> None:
    from rich.console import Console

    con = Console(highlight=False, soft_wrap=True)
    con.print(f"{name}: validation perplexity dense {ev['ppl_dense']:.4f}, top-{ev['k_inference']} inference "
              f"{ev['ppl_topk']:.4f} ({ev['windows']} windows, {ev['tokens']} bytes)")
    con.print(_eval_table(ev, f"per layer (k_eps at eps={ev['eps']})"))


def cmd_train(args) -> int:
    """Train (or resume) one run, then evaluate it."""
    from natsparse.experiments.training import evaluate, load_model, train

    cfg = _config(args)
    corpus = _corpus(args.text, cfg.model.context)
    with _checkpoints():
        log = train(cfg, args.out, corpus, progress=cc.wants_progress(args))
    model, _, _ = load_model(args.out)
    ev = evaluate(model, cfg, corpus)
    Path(args.out, "eval.json").write_text(json.dumps(ev, indent=1) + "\n")
    if not output.emit_json(args, ev):
        _print_eval(ev, f"{args.out} ({log['seconds']:.0f} s of training)")
    return 0


def cmd_eval(args) -> int:
    """Evaluate a trained run folder or checkpoint."""
    from natsparse.experiments.training import evaluate, load_model

    path = _checkpoint_file(args.run)
    with _checkpoints():
        model, cfg, _ = load_model(path)
    ev = evaluate(model, cfg, _corpus(args.text, cfg.model.context))
    if not output.emit_json(args, ev):
        _print_eval(ev, str(args.run))
    return 0


def cmd_experiment(args) -> int:
    """Train and evaluate the default runs; write the report."""
    from rich.console import Console
    from rich.table import Table

    from natsparse.experiments.condensation import QUICK_BASE, run_experiment
    from natsparse.experiments.training import TrainConfig

    command = "natsparse " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    base = QUICK_BASE if args.quick else TrainConfig()
    corpus = _corpus(args.text, base.model.context)
    with _checkpoints():
        report = run_experiment(args.runs, base=base, corpus=corpus,
                                json_path=None if args.json == "-" else args.json, command=command,
                                progress=cc.wants_progress(args))
    if args.json == "-":                # a PATH was written by run_experiment
        output.emit_json(args, report)
        return 0
    t = Table(title=f"exp:condensation ({report['corpus']})")
    t.add_column("run", no_wrap=True, min_width=max(len(r["name"]) for r in report["runs"]))
    for col in ("train s", "ppl dense", "ppl top-k", "k", "mean tau_k", "violations"):
        t.add_column(col, justify="right")
    for r in report["runs"]:
        ev = r["eval"]
        t.add_row(r["name"], f"{r['train_seconds']:.0f}", f"{ev['ppl_dense']:.4f}", f"{ev['ppl_topk']:.4f}",
                  str(ev["k_inference"]), f"{ev['tau_mean']:.4f}",
                  str(sum(x["certificate_violations"] for x in ev["layers"])))
    Console(highlight=False, soft_wrap=True).print(t)
    return 0


def add_parsers(subparsers) -> None:
    """Add `condense train | eval | experiment` to the CLI's subparsers."""
    c = subparsers.add_parser("condense", help="train with the sparsity loss L_k (exp:condensation)",
                              description=__doc__.splitlines()[0])
    sub = c.add_subparsers(dest="condense_command", required=True, metavar="{train,eval,experiment}")
    t = sub.add_parser("train", help="train (or resume) one run into --out, then evaluate it")
    t.add_argument("--out", required=True, type=cc.folder("--out"),
                   help="run folder (created if needed): checkpoint.pt, log.json, eval.json")
    t.add_argument("--lam", type=cc.real(0, closed_lo=True), default=0.0,
                   help="weight lambda of L_k (a real number >= 0; default 0)")
    t.add_argument("--k", type=cc.integer(1), default=8,
                   help="top-k of L_k and of top-k inference (an integer >= 1; default 8)")
    t.add_argument("--alpha", type=cc.real(0), help="per-row k = ceil(alpha n^exponent) instead of --k (> 0)")
    t.add_argument("--exponent", type=cc.real(0, 1, closed_lo=True, closed_hi=True),
                   help="the exponent C of the per-row rule, in [0, 1] (with --alpha)")
    t.add_argument("--steps", type=cc.integer(1), default=800,
                   help="optimiser steps (an integer >= 1; default 800)")
    t.add_argument("--batch", type=cc.integer(1), default=32,
                   help="windows per step (an integer >= 1; default 32)")
    t.add_argument("--lr", type=cc.real(0), default=3e-3, help="peak learning rate (> 0; default 3e-3)")
    t.add_argument("--seed", type=cc.integer(0), default=0, help="seed of weights and batches (default 0)")
    t.add_argument("--context", type=cc.integer(1), default=128,
                   help="context length (an integer >= 1; default 128)")
    t.add_argument("--layers", type=cc.integer(1), default=4, help="layers (an integer >= 1; default 4)")
    t.add_argument("--heads", type=cc.integer(1), default=4,
                   help="heads per layer (an integer >= 1; default 4)")
    t.add_argument("--width", type=cc.integer(1), default=128,
                   help="model width (an integer >= 1, a multiple of --heads; default 128)")
    cc.add_json(t, "the evaluation")
    t.set_defaults(func=cmd_train)
    e = sub.add_parser("eval", help="evaluate a trained run: perplexity dense and top-k, tau_k, k_eps")
    e.add_argument("run", help="a run folder or checkpoint file")
    cc.add_json(e, "the evaluation")
    e.set_defaults(func=cmd_eval)
    x = sub.add_parser("experiment", help="train and evaluate the default runs; write the JSON report")
    x.add_argument("--runs", required=True, type=cc.folder("--runs"),
                   help="folder for the run folders (created if needed; resumable)")
    cc.add_json(x, "the report")
    x.add_argument("--quick", action="store_true", help="a tiny model and 30 steps: a smoke run")
    x.set_defaults(func=cmd_experiment)
    for s in (t, e, x):
        s.add_argument("--text", nargs="+", metavar="FILE",
                       help="UTF-8 text files to train/evaluate on (default: pydoc_data.topics)")
    for s in (t, x):
        cc.add_progress(s)
