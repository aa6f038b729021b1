"""The exp:kernel evidence checks every row, and fails when the kernel is wrong."""

import pytest

from natsparse.evidence import kernel as kernel_evidence
from natsparse.kernels import AttentionStats


def test_every_row_is_checked_and_the_certificate_holds():
    rows, worst = kernel_evidence.run_cases()
    assert rows == 7 * 2 + 9 * 2 + 6 + 5 * 3
    assert 0 < worst <= 1


@pytest.mark.parametrize("damage", ["tau", "output"])
def test_a_wrong_kernel_fails_the_evidence(monkeypatch, damage):
    real = kernel_evidence.topk_attention

    def wrong(*args, **kw):
        out, st = real(*args, **kw)
        if damage == "tau":
            return out, AttentionStats(st.tail_mass * (1 + 1e-9), st.lse_all, st.lse_kept)
        return out + 1e-9, st

    monkeypatch.setattr(kernel_evidence, "topk_attention", wrong)
    with pytest.raises(AssertionError):
        kernel_evidence.run_cases()
