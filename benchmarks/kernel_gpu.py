"""The prepared GPU run of issue 15: the GPU kernel tests and the bracket-select benchmark in one call.

On a CUDA machine it (1) runs ``pytest -m gpu tests/test_kernels`` (compiled Triton, bf16 included) and
(2) times, in bf16 with B·H = 32: the Triton kernel with the bracket select and with the radix
select it replaces, naive torch top-k (the chunked reference where naive runs out of memory) and
flash SDPA, for prefill (M = N) and decode (M = 1, GQA 32/8 heads, D = 128); plus the fraction of
rows the bracket resolved (the rest took the radix fallback) and dense-equivalent TFLOP/s
(4·B·H·M·N·D flops, halved under a causal mask). Timing: ``triton.testing.do_bench`` (a well-kept
CUDA-event timer with cache flushing), methods of one shape timed one after another in one process.
Writes benchmarks/results/kernel-gpu-select.json and benchmarks/results/kernel-gpu-select.log (device, driver,
torch and Triton versions, the pytest summary, the table).

``--dry-run`` (no GPU needed): the same code on tiny shapes under the Triton interpreter on CPU,
no pytest, nothing written unless ``--out`` is given: it checks imports, arguments and the
bookkeeping before the GPU's scarce minutes are spent.

Usage: python benchmarks/kernel_gpu.py [--dry-run] [--quick] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
PREFILL = {"n": (4096, 16384, 32768), "d": (64, 128), "top_k": (64, 256, 2048)}
DECODE = {"n": (16384, 32768, 65536, 131072), "top_k": (256, 2048)}
DRY = {"prefill": [(64, 16, 8)], "decode": [(96, 8)]}


def _timer(dry: bool):
    if dry:
        def best_ms(fn):
            fn()
            t0 = time.perf_counter()
            fn()
            return 1e3 * (time.perf_counter() - t0)
        return best_ms
    import triton.testing

    return lambda fn: triton.testing.do_bench(fn, warmup=10, rep=50)


def _methods(q, k, v, top_k, causal, dry):
    """name → zero-argument callable, for one shape."""
    import torch

    from natsparse.kernels.reference import naive_topk_attention
    from natsparse.kernels.selection import Selection
    from natsparse.kernels.triton_topk import attention_triton

    scale = q.shape[-1] ** -0.5
    gqa = q.shape[1] != k.shape[1]

    def triton_sel(select, flags=None):
        sel = {"select": select} if flags is None else {"select": select, "bracketed": None}

        def fn():
            attention_triton(q, k, v, scale=scale, is_causal=causal, select=Selection("top_k", top_k),
                             interpret=dry, config=sel)
            if flags is not None:
                flags.append(float(sel["bracketed"].float().mean()))
        return fn

    def naive():
        kk, vv = (t.repeat_interleave(q.shape[1] // k.shape[1], 1) for t in (k, v)) if gqa else (k, v)
        return naive_topk_attention(q, kk, vv, top_k, scale)

    def chunked():
        from natsparse.kernels import topk_attention
        return topk_attention(q, k, v, top_k=top_k, is_causal=causal, enable_gqa=gqa, backend="torch")

    def sdpa():
        return torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=gqa)

    return {"triton bracket": triton_sel("bracket"), "triton radix": triton_sel("radix"),
            "naive top-k": naive, "chunked reference": chunked, "sdpa": sdpa}, triton_sel


def measure(kind, b, hq, hkv, m, n, d, top_k, causal, dry, best_ms, radix=True) -> dict:
    """Times (ms) of every method on one shape; an out-of-memory method is recorded as such."""
    import torch

    dev, dtype = ("cpu", torch.float32) if dry else ("cuda", torch.bfloat16)
    g = torch.Generator(device=dev).manual_seed(0)
    q = torch.randn(b, hq, m, d, generator=g, device=dev).to(dtype)
    k, v = (torch.randn(b, hkv, n, d, generator=g, device=dev).to(dtype) for _ in range(2))
    methods, triton_sel = _methods(q, k, v, top_k, causal, dry)
    row = {"kind": kind, "B": b, "Hq": hq, "Hkv": hkv, "M": m, "N": n, "D": d, "top_k": top_k,
           "causal": causal, "ms": {}}
    for name, fn in methods.items():
        if name == "triton radix" and not radix:
            continue
        # Naive top-k has no causal mask; the chunked reference is the baseline where naive can't run.
        if name == "naive top-k" and causal:
            continue
        if name == "chunked reference" and isinstance(row["ms"].get("naive top-k"), float):
            continue
        try:
            row["ms"][name] = best_ms(fn)
        except torch.OutOfMemoryError:
            row["ms"][name] = "out of memory"
            if not dry:
                torch.cuda.empty_cache()
    flags: list[float] = []
    triton_sel("bracket", flags)()
    row["bracketed_rows"] = flags[0]
    flops = 4 * b * hq * m * n * d * (0.5 if causal else 1.0)
    ms = row["ms"]["triton bracket"]
    row["dense_equiv_tflops"] = flops / (ms * 1e-3) / 1e12
    base = ms_of(row, "naive top-k") or ms_of(row, "chunked reference")
    row["speedup_vs_naive"] = base / ms if base else None
    row["ratio_to_sdpa"] = ms / ms_of(row, "sdpa")
    if ms_of(row, "triton radix"):
        row["speedup_vs_radix"] = ms_of(row, "triton radix") / ms
    return row


def ms_of(row, name):
    t = row["ms"].get(name)
    return t if isinstance(t, float) else None


def run_gpu_tests(log) -> int:
    cmd = [sys.executable, "-m", "pytest", "-m", "gpu", "-q", "-rA", "tests/test_kernels"]
    log.append("# command: " + " ".join(cmd))
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=Path(__file__).parent.parent)
    log.extend(res.stdout.splitlines()[-80:] + res.stderr.splitlines()[-20:])
    return res.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="tiny shapes, Triton interpreter on CPU")
    parser.add_argument("--quick", action="store_true", help="N = 16k prefill and N = 32k decode only")
    parser.add_argument("--out", type=Path, default=None, help="results folder (default: benchmarks/results, "
                        "none for --dry-run)")
    args = parser.parse_args()
    dry = args.dry_run
    if dry:
        os.environ["TRITON_INTERPRET"] = "1"
    import torch
    import triton

    if not dry and not torch.cuda.is_available():
        parser.error("needs CUDA (torch.cuda.is_available() is False); use --dry-run on CPU")
    out_dir = args.out if (args.out or dry) else RESULTS
    device = "CPU (Triton interpreter)" if dry else torch.cuda.get_device_name()
    log = [f"# {device}, torch {torch.__version__}, triton {triton.__version__}, python "
           f"{platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')}"]
    if not dry:
        smi = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True)
        log.append("# nvidia-smi: " + smi.stdout.strip())
        log.append(f"# pytest -m gpu exit status: {run_gpu_tests(log)}")
    best_ms = _timer(dry)
    rows = []
    if dry:
        shapes = [("prefill", 1, 2, 2, n, n, d, kk, False) for n, d, kk in DRY["prefill"]]
        shapes += [("decode", 1, 4, 2, 1, n, 16, kk, False) for n, kk in DRY["decode"]]
    else:
        ns = (16384,) if args.quick else PREFILL["n"]
        shapes = [("prefill", 1, 32, 32, n, n, d, kk, causal) for n in ns for d in PREFILL["d"]
                  for kk in PREFILL["top_k"] for causal in (False, True)]
        dns = (32768,) if args.quick else DECODE["n"]
        shapes += [("decode", 1, 32, 8, 1, n, 128, kk, False) for n in dns for kk in DECODE["top_k"]]
    for kind, b, hq, hkv, m, n, d, kk, causal in shapes:
        # The radix select (17 passes) is timed at N = 16k only (the before/after ratio), to save time.
        row = measure(kind, b, hq, hkv, m, n, d, kk, causal, dry, best_ms, radix=dry or n == 16384 or m == 1)
        rows.append(row)
        times = " ".join(f"{name}={t if isinstance(t, str) else f'{t:.3f} ms'}"
                         for name, t in row["ms"].items())
        line = (f"{kind:7s} M={m:6d} N={n:6d} D={d:3d} k={kk:5d} causal={causal!s:5s} {times}"
                + f" bracketed={row['bracketed_rows']:.3f} TFLOP/s={row['dense_equiv_tflops']:.2f}")
        print(line, flush=True)
        log.append(line)
    result = {"device": device, "torch": torch.__version__, "triton": triton.__version__,
              "dry_run": dry, "dtype": "float32" if dry else "bfloat16", "rows": rows}
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "kernel-gpu-select.json").write_text(json.dumps(result, indent=2) + "\n")
        (out_dir / "kernel-gpu-select.log").write_text("\n".join(log) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
