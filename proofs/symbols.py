"""The SymPy symbols shared by every result (THEORY.md's notation).

Scalars carry the assumptions the theory makes of them (n, k positive integers, tau in
[0, 1], ...), so that SymPy can simplify with them; vectors are `IndexedBase`s.

    >>> n.is_integer and n.is_positive, tau.is_nonnegative, s[j]
    (True, True, s[j])
"""

import sympy as sp

n, k, m, r = sp.symbols("n k m r", integer=True, positive=True)
i, j, l = sp.symbols("i j l", integer=True, positive=True)  # noqa: E741
tau, tau_S, tau_next, tau_thr = sp.symbols(
    "tau tau_S tau_{k+1} tau_thr", nonnegative=True)
eps, delta, delta_p = sp.symbols("epsilon delta delta'", positive=True)
beta, sigma, gamma, C, alpha, c_scale = sp.symbols("beta sigma gamma C alpha c", positive=True)
t = sp.Symbol("t", real=True)
Delta = sp.Symbol("Delta_k", nonnegative=True)          # s_(k) - s_(k+1)
s_k1 = sp.Symbol("s_k1", real=True)                     # the (k+1)-th largest score
LSE = sp.Symbol("LSE", real=True)                       # log sum_j exp(s_j)
a_max = sp.Symbol("a_max", positive=True)               # max_j a_j
v_max = sp.Symbol("v_max", nonnegative=True)            # max_j ||v_j||
v_spread = sp.Symbol("D_SH", nonnegative=True)          # max_{i in S, j not in S} ||v_j - v_i||
err = sp.Symbol("err", nonnegative=True)                # ||o - o_hat||
L1, TV, KL = sp.symbols("L1 TV KL", nonnegative=True)
o, o_hat, mu_T, mu_H = sp.symbols("o o_hat mu_T mu_H", real=True)
L_k = sp.Symbol("L_k", nonnegative=True)

s = sp.IndexedBase("s", real=True)
a = sp.IndexedBase("a", nonnegative=True)
a_hat = sp.IndexedBase("a_hat", nonnegative=True)
v = sp.IndexedBase("v", real=True)
one_S = sp.Function("1_S")            # indicator of the kept set S
ds = sp.Function("dtau_ds")           # partial derivative of tau_k with respect to s_l
