"""`natsparse audit`: the mutation gates. Do the checks catch false variants of each formula, and does
every step of every kernel proof matter?

    natsparse audit [ID ...] [--deterministic | --gated | --all] [--json [PATH]] [--dependents]
    natsparse audit --steps [ID ...] [--json [PATH]]

With --steps, the step-sabotage gate (`natsparse.evidence.sabotage`) replays each kernel proof (all of
them, or the ids given) once per mutant of one of its steps (the step left out, a number or expression
it was given scaled by 2 or 1/2, a fact it combines left out) and reports per result the rule calls,
the steps, the mutants and how many were killed; exit 1 when one survives.

For each result, every mutant of its formula (constants scaled by 0.9 and 1.1, additive terms dropped,
delta doubled and halved for probabilistic results, relations flipped) is put in the registry in turn
and the result's evidence runs afresh; a mutant is killed when the status drops. SymPy classifies
each mutant as true (implied by the original: surviving it is right), false (a witness where the
original holds and it fails) or undecided. The kill table shows, per result, the mutants, the false
ones, how many of those were killed and survived, the true and the undecided ones; the surviving
false mutants are listed. With --dependents, each survivor is also put to the results that use the
mutated one, and the first whose status drops is named (information: the gate judges each result by
its own status). See `natsparse.evidence.mutation`.

Exit status: 1 when a false mutant of a gated result survives (the deterministic lemmas and theorems,
and the Gaussian results the proof kernel proves: `mutation.gated_ids()`): the gate; 0 otherwise; 2 on
bad input, in one line.

Building the parser imports nothing heavy; SymPy, the evidence and rich load when the command runs.
"""

from __future__ import annotations

from natsparse.cli import common as cc
from natsparse.cli import output
from natsparse.cli.results import get


def _ids(args) -> list[str]:
    """The ids to audit, from exactly one of: ids, --deterministic, --gated, --all."""
    from natsparse.evidence import mutation

    if sum((bool(args.ids), args.deterministic, args.gated, args.all)) != 1:
        raise cc.UsageError("audit: give result ids, --deterministic, --gated or --all (exactly one of them)")
    if args.deterministic:
        return mutation.deterministic_ids()
    if args.gated:
        return mutation.gated_ids()
    if args.all:
        return mutation.formula_ids()
    out = []
    for rid in args.ids:
        r = get(rid)
        if r.formula is None:
            raise cc.UsageError(f"audit: {rid} has no formula to mutate (it is only stated)")
        out.append(r.id)
    return out


def _print(report: dict) -> None:
    """The kill table, the surviving false mutants and the gate's verdict."""
    from rich.markup import escape
    from rich.table import Table

    con = cc.console()
    if not con.is_terminal:
        con.width = max(con.width, 140)   # a file or a pipe: keep the table's rows on one line each
    users = any("caught_by_dependents" in r for r in report["results"])
    t = Table(title=f"mutation gate: {len(report['results'])} results, {report['seconds']:.0f} s")
    cols = ("id", "status", "mutants", "false", "killed", "survived", "true", "undecided")
    for col in cols + (("survivors caught by users",) if users else ()):
        t.add_column(col, justify="left" if col in ("id", "status") else "right", overflow="fold")
    for r in report["results"]:
        survived = f"[bold red]{r['survived']}" if r["survived"] and r["gated"] else str(r["survived"])
        extra = (str(r.get("caught_by_dependents", "-")),) if users else ()
        t.add_row(r["id"] + ("" if r["gated"] else " (not gated)"), r["baseline"], str(r["mutants"]),
                  str(r["false"]), str(r["killed"]), survived, str(r["true"]), str(r["undecided"]), *extra)
    tot = report["totals"]
    extra = (str(sum(r.get("caught_by_dependents", 0) for r in report["results"])),) if users else ()
    t.add_row("[bold]total", "", *(f"[bold]{tot[k]}" for k in cols[2:]), *extra)
    con.print(t)
    for r in report["results"]:
        for label, key in (("survived (false)", "survivors"), ("killed although true", "true_killed"),
                           ("undecided, survived", "undecided_survived")):
            for line in r[key]:
                con.print(f"  {escape(r['id'])} {label}: {escape(line)}")
    gate = report["gate"]
    ungated = [r["id"] for r in report["results"] if not r["gated"]]
    if ungated:
        con.print(f"not gated (their kill rates are information, not a verdict): {', '.join(ungated)}")
    if not gate["gated"]:
        con.print("[yellow]no gated result among these: the gate neither passed nor failed")
    elif gate["passed"]:
        con.print(f"[green]gate passed: every false mutant of the {len(gate['gated'])} gated results "
                  "was killed")
    else:
        con.print(f"[bold red]gate failed: {len(gate['false_survivors'])} false mutants of gated results "
                  "survived")


