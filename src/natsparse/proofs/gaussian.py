"""THEORY.md "The Gaussian model": scores s_1..s_n i.i.d. N(0, beta^2) given the query.

Each result carries its bound as SymPy relations over the symbols below (and those of
`symbols.py`). The Gaussian cdf is written with `erfc`, and Phi^{-1}(eps) as
-sqrt(2) erfcinv(2 eps) (an exact identity), so that `gaussian_derivations` can compare
what SymPy derives with these formulas by `simplify(a - b) == 0`. Bounds that are
algorithms (a maximum over a grid, a binomial quantile) are evaluated by
`natsparse.numeric.gaussian`; a test holds the two against each other.
"""

import sympy as sp

from .result import Result
from .symbols import (
    C,
    N_eps,
    Plim,
    a_max,
    alpha,
    beta,
    c_scale,
    delta,
    delta_p,
    eps,
    err,
    gamma,
    k,
    n,
    sigma,
    t,
    tau,
    v_max,
)

# --- symbols of this chapter -------------------------------------------------------------
Z = sp.Symbol("Z", positive=True)                        # partition function sum_j e^{s_j}
L = sp.Symbol("L", positive=True)                        # a lower bound on Z (lem:partition-lower)
L_half = sp.Symbol("L_2", positive=True)                 # one at delta/2, L at delta/3 (thm:error-whp)
c_trunc = sp.Symbol("c", real=True)                      # truncation level / count threshold
N_t = sp.Symbol("N_t", nonnegative=True)                 # #{j : s_j > t}
T_t = sp.Symbol("T_t", nonnegative=True)                 # sum_j e^{s_j} 1{s_j <= t}
M = sp.Symbol("M", positive=True)                        # the high-probability max score
frac = sp.Symbol("f_eps", positive=True)                 # limiting fraction k_eps / n
k_exp = sp.Symbol("kappa", real=True)                    # lim log k / log n (the window's exponent)
w_exp = sp.Symbol("mu", real=True)                       # decay exponent of the bound e^M / E Z on max_j a_j
WTx, W_op, x_norm = sp.symbols("|W^Tx| |W|_op |x|", positive=True)
E_es, E_es_above, E_e2s, share_above, count_above = sp.symbols(
    "E[e^s] E[e^s1{s>t}] E[e^2s] share_t count_t", positive=True)
d_frac = sp.Symbol("df_eps/dbeta", real=True)
tau_fixed, tau_adapt = sp.symbols("tau_fixed tau_adaptive", nonnegative=True)
k_fixed, k_adapt = sp.symbols("k_fixed k_adaptive", integer=True, positive=True)
#: two windows of one row (cor:adaptive-window): tau_fixed is the tail mass tau of the window k_fixed,
#: tau_adaptive that of k_adaptive (an instance may rename tau and k to one such pair together)
WINDOWS = {tau_fixed: k_fixed, tau_adapt: k_adapt}
lam = sp.Symbol("lambda", nonnegative=True)                # the Chernoff multiplier
P_u = sp.Symbol("P_u", nonnegative=True)                   # P(N_eps > k | s_(k+1) = u)
M_above, M_below = sp.symbols("M_above M_below", positive=True)   # E[exp(-lambda e^{s-u}) | side of u]


def Phi(x):
    """Standard normal cdf."""
    return sp.erfc(-x / sp.sqrt(2)) / 2


def Phic(x):
    """Standard normal survival function 1 - Phi."""
    return sp.erfc(x / sp.sqrt(2)) / 2


def phi(x):
    """Standard normal density."""
    return sp.exp(-x**2 / 2) / sp.sqrt(2 * sp.pi)


def Phi_inv(x):
    """Phi^{-1}(x) = -sqrt(2) erfcinv(2x)."""
    return -sp.sqrt(2) * sp.erfcinv(2 * x)


def bernstein_u(mean_var, dp):
    """u with P(S - ES >= u) <= dp for a sum of independent terms in [0, 1]: Bernstein."""
    lg = sp.log(1 / dp)
    return lg / 3 + sp.sqrt(lg**2 / 9 + 2 * mean_var * lg)


