"""The `natsparse` command line: list, show, check and evaluate the results of the theory.

    natsparse list                      table of every result: id, status, provenance, scope
    natsparse show ID                   statement, hypotheses, bound (pretty and LaTeX), evidence
    natsparse check ID ... | --all      run the evidence; exit 1 if anything fails
    natsparse bound ID --n 10 --k 3 ... evaluate a bound (50 digits); `bound ID --help`: its parameters
    natsparse simulate --n 4096 ...     a seeded Monte Carlo experiment in the Gaussian model

Conventions (natsparse.cli_common): bad input prints one line `natsparse: error: ...` naming the
argument and the expected form, exit status 2; `--json` prints JSON to stdout instead of the tables,
`--json PATH` writes it to PATH; numbers in JSON are numbers. `bound --json` holds `values` (numbers,
17 significant digits) and `exact` (the same values as decimal strings with every digit computed,
`digits_computed` of them), each keyed by the quantity bounded (`tau`, or `tau [1]`, `tau [2]` when a
result bounds it twice; `relations` gives the relation of each key).

`list` and `show` read the outcomes of the evidence from an on-disk cache (`natsparse.evidence.cache`:
$NATSPARSE_CACHE_DIR, else the user cache folder), valid only for the exact source that computed
them; `--refresh` runs the evidence again. `check` always runs it afresh.

Startup is lazy: building the parser imports only argparse and the subcommand modules (themselves
light); each handler imports what it needs (SymPy, rich, the evidence, torch) when it runs.
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from natsparse import __version__, cli_audit, cli_condense, cli_real, cli_simulate
from natsparse import cli_common as cc
from natsparse.cli_common import UsageError

if TYPE_CHECKING:
    from rich.console import Console

#: digits `check` shows of its records by default (they are computed at 50)
CHECK_DIGITS = 8
#: digits `bound` shows by default (at most what the result computes)
BOUND_DIGITS = 20


def _styled(st: str) -> str:
    """A status in its colour of `natsparse.proofs.STATUS_TABLE`."""
    from natsparse.proofs import STATUS_TABLE

    return f"[{STATUS_TABLE[st].terminal}]{st}"


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
    st = _statuses(ids, quiet=args.json is not None, refresh=args.refresh)
    scopes = {rid: scope(rid, cache=True) for rid in ids}   # the runs are those `_statuses` made
    rows = [{"id": r, "kind": registry[r].kind, "provenance": list(registry[r].provenance),
             "status": st[r], "scope": scopes[r]} for r in ids]
    if cc.emit_json(args, rows):
        return 0
    table = Table(title=f"natsparse: {len(ids)} results")
    # the kind is the id's prefix (def, lem, thm, ...): left to the JSON, so the scope has room at 80 columns
    table.add_column("id", no_wrap=True, min_width=max(map(len, ids)))     # an id is never cut
    table.add_column("status", no_wrap=True, min_width=max(map(len, st.values())))
    table.add_column("provenance", min_width=len("provenance"))
    table.add_column("scope")
    for row in rows:
        table.add_row(row["id"], _styled(row["status"]), ", ".join(row["provenance"]), row["scope"])
    _console().print(table)
    return 0


def cmd_show(args) -> int:
    import sympy as sp
    from rich.markup import escape

    from natsparse.evidence import all_evidence, run, scope, status
    from natsparse.numeric import bounds

    r = _get(args.id)
    checked = status(r.id, cache=True, refresh=args.refresh)
    runs = [(ev, run(ev, cache=True)) for ev in all_evidence(r.id)]
    quantities = bounds.quantities(r.id) if r.formula is not None else []
    report = {"id": r.id, "kind": r.kind, "title": r.title, "statement": r.statement, "notes": r.notes,
              "provenance": list(r.provenance), "uses": list(r.uses),
              "hypotheses": [sp.sstr(h) for h in r.hypotheses],
              "relations": {key: text for key, text in quantities},
              "latex": r.latex_formula() if r.formula is not None else None, "book_latex": r.latex,
              "status": checked, "scope": scope(r.id, cache=True),
              "evidence": [{"level": ev.level, "tool": ev.tool, "domain": ev.domain,
                            "passed": done.outcome.passed, "detail": done.outcome.detail}
                           for ev, done in runs]}
    if cc.emit_json(args, report):
        return 0
    con = _console()
    con.print(f"[bold]{r.id}[/bold] ({r.kind}) — {escape(r.title)}")
    con.print(f"provenance: {', '.join(r.provenance)}   uses: {', '.join(r.uses) or '-'}")
    con.print(f"statement: {escape(r.statement)}")
    if r.notes:
        con.print(f"notes: {escape(r.notes)}")
    if r.hypotheses:
        con.print("hypotheses: " + escape("; ".join(report["hypotheses"])))
    if r.formula is None:
        con.print("formula: none yet (only stated)")
    else:
        for rel in r.relations():
            con.print(escape(sp.pretty(rel, use_unicode=True)))
        con.print(f"LaTeX: {escape(report['latex'])}")
    con.print(f"book LaTeX: {escape(r.latex)}")
    covered = report["scope"]
    con.print(f"status: {_styled(checked)}" + (f"  (scope: {escape(covered)})" if covered else ""))
    for ev, done in runs:
        mark = "[green]pass[/green]" if done.outcome.passed else "[red]FAIL[/red]"
        con.print(f"  {mark} {ev.level:9s} {ev.tool:12s} {escape(done.outcome.detail)}  "
                  f"[dim]({escape(ev.domain)})")
    return 0


def cmd_check(args) -> int:
    """Run the evidence afresh (`run(ev, refresh=True)`): never an outcome read from the cache."""
    if args.all == bool(args.ids):
        raise UsageError("check: give result ids or --all (not both)")
    from rich.markup import escape
    from rich.progress import Progress
    from rich.table import Table

    from natsparse.evidence import all_evidence, run
    from natsparse.numeric import CHECKS
    from natsparse.proofs import registry

    ids = list(registry) if args.all else [_get(i).id for i in args.ids]
    failed = False
    rows = []
    with Progress(transient=True, disable=args.json is not None) as progress:
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
    # the tightest records of the sampled panel, for the ids named (--all would run every panel)
    records = {} if args.all else {rid: _records(rid) for rid in ids if rid in CHECKS}
    report = {"passed": not failed, "evidence": rows,
              "records": {rid: [_record_row(r) for r in recs] for rid, recs in records.items()}}
    if cc.emit_json(args, report):
        return 1 if failed else 0
    con = _console()
    table = Table(title="evidence")
    table.add_column("id", no_wrap=True, min_width=max(map(len, ids)))
    for col in ("level", "tool", "verdict", "detail"):
        table.add_column(col, overflow="fold")
    for row in rows:
        verdict = "[green]pass" if row["passed"] else "[bold red]FAIL"
        table.add_row(row["id"], row["level"], row["tool"], verdict, escape(row["detail"]))
    con.print(table)
    for rid, recs in records.items():
        _print_records(con, rid, recs, args.digits)
    con.print("[bold red]some checks failed" if failed else "[green]all checks passed")
    return 1 if failed else 0


def _records(rid: str) -> list:
    """The 8 tightest records (smallest margin) of the sampled panel of `rid`."""
    from natsparse.evidence.deterministic import SAMPLE_SEED
    from natsparse.numeric.panel import edge_rows, random_rows, run_panel

    recs = run_panel(rid, edge_rows() + random_rows(8, SAMPLE_SEED), SAMPLE_SEED)
    recs.sort(key=lambda r: float(r.margin))
    return recs[:8]


def _record_row(r) -> dict:
    """A record for JSON: numbers as numbers, the arb verdict in words."""
    return {"relation": r.name, "n": r.params.get("n"), "bound": r.bound, "measured": r.measured,
            "margin": r.margin, "passed": r.passed,
            "certified": {True: "proved", False: "violated", None: "undecided"}[r.certified]}


def _print_records(con: Console, rid: str, recs: list, digits: int) -> None:
    """The tightest records, numbers never cut (each column as wide as its text); the relations, which
    can be long, are named R1, R2, ... in the table and written out above it."""
    from rich.markup import escape
    from rich.table import Table

    labels = {name: f"R{i + 1}" for i, name in enumerate(dict.fromkeys(r.name for r in recs))}
    rows = [(labels[r.name], str(r.params.get("n")), cc.number(r.bound, digits),
             cc.number(r.measured, digits), cc.number(r.margin, 3), "pass" if r.passed else "FAIL",
             {True: "proved", False: "violated", None: "-"}[r.certified]) for r in recs]
    con.print(f"{rid}: the {len(recs)} tightest records of its sampled panel")
    for name, label in labels.items():
        con.print(f"  {label}: {escape(name)}")
    table = Table()
    for index, col in enumerate(("relation", "n", "bound", "measured", "margin", "verdict", "arb")):
        table.add_column(col, no_wrap=True, min_width=max(len(col), *(len(row[index]) for row in rows)))
    for row in rows:
        table.add_row(*row)
    con.print(table)


def cmd_bound(args) -> int:
    """Evaluate `args.id`'s bound; its own parser (`bound ID --help`) lists the parameters."""
    from rich.markup import escape
    from rich.table import Table

    from natsparse.numeric import bounds

    r = _get(args.id)
    if r.kind == "axiom":
        raise UsageError(f"bound: {r.id} is an axiom (a cited fact the proof kernel assumes): it has no "
                         f"bound to evaluate (see natsparse show {r.id})")
    specs = bounds.parameter_specs(r.id) if r.formula is not None or bounds.has_function(r.id) else []
    if not specs:
        raise UsageError(f"bound: {r.id} has no bound to evaluate (it is only stated, or has no parameters)")
    computed = bounds.precision(r.id)
    parser = _bound_parser(r, specs, computed)
    opts = parser.parse_args(args.params)
    given = {p.name: _value(getattr(opts, p.name), p) for p in specs if getattr(opts, p.name) is not None}
    try:
        bounds.check_parameters(r.id, given, prefix="--")
    except ValueError as exc:
        raise UsageError(f"{exc} (see natsparse bound {r.id} --help)") from None
    values = bounds.evaluate(r.id, **given)
    relations = {}
    if not bounds.has_function(r.id):   # {relation text: value} -> {quantity: value}
        named = bounds.quantities(r.id)
        relations = dict(named)
        values = {key: values[text] for key, text in named}
    report = {"id": r.id, "parameters": given, "values": values,
              "exact": {key: _exact_text(v, computed) for key, v in values.items() if _is_mpf(v)},
              "digits_computed": computed, "relations": relations}
    if cc.emit_json(opts, report):
        return 0
    table = Table(title=f"{r.id} at " + ", ".join(f"{k}={v}" for k, v in given.items()))
    table.add_column("quantity", no_wrap=True)
    table.add_column(f"value ({computed} digits computed, {opts.digits} shown)", overflow="fold")
    if relations:
        table.add_column("relation", overflow="fold")
    for key, value in values.items():
        table.add_row(escape(key), cc.number(value, opts.digits),
                      *([escape(relations[key])] if relations else []))
    _console().print(table)
    return 0


