"""exp:real-model in full: all-MiniLM-L6-v2 (72 heads) on pydoc topics, n = 16 ... 512.

    python benchmarks/real_model.py

Runs `natsparse.numeric.real_model.study` with its defaults, prints one row per layer (the
fitted exponent C of k_eps ~ n^C, mean score skewness and excess kurtosis, beta_hat against the
prediction of lem:conditional-gaussian, mass on [CLS] + [SEP]) and the summary, and writes the
report, with its run time and the machine, to benchmarks/results/real_model.json (the book reads it).
"""

from __future__ import annotations

import json
import pathlib

import numpy as np
from rich.console import Console
from rich.table import Table

from natsparse.experiments import real_model as R
from timing import cpu_model

OUT = pathlib.Path(__file__).resolve().parent / "results" / "real_model.json"


def main() -> None:
    report = R.study()
    report["machine"] = cpu_model()
    con = Console(highlight=False)
    t = Table(title=f"exp:real-model: {len(report['heads'])} heads, n in {report['lengths']}, "
                    f"{report['seconds']:.1f} s on {report['machine']}")
    for col in ("layer", "C median [min, max]", "skew", "ex. kurtosis", "beta_hat / beta_pred",
                "[CLS]+[SEP] mass"):
        t.add_column(col)
    for row in report["by_layer"]:
        hs = [h for h in report["heads"] if h["layer"] == row["layer"]]
        t.add_row(str(row["layer"]), f"{row['C_median']:.2f} [{row['C_min']:.2f}, {row['C_max']:.2f}]",
                  f"{np.mean([h['skew'] for h in hs]):.2f}", f"{np.mean([h['kurt'] for h in hs]):.2f}",
                  f"{np.median([h['beta_hat'] / h['beta_pred'] for h in hs]):.2f}",
                  f"{np.mean([h['cls_mass'] + h['sep_mass'] for h in hs]):.2f}")
    con.print(t)
    for name, value in report["summary"].items():
        con.print(f"{name:32s} {value:.4g}")
    con.print(f"certificate: {report['certificate']}")
    con.print(f"adaptive window: {report['adaptive']}")
    OUT.write_text(json.dumps(report, indent=1) + "\n")
    con.print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
