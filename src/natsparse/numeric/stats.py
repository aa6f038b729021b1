"""Statistics of the checks: exact (Clopper–Pearson) binomial bounds and the test built on them,
distribution-free median intervals and their ordering, and the log-log slope.

For x successes in N trials, the one-sided Clopper–Pearson bounds at level alpha are the
Beta quantiles

    lower = Beta^{-1}(alpha; x, N - x + 1)      (0 when x = 0)
    upper = Beta^{-1}(1 - alpha; x + 1, N - x)  (1 when x = N)

and they are conservative *for every p*: P_p(lower > p) <= alpha and P_p(upper < p) <= alpha.
That is what the Monte Carlo checks need: "reject P(fail) <= delta only when the lower bound
at level alpha exceeds delta" raises a false alarm with probability <= alpha whatever the
true failure probability below delta is. Quantiles come from scipy.stats.beta (Boost's
incomplete-beta inverse), which stays accurate for the 1e5..1e9 trial counts used here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import beta as _beta
from scipy.stats import binom

from .validate import as_counts, as_open_unit


def lower_bound(successes: int, trials: int, alpha: float) -> float:
    """One-sided Clopper–Pearson lower bound: P_p(lower > p) <= alpha for every p.

    >>> lower_bound(0, 10, 0.05), round(lower_bound(5, 10, 0.05), 6)
    (0.0, 0.222441)
    """
    x, n = as_counts(successes, trials)
    a = as_open_unit(alpha, "alpha")
    return 0.0 if x == 0 else float(_beta.ppf(a, x, n - x + 1))


def upper_bound(successes: int, trials: int, alpha: float) -> float:
    """One-sided Clopper–Pearson upper bound: P_p(upper < p) <= alpha for every p.

    >>> upper_bound(10, 10, 0.05), round(upper_bound(0, 100, 0.05), 6)   # the "rule of three": ~3/100
    (1.0, 0.029513)
    """
    x, n = as_counts(successes, trials)
    a = as_open_unit(alpha, "alpha")
    return 1.0 if x == n else float(_beta.isf(a, x + 1, n - x))


def interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Two-sided Clopper–Pearson interval with coverage >= confidence (alpha/2 per side).

    >>> [round(x, 6) for x in interval(3, 100, 0.95)]
    [0.00623, 0.085176]
    """
    c = as_open_unit(confidence, "confidence")
    a = (1 - c) / 2
    return lower_bound(successes, trials, a), upper_bound(successes, trials, a)


@dataclass(frozen=True)
class RateCheck:
    """The verdict of `check_rate_at_most`: failures/trials against the claim P(fail) <= delta.

    >>> r = check_rate_at_most(0, 100_000, 1e-4, 1e-6)
    >>> r.rejected, r.frequency, round(r.upper95, 8)
    (False, 0.0, 2.996e-05)
    """

    failures: int
    trials: int
    delta: float
    false_alarm: float
    lower: float          # CP lower bound at level false_alarm
    upper95: float        # CP upper bound at level 0.05 (reported, not used to decide)
    rejected: bool

    @property
    def frequency(self) -> float:
        """failures / trials."""
        return self.failures / self.trials


def check_rate_at_most(failures: int, trials: int, delta: float, false_alarm: float) -> RateCheck:
    """Reject "P(fail) <= delta" only if the CP lower bound at level `false_alarm` exceeds delta.

    When the claim holds, a rejection has probability <= false_alarm.

    >>> r = check_rate_at_most(50, 100_000, 1e-4, 1e-6)    # 5e-4 against a claimed 1e-4
    >>> r.rejected, round(r.lower, 8)
    (True, 0.00023254)
    """
    d = as_open_unit(delta, "delta")
    lo = lower_bound(failures, trials, false_alarm)
    return RateCheck(failures, trials, d, false_alarm, lo, upper_bound(failures, trials, 0.05), lo > d)



def quantile_interval(values, q: float, alpha: float) -> tuple[float, float]:
    """Distribution-free interval for the q-quantile of a continuous law from i.i.d. `values`.

    Order statistics x_(r) <= x_(s) with r, s from Bin(N, q): the interval misses the true
    quantile with probability <= alpha (alpha/2 per side); -inf / inf when N is too small.

    >>> quantile_interval(list(range(101)), 0.5, 0.05)      # ranks 41 and 61 of 0..100
    (40.0, 60.0)
    """
    x = np.sort(np.asarray(values, dtype=np.float64).ravel())
    qq, a = as_open_unit(q, "q"), as_open_unit(alpha, "alpha")
    if x.size == 0:
        raise ValueError("values must be non-empty")
    r = int(binom.ppf(a / 2, x.size, qq))           # P(Bin >= r) >= 1 - alpha/2
    s = int(binom.ppf(1 - a / 2, x.size, qq)) + 1    # P(Bin <= s - 1) >= 1 - alpha/2
    lo = -np.inf if r < 1 else float(x[r - 1])
    hi = np.inf if s > x.size else float(x[s - 1])
    return lo, hi


def medians_ordered(values_by_x: dict, direction: str, alpha: float) -> tuple[bool, list]:
    """True when consecutive medians are certainly ordered (`direction` "up" or "down"): the
    distribution-free intervals for the medians, each missing with probability <= alpha / 2,
    are disjoint in that order. Returns (ordered, [(x, (lo, hi)), ...]).

    >>> medians_ordered({1: [0.0, 0.1, 0.2] * 40, 2: [5.0, 5.1, 5.2] * 40}, "up", 1e-6)[0]
    True
    """
    if direction not in ("up", "down"):
        raise ValueError(f"direction must be 'up' or 'down', got {direction!r}")
    ivs = [(x, quantile_interval(v, 0.5, alpha / 2)) for x, v in values_by_x.items()]
    ok = True
    for (_, (lo1, hi1)), (_, (lo2, hi2)) in zip(ivs, ivs[1:], strict=False):
        ok &= (lo2 > hi1) if direction == "up" else (hi2 < lo1)
    return ok, ivs


def loglog_slope(x, y) -> float:
    """Least-squares slope of log y against log x (the fitted exponent C of y ~ x^C).

    >>> round(loglog_slope([1, 10, 100], [2, 20, 200]), 12)
    1.0
    """
    lx, ly = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
    if lx.size < 2 or lx.shape != ly.shape or not (np.all(np.isfinite(lx)) and np.all(np.isfinite(ly))):
        raise ValueError("x and y must be two or more positive, finite numbers of equal count")
    return float(np.polyfit(lx, ly, 1)[0])
