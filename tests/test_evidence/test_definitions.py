"""evidence.definitions: each definition's evidence says what its tool did (no arb claimed by mpmath)."""

import dataclasses

import pytest
import sympy as sp

import natsparse.evidence as layer
from natsparse.evidence import all_evidence, run
from natsparse.proofs import registry

DEFINITIONS = ("def:attention", "def:topk-attention", "def:tail-mass", "def:eps-k-sparse",
               "def:threshold-attention", "def:sparsity-loss")


@pytest.mark.parametrize("rid", DEFINITIONS)
def test_detail_names_the_registered_tool(rid):
    (ev,) = [e for e in all_evidence(rid) if e.tool.startswith("sympy+")]
    done = run(ev)
    assert done.outcome.passed, done.outcome.detail
    assert ("arb" in done.outcome.detail) == ("arb" in ev.tool), (ev.tool, done.outcome.detail)
    assert ev.level == "verified" and ev.scope["rational_rows"] > 0


def _mutant(formula):
    """A false variant: eps doubled where the formula has eps, else every right-hand side times 9/10."""
    from natsparse.proofs.symbols import eps

    if eps in formula.free_symbols:
        return formula.xreplace({eps: 2 * eps})
    rels = list(formula) if isinstance(formula, sp.Tuple) else [formula]
    out = [sp.Eq(r.lhs, sp.Rational(9, 10) * r.rhs) for r in rels]
    return sp.Tuple(*out) if isinstance(formula, sp.Tuple) else out[0]


@pytest.mark.parametrize("rid", DEFINITIONS)
def test_a_false_registry_formula_fails_its_evidence(rid, monkeypatch):
    """The checks read the registry's formula at call time: a false one is caught."""
    real = registry[rid]
    monkeypatch.setitem(registry, rid, dataclasses.replace(real, formula=_mutant(real.formula)))
    monkeypatch.setattr(layer, "_RUNS", {})  # run afresh, not the outcome memoised in this process
    (ev,) = [e for e in all_evidence(rid) if e.tool.startswith("sympy+")]
    done = run(ev)
    assert not done.outcome.passed, done.outcome.detail
    assert "disagrees with the registry formula" in done.outcome.detail
