"""The `Result` record: one definition, lemma, theorem, ... of THEORY.md, as SymPy objects.

A Result holds what is *claimed*; whether the claim has been checked is not stored here
but computed from the evidence registered for it (see `evidence.py`), so a status can
never be typed in by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

KINDS = ("definition", "lemma", "theorem", "proposition", "corollary", "experiment")
PROVENANCES = ("paper", "condensation", "tv-theory", "companion")


@dataclass(frozen=True)
class Result:
    """One entry of the blueprint.

    `formula` is the SymPy object that encodes the result: the defining equation of a
    definition, the bound (a relation, or a `Tuple` of relations) of a lemma or theorem.
    It is None for results that are only stated in prose so far.

    >>> import sympy
    >>> x, y = sympy.symbols("x y", positive=True)
    >>> r = Result("lem:demo", "lemma", "Demo", "x <= y", "x <= y", ("companion",), formula=sympy.Le(x, y))
    >>> r.relations(), r.bound, sorted(r.free_symbols, key=str)
    ([x <= y], x <= y, [x, y])
    >>> Result("demo", "lemma", "Demo", "x <= y", "x <= y", ("companion",))
    Traceback (most recent call last):
    ...
    ValueError: id must look like 'lem:name', got 'demo'
    """

    id: str
    kind: str
    title: str
    statement: str
    latex: str
    provenance: tuple[str, ...]
    formula: sympy.Basic | None = None
    hypotheses: tuple[sympy.Basic, ...] = ()
    uses: tuple[str, ...] = ()
    notes: str = ""

    def __post_init__(self) -> None:
        stem, _, rest = self.id.partition(":")
        if not rest or stem not in {"def", "lem", "thm", "prop", "cor", "exp"}:
            raise ValueError(f"id must look like 'lem:name', got {self.id!r}")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        bad = [p for p in self.provenance if p not in PROVENANCES]
        if not self.provenance or bad:
            raise ValueError(f"provenance must be a non-empty subset of {PROVENANCES}, got {bad}")

    @property
    def bound(self) -> sympy.Basic | None:
        """The bound or identity (DESIGN.md's name for `formula` of a non-definition).

        >>> from natsparse.proofs import get
        >>> get("thm:output-error").bound
        (err <= D_SH*tau, D_SH*tau <= 2*tau*v_max)
        >>> get("def:attention").bound is None  # a definition defines, it bounds nothing
        True
        """
        return None if self.kind == "definition" else self.formula

    def relations(self) -> list[sympy.Basic]:
        """The formula as a flat list of relations/equations (empty when only stated).

        >>> from natsparse.proofs import get
        >>> get("lem:gap-bound").relations()
        [tau <= 1/(k*exp(Delta_k)/(-k + n) + 1), tau <= (-k + n)*exp(-LSE + s_k1)]
        """
        if self.formula is None:
            return []
        if isinstance(self.formula, sympy.Tuple | tuple | list):
            return list(self.formula)
        return [self.formula]

    @property
    def free_symbols(self) -> set[sympy.Symbol]:
        """Parameters of the formula (what `natsparse bound ID --param value` accepts).

        >>> from natsparse.proofs import get
        >>> sorted(map(str, get("lem:gap-bound").free_symbols))
        ['Delta_k', 'LSE', 'k', 'n', 's_k1', 'tau']
        """
        out: set[sympy.Symbol] = set()
        for rel in self.relations():
            out |= {s for s in rel.free_symbols if isinstance(s, sympy.Symbol)}
        return out