def _bound_parser(r, specs, computed: int) -> cc.Parser:
    """The parser of `natsparse bound ID`: one option per parameter, with meaning and domain."""
    import sympy as sp

    hyps = "; ".join(sp.sstr(h) for h in r.hypotheses)
    p = cc.Parser(prog=f"natsparse bound {r.id}", allow_abbrev=False,
                  description=f"{r.title}. {r.statement}",
                  epilog=(f"Hypotheses (enforced): {hyps}. " if hyps else "")
                  + "Values: integers, or decimals read at 50 digits (1e-3, 2.5e30).")
    p.hint = (f"its parameters: {', '.join('--' + spec.name for spec in specs)}; "
              f"see natsparse bound {r.id} --help")
    group = p.add_argument_group("parameters of " + r.id)
    for spec in specs:
        group.add_argument(f"--{spec.name}", dest=spec.name, metavar="VALUE",
                           help=spec.describe().replace("%", "%%"))
    cc.add_json(p, "the values")
    cc.add_digits(p, min(BOUND_DIGITS, computed), computed)
    return p


def _value(raw: str, spec):
    """A parameter's text as a number: an int when it is integral for an integer parameter (1e30 is
    10**30 exactly), else an mpf at the working precision of the bounds; one line naming it if not."""
    import mpmath

    from natsparse.numeric import bounds

    try:
        exact = Decimal(raw)
    except InvalidOperation:
        exact = None
    if exact is None or not exact.is_finite():
        raise UsageError(f"--{spec.name} must be a finite number ({spec.domain}), got {raw!r}")
    if exact == exact.to_integral_value() and (spec.symbol is None or spec.symbol.is_integer or
                                               "e" not in raw.lower() and "." not in raw):
        return int(exact)
    with mpmath.workdps(bounds.DPS):
        return mpmath.mpf(raw)


