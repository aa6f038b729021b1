"""The axioms: the short list of textbook facts the proof kernel assumes (THEORY.md, "status ladder").

Everything else the kernel accepts is derived from these, from the registry's definitions, or decided
by SymPy. Each axiom is a registry entry `ax:<name>` with a citation and a SymPy statement. Three are
used as instances (the kernel substitutes values for their variables: `ax:exp-monotone`,
`ax:norm-triangle`, `ax:norm-homogeneity`); the others are used through one kernel rule each, named in
`RULES` (their statements speak of a permutation, an order, a maximum, a distance, an expectation,
which the rule checks against the model of the row).

    >>> from natsparse.proofs import get
    >>> get("ax:exp-monotone").formula, get("ax:exp-monotone").hypotheses
    (exp(x) <= exp(y), (x <= y,))
"""

import sympy as sp

from .result import Result
from .symbols import Plim

x, y, c, M, B = sp.symbols("x y c M B", real=True)
j, i, k, n = sp.symbols("j i k n", integer=True, positive=True)
f, p, q, s = sp.IndexedBase("f"), sp.IndexedBase("p"), sp.IndexedBase("q"), sp.IndexedBase("s", real=True)
pi = sp.Function("pi")
norm = sp.Function("norm", nonnegative=True)
s_k, s_k1 = sp.symbols("s_k s_k1", real=True)
L1, TV, KL = sp.symbols("L1 TV KL", nonnegative=True)
E_g, beta = sp.Symbol("E[g(s)]", real=True), sp.Symbol("beta", positive=True)
g = sp.Function("g")
# probability: P(...) of events, sums S = X_1 + ... + X_n of independent terms, their mean and variance
P_A, P_B, P_AB, P_dev = sp.symbols("P(A) P(B) P(A∪B) P_dev", nonnegative=True)
u, b, V, ES, ESq = sp.symbols("u b V E[S] sum_E[X^2]", nonnegative=True)
lo, hi = sp.symbols("lo hi", real=True)
# limits: growth rates r_f = lim ln f / ln n of functions eventually > 0
F = sp.Function("f", positive=True)
r_f = sp.Symbol("r_f", real=True)
# convergence in probability of a quantity X_n >= 0, from bounds F(n) that hold except with probability P_dev
X = sp.Symbol("X", nonnegative=True)
delta = sp.Symbol("delta", positive=True)

#: axiom id -> the kernel rule through which it is used (the others are used as instances)
RULES = {"ax:relabel": "unfold", "ax:topk-order": "order", "ax:max-bound": "maximum, maximum_at_most",
         "ax:prob-distances": "distances", "ax:gaussian-expectation": "meaning, concentration",
         "ax:union-bound": "conclude", "ax:bernstein": "concentration", "ax:hoeffding": "concentration",
         "ax:maurer": "concentration", "ax:markov": "concentration", "ax:growth-rate": "vanishes",
         "ax:in-probability": "eventually, in_probability"}

