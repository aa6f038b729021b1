"""natsparse.proofs — every result of THEORY.md as a SymPy `Result`, with computed status.

    >>> from natsparse.proofs import get
    >>> get("lem:gap-bound").kind
    'lemma'
"""

from . import gaussian_derivations, symbolic  # noqa: F401  (register their proofs as evidence)
from .evidence import Evidence, EvidenceRun, Outcome, evidence_for, register, run_evidence
from .registry import get, registry, status
from .result import Result

__all__ = ["Evidence", "EvidenceRun", "Outcome", "Result", "evidence_for", "get", "register",
           "registry", "run_evidence", "status"]
