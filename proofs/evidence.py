"""Evidence, its outcomes, and the rules that turn outcomes into a status (THEORY.md's ladder).

A piece of evidence is a function, registered for one result id, that runs a check and
returns an `Outcome`. The registrations themselves live in the evidence layer
(`natsparse.evidence`, one module per family); this module is only the machinery, so that
`natsparse.proofs` imports nothing of the numeric layers. The status of a result is computed
from the outcomes by `status_from`, never typed:

stated -> encoded -> sampled -> certified -> fully-certified, and `failed` whenever a
registered check fails, so a broken claim is never shown as checked.

    >>> status_from(has_formula=True, levels=["certified"], passed=True, uses_full=lambda: False)
    'certified'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

LEVELS = ("sampled", "certified")


@dataclass(frozen=True)
class StatusStyle:
    """How one status is shown: its meaning, the graph's (stroke, fill, ink, dashed) and the CLI's
    rich style. The border tells what exists (stated: dashed grey), the fill how strongly checked.

    >>> STATUS_TABLE["failed"].terminal, STATUS_TABLE["stated"].dashed
    ('bold red', True)
    >>> STATUSES[0], STATUSES[-1]
    ('stated', 'failed')
    """

    meaning: str
    stroke: str
    fill: str
    ink: str
    dashed: bool
    terminal: str


#: The one status table: the ladder in order, then `failed`. CLI, book tables and graph read it.
STATUS_TABLE: dict[str, StatusStyle] = {
    "stated": StatusStyle("stated in prose only", "#8a8f98", "#ffffff", "#3b4048", True, "dim"),
    "encoded": StatusStyle("a SymPy object exists", "#2f6fb3", "#ffffff", "#1d2a3a", False, "white"),
    "sampled": StatusStyle("seeded numeric checks pass", "#2f6fb3", "#fdf1c7", "#1d2a3a", False, "yellow"),
    "certified": StatusStyle("SymPy or arb proves it on a stated scope", "#2f6fb3", "#cdebd3", "#12331b",
                             False, "green"),
    "fully-certified": StatusStyle("certified, and everything it uses too", "#1b6b34", "#2e8b4f", "#ffffff",
                                   False, "bold green"),
    "failed": StatusStyle("a registered check fails", "#a4161a", "#f8c9c9", "#5c0a0c", False, "bold red"),
}
STATUSES = tuple(STATUS_TABLE)


@dataclass(frozen=True)
class Outcome:
    """What one piece of evidence found: did it pass, and a short human-readable detail.

    >>> Outcome(True, "12 rows within the bound").passed
    True
    """

    passed: bool
    detail: str


@dataclass(frozen=True)
class Evidence:
    """A registered check: which result, how strong (`level`), by which `tool`, on what domain.

    >>> def one_row():
    ...     return Outcome(True, "1 row")
    >>> ev = Evidence("lem:gap-bound", "sampled", "mpmath", "one row", one_row)
    >>> ev.run().detail
    '1 row'
    >>> ev.key
    'lem:gap-bound|sampled|mpmath|one row|natsparse.proofs.evidence.one_row'
    """

    result_id: str
    level: str
    tool: str
    domain: str
    run: Callable[[], Outcome]

    @property
    def key(self) -> str:
        """A stable name of this evidence: result, level, tool, domain and the function's name."""
        return "|".join((self.result_id, self.level, self.tool, self.domain,
                         f"{self.run.__module__}.{self.run.__qualname__}"))


@dataclass(frozen=True)
class EvidenceRun:
    """An evidence record together with its outcome and the seconds it took.

    >>> ev = Evidence("lem:gap-bound", "sampled", "mpmath", "one row", lambda: Outcome(True, "ok"))
    >>> EvidenceRun(ev, ev.run(), 0.01).outcome
    Outcome(passed=True, detail='ok')
    """

    evidence: Evidence
    outcome: Outcome
    seconds: float


_EVIDENCE: dict[str, list[Evidence]] = {}


def register(result_id: str, *, level: str, tool: str, domain: str, name: str | None = None):
    """Decorator: register `fn() -> Outcome` as evidence for `result_id`.

    `name` (default: the function's qualified name) tells apart several registrations made by
    one function in a loop; registering the same name twice keeps one. The registrations of the
    project live in `natsparse.evidence`; a level beyond the two of the ladder is refused:

    >>> register("lem:gap-bound", level="proved", tool="sympy", domain="every n")
    Traceback (most recent call last):
    ...
    ValueError: level must be one of ('sampled', 'certified'), got 'proved'
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")

    def deco(fn: Callable[[], Outcome]) -> Callable[[], Outcome]:
        if name is not None:
            fn.__qualname__ = name
        bucket = _EVIDENCE.setdefault(result_id, [])
        if not any(e.run.__qualname__ == fn.__qualname__ and e.run.__module__ == fn.__module__
                   for e in bucket):
            bucket.append(Evidence(result_id, level, tool, domain, fn))
        return fn

    return deco


def evidence_for(result_id: str) -> list[Evidence]:
    """All evidence registered for `result_id` (in registration order).

    >>> evidence_for("lem:no-such-result")
    []
    """
    return list(_EVIDENCE.get(result_id, []))


def registered_ids() -> set[str]:
    """Ids that have at least one piece of evidence (used to detect typos in registrations).

    >>> from natsparse.proofs import registry
    >>> registered_ids() <= set(registry)
    True
    """
    return set(_EVIDENCE)


def status_from(*, has_formula: bool, levels: Iterable[str], passed: bool,
                uses_full: Callable[[], bool]) -> str:
    """The status rule: `levels` of the evidence that ran, whether all of it `passed`, and
    `uses_full()`: is every result it uses fully certified (called only when it matters).

    >>> status_from(has_formula=True, levels=["certified", "sampled"], passed=False, uses_full=lambda: True)
    'failed'
    >>> status_from(has_formula=False, levels=[], passed=True, uses_full=lambda: True)
    'stated'
    """
    levels = set(levels)
    if not passed:
        return "failed"
    if "certified" in levels:
        return "fully-certified" if uses_full() else "certified"
    if "sampled" in levels:
        return "sampled"
    return "encoded" if has_formula else "stated"
