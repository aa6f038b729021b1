"""Which keys a row keeps: one :class:`Selection` record for every backend.

The three public functions differ only in their sparsity parameter: ``top_k`` (def:topk-attention),
``eps`` (def:threshold-attention) or ``max_tail`` (def:mass-attention). :func:`selection` checks it
once and the backends receive the record, never the trio of optional arguments.
"""

from __future__ import annotations

from typing import NamedTuple

from . import validate

KINDS = ("top_k", "eps", "max_tail")


class Selection(NamedTuple):
    """How each row picks its kept keys: ``kind`` is "top_k", "eps" or "max_tail", ``value`` its
    checked parameter (an int for top_k, a float otherwise).

    >>> Selection("top_k", 4).top_k, Selection("eps", 0.1).top_k
    (4, None)
    """

    kind: str
    value: int | float

    @property
    def top_k(self) -> int | None:
        """k for a top-k selection, else None (the kernel's count check needs it)."""
        return int(self.value) if self.kind == "top_k" else None


def selection(kind: str, value: object, n: int) -> Selection:
    """The checked :class:`Selection` for ``kind`` and its parameter, with N = n keys.

    >>> selection("top_k", 3, n=8)
    Selection(kind='top_k', value=3)
    >>> selection("max_tail", 1.5, n=8)
    Traceback (most recent call last):
    ...
    ValueError: max_tail must be in [0, 1), got 1.5
    """
    if kind == "top_k":
        return Selection(kind, validate.check_top_k(value, n))
    if kind == "eps":
        return Selection(kind, validate.check_eps(value))
    if kind == "max_tail":
        return Selection(kind, validate.check_max_tail(value))
    raise ValueError(f"selection kind must be one of {', '.join(map(repr, KINDS))}, got {kind!r}")
