"""Benchmark of certified top-k attention: time and peak memory, printed and saved as JSON.

CPU (always), on one thread (``torch.set_num_threads(1)``: the machines here are shared and noisy),
two parts:
- decode: M = 1 and M = 8 queries against N = 4k … 64k keys, grouped-query attention with 9 query
  heads on 3 key/value heads, D = 64, float32. Dense baselines: SDPA with ``enable_gqa=True`` and
  SDPA on the grouped-rows form (the 3 query heads of a group stacked as rows of their key/value
  head, which this CPU runs faster); "dense" is the faster of the two, per shape. Certified methods:
  top-k with k = 64 and k = 256 and mass-target attention (max_tail = 0.01), reading the row norms
  of K and V from a ``KVCache`` (as a decode loop does), and top-k k = 64 recomputing them per call;
- prefill: the chunked reference (``topk_attention(backend="torch")``, which also returns the
  certificate) against the naive way (``kernels.reference.naive_topk_attention``: materialise the N×N
  scores, ``torch.topk``, softmax, gather) and dense SDPA; B = H = 1, M = N, D = 64, k = 64.
Each (method, shape) runs in its own subprocess for peak memory: the growth of the process's peak
resident set (``ru_maxrss``) during the first call, over the inputs already allocated (after a
warm-up call on a tiny input). Times are measured side by side in one process, the methods
interleaved in every repeat (A, B, C, A, B, C, ...), by the wall clock and by this thread's CPU
time (one thread; on a shared machine the time slices other processes take are not ours); ratios
are of CPU-time medians, to the dense baseline of the same shape (decode) or to naive top-k
(prefill); the wall-clock ratios are kept too. Results: benchmarks/results/kernel-cpu.json,
with the machine, the torch version and the thread count.

GPU (only when CUDA is available): the Triton kernel in bf16 against naive torch top-k and
dense SDPA (flash), N = 4k…16k, D ∈ {64, 128}, k ∈ {32, 64, 128, 256}, B·H = 32; throughput in
dense-attention TFLOP/s (4·B·H·N²·D flops per forward: the floor any exact top-k must pay).
Results: benchmarks/results/kernel-gpu.json.

Usage: python benchmarks/kernel.py [--quick] [--gpu-only]
  --quick: tiny sizes, prints only, writes no JSON;
  --gpu-only: skip the CPU part (on a GPU machine whose CPU figures are not wanted).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import torch

from natsparse.kernels.reference import naive_topk_attention
from timing import cpu_model, interleaved_times

RESULTS = Path(__file__).parent / "results"
METHODS = ("reference", "naive", "sdpa")
DENSE = ("sdpa", "sdpa grouped rows")
DECODE_METHODS = (*DENSE, "top-k k=64", "top-k k=256", "mass max_tail=0.01", "top-k k=64 norms per call")
DECODE_HEADS = (9, 3)  # query heads, key/value heads
THREADS = 1


def _call(method, q, k, v, top_k, cache=None):
    from natsparse.kernels import mass_attention, topk_attention

    scale = q.shape[-1] ** -0.5
    gqa = q.shape[1] != k.shape[1]
    if method == "reference":
        return topk_attention(q, k, v, top_k=top_k, return_stats=True, backend="torch")
    if method == "naive":
        return naive_topk_attention(q, k, v, top_k, scale)
    if method == "sdpa grouped rows":       # query heads of a group stacked as rows of their KV head
        b, hq, m, d = q.shape
        out = torch.nn.functional.scaled_dot_product_attention(q.reshape(b, k.shape[1], -1, d), k, v)
        return out.reshape(b, hq, m, -1)
    if method == "top-k k=64 norms per call":
        return topk_attention(q, k, v, enable_gqa=gqa, top_k=64, return_stats=True, backend="torch")
    kv = dict(kv_cache=cache) if cache is not None else {}
    if cache is not None:
        k, v = cache.key, cache.value
    if method.startswith("top-k"):
        return topk_attention(q, k, v, enable_gqa=gqa, top_k=int(method.split("=")[1]), return_stats=True,
                              backend="torch", **kv)
    if method.startswith("mass"):
        return mass_attention(q, k, v, enable_gqa=gqa, max_tail=float(method.split("=")[1]),
                              return_stats=True, backend="torch", **kv)
    return torch.nn.functional.scaled_dot_product_attention(q, k, v, enable_gqa=gqa)


def _inputs(m: int, n: int, d: int, heads: tuple[int, int], seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    hq, hkv = heads
    return (torch.randn(1, hq, m, d, generator=g), torch.randn(1, hkv, n, d, generator=g),
            torch.randn(1, hkv, n, d, generator=g))


def _median(ts: list[float]) -> float:
    return sorted(ts)[len(ts) // 2]


def _timed(fns, repeats: int) -> tuple[list[list[float]], list[list[float]]]:
    """Wall and CPU seconds (this thread's: on a shared machine the other processes' time is not
    ours) of each call of each function, interleaved (``timing.interleaved_times``), warm-up excluded."""
    cpu: list[list[float]] = [[] for _ in fns]

    def on_cpu(fn, out):
        def call():
            t = time.thread_time()
            fn()
            out.append(time.thread_time() - t)
        return call

    wall = interleaved_times([on_cpu(fn, out) for fn, out in zip(fns, cpu, strict=True)], repeats)
    return wall, [ts[1:] for ts in cpu]


def measure_cpu_memory(method: str, m: int, n: int, d: int, top_k: int, heads=(1, 1)) -> dict:
    """Run in a fresh process: peak-RSS growth of the first call (after a tiny warm-up)."""
    import resource

    from natsparse.kernels import KVCache

    torch.set_num_threads(THREADS)
    # Warm up on a tiny input first, so lazy library initialisation is not counted.
    q, k, v = _inputs(min(m, 8), 300, d, heads)
    _call(method, q, k, v, top_k, KVCache(k, v))
    q, k, v = _inputs(m, n, d, heads)
    cache = KVCache(k, v)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _call(method, q, k, v, top_k, cache)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    return {"method": method, "M": m, "N": n, "D": d, "k": top_k, "peak_mib": peak_kib / 1024}


def _memory_in_subprocess(method, m, n, d, top_k, heads) -> dict:
    code = (f"import json, sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
            "from kernel import measure_cpu_memory; "
            f"print(json.dumps(measure_cpu_memory({method!r}, {m}, {n}, {d}, {top_k}, {heads!r})))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def decode_benchmark(quick: bool, repeats: int = 15) -> list[dict]:
    """Decode shapes (M = 1, 8; N = 4k … 64k; 9 query heads on 3 KV heads): time and peak memory
    of every method, with its ratio (of medians, interleaved) to the faster dense baseline."""
    from natsparse.kernels import KVCache

    ms, ns = ([1], [2048]) if quick else ([1, 8], [4096, 16384, 65536])
    d = 64
    rows = [_memory_in_subprocess(meth, m, n, d, 0, DECODE_HEADS) | {"part": "decode"}
            for m in ms for n in ns for meth in DECODE_METHODS]
    for m in ms:
        for n in ns:
            q, k, v = _inputs(m, n, d, DECODE_HEADS)
            cache = KVCache(k, v)
            fns = [partial(_call, meth, q, k, v, 0, cache) for meth in DECODE_METHODS]
            wall, cpu = _timed(fns, repeats)
            for meth, ts, cs in zip(DECODE_METHODS, wall, cpu, strict=True):
                row = next(r for r in rows if (r["method"], r["M"], r["N"]) == (meth, m, n))
                row.update(seconds=min(ts), median_seconds=_median(ts), median_cpu_seconds=_median(cs))
    by = {(r["method"], r["M"], r["N"]): r for r in rows}
    for r in rows:
        base = min((by[(name, r["M"], r["N"])] for name in DENSE), key=lambda x: x["median_cpu_seconds"])
        r["dense"] = base["method"]
        r["time_vs_dense"] = r["median_cpu_seconds"] / base["median_cpu_seconds"]
        wall_base = min(by[(name, r["M"], r["N"])]["median_seconds"] for name in DENSE)
        r["wall_time_vs_dense"] = r["median_seconds"] / wall_base
        r["memory_vs_dense"] = r["peak_mib"] / base["peak_mib"] if base["peak_mib"] > 0 else None
        sdpa = by[("sdpa", r["M"], r["N"])]             # SDPA with enable_gqa=True alone (book/kernel.md)
        r["time_vs_sdpa"] = r["median_cpu_seconds"] / sdpa["median_cpu_seconds"]
        r["memory_vs_sdpa"] = r["peak_mib"] / sdpa["peak_mib"] if sdpa["peak_mib"] > 0 else None
    return rows


def cpu_benchmark(quick: bool, repeats: int = 5) -> dict:
    """Memory per (method, N) in fresh processes; times side by side in this one, interleaved."""
    torch.set_num_threads(THREADS)
    sizes = [256, 512] if quick else [1024, 2048, 4096, 8192, 16384]
    d, top_k = 64, 64
    # Memory first: a forked child starts from its parent's peak RSS (Linux keeps the high-water
    # mark across fork and exec), so the parent must not have run anything large yet.
    rows = [_memory_in_subprocess(method, n, n, d, top_k, (1, 1)) | {"part": "prefill"}
            for n in sizes for method in METHODS]
    decode = decode_benchmark(quick)
    for n in sizes:
        g = torch.Generator().manual_seed(0)
        q, k, v = (torch.randn(1, 1, n, d, generator=g) for _ in range(3))
        wall, cpu = _timed([partial(_call, m, q, k, v, top_k) for m in METHODS], repeats)
        for method, ts, cs in zip(METHODS, wall, cpu, strict=True):
            row = next(r for r in rows if r["method"] == method and r["N"] == n)
            row.update(seconds=min(ts), median_seconds=_median(ts), median_cpu_seconds=_median(cs))
    by = {(r["method"], r["N"]): r for r in rows}
    for r in rows:
        naive = by[("naive", r["N"])]
        r["time_vs_naive"] = r["median_cpu_seconds"] / naive["median_cpu_seconds"]
        r["memory_vs_naive"] = r["peak_mib"] / naive["peak_mib"] if naive["peak_mib"] else None
    return {
        "device": {"cpu": cpu_model(), "threads": torch.get_num_threads(), "cores": _cores(),
                   "torch": torch.__version__, "python": platform.python_version()},
        "config": {"prefill": {"B": 1, "H": 1, "M": "N", "D": d, "k": top_k, "dtype": "float32"},
                   "decode": {"B": 1, "Hq": DECODE_HEADS[0], "Hkv": DECODE_HEADS[1], "D": d,
                              "dtype": "float32", "methods": list(DECODE_METHODS),
                              "dense": "the faster (median) of " + " and ".join(DENSE),
                              "kv_cache": "certified methods read K/V norms from a KVCache, except "
                                          "'norms per call'"},
                   "memory": "growth of peak RSS (ru_maxrss) during the first call, fresh process",
                   "time": "medians (and best) of the repeats, the methods interleaved in one process, "
                           "wall clock and this thread's CPU time (time.thread_time: the machine is shared, "
                           "and another process's time slices are not ours); time_vs_* are ratios of CPU "
                           "medians, wall_time_vs_dense of wall medians",
                   "repeats": {"decode": 15, "prefill": repeats}},
        "quick": quick,
        "rows": rows + decode,
    }


def _cores() -> int | None:
    import os

    return os.cpu_count()


def gpu_benchmark(quick: bool) -> dict:
    """Triton bf16 vs naive torch top-k vs dense SDPA (flash) on the current CUDA device."""
    import triton.testing

    from natsparse.kernels import topk_attention

    ns = [4096] if quick else [4096, 8192, 16384]
    ds = [64] if quick else [64, 128]
    ks = [64] if quick else [32, 64, 128, 256]
    B, H = 4, 8
    rows = []
    for n in ns:
        for d in ds:
            q, k, v = (torch.randn(B, H, n, d, device="cuda", dtype=torch.bfloat16)
                       for _ in range(3))
            flops = 4 * B * H * n * n * d
            fns = {"sdpa": partial(torch.nn.functional.scaled_dot_product_attention, q, k, v)}
            for top_k in ks:
                fns[f"triton k={top_k}"] = partial(
                    topk_attention, q, k, v, top_k=top_k, return_stats=True,
                    check_finite=False, backend="triton")
                fns[f"naive k={top_k}"] = partial(naive_topk_attention, q, k, v, top_k, d**-0.5)
            for name, fn in fns.items():
                try:
                    ms = triton.testing.do_bench(fn)
                except torch.OutOfMemoryError:
                    rows.append({"method": name, "N": n, "D": d, "ms": None, "note": "OOM"})
                    torch.cuda.empty_cache()
                    continue
                rows.append({"method": name, "N": n, "D": d, "ms": ms,
                             "dense_tflops": flops / ms / 1e9})
    return {"device": {"gpu": torch.cuda.get_device_name(), "torch": torch.__version__,
                       "triton": triton.__version__},
            "config": {"B": B, "H": H, "dtype": "bfloat16",
                       "tflops": "4·B·H·N²·D / time (dense-attention floor)"},
            "quick": quick, "rows": rows}


def show(title: str, rows: list[dict], columns: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for c in columns:
        table.add_column(c, justify="right")
    for r in rows:
        table.add_row(*(f"{r[c]:.3g}" if isinstance(r.get(c), float) else str(r.get(c))
                        for c in columns))
    Console().print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke run")
    parser.add_argument("--gpu-only", action="store_true", help="skip the CPU part")
    args = parser.parse_args()
    if args.gpu_only and not torch.cuda.is_available():
        parser.error("--gpu-only needs CUDA, and torch.cuda.is_available() is False")
    RESULTS.mkdir(parents=True, exist_ok=True)
    if not args.gpu_only:
        cpu = cpu_benchmark(args.quick)
        title = f"CPU: {cpu['device']['cpu']}, torch {cpu['device']['torch']}"
        show(title + " — prefill", [r for r in cpu["rows"] if r["part"] == "prefill"],
             ["method", "N", "median_cpu_seconds", "peak_mib", "time_vs_naive", "memory_vs_naive"])
        decode = [r for r in cpu["rows"] if r["part"] == "decode"]
        show(title + f", {cpu['device']['threads']} thread — decode (9 query heads on 3 KV heads)", decode,
             ["method", "M", "N", "median_cpu_seconds", "peak_mib", "time_vs_dense", "wall_time_vs_dense"])
        if not args.quick:
            (RESULTS / "kernel-cpu.json").write_text(json.dumps(cpu, indent=2) + "\n")
    if torch.cuda.is_available():
        gpu = gpu_benchmark(args.quick)
        show(f"GPU: {gpu['device']['gpu']}", gpu["rows"],
             ["method", "N", "D", "ms", "dense_tflops"])
        if not args.quick:
            (RESULTS / "kernel-gpu.json").write_text(json.dumps(gpu, indent=2) + "\n")


if __name__ == "__main__":
    main()
