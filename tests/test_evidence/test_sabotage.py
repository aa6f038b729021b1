"""evidence/sabotage.py: the step-sabotage gate kills every step mutant of every kernel proof, and it can
fail: a kernel rule that stops checking what it is given lets mutants survive."""

import pytest

from natsparse.evidence import sabotage
from natsparse.proofs import kernel as K
from natsparse.proofs.general import PROOFS


@pytest.mark.parametrize("rid", sorted(PROOFS))
def test_every_step_mutant_is_killed(rid):
    report = sabotage.audit(rid)
    assert report["mutants"] >= 2 * report["calls"] > 0
    assert report["survived"] == [], report["survived"]
    assert report["killed"] == report["mutants"]


def test_the_gate_sees_a_kernel_that_does_not_check(monkeypatch):
    """With the multiplier check of `derive` removed (any sign accepted), scaled multipliers survive."""
    monkeypatch.setattr(K, "proves_sign", lambda expr, strict=False: True)
    report = sabotage.audit("lem:max-weight")
    assert report["survived"], "a kernel that decides every sign must let mutants through"


def test_a_goal_is_mutated_on_its_right_side():
    """A derive's goal gets the two scaled right sides (the drop mutant is added for every call by audit)."""
    labels = [label for key, value in {"goal": K.sp.Le(K.Z, 1)}.items()
              for label, _ in sabotage._variants("derive", key, value)]
    assert labels == ["goal: right side x2", "goal: right side x1/2"]
