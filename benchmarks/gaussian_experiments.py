"""Heavier, cached runs of the Gaussian-model experiments for the book (book/data/gaussian_*.json).

    python benchmarks/gaussian_experiments.py

Seeded; the book re-checks a small version of each live. Runs in about two minutes on two cores.
"""

from __future__ import annotations

import json
import pathlib
import platform
import time

from natsparse.experiments import gaussian as runs

OUT = pathlib.Path(__file__).resolve().parents[1] / "book" / "data"
SEED = 7


def scaling() -> dict:
    """k_eps (eps = 0.1) against n = 2^8..2^14 for gamma in 0.1, 0.25, 0.5, 0.75."""
    ns = [2**e for e in range(8, 15)]
    return {str(gamma): runs.scaling(gamma, ns, lambda n: max(64, 2**21 // n), eps=0.1, seed=SEED)
            for gamma in (0.1, 0.25, 0.5, 0.75)}


def windows(gamma=0.5, C=0.9, k_fixed=4, rows=2000) -> dict:
    """tau for a fixed window and for ceil(n^C), n = 2^7..2^14 (every row, for medians and quartiles)."""
    ns = [2**e for e in range(7, 15)]
    run = runs.windows(gamma, C, k_fixed, ns, lambda n: min(rows, max(200, 2**21 // n)), seed=SEED)
    return {"gamma": gamma, "C": C, "k_fixed": k_fixed,
            "runs": {str(n): {"k_adaptive": r["k_adaptive"], "fixed": r["fixed"].tolist(),
                              "adaptive": r["adaptive"].tolist()} for n, r in run.items()}}


def phase(rows=300) -> dict:
    """Mass of the top 4 weights for gamma in 0..3, n in 2^8, 2^11, 2^14."""
    return {str(gamma): {str(n): v.tolist() for n, v in runs.phase(
        gamma, (2**8, 2**11, 2**14), lambda n: min(rows, max(100, 2**20 // n)), top=4, seed=SEED).items()}
        for gamma in (0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)}


def whp(rows=200_000) -> dict:
    """thm:sparse-whp at delta = 1e-4: bound k, exact k, empirical quantile, failures, CP bounds."""
    cases = [(256, 1.0, 1e-2), (256, 2.0, 1e-2), (1024, 2.0, 1e-3), (1024, 3.0, 1e-3)]
    return {"rows": runs.whp_frequency(cases, 1e-4, rows, seed=SEED)}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    meta = {"seed": SEED, "machine": platform.processor() or platform.machine()}
    for name, fn in (("scaling", scaling), ("windows", windows), ("phase", phase), ("whp", whp)):
        t0 = time.perf_counter()
        data = {"meta": {**meta, "seconds": None}, "data": fn()}
        data["meta"]["seconds"] = round(time.perf_counter() - t0, 1)
        (OUT / f"gaussian_{name}.json").write_text(json.dumps(data))
        print(f"{name}: {data['meta']['seconds']} s -> book/data/gaussian_{name}.json")


if __name__ == "__main__":
    main()
