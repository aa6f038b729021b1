"""Seeded panels of inputs for the checks: edge cases first, then random rows; and, per result,
the inputs where its bound is attained or nearly so (`tight_rows`).

The same panel feeds the status evidence and the CLI's `natsparse check`, so what the
registry calls `sampled` is reproducible from a seed.
"""

from __future__ import annotations

import mpmath
import numpy as np

from .checks import CHECKS
from .validate import topk_indices

SCALES = (1e-3, 1.0, 5.0, 30.0, 1e4)
#: gaps s_(k) - s_(k+1) of the two-level rows: none, tiny (dyadic and decimal), moderate, and so
#: large that tau is below the 50-digit slack (700: e^-700 ~ 1e-304) or below float64 (1e4)
GAPS = (0.0, 2.0 ** -40, 1e-12, 0.5, 1.0, 5.0, 30.0, 100.0, 700.0, 1e4)


def edge_rows() -> list[np.ndarray]:
    """Ties, all-equal (n = 7, and n = 8 where every weight is the dyadic 1/8), one huge score,
    tiny and huge magnitudes, n = 1 and n = 2, and two-level rows with a gap of 2^-40 and of 700.

    >>> [len(r) for r in edge_rows()]
    [1, 2, 2, 7, 6, 4, 4, 41, 17, 5, 8, 8, 8]
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
        np.zeros(8),
        two_level(8, 3, 2.0 ** -40),
        two_level(8, 3, 700.0),
    ]


def two_level(n: int, k: int, gap: float) -> np.ndarray:
    """k scores equal to `gap`, then n - k zeros: every bound on tau_k in terms of the gap, of the
    largest weight or of (n-k) times the (k+1)-th weight is attained here.

    >>> two_level(4, 1, 2.0).tolist()
    [2.0, 0.0, 0.0, 0.0]
    """
    return np.array([float(gap)] * k + [0.0] * (n - k))


def just_below(n: int, k: int, p: int) -> np.ndarray:
    """A two-level row whose n - k low weights are just below eps = 2^-p (within a float64 ulp
    of the gap) and whose k high weights are above it: tau_k = (n-k) a_low ~ (n-k) eps.

    Needs 2^p > n. The gap is the smallest float64 x with k e^x + n - k >= 2^p (decided at 60
    digits; equality is impossible, e^x being irrational for x != 0).

    >>> s = just_below(10, 2, 4)
    >>> with mpmath.workdps(50):
    ...     a = [mpmath.exp(x) / (2 * mpmath.exp(s[0]) + 8) for x in s]
    >>> bool(a[0] > 2.0 ** -4 > a[-1]), float(1 - a[-1] * 16) < 1e-15
    (True, True)
    """
    if 2 ** p <= n:
        raise ValueError(f"just_below needs 2^p > n, got p={p}, n={n}")
    with mpmath.workdps(60):
        target = mpmath.log(mpmath.mpf(2 ** p - (n - k)) / k)
        x = float(target)
        while mpmath.mpf(x) < target:
            x = float(np.nextafter(x, np.inf))
    return two_level(n, k, x)


def worst_values(scores, kept, u=(1.0,)) -> np.ndarray:
    """The values of lem:worst-case-error: v_j = -u on the kept set, +u elsewhere (attains
    ||o - o_hat|| = 2 tau ||u||, and max_{i in S, j not in S} ||v_j - v_i|| = 2 max_j ||v_j||).

    >>> worst_values([1.0, 0.0, 2.0], [2]).tolist()
    [[1.0], [1.0], [-1.0]]
    """
    keep = set(int(j) for j in kept)
    row = np.asarray(u, dtype=np.float64)
    return np.array([-row if j in keep else row for j in range(len(scores))])


def _threshold_kept(scores, eps: float) -> list[int]:
    from .mp import threshold_attention

    return threshold_attention(scores, eps=eps).kept


#: unit vectors u for the worst-case values: in every norm here ||u|| is exact (2-norm 1, max-norm
#: 1 or 1/2)
UNITS = ((1.0,), (1.0, 0.0, 0.0), (0.5, 0.5, 0.5, 0.5))


def tight_rows(result_id: str) -> list[dict]:
    """Keyword arguments for `CHECKS[result_id]` where its relations are attained or nearly so:
    dyadic eps (the float equals the rational), dropped weights just below eps, the worst-case
    values v = -u on the kept set and +u elsewhere, equal scores, two-level rows with gaps of
    every size (`GAPS`), and a = (0.406, 0.297, 0.297) with eps = 0.3 for the threshold case.

    >>> len(tight_rows("lem:gap-bound")), tight_rows("lem:eps-k-tail")[0]
    (40, {'scores': array([0., 0., 0., 0., 0., 0., 0., 0.]), 'eps': 0.125})
    """
    if result_id not in CHECKS:
        raise KeyError(f"{result_id!r} has no check; expected one of {sorted(CHECKS)}")
    levels = [(two_level(n, k, g), k) for n, k in ((8, 3), (300, 1), (300, 299), (2, 1)) for g in GAPS]
    moderate = [(s, kk) for s, kk in levels if float(s.max()) <= 30.0]
    if result_id == "lem:gap-bound":
        return [{"scores": s, "k": kk} for s, kk in levels]
    if result_id in ("lem:tail-identity", "lem:worst-case-error", "lem:max-weight"):
        out = [{"scores": s, "k": kk} for s, kk in moderate]
        return out + [{"scores": np.zeros(1024), "k": kk} for kk in (1, 512, 1023)]
    if result_id in ("thm:output-error", "lem:output-factorization"):
        return [{"scores": s, "values": worst_values(s, topk_indices(s, kk), u), "k": kk}
                for s, kk in moderate[:12] for u in UNITS]
    if result_id == "lem:eps-k-tail":
        out = [{"scores": np.zeros(8), "eps": 0.125}, {"scores": np.zeros(8), "eps": 0.125, "k": 3},
               {"scores": np.zeros(1024), "eps": 2.0 ** -10}]
        return out + [{"scores": just_below(n, kk, p), "eps": 2.0 ** -p}
                      for n, kk, p in ((10, 2, 4), (100, 5, 7), (300, 1, 9), (3, 1, 2))]
    if result_id == "lem:topk-optimal":
        return ([{"scores": s, "k": kk, "other": topk_indices(s, kk)} for s, kk in moderate]
                + [{"scores": np.zeros(8), "k": 3, "other": [5, 6, 7]},
                   {"scores": two_level(6, 4, 1.0), "k": 2, "other": [2, 3]}])
    if result_id == "lem:tail-monotone":
        return [{"scores": np.zeros(n), "k": kk} for n in (8, 1024) for kk in (1, n // 2, n - 1, n)]
    if result_id == "lem:loss-gradient":
        # a gap of 2^-60 keeps S locally constant (the derivative holds S fixed) and L_k = 1 - k/n - O(2^-60)
        return [{"scores": two_level(n, kk, g), "k": kk} for n, kk in ((8, 3), (40, 1), (40, 39))
                for g in (2.0 ** -60, 1.0, 30.0)]
    if result_id == "thm:threshold-error":
        rows = [(np.log([0.406, 0.297, 0.297]), 0.3)]
        rows += [(two_level(2 ** p, 1, 2.0 ** -40), 2.0 ** -p) for p in (3, 10)]
        rows += [(just_below(n, kk, p), 2.0 ** -p) for n, kk, p in ((10, 2, 4), (100, 5, 7), (300, 1, 9))]
        return [{"scores": s, "values": worst_values(s, _threshold_kept(s, e), u), "eps": e}
                for s, e in rows for u in UNITS[::2]]
    raise KeyError(f"no tight rows for {result_id}")  # every id of CHECKS is listed above


def tight_panel(result_id: str) -> list:
    """All check records of `result_id` over `tight_rows(result_id)`.

    >>> recs = tight_panel("lem:max-weight")
    >>> all(r.passed for r in recs), max(r.ratio for r in recs if not r.vacuous)
    (True, 1.0)
    """
    check = CHECKS[result_id]
    return [rec for kw in tight_rows(result_id) for rec in check(**kw)]


def random_rows(count: int, seed: int, n_max: int = 300, ties: bool = True) -> list[np.ndarray]:
    """Gaussian rows with log-uniform n in [2, n_max] (n_max included) and a scale from SCALES;
    with `ties`, 1 in 5 is rounded to a grid so that ties occur.

    >>> [len(r) for r in random_rows(3, seed=0)]
    [48, 130, 57]
    >>> random_rows(3, seed=0)[2].tolist() == random_rows(3, seed=0)[2].tolist()   # seeded
    True
    """
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(count):
        n = min(n_max, int(np.exp(rng.uniform(np.log(2), np.log(n_max + 1)))))
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
        elif result_id == "lem:topk-optimal":
            out.append({"scores": s, "k": k, "seed": int(rng.integers(2**31))})
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
    (13, True)
    """
    check = CHECKS[result_id]
    return [rec for kw in inputs(result_id, rows, seed) for rec in check(**kw)]
