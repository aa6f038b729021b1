"""Symbolic proofs, done by SymPy, of the deterministic results for every n <= N_MAX.

Each proof is exact algebra on symbolic weights w_j = exp(s_j) > 0 (and symbolic values
v_j), for every size n <= N_MAX and every kept-set size k < n. Identities are proved for
*every* kept set S of size k, which covers the top-k set whatever the scores are; the
inequalities that need S to be the top-k set are proved on the sorted parametrisation of
`positivity.sorted_weights`, which covers every ordering of the scores. `PROOFS` maps each
result to its prover; `natsparse.evidence.deterministic` registers them as `verified` evidence
(finite: n <= N_MAX) with tool "sympy" and `DOMAIN`.

Steps that are not algebra (the triangle inequality of a norm, the fact that a_(k+1) <= eps
is (eps,k)-sparsity) are stated in the proof's detail and written out in the book.
"""

from __future__ import annotations

from functools import cache
from itertools import combinations

import sympy as sp

from .positivity import nonnegative_on_orthant, sorted_weights

N_MAX = 5
DOMAIN = f"every n <= {N_MAX}, every 1 <= k < n, symbolic scores and values"


class ProofError(AssertionError):
    """A symbolic proof step did not go through (the claim or the code is wrong).

    >>> _require(1 + 1 == 3, "arithmetic")
    Traceback (most recent call last):
    ...
    natsparse.proofs.symbolic.ProofError: arithmetic
    """


def _require(ok: bool, what: str) -> None:
    if not ok:
        raise ProofError(what)


def _is_zero(expr: sp.Expr) -> bool:
    return sp.cancel(sp.together(expr)) == 0


@cache
def _weights(n: int) -> tuple[sp.Symbol, ...]:
    return sp.symbols(f"w1:{n + 1}", positive=True)


@cache
def _values(n: int) -> tuple[sp.Symbol, ...]:
    return sp.symbols(f"v1:{n + 1}", real=True)


def _cases(n_max: int):
    """Every (n, k, S): 1 <= k < n <= n_max and every k-subset S of range(n)."""
    for n in range(2, n_max + 1):
        for k in range(1, n):
            for S in combinations(range(n), k):
                yield n, k, S


def _parts(w, S):
    """Z, head mass H = sum_S w, tail T, a, a_hat, tau for weights w and kept set S."""
    Z = sum(w)
    H = sum(w[j] for j in S)
    a = [wj / Z for wj in w]
    a_hat = [w[j] / H if j in S else sp.Integer(0) for j in range(len(w))]
    tau = 1 - H / Z
    return Z, H, a, a_hat, tau


def prove_tail_identity(n_max: int = N_MAX) -> int:
    """||a_hat - a||_1 = 2 tau, TV = tau, KL(a_hat||a) = -log(1-tau), TV = 1 - exp(-KL).

    Returns the number of (n, S) cases proved: here n = 2 and S = {1} or {2}.

    >>> prove_tail_identity(2)
    2
    """
    count = 0
    for n, _k, S in _cases(n_max):
        w = _weights(n)
        Z, H, a, a_hat, tau = _parts(w, S)
        diffs = [sp.factor(sp.together(a_hat[j] - a[j])) for j in range(n)]
        l1 = sum(sp.Abs(dj) for dj in diffs)
        _require(not l1.has(sp.Abs), f"|a_hat - a| not resolved for n={n}, S={S}")
        _require(_is_zero(l1 - 2 * tau), f"L1 != 2 tau for n={n}, S={S}")
        _require(_is_zero(l1 / 2 - tau), f"TV != tau for n={n}, S={S}")
        kl = sum(a_hat[j] * sp.log(sp.cancel(a_hat[j] / a[j])) for j in S)
        gap = sp.expand_log(kl - (-sp.log(1 - tau)), force=True)
        _require(_is_zero(sp.expand_log(sp.cancel(sp.together(gap)), force=True)),
                 f"KL != -log(1-tau) for n={n}, S={S}")
        _require(_is_zero(sp.simplify(1 - sp.exp(-kl)) - tau), f"TV != 1-exp(-KL) n={n}, S={S}")
        count += 1
    return count


