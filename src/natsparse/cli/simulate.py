"""`natsparse simulate`: a seeded Monte Carlo run of the Gaussian model, with its bounds.

    natsparse simulate --n 4096 --beta 2 --eps 1e-3 --k 16 64 --trials 100000 [--json [PATH]] [--seed 0]

Prints, per statistic, mean / std / min / max over the rows (keyed in JSON by `output.key` of its
name: `tau_16` for tau[16], the tail mass at k = 16; an integer statistic's min and max are
integers); for each eps the count #{a_j > eps} against the k of thm:sparse-whp at --delta (its
empirical 1 - delta quantile, the failure frequency and a 95% Clopper–Pearson interval); for each
k the tail mass tau_k against the direct bound of thm:error-whp.

Building the parser imports nothing heavy; torch, scipy and rich load when the command runs.
"""

from __future__ import annotations

from natsparse.cli import common as cc
from natsparse.cli import output

#: what --delta defaults to, stated in its help: `numeric.gaussian.DEFAULT_DELTA`, which the command
#: uses when --delta is not given (a test holds the two equal)
DELTA_HELP_DEFAULT = "1e-4"


def _experiment(args) -> dict:
    """Run the simulation and gather the rows of the report."""
    from natsparse.numeric import gaussian, montecarlo, stats

    n, delta = args.n, gaussian.DEFAULT_DELTA if args.delta is None else args.delta
    too_big = [k for k in args.k or () if k > n]
    if too_big:
        raise cc.UsageError(f"simulate: --k must be at most --n = {n}, got {too_big[0]}")
    eps, ks = tuple(args.eps or ()), tuple(args.k or ())
    above = {montecarlo.tau_name(k): float(gaussian.tail_bound_direct(n, args.beta, k, delta)["tau"])
             for k in ks}
    summ = montecarlo.simulate(n, args.beta, args.trials, k=ks, eps=eps, seed=args.seed,
                               above=above, progress=cc.wants_progress(args))
    report = {"n": n, "beta": args.beta, "trials": summ.trials, "seed": args.seed, "delta": delta,
              "statistics": _statistics(summ), "sparsity": [], "tail": []}
    for e in eps:
        bound = gaussian.sparse_whp(n, args.beta, e, delta)
        name = montecarlo.count_eps_name(e)
        fails = summ.exceed(name, bound["k"])
        lo, hi = stats.interval(fails, summ.trials, 0.95)
        report["sparsity"].append({"eps": e, "k_bound": bound["k"], "k_exact": bound["k_exact"],
                                   "quantile": summ.quantile(name, 1 - delta), "failures": fails,
                                   "frequency": fails / summ.trials, "cp95": [lo, hi],
                                   "vacuous": bound["vacuous"]})
    for k in ks:
        name = montecarlo.tau_name(k)
        fails = summ.above[(name, above[name])]
        lo, hi = stats.interval(fails, summ.trials, 0.95)
        report["tail"].append({"k": k, "tau_bound": above[name], "mean": summ.moments[name].mean,
                               "max": summ.moments[name].max, "failures": fails, "cp95": [lo, hi]})
    return report


def _statistics(summ) -> dict:
    """{key: {name, mean, std, min, max}} of each statistic; an integer one's min and max as integers."""
    out = {}
    for name, m in summ.as_dict()["moments"].items():
        whole = int if name in summ.hist else float
        out[output.key(name)] = {"name": name, "mean": m["mean"], "std": m["std"], "min": whole(m["min"]),
                                 "max": whole(m["max"])}
    return out


def _print(report: dict) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    con = Console(highlight=False, soft_wrap=True)
    head = (f"n={report['n']}, beta={report['beta']:g}, {report['trials']} rows, "
            f"seed {report['seed']}, delta={report['delta']:g}")
    t = Table(title=f"Gaussian model: {head}")
    for col in ("statistic", "mean", "std", "min", "max"):
        t.add_column(col)
    for m in report["statistics"].values():
        t.add_row(escape(m["name"]), *(f"{m[c]:.6g}" for c in ("mean", "std", "min", "max")))
    con.print(t)
    if report["sparsity"]:
        t = Table(title="thm:sparse-whp: #{a_j > eps} <= k with probability >= 1 - delta")
        for col in ("eps", "k (bound)", "k_exact", "1-delta quantile", "failures", "CP 95%"):
            t.add_column(col)
        for r in report["sparsity"]:
            t.add_row(f"{r['eps']:g}", str(r["k_bound"]) + (" (vacuous)" if r["vacuous"] else ""),
                      str(r["k_exact"]), str(r["quantile"]), f"{r['failures']}",
                      f"[{r['cp95'][0]:.2g}, {r['cp95'][1]:.2g}]")
        con.print(t)
    if report["tail"]:
        t = Table(title="thm:error-whp (direct form): tau_k <= U_t / L with probability >= 1 - delta")
        for col in ("k", "bound", "mean tau_k", "max tau_k", "failures", "CP 95%"):
            t.add_column(col)
        for r in report["tail"]:
            t.add_row(str(r["k"]), f"{r['tau_bound']:.4g}", f"{r['mean']:.4g}", f"{r['max']:.4g}",
                      str(r["failures"]), f"[{r['cp95'][0]:.2g}, {r['cp95'][1]:.2g}]")
        con.print(t)


def cmd_simulate(args) -> int:
    """Run `natsparse simulate`; 0 on success."""
    report = _experiment(args)
    if not output.emit_json(args, report):
        _print(report)
    return 0


def add_parsers(subparsers) -> None:
    """Add the `simulate` subcommand to the CLI's subparsers."""
    s = subparsers.add_parser("simulate", help="Monte Carlo of the Gaussian model against its bounds",
                              description=__doc__.splitlines()[0])
    s.add_argument("--n", type=cc.integer(1), required=True, help="keys per row (an integer >= 1)")
    s.add_argument("--beta", type=cc.real(0, closed_lo=True), required=True,
                   help="score scale: scores ~ N(0, beta^2) (a real number >= 0)")
    s.add_argument("--eps", type=cc.real(0, 1), nargs="+", metavar="EPS",
                   help="weight thresholds for #{a_j > eps} (each in (0, 1))")
    s.add_argument("--k", type=cc.integer(1), nargs="+", metavar="K",
                   help="windows for the tail mass tau_k (each an integer in [1, n])")
    s.add_argument("--trials", type=cc.integer(1), default=10_000,
                   help="rows (an integer >= 1; default 10000)")
    s.add_argument("--delta", type=cc.real(0, 1), default=None,
                   help=f"failure probability of the bounds, in (0, 1) (default {DELTA_HELP_DEFAULT})")
    s.add_argument("--seed", type=cc.integer(0), default=0, help="seed of the random scores (default 0)")
    cc.add_json(s, "the report")
    cc.add_progress(s)
    s.set_defaults(func=cmd_simulate)
