"""natsparse.evidence (evidence/__init__.py): `status` computed from all registered evidence on the
ladder stated -> encoded -> sampled -> certified -> fully-certified, `failed` on any failing check;
every registration names a known result."""

import pytest

import natsparse.evidence as layer
from natsparse.evidence import status
from natsparse.proofs import evidence, registry
from tests.proofs.test_registry import DETERMINISTIC


def test_evidence_is_registered_only_for_known_ids():
    layer.load()
    assert evidence.registered_ids() <= set(registry)


@pytest.mark.parametrize("rid", DETERMINISTIC)
def test_deterministic_results_are_certified(rid):
    assert status(rid) in ("certified", "fully-certified")


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
