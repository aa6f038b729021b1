"""`natsparse bound ID --param value ...`: a result's bound evaluated at given parameters (50 digits).

Each result gets its own parser (`natsparse bound ID --help`): one option per parameter, with its
meaning, domain and default; the required ones are marked so. A parameter whose registry name is not
a shell word (`a[l]`, `1_S(l)`, `|W|_op`) is offered under a typeable name (`--a_l`, `--1_S_l`,
`--norm_W_op`; `option_name`). A result whose formula sums over a vector (`def:attention`: s[i] for
i = 1..n) is not offered: the command line takes numbers, not vectors.

The JSON report: `parameters` (every parameter, defaults included, an integer parameter as an
integer), `values` (numbers, 17 significant digits) and `exact` (the same values as decimal strings
with every digit computed, `digits_computed` of them), keyed by the quantity (`output.keys`);
`relations` gives the relation of each key when the bound is a formula.
"""

from __future__ import annotations

import argparse
from decimal import Decimal, InvalidOperation

from natsparse.cli import common as cc
from natsparse.cli import output
from natsparse.cli.results import get, relations

#: digits `bound` shows by default (at most what the result computes)
BOUND_DIGITS = 20


def option_name(name: str) -> str:
    """The option of a parameter: its name, made a shell word when it is not one.

    >>> [option_name(x) for x in ("eps", "a[l]", "1_S(l)", "|W^Tx|", "|W|_op")]
    ['eps', 'a_l', '1_S_l', 'norm_W_Tx', 'norm_W_op']
    """
    parts = name.split("|")
    if len(parts) > 1:              # |x| is a norm
        name = "".join(f"norm_{p}" if i % 2 else p for i, p in enumerate(parts))
    return output.key(name)


def vectors(r) -> list[str]:
    """The inputs of `r`'s formula indexed by the variable of a sum or product over them: vectors.

    >>> from natsparse.proofs import get
    >>> vectors(get("def:tail-mass")), vectors(get("lem:loss-gradient"))
    (['1_S(j)', 'a[j]'], [])
    """
    import sympy as sp

    from natsparse.numeric.bounds import leaves

    out = set()
    for rel in r.relations():
        for op in rel.atoms(sp.Sum, sp.Product):
            running = {limit[0] for limit in op.limits}
            out |= {str(x) for x in leaves(op.function)
                    if running & set(x.indices if isinstance(x, sp.Indexed) else x.args)}
    return sorted(out)


def specs_of(r) -> list:
    """The parameters of `r`'s bound (`numeric.bounds.parameter_specs`); bad input when it has none that
    the command line can take."""
    from natsparse.numeric import bounds

    if r.kind == "axiom":
        raise cc.UsageError(f"bound: {r.id} is an axiom (a cited fact the proof kernel assumes): it has no "
                            f"bound to evaluate (see natsparse show {r.id})")
    specs = bounds.parameter_specs(r.id) if r.formula is not None or bounds.has_function(r.id) else []
    if not specs:
        raise cc.UsageError(f"bound: {r.id} has no bound to evaluate (it is only stated, or has no "
                            "parameters)")
    if not bounds.has_function(r.id) and vectors(r):
        raise cc.UsageError(f"bound: {r.id} sums over vectors ({', '.join(vectors(r))}), which the command "
                            f"line does not take: only results with numbers for parameters are evaluated "
                            f"(see natsparse show {r.id})")
    return specs


def bound_parser(r, specs, computed: int) -> cc.Parser:
    """The parser of `natsparse bound ID`: one option per parameter, with meaning and domain."""
    import sympy as sp

    hyps = "; ".join(sp.sstr(h) for h in r.hypotheses)
    p = cc.Parser(prog=f"natsparse bound {r.id}", allow_abbrev=False,
                  description=f"{r.title}. {r.statement}",
                  epilog=(f"Hypotheses (enforced): {hyps}. " if hyps else "")
                  + "Values: integers, or decimals read at 50 digits (1e-3, 2.5e30).")
    p.hint = (f"its parameters: {', '.join('--' + option_name(s.name) for s in specs)}; "
              f"see natsparse bound {r.id} --help")
    group = p.add_argument_group("parameters of " + r.id)
    for spec in specs:
        option = option_name(spec.name)
        alias = "" if option == spec.name else f"{spec.name}: "
        group.add_argument(f"--{option}", dest=spec.name, metavar="VALUE",
                           required=not spec.optional and spec.default is None,
                           help=(alias + spec.describe()).replace("%", "%%"))
    cc.add_json(p, "the values")
    cc.add_digits(p, min(BOUND_DIGITS, computed), computed)
    return p


