"""THEORY.md "The Gaussian model": scores s_1..s_n i.i.d. N(0, beta^2) given the query.

Stated here with their statements; their SymPy derivations, bounds and Monte Carlo checks
come with the Gaussian-model issue.
"""

from .result import Result

GAUSSIAN = [
    Result(
        "lem:conditional-gaussian", "lemma", "Scores are conditionally Gaussian",
        "If key tokens x_j ~ N(0, sigma^2 I_d) are i.i.d. and independent of the query token x, then "
        "s_j = c x^T W x_j (W = W_Q W_K^T) are i.i.d. N(0, beta^2) given x, beta = c sigma ||W^T x||_2 "
        "<= c sigma ||W||_op ||x||. In self-attention the diagonal term is one extra kept key.",
        r"s_j\mid x \overset{iid}{\sim} N(0,\beta^2),\quad \beta = c\,\sigma\,\|W^\top x\|_2 "
        r"\le c\,\sigma\,\|W\|_{op}\|x\|",
        ("paper",),
    ),
    Result(
        "lem:lognormal-tilt", "lemma", "Lognormal tilt",
        "E e^s = e^{beta^2/2}; E[e^s 1{s>t}] = e^{beta^2/2} Phic(t/beta - beta); E e^{2s} = e^{2 beta^2}; "
        "expected share of mass above t: Phic(t/beta - beta); expected count above t: n Phic(t/beta).",
        r"\mathbb E e^{s} = e^{\beta^2/2},\ \ \mathbb E[e^{s}\mathbb 1\{s>t\}] = "
        r"e^{\beta^2/2}\,\bar\Phi(t/\beta-\beta),\ \ \mathbb E e^{2s} = e^{2\beta^2}",
        ("companion",),
    ),
    Result(
        "prop:k-eps-rule", "proposition", "The k-epsilon rule",
        "The fraction of keys carrying 1 - eps of the mass tends to Phic(beta + Phi^-1(eps)) as "
        "n -> infinity with beta fixed; it decreases in beta.",
        r"\frac{k_\varepsilon}{n}\to\bar\Phi\big(\beta + \Phi^{-1}(\varepsilon)\big)",
        ("tv-theory",),
        uses=("lem:lognormal-tilt",),
    ),
    Result(
        "lem:partition-lower", "lemma", "Partition-function lower bound",
        "With probability >= 1 - delta', Z >= L(n, beta, delta'), the larger of a truncated Maurer "
        "bound and a Hoeffding count bound over fixed grids of truncation levels.",
        r"\Pr\big[Z \ge L(n,\beta,\delta')\big] \ge 1-\delta'",
        ("companion",),
        uses=("lem:lognormal-tilt",),
    ),
    Result(
        "lem:count-upper", "lemma", "Count upper bound",
        "N_t = #{s_j > t} ~ Bin(n, p), p = Phic(t/beta); with probability >= 1 - delta', "
        "N_t <= np + u, u = ln(1/delta')/3 + sqrt(ln^2(1/delta')/9 + 2np(1-p) ln(1/delta')) "
        "(Bernstein), or the exact binomial quantile.",
        r"N_t \le np + \tfrac13\ln\tfrac1{\delta'} + \sqrt{\tfrac19\ln^2\tfrac1{\delta'} "
        r"+ 2np(1-p)\ln\tfrac1{\delta'}}",
        ("companion",),
    ),
    Result(
        "thm:sparse-whp", "theorem", "Gaussian attention is sparse with high probability",
        "With probability >= 1 - delta (default 1e-4), a is (eps,k)-sparse with k = floor(np + u) for "
        "t = ln(eps L(n, beta, delta/2)), delta' = delta/2. For an n x n matrix use delta/n per row.",
        r"\Pr\big[a\ (\varepsilon,k)\text{-sparse}\big]\ge 1-\delta,\quad k=\lfloor np+u\rfloor,"
        r"\ t=\ln(\varepsilon L)",
        ("paper",),
        uses=("lem:partition-lower", "lem:count-upper", "def:eps-k-sparse"),
    ),
    Result(
        "thm:error-whp", "theorem", "Top-k error with high probability",
        "On the same event tau_k <= (n-k) eps and ||o - o_hat||_inf <= 2 (n-k) eps max|V|; sharper: "
        "tau_k <= U_t / L for k >= the count bound at t, with three events at delta/3.",
        r"\tau_k\le (n-k)\varepsilon,\qquad \tau_k \le U_t / L",
        ("paper", "companion"),
        uses=("thm:sparse-whp", "lem:eps-k-tail", "thm:output-error", "lem:partition-lower",
              "lem:count-upper"),
    ),
    Result(
        "thm:nC-sufficient", "theorem", "k = n^C suffices",
        "With beta^2 = 2 gamma ln n, gamma in [0, 1): for every C > 1 - gamma and alpha > 0, "
        "k = ceil(alpha n^C) gives tau_k -> 0 in probability; log k_eps / log n -> 1 - gamma.",
        r"\beta^2 = 2\gamma\ln n,\ C > 1-\gamma:\ \tau_{\lceil\alpha n^C\rceil}\xrightarrow{P}0",
        ("paper",),
        uses=("thm:error-whp", "lem:lognormal-tilt"),
    ),
    Result(
        "thm:polylog-insufficient", "theorem", "Polylog windows do not suffice",
        "Same regime: w.p. >= 1 - delta, max_j a_j <= e^M / L with M = beta sqrt(2 ln(n/delta')), so "
        "tau_k >= 1 - k n^{-(1-sqrt(gamma))^2 + o(1)}; any k = n^{o(1)} has tau_k -> 1.",
        r"\tau_k \ge 1 - k\,e^{M}/L \approx 1 - k\,n^{-(1-\sqrt\gamma)^2}",
        ("paper",),
        uses=("lem:max-weight", "lem:partition-lower", "lem:worst-case-error"),
    ),
    Result(
        "cor:adaptive-window", "corollary", "Adaptive windows beat fixed windows",
        "For fixed k, tau_k -> 1 as n grows; for k = alpha n^C with C > 1 - gamma, tau_k -> 0.",
        r"k\ \text{fixed}:\ \tau_k\to1;\qquad k=\alpha n^C,\ C>1-\gamma:\ \tau_k\to 0",
        ("paper",),
        uses=("thm:nC-sufficient", "thm:polylog-insufficient"),
    ),
    Result(
        "prop:norm-sparsity", "proposition", "Larger weight norms mean sparser attention",
        "d/d beta [Phic(beta + Phi^-1(eps))] = -phi(beta + Phi^-1(eps)) < 0: a larger score scale "
        "(larger ||W||) means sparser attention.",
        r"\frac{d}{d\beta}\bar\Phi\big(\beta+\Phi^{-1}(\varepsilon)\big) = "
        r"-\varphi\big(\beta+\Phi^{-1}(\varepsilon)\big) < 0",
        ("paper",),
        uses=("prop:k-eps-rule", "lem:conditional-gaussian"),
    ),
    Result(
        "prop:phase-diagram", "proposition", "Phase diagram and attention collapse",
        "beta^2 = 2 gamma ln n: gamma = 0 needs k = Theta(n); 0 < gamma < 1 needs k = n^{1-gamma+o(1)}; "
        "gamma > 1 is attention collapse (top O(1) weights carry Theta(1) mass). Cited from the "
        "random energy model; checked numerically, not proved here.",
        r"\gamma=0:\ k=\Theta(n);\ \ 0<\gamma<1:\ k=n^{1-\gamma+o(1)};\ \ \gamma>1:\ \text{collapse}",
        ("companion",),
        uses=("thm:nC-sufficient", "thm:polylog-insufficient"),
    ),
]
