"""evidence.definitions: each definition's evidence says what its tool did (no arb claimed by mpmath)."""

import pytest

from natsparse.evidence import all_evidence, run

DEFINITIONS = ("def:attention", "def:topk-attention", "def:tail-mass", "def:eps-k-sparse",
               "def:threshold-attention", "def:sparsity-loss")


@pytest.mark.parametrize("rid", DEFINITIONS)
def test_detail_names_the_registered_tool(rid):
    (ev,) = [e for e in all_evidence(rid) if e.tool.startswith("sympy+")]
    done = run(ev)
    assert done.outcome.passed, done.outcome.detail
    assert ("arb" in done.outcome.detail) == ("arb" in ev.tool), (ev.tool, done.outcome.detail)
    assert ev.level == "verified" and ev.scope["rational_rows"] > 0
