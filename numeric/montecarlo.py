"""Monte Carlo engine of the Gaussian model: seeded, batched, streaming torch sampling.

Rows of scores s ~ N(0, beta^2 I_n) are drawn in batches from one seeded `torch.Generator`
(float64), their statistics computed by `row_stats`, and folded into a `Summary` that keeps
only moments, exceedance counts and integer histograms, so memory is O(n + batch), flat
in the number of trials. The same (seed, batch_rows) gives the same numbers.

Statistics per row (names are the keys of `row_stats` and of `Summary`):
- "lse" = log Z, "max_weight" = max_j a_j;
- "tau[k]" = tau_k, the softmax mass outside the top-k (for each requested k);
- "count[a>eps]" = #{j : a_j > eps}, "count[s>t]" = N_t (for each eps, t);
- "k_eps[eps]" = min{k : tau_k <= eps} (needs a full sort, so only when asked for).
tau_k from the top-k path is (Z - head mass)/Z (absolute error a few float64 ulps of the sums,
~1e-15); with a k_eps request all tails are summed directly from a full sort instead (relative
accuracy).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import torch

from .validate import as_open_unit

ELEMENTS_PER_BATCH = 2**20  # float64 scores per batch: 8 MiB, whatever n is


def _name(kind: str, value) -> str:
    return f"{kind}[{value:g}]" if isinstance(value, float) else f"{kind}[{value}]"


def tau_name(k: int) -> str:
    """Key of tau_k."""
    return _name("tau", k)


def count_eps_name(eps: float) -> str:
    """Key of #{j : a_j > eps}."""
    return f"count[a>{float(eps):g}]"


def count_t_name(t: float) -> str:
    """Key of N_t = #{j : s_j > t}."""
    return f"count[s>{float(t):g}]"


def k_eps_name(eps: float) -> str:
    """Key of k_eps = min{k : tau_k <= eps}."""
    return _name("k_eps", float(eps))


def _as_trials(x, name: str) -> int:
    if isinstance(x, bool) or not isinstance(x, int | np.integer) or x < 1:
        raise ValueError(f"{name} must be a positive int, got {x!r}")
    return int(x)


def _as_beta(beta) -> float:
    if isinstance(beta, bool) or not isinstance(beta, int | float | np.floating):
        raise TypeError(f"beta must be a real number >= 0, got {type(beta).__name__}")
    if not (math.isfinite(beta) and beta >= 0):
        raise ValueError(f"beta must be a finite real number >= 0, got {beta}")
    return float(beta)


@dataclass(frozen=True)
class Request:
    """What to compute per row: windows k, weight thresholds eps, score thresholds t, k_eps levels."""

    n: int
    k: tuple[int, ...] = ()
    eps: tuple[float, ...] = ()
    t: tuple[float, ...] = ()
    eps_mass: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        _as_trials(self.n, "n")
        for kk in self.k:
            if isinstance(kk, bool) or not isinstance(kk, int | np.integer) or not 1 <= kk <= self.n:
                raise ValueError(f"k must be ints in [1, n={self.n}], got {kk!r}")
        for e in (*self.eps, *self.eps_mass):
            as_open_unit(e, "eps")
        for tt in self.t:
            if not math.isfinite(float(tt)):
                raise ValueError(f"t must be finite, got {tt}")

    @property
    def names(self) -> list[str]:
        """Names of every statistic `row_stats` returns for this request."""
        return ["lse", "max_weight", *(tau_name(k) for k in self.k), *self.integer_stats]

    @property
    def integer_stats(self) -> list[str]:
        """Names of the integer statistics (kept as histograms over 0..n)."""
        return ([count_eps_name(e) for e in self.eps] + [count_t_name(t) for t in self.t]
                + [k_eps_name(e) for e in self.eps_mass])


