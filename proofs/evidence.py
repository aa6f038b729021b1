"""Evidence and the computed status ladder of THEORY.md.

A piece of evidence is a function, registered for one result id, that runs a check and
returns an `Outcome`. Symbolic proofs (`proofs.symbolic`) register `certified` evidence;
numeric modules register `sampled` evidence (seeded Monte Carlo, generated panels) or
`certified` evidence (arb certificates on a stated domain). The status of a result is
computed from the outcomes, never typed:

stated -> encoded -> sampled -> certified -> fully-certified, and `failed` whenever a
registered check fails, so a broken claim is never shown as checked.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

LEVELS = ("sampled", "certified")
STATUSES = ("failed", "stated", "encoded", "sampled", "certified", "fully-certified")


@dataclass(frozen=True)
class Outcome:
    """What one piece of evidence found: did it pass, and a short human-readable detail."""

    passed: bool
    detail: str


@dataclass(frozen=True)
class Evidence:
    """A registered check: which result, how strong (`level`), by which `tool`, on what domain."""

    result_id: str
    level: str
    tool: str
    domain: str
    run: Callable[[], Outcome]


@dataclass(frozen=True)
class EvidenceRun:
    """An evidence record together with its outcome and the seconds it took."""

    evidence: Evidence
    outcome: Outcome
    seconds: float


_EVIDENCE: dict[str, list[Evidence]] = {}
_RUNS: dict[int, EvidenceRun] = {}


def register(result_id: str, *, level: str, tool: str, domain: str):
    """Decorator: register `fn() -> Outcome` as evidence for `result_id`."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")

    def deco(fn: Callable[[], Outcome]) -> Callable[[], Outcome]:
        ev = Evidence(result_id, level, tool, domain, fn)
        bucket = _EVIDENCE.setdefault(result_id, [])
        if any(e.run.__qualname__ == fn.__qualname__ and e.run.__module__ == fn.__module__
               for e in bucket):
            return fn  # re-import of the same module: keep one registration
        bucket.append(ev)
        return fn

    return deco


def evidence_for(result_id: str) -> list[Evidence]:
    """All evidence registered for `result_id` (in registration order)."""
    return list(_EVIDENCE.get(result_id, []))


def registered_ids() -> set[str]:
    """Ids that have at least one piece of evidence (used to detect typos in registrations)."""
    return set(_EVIDENCE)


def run_evidence(ev: Evidence) -> EvidenceRun:
    """Run one piece of evidence once per process (results are cached); exceptions fail it."""
    key = id(ev.run)
    if key not in _RUNS:
        t0 = time.perf_counter()
        try:
            out = ev.run()
            if not isinstance(out, Outcome):
                out = Outcome(False, f"evidence returned {type(out).__name__}, not Outcome")
        except Exception as exc:  # a crashing check is a failing check, shown as such
            out = Outcome(False, f"{type(exc).__name__}: {exc}")
        _RUNS[key] = EvidenceRun(ev, out, time.perf_counter() - t0)
    return _RUNS[key]
