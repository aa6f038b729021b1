"""evidence.real_model: the decoder's registered evidence passes on the real model (two windows of 64)."""

import pytest

from tests.smollm2 import require_smollm2

require_smollm2()

from natsparse.evidence import all_evidence, run  # noqa: E402


@pytest.mark.parametrize(("rid", "says"), [("exp:real-decoder", " 0 of 2160 medians differ"),
                                           ("exp:sparse-inference", "top-8 in every layer: 0 of 34560 rows")])
def test_decoder_evidence_passes(rid, says):
    (ev,) = all_evidence(rid)
    done = run(ev)
    assert ev.level == "sampled" and done.outcome.passed and says in done.outcome.detail, done.outcome.detail
