"""The blueprint is complete and consistent (the analogue of leanblueprint's `checkdecls`)."""

import re
from pathlib import Path

import pytest
import sympy as sp

import natsparse.evidence as layer
from natsparse.evidence import status
from natsparse.proofs import evidence, get, registry
from natsparse.proofs.result import KINDS, Result

THEORY = Path(__file__).resolve().parents[3] / "shared" / "THEORY.md"
DETERMINISTIC = ["lem:tail-identity", "lem:output-factorization", "thm:output-error",
                 "lem:worst-case-error", "lem:eps-k-tail", "lem:gap-bound", "lem:topk-optimal",
                 "lem:tail-monotone", "lem:max-weight", "lem:loss-gradient", "thm:threshold-error"]


def theory_ids() -> set[str]:
    text = THEORY.read_text()
    return set(re.findall(r"^- `((?:def|lem|thm|prop|cor|exp):[a-zA-Z0-9-]+)`", text, re.M))


@pytest.mark.skipif(not THEORY.exists(), reason="../shared/THEORY.md is not beside this checkout")
def test_every_theory_id_is_registered_and_nothing_else():
    ids = theory_ids()
    assert len(ids) >= 30
    assert ids == set(registry), (ids ^ set(registry))


def test_uses_point_to_known_ids_without_cycles():
    for r in registry.values():
        for u in r.uses:
            assert u in registry, f"{r.id} uses unknown {u}"
            assert u != r.id

    def depth(rid, seen=()):
        assert rid not in seen, f"cycle through {rid}"
        return 1 + max((depth(u, (*seen, rid)) for u in registry[rid].uses), default=0)

    assert all(depth(r) >= 1 for r in registry)


def test_evidence_is_registered_only_for_known_ids():
    assert evidence.registered_ids() <= set(registry)


def test_definitions_and_deterministic_results_are_encoded_in_sympy():
    for r in registry.values():
        if r.kind == "definition" or r.id in DETERMINISTIC:
            assert isinstance(r.formula, sp.Basic), r.id
            assert r.relations(), r.id
        assert r.kind in KINDS and r.statement and r.latex and r.provenance


@pytest.mark.parametrize("rid", DETERMINISTIC)
def test_deterministic_results_are_certified(rid):
    assert status(rid) in ("certified", "fully-certified")


def test_get_rejects_unknown_and_non_string_ids():
    with pytest.raises(KeyError, match="unknown result id 'lem:gap-bund'.*lem:gap-bound"):
        get("lem:gap-bund")
    with pytest.raises(TypeError, match="result_id must be a str"):
        get(3)


def test_result_rejects_bad_fields():
    with pytest.raises(ValueError, match="id must look like"):
        Result("gap", "lemma", "t", "s", "l", ("companion",))
    with pytest.raises(ValueError, match="kind must be one of"):
        Result("lem:x", "lemma!", "t", "s", "l", ("companion",))
    with pytest.raises(ValueError, match="provenance"):
        Result("lem:x", "lemma", "t", "s", "l", ("folklore",))


def test_status_ladder_is_computed_from_evidence(monkeypatch):
    """A failing piece of evidence makes the status `failed`; certified needs a certificate;
    fully-certified needs every used result fully certified."""
    layer.load()
    monkeypatch.setattr(evidence, "_EVIDENCE", {})
    monkeypatch.setattr(layer, "_RUNS", {})
    assert status("lem:gap-bound") == "encoded"
    assert status("thm:sparse-whp") in ("stated", "encoded")
    ok = evidence.Outcome(True, "ok")
    evidence.register("lem:gap-bound", level="sampled", tool="t", domain="d")(lambda: ok)
    assert status("lem:gap-bound") == "sampled"
    evidence.register("def:tail-mass", level="certified", tool="t", domain="d")(lambda: ok)

    def certificate():
        return ok
    evidence.register("lem:gap-bound", level="certified", tool="t", domain="d")(certificate)
    assert status("lem:gap-bound") == "certified"  # def:tail-mass uses def:attention, uncertified

    def attention_certificate():
        return ok
    evidence.register("def:attention", level="certified", tool="t", domain="d")(attention_certificate)
    assert status("lem:gap-bound") == "fully-certified"

    def broken():
        raise RuntimeError("boom")
    evidence.register("lem:gap-bound", level="sampled", tool="t", domain="d")(broken)
    assert status("lem:gap-bound") == "failed"
    with pytest.raises(ValueError, match="level must be one of"):
        evidence.register("lem:gap-bound", level="proved", tool="t", domain="d")
