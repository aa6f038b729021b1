"""Kernel proofs of the Gaussian model's explicit bounds, registered in `natsparse.proofs.general.PROOFS`.

Each proof uses the rules of `natsparse.proofs.chance` (sums over the keys, concentration axioms,
termwise comparison) and of the kernel (`derive`, `conclude`). A failure probability delta' < 1 is
written delta' = e^{-ell} with ell > 0: the model's sizes substitute it into the registry formula, as
n = k + p does for k < n in the deterministic proofs.

    >>> from natsparse.proofs.general import PROOFS
    >>> log = PROOFS["lem:count-upper"].check()
    >>> [s.rule for s in log.steps]
    ['meaning', 'concentration', 'derive', 'conclude']
"""

from __future__ import annotations

import sympy as sp

from . import chance as P
from . import kernel as K
from .gaussian import N_eps, N_t, Phi, Phic, T_t, Z, bernstein_u, c_trunc, theta
from .general import general_proof, goals
from .kernel import model, part
from .symbols import C, beta, delta, delta_p, eps, err, gamma, k, n, t, tau, v_max

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
    threshold = P.chosen("thm:sparse-whp", t)  # t = ln(eps L)
    (large_z,) = P.assume("thm:sparse-whp", mdl)
    level = threshold.rel.rhs
    above = P.score_sum(sp.Piecewise((1, x > level), (0, True)))
    fewer, tail, heavy = _heavy_at_most(above, level, large_z, sp.exp(-ell) / 2)
    _, g_count = goals("thm:sparse-whp", mdl)
    bound = K.derive(sp.Le(N_eps, g_count.rhs.args[0]), eqs=[heavy], ineqs=[(fewer, 1), (tail, 1)])
    return K.conclude("thm:sparse-whp", [threshold, P.count_floor(bound, heavy)], [mdl])


def _heavy_at_most(total_above: sp.Sum, level, large_z: K.Fact, failure) -> tuple[K.Fact, K.Fact, K.Fact]:
    """The two facts behind N_eps <= the count bound at `level` = ln(eps L): every key with a_j > eps is
    above the level on the event Z >= L (`large_z`), and Bernstein bounds the count above it at
    `failure`. Returns (N_eps's sum <= the count's, the Bernstein bound, N_eps's meaning)."""
    heavy = P.meaning(N_eps)
    tail = _bernstein_count(total_above, level, failure)
    cut = K.derive(sp.Le(sp.exp(level), eps * Z), ineqs=[(large_z, eps)])
    fewer = P.compare_sums(sp.Le(heavy.rel.rhs, total_above), order=[cut])
    return fewer, tail, heavy


@general_proof(
    "thm:error-whp",
    scope="every n >= 1, 1 <= k <= n, beta > 0, 0 < eps < 1, 0 < delta < 1, real t, every L_2 and L with "
    "P(Z >= L_2) >= 1 - delta/2 and P(Z >= L) >= 1 - delta/3, k at least the count bounds of the "
    "hypotheses; values in any normed space",
    model="top-k S (|S| = k), T the other n - k >= 0 keys; delta = e^{-ell}, ell > 0",
)
def _error_whp():
    mdl = model("top-k S, delta = exp(-ell)", (part("S", k), part("T", n - k, nonempty=False)), {"S"},
                {delta: sp.exp(-ell)})
    half_z, third_z = P.assume("thm:error-whp", mdl)
    _, _, k_heavy, k_count = K.hypothesis("thm:error-whp", mdl)
    # (eps, k)-sparse on the events Z >= L_2 and a Bernstein count at delta/2 (thm:sparse-whp's argument)
    level = sp.log(eps * half_z.rel.lhs)  # ln(eps L_2)
    above = P.score_sum(sp.Piecewise((1, x > level), (0, True)))
    fewer, tail, heavy = _heavy_at_most(above, level, half_z, sp.exp(-ell) / 2)
    floor_arg = k_heavy.rel.lhs.args[0]  # k >= floor(count bound): the bound inside the floor
    counted = K.derive(sp.Le(N_eps, floor_arg), eqs=[heavy], ineqs=[(fewer, 1), (tail, 1)])
    sparse = K.derive(sp.Le(N_eps, k), ineqs=[(P.count_floor(counted, heavy), 1), (k_heavy, 1)])
    first, second = K.instance("lem:eps-k-tail", given=[sparse], tau=tau, err=err, eps=eps, k=k, n=n,
                               v_max=v_max, N_eps=N_eps)
    # the direct form: N_t <= k (Bernstein at delta/3 and the hypothesis), so every dropped key is at most
    # t, and the dropped weights are at most T_t (Bernstein at delta/3) over Z >= L (at delta/3)
    third = sp.exp(-ell) / 3
    count = P.meaning(N_t).rel.rhs
    few_above = K.derive(sp.Le(count, k), ineqs=[(_bernstein_count(count, t, third), 1), (k_count, 1)])
    (low,) = P.dropped_below(mdl, few_above)
    mass = P.meaning(T_t).rel.rhs
    ell3 = sp.expand_log(sp.log(1 / third))
    m2 = P.moment(mass, 2)
    u = sp.exp(t) * ell3 / 3 + sp.sqrt(sp.exp(2 * t) * ell3**2 / 9 + 2 * n * m2 * ell3)
    bounded = P.concentration("ax:bernstein", mass, deviation=u, failure=third, lo=0, hi=sp.exp(t))
    dropped = P.part_of_sum(mdl, "T", mass, low)
    row = K.unfold(mdl)
    g1, g2, g3 = goals("thm:error-whp", mdl)
    low_z = third_z.rel.lhs  # L
    U = sp.expand_log(g3.rhs * low_z)  # U_t (the goal is tau <= U_t / L), log(3 e^ell) expanded
    scale = [(dropped, 1 / K.Z), (bounded, 1 / K.Z), (third_z, U / (K.Z * low_z))]
    direct = K.derive(g3, eqs=[row["tau"]], ineqs=scale)
    return K.conclude("thm:error-whp", [first, second, direct], [mdl])


