"""The step-sabotage gate: every step of every kernel proof, mutated or left out, must make the proof fail.

The registry mutation gate (`natsparse.evidence.mutation`) changes what a proof must reach; this gate
changes the proof itself. A proof (`natsparse.proofs.general.PROOFS`) is replayed once per mutant,
with a saboteur in the kernel's `ProofLog` that changes the inputs of one rule call:

- `drop`: the call is left out (its result is the empty fact 0 = 0);
- every number or expression it was given (a goal's right side, a multiplier, an instance's value, a
  weight) scaled by 2 and by 1/2 (an expression 0 becomes 1);
- every equation and every relation it combines left out one at a time;
- a named maximum swapped for another, the (kept, dropped) parts of a maximum given in the other order.

A mutant is killed when the proof then fails (the kernel refuses a step, or the last step no longer
concludes the registry formula). A surviving mutant is a step the proof does not need, or a kernel rule
that does not check what it is given: the gate reports each one.

    >>> report = gate(["lem:max-weight"])
    >>> report["lem:max-weight"]["survived"], report["lem:max-weight"]["killed"] > 20
    ([], True)
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

import sympy as sp

from natsparse.proofs import kernel as K
from natsparse.proofs.general import PROOFS
from natsparse.proofs.kernel import DROP, Fact, ProofError

_SCALES = ((sp.Integer(2), "x2"), (sp.Rational(1, 2), "x1/2"))


def _scaled(expr: sp.Expr) -> Iterator[tuple[str, sp.Expr]]:
    if expr == 0:
        yield "0 -> 1", sp.Integer(1)
        return
    for factor, label in _SCALES:
        yield label, factor * expr


def _variants(rule: str, key: str, value) -> Iterator[tuple[str, object]]:
    """The mutants of one input of a rule call, with a label each."""
    if isinstance(value, sp.core.relational.Relational):
        for label, rhs in _scaled(value.rhs):
            yield f"{key}: right side {label}", value.func(value.lhs, rhs, evaluate=False)
    elif isinstance(value, sp.Symbol) and value in K.MAXIMA:
        for other in K.MAXIMA:
            if other != value and K.MAXIMA[other][0] == K.MAXIMA[value][0]:
                yield f"{key}: {value} -> {other}", other
    elif isinstance(value, sp.Basic) and not isinstance(value, sp.Symbol | sp.Indexed):
        for label, new in _scaled(value):
            yield f"{key} {label}", new
    elif isinstance(value, int | float) and not isinstance(value, bool):
        for label, new in _scaled(sp.sympify(value)):
            yield f"{key} {label}", new
    elif isinstance(value, tuple) and len(value) == 2 and all(isinstance(x, K.Part) for x in value):
        if rule.startswith("maximum"):          # (kept, dropped) pairs; a sum over pairs has no order
            yield f"{key}: parts swapped", value[::-1]
    elif isinstance(value, list) and value and all(isinstance(x, tuple) for x in value):   # (fact, lambda)
        for i, (fact, lam) in enumerate(value):
            yield f"{key}[{i}] left out", value[:i] + value[i + 1:]
            for label, new in _scaled(sp.sympify(lam)):
                yield f"{key}[{i}] multiplier {label}", value[:i] + [(fact, new)] + value[i + 1:]
    elif isinstance(value, list) and value and all(isinstance(x, Fact) for x in value):
        for i in range(len(value)):
            yield f"{key}[{i}] left out", value[:i] + value[i + 1:]
    elif isinstance(value, dict) and value and all(isinstance(x, str) for x in value):      # instance values
        for name, val in value.items():
            if isinstance(val, sp.Basic):
                for label, new in _scaled(val):
                    yield f"{key}[{name}] {label}", {**value, name: new}


def _calls(result_id: str) -> list[tuple[str, dict]]:
    """(rule, inputs) of every rule call of the proof, in order (a saboteur that changes nothing)."""
    seen: list[tuple[str, dict]] = []

    def record(_index, rule, inputs):
        seen.append((rule, inputs))
        return inputs

    PROOFS[result_id].check(saboteur=record)
    return seen


def _fails(result_id: str, call: int, replacement) -> str | None:
    """Why the proof fails with call number `call` replaced (None: it still passes)."""

    def saboteur(index, _rule, inputs):
        return replacement if index == call else inputs

    try:
        PROOFS[result_id].check(saboteur=saboteur)
    except ProofError as exc:
        return str(exc).split(":")[0]
    except (TypeError, ValueError, KeyError, AttributeError, ZeroDivisionError) as exc:
        return f"the proof broke: {type(exc).__name__}"
    return None


def audit(result_id: str) -> dict:
    """Every step mutant of one proof: how many calls and mutants, which were killed and which survived."""
    t0 = time.perf_counter()
    calls = _calls(result_id)
    killed, survived = 0, []
    for index, (rule, inputs) in enumerate(calls):
        mutants = [("drop", DROP)] + [(label, {**inputs, key: new}) for key, value in inputs.items()
                                      for label, new in _variants(rule, key, value)]
        for label, replacement in mutants:
            if _fails(result_id, index, replacement) is None:
                survived.append(f"call {index} ({rule}): {label}")
            else:
                killed += 1
    steps = len(PROOFS[result_id].check().steps)
    return {"calls": len(calls), "steps": steps, "mutants": killed + len(survived), "killed": killed,
            "survived": survived, "seconds": round(time.perf_counter() - t0, 2)}


def gate(ids: Iterable[str] | None = None) -> dict[str, dict]:
    """`audit` for each kernel proof (all of them by default), by result id."""
    return {rid: audit(rid) for rid in (ids or PROOFS)}
