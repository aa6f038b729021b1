"""`natsparse condense`: condensation training (exp:condensation) from the command line.

    natsparse condense train --out DIR [--model smollm2] [--lam L] [--k K | --alpha A --exponent C] ...
    natsparse condense eval DIR [--json [PATH]]
    natsparse condense experiment --runs DIR [--model smollm2] [--json [PATH]] [--quick]

`train` trains one byte-level GPT with L_LM + lambda L_k into DIR (resumable: run it again with the same
DIR after an interruption); `eval` evaluates a trained run; `experiment` trains and evaluates the default
set of runs (lambda = 0, 0.1, 0.3, 1 at k = 8, and lambda = 0.3 with k = ceil(n^0.5)) and writes the
JSON report the book shows. `--json` prints the evaluation (or the report) as JSON instead of the
tables, `--json PATH` writes it to PATH (natsparse.cli.output's convention, on all three).

`--model smollm2` does the same with SmolLM2-135M-Instruct fine-tuned through low-rank adapters on
its query and key projections (`natsparse.experiments.condense_decoder`, whose docstring says why and
how long the experiment takes); `--lk-layers` / `--lk-heads` name the subset L_k is taken on, `--rank`
the adapters' rank, `--eval-*` and `--law-lengths` what the evaluation measures on held-out text.
`--width`, `--layers` and `--heads` shape the tiny GPT only; the smollm2 options are refused with it.

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


TINY_DEFAULTS = {"steps": 800, "batch": 32, "lr": 3e-3, "context": 128, "layers": 4, "heads": 4,
                 "width": 128}
DECODER_ONLY = ("rank", "lk_layers", "lk_heads", "eval_context", "eval_windows", "eval_k", "law_lengths")


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def _config(args):
    """The run's TrainConfig (tiny GPT) or DecoderConfig (--model smollm2), its options checked first."""
    if getattr(args, "model", "tiny") != "tiny":
        return _decoder_config(args)
    from natsparse.experiments.tiny_gpt import GPTConfig
    from natsparse.experiments.training import TrainConfig

    given = [_option(n) for n in DECODER_ONLY if getattr(args, n, None) is not None]
    if given:
        raise cc.UsageError(f"condense train: {', '.join(given)} apply to --model smollm2 only")
    for name, value in TINY_DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
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


def _decoder_config(args):
    """The DecoderConfig of --model smollm2; every option checked here, before the model loads."""
    from natsparse.experiments import condense_decoder as cd

    given = [_option(n) for n in ("layers", "heads", "width") if getattr(args, n) is not None]
    if given:
        raise cc.UsageError(f"condense train: {', '.join(given)} shape the tiny GPT; --model {args.model} "
                            "has its own shape (name the layers and heads of L_k with --lk-layers, "
                            "--lk-heads)")
    n_layers, n_heads, limit = cd.MODELS[args.model]
    d = cd.DecoderConfig()
    context = args.context if args.context is not None else d.context
    if context > limit:
        raise cc.UsageError(f"condense train: --context must be at most {limit} for --model {args.model}, "
                            f"got {context}")
    if (args.alpha is None) != (args.exponent is None):
        raise cc.UsageError("condense train: --alpha and --exponent go together "
                            "(k = ceil(alpha n^exponent)): give both or neither")
    if args.k > context:
        raise cc.UsageError(f"condense train: --k must be at most --context = {context}, got {args.k}")
    for opt, values, size, what in (("--lk-layers", args.lk_layers, n_layers, "layer"),
                                    ("--lk-heads", args.lk_heads, n_heads, "query head")):
        if values is not None and (any(v >= size for v in values) or len(set(values)) != len(values)):
            raise cc.UsageError(f"condense train: {opt} must be distinct {what} indices in [0, {size - 1}] "
                                f"({args.model} has {size}), got {' '.join(map(str, values))}")
    pick = {name: getattr(args, name) for name in ("steps", "batch", "lr", "rank")
            if getattr(args, name, None) is not None}
    try:
        return cd.DecoderConfig(model=args.model, lam=args.lam, k=args.k, alpha=args.alpha,
                                exponent=args.exponent, layers=args.lk_layers, heads=args.lk_heads,
                                context=context, seed=args.seed, **pick)
    except ValueError as exc:
        raise cc.UsageError(f"condense train: {exc}") from None


