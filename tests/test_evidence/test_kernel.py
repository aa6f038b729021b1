"""The kernel's evidence (exp:kernel, thm:certificate-rounding, def:mass-attention) checks every row,
and fails when the kernel or its certificate is wrong."""

import pytest

import natsparse.kernels as nk
from natsparse.evidence import kernel as kernel_evidence
from natsparse.kernels import dispatch


def test_every_row_is_checked_and_the_certificate_holds():
    rows, worst = kernel_evidence.run_cases()
    assert rows == 7 * 2 + 9 * 2 + 6 + 5 * 3
    assert 0 < worst <= 1


@pytest.mark.parametrize("damage", ["tau", "output", "bound"])
def test_a_wrong_kernel_fails_the_evidence(monkeypatch, damage):
    real = kernel_evidence.topk_attention

    def wrong(*args, **kw):
        out, st = real(*args, **kw)
        if damage == "tau":
            return out, st._replace(tail_mass=st.tail_mass * (1 + 1e-9))
        if damage == "bound":  # the real-arithmetic bound 2τ·max‖v‖ alone: 0 on τ = 0 rows
            return out, st._replace(error_bound=st.error_bound * 0)
        return out + 1e-9, st

    monkeypatch.setattr(kernel_evidence, "topk_attention", wrong)
    with pytest.raises(AssertionError):
        kernel_evidence.run_cases()


def test_the_rounding_certificate_holds_in_balls_on_every_row():
    rows, worst_tail, worst_zero = kernel_evidence.rounding_rows()
    assert rows == len(kernel_evidence.ROUNDING_CASES) * 16
    # the worst-case values make the bound tight (lem:worst-case-error): the ratio is near 1
    assert 0.99 < worst_tail <= 1 and 0 < worst_zero <= 1


def test_the_triton_interpreter_rows_are_in_the_evidence():
    """The fused kernel's own code (interpreted on the CPU) is checked in balls like the torch backend."""
    import tests.test_kernels.helpers  # noqa: F401  (TRITON_INTERPRET=1 without CUDA, before triton loads)
    from natsparse.evidence import all_evidence

    rows, worst_tail, worst_zero = kernel_evidence.rounding_rows("triton-interpret")
    assert rows == len(kernel_evidence.INTERPRET_CASES) * 16 == 96
    assert 0.99 < worst_tail <= 1 and 0 < worst_zero <= 1
    tools = {e.tool for e in all_evidence("thm:certificate-rounding")}
    assert {"torch+arb", "triton-interpret+arb"} <= tools


@pytest.mark.parametrize("damage", ["rho_o", "tau_up"])
@pytest.mark.parametrize("backend", ["torch", "triton-interpret"])
def test_a_certificate_without_its_rounding_terms_fails(monkeypatch, damage, backend):
    """Dropping ρ_o (rounding of the output) or ρ_τ (τ_up = τ̃) must be caught on some row."""
    real = dispatch.certificate_terms_of

    def wrong(*args, **kw):
        out, st, terms = real(*args, **kw)
        if damage == "rho_o":
            terms = terms._replace(rho_o=terms.rho_o * 0)
        else:
            terms = terms._replace(tau_up=st.tail_mass.double() * 0.9)
        return out, st, terms

    monkeypatch.setattr(dispatch, "certificate_terms_of", wrong)
    if backend != "torch":
        import tests.test_kernels.helpers  # noqa: F401  (the interpreter without CUDA)
        monkeypatch.setattr(kernel_evidence, "INTERPRET_CASES", kernel_evidence.INTERPRET_CASES[:2])
    with pytest.raises(AssertionError, match="thm:certificate-rounding fails"):
        kernel_evidence.rounding_rows(backend)


def test_mass_attention_rows_hold_and_a_wrong_k_fails(monkeypatch):
    assert kernel_evidence.mass_rows() == 3 * 10 * len(kernel_evidence.MASS_TARGETS)
    real = nk.mass_attention

    def one_short(*args, **kw):
        out, st = real(*args, **kw)
        return out, st._replace(kept=(st.kept - 1).clamp(min=1))

    monkeypatch.setattr(nk, "mass_attention", one_short)
    with pytest.raises(AssertionError, match="def:mass-attention fails"):
        kernel_evidence.mass_rows()