# lem:partition-lower, the two families (each a valid lower bound for every fixed c)
L_maurer = (n * sp.exp(beta**2 / 2) * Phi(c_trunc / beta - beta)
            - sp.sqrt(2 * n * sp.exp(2 * beta**2) * Phi(c_trunc / beta - 2 * beta) * sp.log(1 / delta_p)))
L_maurer_inf = n * sp.exp(beta**2 / 2) - sp.exp(beta**2) * sp.sqrt(2 * n * sp.log(1 / delta_p))
L_count = sp.exp(c_trunc) * (n * Phic(c_trunc / beta) - sp.sqrt(n * sp.log(1 / delta_p) / 2))

# lem:count-upper
p_t = Phic(t / beta)
count_bound = n * p_t + bernstein_u(n * p_t * (1 - p_t), delta_p)

# thm:sparse-whp: t = ln(eps L), L = L(n, beta, delta/2), count bound at delta/2
t_sparse = sp.log(eps * L)
k_sparse = sp.floor(count_bound.subs({t: t_sparse, delta_p: delta / 2}))

# thm:error-whp, direct form: U_t bounds T_t (terms in [0, e^t]) with probability 1 - delta/3
_lg3 = sp.log(3 / delta)
U_t = (n * sp.exp(beta**2 / 2) * Phi(t / beta - beta) + sp.exp(t) * _lg3 / 3
       + sp.sqrt(sp.exp(2 * t) * _lg3**2 / 9 + 2 * n * sp.exp(2 * beta**2) * Phi(t / beta - 2 * beta) * _lg3))

# thm:nC-explicit: a window k >= alpha n^C, C > 1 - gamma, in the regime beta^2 = 2 gamma ln n. A margin
# theta in (0, 1) puts the count threshold at t = (1 - theta) beta^2 and the truncation at (1 + theta) beta^2
# (the mass of e^s sits near beta^2); each Phi_c is bounded by ax:gaussian-tail. theta_star is small enough
# that the count bound is o(n^C) and the deviation of the truncated partition function o(its mean).
theta = sp.Symbol("theta", positive=True)
theta_star = (C - 1 + gamma) * (1 - gamma) / (C * (4 * gamma + 1))
t_w = (1 - theta) * beta**2
# the moments, each Phi_c(x) replaced by e^{-x^2/2}: of 1{s > t_w}, of e^s 1{s <= (1 + theta) beta^2} (mean
# from below, second moment from above) and of e^s 1{s <= t_w} (both from above)
p_w = sp.exp(-((1 - theta) * beta) ** 2 / 2)                           # >= Phi_c((1 - theta) beta)
mean_below_w = sp.exp(beta**2 / 2) * (1 - sp.exp(-((theta * beta) ** 2) / 2))
second_below_w = sp.exp(2 * beta**2 - ((1 - theta) * beta) ** 2 / 2)
mean_mass_w = sp.exp(beta**2 / 2 - (theta * beta) ** 2 / 2)
second_mass_w = sp.exp(2 * beta**2 - ((1 + theta) * beta) ** 2 / 2)
count_w = n * p_w + bernstein_u(n * p_w, delta / 3)
L_w_mean = n * mean_below_w
L_w_dev = sp.sqrt(2 * n * second_below_w * _lg3)
L_w = L_w_mean - L_w_dev
U_w = (n * mean_mass_w + sp.exp(t_w) * _lg3 / 3
       + sp.sqrt(sp.exp(2 * t_w) * _lg3**2 / 9 + 2 * n * second_mass_w * _lg3))


def in_regime(expr, margin=theta_star):
    """expr at theta = margin (theta_star) with beta^2 = 2 gamma ln n put in (beta = sqrt(2 gamma ln n))."""
    return expr.xreplace({theta: margin, beta: sp.sqrt(2 * gamma * sp.log(n))})


# thm:nC-necessary-explicit: a window of at most K keys keeps at most the mass above
# c = (1 + theta) beta^2 (Markov at 2 delta/3; its mean e^{beta^2/2} Phi_c(theta beta) is bounded by
# Chernoff) plus K e^c of the mass below it; Z >= L_w as in thm:nC-explicit. For C < 1 - gamma the
# margin theta_low makes
# K e^c = o(E Z) at K = alpha n^C, and keeps the deviation of L_w o(its mean).
K_win = sp.Symbol("K", positive=True)
theta_low = (1 - gamma - C) / (4 * gamma + 1)
kept_w = 3 * n * mean_mass_w / (2 * delta) + K_win * sp.exp((1 + theta) * beta**2)


