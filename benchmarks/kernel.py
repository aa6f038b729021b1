"""Benchmark of certified top-k attention: time and peak memory, printed and saved as JSON.

CPU (always): the chunked reference (``topk_attention(backend="torch")``, which also returns
the certificate τ) against the naive way (``kernels.reference.naive_topk_attention``: materialise
the N×N scores, ``torch.topk``, softmax, gather) and dense ``scaled_dot_product_attention``;
B = H = 1, M = N, D = 64, k = 64.
Each (method, N) runs in its own subprocess, so peak memory is measured, not estimated: the
growth of the process's peak resident set (``ru_maxrss``) during the first call, over the
inputs already allocated (after a warm-up call on a tiny input). Times are measured side by
side in one process, the methods interleaved in every repeat; the best of the repeats counts. Results:
benchmarks/results/kernel-cpu.json.

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
from functools import partial
from pathlib import Path

import torch

from natsparse.kernels.reference import naive_topk_attention
from timing import cpu_model, interleaved_times

RESULTS = Path(__file__).parent / "results"
METHODS = ("reference", "naive", "sdpa")


def _call(method, q, k, v, top_k):
    from natsparse.kernels import topk_attention

    scale = q.shape[-1] ** -0.5
    if method == "reference":
        return topk_attention(q, k, v, top_k=top_k, return_stats=True, backend="torch")
    if method == "naive":
        return naive_topk_attention(q, k, v, top_k, scale)
    return torch.nn.functional.scaled_dot_product_attention(q, k, v)


def measure_cpu_memory(method: str, n: int, d: int, top_k: int) -> dict:
    """Run in a fresh process: peak-RSS growth of the first call (after a tiny warm-up)."""
    import resource

    g = torch.Generator().manual_seed(0)
    # Warm up on a tiny input first, so lazy library initialisation is not counted.
    _call(method, *(torch.randn(1, 1, top_k, d, generator=g) for _ in range(3)), top_k)
    q, k, v = (torch.randn(1, 1, n, d, generator=g) for _ in range(3))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _call(method, q, k, v, top_k)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    return {"method": method, "N": n, "D": d, "k": top_k, "peak_mib": peak_kib / 1024}


def cpu_benchmark(quick: bool, repeats: int = 3) -> dict:
    """Memory per (method, N) in fresh processes; times side by side in this one, interleaved."""
    sizes = [256, 512] if quick else [1024, 2048, 4096, 8192, 16384]
    d, top_k = 64, 64
    # Memory first: a forked child starts from its parent's peak RSS (Linux keeps the high-water
    # mark across fork and exec), so the parent must not have run anything large yet.
    rows = []
    for n in sizes:
        for method in METHODS:
            code = (f"import json, sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
                    "from kernel import measure_cpu_memory; "
                    f"print(json.dumps(measure_cpu_memory({method!r}, {n}, {d}, {top_k})))")
            out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                 text=True).stdout
            rows.append(json.loads(out.strip().splitlines()[-1]))
    for n in sizes:
        g = torch.Generator().manual_seed(0)
        q, k, v = (torch.randn(1, 1, n, d, generator=g) for _ in range(3))
        times = interleaved_times([partial(_call, m, q, k, v, top_k) for m in METHODS], repeats)
        for method, ts in zip(METHODS, times, strict=True):
            row = next(r for r in rows if r["method"] == method and r["N"] == n)
            row.update(seconds=min(ts), median_seconds=sorted(ts)[len(ts) // 2])
    by = {(r["method"], r["N"]): r for r in rows}
    for r in rows:
        naive = by[("naive", r["N"])]
        r["time_vs_naive"] = r["seconds"] / naive["seconds"]
        r["memory_vs_naive"] = r["peak_mib"] / naive["peak_mib"] if naive["peak_mib"] else None
    return {
        "device": {"cpu": cpu_model(), "threads": torch.get_num_threads(),
                   "torch": torch.__version__, "python": platform.python_version()},
        "config": {"B": 1, "H": 1, "M": "N", "D": d, "k": top_k, "dtype": "float32",
                   "memory": "growth of peak RSS (ru_maxrss) during the first call, fresh process",
                   "time": f"best of {repeats} calls, the three methods interleaved in one process"},
        "quick": quick,
        "rows": rows,
    }


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
        show(f"CPU: {cpu['device']['cpu']}, torch {cpu['device']['torch']}", cpu["rows"],
             ["method", "N", "seconds", "peak_mib", "time_vs_naive", "memory_vs_naive"])
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