@general_proof(
    "thm:polylog-insufficient",
    scope="every n >= 1, beta > 0, 1 <= k <= n, 0 < delta' < 1 and every L with P(Z >= L) >= 1 - delta' "
    "(the first three relations); the exponent in the regime beta^2 = 2 gamma ln n, 0 <= gamma < 1",
    model="one part A of all n keys",
)
def _polylog_insufficient():
    from .gaussian import M, w_exp
    from .symbols import a, a_max

    keys = part("A", n)
    mdl = model("all keys", (keys,), {"A"}, {})
    level = P.chosen("thm:polylog-insufficient", M)  # M = beta sqrt(2 ln(n/delta'))
    (large_z,) = P.assume("thm:polylog-insufficient")
    # no score above M: Markov on the count above M, and the Gaussian tail at M / beta
    above = P.score_sum(sp.Piecewise((1, x > M), (0, True)))
    expected = n * P.moment(above, 1)
    none = P.concentration("ax:markov", above, deviation=1, failure=expected)
    (tail,) = K.instance("ax:gaussian-tail", x=M / beta)
    small = K.derive(sp.Le(expected, delta_p), eqs=[level], ineqs=[(tail, n)])
    (low,) = P.all_below(mdl, P.weaken(none, small))
    row = K.unfold(mdl)
    member = K.derive(sp.Le(sp.log(keys.w), M), eqs=[row["s:A"]], ineqs=[(low, 1)], over=("A",))
    (grows,) = K.instance("ax:exp-monotone", over=("A",), given=[member], x=sp.log(keys.w), y=M)
    weight = K.derive(
        sp.Le(a[keys.index], sp.exp(M) / large_z.rel.lhs),
        eqs=[row["a:A"]],
        ineqs=[(grows, 1 / K.Z), (large_z, sp.exp(M) / (K.Z * large_z.rel.lhs))],
        over=("A",),
    )
    g_m, g_max, g_tau, g_exp = goals("thm:polylog-insufficient")
    heaviest = K.maximum_at_most(a_max, mdl, (keys,), weight)
    (kept_most,) = K.instance("lem:max-weight", tau=tau, k=k, a_max=a_max)
    facts = [
        level,
        K.derive(g_max, ineqs=[(heaviest, 1)]),
        K.derive(g_tau, ineqs=[(kept_most, 1), (heaviest, k)]),
        K.derive(g_exp, eqs=[K.meaning(w_exp)]),
    ]
    return K.conclude("thm:polylog-insufficient", facts, [mdl])


