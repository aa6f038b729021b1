"""What the CLI writes: `--json` reports, the keys that name quantities, numbers for the tables.

JSON. `--json` prints the report to stdout instead of the tables; `--json PATH` writes it to PATH
(the tables are still printed). Each subcommand's report follows its schema (natsparse/cli/schemas).
Numbers are JSON numbers: an integer as an integer, an mpmath value with 17 significant digits (also
outside float64's range, e.g. `3.4e-4343`: read it with `json.loads(text, parse_float=decimal.Decimal)`
to keep it), an arb ball as `{"mid": number, "radius": number}` with its true radius, nan and
infinities as null, a yes/no as true/false. A key that names a quantity follows one rule (`key`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from natsparse.cli.common import UsageError

#: significant digits of a number written into JSON (float64 round-trips at 17)
JSON_DIGITS = 17


def key(text: str) -> str:
    """The JSON key of a quantity: its text with each run of characters other than letters, digits
    and `_` made one `_`.

    >>> key("tau"), key("D_SH*tau"), key("tau[16]"), key("count[a>0.01]"), key("E[e^s 1{s>t}]")
    ('tau', 'D_SH_tau', 'tau_16', 'count_a_0_01', 'E_e_s_1_s_t')
    """
    out, gap = [], False
    for ch in text:
        if ch.isascii() and (ch.isalnum() or ch == "_"):
            out.append(("_" if gap and out else "") + ch)
            gap = False
        else:
            gap = True
    return "".join(out)


def keys(texts: list[str]) -> list[str]:
    """`key` of each text; a key that repeats is numbered `_1`, `_2`, ... in order.

    >>> keys(["tau", "err", "tau"])
    ['tau_1', 'err', 'tau_2']
    """
    base = [key(t) for t in texts]
    return [f"{b}_{base[:i + 1].count(b)}" if base.count(b) > 1 else b for i, b in enumerate(base)]


def emit_json(args, report) -> bool:
    """Write `report` as `--json` asks (stdout or PATH); True when it was printed to stdout, so
    the caller prints nothing else."""
    target = getattr(args, "json", None)
    if target is None:
        return False
    text = dumps(report)
    if target == "-":
        print(text)
        return True
    try:
        Path(target).write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--json: cannot write {target!r} ({exc.strerror})") from None
    return False


def dumps(report, pad: str = "") -> str:
    """`report` as JSON text, indented by one space per level, numbers as numbers (see above).

    >>> import mpmath
    >>> with mpmath.workdps(50):
    ...     text = dumps({"tau": mpmath.mpf("3.4e-4343"), "k": 3, "x": float("nan"), "ok": True})
    >>> text.split()
    ['{', '"tau":', '3.4e-4343,', '"k":', '3,', '"x":', 'null,', '"ok":', 'true', '}']
    """
    if type(report).__module__.startswith("flint") and hasattr(report, "rad"):
        report = {"mid": _arb_mpf(report.mid()), "radius": _arb_mpf(report.rad())}
    inner = pad + " "
    if isinstance(report, dict):
        items = [f"{inner}{json.dumps(str(k))}: {dumps(v, inner)}" for k, v in report.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}" if items else "{}"
    if isinstance(report, list | tuple):
        items = [inner + dumps(v, inner) for v in report]
        return "[\n" + ",\n".join(items) + f"\n{pad}]" if items else "[]"
    return _scalar(report)


def _scalar(x) -> str:
    """One JSON value: null, true/false, an integer, a number literal or a string."""
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        return repr(x) if math.isfinite(x) else "null"
    if isinstance(x, str | Path):
        return json.dumps(str(x))
    kind = type(x).__module__.split(".")[0]
    if kind == "mpmath" and hasattr(x, "_mpf_"):
        import mpmath
        return mpmath.nstr(x, JSON_DIGITS) if mpmath.isfinite(x) else "null"
    if kind in ("numpy", "torch") and hasattr(x, "item"):
        return _scalar(x.item())
    if kind == "sympy":
        if getattr(x, "is_Boolean", False):
            return _scalar(bool(x))
        if getattr(x, "is_Integer", False):
            return str(int(x))
        if getattr(x, "is_number", False):
            import mpmath
            with mpmath.workdps(JSON_DIGITS + 3):
                return _scalar(mpmath.mpf(x.evalf(JSON_DIGITS + 3)))
    raise TypeError(f"cannot write a {type(x).__name__} into JSON: {x!r}")


def _arb_mpf(x):
    """An exact arb (a midpoint or a radius) as the mpf it holds, exactly."""
    import mpmath

    man, exp = x.man_exp()
    return mpmath.ldexp(mpmath.mpf(int(man)), int(exp))


def number(x, digits: int = 15) -> str:
    """A computed value for display: mpmath and float values to `digits` significant digits, an arb
    ball as `mid ± radius` with its true radius, integers, booleans and text as they are.

    >>> import mpmath
    >>> with mpmath.workdps(50):
    ...     number(mpmath.mpf(1) / 3, 30)
    '0.333333333333333333333333333333'
    >>> from flint import arb, ctx
    >>> old, ctx.prec = ctx.prec, 200
    >>> number(arb(1) / 3, 10)
    '0.3333333333 ± 3.11e-61'
    >>> ctx.prec = old
    """
    if isinstance(x, bool) or x is None or isinstance(x, int | str):
        return str(x)
    if isinstance(x, float):
        return f"{x:.{min(digits, JSON_DIGITS)}g}"
    kind = type(x).__module__.split(".")[0]
    if kind == "flint" and hasattr(x, "rad"):
        return f"{x.mid().str(digits, radius=False)} ± {x.rad().str(3, radius=False)}"
    if kind == "mpmath" and hasattr(x, "_mpf_"):
        import mpmath
        return mpmath.nstr(x, digits)
    return str(x)
