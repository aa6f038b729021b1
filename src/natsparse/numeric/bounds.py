"""Evaluate a result's bound at given parameters, in high precision.

Two routes, tried in this order. First, a Python function registered with
`@register_bound(result_id)`, for bounds that are algorithms (a maximum over a grid, a
binomial quantile). Otherwise the registry's SymPy `formula`: each relation's right-hand
side, with the given parameters substituted, evaluated by `lambdify(..., "mpmath")` at 50
digits.
`compile_bound` gives the same right-hand sides lambdified for mpmath, numpy or torch
(compiled once and cached), for evaluating a bound over arrays of parameters.

`parameter_specs` says what each parameter is and its domain (from the symbols' assumptions and
the result's hypotheses), `check_parameters` enforces them; `natsparse bound ID --param value`
shows the first in its per-id --help and calls `evaluate`, which calls the second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.pycode import MpmathPrinter

from natsparse.proofs import get

DPS = 50
_FUNCTIONS: dict[str, Callable[..., dict]] = {}


def register_bound(result_id: str):
    """Decorator: `fn(**params) -> dict[str, value]` evaluates `result_id`'s bound(s).

    >>> "lem:max-weight" in _FUNCTIONS
    False
    >>> @register_bound("lem:max-weight")
    ... def demo(k, a_max):
    ...     return {"tau_lower": 1 - k * a_max}
    >>> evaluate("lem:max-weight", k=2, a_max=0.25)
    {'tau_lower': 0.5}
    >>> del _FUNCTIONS["lem:max-weight"]              # back to the registry's formula
    """
    get(result_id)  # unknown ids fail at import time, not at use

    def deco(fn):
        _FUNCTIONS[result_id] = fn
        return fn

    return deco


def _load_functions() -> None:
    """Import the modules that register bound functions (numeric.gaussian), so that `evaluate`
    finds them however little of natsparse was imported before."""
    from . import gaussian  # noqa: F401  (its @register_bound functions)


def has_function(result_id: str) -> bool:
    """Whether `result_id`'s bound is a registered function (an algorithm), not its formula.

    >>> has_function("thm:sparse-whp"), has_function("lem:gap-bound")
    (True, False)
    """
    _load_functions()
    return result_id in _FUNCTIONS


def parameters(result_id: str) -> list[str]:
    """Names `evaluate` accepts for this result (from its function or its formula).

    >>> parameters("lem:eps-k-tail")
    ['eps', 'k', 'n', 'v_max']
    >>> parameters("lem:loss-gradient")        # an indexed value is one parameter (as `leaves` says)
    ['1_S(l)', 'a[l]', 'k', 'n', 'tau']
    """
    return [p.name for p in parameter_specs(result_id)]


def precision(result_id: str) -> int:
    """Significant decimal digits `evaluate` computes for this result: `DPS` for a formula, the
    working precision (`DPS`) of the module that registered the function otherwise.

    >>> precision("lem:gap-bound"), precision("thm:sparse-whp") <= DPS
    (50, True)
    """
    _load_functions()
    fn = _FUNCTIONS.get(result_id)
    if fn is None:
        return DPS
    import sys
    return int(getattr(sys.modules[fn.__module__], "DPS", 15))


@dataclass(frozen=True)
class Parameter:
    """One parameter of a result's bound: its name (the option of `natsparse bound`), what it is,
    its domain in words (from the symbol's assumptions and the result's one-symbol hypotheses), its
    default (None: required, unless `optional`), and the registry symbol it stands for."""

    name: str
    meaning: str
    domain: str
    default: object = None
    optional: bool = False
    symbol: sp.Basic | None = None

    def describe(self) -> str:
        """`meaning; domain[; default ...]`, the line `natsparse bound ID --help` shows."""
        tail = f"; default {self.default}" if self.default is not None else (
            "; optional" if self.optional else "")
        return f"{self.meaning}; {self.domain}{tail}"


def parameter_specs(result_id: str) -> list[Parameter]:
    """The parameters of `result_id`'s bound, with meaning and domain (see `Parameter`), in the
    order its function takes them, or sorted by name for a formula.

    >>> for p in parameter_specs("thm:nC-sufficient"):
    ...     print(p.name, "|", p.describe())
    n | number of keys (the row length); integer >= 1
    gamma | regime: beta^2 = 2 gamma ln n; real number in (0, 1); must satisfy C > 1 - gamma
    C | exponent of the window k = ceil(alpha n^C); real number > 0; must satisfy C > 1 - gamma
    alpha | constant of the window k = ceil(alpha n^C); real number > 0; default 1
    delta | failure probability; real number in (0, 1); default 0.0001
    """
    import inspect

    from natsparse.proofs.symbols import MEANINGS

    _load_functions()
    r = get(result_id)
    if r.kind == "axiom":
        raise ValueError(f"{result_id} is an axiom (a cited fact the proof kernel assumes): it has no "
                         "parameters to evaluate")
    out = []
    if result_id in _FUNCTIONS:
        params = inspect.signature(_FUNCTIONS[result_id]).parameters.values()
        symbols = {_symbol_of(r, p.name) for p in params}
        for p in params:
            default = None if p.default is inspect.Parameter.empty else p.default
            x = _symbol_of(r, p.name)
            meaning = MEANINGS.get(str(x) if x is not None else p.name, "see the statement")
            out.append(Parameter(p.name, meaning, _domain(r, x, symbols), default,
                                 p.default is not inspect.Parameter.empty, x))
        return out
    found = {}
    for rel in r.relations():
        rhs = rel.rhs if isinstance(rel, sp.core.relational.Relational) else rel
        found |= {str(x): x for x in leaves(rhs)}
    return [Parameter(name, MEANINGS.get(name, "see the statement"), _domain(r, x), symbol=x)
            for name, x in sorted(found.items())]


def _symbol_of(r, name: str):
    """The registry symbol a function's parameter stands for: the result's symbol of that name, else
    its primed form (a lemma's own delta' is what its function calls delta), else the package's."""
    from natsparse.proofs.symbols import _BY_NAME

    own = {str(x): x for x in r._symbols()}
    return own.get(name) or own.get(name + "'") or _BY_NAME.get(name)


