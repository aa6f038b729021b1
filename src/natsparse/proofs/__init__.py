"""natsparse.proofs — every result of THEORY.md as a SymPy `Result`, the SymPy proofs, and the
machinery of evidence and status. It imports nothing else of natsparse; the registrations of
evidence and the computed `status` live in `natsparse.evidence`.

The shared symbols are `natsparse.proofs.symbols` (printed names = Python names = the options of
`natsparse bound`); substitute into a result by name with `Result.subs`.

    >>> from natsparse.proofs import get, symbols
    >>> get("lem:gap-bound").kind, get("lem:eps-k-tail").subs(n=100, k=3, eps="0.001")[0]
    ('lemma', tau <= 97/1000)
"""

from . import symbols
from .evidence import (
    LEVELS,
    STATUS_TABLE,
    STATUSES,
    Evidence,
    EvidenceRun,
    Outcome,
    evidence_for,
    register,
    short_scope,
    status_from,
)
from .registry import get, registry
from .result import Result

__all__ = ["LEVELS", "STATUSES", "STATUS_TABLE", "Evidence", "EvidenceRun", "Outcome", "Result",
           "evidence_for", "get", "register", "registry", "short_scope", "status_from", "symbols"]
