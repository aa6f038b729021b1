"""The check record shared by tests, the book and the CLI (DESIGN.md "Numbers")."""

from __future__ import annotations

from dataclasses import dataclass, field

import mpmath

RELATIONS = ("le", "lt", "ge", "gt", "eq")


@dataclass(frozen=True)
class CheckRecord:
    """One relation of one result, evaluated on one input.

    `relation` says how `measured` must compare with `bound` ("le": measured <= bound,
    "lt", "ge", "gt", or "eq": equal to the working precision). `margin` is signed so that
    margin >= 0 means the relation holds with room (for "eq": minus the absolute gap).
    `passed` is decided in mpmath at the working precision; `certified` is arb's verdict:
    True (proved for this input), False (proved violated) or None (balls overlap: undecided,
    e.g. an exact equality case, or no certificate for this relation).

    `relation_index` is the index of the relation in the registry formula of `result_id`
    that gave both sides (None for a relation that is not in the formula), and `at` holds the
    values (50-digit mpmath numbers, or ints) of that relation's symbols on this input:
    `measured` is its left-hand side there and `bound` its right-hand side.
    `vacuous` marks a record whose two sides are both within the slack of `decide` (e.g.
    tau = e^-1000 against a bound of e^-900): rounding, not the relation, decides its verdict,
    so it checks nothing at 50 digits (`informative` leaves it out; arb's `certified` may still
    decide it, at the precision the magnitudes need).

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
    relation_index: int | None = None
    at: dict = field(default_factory=dict)
    vacuous: bool = False

    @property
    def ratio(self) -> float:
        """How tight the relation is on this input (1 when attained), as measured / bound for an
        upper bound or an identity ("le", "lt", "eq") and bound / measured for a lower bound ("ge",
        "gt"); nan where the divisor is 0.

        >>> from natsparse.numeric.checks import check_max_weight
        >>> check_max_weight([0.0, 0.0, 0.0, 0.0], k=2)[0].ratio      # tau = 1/2 = 1 - 2 * 1/4
        1.0
        """
        num, den = ((self.bound, self.measured) if self.relation in ("ge", "gt")
                    else (self.measured, self.bound))
        return float(num / den) if den != 0 else float("nan")

    def as_row(self) -> dict:
        """A flat, printable view (floats rounded to 6 significant digits)."""
        return {"id": self.result_id, "relation": self.name,
                "bound": mpmath.nstr(self.bound, 6), "measured": mpmath.nstr(self.measured, 6),
                "margin": mpmath.nstr(self.margin, 3), "passed": self.passed,
                "certified": self.certified}


def informative(records):
    """The records that check something: those not `vacuous`.

    >>> from natsparse.numeric.checks import check_gap_bound
    >>> recs = check_gap_bound([0.0, -2000.0], k=1)          # tau = e^-2000: both sides ~ 1e-869
    >>> [r.vacuous for r in recs], informative(recs)
    ([True, True], [])
    """
    return [r for r in records if not r.vacuous]


def slack(*, dps: int, scale=1) -> mpmath.mpf:
    """The absolute slack of `decide`: 10^-(dps-5) * scale (the rounding of a dps-digit evaluation).

    >>> mpmath.nstr(slack(dps=50), 3), mpmath.nstr(slack(dps=50, scale=10 ** 10), 3)
    ('1.0e-45', '1.0e-35')
    """
    with mpmath.workdps(dps):
        return mpmath.mpf(10) ** (-(dps - 5)) * mpmath.mpf(scale)


def is_vacuous(measured, bound, *, dps: int, scale=1) -> bool:
    """Both sides within the slack of `decide`: rounding, not the relation, decides the verdict.

    >>> tiny, small = mpmath.mpf("1e-60"), mpmath.mpf("1e-30")
    >>> is_vacuous(tiny, 3 * tiny, dps=50), is_vacuous(0, small, dps=50)
    (True, False)
    """
    s = slack(dps=dps, scale=scale)
    return bool(abs(measured) <= s and abs(bound) <= s)


def decide(relation: str, measured, bound, *, dps: int, scale=1) -> tuple[mpmath.mpf, bool]:
    """(margin, passed) at working precision: a slack of 10^-(dps-5) * scale, the rounding
    error of a 50-digit evaluation, lets an exact equality case (a tight bound) pass.

    >>> decide("le", mpmath.mpf(1), mpmath.mpf(2), dps=50)
    (mpf('1.0'), True)
    >>> two = mpmath.mpf(2)
    >>> decide("lt", two, two, dps=50)[1], decide("le", two, two, dps=50)[1]
    (False, True)
    >>> decide("gt", two, two, dps=50)[1], decide("gt", 2 * two, two, dps=50)[1]
    (False, True)
    """
    if relation not in RELATIONS:
        raise ValueError(f"relation must be one of {RELATIONS}, got {relation!r}")
    tol = slack(dps=dps, scale=scale)
    with mpmath.workdps(dps):
        if relation in ("le", "lt"):
            margin = bound - measured
        elif relation in ("ge", "gt"):
            margin = measured - bound
        else:
            margin = -abs(measured - bound)
        passed = margin > 0 if relation in ("lt", "gt") else margin >= -tol
        return margin, bool(passed)
