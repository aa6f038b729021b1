"""Throughput of the Monte Carlo engine against raw sampling, and its memory as trials grow.

    python benchmarks/montecarlo.py

Rows per second of `montecarlo.simulate` computing the full statistics (LSE, max weight, tau_k
for k in 8, 32, 128, counts above two weight thresholds and one score threshold), next to the
raw cost of `torch.randn` + `torch.logsumexp` on the same batches; then the peak RSS of a fresh
process running the engine at two trial counts (flat memory means streaming works). Prints a
table and writes benchmarks/results/montecarlo.json.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import torch
from rich.console import Console
from rich.table import Table

from natsparse.numeric import montecarlo as MC
from timing import cpu_model, interleaved_times

OUT = pathlib.Path(__file__).resolve().parent / "results" / "montecarlo.json"
STATS = dict(k=(8, 32, 128), eps=(1e-3, 1e-2), t=(2.0,))
REPEATS = 5


def raw(n: int, rows: int) -> None:
    """randn + logsumexp over the same batches the engine uses."""
    for s in MC.score_batches(n, 2.0, rows, seed=0):
        torch.logsumexp(s, dim=-1)


def engine(n: int, rows: int) -> None:
    MC.simulate(n, 2.0, rows, seed=0, **STATS)


def peak_rss_mb(n: int, rows: int) -> float:
    """Peak RSS (MiB) of a fresh process that runs the engine on `rows` rows."""
    code = ("import resource; from natsparse.numeric import montecarlo as MC; "
            f"MC.simulate({n}, 2.0, {rows}, seed=0, k=(8, 32, 128), eps=(1e-3, 1e-2), t=(2.0,)); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip()) / 1024


def main() -> None:
    results = {"cpu": cpu_model(), "threads": torch.get_num_threads(), "torch": torch.__version__,
               "statistics": {k: list(v) for k, v in STATS.items()}, "throughput": [], "memory": []}
    for n, rows in ((256, 20_000), (4096, 1_500)):
        t_raw, t_eng = (min(x) for x in interleaved_times(
            [lambda n=n, rows=rows: raw(n, rows), lambda n=n, rows=rows: engine(n, rows)], REPEATS))
        results["throughput"].append({"n": n, "rows": rows, "raw_rows_per_s": rows / t_raw,
                                      "engine_rows_per_s": rows / t_eng, "engine_over_raw": t_eng / t_raw})
    for rows in (10_000, 100_000):
        results["memory"].append({"n": 1024, "rows": rows, "peak_rss_mib": peak_rss_mb(1024, rows)})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=1))
    table = Table(title=f"Monte Carlo engine on {results['cpu']} ({results['threads']} threads)")
    for col in ("n", "rows", "raw randn+LSE rows/s", "engine rows/s", "engine / raw"):
        table.add_column(col)
    for r in results["throughput"]:
        table.add_row(str(r["n"]), str(r["rows"]), f"{r['raw_rows_per_s']:,.0f}",
                      f"{r['engine_rows_per_s']:,.0f}", f"{r['engine_over_raw']:.2f}x")
    Console().print(table)
    for m in results["memory"]:
        Console().print(f"peak RSS at n={m['n']}, {m['rows']} rows: {m['peak_rss_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
