"""evidence.deterministic: what it registers matches the numeric checks it runs."""

from __future__ import annotations

import natsparse.evidence as E


def test_the_checked_results_are_those_of_numeric_checks():
    """deterministic registers sampled/certified evidence for the ids of `proofs.general.DETERMINISTIC_PROOFS`
    without importing `numeric.checks`: the two sets must be the same, and the edge panel's size
    written in the domain must be the panel's."""
    from natsparse.evidence import deterministic
    from natsparse.numeric import CHECKS
    from natsparse.numeric.panel import edge_rows
    from natsparse.proofs.general import DETERMINISTIC_PROOFS

    assert set(DETERMINISTIC_PROOFS) == set(CHECKS)
    assert deterministic.CHECKED == tuple(DETERMINISTIC_PROOFS)
    assert deterministic.EDGE_ROWS == len(edge_rows())
    E.load()
    for rid in CHECKS:
        assert any(e.level == "sampled" and e.tool == "mpmath" and f"{len(edge_rows())} edge rows" in e.domain
                   for e in E.all_evidence(rid)), rid