def _is_mpf(x) -> bool:
    return type(x).__module__.startswith("mpmath") and hasattr(x, "_mpf_")


def _exact_text(x, digits: int) -> str:
    import mpmath

    return mpmath.nstr(x, digits, strip_zeros=False)


def _get(result_id: str):
    from natsparse.proofs import get

    try:
        return get(result_id)
    except KeyError as exc:
        raise UsageError(exc.args[0]) from None


def build_parser() -> cc.Parser:
    """The parser of every subcommand (imports nothing heavy)."""
    p = cc.Parser(prog="natsparse", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"natsparse {__version__}",
                   help="print the version and exit")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    refresh = "run the evidence again instead of reading outcomes cached for this source"
    s = sub.add_parser("list", help="every result with its computed status, provenance and scope",
                       description="Every result of the theory: id, status, provenance and scope "
                                   "(--json adds the kind).")
    cc.add_json(s, "the list")
    s.add_argument("--refresh", action="store_true", help=refresh)
    s.set_defaults(func=cmd_list)
    s = sub.add_parser("show", help="one result: statement, hypotheses, bound, evidence",
                       description="One result: statement, hypotheses, formula (pretty and LaTeX), "
                                   "status and the outcome of each piece of evidence.")
    s.add_argument("id", help="a result id, e.g. thm:output-error (natsparse list shows them)")
    s.add_argument("--refresh", action="store_true", help=refresh)
    cc.add_json(s, "the result")
    s.set_defaults(func=cmd_show)
    s = sub.add_parser("check", help="run the checks of some results (or --all)",
                       description="Run the evidence of some results afresh; exit 1 if anything fails.")
    s.add_argument("ids", nargs="*", help="result ids (or --all)")
    s.add_argument("--all", action="store_true", help="every result (the records table is left out)")
    cc.add_json(s, "the verdicts and the tightest records")
    cc.add_digits(s, CHECK_DIGITS, 50)
    s.set_defaults(func=cmd_check)
    s = sub.add_parser("bound", help="evaluate a bound: natsparse bound ID --param value ...",
                       description="Evaluate the bound of a result at given parameters (50 digits). "
                                   "`natsparse bound ID --help` lists that result's parameters, "
                                   "with their meaning and domain; --json and --digits N follow them.")
    s.add_argument("id", help="a result id with a bound, e.g. lem:gap-bound")
    s.add_argument("params", nargs=argparse.REMAINDER, metavar="--PARAM VALUE",
                   help="the parameters (see natsparse bound ID --help), then --json [PATH], --digits N")
    s.set_defaults(func=cmd_bound)
    cli_simulate.add_parsers(sub)
    cli_audit.add_parsers(sub)
    cli_real.add_parsers(sub)
    cli_condense.add_parsers(sub)
    return p


def _run(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 1 a check failed, 2 bad input in one line)."""
    return cc.main_guard(_run, argv)


__all__ = ["UsageError", "build_parser", "main"]

if __name__ == "__main__":
    sys.exit(main())
