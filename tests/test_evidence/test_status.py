"""natsparse.evidence (evidence/__init__.py): `status` computed from all registered evidence on the
ladder stated -> encoded -> sampled -> verified -> proved -> fully-proved, `failed` on any failing
check; every registration names a known result; no finite check is registered as a proof."""

import pytest

import natsparse.evidence as layer
from natsparse.evidence import status
from natsparse.proofs import evidence, registry
from tests.test_proofs.test_registry import DETERMINISTIC


def test_evidence_is_registered_only_for_known_ids():
    layer.load()
    assert evidence.registered_ids() <= set(registry)


@pytest.mark.parametrize("rid", DETERMINISTIC)
def test_deterministic_results_are_at_least_verified(rid):
    assert status(rid) in ("verified", "proved", "fully-proved")


def test_only_general_evidence_is_a_proof():
    """Every `proved` piece declares the general scope; every piece with a finite bound in its scope
    (n_max, d_max, rows) is at most `verified`."""
    layer.load()
    for rid in registry:
        for ev in evidence.evidence_for(rid):
            finite = {"n_max", "d_max", "rows", "rational_rows"} & set(ev.scope)
            assert (ev.level == "proved") == (ev.scope.get("general") is True), ev.key
            assert not (finite and ev.level == "proved"), ev.key


def test_status_ladder_is_computed_from_evidence(monkeypatch):
    """A failing piece of evidence makes the status `failed`; verified needs rigorous finite evidence,
    proved a general proof; fully-proved needs every used result fully proved."""
    layer.load()
    monkeypatch.setattr(evidence, "_EVIDENCE", {})
    monkeypatch.setattr(layer, "_RUNS", {})
    assert status("lem:gap-bound") == "encoded"
    assert status("thm:sparse-whp") in ("stated", "encoded")
    ok = evidence.Outcome(True, "ok")
    evidence.register("lem:gap-bound", level="sampled", tool="t", domain="d")(lambda: ok)
    assert status("lem:gap-bound") == "sampled"
    with pytest.raises(ValueError, match="needs scope"):   # a definition is defined, never proved either
        evidence.register("def:tail-mass", level="proved", tool="t", domain="d", scope={"n_max": 5})

    def finite_check():
        return ok
    evidence.register("lem:gap-bound", level="verified", tool="t", domain="d", scope={"n_max": 5})(
        finite_check)
    assert status("lem:gap-bound") == "verified"

    def proof():
        return ok
    evidence.register("lem:gap-bound", level="proved", tool="t", domain="d", scope={"general": True})(proof)
    assert status("lem:gap-bound") == "proved"   # the definitions its kernel proof cites are not defined yet
    cited = [u for u in layer.proof_uses("lem:gap-bound") if u.startswith("def:")]
    assert cited == ["def:attention", "def:tail-mass", "def:topk-attention"]
    for rid in cited:
        evidence.register(rid, level="sampled", tool="t", domain="d", name=f"reads {rid}")(lambda: ok)
        assert status(rid) == "defined"
    assert status("ax:topk-order") == "axiom"
    assert status("lem:gap-bound") == "fully-proved"

    def broken():
        raise RuntimeError("boom")
    evidence.register("lem:gap-bound", level="sampled", tool="t", domain="d")(broken)
    assert status("lem:gap-bound") == "failed"
    with pytest.raises(ValueError, match="level must be one of"):
        evidence.register("lem:gap-bound", level="certified", tool="t", domain="d")
    with pytest.raises(ValueError, match="needs scope"):
        evidence.register("lem:gap-bound", level="proved", tool="t", domain="n <= 5", scope={"n_max": 5})