def _chernoff_tails(below_one: K.Fact) -> tuple[K.Fact, K.Fact]:
    """The Chernoff bounds on Phi_c (ax:gaussian-tail) at (1 - theta) beta and theta beta, both >= 0 by
    `below_one` (theta < 1)."""
    margin = K.derive(sp.Le(0, (1 - theta) * beta), ineqs=[(below_one, beta)])
    (low,) = K.instance("ax:gaussian-tail", given=[margin], x=(1 - theta) * beta)
    (mid,) = K.instance("ax:gaussian-tail", x=theta * beta)
    return low, mid


def _z_at_least(low_l: K.Fact, tail_low: K.Fact, tail_mid: K.Fact, sizes: dict, failure) -> K.Fact:
    """Z >= L_w >= L (`low_l`): Maurer's lower tail (at `failure`) for Z truncated at (1 + theta) beta^2,
    its second moment and mean bounded by the Chernoff tails at (1 - theta) beta and theta beta."""
    from .gaussian import L, L_w_dev, mean_below_w, second_below_w

    b2 = beta**2
    z_sum = P.meaning(Z)
    below = P.score_sum(sp.Piecewise((sp.exp(x), x <= (1 + theta) * b2), (0, True)))
    second = K.derive(sp.Le(P.moment(below, 2), second_below_w), ineqs=[(tail_low, sp.exp(2 * b2))])
    low = P.concentration("ax:maurer", below, deviation=sp.expand_log(L_w_dev.xreplace(sizes)),
                          failure=failure, second=second)
    mean_low = K.derive(sp.Le(mean_below_w, P.moment(below, 1)), ineqs=[(tail_mid, sp.exp(b2 / 2))])
    return K.derive(sp.Le(L, Z), eqs=[z_sum], ineqs=[
        (P.compare_sums(sp.Le(below, z_sum.rel.rhs)), 1), (low, 1), (mean_low, n), (low_l, 1)])


#: the regime as the asymptotic proofs write it, delta = e^{-ell} and gamma = 1/(1 + w) (ell, w > 0), with
#: C = 1 - gamma + kappa above 1 - gamma, or C = (1 - gamma)/(1 + q) below it (kappa, q > 0)
ABOVE = {delta: sp.exp(-ell), gamma: 1 / (1 + P.w), C: 1 - 1 / (1 + P.w) + P.kappa}
BELOW = {delta: sp.exp(-ell), gamma: 1 / (1 + P.w), C: (1 - 1 / (1 + P.w)) / (1 + P.q)}


def _top_k_in(sizes: dict, name: str) -> K.Model:
    """The kept top-k S (|S| = k) and the other n - k >= 0 keys T, the regime's parameters written by
    `sizes` (ABOVE or BELOW)."""
    return model(name, (part("S", k), part("T", n - k, nonempty=False)), {"S"}, sizes)


