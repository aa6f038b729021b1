"""The check record shared by tests, the book and the CLI (DESIGN.md "Numbers")."""

from __future__ import annotations

from dataclasses import dataclass, field

import mpmath

RELATIONS = ("le", "lt", "ge", "eq")


@dataclass(frozen=True)
class CheckRecord:
    """One relation of one result, evaluated on one input.

    `relation` says how `measured` must compare with `bound` ("le": measured <= bound,
    "lt", "ge", or "eq": equal to the working precision). `margin` is signed so that
    margin >= 0 means the relation holds with room (for "eq": minus the absolute gap).
    `passed` is decided in mpmath at the working precision; `certified` is arb's verdict:
    True (proved for this input), False (proved violated) or None (balls overlap: undecided,
    e.g. an exact equality case, or no certificate for this relation).

    >>> from natsparse.numeric.checks import check_gap_bound
    >>> r = check_gap_bound([1.0, 0.0, -1.0], k=1)[0]
    >>> r.result_id, r.relation, r.passed, r.certified, round(r.ratio, 6)
    ('lem:gap-bound', 'le', True, True, 0.789744)
    >>> r.as_row()["bound"], r.as_row()["measured"]
    ('0.423883', '0.334759')
    """

    result_id: str
    name: str
    relation: str
    params: dict
    bound: mpmath.mpf
    measured: mpmath.mpf
    margin: mpmath.mpf
    passed: bool
    certified: bool | None = None
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        """measured / bound for an upper bound (how tight it is; 1 = tight), else nan."""
        if self.relation in ("le", "lt") and self.bound != 0:
            return float(self.measured / self.bound)
        return float("nan")

    def as_row(self) -> dict:
        """A flat, printable view (floats rounded to 6 significant digits)."""
        return {"id": self.result_id, "relation": self.name,
                "bound": mpmath.nstr(self.bound, 6), "measured": mpmath.nstr(self.measured, 6),
                "margin": mpmath.nstr(self.margin, 3), "passed": self.passed,
                "certified": self.certified}


def decide(relation: str, measured, bound, *, dps: int, scale=1) -> tuple[mpmath.mpf, bool]:
    """(margin, passed) at working precision: a slack of 10^-(dps-5) * scale, the rounding
    error of a 50-digit evaluation, lets an exact equality case (a tight bound) pass.

    >>> decide("le", mpmath.mpf(1), mpmath.mpf(2), dps=50)
    (mpf('1.0'), True)
    >>> two = mpmath.mpf(2)
    >>> decide("lt", two, two, dps=50)[1], decide("le", two, two, dps=50)[1]
    (False, True)
    """
    if relation not in RELATIONS:
        raise ValueError(f"relation must be one of {RELATIONS}, got {relation!r}")
    with mpmath.workdps(dps):
        slack = mpmath.mpf(10) ** (-(dps - 5)) * mpmath.mpf(scale)
        if relation in ("le", "lt"):
            margin = bound - measured
        elif relation == "ge":
            margin = measured - bound
        else:
            margin = -abs(measured - bound)
        passed = margin > 0 if relation == "lt" else margin >= -slack
        return margin, bool(passed)