def _domain(r, x, among=None) -> str:
    """The domain of symbol `x` in words: its assumptions narrowed by the result's hypotheses that
    involve it alone (gamma < 1), then the hypotheses that tie it to others (C > 1 - gamma), of those
    `among` (the bound's parameters; all when None: a hypothesis on beta or k says nothing to a bound
    that computes them)."""
    from natsparse.proofs.symbols import PROBABILITIES

    if x is None:
        return "real number"
    integer = bool(x.is_integer)
    lo, lo_closed = (1, True) if integer and x.is_positive else (0, False) if x.is_positive else (
        (0, True) if x.is_nonnegative else (None, False))
    hi, hi_closed = (1, False) if x in PROBABILITIES else (None, False)
    ties = []
    for h in r.hypotheses:
        if x not in h.free_symbols or (among is not None and not h.free_symbols <= set(among)):
            continue
        if h.free_symbols == {x} and isinstance(h, sp.core.relational.Relational) and h.lhs == x \
                and h.rhs.is_number and h.rel_op in ("<", "<=", ">", ">="):
            value, closed = sp.nsimplify(h.rhs), h.rel_op in ("<=", ">=")
            if h.rel_op in ("<", "<="):
                hi, hi_closed = value, closed
            else:
                lo, lo_closed = value, closed
        else:
            ties.append(_text(h))
    what = "integer" if integer else "real number"
    if lo is not None and hi is not None:
        text = f"{what} in {'[' if lo_closed else '('}{lo}, {hi}{']' if hi_closed else ')'}"
    elif lo is not None:
        text = f"{what} {'>=' if lo_closed else '>'} {lo}"
    elif hi is not None:
        text = f"{what} {'<=' if hi_closed else '<'} {hi}"
    else:
        text = what
    return text + (f"; must satisfy {', '.join(ties)}" if ties else "")


