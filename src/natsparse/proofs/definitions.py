"""THEORY.md "Definitions": attention, top-k attention, tail mass, (eps,k)-sparsity,
threshold attention, mass-target attention and the sparsity loss, each with its defining SymPy
equation or relations."""

import sympy as sp

from .result import Result
from .symbols import LSE, L_k, a, a_hat, eps, err, i, j, k, m, n, o, o_hat, one_S, s, tau, v, v_max

_Z = sp.Sum(sp.exp(s[i]), (i, 1, n))
# def:mass-attention's own quantities: the tail target eta (max_tail) and tau_{k-1}, the tail of the
# top-(k-1) set (tau_0 = 1: the empty set drops everything), which minimality says exceeds eta.
eta = sp.Symbol("eta", nonnegative=True)
tau_prev = sp.Symbol("tau_{k-1}", nonnegative=True)

DEFINITIONS = [
    Result(
        "def:attention", "definition", "Softmax attention",
        "a = softmax(s), Z = sum_j exp(s_j), LSE = log Z, o = sum_j a_j v_j; row-wise "
        "Att(X) = D^-1 A V with A = exp(QK^T), D = diag(A 1).",
        r"a_j = \frac{e^{s_j}}{\sum_{i=1}^n e^{s_i}},\quad \mathrm{LSE} = \log\sum_{i=1}^n "
        r"e^{s_i},\quad o = \sum_{j=1}^n a_j v_j,\quad \mathrm{Att}(X) = D^{-1}AV",
        ("paper",),
        formula=sp.Tuple(sp.Eq(a[j], sp.exp(s[j]) / _Z), sp.Eq(LSE, sp.log(_Z)),
                         sp.Eq(o, sp.Sum(a[j] * v[j], (j, 1, n)))),
    ),
    Result(
        "def:topk-attention", "definition", "Top-k attention",
        "S = indices of the k largest scores (ties: lower index wins); a_hat_j = a_j/(1-tau) on S, "
        "0 elsewhere; o_hat = sum_S a_hat_j v_j (the softmax over the kept scores).",
        r"S=\operatorname{top}_k(s),\quad \hat a_j = \frac{a_j\,\mathbb 1[j\in S]}{1-\tau_k},"
        r"\quad \hat o = \sum_{j\in S}\hat a_j v_j",
        ("paper",),
        formula=sp.Tuple(sp.Eq(a_hat[j], a[j] * one_S(j) / (1 - tau)),
                         sp.Eq(o_hat, sp.Sum(a_hat[j] * v[j], (j, 1, n)))),
        uses=("def:attention", "def:tail-mass"),
    ),
    Result(
        "def:tail-mass", "definition", "Tail mass",
        "tau_k(s) = sum_{j not in S} a_j, the softmax mass discarded by top-k attention.",
        r"\tau_k(s) = \sum_{j\notin S} a_j",
        ("companion",),
        formula=sp.Eq(tau, sp.Sum(a[j] * (1 - one_S(j)), (j, 1, n))),
        uses=("def:attention",),
    ),
    Result(
        "def:eps-k-sparse", "definition", "(eps, k)-sparsity",
        "A probability vector a is (eps,k)-sparse if |{j : a_j > eps}| <= k; a matrix is if every "
        "row is.",
        r"|\{j : a_j > \varepsilon\}| \le k",
        ("paper",),
        formula=sp.Le(sp.Sum(sp.Heaviside(a[j] - eps, 0), (j, 1, n)), k),
        uses=("def:attention",),
    ),
    Result(
        "def:threshold-attention", "definition", "Threshold attention",
        "Keep {j : s_j >= LSE + log eps} (i.e. a_j >= eps) and renormalise.",
        r"S_\varepsilon = \{j : s_j \ge \mathrm{LSE} + \log\varepsilon\} = \{j : a_j\ge\varepsilon\}",
        ("paper", "companion"),
        formula=sp.Eq(one_S(j), sp.Heaviside(s[j] - LSE - sp.log(eps), 1)),
        uses=("def:attention", "def:topk-attention"),
    ),
    Result(
        "def:mass-attention", "definition", "Mass-target (top-p) attention",
        "For a target eta in [0, 1), keep the smallest top-k set (same tie rule) whose tail mass "
        "tau_k <= eta; k*(s, eta) = min{k : tau_k <= eta}. By lem:tail-monotone k* exists and the kept "
        "set is a prefix of the top-k order; with thm:output-error, ||o - o_hat|| <= 2 eta max_j ||v_j|| "
        "by construction.",
        r"k^*(s,\eta) = \min\{k : \tau_k(s)\le\eta\},\quad S = \operatorname{top}_{k^*}(s),\quad "
        r"\|o-\hat o\|\le 2\eta\max_j\|v_j\|\qquad (0\le\eta<1)",
        ("companion",),
        # k = k*: tau_k <= eta (within the target) and tau_{k-1} > eta (minimal), then the error bound.
        formula=sp.Tuple(sp.Le(tau, eta), sp.Gt(tau_prev, eta), sp.Le(err, 2 * eta * v_max)),
        hypotheses=(sp.Lt(eta, 1),),
        uses=("def:topk-attention", "def:tail-mass", "lem:tail-monotone", "thm:output-error"),
        notes="tau_{k-1} is the tail of the top-(k-1) set, tau_0 = 1; the kernels' mass_attention "
              "implements it (minimal for the scores it computed; its error_bound covers the rest).",
    ),
    Result(
        "def:sparsity-loss", "definition", "Sparsity loss",
        "For an attention matrix A with rows a_i, L_k(A) = mean_i tau_k(a_i) (the companion's "
        "form of the condensation loss; the paper's exact formula is not available).",
        r"L_k(A) = \frac1m\sum_{i=1}^m \tau_k(a_i)",
        ("condensation", "companion"),
        formula=sp.Eq(L_k, sp.Sum(sp.Indexed(sp.IndexedBase("tau"), i), (i, 1, m)) / m),
        uses=("def:tail-mass",),
    ),
]
