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
from functools import cache

import mpmath
import sympy as sp

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


def parameters(result_id: str) -> list[str]:
    """Names `evaluate` accepts for this result (from its function or its formula).

    >>> parameters("lem:eps-k-tail")
    ['epsilon', 'k', 'n', 'v_max']
    """
    if result_id in _FUNCTIONS:
        import inspect
        return [p for p in inspect.signature(_FUNCTIONS[result_id]).parameters]
    syms = set()
    for rel in get(result_id).relations():
        rhs = rel.rhs if isinstance(rel, sp.core.relational.Relational) else rel
        syms |= {x for x in rhs.free_symbols if isinstance(x, sp.Symbol)}
    return sorted(str(x) for x in syms)


MODULES = ("mpmath", "numpy", "torch")


@cache
def compile_bound(result_id: str, index: int = 0, module: str = "mpmath"):
    """(symbols, function) for the right-hand side of relation `index` of `result_id`, lambdified
    for `module` ("mpmath" for 50-digit values, "numpy" or "torch" for arrays); compiled once.

    >>> syms, f = compile_bound("lem:gap-bound", 0, "numpy")
    >>> syms, float(f(0.0, 1, 2))                      # 1/(1 + k/(n-k) e^Delta) at Delta = 0, k = 1, n = 2
    ([Delta_k, k, n], 0.5)
    """
    if module not in MODULES:
        raise ValueError(f"module must be one of {MODULES}, got {module!r}")
    rels = get(result_id).relations()
    if not 0 <= index < len(rels):
        raise ValueError(f"index must be in [0, {len(rels)}) for {result_id}, got {index}")
    rhs = rels[index].rhs
    syms = sorted((x for x in rhs.free_symbols if isinstance(x, sp.Symbol)), key=str)
    # scipy supplies the special functions (erfc, erfcinv) that numpy lacks; mpmath has no erfcinv
    modules = {"numpy": ["scipy", "numpy"],
               "mpmath": [{"erfcinv": _mp_erfcinv}, "mpmath"]}.get(module, module)
    return syms, sp.lambdify(syms, rhs, modules=modules)


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