def _eval_config(args, command: str):
    """The EvalConfig of --model smollm2 from --eval-context, --eval-windows, --eval-k, --law-lengths."""
    from natsparse.experiments import condense_decoder as cd
    from natsparse.experiments.real_decoder import ROWS

    d = cd.EvalConfig()
    context = args.eval_context if args.eval_context is not None else d.context
    ks = tuple(args.eval_k) if args.eval_k is not None else d.eval_k
    if max(ks) > context:
        raise cc.UsageError(f"condense {command}: --eval-k must be at most --eval-context = {context}, got "
                            f"{' '.join(map(str, ks))}")
    lengths = tuple(args.law_lengths) if args.law_lengths is not None else d.law_lengths
    limit = cd.MODELS["smollm2"][2]
    if len(set(lengths)) < 2 or any(not ROWS + 2 <= n <= limit for n in lengths):
        raise cc.UsageError(f"condense {command}: --law-lengths must be at least two lengths in "
                            f"[{ROWS + 2}, {limit}], got {' '.join(map(str, lengths))}")
    windows = args.eval_windows if args.eval_windows is not None else d.windows
    return cd.EvalConfig(context=context, windows=windows, eval_k=ks, law_lengths=lengths)


def _decoder_texts(files, need: int):
    """The texts of --text for --model smollm2 (None: the pydoc text). Before the model loads: each
    file must exist, and the text must hold at least `need` bytes (a token is at least one byte, so a
    shorter text cannot hold the windows; the exact count in tokens is checked once it is tokenized)."""
    from natsparse.experiments.condense_decoder import texts_of

    for f in files or ():
        if not Path(f).is_file():
            raise cc.UsageError(f"--text must name readable text files, got {f!r}")
    texts = texts_of(files)
    if texts is not None:
        have = sum(len(t.encode()) for t in texts)
        if have < need:
            raise cc.UsageError(f"--text: the text has {have} bytes, fewer than the {need} tokens the run "
                                "needs (training windows in its first half, held-out windows in its second); "
                                "give a longer text, or a smaller --context / --eval-context")
    return texts


def _bytes_needed(cfg, ev) -> int:
    held_out = max(cfg.context * ev.windows, ev.context * ev.windows, (cfg.context + 1) * cfg.val_windows,
                   max(ev.law_lengths) * ev.law_windows)
    return 2 * max(held_out, cfg.context + 2)


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
    """A checkpoint that cannot be used (unreadable, of another run or format), or a text too short for
    the decoder's windows (known once tokenized), is bad input."""
    from natsparse.experiments.condense_decoder import TextError
    from natsparse.experiments.training import CheckpointError

    try:
        yield
    except (CheckpointError, TextError) as exc:
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

    con = cc.console()
    con.print(f"{name}: validation perplexity dense {ev['ppl_dense']:.4f}, top-{ev['k_inference']} inference "
              f"{ev['ppl_topk']:.4f} ({ev['windows']} windows, {ev['tokens']} bytes)")
    con.print(_eval_table(ev, f"per layer (k_eps at eps={ev['eps']})"))


def _print_decoder_eval(ev: dict, name: str) -> None:
    from rich.table import Table

    con = cc.console()
    c = ev["C"]["0.01"]
    con.print(f"{name}: held-out dense perplexity {ev['ppl_dense']:.4f} ({ev['tokens_scored']} tokens "
              f"scored, n = {ev['eval']['context']}); mean tau_k at the training k = {ev['k_training']}: "
              f"{ev['tau_mean']:.4f} (L_k {ev['Lk']:.4f}); median C of k_0.01: {c['median']:.3f} "
              f"(quartiles {c['quartiles'][0]:.3f}, {c['quartiles'][1]:.3f})")
    t = Table(title="top-k inference in every layer (natsparse_topk), certificates audited")
    for col in ("rule", "k", "ppl", "gap to dense", "mean tau", "kept", "violations"):
        t.add_column(col, justify="right")
    for r in ev["topk"]:
        t.add_row(r["rule"], str(r["k"]), f"{r['ppl']:.4f}", f"{100 * r['rel_gap']:+.2f}%",
                  f"{r['tau_mean']:.4f}", f"{100 * r['kept_fraction']:.1f}%",
                  str(r["audit"]["violations"]) if "audit" in r else "-")
    con.print(t)


