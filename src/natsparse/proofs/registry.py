"""The registry: every result of THEORY.md by id (its status is computed in `natsparse.evidence`).

    >>> from natsparse.proofs import registry
    >>> registry["thm:output-error"].uses
    ('lem:output-factorization',)
    >>> all(u in registry for r in registry.values() for u in r.uses)
    True
"""

from __future__ import annotations

from .axioms import AXIOMS
from .definitions import DEFINITIONS
from .deterministic import DETERMINISTIC
from .experiments import EXPERIMENTS
from .gaussian import GAUSSIAN
from .result import Result

registry: dict[str, Result] = {}
for _r in AXIOMS + DEFINITIONS + DETERMINISTIC + GAUSSIAN + EXPERIMENTS:
    if _r.id in registry:
        raise RuntimeError(f"duplicate result id {_r.id}")
    registry[_r.id] = _r


def get(result_id: str) -> Result:
    """The Result with this id; a clear error (with close matches) for an unknown id.

    >>> get("thm:output-error").kind
    'theorem'
    """
    if not isinstance(result_id, str):
        raise TypeError(f"result_id must be a str like 'thm:sparse-whp', got {type(result_id).__name__}")
    try:
        return registry[result_id]
    except KeyError:
        import difflib
        close = difflib.get_close_matches(result_id, registry, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"unknown result id {result_id!r}{hint}") from None
