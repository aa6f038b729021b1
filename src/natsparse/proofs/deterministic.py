"""THEORY.md "Deterministic results": bounds that hold for every input, as SymPy relations, the
kernel's rounding-aware certificate among them."""

import sympy as sp

from .result import Result
from .symbols import (
    KL,
    L1,
    LSE,
    TV,
    Delta,
    L_k,
    N_eps,
    a,
    a_max,
    ds,
    eps,
    err,
    k,
    l,
    m,
    mu_H,
    mu_T,
    n,
    o,
    o_hat,
    one_S,
    s_k1,
    tau,
    tau_next,
    tau_S,
    tau_thr,
    v_max,
    v_spread,
)

# thm:certificate-rounding's own quantities, as the kernel reports them per row (kernels/certificate.py):
# tau_up = tau~ + rho_tau >= the exact tail of the kept set, rho_o >= ||o~ - o_hat||, err_fl = ||o~ - o||.
tau_up = sp.Symbol("tau_up", nonnegative=True)
rho_o = sp.Symbol("rho_o", nonnegative=True)
err_fl = sp.Symbol("err_fl", nonnegative=True)

DETERMINISTIC = [
    Result(
        "lem:tail-identity", "lemma", "Tail identities",
        "||a_hat - a||_1 = 2 tau, TV(a, a_hat) = tau, KL(a_hat || a) = -log(1 - tau), hence "
        "TV = 1 - exp(-KL).",
        r"\|\hat a - a\|_1 = 2\tau,\ \ \mathrm{TV}(a,\hat a) = \tau,\ \ "
        r"\mathrm{KL}(\hat a\,\|\,a) = -\log(1-\tau),\ \ \mathrm{TV} = 1 - e^{-\mathrm{KL}}",
        ("tv-theory",),
        formula=sp.Tuple(sp.Eq(L1, 2 * tau), sp.Eq(TV, tau), sp.Eq(KL, -sp.log(1 - tau)),
                         sp.Eq(TV, 1 - sp.exp(-KL))),
        hypotheses=(sp.Lt(tau, 1),),
        uses=("def:topk-attention", "def:tail-mass"),
        notes="Holds for every kept set S of size k, not only the top-k set.",
    ),
    Result(
        "lem:output-factorization", "lemma", "Output factorisation",
        "o - o_hat = tau (mu_T - mu_H) with mu_H = o_hat and mu_T = sum_{j not in S} a_j v_j / tau "
        "(tau > 0).",
        r"o - \hat o = \tau(\mu_T - \mu_H),\quad \mu_H = \hat o,\quad "
        r"\mu_T = \tfrac1\tau\sum_{j\notin S} a_j v_j",
        ("tv-theory",),
        formula=sp.Eq(o - o_hat, tau * (mu_T - mu_H)),
        hypotheses=(sp.Gt(tau, 0), sp.Lt(tau, 1)),
        uses=("def:topk-attention", "def:tail-mass"),
    ),
    Result(
        "thm:output-error", "theorem", "Output error of top-k attention",
        "||o - o_hat|| <= tau * max_{i in S, j not in S} ||v_j - v_i|| <= 2 tau max_j ||v_j|| in any "
        "norm; entrywise ||o - o_hat||_inf <= 2 tau max|V|.",
        r"\|o-\hat o\| \le \tau\max_{i\in S,\,j\notin S}\|v_j - v_i\| \le 2\tau\max_j\|v_j\|",
        ("paper",),
        formula=sp.Tuple(sp.Le(err, tau * v_spread), sp.Le(tau * v_spread, 2 * tau * v_max)),
        uses=("lem:output-factorization",),
        notes="The paper's v1 Theorem 2, deterministic core.",
    ),
    Result(
        "lem:worst-case-error", "lemma", "Worst-case error is exactly 2 tau",
        "For 0 < k < n, sup over values with ||v_j|| <= 1 of ||o - o_hat|| equals 2 tau, attained "
        "with v = u on the tail and -u on the head.",
        r"\sup_{\|v_j\|\le 1}\|o-\hat o\| = 2\tau \quad (0<k<n)",
        ("companion",),
        formula=sp.Eq(sp.Symbol("sup_err", nonnegative=True), 2 * tau),
        hypotheses=(sp.Lt(k, n),),
        uses=("thm:output-error", "lem:output-factorization"),
    ),
    Result(
        "lem:eps-k-tail", "lemma", "(eps,k)-sparse rows have small tails",
        "If a is (eps,k)-sparse then tau_k <= (n-k) eps, and ||o - o_hat||_inf <= 2 (n-k) eps max|V|.",
        r"a\ (\varepsilon,k)\text{-sparse} \Rightarrow \tau_k \le (n-k)\varepsilon,\ \ "
        r"\|o-\hat o\|_\infty\le 2(n-k)\varepsilon\max|V|",
        ("paper",),
        formula=sp.Tuple(sp.Le(tau, (n - k) * eps), sp.Le(err, 2 * (n - k) * eps * v_max)),
        hypotheses=(sp.Le(N_eps, k),),
        uses=("def:eps-k-sparse", "def:tail-mass", "thm:output-error"),
    ),
    Result(
        "lem:gap-bound", "lemma", "Gap bound",
        "tau_k <= 1 / (1 + (k/(n-k)) exp(Delta_k)) with Delta_k = s_(k) - s_(k+1); also "
        "tau_k <= (n-k) exp(s_(k+1) - LSE).",
        r"\tau_k \le \frac{1}{1 + \frac{k}{n-k}e^{\Delta_k}},\ \ \Delta_k = s_{(k)} - s_{(k+1)};"
        r"\qquad \tau_k \le (n-k)\,e^{s_{(k+1)} - \mathrm{LSE}}",
        ("companion",),
        formula=sp.Tuple(sp.Le(tau, 1 / (1 + k / (n - k) * sp.exp(Delta))),
                         sp.Le(tau, (n - k) * sp.exp(s_k1 - LSE))),
        hypotheses=(sp.Lt(k, n),),
        uses=("def:tail-mass",),
    ),
    Result(
        "lem:topk-optimal", "lemma", "Top-k is optimal",
        "Among index sets of size k, the top-k set minimises the discarded mass and the total "
        "variation to a.",
        r"\tau_k(s) = \min_{|S'|=k}\sum_{j\notin S'}a_j,\qquad "
        r"\mathrm{TV}(a,\hat a_S) = \min_{|S'|=k}\mathrm{TV}(a,\hat a_{S'})",
        ("companion",),
        formula=sp.Le(tau, tau_S),
        uses=("def:tail-mass", "lem:tail-identity"),
    ),
    Result(
        "lem:tail-monotone", "lemma", "Tail mass is monotone",
        "tau_k is non-increasing in k, tau_n = 0, and tau_k <= 1 - k/n.",
        r"\tau_{k+1}\le\tau_k,\quad \tau_n = 0,\quad \tau_k \le 1 - \tfrac kn",
        ("companion",),
        formula=sp.Tuple(sp.Le(tau_next, tau), sp.Le(tau, 1 - k / n)),
        uses=("def:tail-mass",),
    ),
    Result(
        "lem:max-weight", "lemma", "Max-weight lower bound",
        "tau_k >= 1 - k max_j a_j (the core of every impossibility result).",
        r"\tau_k \ge 1 - k\max_j a_j",
        ("companion",),
        formula=sp.Ge(tau, 1 - k * a_max),
        uses=("def:tail-mass",),
    ),
    Result(
        "lem:loss-gradient", "lemma", "Gradient of the tail mass",
        "d tau_k / d s_l = a_l (1[l not in S] - tau_k) where S is locally constant; "
        "0 <= L_k <= 1 - k/n; rows with tau_k <= eta have certified top-k error <= 2 eta max||v||.",
        r"\frac{\partial\tau_k}{\partial s_l} = a_l\big(\mathbb 1[l\notin S]-\tau_k\big),\qquad "
        r"0\le L_k\le 1-\tfrac kn",
        ("condensation", "companion"),
        # 0 <= L_k is carried by L_k's assumption (nonnegative); the upper bound is a relation.
        formula=sp.Tuple(sp.Eq(ds(l), a[l] * (1 - one_S(l) - tau)), sp.Le(L_k, 1 - k / n)),
        uses=("def:sparsity-loss", "def:tail-mass", "lem:tail-monotone", "thm:output-error"),
    ),
    Result(
        "thm:threshold-error", "theorem", "Threshold attention error",
        "Threshold attention keeps every j with a_j >= eps (eps <= max_j a_j, e.g. eps <= 1/n), "
        "discards mass tau <= (#dropped) eps < n eps, and its output error obeys thm:output-error "
        "with that tau.",
        r"\tau_{\mathrm{thr}} \le m_{\mathrm{drop}}\,\varepsilon < n\varepsilon,\qquad "
        r"\|o-\hat o_{\mathrm{thr}}\|\le 2\tau_{\mathrm{thr}}\max_j\|v_j\|",
        ("paper",),
        formula=sp.Tuple(sp.Le(tau_thr, m * eps), sp.Lt(m * eps, n * eps),
                         sp.Le(err, 2 * tau_thr * v_max)),
        hypotheses=(sp.Le(eps, a_max), sp.Lt(m, n)),   # eps <= max a keeps a key: m <= n - 1
        uses=("def:threshold-attention", "thm:output-error", "lem:eps-k-tail"),
    ),
    Result(
        "thm:certificate-rounding", "theorem", "A certificate that covers rounding",
        "For the numbers a kernel computes in floating point (unit roundoff u of the accumulation, u_out "
        "of the output dtype, N visible keys), a forward error analysis of its sums, products, division "
        "and final cast gives rho_tau, rho_o with |tau~ - tau| <= rho_tau and ||o~ - o_hat|| <= rho_o, "
        "hence ||o~ - o|| <= 2 (tau~ + rho_tau) max_j ||v_j|| + rho_o =: error_bound (o the exact dense "
        "attention), on every row, tau = 0 rows included.",
        r"|\tilde\tau-\tau|\le\rho_\tau,\ \ \|\tilde o-\hat o\|\le\rho_o\ \Longrightarrow\ "
        r"\|\tilde o-o\|\le 2(\tilde\tau+\rho_\tau)\max_j\|v_j\|+\rho_o =: \mathrm{error\_bound}",
        ("companion",),
        # tau_up = tau~ + rho_tau is one quantity of the kernel (it never uses the two apart); the
        # hypotheses are the two halves of the forward error analysis (book/kernel.md proves them).
        formula=sp.Le(err_fl, 2 * tau_up * v_max + rho_o),
        hypotheses=(sp.Le(tau, tau_up), sp.Le(tau_up, 1)),
        uses=("def:topk-attention", "def:tail-mass", "thm:output-error"),
        notes="Hypothesis on the hardware: every floating-point operation of the kernel rounds to nearest "
              "with the unit roundoff of its format, except the score dot products, whose unit roundoff "
              "u_dot is that of round-to-nearest (2^-24 in fp32) or, for the compiled 16-bit Triton kernel "
              "on tensor cores (reported to truncate, not measured here), of truncation (2^-23). "
              "A statement about rounded operations: the book proves it by a written forward error "
              "analysis (rho_tau, rho_o for the kernels' float32/float64 arithmetic); the machine checks "
              "it in ball arithmetic on stated rows (evidence/kernel.py), a finite check.",
    ),
]
