"""proofs/result.py: a `Result` refuses a malformed id, kind or provenance, and reads its formula."""

import pytest
import sympy as sp

from natsparse.proofs import get
from natsparse.proofs.result import Result


def test_result_rejects_bad_fields():
    with pytest.raises(ValueError, match="id must look like"):
        Result("gap", "lemma", "t", "s", "l", ("companion",))
    with pytest.raises(ValueError, match="kind must be one of"):
        Result("lem:x", "lemma!", "t", "s", "l", ("companion",))
    with pytest.raises(ValueError, match="provenance"):
        Result("lem:x", "lemma", "t", "s", "l", ("folklore",))


def test_relations_bound_and_free_symbols_read_the_formula():
    x, y = sp.symbols("x y", positive=True)
    one = Result("lem:x", "lemma", "t", "s", "l", ("companion",), formula=sp.Le(x, y))
    two = Result("lem:y", "lemma", "t", "s", "l", ("companion",), formula=sp.Tuple(sp.Le(x, y), sp.Eq(y, 2)))
    assert one.relations() == [sp.Le(x, y)] and two.relations() == [sp.Le(x, y), sp.Eq(y, 2)]
    assert one.bound == sp.Le(x, y) and one.free_symbols == {x, y}
    stated = Result("lem:z", "lemma", "t", "s", "l", ("companion",))
    assert stated.relations() == [] and stated.bound is None and stated.free_symbols == set()
    assert get("def:attention").bound is None  # a definition defines, it bounds nothing
