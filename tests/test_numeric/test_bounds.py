"""`bounds.evaluate` turns the registry's SymPy bounds into 50-digit numbers that match the
measured side on real inputs; `parameter_specs` and `check_parameters` give each parameter's meaning
and domain (from the symbols' assumptions and the result's hypotheses) and enforce them."""

import dataclasses

import mpmath
import numpy as np
import pytest
import sympy as sp
import torch
from flint import arb

from natsparse.numeric import arb as ab
from natsparse.numeric import bounds, mp
from natsparse.numeric.checks import check_gap_bound
from natsparse.proofs import symbols as S
from natsparse.proofs.registry import registry


def test_gap_bound_from_the_registry_formula_matches_the_check():
    s = np.random.default_rng(3).normal(size=40) * 3
    k = 5
    order = sorted(range(len(s)), key=lambda j: (-s[j], j))
    rec1, rec2 = check_gap_bound(s, k=k)
    values = list(bounds.evaluate("lem:gap-bound", n=len(s), k=k,
                                  Delta=mpmath.mpf(float(s[order[k - 1]])) - float(s[order[k]]),
                                  s_k1=float(s[order[k]]), LSE=mp.logsumexp(s)).values())
    with mpmath.workdps(50):
        assert mpmath.almosteq(values[0], rec1.bound, mpmath.mpf(10) ** -40)
        assert mpmath.almosteq(values[1], rec2.bound, mpmath.mpf(10) ** -40)


def test_parameters_are_the_printed_names():
    assert bounds.parameters("lem:eps-k-tail") == ["eps", "k", "n", "v_max"] == \
        sorted(str(x) for x in registry["lem:eps-k-tail"].free_symbols - {S.tau, S.err})
    out = bounds.evaluate("lem:eps-k-tail", n=100, k=3, eps=0.001, v_max=2)
    assert [float(v) for v in out.values()] == [0.097, 0.388]
    assert bounds.quantities("lem:eps-k-tail") == [("tau", "tau <= eps*(-k + n)"),
                                                   ("err", "err <= eps*v_max*(-2*k + 2*n)")]


def test_every_parameter_has_a_meaning_and_a_domain():
    """Each parameter of every result with a bound says what it is (no 'see the statement' for the
    package's symbols) and its domain, narrowed by the one-symbol hypotheses."""
    for rid in registry:
        if registry[rid].formula is None and not bounds.has_function(rid):
            continue
        if registry[rid].kind == "axiom":               # assumed, not evaluated
            with pytest.raises(ValueError, match="is an axiom"):
                bounds.parameter_specs(rid)
            continue
        for p in bounds.parameter_specs(rid):
            assert p.domain.startswith(("integer", "real number")), (rid, p)
            if p.symbol is not None and str(p.symbol) in S._BY_NAME:
                assert p.meaning != "see the statement", (rid, p.name)
    spec = {p.name: p for p in bounds.parameter_specs("thm:nC-sufficient")}
    assert spec["gamma"].domain.startswith("real number in (0, 1)")      # gamma > 0 and gamma < 1
    assert "C > 1 - gamma" in spec["C"].domain and spec["alpha"].default == 1
    assert spec["delta"].domain == "real number in (0, 1)"              # a probability
    assert {p.name: p.domain for p in bounds.parameter_specs("lem:gap-bound")}["n"] == \
        "integer >= 1; must satisfy k < n"
    lemma = {p.name: p for p in bounds.parameter_specs("lem:partition-lower")}
    assert lemma["delta"].symbol is S.delta_p                            # the lemma's own delta'