def _text(h) -> str:
    """A hypothesis as plain text (`beta**2 = 2*gamma*log(n)`, not `Eq(...)`)."""
    return f"{sp.sstr(h.lhs)} = {sp.sstr(h.rhs)}" if isinstance(h, sp.Eq) else sp.sstr(h)


def check_parameters(result_id: str, params: dict, prefix: str = "") -> None:
    """Raise ValueError naming the parameter (as `prefix + name`: `--gamma` on the command line)
    when one is unknown or missing, breaks its symbol's assumptions (integer, > 0, >= 0, finite) or
    a hypothesis of the result decidable at the given values (gamma < 1; k < n).

    >>> check_parameters("thm:nC-sufficient", {"n": 100, "gamma": 2, "C": 0.5}, "--")
    Traceback (most recent call last):
    ...
    ValueError: --gamma must be < 1 for thm:nC-sufficient (its hypothesis gamma < 1), got 2
    """
    from natsparse.proofs.symbols import PROBABILITIES

    specs = {p.name: p for p in parameter_specs(result_id)}
    unknown = [name for name in params if name not in specs]
    if unknown:
        raise ValueError(f"unknown parameter {', '.join(prefix + u for u in unknown)} for {result_id}; "
                         f"its parameters are {', '.join(prefix + n for n in specs)}")
    missing = [p for p in specs.values() if p.name not in params and not p.optional]
    if missing:
        what = f": {prefix}{missing[0].name} ({missing[0].meaning}, {missing[0].domain})" \
            if len(missing) == 1 else ""
        raise ValueError(f"{result_id}: parameter(s) {sorted(p.name for p in missing)} needed{what}")
    exact = {}
    for name, value in params.items():
        spec, label = specs[name], prefix + name
        if value is None and spec.optional:
            continue
        v = _exact(value, label)
        x = spec.symbol
        if x is None:
            continue
        if x.is_integer and not v.is_integer:
            raise ValueError(f"{label} must be an integer, got {value}")
        if x.is_positive and not v > 0:
            raise ValueError(f"{label} must be > 0, got {value}")
        if x.is_nonnegative and not v >= 0:
            raise ValueError(f"{label} must be >= 0, got {value}")
        if x in PROBABILITIES and not v < 1:
            raise ValueError(f"{label} must be in (0, 1) (a probability), got {value}")
        exact[x] = v
    r = get(result_id)
    for h in r.hypotheses:
        if h.free_symbols - set(exact):
            continue                             # not decidable at these values (e.g. the regime)
        if h.xreplace(exact) is sp.false:
            names = sorted(h.free_symbols, key=str)
            if len(names) == 1:
                (x,) = names
                raise ValueError(f"{prefix}{x} must be {h.rel_op} {h.rhs} for {result_id} (its hypothesis "
                                 f"{_text(h)}), got {_shown(params, str(x))}")
            got = ", ".join(f"{x} = {_shown(params, str(x))}" for x in names)
            raise ValueError(f"{result_id} needs {_text(h)}, which fails at {got}")


def _shown(params: dict, name: str):
    """The value given for `name` (a function's delta stands for the lemma's delta')."""
    return params.get(name, params.get(name.rstrip("'")))


def _exact(value, label: str) -> sp.Rational:
    """A finite number as an exact SymPy rational (an mpf or float exactly, a string as decimal)."""
    if isinstance(value, bool):
        raise TypeError(f"{label} must be a number, got {value!r}")
    try:
        if isinstance(value, int):
            return sp.Integer(value)
        if isinstance(value, str):
            out = sp.Rational(value)
        else:
            x = mpmath.mpf(_plain(value))
            if not mpmath.isfinite(x):
                raise ValueError
            man, exp = x.man_exp  # the magnitude: man_exp drops the sign of x
            out = (-1 if x < 0 else 1) * sp.Integer(man) * sp.Integer(2) ** exp
    except (ValueError, TypeError):
        raise ValueError(f"{label} must be a finite number, got {value!r}") from None
    if not out.is_finite:
        raise ValueError(f"{label} must be a finite number, got {value!r}")
    return out