def prove_output_factorization(n_max: int = N_MAX) -> int:
    """o - o_hat = tau (mu_T - mu_H), mu_H = o_hat, mu_T = sum_{j not in S} a_j v_j / tau.

    >>> prove_output_factorization(3)  # every kept set of every n <= 3
    8
    """
    count = 0
    for n, _k, S in _cases(n_max):
        w, v = _weights(n), _values(n)
        _Z, _H, a, a_hat, tau = _parts(w, S)
        o = sum(a[j] * v[j] for j in range(n))
        o_hat = sum(a_hat[j] * v[j] for j in S)
        mu_T = sum(a[j] * v[j] for j in range(n) if j not in S) / tau
        _require(_is_zero(o - o_hat - tau * (mu_T - o_hat)), f"factorisation fails n={n}, S={S}")
        count += 1
    return count


def prove_output_error(n_max: int = N_MAX) -> int:
    """o - o_hat = sum_{j not in S, i in S} a_j a_hat_i (v_j - v_i), weights >= 0 summing to tau.

    So o - o_hat is tau times a convex combination of the differences v_j - v_i, and any
    norm (by the triangle inequality) gives ||o - o_hat|| <= tau max ||v_j - v_i|| <= 2 tau max ||v||.

    >>> prove_output_error(3)
    8
    """
    count = 0
    for n, _k, S in _cases(n_max):
        w, v = _weights(n), _values(n)
        _Z, _H, a, a_hat, tau = _parts(w, S)
        T = [j for j in range(n) if j not in S]
        o = sum(a[j] * v[j] for j in range(n))
        o_hat = sum(a_hat[j] * v[j] for j in S)
        weights = {(j, i): a[j] * a_hat[i] for j in T for i in S}
        combo = sum(c * (v[j] - v[i]) for (j, i), c in weights.items())
        _require(_is_zero(o - o_hat - combo), f"convex-combination identity fails n={n}, S={S}")
        _require(_is_zero(sum(weights.values()) - tau), f"weights do not sum to tau n={n}, S={S}")
        _require(all(c.is_positive for c in weights.values()), f"negative weight n={n}, S={S}")
        count += 1
    return count


def prove_worst_case_error(n_max: int = N_MAX) -> int:
    """With v = +u on the tail and -u on the head (||v_j|| = 1), o - o_hat = 2 tau u exactly.

    >>> prove_worst_case_error(3)
    8
    """
    count = 0
    for n, _k, S in _cases(n_max):
        w = _weights(n)
        _Z, _H, a, a_hat, tau = _parts(w, S)
        v = [-1 if j in S else 1 for j in range(n)]
        diff = sum(a[j] * v[j] for j in range(n)) - sum(a_hat[j] * v[j] for j in S)
        _require(_is_zero(diff - 2 * tau), f"attaining values do not give 2 tau n={n}, S={S}")
        count += 1
    return count


def _sorted_cases(n_max: int):
    for n in range(2, n_max + 1):
        w, x, d = sorted_weights(n)
        Z = sum(w)
        for k in range(1, n):
            tau = sum(w[k:]) / Z
            yield n, k, w, x, d, Z, tau


def _nonneg(expr, x, d, what) -> None:
    _require(nonnegative_on_orthant(expr, [x], d), what)


def prove_gap_bound(n_max: int = N_MAX) -> int:
    """tau_k <= 1/(1 + k/(n-k) w_(k)/w_(k+1)) and tau_k <= (n-k) w_(k+1)/Z on sorted weights.

    >>> prove_gap_bound(3)  # (n, k) = (2, 1), (3, 1), (3, 2)
    3
    """
    count = 0
    for n, k, w, x, d, Z, tau in _sorted_cases(n_max):
        bound1 = 1 / (1 + sp.Rational(k, n - k) * w[k - 1] / w[k])
        _nonneg(bound1 - tau, x, d, f"gap bound (1) not proved n={n}, k={k}")
        _nonneg((n - k) * w[k] / Z - tau, x, d, f"gap bound (2) not proved n={n}, k={k}")
        count += 1
    return count


def prove_topk_optimal(n_max: int = N_MAX) -> int:
    """For every k-set S', its discarded mass minus tau_k is >= 0 (sorted weights).

    >>> prove_topk_optimal(3)
    8
    """
    count = 0
    for n, k, w, x, d, Z, tau in _sorted_cases(n_max):
        for S in combinations(range(n), k):
            tau_S = sum(w[j] for j in range(n) if j not in S) / Z
            _nonneg(tau_S - tau, x, d, f"top-k not optimal against S={S}, n={n}")
            count += 1
    return count