@pytest.mark.parametrize("rid, params, message", [
    ("thm:nC-sufficient", {"n": 100, "gamma": 2, "C": 0.5}, r"gamma must be < 1 .*got 2"),
    ("thm:nC-sufficient", {"n": 100, "gamma": 0.5, "C": 0.2}, r"needs C > 1 - gamma, which fails"),
    ("thm:nC-sufficient", {"n": 100, "gamma": 0.5}, r"parameter\(s\) \['C'\] needed: C \(exponent"),
    ("thm:sparse-whp", {"n": 100, "beta": 1, "eps": 0.1, "delta": 1}, r"delta must be in \(0, 1\)"),
    ("thm:sparse-whp", {"n": 100, "beta": 1, "eps": 1.5}, r"eps must be < 1"),
    ("thm:sparse-whp", {"n": 100, "beta": float("nan"), "eps": 0.1}, r"beta must be a finite number"),
    ("thm:sparse-whp", {"n": 100, "beta": 1, "eps": 0.1, "foo": 1}, r"unknown parameter foo"),
    ("lem:partition-lower", {"n": 100, "beta": 1, "delta": 2}, r"delta must be in \(0, 1\)"),
    ("lem:gap-bound", {"n": 3, "k": 3, "Delta": 1, "s_k1": 0, "LSE": 1}, r"needs k < n, which fails at k"),
    ("lem:eps-k-tail", {"n": 10, "k": 3, "eps": -1, "v_max": 1}, r"eps must be > 0, got -1"),
    ("lem:eps-k-tail", {"n": 10, "k": 3, "eps": True, "v_max": 1}, r"eps must be a number"),
    # an mpf keeps its sign (once mpf(-1) was read as +1 and passed the check)
    ("lem:gap-bound", {"n": 3, "k": 1, "Delta": mpmath.mpf(-1), "s_k1": 0, "LSE": 1}, r"Delta must be >= 0"),
    ("lem:eps-k-tail", {"n": 10, "k": 3, "eps": mpmath.mpf("-0.75"), "v_max": 1}, r"eps must be > 0"),
])
def test_check_parameters_names_the_parameter(rid, params, message):
    """Every hypothesis and assumption is enforced before anything is computed: no result for
    numbers outside the theorem's domain (once: thm:nC-sufficient at gamma = 2 answered, exit 0)."""
    with pytest.raises((ValueError, TypeError), match=message):
        bounds.check_parameters(rid, params)
    with pytest.raises((ValueError, TypeError), match=message):
        bounds.evaluate(rid, **params)


def test_check_parameters_accepts_the_domain():
    bounds.check_parameters("thm:nC-sufficient", {"n": 10**40, "gamma": 0.5, "C": 0.6})
    bounds.check_parameters("thm:error-whp", {"n": 100, "beta": 1, "eps": 0.1, "k": None})
    assert bounds.precision("lem:gap-bound") == bounds.DPS


def test_lambdified_bounds_agree_across_modules():
    rng = np.random.default_rng(0)
    n, k = 50, np.arange(1, 50)
    delta = rng.uniform(0, 5, size=k.size)
    syms, f_np = bounds.compile_bound("lem:gap-bound", 0, "numpy")
    assert [str(x) for x in syms] == ["Delta", "k", "n"]
    _, f_t = bounds.compile_bound("lem:gap-bound", 0, "torch")
    _, f_mp = bounds.compile_bound("lem:gap-bound", 0, "mpmath")
    got_np = f_np(delta, k, n)
    got_t = f_t(torch.from_numpy(delta), torch.from_numpy(k).double(), n).numpy()
    with mpmath.workdps(50):
        want = np.array([float(f_mp(mpmath.mpf(d), int(kk), n)) for d, kk in zip(delta, k, strict=True)])
    assert np.allclose(got_np, want, rtol=1e-13) and np.allclose(got_t, want, rtol=1e-13)
    with pytest.raises(ValueError, match="module must be one of"):
        bounds.compile_bound("lem:gap-bound", 0, "jax")
    with pytest.raises(ValueError, match="index must be in"):
        bounds.compile_bound("lem:gap-bound", 5)


def test_compile_bound_reads_the_registry_at_call_time(monkeypatch):
    """A Result swapped into the registry is seen at once (the cache was keyed on the result id)."""
    _, f = bounds.compile_bound("lem:eps-k-tail", 0, "numpy")
    assert f(0.5, 1, 3) == 1.0                                         # (n-k) eps
    mutant = sp.Tuple(sp.Le(S.tau, sp.Rational(9, 10) * (S.n - S.k) * S.eps), sp.Le(S.err, S.v_max))
    monkeypatch.setitem(registry, "lem:eps-k-tail",
                        dataclasses.replace(registry["lem:eps-k-tail"], formula=mutant))
    _, g = bounds.compile_bound("lem:eps-k-tail", 0, "numpy")
    assert g(0.5, 1, 3) == pytest.approx(0.9)
    assert [float(v) for v in bounds.evaluate("lem:eps-k-tail", n=3, k=1, eps=0.5, v_max=2).values()] \
        == [0.9, 2.0]
    monkeypatch.undo()
    assert bounds.compile_bound("lem:eps-k-tail", 0, "numpy")[1](0.5, 1, 3) == 1.0


