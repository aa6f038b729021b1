"""The `natsparse` command line: list, show, check and evaluate the results of the theory.

    natsparse list                      table of every result: id, kind, provenance, status
    natsparse show ID                   statement, hypotheses, bound (pretty and LaTeX), evidence
    natsparse check ID ... | --all      run the evidence; exit 1 if anything fails
    natsparse bound ID --n 10 --k 3 ... evaluate a bound at 50 digits
    natsparse simulate --n 4096 ...     a seeded Monte Carlo experiment in the Gaussian model

Bad input prints one line `natsparse: error: ...` and exits with status 2.

`list` and `show` read the outcomes of the evidence from an on-disk cache (`natsparse.evidence.cache`:
$NATSPARSE_CACHE_DIR, else the user cache folder), valid only for the exact source that computed
them; `--refresh` runs the evidence again. `check` always runs it afresh.

Startup is lazy: building the parser imports only argparse and the subcommand modules (themselves
light); each handler imports what it needs (SymPy, rich, the evidence, torch) when it runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from natsparse import cli_audit, cli_condense, cli_real, cli_simulate

if TYPE_CHECKING:
    from rich.console import Console


def _styled(st: str) -> str:
    """A status in its colour of `natsparse.proofs.STATUS_TABLE`."""
    from natsparse.proofs import STATUS_TABLE

    return f"[{STATUS_TABLE[st].terminal}]{st}"


class UsageError(Exception):
    """Bad input on the command line: printed in one line, exit status 2."""


def _console() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def _statuses(ids: list[str], quiet: bool, refresh: bool) -> dict[str, str]:
    """Status of each id, from cached outcomes or running its evidence (with a progress bar)."""
    from rich.progress import Progress

    from natsparse.evidence import status

    out = {}
    with Progress(transient=True, disable=quiet) as progress:
        task = progress.add_task("running evidence", total=len(ids))
        for rid in ids:
            progress.update(task, description=f"checking {rid}")
            out[rid] = status(rid, cache=True, refresh=refresh)
            progress.advance(task)
    return out


def cmd_list(args) -> int:
    from rich.table import Table

    from natsparse.evidence import scope
    from natsparse.proofs import registry

    ids = list(registry)
    st = _statuses(ids, quiet=args.json, refresh=args.refresh)
    scopes = {rid: scope(rid, cache=True) for rid in ids}   # the runs are those `_statuses` made
    if args.json:
        print(json.dumps([{"id": r, "kind": registry[r].kind, "provenance": registry[r].provenance,
                           "status": st[r], "scope": scopes[r]} for r in ids], indent=1))
        return 0
    table = Table(title=f"natsparse: {len(ids)} results")
    for col in ("id", "kind", "provenance", "status", "scope"):
        table.add_column(col, overflow="fold")
    for rid in ids:
        r = registry[rid]
        table.add_row(rid, r.kind, ", ".join(r.provenance), _styled(st[rid]), scopes[rid])
    _console().print(table)
    return 0


def cmd_show(args) -> int:
    import sympy as sp
    from rich.markup import escape

    from natsparse.evidence import all_evidence, run, scope, status

    r = _get(args.id)
    con = _console()
    con.print(f"[bold]{r.id}[/bold] ({r.kind}) — {r.title}")
    con.print(f"provenance: {', '.join(r.provenance)}   uses: {', '.join(r.uses) or '-'}")
    con.print(f"statement: {escape(r.statement)}")
    if r.notes:
        con.print(f"notes: {escape(r.notes)}")
    if r.hypotheses:
        con.print("hypotheses: " + "; ".join(sp.sstr(h) for h in r.hypotheses))
    if r.formula is None:
        con.print("formula: none yet (only stated)")
    else:
        for rel in r.relations():
            con.print(sp.pretty(rel, use_unicode=True))
        con.print(f"LaTeX: {escape(sp.latex(r.formula))}")
    con.print(f"book LaTeX: {escape(r.latex)}")
    checked = status(r.id, cache=True, refresh=args.refresh)
    covered = scope(r.id, cache=True)
    con.print(f"status: {_styled(checked)}" + (f"  (scope: {covered})" if covered else ""))
    for ev in all_evidence(r.id):
        done = run(ev, cache=True)
        mark = "[green]pass[/green]" if done.outcome.passed else "[red]FAIL[/red]"
        con.print(f"  {mark} {ev.level:9s} {ev.tool:12s} {escape(done.outcome.detail)}  "
                  f"[dim]({escape(ev.domain)})")
    return 0


def cmd_check(args) -> int:
    """Run the evidence afresh (`run(ev, refresh=True)`): never an outcome read from the cache."""
    if args.all == bool(args.ids):
        raise UsageError("give result ids or --all (not both)")
    from rich.progress import Progress
    from rich.table import Table

    from natsparse.evidence import all_evidence, run
    from natsparse.proofs import registry

    ids = list(registry) if args.all else [_get(i).id for i in args.ids]
    con = _console()
    failed = False
    rows = []
    with Progress(transient=True, disable=args.json) as progress:
        task = progress.add_task("checking", total=len(ids))
        for rid in ids:
            progress.update(task, description=f"checking {rid}")
            for ev in all_evidence(rid):
                done = run(ev, refresh=True)
                failed |= not done.outcome.passed
                rows.append({"id": rid, "level": ev.level, "tool": ev.tool, "domain": ev.domain,
                             "passed": done.outcome.passed, "detail": done.outcome.detail,
                             "seconds": round(done.seconds, 3)})
            progress.advance(task)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 1 if failed else 0
    table = Table(title="evidence")
    for col in ("id", "level", "tool", "verdict", "detail"):
        table.add_column(col, overflow="fold")
    for row in rows:
        verdict = "[green]pass" if row["passed"] else "[bold red]FAIL"
        table.add_row(row["id"], row["level"], row["tool"], verdict, row["detail"])
    con.print(table)
    if not args.all:
        from natsparse.numeric import CHECKS

        for rid in ids:
            if rid in CHECKS:
                _print_records(con, rid)
    con.print("[bold red]some checks failed" if failed else "[green]all checks passed")
    return 1 if failed else 0


def _print_records(con: Console, rid: str) -> None:
    """The tightest records of the sampled panel: bound, measured, margin, verdict."""
    import mpmath
    from rich.table import Table

    from natsparse.evidence.deterministic import SAMPLE_SEED
    from natsparse.numeric.panel import edge_rows, random_rows, run_panel

    recs = run_panel(rid, edge_rows() + random_rows(8, SAMPLE_SEED), SAMPLE_SEED)
    recs.sort(key=lambda r: float(r.margin))
    table = Table(title=f"{rid}: the {min(8, len(recs))} tightest of {len(recs)} records")
    for col in ("relation", "n", "bound", "measured", "margin", "verdict", "arb"):
        table.add_column(col)
    for r in recs[:8]:
        table.add_row(r.name, str(r.params.get("n")), mpmath.nstr(r.bound, 8),
                      mpmath.nstr(r.measured, 8), mpmath.nstr(r.margin, 3),
                      "pass" if r.passed else "FAIL",
                      {True: "proved", False: "violated", None: "-"}[r.certified])
    con.print(table)


def cmd_bound(args) -> int:
    import mpmath
    from rich.table import Table

    from natsparse.numeric import bounds

    r = _get(args.id)
    if "--json" in args.params:  # REMAINDER keeps flags that follow the parameters
        args.params = [t for t in args.params if t != "--json"]
        args.json = True
    params = _parse_params(args.params)
    values = bounds.evaluate(r.id, **params)
    if args.json:
        print(json.dumps({k: mpmath.nstr(v, 30) if isinstance(v, mpmath.mpf) else v
                          for k, v in values.items()}, indent=1, default=str))
        return 0
    table = Table(title=f"{r.id} at " + ", ".join(f"{k}={v}" for k, v in params.items()))
    table.add_column("bound")
    table.add_column("value (50 digits, 20 shown)")
    for name, value in values.items():
        table.add_row(name, mpmath.nstr(value, 20) if isinstance(value, mpmath.mpf) else str(value))
    _console().print(table)
    return 0


def _parse_params(tokens: list[str]) -> dict[str, object]:
    """`--name value` pairs into a dict; values parsed as int, then as a decimal mpf."""
    import mpmath

    from natsparse.numeric import bounds

    if len(tokens) % 2 or not all(t.startswith("--") for t in tokens[::2]):
        raise UsageError(f"parameters must be --name value pairs, got {' '.join(tokens)!r}")
    out: dict[str, object] = {}
    for name, raw in zip(tokens[::2], tokens[1::2], strict=True):
        try:
            value: object = int(raw)
        except ValueError:
            try:
                with mpmath.workdps(bounds.DPS):
                    value = mpmath.mpf(raw)
            except ValueError:
                raise UsageError(f"{name} must be a number, got {raw!r}") from None
        out[name[2:]] = value
    return out


def _get(result_id: str):
    from natsparse.proofs import get

    try:
        return get(result_id)
    except KeyError as exc:
        raise UsageError(exc.args[0]) from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="natsparse", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    refresh = "run the evidence again instead of reading outcomes cached for this source"
    s = sub.add_parser("list", help="every result with kind, provenance and computed status")
    s.add_argument("--json", action="store_true")
    s.add_argument("--refresh", action="store_true", help=refresh)
    s.set_defaults(func=cmd_list)
    s = sub.add_parser("show", help="one result: statement, hypotheses, bound, evidence")
    s.add_argument("id")
    s.add_argument("--refresh", action="store_true", help=refresh)
    s.set_defaults(func=cmd_show)
    s = sub.add_parser("check", help="run the checks of some results (or --all)")
    s.add_argument("ids", nargs="*")
    s.add_argument("--all", action="store_true")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_check)
    s = sub.add_parser("bound", help="evaluate a bound: natsparse bound ID --param value ...")
    s.add_argument("id")
    s.add_argument("--json", action="store_true")
    s.add_argument("params", nargs=argparse.REMAINDER)
    s.set_defaults(func=cmd_bound)
    cli_simulate.add_parsers(sub)
    cli_audit.add_parsers(sub)
    cli_real.add_parsers(sub)
    cli_condense.add_parsers(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 1 a check failed, 2 bad input)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return args.func(args)
    except (UsageError, ValueError, TypeError) as exc:
        print(f"natsparse: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