@general_proof(
    "thm:nC-explicit",
    scope="the bound: every n >= 1, 1 <= k <= n, beta > 0, 0 < theta < 1, 0 < delta < 1, every window k "
    "and L as in the hypotheses; the limits: n -> oo with beta^2 = 2 gamma ln n, 0 < gamma < 1, "
    "C > 1 - gamma",
    model="top-k S (|S| = k), T the other n - k >= 0 keys; delta = e^{-ell}, gamma = 1/(1 + w), "
    "C = 1 - gamma + kappa (ell, w, kappa > 0)",
)
def _nc_explicit():
    from .asymptotic import vanishes
    from .gaussian import L, U_w, bernstein_u, mean_mass_w, p_w, second_mass_w, t_w

    sizes = ABOVE
    mdl = _top_k_in(sizes, "top-k S, delta = exp(-ell), gamma = 1/(1+w), C = 1 - gamma + kappa")
    hyps = K.hypothesis("thm:nC-explicit", mdl)
    (below_one,) = [h for h in hyps if h.rel.lhs == theta]  # theta < 1
    (k_count,) = [h for h in hyps if h.rel.rhs == k]  # k >= the count bound N
    (low_l,) = [h for h in hyps if h.rel.lhs == L]  # L <= L_w
    level = t_w  # (1 - theta) beta^2
    third = sp.exp(-ell) / 3
    b2 = beta**2
    tail_low, tail_mid = _chernoff_tails(below_one)
    (tail_high,) = K.instance("ax:gaussian-tail", x=(1 + theta) * beta)
    large_z = _z_at_least(low_l, tail_low, tail_mid, sizes, third)
    # at most k scores above t = (1 - theta) beta^2 (Bernstein at delta/3 and the window's hypothesis)
    above = P.score_sum(sp.Piecewise((1, x > level), (0, True)))
    p_bound = K.derive(sp.Le(P.moment(above, 2), p_w), ineqs=[(tail_low, 1)])
    deviation = sp.expand_log(bernstein_u(n * p_w, third))
    counted = P.concentration("ax:bernstein", above, deviation=deviation, failure=third, lo=0, hi=1,
                              second=p_bound)
    few_above = K.derive(sp.Le(above, k), ineqs=[(counted, 1), (p_bound, n), (k_count, 1)])
    (dropped_low,) = P.dropped_below(mdl, few_above)
    # the dropped mass is at most T_t, bounded by Bernstein at delta/3 with its mean and second moment
    # bounded by the Chernoff tails
    mass = P.score_sum(sp.Piecewise((sp.exp(x), x <= level), (0, True)))
    second_mass = K.derive(sp.Le(P.moment(mass, 2), second_mass_w), ineqs=[(tail_high, sp.exp(2 * b2))])
    U = sp.expand_log(U_w.xreplace(sizes))  # log(3 e^ell) = log 3 + ell: decided > 0
    bounded = P.concentration("ax:bernstein", mass, deviation=U - n * mean_mass_w, failure=third, lo=0,
                              hi=sp.exp(level), second=second_mass)
    mean_mass = K.derive(sp.Le(P.moment(mass, 1), mean_mass_w), ineqs=[(tail_mid, sp.exp(b2 / 2))])
    dropped = P.part_of_sum(mdl, "T", mass, dropped_low)
    dropped_mass = dropped.rel.lhs
    at_most_u = K.derive(sp.Le(dropped_mass, U), ineqs=[(dropped, 1), (bounded, 1), (mean_mass, n)])
    row = K.unfold(mdl)
    g_bound, *g_limits = goals("thm:nC-explicit", mdl)
    direct = K.derive(g_bound, eqs=[row["tau"]], ineqs=[(at_most_u, 1 / K.Z), (large_z, U / (K.Z * L))])
    limits = [vanishes(g.lhs.args[0]) for g in g_limits]
    return K.conclude("thm:nC-explicit", [direct, *limits], [mdl])


@general_proof(
    "thm:nC-sufficient",
    scope="n -> oo with beta = sqrt(2 gamma ln n), every 0 < gamma < 1, C > 1 - gamma, alpha > 0 and every "
    "window k >= alpha n^C",
    model="top-k S (|S| = k), T the other n - k >= 0 keys; gamma = 1/(1 + w), C = 1 - gamma + kappa "
    "(w, kappa > 0); thm:nC-explicit at theta = theta_star, L = L_w and failure delta = exp(-ell), ell > 0",
)
def _nc_sufficient():
    from .asymptotic import eventually, in_probability, vanishes
    from .gaussian import L_w, L_w_dev, L_w_mean, U_w, count_w, in_regime, theta, theta_star
    from .symbols import alpha

    sizes = ABOVE
    mdl = _top_k_in(sizes, "top-k S, gamma = 1/(1+w), C = 1 - gamma + kappa, delta = exp(-ell)")
    hyps = K.hypothesis("thm:nC-sufficient", mdl)
    (scale,) = [h for h in hyps if h.rel.lhs == beta]  # beta = sqrt(2 gamma ln n)
    (window,) = [h for h in hyps if h.rel.rhs == k]  # alpha n^C <= k
    margin = theta_star.xreplace(sizes)

    def explicit(e):  # thm:nC-explicit's bound at theta_star, delta = e^{-ell} (log(3 e^ell) = log 3 + ell)
        return sp.expand_log(e.xreplace({theta: margin}).xreplace(sizes))

    def regime(e):  # the same in the regime, as thm:nC-explicit's limits read it
        return sp.expand_log(in_regime(e).xreplace(sizes))

    window_n = alpha.xreplace(sizes) * n ** C.xreplace(sizes)
    # for all large n: the count bound is below alpha n^C <= k, and L_w > 0 (its deviation is o(its mean))
    few = eventually(sp.Le(regime(count_w), window_n), vanishes(regime(count_w) / window_n))
    positive = eventually(sp.Lt(regime(L_w_dev), regime(L_w_mean)), vanishes(regime(L_w_dev / L_w_mean)))
    counted = K.derive(sp.Le(explicit(count_w), k), eqs=[scale], ineqs=[(few, 1), (window, 1)])
    low = explicit(L_w)
    above_zero = K.derive(sp.Lt(0, low), eqs=[scale], ineqs=[(positive, 1)])
    bound, small, *_ = K.instance("thm:nC-explicit", given=[counted, above_zero], sizes=mdl, tau=tau, k=k,
                                  n=n, L=low, theta=margin, delta=sp.exp(-ell), gamma=gamma.xreplace(sizes),
                                  C=C.xreplace(sizes), beta=beta)
    ratio = in_regime(U_w / L_w).xreplace(sizes)  # U / L_w in the regime, as the instance's limit writes it
    in_the_regime = K.derive(sp.Le(tau, ratio), eqs=[scale], ineqs=[(bound, 1)])
    return K.conclude("thm:nC-sufficient", [in_probability(in_the_regime, small, ell)], [mdl])