def quantities(result_id: str) -> list[tuple[str, str]]:
    """(key, relation text) for each relation of a formula-evaluated result, in `evaluate`'s order:
    the key names the bounded quantity (the left-hand side), numbered when it repeats.

    >>> quantities("lem:gap-bound")
    [('tau [1]', 'tau <= 1/(k*exp(Delta)/(-k + n) + 1)'), ('tau [2]', 'tau <= (-k + n)*exp(-LSE + s_k1)')]
    """
    rels = get(result_id).relations()
    lhs = [sp.sstr(rel.lhs) for rel in rels]
    return [(f"{q} [{lhs[:i + 1].count(q)}]" if lhs.count(q) > 1 else q, sp.sstr(rel))
            for i, (q, rel) in enumerate(zip(lhs, rels, strict=True))]


MODULES = ("mpmath", "numpy", "torch", "arb")


def leaves(expr: sp.Basic) -> list[sp.Basic]:
    """The inputs of `expr`, sorted by name: its symbols, and its indexed values (`a[l]`) and
    undefined-function values (`1_S(l)`) taken whole, as a check measures them.

    >>> from natsparse.proofs import get
    >>> leaves(get("lem:loss-gradient").relations()[0].rhs)
    [1_S(l), a[l], tau]
    """
    return list(_leaves(expr))


@lru_cache(maxsize=4096)
def _leaves(expr: sp.Basic) -> tuple[sp.Basic, ...]:
    whole = expr.atoms(sp.Indexed, AppliedUndef)
    rest = expr.xreplace({w: sp.Dummy() for w in whole}).free_symbols
    return tuple(sorted(whole | {x for x in rest if isinstance(x, sp.Symbol) and not isinstance(x, sp.Dummy)},
                        key=str))


@lru_cache(maxsize=4096)
def compile_expr(expr: sp.Basic, module: str = "mpmath"):
    """(leaves, function) for a SymPy expression: `function(*values)` takes one value per leaf
    (`leaves(expr)`'s order) and evaluates `expr` with `lambdify`, compiled once per expression
    and module (the cache is keyed on the expression itself, so a changed formula is a new entry).

    Modules: "mpmath" (the caller sets the precision; pass mpf values), "numpy", "torch", and
    "arb": the mpmath code run on balls, with every number exact (integers and rationals as
    integer balls and their quotients, a SymPy Float as its exact binary value, every argument
    converted exactly: a float64 or mpf is dyadic, a string is read as a decimal ball), at the
    caller's `arb.precision`. A function with no ball form raises ValueError.

    >>> x, y = sp.symbols("x y", positive=True)
    >>> names, f = compile_expr(x / 3 + sp.exp(-y), "arb")
    >>> names, f(1, 0)                                  # 1/3 + e^0, a ball (53 bits by default)
    ([x, y], [1.33333333333333 +/- 3.54e-15])
    """
    if module not in MODULES:
        raise ValueError(f"module must be one of {MODULES}, got {module!r}")
    names = leaves(expr)
    dummies = [sp.Dummy(f"x{i}") for i in range(len(names))]
    body = expr.xreplace(dict(zip(names, dummies, strict=True)))
    if module == "arb":
        fn = sp.lambdify(dummies, body, modules=[{"mpmath": _ARB}], printer=MpmathPrinter)
        unknown = sorted(set(fn.__code__.co_names) - {"mpmath", "abs"} - set(vars(_ArbFunctions)))
        if unknown:
            raise ValueError(f"no exact ball form of {unknown} in {sp.sstr(expr)}")
        return names, _on_balls(fn)
    # scipy supplies the special functions (erfc, erfcinv) that numpy lacks; mpmath has no erfcinv
    modules = {"numpy": ["scipy", "numpy"],
               "mpmath": [{"erfcinv": _mp_erfcinv, "erfc": _mp_erfc}, "mpmath"]}.get(module, module)
    return names, sp.lambdify(dummies, body, modules=modules)


