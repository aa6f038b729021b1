"""How tight is each deterministic bound? The worst (largest) measured/bound ratio per relation.

For every result of `natsparse.numeric.CHECKS` it runs the check on the result's tight panel
(`numeric.panel.tight_rows`: dyadic eps, dropped weights just below eps, v = +-u, equal scores,
gaps of every size) and on seeded random rows (`random_rows` through `inputs`, as the evidence
does), and reports, per relation of the registry formula, the largest ratio over the informative
records (`CheckRecord.ratio`: measured/bound for <=, < and =; bound/measured for >= and >;
vacuous records, both sides below the 50-digit slack, are left out). A bound that is attained
shows 1 up to rounding; a relation whose supremum is not attained (tau_{k+1} <= tau_k, m eps < n eps)
shows how close the panel gets. Writes benchmarks/results/tightness.json.

    python benchmarks/tightness.py [--rows 40] [--seed 20261122] [--n-max 300]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time
from pathlib import Path

import mpmath
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from natsparse.numeric.checks import CHECKS
from natsparse.numeric.panel import random_rows, run_panel, tight_panel
from natsparse.proofs import get
from timing import cpu_model

OUT = Path(__file__).resolve().parent / "results" / "tightness.json"
#: a ratio within this of 1 counts as attained (50-digit arithmetic on float64 inputs)
ATTAINED = 1e-12


def _where(rec) -> str:
    label = rec.name.rsplit(" [", 1)[1].rstrip("]") if rec.name.endswith("]") else ""
    params = ", ".join(f"{key}={value}" for key, value in rec.params.items() if key != "other")
    return params + (f"; {label}" if label else "")


def _one_minus(rec) -> float:
    """1 - ratio at 50 digits (the float ratio rounds 1 - 1e-17 to 1)."""
    num, den = ((rec.bound, rec.measured) if rec.relation in ("ge", "gt") else (rec.measured, rec.bound))
    with mpmath.workdps(50):
        return float(1 - num / den)


def run(rows: int, seed: int, n_max: int) -> list[dict]:
    out = []
    for result_id, _check in CHECKS.items():
        t0 = time.perf_counter()
        tight = tight_panel(result_id)
        sampled = run_panel(result_id, random_rows(rows, seed, n_max=n_max), seed)
        seconds = time.perf_counter() - t0
        rels = get(result_id).relations()
        for index, rel in enumerate(rels):
            recs = [(r, src) for src, part in (("tight", tight), ("random", sampled)) for r in part
                    if r.relation_index == index]
            live = [(r, src) for r, src in recs if not r.vacuous and math.isfinite(r.ratio)]
            best = max(live, key=lambda pair: pair[0].ratio, default=(None, None))
            rec, src = best
            best_random = max((r.ratio for r, s in live if s == "random"), default=float("nan"))
            out.append({
                "id": result_id, "relation": index, "formula": str(rel),
                "kind": recs[0][0].relation if recs else None,
                "worst_ratio": rec.ratio if rec else None,
                "one_minus_worst": _one_minus(rec) if rec else None,
                "attained": bool(rec and abs(rec.ratio - 1) <= ATTAINED),
                "from": src, "at": _where(rec) if rec else None,
                "worst_random_ratio": best_random,
                "records": len(recs), "informative": len(live),
                "vacuous": sum(1 for r, _ in recs if r.vacuous),
                "failed": sum(1 for r, _ in recs if not r.passed or r.certified is False),
                "seconds_for_result": seconds,
            })
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=40)
    p.add_argument("--seed", type=int, default=20261122)
    p.add_argument("--n-max", type=int, default=300)
    args = p.parse_args()
    t0 = time.perf_counter()
    rows = run(args.rows, args.seed, args.n_max)
    table = Table(title=f"worst measured/bound per relation: tight panel + {args.rows} seeded random rows "
                        f"(seed {args.seed}, n <= {args.n_max})")
    for col in ("result", "relation", "worst ratio", "1 - ratio", "random only", "at", "informative/all"):
        table.add_column(col, justify="right" if col != "at" else "left")
    for r in rows:
        worst = "-" if r["worst_ratio"] is None else f"{r['worst_ratio']:.15f}"
        table.add_row(r["id"], escape(r["formula"]), worst,
                      "-" if r["one_minus_worst"] is None else f"{r['one_minus_worst']:.2e}",
                      f"{r['worst_random_ratio']:.6f}", escape(f"{r['from']}: {r['at']}"),
                      f"{r['informative']}/{r['records']}")
    Console(width=200).print(table)
    bad = sum(r["failed"] for r in rows)
    print(f"{sum(r['records'] for r in rows)} records, {bad} failed, {time.perf_counter() - t0:.0f} s")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"benchmark": "tightness", "device": cpu_model(),
                               "python": platform.python_version(), "mpmath": mpmath.__version__,
                               "random_rows": args.rows, "seed": args.seed, "n_max": args.n_max,
                               "attained_within": ATTAINED, "seconds": time.perf_counter() - t0,
                               "rows": rows}, indent=1))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
