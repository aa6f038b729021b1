"""The SymPy symbols shared by every result (THEORY.md's notation): `natsparse.proofs.symbols`.

Scalars carry the assumptions the theory makes of them (n, k positive integers, tau in
[0, 1], ...), so that SymPy can simplify with them; vectors are `IndexedBase`s. Because of the
assumptions, a symbol made by the user (`sympy.Symbol("n")`) is a *different* symbol: substitute
by name with `Result.subs(n=10)` (or use these objects) rather than `formula.subs({"n": 10})`.

A symbol's printed name is its Python name here, and the option of `natsparse bound` (`eps`,
`--eps`; `Delta`, `--Delta`); `latex` prints the book's notation (`\\varepsilon`, `\\Delta_k`).
`MEANINGS` says in words what each parameter is; `by_name` finds a symbol from its name.

    >>> n.is_integer and n.is_positive, tau.is_nonnegative, s[j]
    (True, True, s[j])
    >>> str(eps), str(Delta), latex(eps * Delta)
    ('eps', 'Delta', '\\\\Delta_k \\\\varepsilon')
"""

import sympy as sp

n, k, m, r = sp.symbols("n k m r", integer=True, positive=True)
i, j, l = sp.symbols("i j l", integer=True, positive=True)  # noqa: E741
tau, tau_S, tau_next, tau_thr = sp.symbols(
    "tau tau_S tau_{k+1} tau_thr", nonnegative=True)
eps, delta, delta_p = sp.symbols("eps delta delta'", positive=True)
beta, sigma, gamma, C, alpha, c_scale = sp.symbols("beta sigma gamma C alpha c", positive=True)
t = sp.Symbol("t", real=True)
Delta = sp.Symbol("Delta", nonnegative=True)            # s_(k) - s_(k+1)
s_k1 = sp.Symbol("s_k1", real=True)                     # the (k+1)-th largest score
LSE = sp.Symbol("LSE", real=True)                       # log sum_j exp(s_j)
a_max = sp.Symbol("a_max", positive=True)               # max_j a_j
N_eps = sp.Symbol("N_eps", nonnegative=True)            # #{j : a_j > eps}, the count of def:eps-k-sparse
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


class Plim(sp.Function):
    """plim X: the limit in probability of the random quantity X as n -> oo (every other parameter fixed),
    kept unevaluated: Eq(Plim(tau), 0) says P(tau > eta) -> 0 for every eta > 0.

    >>> latex(sp.Eq(Plim(tau), 0, evaluate=False))
    '\\\\operatorname{plim}_{n \\\\to \\\\infty} \\\\tau = 0'
    """

    nargs = 1

    def _latex(self, printer):
        arg = printer._print(self.args[0])
        shown = rf"\left({arg}\right)" if self.args[0].is_Add else arg
        return r"\operatorname{plim}_{n \to \infty} " + shown


#: probabilities: in (0, 1), which SymPy's assumptions cannot say (`natsparse bound` enforces it)
PROBABILITIES = (delta, delta_p)

#: the book's LaTeX for symbols whose plain name is kept short (`latex` uses it)
LATEX_NAMES = {eps: r"\varepsilon", Delta: r"\Delta_k", delta_p: r"\delta'", tau_next: r"\tau_{k+1}",
               s_k1: r"s_{(k+1)}", LSE: r"\mathrm{LSE}", v_spread: r"D_{S,H}", tau_S: r"\tau_S",
               tau_thr: r"\tau_{\mathrm{thr}}", a_max: r"a_{\max}", v_max: r"v_{\max}",
               err: r"\|o - \hat o\|"}

#: what each parameter is, in words (the help of `natsparse bound ID --help`), by printed name
MEANINGS = {
    "n": "number of keys (the row length)",
    "k": "number of keys kept (the window)",
    "m": "number of weights above the threshold (or of rows)",
    "tau": "tail mass tau_k: the attention weight outside the kept set",
    "tau_S": "tail mass outside an arbitrary kept set S of size k",
    "tau_{k+1}": "tail mass tau_{k+1} of the window k + 1",
    "tau_thr": "tail mass dropped by the threshold rule",
    "eps": "weight threshold epsilon",
    "delta": "failure probability",
    "delta'": "failure probability of this lemma",
    "beta": "score scale: scores ~ N(0, beta^2)",
    "sigma": "standard deviation of the inputs",
    "gamma": "regime: beta^2 = 2 gamma ln n",
    "C": "exponent of the window k = ceil(alpha n^C)",
    "alpha": "constant of the window k = ceil(alpha n^C)",
    "c": "constant of the score scale",
    "t": "score threshold",
    "Delta": "score gap s_(k) - s_(k+1)",
    "s_k1": "the (k+1)-th largest score s_(k+1)",
    "LSE": "log-sum-exp of the scores, log sum_j e^{s_j}",
    "a_max": "largest attention weight max_j a_j",
    "v_max": "largest value norm max_j ||v_j||",
    "D_SH": "value spread max_{i in S, j not in S} ||v_j - v_i||",
    "err": "output error ||o - o_hat||",
    "KL": "Kullback-Leibler divergence of the kept distribution from a",
    "mu_T": "mean value over the kept set",
    "mu_H": "mean value over the dropped set",
    "a[l]": "attention weight of key l",
    "a[j]": "attention weight of key j",
    "a_hat[j]": "renormalised kept weight of key j",
    "s[i]": "score of key i",
    "s[j]": "score of key j",
    "v[j]": "value vector of key j",
    "tau[i]": "tail mass of row i",
    "1_S(l)": "1 if key l is kept, else 0",
    "1_S(j)": "1 if key j is kept, else 0",
}


def by_name(name) -> sp.Symbol:
    """The package's symbol printed as `name` (a string, or any SymPy symbol of that name).

    >>> by_name("eps") is eps, by_name(sp.Symbol("n")) is n
    (True, True)
    """
    found = _BY_NAME.get(str(name))
    if found is None:
        raise ValueError(f"no symbol named {str(name)!r} in natsparse.proofs.symbols")
    return found


def latex(expr) -> str:
    """`expr` in the book's LaTeX (`LATEX_NAMES` for the short printed names).

    >>> latex(tau <= eps * (n - k))
    '\\\\tau \\\\leq \\\\varepsilon \\\\left(- k + n\\\\right)'
    """
    return sp.latex(expr, symbol_names=LATEX_NAMES)


_BY_NAME = {str(x): x for x in globals().values() if isinstance(x, sp.Symbol)}