def exact(raw: str, spec, float64: bool) -> int | Decimal:
    """A parameter's text as an exact number: an int for an integer parameter (1e30 is 10**30 exactly),
    else a Decimal. With `float64` (a bound computed by a registered function, which reads a number in
    (0, 1) as a float64), such a number must not round to 0 or 1 there."""
    option = "--" + option_name(spec.name)
    try:
        exact = Decimal(raw)
    except InvalidOperation:
        exact = None
    if exact is None or not exact.is_finite():
        raise cc.UsageError(f"{option} must be a finite number ({spec.domain}), got {raw!r}")
    if float64 and "in (0, 1)" in spec.domain and 0 < exact < 1 and float(exact) in (0.0, 1.0):
        how = "underflows to 0 in float64 (smallest positive 5e-324)" if float(exact) == 0 else \
            "rounds to 1 in float64"
        raise cc.UsageError(f"{option} = {raw} is in (0, 1) but {how}, the precision in which this bound "
                            "takes it")
    if spec.symbol is not None and spec.symbol.is_integer:
        if exact != exact.to_integral_value():
            raise cc.UsageError(f"{option} must be an integer, got {raw}")
        return int(exact)
    return exact


def cmd_bound(args) -> int:
    """Evaluate `args.id`'s bound; its own parser (`bound ID --help`) lists the parameters."""
    import mpmath
    from rich.markup import escape
    from rich.table import Table

    from natsparse.numeric import bounds

    r = get(args.id)
    specs = specs_of(r)
    computed, function = bounds.precision(r.id), bounds.has_function(r.id)
    opts = bound_parser(r, specs, computed).parse_args(args.params)
    typed = {s.name: exact(getattr(opts, s.name), s, function) for s in specs
             if getattr(opts, s.name) is not None}
    _check(r.id, typed, specs)
    with mpmath.workdps(bounds.DPS):
        given = {name: v if isinstance(v, int) else mpmath.mpf(str(v)) for name, v in typed.items()}
    values = _evaluate(r.id, given, specs)
    rels = {}
    if function:
        values = dict(zip(output.keys(list(values)), values.values(), strict=True))
    else:                                   # {relation text: value} -> {key: value}
        rels = relations(r)
        values = {k: values[text] for k, text in rels.items()}
    report = {"id": r.id, "parameters": {option_name(s.name): given.get(s.name, s.default) for s in specs},
              "values": values, "exact": {k: _exact_text(v, computed) for k, v in values.items()
                                          if _is_mpf(v)},
              "digits_computed": computed, "relations": rels}
    if output.emit_json(opts, report):
        return 0
    table = Table(title=f"{r.id} at " + ", ".join(f"{k}={output.number(v, 20)}"
                                                  for k, v in report["parameters"].items() if v is not None))
    table.add_column("quantity", no_wrap=True)
    table.add_column(f"value ({computed} digits computed, {opts.digits} shown)", overflow="fold")
    if rels:
        table.add_column("relation", overflow="fold")
    for k, v in values.items():
        table.add_row(escape(k), output.number(v, opts.digits), *([escape(rels[k])] if rels else []))
    cc.console().print(table)
    return 0


def _check(result_id: str, typed: dict, specs) -> None:
    """`numeric.bounds.check_parameters` on the exact values (decimals as text): each parameter's
    domain and every hypothesis decidable at them, failures naming the option."""
    from natsparse.numeric import bounds

    try:
        bounds.check_parameters(result_id, {k: v if isinstance(v, int) else str(v) for k, v in typed.items()},
                                prefix="--")
    except ValueError as exc:
        message = str(exc)
        for s in specs:
            message = message.replace(f"--{s.name} ", f"--{option_name(s.name)} ")
        raise cc.UsageError(f"{message} (see natsparse bound {result_id} --help)") from None


def _evaluate(result_id: str, given: dict, specs) -> dict:
    """`numeric.bounds.evaluate`, whose ValueError names a bad parameter (DESIGN.md, "Errors and inputs":
    here, a check of the function computing it beyond `_check`'s, such as k <= n): bad input, with the
    parameter written as its option."""
    from natsparse.numeric import bounds

    try:
        return bounds.evaluate(result_id, **given)
    except ValueError as exc:
        message = str(exc)
        for s in specs:
            if message.startswith((f"{s.name} ", f"{s.name}=")):
                message = f"--{option_name(s.name)}{message[len(s.name):]}"
        raise cc.UsageError(f"{message} (see natsparse bound {result_id} --help)") from None


def _is_mpf(x) -> bool:
    return type(x).__module__.startswith("mpmath") and hasattr(x, "_mpf_")


def _exact_text(x, digits: int) -> str:
    import mpmath

    return mpmath.nstr(x, digits, strip_zeros=False)


def add_parsers(subparsers) -> None:
    """Add `bound` to the CLI's subparsers (the parameters are parsed by `bound_parser`)."""
    s = subparsers.add_parser("bound", help="evaluate a bound: natsparse bound ID --param value ...",
                              description="Evaluate the bound of a result at given parameters (50 digits). "
                                          "`natsparse bound ID --help` lists that result's parameters, "
                                          "with their meaning and domain; --json and --digits N follow "
                                          "them. Results whose formula sums over vectors (def:attention, "
                                          "def:tail-mass, ...) are not offered: the parameters are numbers.")
    s.add_argument("id", help="a result id with a bound, e.g. lem:gap-bound")
    s.add_argument("params", nargs=argparse.REMAINDER, metavar="--PARAM VALUE",
                   help="the parameters (see natsparse bound ID --help), then --json [PATH], --digits N")
    s.set_defaults(func=cmd_bound)
