"""The `Result` record: one definition, lemma, theorem, ... of THEORY.md, as SymPy objects.

A Result holds what is *claimed*; whether the claim has been checked is not stored here
but computed from the evidence registered for it (see `evidence.py`), so a status can
never be typed in by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

KINDS = ("axiom", "definition", "lemma", "theorem", "proposition", "corollary", "experiment")
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
    #: Each relation of the formula holds with probability >= 1 - failure over the random scores of the
    #: Gaussian model, or always (under the hypotheses) when failure is None.
    failure: sympy.Basic | None = None
    #: The hypotheses that hold only with high probability, as pairs (relation, bound on the probability
    #: that it fails), counted in `failure`; a proof assumes them through `natsparse.proofs.chance.assume`.
    assumed: tuple[tuple[sympy.Basic, sympy.Basic], ...] = ()

    def __post_init__(self) -> None:
        stem, _, rest = self.id.partition(":")
        if not rest or stem not in {"ax", "def", "lem", "thm", "prop", "cor", "exp"}:
            raise ValueError(f"id must look like 'lem:name', got {self.id!r}")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        bad = [p for p in self.provenance if p not in PROVENANCES]
        if not self.provenance or bad:
            raise ValueError(f"provenance must be a non-empty subset of {PROVENANCES}, got {bad}")

    @property
    def bound(self) -> sympy.Basic | None:
        """The bound or identity (DESIGN.md's name for `formula` of a result that is neither a definition
        nor an axiom).

        >>> from natsparse.proofs import get
        >>> get("thm:output-error").bound
        (err <= D_SH*tau, D_SH*tau <= 2*tau*v_max)
        >>> get("def:attention").bound is None  # a definition defines, it bounds nothing
        True
        >>> get("ax:norm-triangle").bound is None  # an axiom is assumed: nothing to evaluate
        True
        """
        return None if self.kind in ("definition", "axiom") else self.formula

    def relations(self) -> list[sympy.Basic]:
        """The formula as a flat list of relations/equations (empty when only stated).

        >>> from natsparse.proofs import get
        >>> get("lem:gap-bound").relations()
        [tau <= 1/(k*exp(Delta)/(-k + n) + 1), tau <= (-k + n)*exp(-LSE + s_k1)]
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
        ['Delta', 'LSE', 'k', 'n', 's_k1', 'tau']
        """
        out: set[sympy.Symbol] = set()
        for rel in self.relations():
            out |= {s for s in rel.free_symbols if isinstance(s, sympy.Symbol)}
        return out

    def symbol(self, name) -> sympy.Symbol:
        """The symbol of this result's formula or hypotheses printed as `name`: a string, or any SymPy
        symbol of that name (the package's symbols carry assumptions, so a user's `Symbol("n")` is a
        different object; this finds the right one). Unknown names raise ValueError listing the known.

        >>> from natsparse.proofs import get
        >>> get("lem:gap-bound").symbol("n").is_integer, get("lem:gap-bound").symbol(sympy.Symbol("k"))
        (True, k)
        """
        known = {str(x): x for x in self._symbols()}
        found = known.get(str(name))
        if found is None:
            raise ValueError(f"{self.id} has no symbol {str(name)!r}; its symbols are {sorted(known)}")
        return found

    def subs(self, values: dict | None = None, /, **by_name) -> sympy.Basic:
        """The formula with values substituted, the symbols named by string, keyword or any SymPy
        symbol of the same name: `r.subs(n=10, k=3)`, `r.subs({"n": 10})`, `r.subs({Symbol("n"): 10})`.
        Numbers are taken exactly: a str as a decimal (`"0.1"` is 1/10), a float or mpf as the binary
        value it holds (so `evalf` can give as many digits as asked), an int or SymPy number as it is.

        >>> from natsparse.proofs import get
        >>> get("lem:eps-k-tail").subs(n=100, k=3, eps="0.001")
        (tau <= 97/1000, err <= 97*v_max/500)
        """
        if self.formula is None:
            raise ValueError(f"{self.id} has no formula to substitute into (it is only stated)")
        pairs = {**(values or {}), **by_name}
        return self.formula.xreplace({self.symbol(name): _exact(value, name)
                                      for name, value in pairs.items()})

    def evalf(self, digits: int = 15, values: dict | None = None, /, **by_name) -> sympy.Basic:
        """`subs`, then numbers to `digits` significant digits (the relations decided where SymPy can).

        >>> from natsparse.proofs import get
        >>> get("lem:gap-bound").evalf(6, n=10, k=3, Delta=1, LSE=2, s_k1=0)
        (tau <= 0.461898, tau <= 0.947347)
        """
        done = self.subs(values, **by_name)
        if isinstance(done, sympy.Tuple):
            return sympy.Tuple(*(x.evalf(digits) for x in done))
        return done.evalf(digits)

    def latex_formula(self) -> str:
        """The formula in the book's LaTeX (`natsparse.proofs.symbols.latex`: `\\varepsilon`, `\\Delta_k`).

        >>> from natsparse.proofs import get
        >>> get("lem:eps-k-tail").latex_formula().startswith(r"\\left( \\tau \\leq \\varepsilon")
        True
        """
        from .symbols import latex

        return latex(self.formula)

    def _symbols(self) -> set[sympy.Symbol]:
        out = set(self.free_symbols)
        for h in self.hypotheses:
            out |= {s for s in h.free_symbols if isinstance(s, sympy.Symbol)}
        return out


def _exact(value, name) -> sympy.Basic:
    """A number as an exact SymPy value: a float (or mpf) as its binary value, a str as a decimal."""
    if isinstance(value, float) or hasattr(value, "_mpf_"):
        import mpmath

        if not mpmath.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value}")
        man, exp = mpmath.mpf(value).man_exp
        return sympy.Integer(man) * sympy.Integer(2) ** exp
    return sympy.sympify(value, rational=True)