def row_stats(s: torch.Tensor, req: Request) -> dict[str, torch.Tensor]:
    """The statistics of every row of s (shape (B, n)), as tensors of shape (B,)."""
    out: dict[str, torch.Tensor] = {}
    if req.eps_mass:
        srt = torch.sort(s, dim=-1, descending=True).values
        tails = torch.logcumsumexp(srt.flip(-1), dim=-1).flip(-1)   # tails[:, k] = LSE(s_(k+1..n))
        lse = tails[:, 0]
        smax = srt[:, 0]
        for kk in req.k:
            out[tau_name(kk)] = (torch.exp(tails[:, kk] - lse) if kk < req.n
                                 else torch.zeros_like(lse))
        for level in req.eps_mass:   # batched.k_eps, fused here with the tau statistics' tails
            out[k_eps_name(level)] = (tails > (lse + math.log(level))[:, None]).sum(-1)
    else:
        smax = s.max(dim=-1).values
        e = (s - smax[:, None]).exp_()                      # e_j = e^{s_j - max s} in (0, 1]
        z = e.sum(-1)                                       # Z e^{-max s} >= 1
        lse = smax + z.log()
        if req.k:
            head = torch.topk(e, max(req.k), dim=-1, sorted=True).values.cumsum_(-1)
            for kk in req.k:
                out[tau_name(kk)] = (torch.zeros_like(lse) if kk == req.n
                                     else ((z - head[:, kk - 1]) / z).clamp_(min=0.0))
    out["lse"] = lse
    out["max_weight"] = torch.exp(smax - lse)
    for level in req.eps:
        out[count_eps_name(level)] = (s > (lse + math.log(level))[:, None]).sum(-1)
    for tt in req.t:
        out[count_t_name(tt)] = (s > float(tt)).sum(-1)
    return out


@dataclass
class Moments:
    """Streaming count, mean, sum of squared deviations, min and max (Chan's merge)."""

    count: int = 0
    mean: float = 0.0
    m2: float = 0.0
    min: float = math.inf
    max: float = -math.inf

    def add(self, x: torch.Tensor) -> None:
        """Fold a batch of values in."""
        nb = x.numel()
        if nb == 0:
            return
        x = x.to(torch.float64)
        mb = float(x.mean())
        m2b = float(((x - mb) ** 2).sum())
        tot = self.count + nb
        d = mb - self.mean
        self.mean += d * nb / tot
        self.m2 += m2b + d * d * self.count * nb / tot
        self.count = tot
        self.min = min(self.min, float(x.min()))
        self.max = max(self.max, float(x.max()))

    @property
    def std(self) -> float:
        """Sample standard deviation (0 for a single value)."""
        return math.sqrt(self.m2 / (self.count - 1)) if self.count > 1 else 0.0


@dataclass
class Summary:
    """Streaming statistics of `trials` rows: moments, histograms, exceedance counts."""

    n: int
    beta: float
    trials: int = 0
    moments: dict[str, Moments] = field(default_factory=dict)
    hist: dict[str, np.ndarray] = field(default_factory=dict)
    above: dict[tuple[str, float], int] = field(default_factory=dict)
    below: dict[tuple[str, float], int] = field(default_factory=dict)

    def add(self, stats: dict[str, torch.Tensor], integer_stats: Iterable[str]) -> None:
        """Fold one batch of `row_stats` in."""
        ints = set(integer_stats)
        for name, x in stats.items():
            self.moments.setdefault(name, Moments()).add(x)
            if name in ints:
                h = np.bincount(x.cpu().numpy().astype(np.int64), minlength=self.n + 1)
                self.hist[name] = self.hist.get(name, 0) + h
        for key in self.above:
            self.above[key] += int((stats[key[0]] > key[1]).sum())
        for key in self.below:
            self.below[key] += int((stats[key[0]] < key[1]).sum())
        self.trials += next(iter(stats.values())).numel()

    def exceed(self, name: str, level) -> int:
        """Rows whose integer statistic `name` is > level (from its histogram)."""
        h = self.hist[name]
        return int(h[max(0, int(math.floor(level)) + 1):].sum())

    def quantile(self, name: str, q: float) -> int:
        """Smallest m with a fraction >= q of rows having `name` <= m (integer statistics)."""
        cum = np.cumsum(self.hist[name])
        return int(np.searchsorted(cum, q * self.trials - 1e-9 * self.trials))

    def as_dict(self) -> dict:
        """A JSON-ready view: moments per statistic, exceedance counts."""
        return {"n": self.n, "beta": self.beta, "trials": self.trials,
                "moments": {k: {"mean": m.mean, "std": m.std, "min": m.min, "max": m.max}
                            for k, m in self.moments.items()},
                "above": [[k, lv, c] for (k, lv), c in self.above.items()],
                "below": [[k, lv, c] for (k, lv), c in self.below.items()]}


