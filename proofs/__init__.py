"""natsparse.proofs — every result of THEORY.md as a SymPy `Result`, with computed status.

    >>> from natsparse.proofs import get
    >>> get("lem:gap-bound").kind
    'lemma'
"""

from . import symbolic  # noqa: F401  (registers the SymPy proofs as evidence)
from .evidence import Evidence, Outcome, evidence_for, register, run_evidence
from .registry import get, registry, status
from .result import Result

__all__ = ["Evidence", "Outcome", "Result", "evidence_for", "get", "register", "registry",
           "run_evidence", "status"]
