"""Speed of natsparse attention inside SmolLM2-135M-Instruct on the CPU, against the model's own SDPA.

    python benchmarks/real_decoder.py [--lengths 256 1024 4096] [--prefill-lengths 256 1024] [--repeats 5]

Decode (the cost of one generated token): one token against a KV cache of n − 1 tokens of pydoc text,
the model's full forward (30 layers and the LM head), for each method on a copy of the same cache.
Prefill: a forward of n tokens without a cache. Methods: ``sdpa``; ``natsparse_topk`` keeping every key
(``fixed(n)``: the kernel's own overhead); ``natsparse_topk`` with the default window
(`natsparse.hf.DEFAULT_TOPK`, ⌈2.4 n^0.634⌉); ``natsparse_mass`` with the default η = 0.05. The methods
are timed interleaved (each repeat runs all of them in turn, so they share the machine's load); the
table gives medians and each method's median over SDPA's. The report, with the machine, goes to
benchmarks/results/real-decoder-speed.json. Certificates are not collected (``certified`` would add
their copy to the CPU); the kernel computes its statistics either way.
"""

from __future__ import annotations

import argparse
import copy
import inspect
import json
import pathlib
import statistics
import time

import torch
from rich.console import Console
from rich.table import Table

import natsparse.hf as nh
from natsparse.experiments import real_decoder as D
from timing import cpu_model

OUT = pathlib.Path(__file__).resolve().parent / "results" / "real-decoder-speed.json"


def methods(n: int) -> list[tuple[str, str, nh.Window | None]]:
    """(label, attention implementation, window rule) of each method at context n."""
    return [("sdpa", "sdpa", None), ("topk, every key", "natsparse_topk", nh.fixed(n)),
            (f"topk, default (k={nh.DEFAULT_TOPK.top_k(n)})", "natsparse_topk", nh.DEFAULT_TOPK),
            ("mass, default (eta=0.05)", "natsparse_mass", nh.DEFAULT_MASS)]


def run(model, attn: str, rule, **inputs):
    with nh.using_attention(model, attn), torch.no_grad():
        if rule is None:
            return model(**inputs)
        with nh.window(rule):
            return model(**inputs)


def timed(fns, repeats: int) -> list[list[float]]:
    """Seconds of each call, the functions interleaved within every repeat (after one warm-up each).
    Each function returns a zero-argument callable to time (its set-up, e.g. a cache copy, untimed)."""
    for fn in fns:
        fn()()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            call = fn()
            t0 = time.perf_counter()
            call()
            times[i].append(time.perf_counter() - t0)
    return times


def rows_of(phase: str, n: int, ms, times) -> list[dict]:
    base = statistics.median(times[0])
    return [{"phase": phase, "n": n, "method": label, "attn": attn,
             "window": rule.label if rule is not None else "dense",
             "median_s": statistics.median(t), "best_s": min(t), "ratio_to_sdpa": statistics.median(t) / base,
             "repeats": len(t)}
            for (label, attn, rule), t in zip(ms, times, strict=True)]


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lengths", type=int, nargs="+", default=[256, 1024, 4096], help="decode: context n")
    p.add_argument("--prefill-lengths", type=int, nargs="*", default=[256, 1024], help="prefill lengths n")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--json", default=str(OUT))
    a = p.parse_args(argv)
    if a.repeats < 1:
        p.error(f"--repeats must be a positive integer, got {a.repeats}")
    t_start = time.perf_counter()
    model, tok = nh.load("smollm2", attn="sdpa")
    limit = D.context(model)
    lengths = D.check_lengths(a.lengths, limit, "--lengths")
    prefill = D.check_lengths(a.prefill_lengths, limit, "--prefill-lengths") if a.prefill_lengths else ()
    ids = torch.tensor(D.token_ids(tok)[: max((*lengths, *prefill))])[None]
    cache_kw = "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"
    rows: list[dict] = []
    path = pathlib.Path(a.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    report = {"model": D.describe(), "machine": cpu_model(), "threads": torch.get_num_threads(),
              "torch": torch.__version__, "repeats": a.repeats, "rows": rows}

    def save():   # after every length: an interrupted run keeps what it measured
        report["seconds"] = round(time.perf_counter() - t_start, 1)
        path.write_text(json.dumps(report, indent=1) + "\n")

    for n in lengths:
        base = run(model, "sdpa", None, input_ids=ids[:, : n - 1], use_cache=True).past_key_values
        last = ids[:, n - 1: n]
        ms = methods(n)

        def step(attn, rule, base=base, last=last):
            c = copy.deepcopy(base)
            return lambda: run(model, attn, rule, input_ids=last, use_cache=True, **{cache_kw: c})

        times = timed([lambda attn=attn, rule=rule: step(attn, rule) for _, attn, rule in ms], a.repeats)
        rows += rows_of("decode", n, ms, times)
        del base
        save()
    for n in prefill:
        ms = methods(n)
        times = timed([lambda attn=attn, rule=rule, n=n: (lambda: run(model, attn, rule, input_ids=ids[:, :n],
                                                                      use_cache=False, logits_to_keep=1))
                       for _, attn, rule in ms], a.repeats)
        rows += rows_of("prefill", n, ms, times)
        save()
    con = Console(highlight=False)
    t = Table(title=f"SmolLM2 on the CPU ({report['machine']}, {report['threads']} threads): median seconds "
                    f"per call over {a.repeats} interleaved repeats, and the ratio to SDPA")
    for col in ("phase", "n", "method", "median s", "best s", "÷ SDPA"):
        t.add_column(col)
    for r in rows:
        t.add_row(r["phase"], str(r["n"]), r["method"], f"{r['median_s']:.4f}", f"{r['best_s']:.4f}",
                  f"{r['ratio_to_sdpa']:.2f}")
    con.print(t)
    con.print(f"wrote {path}")


if __name__ == "__main__":
    main()