def batch_rows_for(n: int, trials: int) -> int:
    """Default rows per batch: ELEMENTS_PER_BATCH scores, at least one row, at most `trials`."""
    return max(1, min(trials, ELEMENTS_PER_BATCH // n))


def score_batches(n: int, beta: float, trials: int, *, seed: int = 0, batch_rows: int | None = None):
    """Yield float64 tensors of shape (B, n) with i.i.d. N(0, beta^2) entries, trials rows in all."""
    n, trials = _as_trials(n, "n"), _as_trials(trials, "trials")
    b = _as_beta(beta)
    rows = batch_rows_for(n, trials) if batch_rows is None else _as_trials(batch_rows, "batch_rows")
    g = torch.Generator().manual_seed(int(seed))
    done = 0
    while done < trials:
        m = min(rows, trials - done)
        yield torch.randn(m, n, generator=g, dtype=torch.float64).mul_(b)
        done += m


def sample_scores(n: int, beta: float, rows: int, *, seed: int = 0) -> torch.Tensor:
    """All rows at once (for small checks): a (rows, n) float64 tensor."""
    return torch.cat(list(score_batches(n, beta, rows, seed=seed)))


def simulate(n: int, beta: float, trials: int, *, k=(), eps=(), t=(), eps_mass=(),
             above: dict | None = None, below: dict | None = None, seed: int = 0,
             batch_rows: int | None = None, progress: bool = False) -> Summary:
    """Run `trials` rows of the Gaussian model and return their streaming `Summary`.

    `above={name: level}` / `below={name: level}` count rows whose statistic is > / < level
    (for real-valued statistics; integer ones have full histograms). `progress` shows a
    rich progress bar (off by default).
    """
    req = Request(_as_trials(n, "n"), tuple(k), tuple(float(e) for e in eps),
                  tuple(float(x) for x in t), tuple(float(e) for e in eps_mass))
    summ = Summary(req.n, _as_beta(beta))
    for src, store in ((above or {}, summ.above), (below or {}, summ.below)):
        for name, level in src.items():
            if name not in req.names:
                raise ValueError(f"unknown statistic {name!r}; known: {req.names}")
            store[(name, float(level))] = 0
    batches = score_batches(n, beta, trials, seed=seed, batch_rows=batch_rows)
    if progress:
        from rich.progress import Progress
        with Progress(transient=True) as bar:
            task = bar.add_task(f"n={n} beta={beta:g}", total=trials)
            for s in batches:
                summ.add(row_stats(s, req), req.integer_stats)
                bar.advance(task, s.shape[0])
    else:
        for s in batches:
            summ.add(row_stats(s, req), req.integer_stats)
    return summ


def sample_model_scores(n: int, d: int, queries: int, *, sigma: float = 1.0, seed: int = 0
                        ) -> tuple[torch.Tensor, torch.Tensor]:
    """lem:conditional-gaussian on real matrices: per query, fresh W_Q, W_K (entries N(0, 1/d)),
    a query token x ~ N(0, I_d) and n key tokens x_j ~ N(0, sigma^2 I_d); scores
    s_j = x^T W_Q W_K^T x_j / sqrt(d). Returns (scores (queries, n), beta (queries,)) with
    beta = sigma ||W^T x|| / sqrt(d), W = W_Q W_K^T.
    """
    n, d, queries = _as_trials(n, "n"), _as_trials(d, "d"), _as_trials(queries, "queries")
    sg = _as_beta(sigma)
    g = torch.Generator().manual_seed(int(seed))
    wq = torch.randn(queries, d, d, generator=g, dtype=torch.float64) / math.sqrt(d)
    wk = torch.randn(queries, d, d, generator=g, dtype=torch.float64) / math.sqrt(d)
    x = torch.randn(queries, d, generator=g, dtype=torch.float64)
    keys = sg * torch.randn(queries, n, d, generator=g, dtype=torch.float64)
    w = wq @ wk.transpose(-1, -2)
    wtx = (w.transpose(-1, -2) @ x[..., None]).squeeze(-1)          # W^T x, (queries, d)
    scores = (keys @ wtx[..., None]).squeeze(-1) / math.sqrt(d)      # x^T W x_j / sqrt(d)
    beta = sg * wtx.norm(dim=-1) / math.sqrt(d)
    return scores, beta


def collect(n: int, beta: float, rows: int, names, *, k=(), eps=(), t=(), eps_mass=(), seed: int = 0
            ) -> dict[str, np.ndarray]:
    """Per-row values of the statistics `names` (memory O(rows), for small runs and quantiles)."""
    req = Request(_as_trials(n, "n"), tuple(k), tuple(float(e) for e in eps),
                  tuple(float(x) for x in t), tuple(float(e) for e in eps_mass))
    unknown = [name for name in names if name not in req.names]
    if unknown:
        raise ValueError(f"unknown statistic(s) {unknown}; known: {req.names}")
    parts: dict[str, list] = {name: [] for name in names}
    for s in score_batches(n, beta, rows, seed=seed):
        st = row_stats(s, req)
        for name in names:
            parts[name].append(st[name].numpy())
    return {name: np.concatenate(v) for name, v in parts.items()}