#: the numbers a statement holds for every value of (within its hypotheses) and that no random quantity's
#: meaning depends on: an instance may put any deterministic value in (`kernel.instance`). Not beta or eps:
#: the law of the scores and the count N_eps depend on them; not t or M: a statement may choose them.
FREE_PARAMETERS = frozenset({theta, L, L_half, delta, delta_p, gamma, C, alpha, c_trunc, K_win})

# thm:polylog-insufficient
M_max = beta * sp.sqrt(2 * sp.log(n / delta_p))

# the regime beta^2 = 2 gamma ln n
regime = sp.Eq(beta**2, 2 * gamma * sp.log(n))

GAUSSIAN = [
    Result(
        "lem:conditional-gaussian", "lemma", "Scores are conditionally Gaussian",
        "If key tokens x_j ~ N(0, sigma^2 I_d) are i.i.d. and independent of the query token x, then "
        "s_j = c x^T W x_j (W = W_Q W_K^T) are i.i.d. N(0, beta^2) given x, beta = c sigma ||W^T x||_2 "
        "<= c sigma ||W||_op ||x||. In self-attention the diagonal term is one extra kept key.",
        r"s_j\mid x \overset{iid}{\sim} N(0,\beta^2),\quad \beta = c\,\sigma\,\|W^\top x\|_2 "
        r"\le c\,\sigma\,\|W\|_{op}\|x\|",
        ("paper",),
        formula=sp.Tuple(sp.Eq(beta, c_scale * sigma * WTx), sp.Le(WTx, W_op * x_norm)),
        uses=(),
    ),
    Result(
        "lem:lognormal-tilt", "lemma", "Lognormal tilt",
        "E e^s = e^{beta^2/2}; E[e^s 1{s>t}] = e^{beta^2/2} Phic(t/beta - beta); E e^{2s} = e^{2 beta^2}; "
        "expected share of mass above t: Phic(t/beta - beta); expected count above t: n Phic(t/beta).",
        r"\mathbb E e^{s} = e^{\beta^2/2},\ \ \mathbb E[e^{s}\mathbb 1\{s>t\}] = "
        r"e^{\beta^2/2}\,\bar\Phi(t/\beta-\beta),\ \ \mathbb E e^{2s} = e^{2\beta^2}",
        ("companion",),
        formula=sp.Tuple(sp.Eq(E_es, sp.exp(beta**2 / 2)),
                         sp.Eq(E_es_above, sp.exp(beta**2 / 2) * Phic(t / beta - beta)),
                         sp.Eq(E_e2s, sp.exp(2 * beta**2)),
                         sp.Eq(share_above, Phic(t / beta - beta)),
                         sp.Eq(count_above, n * Phic(t / beta))),
    ),
    Result(
        "prop:k-eps-rule", "proposition", "The k-epsilon rule",
        "The fraction of keys carrying 1 - eps of the mass tends to Phic(beta + Phi^-1(eps)) as "
        "n -> infinity with beta fixed; it decreases in beta.",
        r"\frac{k_\varepsilon}{n}\to\bar\Phi\big(\beta + \Phi^{-1}(\varepsilon)\big)",
        ("tv-theory",),
        formula=sp.Eq(frac, Phic(beta + Phi_inv(eps))),
        hypotheses=(sp.Lt(eps, 1),),
        uses=("lem:lognormal-tilt",),
    ),
    Result(
        "lem:partition-lower", "lemma", "Partition-function lower bound",
        "With probability >= 1 - delta', Z >= L(n, beta, delta'), the larger of a truncated Maurer "
        "bound and a Hoeffding count bound over fixed grids of truncation levels.",
        r"\Pr\big[Z \ge L(n,\beta,\delta')\big] \ge 1-\delta'",
        ("companion",),
        formula=sp.Tuple(sp.Ge(Z, L_maurer), sp.Ge(Z, L_maurer_inf), sp.Ge(Z, L_count)),
        hypotheses=(sp.Lt(delta_p, 1),),
        uses=("lem:lognormal-tilt",),
        failure=delta_p,
        notes="Each relation holds with probability >= 1 - delta' for every fixed c; L is the "
              "maximum over a grid of c fixed from (n, beta, delta') before sampling.",
    ),
    Result(
        "lem:count-upper", "lemma", "Count upper bound",
        "N_t = #{s_j > t} ~ Bin(n, p), p = Phic(t/beta); with probability >= 1 - delta', "
        "N_t <= np + u, u = ln(1/delta')/3 + sqrt(ln^2(1/delta')/9 + 2np(1-p) ln(1/delta')) "
        "(Bernstein), or the exact binomial quantile.",
        r"N_t \le np + \tfrac13\ln\tfrac1{\delta'} + \sqrt{\tfrac19\ln^2\tfrac1{\delta'} "
        r"+ 2np(1-p)\ln\tfrac1{\delta'}}",
        ("companion",),
        formula=sp.Le(N_t, count_bound),
        hypotheses=(sp.Lt(delta_p, 1),),
        failure=delta_p,
    ),
    Result(
        "thm:sparse-whp", "theorem", "Gaussian attention is sparse with high probability",
        "With probability >= 1 - delta (default 1e-4), a is (eps,k)-sparse with k = floor(np + u) for "
        "t = ln(eps L(n, beta, delta/2)), delta' = delta/2. For an n x n matrix use delta/n per row.",
        r"\Pr\big[a\ (\varepsilon,k)\text{-sparse}\big]\ge 1-\delta,\quad k=\lfloor np+u\rfloor,"
        r"\ t=\ln(\varepsilon L)",
        ("paper",),
        formula=sp.Tuple(sp.Eq(t, t_sparse), sp.Le(N_eps, k_sparse)),
        hypotheses=(sp.Lt(eps, 1), sp.Lt(delta, 1)),
        uses=("lem:partition-lower", "lem:count-upper", "def:eps-k-sparse"),
        failure=delta,
        assumed=((sp.Ge(Z, L), delta / 2),),
    ),
    Result(
        "thm:sparse-whp-sharp", "theorem", "Sparsity with high probability, from one event",
        "The claim of thm:sparse-whp with k from one event: N_eps > k exactly when e^{s_(k+1)} > eps Z; "
        "given u = s_(k+1) the k scores above and n-k-1 below are independent truncated normals, so "
        "P_u = P(N_eps > k | u) <= e^{lambda (1/eps - 1)} M_above^k M_below^(n-k-1) for every lambda >= 0 "
        "(Chernoff, M_side = E[exp(-lambda e^{s-u}) | side]); P_u is nondecreasing in u (log-concavity), so "
        "cells in u with exact binomial masses, each bounded at its right endpoint, bound P(N_eps > k), "
        "every integral enclosed in arb; k = the smallest k whose bound is <= delta, capped by the sure "
        "bound N_eps <= ceil(1/eps) - 1.",
        r"\Pr[N_\varepsilon>k\mid s_{(k+1)}=u]\le e^{\lambda(1/\varepsilon-1)}M_{\uparrow}(\lambda,u)^k"
        r"M_{\downarrow}(\lambda,u)^{n-k-1},\quad N_\varepsilon\le\lceil 1/\varepsilon\rceil-1",
        ("companion",),
        formula=sp.Tuple(sp.Le(P_u, sp.exp(lam * (1 / eps - 1)) * M_above**k * M_below**(n - k - 1)),
                         sp.Le(N_eps, sp.ceiling(1 / eps) - 1)),
        # what the quantities are: a probability, two expectations of e^{-lambda x} (x >= 0), the (k+1)-th
        # score exists; the mutation gate's classifier needs them (a witness with M_below > 1 is no row)
        hypotheses=(sp.Lt(eps, 1), sp.Le(P_u, 1), sp.Le(M_above, 1), sp.Le(M_below, 1), sp.Lt(k, n)),
        uses=("def:eps-k-sparse", "thm:sparse-whp"),
        notes="The integral over u is an algorithm (cells, arb enclosures): numeric.sharp evaluates it; "
              "the relations are the conditional Chernoff step and the sure bound.",
    ),
    Result(
        "thm:error-whp", "theorem", "Top-k error with high probability",
        "With probability >= 1 - delta each: for k >= the k of thm:sparse-whp (its L_2 at delta/2), "
        "tau_k <= (n-k) eps and ||o - o_hat||_inf <= 2 (n-k) eps max|V|; sharper: tau_k <= U_t / L for "
        "k >= the count bound at t, with three events at delta/3 (Z >= L, N_t <= k, T_t <= U_t).",
        r"\tau_k\le (n-k)\varepsilon,\qquad \tau_k \le U_t / L",
        ("paper", "companion"),
        formula=sp.Tuple(sp.Le(tau, (n - k) * eps), sp.Le(err, 2 * (n - k) * eps * v_max),
                         sp.Le(tau, U_t / L)),
        hypotheses=(sp.Lt(eps, 1), sp.Lt(delta, 1), sp.Ge(k, k_sparse.subs(L, L_half)),
                    sp.Ge(k, count_bound.subs(delta_p, delta / 3))),
        failure=delta,
        assumed=((sp.Ge(Z, L_half), delta / 2), (sp.Ge(Z, L), delta / 3)),
        uses=("thm:sparse-whp", "lem:eps-k-tail", "thm:output-error", "lem:partition-lower",
              "lem:count-upper"),
    ),
    Result(
        "thm:nC-sufficient", "theorem", "k = n^C suffices",
        "With beta^2 = 2 gamma ln n, 0 < gamma < 1: for every C > 1 - gamma and alpha > 0, a window of "
        "k >= alpha n^C keys (k = ceil(alpha n^C)) gives tau_k -> 0 in probability as n -> oo. So for every "
        "eps in (0, 1), k_eps <= ceil(alpha n^C) with probability -> 1: log k_eps / log n is at most "
        "1 - gamma + o(1).",
        r"\beta^2 = 2\gamma\ln n,\ C > 1-\gamma,\ k \ge \alpha n^C:\ \tau_k\xrightarrow{P}0",
        ("paper",),
        formula=sp.Eq(Plim(tau), 0),
        hypotheses=(sp.Lt(gamma, 1), sp.Gt(C, 1 - gamma), sp.Eq(beta, sp.sqrt(2 * gamma * sp.log(n))),
                    sp.Ge(k, alpha * n**C)),
        uses=("thm:nC-explicit",),
        notes="The paper's 'hence log k_eps / log n -> 1 - gamma' also needs the lower half, k_eps >= "
              "n^{1 - gamma - o(1)}: prop:phase-diagram states it (cited, not proved). gamma = 0 (beta = 0, "
              "uniform weights) is left out: there tau_k = 1 - k/n, which tends to 0 only for k = n - o(n).",
    ),
    Result(
        "thm:nC-explicit", "theorem", "A window of n^C keys: the explicit bound and its limit",
        "For every beta > 0 and 0 < theta < 1, with probability >= 1 - delta, tau_k <= U / L for every "
        "window k at least the count bound N at t = (1 - theta) beta^2 and every 0 < L <= L_w (U, N, L_w: "
        "the bounds of thm:error-whp's direct form with each Phi_c replaced by its Chernoff bound, the "
        "truncation at (1 + theta) beta^2). For 0 < gamma < 1, C > 1 - gamma, theta = (C - 1 + gamma)"
        "(1 - gamma) / (C (4 gamma + 1)) and beta^2 = 2 gamma ln n: U / L_w -> 0, N / n^C -> 0 and "
        "the deviation of L_w is o(its mean). So for every alpha > 0 and all large n the window "
        "k = ceil(alpha n^C) and L = L_w qualify, and tau_k -> 0 in probability.",
        r"\tau_k \le U/L\ \text{w.p.}\ \ge 1-\delta,\qquad \frac{U}{L_w}\to 0,\quad "
        r"\frac{N}{n^C}\to 0\quad(\beta^2 = 2\gamma\ln n,\ C > 1-\gamma)",
        ("companion",),
        formula=sp.Tuple(sp.Le(tau, U_w / L),
                         sp.Eq(sp.Limit(in_regime(U_w / L_w), n, sp.oo), 0, evaluate=False),
                         sp.Eq(sp.Limit(in_regime(count_w / n**C), n, sp.oo), 0, evaluate=False),
                         sp.Eq(sp.Limit(in_regime(L_w_dev / L_w_mean), n, sp.oo), 0, evaluate=False)),
        hypotheses=(sp.Lt(gamma, 1), sp.Gt(C, 1 - gamma), sp.Lt(delta, 1), sp.Lt(theta, 1), sp.Ge(k, count_w),
                    sp.Le(L, L_w)),
        failure=delta,
        uses=("thm:error-whp", "lem:partition-lower", "lem:count-upper"),
        notes="The first relation holds for every beta > 0 and theta in (0, 1); the limits are in the regime "
              "at theta = theta_star. The n_0 beyond "
              "which k = ceil(alpha n^C) and L = L_w meet the hypotheses is where N <= alpha n^C and "
              "L_w > 0; numeric.gaussian computes it for given parameters.",
    ),
    Result(
        "thm:nC-necessary-explicit", "theorem",
        "A window of fewer keys: the explicit bound and its limit",
        "For every beta > 0 and 0 < theta < 1, with probability >= 1 - delta, 1 - tau_k <= "
        "(3 n e^{beta^2/2 - theta^2 beta^2/2} / (2 delta) + K e^{(1 + theta) beta^2}) / L for every window "
        "k <= K and every "
        "0 < L <= L_w (thm:nC-explicit's L_w): the kept keys above c = (1 + theta) beta^2 carry at most the "
        "mass above c (Markov at 2 delta/3), those below at most e^c each, and Z >= L_w (Maurer at delta/3). "
        "For 0 < gamma < 1, 0 < C < 1 - gamma, theta = theta_low = (1 - gamma - C) / (4 gamma + 1), "
        "beta^2 = 2 gamma ln n and K = alpha n^C, the bound over L_w tends to 0, and the deviation of L_w is "
        "o(its mean).",
        r"1-\tau_k \le \frac{3n e^{\beta^2/2-\theta^2\beta^2/2}/(2\delta) + K e^{(1+\theta)\beta^2}}{L}"
        r"\ \text{w.p.}\ \ge 1-\delta,\qquad \frac{\cdots}{L_w}\to 0\quad(C < 1-\gamma)",
        ("companion",),
        formula=sp.Tuple(
            sp.Le(1 - tau, kept_w / L),
            sp.Eq(sp.Limit(in_regime(kept_w.xreplace({K_win: alpha * n**C}) / L_w, theta_low), n, sp.oo), 0,
                  evaluate=False),
            sp.Eq(sp.Limit(in_regime(L_w_dev / L_w_mean, theta_low), n, sp.oo), 0, evaluate=False)),
        hypotheses=(sp.Lt(gamma, 1), sp.Lt(C, 1 - gamma), sp.Lt(delta, 1), sp.Lt(theta, 1), sp.Le(k, K_win),
                    sp.Le(L, L_w)),
        failure=delta,
        uses=("thm:nC-explicit", "lem:partition-lower"),
        notes="The first relation holds for every beta > 0 and theta in (0, 1); the limits are in the regime "
              "at theta = theta_low.",
    ),
    Result(
        "thm:nC-necessary", "theorem", "k = n^C with C < 1 - gamma does not suffice",
        "With beta^2 = 2 gamma ln n, 0 < gamma < 1: for every 0 < C < 1 - gamma and alpha > 0, every window "
        "of k <= alpha n^C keys (a fixed k included) has tau_k -> 1 in probability. With thm:nC-sufficient: "
        "for every eps in (0, 1), n^C < k_eps <= n^C' with probability -> 1 for every C < 1 - gamma < C', so "
        "log k_eps / log n -> 1 - gamma in probability.",
        r"\beta^2 = 2\gamma\ln n,\ C < 1-\gamma,\ k \le \alpha n^C:\ \tau_k\xrightarrow{P}1",
        ("companion",),
        formula=sp.Eq(Plim(1 - tau), 0),
        hypotheses=(sp.Lt(gamma, 1), sp.Lt(C, 1 - gamma), sp.Eq(beta, sp.sqrt(2 * gamma * sp.log(n))),
                    sp.Le(k, alpha * n**C)),
        uses=("thm:nC-necessary-explicit",),
    ),
    Result(
        "thm:polylog-insufficient", "theorem", "Polylog windows do not suffice",
        "Same regime: w.p. >= 1 - 2 delta' (L with P(Z >= L) >= 1 - delta'), max_j a_j <= e^M / L with "
        "M = beta sqrt(2 ln(n/delta')), so tau_k >= 1 - k e^M / L; the bound e^M / E Z decays like "
        "n^{-(1-sqrt(gamma))^2} (exponent mu), so any k = n^{o(1)} has tau_k -> 1.",
        r"\tau_k \ge 1 - k\,e^{M}/L \approx 1 - k\,n^{-(1-\sqrt\gamma)^2}",
        ("paper",),
        formula=sp.Tuple(sp.Eq(M, M_max), sp.Le(a_max, sp.exp(M) / L),
                         sp.Ge(tau, 1 - k * sp.exp(M) / L), sp.Eq(w_exp, (1 - sp.sqrt(gamma))**2)),
        hypotheses=(regime, sp.Lt(gamma, 1), sp.Lt(delta_p, 1)),
        failure=2 * delta_p,
        assumed=((sp.Ge(Z, L), delta_p),),
        uses=("lem:max-weight", "lem:partition-lower", "lem:worst-case-error"),
    ),
    Result(
        "cor:adaptive-window", "corollary", "Adaptive windows beat fixed windows",
        "With beta^2 = 2 gamma ln n, 0 < gamma < 1: for a fixed window k_fixed, tau -> 1 in probability as n "
        "grows; for a window k_adaptive >= alpha n^C with C > 1 - gamma, tau -> 0 in probability.",
        r"k\ \text{fixed}:\ \tau_k\xrightarrow{P}1;\qquad k\ge\alpha n^C,\ C>1-\gamma:\ "
        r"\tau_k\xrightarrow{P}0",
        ("paper",),
        formula=sp.Tuple(sp.Eq(Plim(1 - tau_fixed), 0), sp.Eq(Plim(tau_adapt), 0)),
        hypotheses=(sp.Lt(gamma, 1), sp.Gt(C, 1 - gamma), sp.Eq(beta, sp.sqrt(2 * gamma * sp.log(n))),
                    sp.Ge(k_adapt, alpha * n**C)),
        uses=("thm:nC-sufficient", "thm:nC-necessary", "thm:polylog-insufficient"),
        notes="k_fixed does not grow with n; thm:polylog-insufficient gives the explicit lower bound "
              "1 - k e^M / L for every n.",
    ),
    Result(
        "prop:norm-sparsity", "proposition", "Larger weight norms mean sparser attention",
        "d/d beta [Phic(beta + Phi^-1(eps))] = -phi(beta + Phi^-1(eps)) < 0: a larger score scale "
        "(larger ||W||) means sparser attention.",
        r"\frac{d}{d\beta}\bar\Phi\big(\beta+\Phi^{-1}(\varepsilon)\big) = "
        r"-\varphi\big(\beta+\Phi^{-1}(\varepsilon)\big) < 0",
        ("paper",),
        formula=sp.Tuple(sp.Eq(d_frac, -phi(beta + Phi_inv(eps))), sp.Lt(d_frac, 0)),
        hypotheses=(sp.Lt(eps, 1),),
        uses=("prop:k-eps-rule", "lem:conditional-gaussian"),
    ),
    Result(
        "prop:phase-diagram", "proposition", "Phase diagram and attention collapse",
        "beta^2 = 2 gamma ln n: gamma = 0 needs k = Theta(n); 0 < gamma < 1 needs k = n^{1-gamma+o(1)}; "
        "gamma > 1 is attention collapse (top O(1) weights carry Theta(1) mass). Cited from the "
        "random energy model; checked numerically, not proved here.",
        r"\gamma=0:\ k=\Theta(n);\ \ 0<\gamma<1:\ k=n^{1-\gamma+o(1)};\ \ \gamma>1:\ \text{collapse}",
        ("companion",),
        formula=sp.Eq(k_exp, sp.Piecewise((1 - gamma, gamma < 1), (0, True))),
        hypotheses=(regime,),
        uses=("thm:nC-sufficient", "thm:nC-necessary", "thm:polylog-insufficient"),
        notes="Never certified: the gamma > 1 statement is the random energy model's, cited.",
    ),
]