def cmd_train_decoder(args, cfg) -> int:
    """Fine-tune (or resume) a real decoder, then evaluate it on held-out text."""
    from natsparse.experiments import condense_decoder as cd

    ev_cfg = _eval_config(args, "train")
    texts = _decoder_texts(args.text, _bytes_needed(cfg, ev_cfg))
    with _checkpoints():
        log = cd.train(cfg, args.out, texts, progress=cc.wants_progress(args))
        net, tok, _, _ = cd.load_decoder(args.out)
        ev = cd.evaluate(net, tok, cfg, ev_cfg, texts, progress=cc.wants_progress(args))
    Path(args.out, "eval.json").write_text(json.dumps(ev, indent=1) + "\n")
    if not output.emit_json(args, ev):
        _print_decoder_eval(ev, f"{args.out} ({log['seconds']:.0f} s of training)")
    return 0


def cmd_train(args) -> int:
    """Train (or resume) one run, then evaluate it."""
    from natsparse.experiments.training import evaluate, load_model, train

    cfg = _config(args)
    if args.model != "tiny":
        return cmd_train_decoder(args, cfg)
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
    from natsparse.experiments import condense_decoder as cd

    if cd.is_decoder_checkpoint(path):
        ev_cfg = _eval_config(args, "eval")
        with _checkpoints():
            log = json.loads(path.with_name("log.json").read_text())
            ckpt_cfg = cd.DecoderConfig.from_dict(log["config"])
            texts = _decoder_texts(args.text, _bytes_needed(ckpt_cfg, ev_cfg))
            net, tok, cfg, _ = cd.load_decoder(path)
            ev = cd.evaluate(net, tok, cfg, ev_cfg, texts, progress=cc.wants_progress(args))
        if not output.emit_json(args, ev):
            _print_decoder_eval(ev, str(args.run))
        return 0
    given = [_option(n) for n in DECODER_ONLY if getattr(args, n, None) is not None]
    if given:
        raise cc.UsageError(f"condense eval: {', '.join(given)} apply to runs of --model smollm2 only")
    with _checkpoints():
        model, cfg, _ = load_model(path)
    ev = evaluate(model, cfg, _corpus(args.text, cfg.model.context))
    if not output.emit_json(args, ev):
        _print_eval(ev, str(args.run))
    return 0


def cmd_experiment(args) -> int:
    """Train and evaluate the default runs; write the report."""
    from rich.table import Table

    from natsparse.experiments.condensation import QUICK_BASE, run_experiment
    from natsparse.experiments.training import TrainConfig

    command = "natsparse " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    if args.model != "tiny":
        return cmd_experiment_decoder(args, command)
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
    cc.console().print(t)
    return 0


def cmd_experiment_decoder(args, command: str) -> int:
    """Item 2 of issue 27 (resumable): the default runs on SmolLM2, one report."""
    from rich.table import Table

    from natsparse.experiments import condense_decoder as cd

    base, ev = (cd.QUICK, cd.QUICK_EVAL) if args.quick else (cd.DecoderConfig(), cd.EvalConfig())
    texts = _decoder_texts(args.text, _bytes_needed(base, ev))
    with _checkpoints():
        report = cd.run_experiment(args.runs, base=base, ev=ev, texts=texts,
                                   json_path=None if args.json == "-" else args.json, command=command,
                                   progress=cc.wants_progress(args))
    if args.json == "-":
        output.emit_json(args, report)
        return 0
    t = Table(title=f"exp:condensation on {report['model']}")
    t.add_column("run", no_wrap=True)
    rules = [r["rule"] for r in report["pretrained"]["topk"]]
    for col in ("train s", "ppl dense", *(f"ppl {r}" for r in rules), "mean tau_k", "C (k_0.01)",
                "violations"):
        t.add_column(col, justify="right")
    for name, secs, e in [("pretrained", None, report["pretrained"])] + [
            (r["name"], r["train_seconds"], r["eval"]) for r in report["runs"]]:
        by_rule = {r["rule"]: r["ppl"] for r in e["topk"]}
        t.add_row(name, "-" if secs is None else f"{secs:.0f}", f"{e['ppl_dense']:.4f}",
                  *(f"{by_rule[r]:.4f}" if r in by_rule else "-" for r in rules), f"{e['tau_mean']:.4f}",
                  f"{e['C']['0.01']['median']:.3f}", str(e["violations"]))
    cc.console().print(t)
    return 0


def _add_decoder_eval_options(s) -> None:
    s.add_argument("--eval-context", type=cc.integer(4), metavar="N",
                   help="smollm2: tokens per held-out window for the perplexities (default 256)")
    s.add_argument("--eval-windows", type=cc.integer(1), metavar="W",
                   help="smollm2: held-out windows for the perplexities and tau (default 8)")
    s.add_argument("--eval-k", type=cc.integer(1), nargs="+", metavar="K",
                   help="smollm2: the k of top-k inference measured (default 8 32 128)")
    s.add_argument("--law-lengths", type=cc.integer(1), nargs="+", metavar="N",
                   help="smollm2: the lengths at which k_eps is measured to fit C (default 64 128 256 512)")