AXIOMS = [
    Result(
        "ax:relabel", "axiom", "Relabelling",
        "A finite sum does not depend on the order of its terms: the keys may be relabelled by the top-k "
        "order, so that any partition of {1..n} into parts is a partition into consecutive ranges.",
        r"\sum_{j=1}^n f_{\pi(j)} = \sum_{j=1}^n f_j\quad(\pi \text{ a permutation})",
        ("companion",),
        formula=sp.Eq(sp.Sum(f[pi(j)], (j, 1, n)), sp.Sum(f[j], (j, 1, n))),
        notes="Commutativity and associativity of addition: the general commutative law for finite sums "
              "(e.g. Lang, Undergraduate Algebra, 3rd ed., ch. II, sec. 1).",
    ),
    Result(
        "ax:topk-order", "axiom", "The top-k order",
        "After relabelling by score (ties: the lower index first), s_1 >= ... >= s_n: every kept score is "
        ">= s_(k), every dropped score is <= s_(k+1), and s_(k+1) <= s_(k).",
        r"s_{(k+1)} \le s_{(k)},\quad s_{(k)} \le s_i\ (i \le k),\quad s_j \le s_{(k+1)}\ (j > k)",
        ("companion",),
        formula=sp.Tuple(sp.Le(s_k1, s_k), sp.Le(s_k, s[i]), sp.Le(s[j], s_k1)),
        hypotheses=(sp.Le(i, k), sp.Gt(j, k)),
        uses=("def:topk-attention",),
        notes="The definition of the order statistics s_(1) >= ... >= s_(n) (e.g. David and Nagaraja, "
              "Order Statistics, 3rd ed., sec. 1.1).",
    ),
    Result(
        "ax:max-bound", "axiom", "Maximum and supremum",
        "Every term is <= the maximum of the terms; if every term is <= B, the maximum is <= B.",
        r"x_j \le \max_i x_i;\quad (\forall j:\ x_j \le B) \Rightarrow \max_i x_i \le B",
        ("companion",),
        formula=sp.Tuple(sp.Le(f[j], M), sp.Le(M, B)),
        hypotheses=(sp.Le(f[j], B),),
        notes="The definition of a maximum (least upper bound), e.g. Rudin, Principles of Mathematical "
              "Analysis, def. 1.8.",
    ),
    Result(
        "ax:exp-monotone", "axiom", "The exponential is increasing",
        "x <= y implies e^x <= e^y.",
        r"x \le y \Rightarrow e^x \le e^y",
        ("companion",),
        formula=sp.Le(sp.exp(x), sp.exp(y)),
        hypotheses=(sp.Le(x, y),),
        notes="Rudin, Principles of Mathematical Analysis, thm. 8.6.",
    ),
    Result(
        "ax:norm-triangle", "axiom", "Triangle inequality",
        "||x + y|| <= ||x|| + ||y|| for any norm.",
        r"\|x + y\| \le \|x\| + \|y\|",
        ("companion",),
        formula=sp.Le(norm(x + y), norm(x) + norm(y)),
        notes="The definition of a norm (e.g. Kreyszig, Introductory Functional Analysis, def. 2.2-1).",
    ),
    Result(
        "ax:norm-homogeneity", "axiom", "Absolute homogeneity",
        "||c x|| = |c| ||x|| for any norm and real c.",
        r"\|c\,x\| = |c|\,\|x\|",
        ("companion",),
        formula=sp.Eq(norm(c * x), sp.Abs(c) * norm(x)),
        notes="The definition of a norm (e.g. Kreyszig, Introductory Functional Analysis, def. 2.2-1).",
    ),
    Result(
        "ax:prob-distances", "axiom", "Total variation and Kullback-Leibler divergence",
        "||p - q||_1 = sum_j |p_j - q_j|, TV(p, q) = ||p - q||_1 / 2, KL(p || q) = sum_j p_j log(p_j / q_j) "
        "with 0 log 0 = 0.",
        r"\|p-q\|_1 = \sum_j |p_j - q_j|,\ \ \mathrm{TV} = \tfrac12\|p-q\|_1,\ \ "
        r"\mathrm{KL}(p\|q) = \sum_{p_j > 0} p_j \log\frac{p_j}{q_j}",
        ("companion",),
        formula=sp.Tuple(sp.Eq(L1, sp.Sum(sp.Abs(p[j] - q[j]), (j, 1, n))), sp.Eq(TV, L1 / 2),
                         sp.Eq(KL, sp.Sum(p[j] * sp.log(p[j] / q[j]), (j, 1, n)))),
        notes="Cover and Thomas, Elements of Information Theory, 2nd ed., eq. (2.26) and (11.137).",
    ),
    Result(
        "ax:gaussian-expectation", "axiom", "Expectation against the normal density",
        "For s ~ N(0, beta^2), E g(s) = integral of g(x) e^{-x^2/(2 beta^2)} / (beta sqrt(2 pi)) dx "
        "(for g for which it exists); a probability is the expectation of an indicator.",
        r"\mathbb E\,g(s) = \int_{-\infty}^{\infty} g(x)\,\frac{e^{-x^2/(2\beta^2)}}{\beta\sqrt{2\pi}}\,dx",
        ("companion",),
        formula=sp.Eq(E_g, sp.Integral(g(x) * sp.exp(-x**2 / (2 * beta**2)) / (beta * sp.sqrt(2 * sp.pi)),
                                       (x, -sp.oo, sp.oo))),
        notes="The law of the unconscious statistician (e.g. Billingsley, Probability and Measure, "
              "3rd ed., eq. (21.1)) with the normal density.",
    ),
    Result(
        "ax:union-bound", "axiom", "Union bound",
        "P(A or B) <= P(A) + P(B) for any two events: a relation that holds where several facts hold fails "
        "with probability at most the sum of their failure probabilities.",
        r"\Pr(A\cup B) \le \Pr(A) + \Pr(B)",
        ("companion",),
        formula=sp.Le(P_AB, P_A + P_B),
        notes="Subadditivity of a probability measure (e.g. Billingsley, Probability and Measure, 3rd ed., "
              "eq. (2.5)).",
    ),
    Result(
        "ax:bernstein", "axiom", "Bernstein's inequality",
        "For independent X_1..X_n with X_j - E X_j <= b and V = sum_j Var X_j, every u >= 0: "
        "P(S - E S >= u) <= exp(-u^2 / (2 (V + b u / 3))), S = sum_j X_j.",
        r"\Pr\Big(\sum_j X_j - \mathbb E\sum_j X_j \ge u\Big) \le "
        r"\exp\Big(-\frac{u^2}{2(V + bu/3)}\Big)",
        ("companion",),
        formula=sp.Le(P_dev, sp.exp(-u**2 / (2 * (V + b * u / 3)))),
        notes="Boucheron, Lugosi and Massart, Concentration Inequalities (2013), thm. 2.10 and cor. 2.11.",
    ),
    Result(
        "ax:hoeffding", "axiom", "Hoeffding's inequality",
        "For independent X_1..X_n with lo <= X_j <= hi, every u >= 0: "
        "P(E S - S >= u) <= exp(-2 u^2 / (n (hi - lo)^2)), S = sum_j X_j.",
        r"\Pr\Big(\mathbb E\sum_j X_j - \sum_j X_j \ge u\Big) \le "
        r"\exp\Big(-\frac{2u^2}{n(\mathrm{hi}-\mathrm{lo})^2}\Big)",
        ("companion",),
        formula=sp.Le(P_dev, sp.exp(-2 * u**2 / (n * (hi - lo)**2))),
        hypotheses=(sp.Lt(lo, hi),),
        notes="Hoeffding (1963), J. Amer. Statist. Assoc. 58, thm. 2; Boucheron, Lugosi and Massart, "
              "thm. 2.8.",
    ),
    Result(
        "ax:markov", "axiom", "Markov's inequality",
        "For X >= 0 and a > 0: P(X >= a) <= E X / a.",
        r"\Pr(X\ge a)\le \frac{\mathbb E X}{a}\quad(X\ge0,\ a>0)",
        ("companion",),
        formula=sp.Le(P_dev, ES / u),
        notes="Billingsley, Probability and Measure, 3rd ed., eq. (21.11).",
    ),
    Result(
        "ax:gaussian-tail", "axiom", "The Gaussian tail (Chernoff)",
        "For x >= 0, 1 - Phi(x) = erfc(x / sqrt 2) / 2 <= exp(-x^2 / 2).",
        r"\bar\Phi(x) \le e^{-x^2/2}\quad(x\ge0)",
        ("companion",),
        formula=sp.Le(sp.erfc(x / sp.sqrt(2)) / 2, sp.exp(-x**2 / 2)),
        hypotheses=(sp.Ge(x, 0),),
        notes="The Chernoff bound with the normal moment generating function e^{lambda^2/2} at lambda = x "
              "(e.g. Vershynin, High-Dimensional Probability, prop. 2.1.2 and sec. 2.3).",
    ),
    Result(
        "ax:maurer", "axiom", "Maurer's lower tail for nonnegative sums",
        "For independent X_1..X_n >= 0 with finite second moments, every u >= 0: "
        "P(E S - S >= u) <= exp(-u^2 / (2 sum_j E X_j^2)), S = sum_j X_j.",
        r"\Pr\Big(\mathbb E\sum_j X_j - \sum_j X_j \ge u\Big) \le "
        r"\exp\Big(-\frac{u^2}{2\sum_j \mathbb E X_j^2}\Big)",
        ("companion",),
        formula=sp.Le(P_dev, sp.exp(-u**2 / (2 * ESq))),
        notes="Maurer (2003), A bound on the deviation probability for sums of non-negative random "
              "variables, J. Inequal. Pure Appl. Math. 4(1), art. 15, thm. 1.",
    ),
    Result(
        "ax:growth-rate", "axiom", "Growth rates",
        "For functions of n eventually > 0 with growth rates r_f = lim ln f / ln n and r_g: fg has rate "
        "r_f + r_g, f^p rate p r_f, f + g rate max(r_f, r_g), f - g rate r_f when r_g < r_f (and f - g > 0 "
        "eventually), exp(A) rate lim A / ln n, a constant > 0 or a power of ln n rate 0; a rate < 0 "
        "means f -> 0.",
        r"\lim_{n\to\infty}\frac{\ln f(n)}{\ln n} = r_f < 0 \ \Rightarrow\ \lim_{n\to\infty} f(n) = 0",
        ("companion",),
        formula=sp.Eq(sp.Limit(F(n), n, sp.oo), 0),
        hypotheses=(sp.Eq(sp.Limit(sp.log(F(n)) / sp.log(n), n, sp.oo), r_f), sp.Lt(r_f, 0)),
        notes="Limits of sums, products and compositions with the continuous functions exp, log and "
              "x -> x^p (e.g. Rudin, Principles of Mathematical Analysis, 3rd ed., thm. 3.3 and 4.7), "
              "with ln(f + g) = ln f + ln(1 + g/f) and ln(f - g) = ln f + ln(1 - g/f); the calculus of "
              "orders of growth of Hardy, Orders of Infinity (1910), ch. 1.",
    ),
    Result(
        "ax:in-probability", "axiom", "Limits and convergence in probability",
        "lim f = 0 means: for every eta > 0, |f(n)| < eta for all large n. X_n >= 0 tends to 0 in "
        "probability when P(X_n > eta) -> 0 for every eta > 0. So if for every delta in (0, 1) some "
        "F(n) -> 0 (depending on delta) has P(X_n > F(n)) <= delta for all large n, then X_n -> 0 in "
        "probability.",
        r"\forall\delta:\ \Pr(X_n > F_\delta(n)) \le \delta,\ F_\delta(n)\to 0\ \Rightarrow\ "
        r"X_n \xrightarrow{P} 0",
        ("companion",),
        formula=sp.Eq(Plim(X), 0),
        hypotheses=(sp.Le(P_dev, delta), sp.Eq(sp.Limit(F(n), n, sp.oo), 0)),
        notes="The definitions of a limit (Rudin, Principles of Mathematical Analysis, 3rd ed., def. 3.1) "
              "and of convergence in probability (Billingsley, Probability and Measure, 3rd ed., sec. 20): "
              "P(X_n > eta) <= P(X_n > F(n)) + [F(n) > eta] <= delta for all large n, for every delta.",
    ),
]