def prove_tail_monotone(n_max: int = N_MAX) -> int:
    """tau_{k+1} <= tau_k, tau_k <= 1 - k/n, and tau_n = 0, on sorted weights.

    >>> prove_tail_monotone(3)
    3
    """
    count = 0
    for n, k, w, x, d, Z, tau in _sorted_cases(n_max):
        tau_next = sum(w[k + 1:], sp.Integer(0)) / Z
        _nonneg(tau - tau_next, x, d, f"not monotone n={n}, k={k}")
        _nonneg(1 - sp.Rational(k, n) - tau, x, d, f"tau_k > 1 - k/n n={n}, k={k}")
        count += 1
    for n in range(1, n_max + 1):
        w, _x, _d = sorted_weights(n)
        _require(_is_zero(sum(w[n:], sp.Integer(0)) / sum(w)), f"tau_n != 0 for n={n}")
    return count


def prove_max_weight(n_max: int = N_MAX) -> int:
    """tau_k >= 1 - k a_(1) on sorted weights (k = n included: 0 >= 1 - n a_(1)).

    >>> prove_max_weight(3)  # 1 <= k <= n <= 3
    6
    """
    count = 0
    for n in range(1, n_max + 1):
        w, x, d = sorted_weights(n)
        Z = sum(w)
        for k in range(1, n + 1):
            tau = sum(w[k:], sp.Integer(0)) / Z
            _nonneg(tau - (1 - k * w[0] / Z), x, d, f"max-weight fails n={n}, k={k}")
            count += 1
    return count


def prove_eps_k_tail(n_max: int = N_MAX) -> int:
    """tau_k <= (n-k) a_(k+1); with (eps,k)-sparsity, i.e. a_(k+1) <= eps, tau_k <= (n-k) eps.

    >>> prove_eps_k_tail(3)
    3
    """
    count = 0
    for n, k, w, x, d, Z, tau in _sorted_cases(n_max):
        _nonneg((n - k) * w[k] / Z - tau, x, d, f"tau_k > (n-k) a_(k+1) n={n}, k={k}")
        count += 1
    return count


def prove_threshold_error(n_max: int = N_MAX) -> int:
    """Threshold attention keeps a top-r set; dropped mass <= (n-r) a_(r+1) < (n-r) eps.

    >>> prove_threshold_error(3)
    3
    """
    return prove_eps_k_tail(n_max)


def prove_loss_gradient(n_max: int = N_MAX) -> int:
    """d tau_S / d s_l = a_l (1[l not in S] - tau_S) by differentiating the symbolic softmax.

    >>> prove_loss_gradient(3)
    8
    """
    count = 0
    for n, _k, S in _cases(n_max):
        s = sp.symbols(f"s1:{n + 1}", real=True)
        e = [sp.exp(si) for si in s]
        Z = sum(e)
        tau = sum(e[j] for j in range(n) if j not in S) / Z
        w = _weights(n)
        back = {e[j]: w[j] for j in range(n)}
        for l in range(n):
            grad = sp.diff(tau, s[l]).subs(back)
            claim = (w[l] / sum(w)) * ((0 if l in S else 1) - tau.subs(back))
            _require(_is_zero(grad - claim), f"gradient fails n={n}, S={S}, l={l}")
        count += 1
    return count


#: result id -> (prover returning the number of cases proved, what else the proof uses)
PROOFS = {
    "lem:tail-identity": (prove_tail_identity, "; all kept sets S"),
    "lem:output-factorization": (prove_output_factorization, "; all kept sets S"),
    "thm:output-error": (prove_output_error, "; + triangle inequality of the norm"),
    "lem:worst-case-error": (prove_worst_case_error, "; + thm:output-error for the upper bound"),
    "lem:gap-bound": (prove_gap_bound, "; positivity on sorted weights"),
    "lem:topk-optimal": (prove_topk_optimal, "; TV via lem:tail-identity"),
    "lem:tail-monotone": (prove_tail_monotone, "; positivity on sorted weights"),
    "lem:max-weight": (prove_max_weight, "; positivity on sorted weights"),
    "lem:eps-k-tail": (prove_eps_k_tail, "; + (eps,k)-sparse <=> a_(k+1) <= eps"),
    "thm:threshold-error": (prove_threshold_error, "; the kept set is a top-r set"),
    "lem:loss-gradient": (prove_loss_gradient, "; bounds on L_k via lem:tail-monotone"),
}
