"""`natsparse list | show | check`: the results of the theory, their evidence and computed status.

`list` and `show` read the outcomes of the evidence from an on-disk cache (`natsparse.evidence.cache`:
$NATSPARSE_CACHE_DIR, else the user cache folder), valid only for the exact source that computed
them; `--refresh` runs the evidence again. `check` always runs it afresh. Running the evidence shows
a progress bar on stderr, one step per piece of evidence (`natsparse.cli.common.wants_progress`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from natsparse.cli import common as cc
from natsparse.cli import output

if TYPE_CHECKING:
    from rich.console import Console

#: digits `check` shows of its records by default (they are computed at 50)
CHECK_DIGITS = 8


def styled(st: str) -> str:
    """A status in its colour of `natsparse.proofs.STATUS_TABLE`."""
    from natsparse.proofs import STATUS_TABLE

    return f"[{STATUS_TABLE[st].terminal}]{st}"


def get(result_id: str):
    """The registry's result of that id; an unknown id is bad input."""
    from natsparse.proofs import get as lookup

    try:
        return lookup(result_id)
    except KeyError as exc:
        raise cc.UsageError(exc.args[0]) from None


def run_evidence(ids: list[str], args, *, fresh: bool) -> dict[str, list]:
    """{id: [(evidence, its run)]}: each piece run once (from the cache unless `fresh` or --refresh),
    with a progress bar per piece."""
    with cc.progress(cc.wants_progress(args)) as bar:
        task = bar.add_task("loading the evidence", total=None)
        from natsparse.evidence import all_evidence, run

        pieces = [(rid, ev) for rid in ids for ev in all_evidence(rid)]
        bar.update(task, total=len(pieces))
        out: dict[str, list] = {rid: [] for rid in ids}
        for rid, ev in pieces:
            bar.update(task, description=f"{rid} ({ev.tool})")
            done = run(ev, refresh=True) if fresh else run(ev, cache=True, refresh=args.refresh)
            out[rid].append((ev, done))
            bar.advance(task)
    return out


def cmd_list(args) -> int:
    from rich.table import Table

    from natsparse.evidence import scope, status
    from natsparse.proofs import registry

    ids = list(registry)
    run_evidence(ids, args, fresh=False)
    st = {rid: status(rid, cache=True, refresh=args.refresh) for rid in ids}  # the runs just made
    rows = [{"id": r, "kind": registry[r].kind, "provenance": list(registry[r].provenance),
             "status": st[r], "scope": scope(r, cache=True)} for r in ids]
    if output.emit_json(args, rows):
        return 0
    table = Table(title=f"natsparse: {len(ids)} results")
    # the kind is the id's prefix (def, lem, thm, ...): left to the JSON, so the scope has room at 80 columns
    table.add_column("id", no_wrap=True, min_width=max(map(len, ids)))     # an id is never cut
    table.add_column("status", no_wrap=True, min_width=max(map(len, st.values())))
    table.add_column("provenance", min_width=len("provenance"))
    table.add_column("scope")
    for row in rows:
        table.add_row(row["id"], styled(row["status"]), ", ".join(row["provenance"]), row["scope"])
    cc.console().print(table)
    return 0


def relations(r) -> dict[str, str]:
    """{key: relation text} of a result's formula, keyed by its left-hand sides (`output.keys`)."""
    import sympy as sp

    rels = r.relations() if r.formula is not None else []
    return dict(zip(output.keys([sp.sstr(getattr(rel, "lhs", rel)) for rel in rels]),
                    (sp.sstr(rel) for rel in rels), strict=True))


def cmd_show(args) -> int:
    import sympy as sp
    from rich.markup import escape

    from natsparse.evidence import scope, status

    r = get(args.id)
    runs = run_evidence([r.id], args, fresh=False)[r.id]
    checked = status(r.id, cache=True, refresh=args.refresh)
    report = {"id": r.id, "kind": r.kind, "title": r.title, "statement": r.statement, "notes": r.notes,
              "provenance": list(r.provenance), "uses": list(r.uses),
              "hypotheses": [sp.sstr(h) for h in r.hypotheses],
              "failure": None if r.failure is None else sp.sstr(r.failure),
              "assumed": [{"relation": sp.sstr(rel), "failure": sp.sstr(p)} for rel, p in r.assumed],
              "relations": relations(r),
              "latex": r.latex_formula() if r.formula is not None else None, "book_latex": r.latex,
              "status": checked, "scope": scope(r.id, cache=True),
              "evidence": [{"level": ev.level, "tool": ev.tool, "domain": ev.domain,
                            "passed": done.outcome.passed, "detail": done.outcome.detail}
                           for ev, done in runs]}
    if output.emit_json(args, report):
        return 0
    con = cc.console()
    con.print(f"[bold]{r.id}[/bold] ({r.kind}) — {escape(r.title)}")
    con.print(f"provenance: {', '.join(r.provenance)}   uses: {', '.join(r.uses) or '-'}")
    con.print(f"statement: {escape(r.statement)}")
    if r.notes:
        con.print(f"notes: {escape(r.notes)}")
    if r.hypotheses:
        con.print("hypotheses: " + escape("; ".join(report["hypotheses"])))
    if r.assumed:
        con.print("assumed, with high probability: " + escape("; ".join(
            f"{a['relation']} (fails with probability <= {a['failure']})" for a in report["assumed"])))
    if r.failure is not None:
        con.print(f"each relation holds with probability >= 1 - {escape(report['failure'])}")
    if r.formula is None:
        con.print("formula: none yet (only stated)")
    else:
        for rel in r.relations():
            con.print(escape(sp.pretty(rel, use_unicode=True)))
        con.print(f"LaTeX: {escape(report['latex'])}")
    con.print(f"book LaTeX: {escape(r.latex)}")
    covered = report["scope"]
    con.print(f"status: {styled(checked)}" + (f"  (scope: {escape(covered)})" if covered else ""))
    for ev, done in runs:
        mark = "[green]pass[/green]" if done.outcome.passed else "[red]FAIL[/red]"
        con.print(f"  {mark} {ev.level:9s} {ev.tool:12s} {escape(done.outcome.detail)}  "
                  f"[dim]({escape(ev.domain)})")
    return 0