def add_parsers(subparsers) -> None:
    """Add `condense train | eval | experiment` to the CLI's subparsers."""
    c = subparsers.add_parser("condense", help="train with the sparsity loss L_k (exp:condensation)",
                              description=__doc__.splitlines()[0])
    sub = c.add_subparsers(dest="condense_command", required=True, metavar="{train,eval,experiment}")
    t = sub.add_parser("train", help="train (or resume) one run into --out, then evaluate it")
    t.add_argument("--out", required=True, type=cc.folder("--out"),
                   help="run folder (created if needed): checkpoint.pt, log.json, eval.json")
    t.add_argument("--model", choices=("tiny", "smollm2"), default="tiny",
                   help="tiny: a byte-level GPT trained from scratch (default); smollm2: "
                        "SmolLM2-135M-Instruct fine-tuned through low-rank adapters on W_Q and W_K")
    t.add_argument("--lam", type=cc.real(0, closed_lo=True), default=0.0,
                   help="weight lambda of L_k (a real number >= 0; default 0)")
    t.add_argument("--k", type=cc.integer(1), default=8,
                   help="top-k of L_k and of top-k inference (an integer >= 1; default 8)")
    t.add_argument("--alpha", type=cc.real(0), help="per-row k = ceil(alpha n^exponent) instead of --k (> 0)")
    t.add_argument("--exponent", type=cc.real(0, 1, closed_lo=True, closed_hi=True),
                   help="the exponent C of the per-row rule, in [0, 1] (with --alpha)")
    t.add_argument("--steps", type=cc.integer(1),
                   help="optimiser steps (an integer >= 1; default 800, smollm2 120)")
    t.add_argument("--batch", type=cc.integer(1),
                   help="windows per step (an integer >= 1; default 32, smollm2 4)")
    t.add_argument("--lr", type=cc.real(0), help="peak learning rate (> 0; default 3e-3, smollm2 1e-3)")
    t.add_argument("--seed", type=cc.integer(0), default=0, help="seed of weights and batches (default 0)")
    t.add_argument("--context", type=cc.integer(2),
                   help="training context length (an integer >= 2; default 128 bytes, smollm2 128 tokens)")
    t.add_argument("--layers", type=cc.integer(1), help="tiny: layers (an integer >= 1; default 4)")
    t.add_argument("--heads", type=cc.integer(1), help="tiny: heads per layer (an integer >= 1; default 4)")
    t.add_argument("--width", type=cc.integer(1),
                   help="tiny: model width (an integer >= 1, a multiple of --heads; default 128)")
    t.add_argument("--rank", type=cc.integer(1), help="smollm2: rank of the adapters (default 8)")
    t.add_argument("--lk-layers", type=cc.integer(0), nargs="+", metavar="L",
                   help="smollm2: the layers L_k is taken on (indices from 0; default all 30)")
    t.add_argument("--lk-heads", type=cc.integer(0), nargs="+", metavar="H",
                   help="smollm2: the query heads L_k is taken on (indices from 0; default all 9)")
    _add_decoder_eval_options(t)
    cc.add_json(t, "the evaluation")
    t.set_defaults(func=cmd_train)
    e = sub.add_parser("eval", help="evaluate a trained run: perplexity dense and top-k, tau_k, k_eps")
    e.add_argument("run", help="a run folder or checkpoint file")
    _add_decoder_eval_options(e)
    cc.add_json(e, "the evaluation")
    e.set_defaults(func=cmd_eval)
    x = sub.add_parser("experiment", help="train and evaluate the default runs; write the JSON report")
    x.add_argument("--runs", required=True, type=cc.folder("--runs"),
                   help="folder for the run folders (created if needed; resumable)")
    cc.add_json(x, "the report")
    x.add_argument("--model", choices=("tiny", "smollm2"), default="tiny",
                   help="tiny (default) or smollm2: issue 27's runs, about 2 hours on two cores")
    x.add_argument("--quick", action="store_true",
                   help="a smoke run: a tiny model and 30 steps; with smollm2 2 steps of 32 tokens per run")
    x.set_defaults(func=cmd_experiment)
    for s in (t, e, x):
        s.add_argument("--text", nargs="+", metavar="FILE",
                       help="UTF-8 text files to train/evaluate on (default: pydoc_data.topics)")
    for s in (t, x):
        cc.add_progress(s)