def evaluate_expr(expr: sp.Basic, values, module: str = "mpmath"):
    """`expr` at `values` ({leaf name: value}, e.g. {"tau": ..., "a[l]": ...}) through
    `compile_expr`: mpmath at the caller's precision (ints and floats taken exactly as mpf), or
    arb balls (see `compile_expr`). A missing value raises ValueError naming it.

    >>> with mpmath.workdps(30):
    ...     evaluate_expr(sp.Symbol("k") / sp.Symbol("n"), {"k": 1, "n": 3})
    mpf('0.333333333333333333333333333333317')
    """
    names, fn = compile_expr(expr, module)
    missing = [str(x) for x in names if str(x) not in values]
    if missing:
        raise ValueError(f"no value for {missing} in {sp.sstr(expr)}")
    args = [values[str(x)] for x in names]
    if module == "mpmath":
        args = [a if isinstance(a, mpmath.mpf) else mpmath.mpf(_plain(a)) for a in args]
    return fn(*args)


def _plain(x):
    """A numpy scalar as the Python int/float it holds (mpmath takes those exactly)."""
    return x.item() if hasattr(x, "item") else x


def to_arb(x):
    """An exact ball: an arb as it is, an int, a float64 or an mpf (dyadic: held exactly at any
    precision), a decimal string (the ball arb makes of it), never a rounded binary constant.

    >>> to_arb(mpmath.mpf(2) ** -300).is_exact(), to_arb(0.1).is_exact(), to_arb("0.1").is_exact()
    (True, True, False)
    """
    from flint import arb as Arb

    if isinstance(x, Arb):
        return x
    if isinstance(x, str):
        return Arb(x)
    x = _plain(x)
    if isinstance(x, bool):
        raise TypeError("a bool is not a number here")
    if isinstance(x, int):
        return Arb(x)
    if isinstance(x, float | mpmath.mpf):
        if not mpmath.isfinite(x):
            raise ValueError(f"cannot make an exact ball of {x}")
        man, exp = mpmath.mpf(x).man_exp
        return _dyadic(int(man), int(exp))
    raise TypeError(f"cannot make an exact ball of {type(x).__name__}")


def _dyadic(man: int, exp: int):
    """man * 2^exp as an exact ball (the precision raised while it is built)."""
    from flint import arb as Arb
    from flint import ctx as flint_ctx

    old = flint_ctx.prec
    flint_ctx.prec = max(old, man.bit_length() + 16)
    try:
        return Arb(man) * Arb(2) ** exp
    finally:
        flint_ctx.prec = old


def _arb_mpf(x):
    """mpmath.mpf as the lambdified code calls it: an int, or a SymPy Float's exact (sign, man, exp,
    bc) tuple."""
    if isinstance(x, tuple):
        sign, man, exp, _ = x
        return _dyadic(-int(man) if sign else int(man), int(exp))
    return to_arb(x)


class _ArbFunctions:
    """What the mpmath printer's code calls, on balls (each a rigorous enclosure)."""

    mpf = staticmethod(_arb_mpf)
    exp = staticmethod(lambda x: to_arb(x).exp())
    log = staticmethod(lambda x: to_arb(x).log())
    sqrt = staticmethod(lambda x: to_arb(x).sqrt())
    log1p = staticmethod(lambda x: to_arb(x).log1p())
    expm1 = staticmethod(lambda x: to_arb(x).expm1())
    erf = staticmethod(lambda x: to_arb(x).erf())
    erfc = staticmethod(lambda x: to_arb(x).erfc())


_ARB = _ArbFunctions()


def _on_balls(fn):
    def on_balls(*args):
        return to_arb(fn(*(to_arb(a) for a in args)))
    return on_balls