def cmd_check(args) -> int:
    """Run the evidence afresh (`run(ev, refresh=True)`): never an outcome read from the cache."""
    if args.all == bool(args.ids):
        raise cc.UsageError("check: give result ids or --all (not both)")
    from rich.markup import escape
    from rich.table import Table

    from natsparse.numeric import CHECKS
    from natsparse.proofs import registry

    ids = list(registry) if args.all else [get(i).id for i in args.ids]
    rows = [{"id": rid, "level": ev.level, "tool": ev.tool, "domain": ev.domain,
             "passed": done.outcome.passed, "detail": done.outcome.detail, "seconds": round(done.seconds, 3)}
            for rid, runs in run_evidence(ids, args, fresh=True).items() for ev, done in runs]
    failed = not all(row["passed"] for row in rows)
    # the tightest records of the sampled panel, for the ids named (--all would run every panel)
    records = {} if args.all else {rid: _records(rid) for rid in ids if rid in CHECKS}
    report = {"passed": not failed, "evidence": rows,
              "records": {rid: [_record_row(r) for r in recs] for rid, recs in records.items()}}
    if output.emit_json(args, report):
        return 1 if failed else 0
    con = cc.console()
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
    """A record for JSON: numbers as numbers, `certified` the arb verdict (null: undecided)."""
    n = r.params.get("n")
    return {"relation": r.name, "n": None if n is None else int(n), "bound": r.bound,
            "measured": r.measured, "margin": r.margin, "passed": bool(r.passed),
            "certified": None if r.certified is None else bool(r.certified)}


def _print_records(con: Console, rid: str, recs: list, digits: int) -> None:
    """The tightest records, numbers never cut (each column as wide as its text); the relations, which
    can be long, are named R1, R2, ... in the table and written out above it."""
    from rich.markup import escape
    from rich.table import Table

    labels = {name: f"R{i + 1}" for i, name in enumerate(dict.fromkeys(r.name for r in recs))}
    rows = [(labels[r.name], str(r.params.get("n")), output.number(r.bound, digits),
             output.number(r.measured, digits), output.number(r.margin, 3), "pass" if r.passed else "FAIL",
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


def add_parsers(subparsers) -> None:
    """Add `list`, `show` and `check` to the CLI's subparsers."""
    refresh = "run the evidence again instead of reading outcomes cached for this source"
    s = subparsers.add_parser("list", help="every result with its computed status, provenance and scope",
                              description="Every result of the theory: id, status, provenance and scope "
                                          "(--json adds the kind).")
    cc.add_json(s, "the list")
    s.add_argument("--refresh", action="store_true", help=refresh)
    s.set_defaults(func=cmd_list)
    s = subparsers.add_parser("show", help="one result: statement, hypotheses, bound, evidence",
                              description="One result: statement, hypotheses, formula (pretty and LaTeX), "
                                          "status and the outcome of each piece of evidence.")
    s.add_argument("id", help="a result id, e.g. thm:output-error (natsparse list shows them)")
    s.add_argument("--refresh", action="store_true", help=refresh)
    cc.add_json(s, "the result")
    s.set_defaults(func=cmd_show)
    s = subparsers.add_parser("check", help="run the checks of some results (or --all)",
                              description="Run the evidence of some results afresh; exit 1 if anything "
                                          "fails.")
    s.add_argument("ids", nargs="*", help="result ids (or --all)")
    s.add_argument("--all", action="store_true", help="every result (the records table is left out)")
    cc.add_json(s, "the verdicts and the tightest records")
    cc.add_digits(s, CHECK_DIGITS, 50)
    s.set_defaults(func=cmd_check)
