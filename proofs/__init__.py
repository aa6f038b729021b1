"""natsparse.proofs — every result of THEORY.md as a SymPy `Result`, the SymPy proofs, and the
machinery of evidence and status. It imports nothing else of natsparse; the registrations of
evidence and the computed `status` live in `natsparse.evidence`.

    >>> from natsparse.proofs import get
    >>> get("lem:gap-bound").kind
    'lemma'
"""

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
           "evidence_for", "get", "register", "registry", "short_scope", "status_from"]
