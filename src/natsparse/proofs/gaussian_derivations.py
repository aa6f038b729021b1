"""SymPy derivations of the Gaussian model: integrate, solve, diff, limit.

Each `derive_*` function computes its result from first principles (the normal density, an
equation, a derivative, a limit) and returns it; `matches(derived, stated)` compares it with
the closed form in the registry by `simplify(a - b) == 0` (after rewriting erfc as erf).

What the derivations prove (`natsparse.evidence.gaussian` registers it as `verified` evidence):
- lem:conditional-gaussian: the moment generating function of s_j given x, integrated
  coordinate by coordinate for every d <= D_MAX (it determines the law), and the variance.
lem:lognormal-tilt and prop:norm-sparsity are proved by the proof kernel (`natsparse.proofs.general`).
Not proved here, only derived (their probabilistic, asymptotic claims stay `sampled`):
prop:k-eps-rule (the threshold solved from the expected mass share), and the exponents
1 - gamma of prop:phase-diagram and (1 - sqrt(gamma))^2 of thm:polylog-insufficient.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from .gaussian import Phic, phi
from .registry import get
from .symbols import beta, c_scale, eps, gamma, sigma

D_MAX = 16
s = sp.Symbol("s", real=True)
x = sp.Symbol("x", real=True)
z = sp.Symbol("z", real=True)                 # Phi^{-1}(eps), any real number
theta = sp.Symbol("theta", real=True)
log_n = sp.Symbol("ell", positive=True)       # ell = ln n -> oo
delta_p = sp.Symbol("delta'", positive=True)
_w = sp.Symbol("w", real=True)             # one coordinate of W^T x


class DerivationError(AssertionError):
    """A derivation did not reproduce the stated closed form (the claim or the code is wrong).

    >>> issubclass(DerivationError, AssertionError)
    True
    """


def matches(derived: sp.Expr, stated: sp.Expr) -> bool:
    """True when simplify(derived - stated) is 0 (with erfc rewritten as erf).

    >>> matches(1 - sp.erf(x), sp.erfc(x)), matches(sp.erf(x), sp.erfc(x))
    (True, False)
    """
    return sp.simplify((derived - stated).rewrite(sp.erf)) == 0


def _rhs(result_id: str, index: int) -> sp.Expr:
    return get(result_id).relations()[index].rhs


def _density(var):
    return sp.exp(-var**2 / (2 * beta**2)) / (beta * sp.sqrt(2 * sp.pi))


@cache
def _coordinate_log_mgf() -> sp.Expr:
    """log E exp(theta c w y) for y ~ N(0, sigma^2), integrated against the density (w symbolic)."""
    dens = sp.exp(-x**2 / (2 * sigma**2)) / (sigma * sp.sqrt(2 * sp.pi))
    return sp.expand_log(sp.simplify(sp.log(sp.integrate(sp.exp(theta * c_scale * _w * x) * dens,
                                                           (x, -sp.oo, sp.oo)))), force=True)


def derive_conditional_gaussian(d: int) -> tuple[sp.Expr, tuple[sp.Symbol, ...]]:
    """log E[exp(theta s) | x] for s = c sum_i w_i y_i, y_i ~ N(0, sigma^2) independent (w = W^T x).

    Independence makes it the sum of the one-coordinate log-MGFs (each the same integral with
    w -> w_i); the result is theta^2 c^2 sigma^2 ||w||^2 / 2, the log-MGF of N(0, (c sigma ||w||)^2).
    """
    w = sp.symbols(f"w1:{d + 1}", real=True)
    return sum(_coordinate_log_mgf().subs(_w, wi) for wi in w), w


@cache
def derive_k_eps_rule() -> sp.Expr:
    """Solve Phi_c(x/beta - beta) = 1 - eps (the share above x is 1 - eps) for x; return Phi_c(x/beta).

    >>> from natsparse.proofs.gaussian import Phi_inv
    >>> matches(derive_k_eps_rule(), Phic(beta + Phi_inv(eps)))
    True
    """
    sols = sp.solve(sp.Eq(Phic(x / beta - beta), 1 - eps), x)
    if len(sols) != 1:
        raise DerivationError(f"expected one threshold, SymPy found {sols}")
    return Phic(sols[0] / beta)


def _mills_bounds(var):
    """phi(x) x/(1 + x^2) <= Phi_c(x) <= phi(x)/x for x > 0."""
    return phi(var) * var / (1 + var**2), phi(var) / var


@cache
def prove_mills_ratio() -> bool:
    """The Mills-ratio bracket: both gaps vanish at oo and are monotone with the right sign."""
    X = sp.Symbol("x", positive=True)
    lo, hi = _mills_bounds(X)
    upper_gap, lower_gap = hi - Phic(X), Phic(X) - lo
    ok = all(sp.limit(g, X, sp.oo) == 0 for g in (upper_gap, lower_gap))
    # d/dx (phi/x - Phi_c) = -phi/x^2 < 0 and d/dx (Phi_c - phi x/(1+x^2)) = -2 phi/(1+x^2)^2 < 0:
    ok &= matches(sp.diff(upper_gap, X), -phi(X) / X**2)
    ok &= matches(sp.diff(lower_gap, X), -2 * phi(X) / (1 + X**2)**2)
    return bool(ok and (-phi(X) / X**2).is_negative and (-2 * phi(X) / (1 + X**2)**2).is_negative)


@cache
def derive_nc_exponent() -> sp.Expr:
    """lim log k_eps / log n for k_eps = n Phi_c(beta + z), beta = sqrt(2 gamma ln n).

    SymPy's `limit` does not handle log(erfc) at infinity, so the limit is squeezed between
    the Mills-ratio bounds (proved by `prove_mills_ratio`), whose limits SymPy computes.
    """
    if not prove_mills_ratio():
        raise DerivationError("Mills-ratio bracket not proved")
    arg = sp.sqrt(2 * gamma * log_n) + z
    limits = set()
    for bound in _mills_bounds(arg):
        lg = sp.expand_log(sp.log(sp.exp(log_n) * bound), force=True)
        limits.add(sp.simplify(sp.limit(lg / log_n, log_n, sp.oo)))
    if len(limits) != 1:
        raise DerivationError(f"the squeeze brackets have different limits {limits}")
    return limits.pop()


@cache
def derive_polylog_exponent() -> sp.Expr:
    """lim log(L e^{-M}) / log n with L = n e^{beta^2/2} (= E Z), M = beta sqrt(2 ln(n/delta')).

    k* = L e^{-M} is the window at which the bound 1 - k e^M / L of thm:polylog-insufficient
    reaches 0; below n^{exponent} the error cannot vanish.

    >>> derive_polylog_exponent()
    -2*sqrt(gamma) + gamma + 1
    """
    b = sp.sqrt(2 * gamma * log_n)
    lg = log_n + b**2 / 2 - b * sp.sqrt(2 * (log_n - sp.log(delta_p)))
    return sp.factor(sp.limit(lg / log_n, log_n, sp.oo))


# --- the checks against the registry, and the evidence they give -----------------------------

def check_conditional_gaussian(d_max: int = D_MAX) -> int:
    """The log-MGF equals theta^2 beta^2 / 2 with beta = c sigma ||w|| for every d <= d_max."""
    for d in range(1, d_max + 1):
        lmgf, w = derive_conditional_gaussian(d)
        norm = sp.sqrt(sum(wi**2 for wi in w))
        b = _rhs("lem:conditional-gaussian", 0).subs(dict.fromkeys(
            _rhs("lem:conditional-gaussian", 0).free_symbols - {c_scale, sigma}, norm))
        if not matches(lmgf, theta**2 * b**2 / 2):
            raise DerivationError(f"lem:conditional-gaussian: log-MGF {lmgf} for d={d}")
    return d_max


def check_k_eps_rule() -> bool:
    """The solved fraction equals prop:k-eps-rule's Phi_c(beta + Phi^{-1}(eps)).

    >>> check_k_eps_rule()
    True
    """
    if not matches(derive_k_eps_rule(), _rhs("prop:k-eps-rule", 0)):
        raise DerivationError("prop:k-eps-rule: solved fraction differs from the stated one")
    return True


def check_exponents() -> tuple[sp.Expr, sp.Expr]:
    """The derived exponents equal those stated: 1 - gamma of prop:phase-diagram for 0 < gamma < 1 (the
    window exponent above which thm:nC-sufficient's windows work) and (1 - sqrt(gamma))^2 of
    thm:polylog-insufficient."""
    nc, poly = derive_nc_exponent(), derive_polylog_exponent()
    (stated, below_one), _ = _rhs("prop:phase-diagram", 0).args
    if not (matches(nc, stated) and below_one == (gamma < 1)):
        raise DerivationError(f"prop:phase-diagram: exponent {nc}, stated 1 - gamma for gamma < 1")
    if not matches(poly, _rhs("thm:polylog-insufficient", 3)):
        raise DerivationError(f"thm:polylog-insufficient: exponent {poly}, stated (1-sqrt(gamma))^2")
    return nc, poly