def compile_bound(result_id: str, index: int = 0, module: str = "mpmath"):
    """(symbols, function) for the right-hand side of relation `index` of `result_id`, lambdified
    for `module` ("mpmath" for 50-digit values, "numpy" or "torch" for arrays, "arb" for balls).

    The formula is read from the registry at each call; the compiled function is cached on the
    expression itself (`compile_expr`), so a Result swapped into the registry is seen at once.

    >>> syms, f = compile_bound("lem:gap-bound", 0, "numpy")
    >>> syms, float(f(0.0, 1, 2))                      # 1/(1 + k/(n-k) e^Delta) at Delta = 0, k = 1, n = 2
    ([Delta, k, n], 0.5)
    """
    if module not in MODULES:
        raise ValueError(f"module must be one of {MODULES}, got {module!r}")
    rels = get(result_id).relations()
    if not 0 <= index < len(rels):
        raise ValueError(f"index must be in [0, {len(rels)}) for {result_id}, got {index}")
    rel = rels[index]
    if not isinstance(rel, sp.core.relational.Relational):
        raise ValueError(f"relation {index} of {result_id} is {sp.sstr(rel)}, not a relation with a bound")
    return compile_expr(rel.rhs, module)


#: beyond this |x|, erfc(x) is its asymptotic first term (relative error <= 1/(2 x^2) < 1e-60)
ERFC_ASYMPTOTIC = mpmath.mpf("1e30")


def _mp_erfc(x):
    """mpmath's erfc, except where its series test overflows (|x| above about 1e150, an OverflowError):
    for |x| > ERFC_ASYMPTOTIC, erfc(x) = e^{-x^2} / (x sqrt(pi)) (1 + r) with |r| <= 1/(2 x^2), below the
    working precision's 50 digits, and erfc(-x) = 2 - erfc(x).

    >>> 0 < _mp_erfc(mpmath.mpf("1e400")) < mpmath.mpf("1e-1000"), _mp_erfc(-mpmath.mpf("1e400"))
    (True, mpf('2.0'))
    """
    x = mpmath.mpf(x)
    if abs(x) <= ERFC_ASYMPTOTIC:
        return mpmath.erfc(x)
    tail = mpmath.exp(-x * x) / (abs(x) * mpmath.sqrt(mpmath.pi))
    return tail if x > 0 else 2 - tail


def _mp_erfcinv(x):
    """erfc^{-1}(x) = erf^{-1}(1 - x) in mpmath, at the working precision."""
    return mpmath.erfinv(1 - mpmath.mpf(x))


def evaluate(result_id: str, **params) -> dict[str, object]:
    """The bound(s) of `result_id` at `params`: {relation text: value} (mpmath numbers) for a
    formula (`quantities` names them by quantity), the function's own dict for an algorithm.

    The parameters are checked first (`check_parameters`): a missing, unknown or out-of-domain
    parameter, or a failing hypothesis, raises ValueError naming it; so does a result with neither
    a registered function nor a formula.

    >>> out = evaluate("lem:eps-k-tail", n=100, k=3, eps=0.001, v_max=2)
    >>> {rel: mpmath.nstr(v, 6) for rel, v in out.items()}
    {'tau <= eps*(-k + n)': '0.097', 'err <= eps*v_max*(-2*k + 2*n)': '0.388'}
    """
    _load_functions()
    r = get(result_id)
    if r.kind == "axiom":
        raise ValueError(f"{result_id} is an axiom (a cited fact the proof kernel assumes): it has no bound "
                         "to evaluate")
    if result_id not in _FUNCTIONS and not any(isinstance(x, sp.core.relational.Relational)
                                               for x in r.relations()):
        raise ValueError(f"{result_id} has no bound to evaluate (status: only stated)")
    check_parameters(result_id, params)
    if result_id in _FUNCTIONS:
        return _FUNCTIONS[result_id](**params)
    out = {}
    with mpmath.workdps(DPS):
        for index, rel in enumerate(r.relations()):
            syms, fn = compile_bound(result_id, index)
            args = [mpmath.mpf(params[str(x)]) if not isinstance(params[str(x)], mpmath.mpf)
                    else params[str(x)] for x in syms]
            out[sp.sstr(rel)] = fn(*args)
    return out
