"""The blueprint is complete and consistent (the analogue of leanblueprint's `checkdecls`)."""

import re
from pathlib import Path

import pytest
import sympy as sp

import natsparse.evidence as layer
from natsparse.evidence import status
from natsparse.proofs import evidence, get, registry
from natsparse.proofs.result import KINDS

THEORY = Path(__file__).resolve().parents[3] / "shared" / "THEORY.md"
DETERMINISTIC = ["lem:tail-identity", "lem:output-factorization", "thm:output-error",
                 "lem:worst-case-error", "lem:eps-k-tail", "lem:gap-bound", "lem:topk-optimal",
                 "lem:tail-monotone", "lem:max-weight", "lem:loss-gradient", "thm:threshold-error"]
# Results of THEORY.md that are only stated so far (later issues encode, prove and run them): no
# formula, no evidence, computed status `stated`. Take an id out of this list when it is encoded.
STATED_ONLY: list[str] = []


def theory_ids() -> set[str]:
    text = THEORY.read_text()
    return set(re.findall(r"^- `((?:def|lem|thm|prop|cor|exp):[a-zA-Z0-9-]+)`", text, re.M))


@pytest.mark.skipif(not THEORY.exists(), reason="../shared/THEORY.md is not beside this checkout")
def test_every_theory_id_is_registered_and_nothing_else():
    """Every id of THEORY.md is registered; beyond them only companion results that a THEORY result uses,
    directly or through other companion results ("our own results, added because the claims need them":
    the explicit version of a paper's claim)."""
    ids = theory_ids()
    assert len(ids) >= 30
    results = {rid for rid in registry if not rid.startswith("ax:")}   # THEORY names axioms by kind only
    assert ids <= results, ids - results
    needed, todo = set(), [u for t in ids for u in registry[t].uses]
    while todo:
        rid = todo.pop()
        if rid not in needed:
            needed.add(rid)
            todo += registry[rid].uses if rid in registry else []
    for rid in results - ids:
        assert registry[rid].provenance == ("companion",), rid
        assert rid in needed, f"{rid} is used by no result of THEORY.md"


def test_axioms_are_a_short_cited_list():
    """THEORY.md: axioms are registry entries ax:<name>, each a textbook fact with a citation."""
    axioms = [r for r in registry.values() if r.id.startswith("ax:")]
    assert 1 <= len(axioms) <= 16            # the deterministic ones and the probability axioms
    for r in axioms:
        assert r.kind == "axiom" and r.formula is not None and r.notes, r.id
        assert any(ch.isdigit() for ch in r.notes), f"{r.id}: the citation names no section or page"


def test_uses_point_to_known_ids_without_cycles():
    for r in registry.values():
        for u in r.uses:
            assert u in registry, f"{r.id} uses unknown {u}"
            assert u != r.id

    def depth(rid, seen=()):
        assert rid not in seen, f"cycle through {rid}"
        return 1 + max((depth(u, (*seen, rid)) for u in registry[rid].uses), default=0)

    assert all(depth(r) >= 1 for r in registry)


def test_definitions_and_deterministic_results_are_encoded_in_sympy():
    for r in registry.values():
        if (r.kind == "definition" and r.id not in STATED_ONLY) or r.id in DETERMINISTIC:
            assert isinstance(r.formula, sp.Basic), r.id
            assert r.relations(), r.id
        assert r.kind in KINDS and r.statement and r.latex and r.provenance


@pytest.mark.parametrize("rid", STATED_ONLY)
def test_stated_only_results_claim_nothing_checked(rid):
    """A stated result has no formula and no evidence, says so in its notes, and shows `stated`."""
    layer.load()
    r = get(rid)
    assert r.formula is None and r.hypotheses == () and not evidence.evidence_for(rid)
    assert r.notes.startswith("Stated only") and "nothing about it has been" in r.notes
    assert r.uses and all(u in registry for u in r.uses)
    assert status(rid) == "stated"


def test_get_rejects_unknown_and_non_string_ids():
    with pytest.raises(KeyError, match="unknown result id 'lem:gap-bund'.*lem:gap-bound"):
        get("lem:gap-bund")
    with pytest.raises(TypeError, match="result_id must be a str"):
        get(3)


def test_threshold_error_hypotheses_exclude_dropping_every_key():
    """eps <= max a keeps at least one key, so m (the dropped count) <= n - 1: the hypotheses must rule
    out m = n, where the encoded m eps < n eps is false (they once read m < n + 1)."""
    from natsparse.proofs.symbols import m, n
    r = get("thm:threshold-error")
    at_m_equal_n = [h.subs(m, n) for h in r.hypotheses]
    assert sp.false in at_m_equal_n
    strict = next(rel for rel in r.relations() if isinstance(rel, sp.StrictLessThan))
    assert strict.subs(m, n) == sp.false


def test_each_exponent_symbol_has_one_meaning():
    """The window exponent of prop:phase-diagram (1 - gamma for gamma < 1) and thm:polylog-insufficient's
    weight-decay exponent ((1 - sqrt gamma)^2) are different quantities: they must not share a symbol."""
    def exponent_symbol(rid):
        (rel,) = [x for x in get(rid).relations() if isinstance(x, sp.Eq) and "gamma" in str(x.rhs)
                  and x.lhs.is_Symbol]
        return rel.lhs
    assert exponent_symbol("prop:phase-diagram") != exponent_symbol("thm:polylog-insufficient")
