"""Monte Carlo engine of the Gaussian model: seeded, batched, streaming torch sampling.

Rows of scores s ~ N(0, beta^2 I_n) are drawn in batches from one seeded `torch.Generator`
(float64), their statistics computed by `row_stats`, and folded into a `Summary` that keeps
only moments, exceedance counts and integer histograms, so memory is O(n + batch), flat
in the number of trials. The same (seed, batch_rows) gives the same numbers.

Statistics per row (names are the keys of `row_stats` and of `Summary`):
- "lse" = log Z, "max_weight" = max_j a_j;
- "tau[k]" = tau_k, the softmax mass outside the top-k (for each requested k);
- "count[a>eps]" = #{j : a_j > eps}, "count[s>t]" = N_t (for each eps, t);
- "k_eps[eps]" = min{k : tau_k <= eps}.
tau_k and k_eps come from `batched.tail_masses`, the one evaluator of the tail mass: one selection of
the largest scores per batch serves every k and eps level, and the discarded weights are summed
directly (relative accuracy).

    >>> summ = simulate(64, 1.0, 200, k=(8,), eps=(0.01,), seed=0)
    >>> summ.trials, sorted(summ.moments)
    (200, ['count[a>0.01]', 'lse', 'max_weight', 'tau[8]'])
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import torch

from . import batched
from .validate import as_finite_real, as_k, as_nonnegative, as_open_unit, as_positive_int, as_tensor

ELEMENTS_PER_BATCH = 2**20  # float64 scores per batch: 8 MiB, whatever n is


def _name(kind: str, value) -> str:
    return f"{kind}[{value:g}]" if isinstance(value, float) else f"{kind}[{value}]"


def tau_name(k: int) -> str:
    """Key of tau_k.

    >>> tau_name(8)
    'tau[8]'
    """
    return _name("tau", k)


def count_eps_name(eps: float) -> str:
    """Key of #{j : a_j > eps}.

    >>> count_eps_name(0.001)
    'count[a>0.001]'
    """
    return f"count[a>{float(eps):g}]"


def count_t_name(t: float) -> str:
    """Key of N_t = #{j : s_j > t}.

    >>> count_t_name(2)
    'count[s>2]'
    """
    return f"count[s>{float(t):g}]"


def k_eps_name(eps: float) -> str:
    """Key of k_eps = min{k : tau_k <= eps}.

    >>> k_eps_name(0.1)
    'k_eps[0.1]'
    """
    return _name("k_eps", float(eps))


@dataclass(frozen=True)
class Request:
    """What to compute per row: windows k, weight thresholds eps, score thresholds t, k_eps levels.

    >>> req = Request(16, k=(4,), eps=(0.1,), t=(1.0,), eps_mass=(0.05,))
    >>> req.names
    ['lse', 'max_weight', 'tau[4]', 'count[a>0.1]', 'count[s>1]', 'k_eps[0.05]']
    >>> req.integer_stats
    ['count[a>0.1]', 'count[s>1]', 'k_eps[0.05]']
    """

    n: int
    k: tuple[int, ...] = ()
    eps: tuple[float, ...] = ()
    t: tuple[float, ...] = ()
    eps_mass: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        as_positive_int(self.n, "n")
        for kk in self.k:
            as_k(kk, self.n)
        for e in (*self.eps, *self.eps_mass):
            as_open_unit(e, "eps")
        for tt in self.t:
            as_finite_real(tt, "t")

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
    """The statistics of every row of s (shape (B, n)), as tensors of shape (B,).

    >>> st = row_stats(torch.zeros(2, 4, dtype=torch.float64), Request(4, k=(1,), eps_mass=(0.5,)))
    >>> st["tau[1]"].tolist(), st["k_eps[0.5]"].tolist(), st["max_weight"].tolist()
    ([0.75, 0.75], [2, 2], [0.25, 0.25])
    """
    out: dict[str, torch.Tensor] = {}
    if req.k or req.eps_mass:
        # one selection per batch, shared by every k and eps level (k_eps needs every tail)
        tails = batched.tail_masses(s, upto=None if req.eps_mass else max(req.k))
        for kk in req.k:
            out[tau_name(kk)] = tails[:, kk]
        for level in req.eps_mass:
            out[k_eps_name(level)] = batched.k_eps_from_tails(tails, level)
    else:
        as_tensor(s)
    smax = s.max(dim=-1).values
    lse = smax + (s - smax[:, None]).exp_().sum(-1).log_()
    out["lse"] = lse
    out["max_weight"] = torch.exp(smax - lse)
    for level in req.eps:
        out[count_eps_name(level)] = (s > (lse + math.log(level))[:, None]).sum(-1)
    for tt in req.t:
        out[count_t_name(tt)] = (s > float(tt)).sum(-1)
    return out


@dataclass
class Moments:
    """Streaming count, mean, sum of squared deviations, min and max (Chan's merge).

    >>> m = Moments()
    >>> m.add(torch.tensor([1.0, 2.0, 3.0]))
    >>> m.add(torch.tensor([4.0]))
    >>> m.count, m.mean, round(m.std, 12), m.min, m.max
    (4, 2.5, 1.290994448736, 1.0, 4.0)
    """

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
    """Streaming statistics of `trials` rows: moments, histograms, exceedance counts.

    >>> summ = simulate(10, 0.0, 100, k=(3,), eps=(0.05,), above={"tau[3]": 0.5})   # beta = 0: a_j = 1/10
    >>> summ.trials, round(summ.moments["tau[3]"].mean, 12), summ.above
    (100, 0.7, {('tau[3]', 0.5): 100})
    >>> summ.exceed("count[a>0.05]", 9), summ.quantile("count[a>0.05]", 0.5)
    (100, 10)
    >>> sorted(summ.as_dict())
    ['above', 'below', 'beta', 'moments', 'n', 'trials']
    """

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
    """Default rows per batch: ELEMENTS_PER_BATCH scores, at least one row, at most `trials`.

    >>> batch_rows_for(4096, 10**6), batch_rows_for(4096, 10), batch_rows_for(2**21, 5)
    (256, 10, 1)
    """
    return max(1, min(trials, ELEMENTS_PER_BATCH // n))


def score_batches(n: int, beta: float, trials: int, *, seed: int = 0, batch_rows: int | None = None):
    """Yield float64 tensors of shape (B, n) with i.i.d. N(0, beta^2) entries, trials rows in all.

    >>> [tuple(b.shape) for b in score_batches(1000, 1.0, 2500, batch_rows=1000)]
    [(1000, 1000), (1000, 1000), (500, 1000)]
    """
    n, trials = as_positive_int(n, "n"), as_positive_int(trials, "trials")
    b = float(as_nonnegative(beta, "beta"))
    rows = batch_rows_for(n, trials) if batch_rows is None else as_positive_int(batch_rows, "batch_rows")
    g = torch.Generator().manual_seed(int(seed))
    done = 0
    while done < trials:
        m = min(rows, trials - done)
        yield torch.randn(m, n, generator=g, dtype=torch.float64).mul_(b)
        done += m


def sample_scores(n: int, beta: float, rows: int, *, seed: int = 0) -> torch.Tensor:
    """All rows at once (for small checks): a (rows, n) float64 tensor.

    >>> s = sample_scores(5, 2.0, 3, seed=1)
    >>> tuple(s.shape), s.dtype, torch.equal(s, sample_scores(5, 2.0, 3, seed=1))
    ((3, 5), torch.float64, True)
    """
    return torch.cat(list(score_batches(n, beta, rows, seed=seed)))


def simulate(n: int, beta: float, trials: int, *, k=(), eps=(), t=(), eps_mass=(),
             above: dict | None = None, below: dict | None = None, seed: int = 0,
             batch_rows: int | None = None, progress: bool = False) -> Summary:
    """Run `trials` rows of the Gaussian model and return their streaming `Summary`.

    `above={name: level}` / `below={name: level}` count rows whose statistic is > / < level
    (for real-valued statistics; integer ones have full histograms). `progress` shows a
    rich progress bar (off by default).

    >>> summ = simulate(256, 2.0, 1000, k=(16,), eps=(0.01,), seed=0)
    >>> summ.trials, 0 < summ.moments["tau[16]"].mean < 1, summ.hist["count[a>0.01]"].shape
    (1000, True, (257,))
    """
    req = Request(as_positive_int(n, "n"), tuple(k), tuple(float(e) for e in eps),
                  tuple(float(x) for x in t), tuple(float(e) for e in eps_mass))
    summ = Summary(req.n, float(as_nonnegative(beta, "beta")))
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

    >>> scores, beta = sample_model_scores(50, 8, 4, seed=0)
    >>> tuple(scores.shape), tuple(beta.shape)
    ((4, 50), (4,))
    """
    n, d, queries = as_positive_int(n, "n"), as_positive_int(d, "d"), as_positive_int(queries, "queries")
    sg = float(as_nonnegative(sigma, "sigma"))
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
    """Per-row values of the statistics `names` (memory O(rows), for small runs and quantiles).

    >>> v = collect(10, 0.0, 5, ["lse", "tau[3]"], k=(3,))
    >>> v["tau[3]"].round(12).tolist(), round(float(v["lse"][0]), 6)   # beta = 0: log 10
    ([0.7, 0.7, 0.7, 0.7, 0.7], 2.302585)
    """
    req = Request(as_positive_int(n, "n"), tuple(k), tuple(float(e) for e in eps),
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
