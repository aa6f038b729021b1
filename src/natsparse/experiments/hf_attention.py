"""Certified sparse attention inside Hugging Face models (transformers' ``AttentionInterface``).

`register` adds two attention implementations, so that any model whose attention goes through the
interface (Llama, Mistral, Qwen, ... : ``attn_implementation=...`` at load time, or
``model.set_attn_implementation(...)``) runs natsparse attention in every layer:

- ``natsparse_topk``: `natsparse.kernels.topk_attention` with a window rule per call: a fixed k
  (`fixed`), k = ⌈ln n⌉ (`log_n`) or k = ⌈α·n^C⌉ (`power`), n the number of keys;
- ``natsparse_mass``: `natsparse.kernels.mass_attention` with a mass target η (`mass`): each row
  keeps the fewest keys whose discarded mass τ is at most η.

The rule is chosen per forward call, ``model(ids, natsparse_window=fixed(32))``; without one the
default given to `register` applies. ``natsparse_certificates=Certificates()`` collects, per layer,
head and row, the certificate (τ, ``error_bound``, kept count); with ``Certificates(audit=True)``
every row is also audited against dense attention in float64 (`natsparse.experiments.audit`).
GQA runs without copying K and V (``enable_gqa=True``); masks are transformers' own SDPA masks.

The core lives in the experiments layer because the real-decoder study and its evidence use it;
`natsparse.hf` is the public face.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch.nn import functional as F

NAMES = ("natsparse_topk", "natsparse_mass")
KINDS = ("fixed", "log", "power", "mass")


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


@dataclass
class Certificates:
    """Per layer: τ, error_bound and kept count of every (batch, head, row), float64 on the CPU.

    With ``audit=True`` each layer is also run densely in float64 and ``error`` holds ‖o − ô‖₂
    per row (`natsparse.experiments.audit.audit_attention`); ``summary()`` counts the rows whose
    error exceeds their certificate.
    """

    audit: bool = False
    layers: list[dict] = field(default_factory=list)

    def summary(self, rows_from: int = 0) -> dict:
        """Over query rows ``rows_from`` onwards: rows, mean kept fraction (kept / keys the row
        sees), mean and max τ; when audited, the audit's rows, violations and worst error / bound
        over every row."""
        if not self.layers:
            raise ValueError("no certificates collected: run a forward pass with natsparse_certificates=")
        kept = torch.cat([c["kept_fraction"][..., rows_from:].flatten() for c in self.layers])
        tau = torch.cat([c["tail_mass"][..., rows_from:].flatten() for c in self.layers])
        out = {"rows": kept.numel(), "kept_fraction": float(kept.mean()), "tau_mean": float(tau.mean()),
               "tau_max": float(tau.max()), "layers": len(self.layers)}
        if self.audit:
            parts = [c["audit"] for c in self.layers]
            out["audit"] = {"rows": sum(p["rows"] for p in parts),
                            "violations": sum(p["violations"] for p in parts),
                            "max_ratio": max(p["max_ratio"] for p in parts)}
        return out


def _visible(attention_mask, is_causal: bool, B: int, M: int, N: int) -> torch.Tensor:
    """Keys each row sees, shaped to broadcast against (B, H, M)."""
    if attention_mask is not None:
        if attention_mask.dtype == torch.bool:
            return attention_mask.sum(-1).to(torch.float64)
        return torch.isfinite(attention_mask).sum(-1).to(torch.float64)
    if is_causal:   # SDPA's upper-left alignment: row i sees keys 0..i
        return torch.arange(1, M + 1, dtype=torch.float64).clamp_max(N).view(1, 1, M)
    return torch.full((1, 1, M), float(N), dtype=torch.float64)


def _forward(kind: str, module, query, key, value, attention_mask, dropout=0.0, scaling=None, is_causal=None,
             natsparse_window: Window | None = None, natsparse_certificates: Certificates | None = None,
             **kwargs):
    window = natsparse_window if natsparse_window is not None else _DEFAULTS[kind]
    if not isinstance(window, Window) or (window.kind == "mass") != (kind == "natsparse_mass"):
        want = "mass(eta)" if kind == "natsparse_mass" else "fixed(k), log_n() or power(alpha, C)"
        raise ValueError(f"natsparse_window for {kind} must be {want}, got {window!r}")
    if kwargs.get("output_attentions"):
        raise ValueError(f"{kind} does not return attention weights (output_attentions must be False)")
    from natsparse.kernels import mass_attention, topk_attention  # lazily: registering stays light

    B, _, M, _ = query.shape
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
    if natsparse_certificates is not None:
        seen = _visible(attention_mask, causal, B, M, N)
        record = {"layer": getattr(module, "layer_idx", len(natsparse_certificates.layers)),
                  "tail_mass": stats.tail_mass.detach().double().cpu(),
                  "error_bound": stats.error_bound.detach().double().cpu(),
                  "kept": stats.kept.detach().cpu(),
                  "kept_fraction": (stats.kept.detach().double().cpu() / seen.cpu()).clamp_max(1.0)}
        if natsparse_certificates.audit:
            from .audit import summarise

            record["audit"] = summarise(audit_rows(query, key, value, out, stats, attention_mask, causal,
                                                   scaling))
        natsparse_certificates.layers.append(record)
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


_DEFAULTS: dict[str, Window] = {"natsparse_topk": log_n(), "natsparse_mass": mass(0.05)}


def register(topk: Window | None = None, mass_target: Window | None = None) -> tuple[str, str]:
    """Register ``natsparse_topk`` and ``natsparse_mass`` with transformers (attention and mask
    interfaces; the masks are SDPA's). ``topk`` and ``mass_target`` set the default rules (used
    when a call passes no ``natsparse_window``). Returns the two names. Safe to call again.
    """
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    for name, w in (("natsparse_topk", topk), ("natsparse_mass", mass_target)):
        if w is not None:
            if not isinstance(w, Window) or (w.kind == "mass") != (name == "natsparse_mass"):
                raise ValueError(f"default window for {name} has the wrong kind: {w!r}")
            _DEFAULTS[name] = w
    AttentionInterface.register("natsparse_topk", _topk_forward)
    AttentionInterface.register("natsparse_mass", _mass_forward)
    for name in NAMES:
        AttentionMaskInterface.register(name, sdpa_mask)
    return NAMES