def _print_steps(report: dict) -> None:
    """The step-sabotage table and its verdict."""
    from rich.markup import escape
    from rich.table import Table

    con = cc.console()
    t = Table(title=f"step-sabotage gate: {len(report['results'])} kernel proofs")
    for col in ("id", "rule calls", "steps", "mutants", "killed", "survived", "seconds"):
        t.add_column(col, justify="left" if col == "id" else "right", no_wrap=col == "id")
    for rid, r in report["results"].items():
        t.add_row(rid, str(r["calls"]), str(r["steps"]), str(r["mutants"]), str(r["killed"]),
                  str(len(r["survived"])), f"{r['seconds']:.1f}")
    con.print(t)
    for rid, r in report["results"].items():
        for line in r["survived"]:
            con.print(f"  {escape(rid)} survived: {escape(line)}")
    if report["passed"]:
        con.print("[green]gate passed: every step mutant of every kernel proof was killed")
    else:
        con.print("[bold red]gate failed: a step mutant survived (a step the proof does not need, or a rule "
                  "that does not check what it is given)")


def _steps(args) -> int:
    from natsparse.evidence import sabotage
    from natsparse.proofs.general import PROOFS

    if args.deterministic or args.gated or args.all:
        raise cc.UsageError("audit: --steps takes result ids (or none for every kernel proof), not "
                            "--deterministic, --gated or --all")
    unknown = [rid for rid in args.ids if rid not in PROOFS]
    if unknown:
        raise cc.UsageError(f"audit: --steps: {', '.join(unknown)} has no kernel proof (those with one: "
                            f"{', '.join(PROOFS)})")
    ids, results = args.ids or list(PROOFS), {}
    with cc.progress(cc.wants_progress(args)) as bar:
        task = bar.add_task("step mutants", total=len(ids))
        for rid in ids:
            bar.update(task, description=f"step mutants of {rid}")
            results |= sabotage.gate([rid])
            bar.advance(task)
    report = {"results": results, "passed": not any(r["survived"] for r in results.values())}
    if not output.emit_json(args, report):
        _print_steps(report)
    return 0 if report["passed"] else 1


def cmd_audit(args) -> int:
    """Run `natsparse audit`; 1 when the gate fails, else 0."""
    from natsparse.evidence import mutation

    if args.steps:
        return _steps(args)
    ids = _ids(args)
    report = mutation.run_gate(ids, progress=cc.wants_progress(args), with_dependents=args.dependents)
    if not output.emit_json(args, report):
        _print(report)
    return 0 if report["gate"]["passed"] else 1


def add_parsers(subparsers) -> None:
    """Add the `audit` subcommand to the CLI's subparsers."""
    s = subparsers.add_parser("audit", description=__doc__.splitlines()[0],
                              help="mutation gate: do the checks catch false variants of each formula?")
    s.add_argument("ids", nargs="*", help="result ids (or --deterministic, --gated or --all)")
    s.add_argument("--deterministic", action="store_true",
                   help="the deterministic lemmas and theorems with a formula")
    s.add_argument("--gated", action="store_true",
                   help="the gated results: the deterministic ones, the Gaussian bounds the kernel proves")
    s.add_argument("--all", action="store_true", help="every result with a formula")
    cc.add_json(s, "the report")
    s.add_argument("--steps", action="store_true",
                   help="the step-sabotage gate of the kernel proofs (every proof, or the ids given)")
    s.add_argument("--dependents", action="store_true",
                   help="also try each surviving mutant on the results that use it (information only)")
    cc.add_progress(s)
    s.set_defaults(func=cmd_audit)
