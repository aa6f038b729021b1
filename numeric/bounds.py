"""Evaluate a result's bound at given parameters, in high precision.

Two routes, tried in this order. First, a Python function registered with
`@register_bound(result_id)`, for bounds that are algorithms (a maximum over a grid, a
binomial quantile). Otherwise the registry's SymPy `formula`: each relation's right-hand
side, with the given parameters substituted, evaluated by `lambdify(..., "mpmath")` at 50
digits.
`compile_bound` gives the same right-hand sides lambdified for mpmath, numpy or torch
(compiled once and cached), for evaluating a bound over arrays of parameters.

`natsparse bound ID --param value` calls `evaluate`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.pycode import MpmathPrinter

from natsparse.proofs import get

DPS = 50
# Short names accepted for symbols whose SymPy name is long (`--eps` for epsilon).
ALIASES = {"eps": "epsilon"}
_FUNCTIONS: dict[str, Callable[..., dict]] = {}


def register_bound(result_id: str):
    """Decorator: `fn(**params) -> dict[str, value]` evaluates `result_id`'s bound(s).

    >>> "lem:max-weight" in _FUNCTIONS
    False
    >>> @register_bound("lem:max-weight")
    ... def demo(k, max_a):
    ...     return {"tau >= 1 - k max a": 1 - k * max_a}
    >>> evaluate("lem:max-weight", k=2, max_a=0.25)
    {'tau >= 1 - k max a': 0.5}
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


def parameters(result_id: str) -> list[str]:
    """Names `evaluate` accepts for this result (from its function or its formula).

    >>> parameters("lem:eps-k-tail")
    ['epsilon', 'k', 'n', 'v_max']
    >>> parameters("lem:loss-gradient")        # an indexed value is one parameter (as `leaves` says)
    ['1_S(l)', 'a[l]', 'k', 'n', 'tau']
    """
    _load_functions()
    if result_id in _FUNCTIONS:
        import inspect
        return [p for p in inspect.signature(_FUNCTIONS[result_id]).parameters]
    names = set()
    for rel in get(result_id).relations():
        rhs = rel.rhs if isinstance(rel, sp.core.relational.Relational) else rel
        names |= {str(x) for x in leaves(rhs)}
    return sorted(names)


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
               "mpmath": [{"erfcinv": _mp_erfcinv}, "mpmath"]}.get(module, module)
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
    ([Delta_k, k, n], 0.5)
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


def _mp_erfcinv(x):
    """erfc^{-1}(x) = erf^{-1}(1 - x) in mpmath, at the working precision."""
    return mpmath.erfinv(1 - mpmath.mpf(x))


def evaluate(result_id: str, **params) -> dict[str, object]:
    """The bound(s) of `result_id` at `params`: {relation text: value} (mpmath numbers).

    Raises ValueError naming a missing or unknown parameter; a result with neither a
    registered function nor a formula raises ValueError too.

    >>> out = evaluate("lem:eps-k-tail", n=100, k=3, eps=0.001, v_max=2)
    >>> {rel: mpmath.nstr(v, 6) for rel, v in out.items()}
    {'tau <= epsilon*(-k + n)': '0.097', 'err <= epsilon*v_max*(-2*k + 2*n)': '0.388'}
    """
    _load_functions()
    if result_id in _FUNCTIONS:
        return _FUNCTIONS[result_id](**params)
    params = {ALIASES.get(name, name): value for name, value in params.items()}
    r = get(result_id)
    rels = [x for x in r.relations() if isinstance(x, sp.core.relational.Relational)]
    if not rels:
        raise ValueError(f"{result_id} has no bound to evaluate (status: only stated)")
    known = set(parameters(result_id))
    unknown = sorted(set(params) - known)
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown} for {result_id}; expected {sorted(known)}")
    _check_domain(r, params)
    out = {}
    with mpmath.workdps(DPS):
        for index, rel in enumerate(r.relations()):
            syms, fn = compile_bound(result_id, index)
            missing = [str(x) for x in syms if str(x) not in params]
            if missing:
                raise ValueError(f"{result_id}: parameter(s) {missing} needed for "
                                 f"{sp.sstr(rel)}")
            args = [mpmath.mpf(params[str(x)]) if not isinstance(params[str(x)], mpmath.mpf)
                    else params[str(x)] for x in syms]
            out[sp.sstr(rel)] = fn(*args)
    return out


def _check_domain(r, params: dict) -> None:
    """Each parameter satisfies its symbol's assumptions (integer, positive, nonnegative) and
    the result's hypotheses hold where they can be decided; else ValueError naming it."""
    syms = {str(x): x for rel in r.relations() for x in rel.free_symbols}
    for name, value in params.items():
        x = syms.get(name)
        if x is None:
            continue
        v = sp.Rational(str(value)) if not isinstance(value, int) else sp.Integer(value)
        if x.is_integer and not v.is_integer:
            raise ValueError(f"{name} must be an integer, got {value}")
        if x.is_positive and not v > 0:
            raise ValueError(f"{name} must be > 0, got {value}")
        if x.is_nonnegative and not v >= 0:
            raise ValueError(f"{name} must be >= 0, got {value}")
    subs = {syms[k]: sp.Rational(str(v)) for k, v in params.items() if k in syms}
    for h in r.hypotheses:
        verdict = h.subs(subs)
        if verdict is sp.false:
            raise ValueError(f"{r.id} needs {sp.sstr(h)}, which fails at the given parameters")