@general_proof(
    "thm:nC-necessary-explicit",
    scope="the bound: every n >= 1, 1 <= k <= n, beta > 0, 0 < theta < 1, 0 < delta < 1, every window k <= K "
    "and 0 < L <= L_w; the limits: n -> oo with beta^2 = 2 gamma ln n, 0 < gamma < 1, 0 < C < 1 - gamma",
    model="top-k S (|S| = k), T the other n - k >= 0 keys; delta = e^{-ell}, gamma = 1/(1 + w), "
    "C = (1 - gamma)/(1 + q) (ell, w, q > 0)",
)
def _nc_necessary_explicit():
    from .asymptotic import vanishes
    from .gaussian import K_win, L, kept_w

    mdl = _top_k_in(BELOW, "top-k S, delta = exp(-ell), gamma = 1/(1+w), C = (1 - gamma)/(1+q)")
    hyps = K.hypothesis("thm:nC-necessary-explicit", mdl)
    (below_one,) = [h for h in hyps if h.rel.lhs == theta]  # theta < 1
    (window,) = [h for h in hyps if h.rel.lhs == k]  # k <= K
    (low_l,) = [h for h in hyps if h.rel.lhs == L]  # L <= L_w
    third = sp.exp(-ell) / 3
    level = (1 + theta) * beta**2
    tail_low, tail_mid = _chernoff_tails(below_one)
    large_z = _z_at_least(low_l, tail_low, tail_mid, BELOW, third)
    # the kept keys carry at most the mass above the level plus e^level each
    above = P.score_sum(sp.Piecewise((sp.exp(x), x > level), (0, True)))
    kept = P.part_at_most(mdl, "S", above, sp.exp(level))
    # Markov on the mass above the level (at 2 delta/3): its mean is at most n e^{beta^2/2 - theta^2 beta^2/2}
    u = sp.expand_log(kept_w.xreplace(BELOW) - K_win * sp.exp(level))  # 3 n e^{...} e^{ell} / 2
    expected = n * P.moment(above, 1) / u
    markov = P.concentration("ax:markov", above, deviation=u, failure=expected)
    small = K.derive(sp.Le(expected, 2 * third), ineqs=[(tail_mid, n * sp.exp(beta**2 / 2) / u)])
    mass_above = P.weaken(markov, small)
    row = K.unfold(mdl)
    g_bound, *g_limits = goals("thm:nC-necessary-explicit", mdl)
    bound = g_bound.rhs * L  # the numerator
    kept_share = K.derive(g_bound, eqs=[row["tau"], row["Z"]], ineqs=[
        (kept, 1 / K.Z), (mass_above, 1 / K.Z), (window, sp.exp(level) / K.Z), (large_z, bound / (K.Z * L))])
    limits = [vanishes(g.lhs.args[0]) for g in g_limits]
    return K.conclude("thm:nC-necessary-explicit", [kept_share, *limits], [mdl])