def test_compile_expr_is_cached_on_the_expression():
    x = sp.Symbol("x", positive=True)
    assert bounds.compile_expr(2 * x, "mpmath") is bounds.compile_expr(2 * x, "mpmath")
    assert bounds.compile_expr(2 * x, "mpmath") is not bounds.compile_expr(3 * x, "mpmath")
    assert bounds.compile_expr(2 * x, "mpmath") is not bounds.compile_expr(2 * x, "arb")


def test_indexed_and_function_values_are_leaves():
    rel = bounds.get("lem:loss-gradient").relations()[0]
    assert [str(x) for x in bounds.leaves(rel.rhs)] == ["1_S(l)", "a[l]", "tau"]
    with mpmath.workdps(30):
        values = {"1_S(l)": 0, "a[l]": mpmath.mpf("0.25"), "tau": mpmath.mpf("0.5")}
        got = bounds.evaluate_expr(rel.rhs, values)
    assert got == mpmath.mpf("0.125")                                  # a_l (1 - 0 - tau)
    with pytest.raises(ValueError, match=r"no value for \['tau'\]"):
        bounds.evaluate_expr(rel.rhs, {"1_S(l)": 0, "a[l]": 1})


def test_mpmath_evaluation_takes_integers_as_numbers():
    """k/n with Python ints is 1/3 at the working precision, not a float's 0.333...3 (53 bits)."""
    with mpmath.workdps(50):
        got = bounds.evaluate_expr(S.k / S.n, {"k": 1, "n": 3})
        assert abs(got - mpmath.mpf(1) / 3) < mpmath.mpf(10) ** -49


def test_arb_evaluation_is_exact():
    """Constants of the formula become exact balls: a rational is a quotient of integer balls, a
    SymPy Float its exact binary value, a float64 or mpf argument its dyadic value."""
    x = sp.Symbol("x", positive=True)
    with ab.precision(50):
        third = bounds.evaluate_expr(x / 3, {"x": 1}, "arb")
        assert third.contains(arb(1) / 3) and third.rad() < arb("1e-50")
        f = bounds.evaluate_expr(sp.Float("0.9") * x, {"x": 1}, "arb")
        assert f.is_exact() and f == bounds.to_arb(0.9)           # the binary value of the Float
        wide = bounds.evaluate_expr(sp.Float("0.1", 100), {}, "arb")
        assert wide.is_exact()                                    # 333 bits, held at 176-bit precision
        with mpmath.workdps(100):
            assert wide == bounds.to_arb(mpmath.mpf(sp.Float("0.1", 100)))
        tiny = bounds.evaluate_expr(x, {"x": mpmath.mpf(2) ** -10000}, "arb")
        assert tiny.is_exact() and tiny > 0
    assert bounds.to_arb("0.1").contains(arb("0.1")) and not bounds.to_arb("0.1").is_exact()
    with pytest.raises(ValueError, match="exact ball"):
        bounds.to_arb(float("nan"))
    with pytest.raises(TypeError):
        bounds.to_arb(True)


def test_arb_refuses_a_function_with_no_ball_form():
    x = sp.Symbol("x", positive=True)
    with pytest.raises(ValueError, match="no exact ball form"):
        bounds.compile_expr(sp.Max(x, 1 - x), "arb")


def test_compile_bound_of_a_formula_item_that_is_no_relation(monkeypatch):
    monkeypatch.setitem(registry, "lem:max-weight",
                        dataclasses.replace(registry["lem:max-weight"], formula=sp.Tuple(S.tau)))
    with pytest.raises(ValueError, match="not a relation"):
        bounds.compile_bound("lem:max-weight", 0)
