"""A minimal GPT-2-architecture byte-level language model that exposes its attention (exp:condensation).

Written out here rather than taken from `transformers` so that each layer's attention probabilities
are plain tensors in the autograd graph (the sparsity loss L_k needs them), and so that any layer can
switch to certified top-k attention through `natsparse.kernels` at inference. The architecture is
GPT-2's: learned token and position embeddings, pre-LayerNorm blocks of causal multi-head attention and
a 4x GELU MLP, a final LayerNorm, and an output layer tied to the token embedding; initialisation
N(0, 0.02) with residual projections scaled by 1/sqrt(2 * layers), as in GPT-2. The vocabulary is the
256 byte values, so any UTF-8 text is a valid input.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

from natsparse.kernels import topk_attention

from .audit import audit as certificate_audit

__all__ = ["GPTConfig", "TinyGPT"]


@dataclass(frozen=True)
class GPTConfig:
    """Shape of the model. The defaults train on two CPU cores in minutes (exp:condensation).

    >>> GPTConfig(context=16, layers=1).to_dict()
    {'context': 16, 'layers': 1, 'heads': 4, 'width': 128, 'vocab': 256}
    >>> GPTConfig(width=10, heads=4)
    Traceback (most recent call last):
    ...
    ValueError: GPTConfig.width (10) must be divisible by heads (4)
    """

    context: int = 128  # T: the longest input, and the causal attention's row length at the end
    layers: int = 4
    heads: int = 4
    width: int = 128  # model dimension; head dimension = width / heads
    vocab: int = 256  # bytes

    def __post_init__(self):
        for name in ("context", "layers", "heads", "width", "vocab"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"GPTConfig.{name} must be an int >= 1, got {value!r}")
        if self.width % self.heads:
            raise ValueError(f"GPTConfig.width ({self.width}) must be divisible by heads ({self.heads})")

    def to_dict(self) -> dict:
        return asdict(self)


class _Attention(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.heads = cfg.heads
        self.qkv = nn.Linear(cfg.width, 3 * cfg.width)
        self.proj = nn.Linear(cfg.width, cfg.width)
        self.register_buffer("causal", torch.ones(cfg.context, cfg.context, dtype=torch.bool).triu(1),
                             persistent=False)

    def forward(self, x: torch.Tensor, top_k: int | None, audit_k: int | None):
        B, T, W = x.shape
        q, k, v = (t.view(B, T, self.heads, W // self.heads).transpose(1, 2)
                   for t in self.qkv(x).split(W, dim=2))
        probs = audit = None
        if top_k is None:
            s = (q @ k.transpose(-2, -1)) * (q.shape[-1] ** -0.5)
            probs = torch.softmax(s.masked_fill(self.causal[:T, :T], float("-inf")), dim=-1)
            y = probs @ v
            if audit_k is not None:
                audit = certificate_audit(q, k, v, audit_k, is_causal=True, ord=math.inf)
        else:
            y = topk_attention(q, k, v, top_k=min(top_k, T), is_causal=True, backend="torch")
        return self.proj(y.transpose(1, 2).reshape(B, T, W)), probs, audit


class _Block(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(cfg.width), nn.LayerNorm(cfg.width)
        self.attn = _Attention(cfg)
        self.fc, self.out = nn.Linear(cfg.width, 4 * cfg.width), nn.Linear(4 * cfg.width, cfg.width)

    def forward(self, x, top_k, audit_k):
        a, probs, audit = self.attn(self.ln1(x), top_k, audit_k)
        x = x + a
        return x + self.out(F.gelu(self.fc(self.ln2(x)), approximate="tanh")), probs, audit


class TinyGPT(nn.Module):
    """GPT-2 architecture at toy size; `forward` returns logits and, on request, attention data.

    >>> model = TinyGPT(GPTConfig(context=8, layers=1, heads=2, width=8))
    >>> logits, probs, audits = model(torch.zeros(1, 8, dtype=torch.int64))
    >>> logits.shape, probs[0].shape, audits
    (torch.Size([1, 8, 256]), torch.Size([1, 2, 8, 8]), None)
    >>> _, none, (a,) = model(torch.zeros(1, 8, dtype=torch.int64), audit_k=2)
    >>> a.tau.shape
    torch.Size([1, 2, 8])
    """

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        if not isinstance(cfg, GPTConfig):
            raise TypeError(f"cfg must be a GPTConfig, got {type(cfg).__name__}")
        self.cfg = cfg
        self.tok = nn.Embedding(cfg.vocab, cfg.width)
        self.pos = nn.Embedding(cfg.context, cfg.width)
        self.blocks = nn.ModuleList(_Block(cfg) for _ in range(cfg.layers))
        self.ln = nn.LayerNorm(cfg.width)
        self.apply(self._init)
        for block in self.blocks:
            for proj in (block.attn.proj, block.out):
                nn.init.normal_(proj.weight, std=0.02 / math.sqrt(2 * cfg.layers))

    @staticmethod
    def _init(module: nn.Module) -> None:
        if isinstance(module, nn.Linear | nn.Embedding):
            nn.init.normal_(module.weight, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, idx: torch.Tensor, *, top_k: int | None = None, audit_k: int | None = None):
        """Logits (B, T, vocab), the per-layer attention probabilities, and per-layer audits.

        idx: int64 byte ids (B, T) with T <= context. top_k=None runs dense attention and returns each
        layer's probabilities (B, H, T, T), differentiable; top_k=k runs every layer's attention as
        certified top-k attention (natsparse.kernels) and returns no probabilities. audit_k=k (dense
        only) also runs top-k attention on each layer's own q, k, v and returns its `audit.Audit`
        (entrywise form: max-norms over coordinates).
        """
        if not isinstance(idx, torch.Tensor) or idx.dtype != torch.int64 or idx.ndim != 2:
            raise TypeError("idx must be an int64 tensor of shape (batch, length)")
        T = idx.shape[1]
        if not 1 <= T <= self.cfg.context:
            raise ValueError(f"idx length must be in [1, context={self.cfg.context}], got {T}")
        for name, kk in (("top_k", top_k), ("audit_k", audit_k)):
            if kk is not None and (isinstance(kk, bool) or not isinstance(kk, int) or kk < 1):
                raise ValueError(f"{name} must be None or an int >= 1, got {kk!r}")
        if top_k is not None and audit_k is not None:
            raise ValueError("audit_k compares top-k with dense attention; it needs top_k=None")
        x = self.tok(idx) + self.pos(torch.arange(T, device=idx.device))
        probs, audits = [], []
        for block in self.blocks:
            x, p, a = block(x, top_k, audit_k)
            probs.append(p)
            audits.append(a)
        logits = self.ln(x) @ self.tok.weight.T
        return logits, (probs if top_k is None else None), (audits if audit_k is not None else None)
