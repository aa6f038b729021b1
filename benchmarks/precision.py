"""Exact attention of one row at 50 digits: mpmath against arb, side by side in one run.

For n = 256, 1024, 4096 it times the full row (softmax weights, LSE, output with one value
column, top-k tail mass) in both libraries on the same seeded scores, interleaving the two
in every repeat; it reports the best and the median of the repeats, the speed ratio of the
bests, and arb's ball radius on tau (its certified error), and writes
benchmarks/results/precision.json.

    python benchmarks/precision.py [--repeats 9] [--sizes 256 1024 4096]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
from pathlib import Path

import mpmath
import numpy as np
from flint import arb
from rich.console import Console
from rich.table import Table

from natsparse.numeric import arb as ab
from natsparse.numeric import mp
from timing import cpu_model, interleaved_times

OUT = Path(__file__).resolve().parent / "results" / "precision.json"


def run(sizes: list[int], repeats: int, k: int = 16) -> list[dict]:
    rows = []
    for n in sizes:
        rng = np.random.default_rng(n)
        s = rng.normal(size=n) * 2.0
        v = rng.normal(size=n)
        t_mp, t_ab = interleaved_times(
            [lambda s=s, v=v: mp.topk_attention(s, v, k=k, dps=50),
             lambda s=s, v=v: ab.topk_attention(s, v, k=k, dps=50)], repeats)
        ball = ab.topk_attention(s, v, k=k, dps=50)
        ref = mp.topk_attention(s, v, k=k, dps=50)
        with ab.precision(60):
            agrees = bool(ball.tau.overlaps(arb(mpmath.nstr(ref.tau, 55), "1e-48")))
        rows.append({"n": n, "k": k, "mpmath_s": min(t_mp), "arb_s": min(t_ab),
                     "mpmath_median_s": statistics.median(t_mp), "arb_median_s": statistics.median(t_ab),
                     "speedup": min(t_mp) / min(t_ab),
                     "tau": mpmath.nstr(ref.tau, 20), "arb_tau_radius": float(ball.tau.rad()),
                     "arb_tau_relative_radius": float(ball.tau.rad() / ball.tau.mid()),
                     "arb_contains_mpmath": agrees})
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[256, 1024, 4096])
    p.add_argument("--repeats", type=int, default=9)
    args = p.parse_args()
    rows = run(args.sizes, args.repeats)
    table = Table(title="one row of exact top-k attention at 50 digits (best of "
                        f"{args.repeats}, interleaved)")
    for col in ("n", "mpmath (ms)", "arb (ms)", "arb speed-up", "arb radius of tau", "agree"):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(str(r["n"]), f"{1e3 * r['mpmath_s']:.1f}", f"{1e3 * r['arb_s']:.1f}",
                      f"{r['speedup']:.1f}x", f"{r['arb_tau_radius']:.2e}", str(r["arb_contains_mpmath"]))
    Console().print(table)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"benchmark": "precision", "device": cpu_model(),
                               "python": platform.python_version(), "mpmath": mpmath.__version__,
                               "rows": rows}, indent=1))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
