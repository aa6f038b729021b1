"""Kernel proofs of the Gaussian model's explicit bounds, registered in `natsparse.proofs.general.PROOFS`.

Each proof uses the rules of `natsparse.proofs.chance` (sums over the keys, concentration axioms,
termwise comparison) and of the kernel (`derive`, `conclude`). A failure probability delta' < 1 is
written delta' = e^{-ell} with ell > 0: the model's sizes substitute it into the registry formula, as
n = k + p does for k < n in the deterministic proofs.

    >>> log = PROOFS["lem:count-upper"].check()
    >>> [s.rule for s in log.steps]
    ['meaning', 'concentration', 'derive', 'conclude']
"""

from __future__ import annotations

import sympy as sp

from . import chance as P
from . import kernel as K
from .gaussian import N_eps, N_t, Phi, Phic, Z, bernstein_u, c_trunc
from .general import PROOFS, general_proof, goals
from .symbols import beta, delta, delta_p, eps, n, t

#: ln(1/delta) > 0: the hypothesis delta < 1 (delta = e^{-ell})
ell = sp.Symbol("ell", positive=True)
x = P.x


def _failure(symbol: sp.Symbol) -> K.Model:
    """The model that writes the failure probability `symbol` < 1 as e^{-ell}, ell > 0."""
    return K.model(f"{symbol} = exp(-ell)", (), (), {symbol: sp.exp(-ell)})


def _bernstein_count(total: sp.Sum, level, failure) -> K.Fact:
    """ax:bernstein for a count of scores above `level`: terms in [0, 1], variance n p (1 - p)."""
    p = Phic(level / beta)
    deviation = sp.expand_log(bernstein_u(n * p * (1 - p), failure))  # log(2 e^ell) = log 2 + ell
    return P.concentration("ax:bernstein", total, deviation=deviation, failure=failure, lo=0, hi=1)


@general_proof(
    "lem:count-upper",
    scope="every n >= 1, beta > 0, real t and 0 < delta' < 1 (the scores i.i.d. N(0, beta^2))",
    model="delta' = e^{-ell}, ell > 0; N_t a sum of n independent indicators",
)
def _count_upper():
    mdl = _failure(delta_p)
    count = P.meaning(N_t)
    tail = _bernstein_count(count.rel.rhs, t, sp.exp(-ell))
    (goal,) = goals("lem:count-upper", mdl)
    return K.conclude("lem:count-upper", [K.derive(goal, eqs=[count], ineqs=[(tail, 1)])], [mdl])


@general_proof(
    "lem:partition-lower",
    scope="every n >= 1, beta > 0, real c and 0 < delta' < 1, each relation on its own event",
    model="delta' = e^{-ell}, ell > 0; Z and its truncations sums of n independent terms",
)
def _partition_lower():
    mdl = _failure(delta_p)
    fail = sp.exp(-ell)
    z_sum = P.meaning(Z)
    below = P.score_sum(sp.Piecewise((sp.exp(x), x <= c_trunc), (0, True)))
    above = P.score_sum(sp.Piecewise((1, x > c_trunc), (0, True)))
    g_maurer, g_untruncated, g_count = goals("lem:partition-lower", mdl)
    # Maurer on the truncated sum (terms in [0, e^c]), which Z exceeds termwise
    second = sp.exp(2 * beta**2) * Phi(c_trunc / beta - 2 * beta)
    low = P.concentration("ax:maurer", below, deviation=sp.sqrt(2 * n * second * ell), failure=fail)
    first = K.derive(
        g_maurer, eqs=[z_sum], ineqs=[(P.compare_sums(sp.Le(below, z_sum.rel.rhs)), 1), (low, 1)]
    )
    # Maurer on Z itself
    whole = P.concentration(
        "ax:maurer", z_sum.rel.rhs, deviation=sp.sqrt(2 * n * sp.exp(2 * beta**2) * ell), failure=fail
    )
    untruncated = K.derive(g_untruncated, eqs=[z_sum], ineqs=[(whole, 1)])
    # Hoeffding on the count above c; each key above c carries e^{s_j} > e^c
    many = P.concentration("ax:hoeffding", above, deviation=sp.sqrt(n * ell / 2), failure=fail, lo=0, hi=1)
    heavy = P.compare_sums(sp.Le(sp.exp(c_trunc) * above, z_sum.rel.rhs))
    counted = K.derive(g_count, eqs=[z_sum], ineqs=[(heavy, 1), (many, sp.exp(c_trunc))])
    return K.conclude("lem:partition-lower", [first, untruncated, counted], [mdl])


@general_proof(
    "thm:sparse-whp",
    scope="every n >= 1, beta > 0, 0 < eps < 1, 0 < delta < 1 and every L with P(Z >= L) >= 1 - delta/2 "
    "(lem:partition-lower gives one)",
    model="delta = e^{-ell}, ell > 0; N_eps and N_t sums of n indicators",
)
def _sparse_whp():
    mdl = _failure(delta)
    threshold = P.chosen("thm:sparse-whp", t)
    (large_z,) = P.assume("thm:sparse-whp", mdl)
    count, heavy = P.meaning(N_t), P.meaning(N_eps)
    tail = _bernstein_count(count.rel.rhs, t, sp.exp(-ell) / 2)
    # a_j > eps means e^{s_j} > eps Z >= eps L = e^t: every heavy key is above t
    cut = K.derive(sp.Le(sp.exp(t), eps * Z), eqs=[threshold], ineqs=[(large_z, eps)])
    fewer = P.compare_sums(sp.Le(heavy.rel.rhs, count.rel.rhs), order=[cut])
    g_t, g_count = goals("thm:sparse-whp", mdl)
    bound = K.derive(
        sp.Le(N_eps, g_count.rhs.args[0]), eqs=[heavy, threshold], ineqs=[(fewer, 1), (tail, 1)]
    )
    return K.conclude("thm:sparse-whp", [threshold, P.count_floor(bound, heavy)], [mdl])


assert all(rid in PROOFS for rid in ("lem:count-upper", "lem:partition-lower", "thm:sparse-whp"))
