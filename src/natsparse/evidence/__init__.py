"""natsparse.evidence — every registered check of the project, and the computed status.

One module per family registers its evidence with `natsparse.proofs.register`:
`definitions`, `deterministic` (the kernel proofs, mpmath panels, arb certificates), `gaussian`
(SymPy derivations, Monte Carlo), `kernel`, `real_model` and `condensation`. `load()` imports
them all, explicitly, so `status()` always sees every piece of evidence, whatever was imported
before. Registering is cheap: the family modules import torch, flint, the numeric evaluators
and the experiments only inside the functions that run the checks, so `natsparse list` can
read cached outcomes without loading any of them. `run()` runs one piece once per process;
with `cache=True` it also reads and writes the on-disk cache of `natsparse.evidence.cache`
(the CLI's default), which is keyed by a hash of the package's source, so a stale outcome is
never read as fresh; with `refresh=True` it runs the piece again (once per process).

    >>> from natsparse.evidence import status
    >>> status("def:attention"), status("ax:norm-triangle")
    ('defined', 'axiom')
"""

from __future__ import annotations

import contextlib
import importlib
import time
from collections.abc import Iterable, Iterator

from natsparse.proofs import Evidence, EvidenceRun, Outcome, evidence_for, get, status_from

FAMILIES = ("definitions", "deterministic", "gaussian", "kernel", "real_model", "condensation")

_RUNS: dict[str, EvidenceRun] = {}   # evidence key -> its run in this process (executed or read)
_FRESH: set[str] = set()              # keys of the runs this process executed itself


def load() -> None:
    """Register the evidence of every family (idempotent: a module registers once)."""
    for family in FAMILIES:
        importlib.import_module(f"{__name__}.{family}")


def all_evidence(result_id: str) -> list[Evidence]:
    """Every piece of evidence for `result_id`, after `load()`."""
    load()
    return evidence_for(result_id)


def _execute(ev: Evidence) -> EvidenceRun:
    t0 = time.perf_counter()
    try:
        out = ev.run()
        if not isinstance(out, Outcome):
            out = Outcome(False, f"evidence returned {type(out).__name__}, not Outcome")
    except Exception as exc:  # a crashing check is a failing check, shown as such
        out = Outcome(False, f"{type(exc).__name__}: {exc}")
    return EvidenceRun(ev, out, time.perf_counter() - t0)


def run(ev: Evidence, *, cache: bool = False, refresh: bool = False) -> EvidenceRun:
    """Run one piece of evidence once per process; exceptions fail it.

    cache=True: take the outcome from the on-disk cache when it was computed from the same source
    and parameters, and store a fresh one there. refresh=True: never read the disk cache; run the
    piece again unless this process has already run it itself (so a refreshed `status` runs each
    piece once, even when several results use it).
    """
    from . import cache as disk

    done = _RUNS.get(ev.key)
    if done is not None and (not refresh or ev.key in _FRESH):
        return done
    hit = disk.read(ev) if cache and not refresh else None
    if hit is not None:
        _RUNS[ev.key] = hit
        return hit
    _RUNS[ev.key] = done = _execute(ev)
    _FRESH.add(ev.key)
    if cache:
        disk.write(done)
    return done


def last_run(ev: Evidence) -> EvidenceRun | None:
    """This process's run of `ev`, or None (the mutation gate runs the quickest evidence first)."""
    return _RUNS.get(ev.key)


@contextlib.contextmanager
def forgetting(keys: Iterable[str]) -> Iterator[None]:
    """Within the block the runs of the evidence `keys` are forgotten, so that `run(ev, refresh=True)`
    runs them again; on exit, even on an error, every run of this process is as before the block."""
    saved_runs, saved_fresh = dict(_RUNS), set(_FRESH)
    try:
        for key in keys:
            _RUNS.pop(key, None)
            _FRESH.discard(key)
        yield
    finally:
        _RUNS.clear()
        _RUNS.update(saved_runs)
        _FRESH.clear()
        _FRESH.update(saved_fresh)


def runs(result_id: str, *, cache: bool = False, refresh: bool = False) -> list[EvidenceRun]:
    """Every piece of evidence for `result_id`, run (see `run`)."""
    return [run(ev, cache=cache, refresh=refresh) for ev in all_evidence(result_id)]


def status(result_id: str, *, cache: bool = False, refresh: bool = False,
           _seen: frozenset[str] = frozenset()) -> str:
    """Computed status of `result_id`: failed, stated, encoded, sampled, verified, proved, fully-proved,
    defined (a definition) or axiom.

    Runs (once per process) every piece of evidence registered for the result, of every family.
    """
    r = get(result_id)
    done = runs(result_id, cache=cache, refresh=refresh)
    if result_id in _seen:
        raise RuntimeError(f"cycle in `uses` through {result_id}")
    seen = _seen | {result_id}
    return status_from(
        has_formula=r.formula is not None, levels=[x.evidence.level for x in done],
        passed=all(x.outcome.passed for x in done), kind=r.kind,
        uses_full=lambda: all(status(u, cache=cache, refresh=refresh, _seen=seen) in FULL
                              for u in proof_uses(result_id)))


#: what a fully-proved result may rest on
FULL = ("fully-proved", "defined", "axiom")


def proof_uses(result_id: str) -> list[str]:
    """The registry ids the kernel proof of `result_id` cites (axioms, definitions, other results),
    read off the proof's steps; the registry's `uses` for a result without a kernel proof."""
    from natsparse.proofs import registry
    from natsparse.proofs.general import PROOFS

    if result_id in PROOFS:
        return [c for c in PROOFS[result_id].uses() if c in registry]
    return list(get(result_id).uses)


def scope(result_id: str, *, cache: bool = False) -> str:
    """What the evidence behind the status covers: the short scope and tool of every passing piece
    at the strongest level reached (empty when nothing was checked).

    >>> scope("lem:lognormal-tilt")
    'general (kernel)'
    """
    from natsparse.proofs import LEVELS, short_scope

    done = [x for x in runs(result_id, cache=cache) if x.outcome.passed]
    if not done:
        return ""
    top = max(LEVELS.index(x.evidence.level) for x in done)
    return "; ".join(f"{short_scope(x.evidence.scope)} ({x.evidence.tool})" for x in done
                     if LEVELS.index(x.evidence.level) == top)


__all__ = ["FAMILIES", "all_evidence", "load", "run", "runs", "scope", "status"]