@general_proof(
    "thm:nC-necessary",
    scope="n -> oo with beta = sqrt(2 gamma ln n), every 0 < gamma < 1, 0 < C < 1 - gamma, alpha > 0 and "
    "every window k <= alpha n^C",
    model="top-k S (|S| = k), T the other n - k >= 0 keys; gamma = 1/(1 + w), C = (1 - gamma)/(1 + q) "
    "(w, q > 0); thm:nC-necessary-explicit at theta = theta_low, K = alpha n^C, L = L_w and failure "
    "delta = exp(-ell), ell > 0",
)
def _nc_necessary():
    from .asymptotic import eventually, in_probability, vanishes
    from .gaussian import K_win, L_w, L_w_dev, L_w_mean, in_regime, kept_w, theta_low
    from .symbols import alpha

    mdl = _top_k_in(BELOW, "top-k S, gamma = 1/(1+w), C = (1 - gamma)/(1+q), delta = exp(-ell)")
    hyps = K.hypothesis("thm:nC-necessary", mdl)
    (scale,) = [h for h in hyps if h.rel.lhs == beta]  # beta = sqrt(2 gamma ln n)
    (window,) = [h for h in hyps if h.rel.lhs == k]  # k <= alpha n^C
    margin = theta_low.xreplace(BELOW)
    window_n = alpha * n ** C.xreplace(BELOW)

    def explicit(e):  # the explicit bound at theta_low, delta = e^{-ell} and K = alpha n^C
        return sp.expand_log(e.xreplace({theta: margin, K_win: window_n}).xreplace(BELOW))

    def regime(e):  # the same in the regime, as thm:nC-necessary-explicit's limits read it
        return sp.expand_log(in_regime(e, theta_low).xreplace(BELOW))

    positive = eventually(sp.Lt(regime(L_w_dev), regime(L_w_mean)), vanishes(regime(L_w_dev / L_w_mean)))
    low = explicit(L_w)
    above_zero = K.derive(sp.Lt(0, low), eqs=[scale], ineqs=[(positive, 1)])
    bound, small, _ = K.instance("thm:nC-necessary-explicit", given=[window, above_zero], sizes=mdl, tau=tau,
                                 k=k, n=n, L=low, K=window_n, theta=margin, delta=sp.exp(-ell),
                                 gamma=gamma.xreplace(BELOW), C=C.xreplace(BELOW), alpha=alpha, beta=beta)
    ratio = in_regime(kept_w.xreplace({K_win: alpha * n**C}) / L_w, theta_low).xreplace(BELOW)  # as the limit
    in_the_regime = K.derive(sp.Le(1 - tau, ratio), eqs=[scale], ineqs=[(bound, 1)])
    row = K.unfold(mdl)
    floor = K.derive(sp.Le(0, 1 - tau), eqs=[row["tau"], row["Z"]])
    plim = in_probability(in_the_regime, small, ell, floor=floor)
    return K.conclude("thm:nC-necessary", [plim], [mdl])


@general_proof(
    "cor:adaptive-window",
    scope="n -> oo with beta = sqrt(2 gamma ln n), every 0 < gamma < 1, every fixed window k_fixed, and "
    "every window k_adaptive >= alpha n^C with C > 1 - gamma, alpha > 0",
    model="gamma = 1/(1 + w), C = 1 - gamma + kappa (w, kappa > 0); the fixed window is at most k_fixed n^C' "
    "with C' = (1 - gamma)/2",
)
def _adaptive_window():
    from .gaussian import k_adapt, k_fixed, tau_adapt, tau_fixed
    from .symbols import alpha

    sizes = ABOVE
    mdl = model("gamma = 1/(1+w), C = 1 - gamma + kappa", (), (), sizes)
    hyps = K.hypothesis("cor:adaptive-window", mdl)
    (scale,) = [h for h in hyps if h.rel.lhs == beta]
    (window,) = [h for h in hyps if h.rel.rhs == k_adapt]
    g = gamma.xreplace(sizes)
    # a fixed window k_fixed is at most k_fixed n^C' for C' = (1 - gamma)/2 < 1 - gamma: n^C' >= e^0 = 1
    low = (1 - g) / 2
    (grows,) = K.instance("ax:exp-monotone", x=0, y=low * sp.log(n))  # 0 <= C' ln n: decided
    small = K.derive(sp.Le(k_fixed, k_fixed * n**low), ineqs=[(grows, k_fixed)])
    (fixed,) = K.instance("thm:nC-necessary", given=[scale, small], sizes=mdl, tau=tau_fixed, k=k_fixed,
                          n=n, alpha=k_fixed, C=low, gamma=g, beta=beta)
    (adaptive,) = K.instance("thm:nC-sufficient", given=[scale, window], sizes=mdl, tau=tau_adapt,
                             k=k_adapt, n=n, alpha=alpha, C=C.xreplace(sizes), gamma=g, beta=beta)
    return K.conclude("cor:adaptive-window", [fixed, adaptive], [mdl])
