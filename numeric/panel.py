"""Seeded panels of inputs for the checks: edge cases first, then random rows.

The same panel feeds the status evidence and the CLI's `natsparse check`, so what the
registry calls `sampled` is reproducible from a seed.
"""

from __future__ import annotations

import numpy as np

from .checks import CHECKS

SCALES = (1e-3, 1.0, 5.0, 30.0, 1e4)


def edge_rows() -> list[np.ndarray]:
    """Ties, all-equal, one huge score, tiny and huge magnitudes, n = 1 and n = 2.

    >>> [len(r) for r in edge_rows()]
    [1, 2, 2, 7, 6, 4, 4, 41, 17, 5]
    """
    return [
        np.array([0.0]),
        np.array([1.0, 1.0]),
        np.array([2.0, -3.0]),
        np.zeros(7),
        np.array([3.0, 3.0, 3.0, 1.0, 1.0, -2.0]),
        np.array([1e4, 0.0, 0.0, -1e4]),
        np.array([-1e4, -1e4 + 1, -1e4 + 2, -1e4 + 3]),
        np.concatenate([[50.0], np.zeros(40)]),
        np.linspace(-1e-12, 1e-12, 17),
        np.array([5.0, 4.0, 4.0, 4.0, 3.0]),
    ]


def random_rows(count: int, seed: int, n_max: int = 300, ties: bool = True) -> list[np.ndarray]:
    """Gaussian rows with log-uniform n in [2, n_max] and a scale from SCALES; with `ties`,
    1 in 5 is rounded to a grid so that ties occur.

    >>> [len(r) for r in random_rows(3, seed=0)]
    [48, 129, 4]
    >>> random_rows(3, seed=0)[2].tolist() == random_rows(3, seed=0)[2].tolist()   # seeded
    True
    """
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(count):
        n = int(np.exp(rng.uniform(np.log(2), np.log(n_max))))
        row = rng.normal(size=n) * SCALES[i % len(SCALES)]
        if ties and i % 5 == 4:
            row = np.round(row)
        rows.append(row)
    return rows


def inputs(result_id: str, rows: list[np.ndarray], seed: int) -> list[dict]:
    """Keyword arguments for `CHECKS[result_id]`, one dict per row (k, values, eps chosen
    from the seed; inputs that violate a result's hypothesis are skipped).

    >>> inputs("lem:gap-bound", [np.array([0.0]), np.array([1.0, 0.0])], seed=0)   # n = 1 has no k < n
    [{'scores': array([1., 0.]), 'k': 1}]
    """
    rng = np.random.default_rng(seed)
    out = []
    for s in rows:
        n = len(s)
        k = int(rng.integers(1, n + 1))
        k_lt = int(rng.integers(1, n)) if n > 1 else None
        V = rng.normal(size=(n, int(rng.integers(1, 5)))) * 10.0 ** rng.integers(-2, 3)
        eps = float(10.0 ** rng.uniform(np.log10(1e-6), np.log10(1.0 / n)) if n > 1 else 0.5)
        if result_id in ("lem:gap-bound", "lem:worst-case-error"):
            if k_lt is not None:
                out.append({"scores": s, "k": k_lt})
        elif result_id in ("lem:output-factorization", "thm:output-error"):
            out.append({"scores": s, "values": V, "k": k})
        elif result_id == "lem:eps-k-tail":
            out.append({"scores": s, "eps": min(eps, 0.5)})
        elif result_id == "thm:threshold-error":
            out.append({"scores": s, "values": V, "eps": min(eps, 1.0 / n if n > 1 else 0.5)})
        elif result_id == "lem:loss-gradient":
            order = np.argsort(-s, kind="stable")
            if n <= 60 and (k == n or s[order[k - 1]] != s[order[k]]):
                out.append({"scores": s, "k": k})
        else:
            out.append({"scores": s, "k": k})
    return out


def run_panel(result_id: str, rows: list[np.ndarray], seed: int) -> list:
    """All check records (`CheckRecord`) of `result_id` over `rows`, kwargs drawn from `seed`.

    >>> recs = run_panel("lem:max-weight", edge_rows(), seed=0)
    >>> len(recs), all(r.passed for r in recs)
    (10, True)
    """
    check = CHECKS[result_id]
    return [rec for kw in inputs(result_id, rows, seed) for rec in check(**kw)]
