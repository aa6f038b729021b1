"""Evidence, its outcomes, and the rules that turn outcomes into a status (THEORY.md's ladder).

A piece of evidence is a function, registered for one result id, that runs a check and
returns an `Outcome`. The registrations themselves live in the evidence layer
(`natsparse.evidence`, one module per family); this module is only the machinery, so that
`natsparse.proofs` imports nothing of the numeric layers. The status of a result is computed
from the outcomes by `status_from`, never typed:

stated -> encoded -> sampled -> verified -> proved -> fully-proved, and `failed` whenever a
registered check fails, so a broken claim is never shown as checked. Definitions have their own top
rung, `defined` (their implementations agree with their formula), and axioms are `axiom` (assumed,
cited): neither is ever `proved`. Each level says what the
machine checked: `sampled` seeded numerics; `verified` rigorous arithmetic on finitely many cases
(SymPy on every n up to a bound, arb balls on stated rows); `proved` a machine proof of the general
statement. A finite check is never `proved`. Each piece of evidence states its scope in words
(`domain`) and as data (`scope`).

    >>> status_from(has_formula=True, levels=["verified"], passed=True, uses_full=lambda: False)
    'verified'
    >>> status_from(has_formula=True, levels=["proved", "sampled"], passed=True, uses_full=lambda: True)
    'fully-proved'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

#: What a piece of evidence can establish, weakest first.
LEVELS = ("sampled", "verified", "proved")


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
    "verified": StatusStyle("rigorous arithmetic on finitely many cases (SymPy for every n up to a "
                            "bound, arb on stated rows)", "#2f6fb3", "#dcefe0", "#12331b", False, "cyan"),
    "proved": StatusStyle("a machine proof of the general statement", "#1b6b34", "#a8d8b4", "#12331b",
                          False, "green"),
    "fully-proved": StatusStyle("proved, and everything its proof cites is fully proved, a defined "
                                "definition or an axiom", "#1b6b34", "#2e8b4f", "#ffffff", False,
                                "bold green"),
    "defined": StatusStyle("a definition whose implementations agree with its formula (the checks that "
                           "read it pass)", "#1b6b34", "#d9ecff", "#12331b", False, "bold blue"),
    "axiom": StatusStyle("a textbook fact the kernel assumes, with its citation", "#5b3f8c", "#ece4f7",
                         "#2a1d40", False, "magenta"),
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
    """A registered check: which result, how strong (`level`), by which `tool`, on what domain
    (in words) and scope (as data: `register` says what it holds).

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
    scope: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> str:
        """The stable name of this evidence, made of its result, level, tool, domain and function name."""
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


def register(result_id: str, *, level: str, tool: str, domain: str, scope: dict | None = None,
             name: str | None = None):
    """Decorator: register `fn() -> Outcome` as evidence for `result_id`.

    `domain` states the scope in words, `scope` as data (e.g. {"n_max": 5} for SymPy on every
    n <= 5, {"rows": 25, "seed": 7} for arb on rows, {"n": "all"} for a general proof); a
    `proved` piece must say it covers the general statement ({"general": True}), so that no
    finite check can be registered as a proof. `name` (default: the function's qualified name)
    tells apart several registrations made by one function in a loop; registering the same name
    twice keeps one. The registrations of the project live in `natsparse.evidence`.

    >>> register("lem:gap-bound", level="certified", tool="sympy", domain="every n")
    Traceback (most recent call last):
    ...
    ValueError: level must be one of ('sampled', 'verified', 'proved'), got 'certified'
    >>> register("lem:gap-bound", level="proved", tool="sympy", domain="n <= 5", scope={"n_max": 5})
    Traceback (most recent call last):
    ...
    ValueError: a proved piece of evidence needs scope {'general': True}, got {'n_max': 5}
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    scope = dict(scope or {})
    if (level == "proved") != (scope.get("general") is True):
        what = "a proved piece of evidence needs" if level == "proved" else f"a {level} piece cannot claim"
        raise ValueError(f"{what} scope {{'general': True}}, got {scope}")

    def deco(fn: Callable[[], Outcome]) -> Callable[[], Outcome]:
        if name is not None:
            fn.__qualname__ = name
        bucket = _EVIDENCE.setdefault(result_id, [])
        if not any(e.run.__qualname__ == fn.__qualname__ and e.run.__module__ == fn.__module__
                   for e in bucket):
            bucket.append(Evidence(result_id, level, tool, domain, fn, scope))
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
                uses_full: Callable[[], bool], kind: str = "lemma") -> str:
    """The status rule: `levels` of the evidence that ran, whether all of it `passed`, and
    `uses_full()`: is everything its proof cites fully proved, a defined definition or an axiom (called
    only when it matters). A definition is not proved but `defined` once its checks (which read its
    formula) pass; an axiom is assumed: `axiom`, with its citation.

    >>> status_from(has_formula=True, levels=["verified"], passed=True, uses_full=lambda: False,
    ...             kind="definition")
    'defined'
    >>> status_from(has_formula=True, levels=[], passed=True, uses_full=lambda: False, kind="axiom")
    'axiom'

    >>> status_from(has_formula=True, levels=["proved", "sampled"], passed=False, uses_full=lambda: True)
    'failed'
    >>> status_from(has_formula=False, levels=[], passed=True, uses_full=lambda: True)
    'stated'
    """
    levels = set(levels)
    if not passed:
        return "failed"
    if kind == "axiom" and has_formula:
        return "axiom"
    if kind == "definition" and levels:
        return "defined"
    if "proved" in levels:
        return "fully-proved" if uses_full() else "proved"
    if "verified" in levels:
        return "verified"
    if "sampled" in levels:
        return "sampled"
    return "encoded" if has_formula else "stated"


def short_scope(scope: dict) -> str:
    """A few words for a scope (the CLI's and the graph's column beside the status).

    >>> short_scope({"general": True}), short_scope({"n_max": 5}), short_scope({"rows": 25, "seed": 7})
    ('general', 'n <= 5', '25 rows')
    >>> short_scope({"n": 256, "rows": 8000, "seed": 1})
    'n=256, 8000 rows'
    """
    if scope.get("general") is True:
        return "general"
    words = {"n_max": "n <= {}", "d_max": "d <= {}", "n": "n={}", "rows": "{} rows",
             "rational_rows": "{} exact rows", "edge_rows": "{} edge rows"}
    parts = [words[k].format(v) for k, v in scope.items() if k in words]
    return ", ".join(parts) or "-"
