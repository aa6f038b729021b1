"""The registry: every result of THEORY.md by id, and its computed status."""

from __future__ import annotations

from .definitions import DEFINITIONS
from .deterministic import DETERMINISTIC
from .evidence import evidence_for, run_evidence
from .experiments import EXPERIMENTS
from .gaussian import GAUSSIAN
from .result import Result

registry: dict[str, Result] = {}
for _r in DEFINITIONS + DETERMINISTIC + GAUSSIAN + EXPERIMENTS:
    if _r.id in registry:
        raise RuntimeError(f"duplicate result id {_r.id}")
    registry[_r.id] = _r


def get(result_id: str) -> Result:
    """The Result with this id; a clear error (with close matches) for an unknown id."""
    if not isinstance(result_id, str):
        raise TypeError(f"result_id must be a str like 'thm:sparse-whp', got {type(result_id).__name__}")
    try:
        return registry[result_id]
    except KeyError:
        import difflib
        close = difflib.get_close_matches(result_id, registry, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"unknown result id {result_id!r}{hint}") from None


def status(result_id: str, _seen: frozenset[str] = frozenset()) -> str:
    """Computed status: failed, stated, encoded, sampled, certified or fully-certified.

    Runs (once per process) every piece of evidence registered for the result. Importing
    `natsparse.numeric` registers the numeric evidence; without it only the symbolic
    proofs count.
    """
    r = get(result_id)
    if r.formula is None and not evidence_for(result_id):
        return "stated"
    runs = [run_evidence(e) for e in evidence_for(result_id)]
    if any(not x.outcome.passed for x in runs):
        return "failed"
    levels = {x.evidence.level for x in runs}
    if "certified" in levels:
        base = "certified"
    elif "sampled" in levels:
        base = "sampled"
    else:
        base = "encoded" if r.formula is not None else "stated"
    if base != "certified":
        return base
    if result_id in _seen:
        raise RuntimeError(f"cycle in `uses` through {result_id}")
    seen = _seen | {result_id}
    if all(status(u, seen) == "fully-certified" for u in r.uses):
        return "fully-certified"
    return "certified"
