"""exp:condensation on a real decoder: SmolLM2-135M fine-tuned with L_LM + lambda * L_k on two CPU cores.

`train` fine-tunes SmolLM2-135M-Instruct (`real_decoder.load`, the offline GGUF model) on held-in text
with the language-model loss plus lambda times L_k, the registry's def:sparsity-loss
(`numeric.loss.sparsity_loss`, the one tail-mass evaluator `batched.discarded_mass`, differentiable),
taken on the attention probabilities of every layer and query head, or of a named subset
(`DecoderConfig.layers`, `.heads`). The probabilities are the model's own: eager attention with
``output_attentions=True`` returns them still attached to the graph, so L_k's gradient reaches the
trained weights. k is a fixed k, or the per-row rule k_i = ceil(alpha * n_i^C) (`causal_adaptive_k`).

What is trained: low-rank adapters (LoRA, rank `rank`, scale 2, B = 0 at the start so step 0 is the
pretrained model) on the query and key projections of every layer; the 134.5 M pretrained weights stay
frozen. Why, on two cores and 24 GiB:
- L_k depends on the weights only through the attention scores q.k, that is through W_Q and W_K: adapters
  there can condense attention; the values, MLPs and embeddings are left as pretrained, so lambda = 0
  and lambda > 0 differ only in where attention goes, and a short run on a small text cannot wander far
  from the pretrained model (with all weights trained, 120 steps on 60k tokens mostly overfit the text).
- Memory: all weights with AdamW need ~2.2 GB of weights, gradients and moments, and a checkpoint of
  1.6 GB every few steps; the adapters (rank 8: 0.46 M parameters) make a 5 MB checkpoint, so runs are
  resumable at every `checkpoint_every` steps at no cost. Activations (eager attention of 30 layers,
  4 x 128 tokens) stay under 2 GB.
- Time: the backward pass still runs through every layer, but skips the weight gradients of the frozen
  matrices (the 49152 x 576 embedding and lm_head among them), about a third of a full step.
The tiny-GPT path's machinery is reused (`training`): the checkpoint reader and atomic writes
(written to a temporary file, then renamed), the learning-rate schedule, the progress bar on stderr,
deferred Ctrl-C, and the log's layout (`log.json`, one history entry every `eval_every` steps).

Held-in and held-out text: the text's tokens are split in halves (`real_decoder.halves`, the split of
the SmolLM2 study): training batches are drawn from the first half only, and every measurement
(validation loss during training, perplexity, tau, k_eps, the audit) reads windows of the second half.

`evaluate` measures a model on held-out text (`EvalConfig`): mean tau_k at the training k per layer
(the quantity L_k penalises); dense perplexity and top-k perplexity (natsparse_topk in every layer,
certificates audited on every row against float64 dense attention) at each k of `eval_k` and at the
training rule, scored on the second half of each window's positions as the study does; and the
exponent C of k_eps ~ n^C (per head, `real_decoder.measure` and `fit_exponents`), its median over heads.
Per-window log-likelihoods are kept, so `compare` gives paired bootstrap intervals of each lambda > 0
run against lambda = 0.

`run_experiment` is item 2 of issue 27: lambda in {0, 0.1, 0.3, 1} at k = 8 and lambda = 0.3 with
k = ceil(n^C), C = 0.634 from the decoder study (`hf_attention.DEFAULT_TOPK`), each for the same steps,
plus the pretrained model evaluated once; one JSON report. Every run trains in its own folder and its
evaluation is cached there (`eval.json`, reused when its settings match), so the experiment started
again after an interruption resumes where it stopped. Run it with:

    natsparse condense experiment --model smollm2 --runs runs/condense-smollm2 \\
        --json book/data/condensation_smollm2.json

Time on two cores (measured, this project's machine, idle): a training step at 4 x 128 tokens takes
2.8 to 3.6 s, so 120 steps with validation every 20 take 6 to 7 min per run; an evaluation takes 1 to
2.5 min (4 to 6 min while the machine is shared): about 9 min per run, under an hour for the pretrained
model and the five runs, each within the issue's 30 minutes. The report's `train_seconds` is
wall-clock time, so it includes any time a run was paused or shared the cores.
Loading the model (dequantising the GGUF file) takes 40 to 50 s once per process. Sequences are 128
tokens for training and 256 for the perplexities (k = 128 keeps half of them), which is what two cores
allow. `--quick` is a smoke version (2 steps of 32 tokens per run); the CI-sized test is
`tests/test_face/test_cli_condense.py::test_cli_smollm2_ci_run` (one run, 2 steps, one window).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from natsparse.numeric.loss import causal_adaptive_k, sparsity_loss

from . import hf_attention as hfa
from . import real_decoder as rd
from .audit import merge
from .training import CHECKPOINT, LOG, CheckpointError, _read_checkpoint, atomic_write, run_loop

__all__ = ["DEFAULT_RUNS", "FORMAT", "MODELS", "QUICK", "QUICK_EVAL", "DecoderConfig", "EvalConfig",
           "TextError", "compare", "evaluate", "is_decoder_checkpoint", "load_decoder", "run_experiment",
           "train"]

FORMAT = "natsparse-condense-decoder/1"
EVAL = "eval.json"
#: the models this path trains: (layers, query heads, context), known before loading so that every
#: argument is checked first
MODELS = {"smollm2": (30, 9, 8192)}
TARGETS = ("q_proj", "k_proj")
LORA_SCALE = 2.0
#: C of the decoder study's window rule (book/data/real_decoder.json, k_0.01 of the median head)
STUDY_C = round(hfa.DEFAULT_TOPK.C, 3)


def _int(v, name: str, lo: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < lo:
        raise ValueError(f"{name} must be an int >= {lo}, got {v!r}")
    return v


def _indices(v, name: str, size: int, what: str) -> tuple[int, ...] | None:
    if v is None:
        return None
    v = tuple(v)
    if not v or any(isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < size for i in v) \
            or len(set(v)) != len(v):
        raise ValueError(f"{name} must be distinct {what} indices in [0, {size - 1}], got {list(v)}")
    return tuple(sorted(v))


@dataclass(frozen=True)
class DecoderConfig:
    """One fine-tuning run of a real decoder. k is the top-k of L_k; alpha and exponent (both or
    neither) switch it to the per-row rule k_i = ceil(alpha * n_i^exponent). layers and heads name
    the subset L_k is taken on (None: all).

    >>> DecoderConfig(k=4, context=32).inference_k(), DecoderConfig(alpha=1.0, exponent=0.5).inference_k()
    (4, 12)
    >>> DecoderConfig(layers=(30,))
    Traceback (most recent call last):
    ...
    ValueError: layers must be distinct layer indices in [0, 29], got [30]
    """

    model: str = "smollm2"
    lam: float = 0.0
    k: int = 8
    alpha: float | None = None
    exponent: float | None = None
    layers: tuple[int, ...] | None = None
    heads: tuple[int, ...] | None = None
    rank: int = 8
    context: int = 128
    steps: int = 120
    batch: int = 4
    lr: float = 1e-3
    warmup: int = 10
    weight_decay: float = 0.0
    seed: int = 0
    eval_every: int = 20
    checkpoint_every: int = 10
    val_windows: int = 8

    def __post_init__(self):
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {', '.join(MODELS)}, got {self.model!r}")
        n_layers, n_heads, limit = MODELS[self.model]
        lam = self.lam
        if isinstance(lam, bool) or not isinstance(lam, int | float) or not math.isfinite(lam) or lam < 0:
            raise ValueError(f"lam must be a finite real number >= 0, got {self.lam!r}")
        for name in ("k", "rank", "steps", "batch", "eval_every", "checkpoint_every", "val_windows"):
            _int(getattr(self, name), name, 1)
        _int(self.warmup, "warmup", 0)
        _int(self.seed, "seed", 0)
        _int(self.context, "context", 2)
        if self.context > limit:
            raise ValueError(f"context must be at most the model's {limit} tokens, got {self.context}")
        if self.k > self.context:
            raise ValueError(f"k={self.k} exceeds the context length {self.context}: k must be in "
                             "[1, context]")
        if (self.alpha is None) != (self.exponent is None):
            raise ValueError("alpha and exponent go together: give both (k = alpha n^exponent) or neither")
        if self.alpha is not None:
            causal_adaptive_k(self.context, self.alpha, self.exponent)  # validates them
        for name in ("lr", "weight_decay"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0 \
                    or (name == "lr" and v == 0):
                raise ValueError(f"{name} must be a finite number {'> 0' if name == 'lr' else '>= 0'}, "
                                 f"got {v!r}")
        object.__setattr__(self, "layers", _indices(self.layers, "layers", n_layers, "layer"))
        object.__setattr__(self, "heads", _indices(self.heads, "heads", n_heads, "query head"))

    def loss_k(self) -> int | torch.Tensor:
        """The k argument of L_k: the fixed k, or the per-row k of the adaptive rule."""
        if self.alpha is None:
            return self.k
        return causal_adaptive_k(self.context, self.alpha, self.exponent)

    def inference_k(self) -> int:
        """The top-k at inference on `context` keys: k, or the adaptive rule's largest."""
        return self.k if self.alpha is None else int(self.loss_k()[-1])

    def window(self) -> hfa.Window:
        """The training rule as a window of natsparse_topk (fixed(k), or power(alpha, exponent))."""
        if self.alpha is None:
            return hfa.fixed(self.k)
        return hfa.power(self.alpha, max(self.exponent, 1e-9))

    def to_dict(self) -> dict:
        d = asdict(self)
        for name in ("layers", "heads"):
            d[name] = list(d[name]) if d[name] is not None else None
        return d

    @classmethod
    def from_dict(cls, d: dict) -> DecoderConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        if set(d) != names:
            raise CheckpointError(f"configuration fields {sorted(set(d) ^ names)} do not match this version")
        d = dict(d)
        for name in ("layers", "heads"):
            if d[name] is not None:
                d[name] = tuple(d[name])
        return cls(**d)


@dataclass(frozen=True)
class EvalConfig:
    """What `evaluate` measures on held-out text: `windows` windows of `context` tokens for the
    perplexities (dense, and top-k at each k of eval_k and at the training rule, audited when
    `audit`); `law_windows` windows at each of `law_lengths` for the exponent C of k_eps.

    >>> EvalConfig(context=64, eval_k=(8, 128))
    Traceback (most recent call last):
    ...
    ValueError: eval_k must be integers in [1, context = 64], got [8, 128]
    """

    context: int = 256
    windows: int = 8
    eval_k: tuple[int, ...] = rd.FIXED_K
    law_lengths: tuple[int, ...] = (64, 128, 256, 512)
    law_windows: int = 4
    bootstrap: int = 400
    audit: bool = True

    def __post_init__(self):
        _int(self.context, "context", 4)
        _int(self.windows, "windows", 1)
        _int(self.law_windows, "law_windows", 1)
        _int(self.bootstrap, "bootstrap", 1)
        ks = tuple(self.eval_k)
        if not ks or any(isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= self.context
                         for k in ks):
            raise ValueError(f"eval_k must be integers in [1, context = {self.context}], got {list(ks)}")
        object.__setattr__(self, "eval_k", tuple(sorted(set(ks))))
        lengths = rd.check_lengths(self.law_lengths, MODELS["smollm2"][2], "law_lengths")
        if len(lengths) < 2:
            raise ValueError(f"law_lengths must hold at least two lengths to fit C, got {list(lengths)}")
        object.__setattr__(self, "law_lengths", lengths)
        if not isinstance(self.audit, bool):
            raise TypeError(f"audit must be True or False, got {self.audit!r}")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["eval_k"], d["law_lengths"] = list(self.eval_k), list(self.law_lengths)
        return d


#: item 2 of issue 27: the baseline lambda = 0, three lambda > 0 at k = 8, and k = ceil(n^C)
DEFAULT_RUNS: tuple[dict, ...] = (
    {"lam": 0.0}, {"lam": 0.1}, {"lam": 0.3}, {"lam": 1.0},
    {"lam": 0.3, "alpha": 1.0, "exponent": STUDY_C},
)
#: the CI-sized run: seconds of training once the model is loaded
QUICK = DecoderConfig(k=4, rank=2, context=32, steps=2, batch=1, warmup=1, eval_every=1, checkpoint_every=1,
                      val_windows=1)
QUICK_EVAL = EvalConfig(context=64, windows=2, eval_k=(8,), law_lengths=(40, 48), law_windows=1, bootstrap=20)


# --- the model: the pretrained decoder with low-rank adapters on W_Q and W_K ---------------------

class LoRALinear(nn.Module):
    """base(x) + LORA_SCALE * x A^T B^T, base frozen; B starts at 0 (the pretrained map)."""

    def __init__(self, base: nn.Linear, rank: int, g: torch.Generator):
        super().__init__()
        self.base = base
        self.A = nn.Parameter(torch.randn(rank, base.in_features, generator=g) / math.sqrt(base.in_features))
        self.B = nn.Parameter(torch.zeros(base.out_features, rank))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + LORA_SCALE * F.linear(F.linear(x, self.A), self.B)


def _build(cfg: DecoderConfig):
    """(net, tokenizer, adapters): a copy of the cached pretrained model (its weights frozen) with
    seeded adapters on every layer's q_proj and k_proj; adapters maps 'layer.proj.A|B' to parameters."""
    base, tok = rd.load()
    net = copy.deepcopy(base)
    for p in net.parameters():
        p.requires_grad_(False)
    g = torch.Generator().manual_seed(cfg.seed)
    adapters: dict[str, nn.Parameter] = {}
    for i, layer in enumerate(net.model.layers):
        attn = layer.self_attn
        for name in TARGETS:
            lora = LoRALinear(getattr(attn, name), cfg.rank, g)
            setattr(attn, name, lora)
            adapters[f"{i}.{name}.A"], adapters[f"{i}.{name}.B"] = lora.A, lora.B
    net.set_attn_implementation("eager")   # its probabilities come back with output_attentions
    return net, tok, adapters


def _adapter_state(adapters: dict) -> dict:
    return {name: p.detach().clone() for name, p in adapters.items()}


def _load_adapters(adapters: dict, state: dict, path) -> None:
    if set(state) != set(adapters) or any(state[n].shape != p.shape for n, p in adapters.items()):
        raise CheckpointError(f"checkpoint {path} holds adapters that do not fit its configuration")
    with torch.no_grad():
        for name, p in adapters.items():
            p.copy_(state[name])


def is_decoder_checkpoint(path: str | Path) -> bool:
    """Whether a run folder or checkpoint file holds a decoder run (this module's format)."""
    path = Path(path)
    path = path / CHECKPOINT if path.is_dir() else path
    log = path.with_name(LOG)
    try:
        return json.loads(log.read_text()).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def load_decoder(path: str | Path):
    """(net, tokenizer, config, checkpoint) from a decoder run folder or checkpoint; CheckpointError
    when it cannot be used.

    >>> load_decoder("/no/such/run")
    Traceback (most recent call last):
    ...
    natsparse.experiments.training.CheckpointError: no checkpoint at /no/such/run
    """
    path = Path(path)
    path = path / CHECKPOINT if path.is_dir() else path
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    ckpt = _read_checkpoint(path, FORMAT)
    cfg = DecoderConfig.from_dict(ckpt["config"])
    net, tok, adapters = _build(cfg)
    _load_adapters(adapters, ckpt["model"], path)
    net.eval()
    return net, tok, cfg, ckpt


# --- text ----------------------------------------------------------------------------------------

def texts_of(files) -> list[str] | None:
    """The contents of the text files (None: the default pydoc text)."""
    if not files:
        return None
    out = []
    for f in files:
        p = Path(f)
        if not p.is_file():
            raise ValueError(f"text files must exist and be readable, got {str(f)!r}")
        out.append(p.read_text(encoding="utf-8", errors="replace"))
    return out


def split_tokens(tok, texts=None) -> tuple[list[int], list[int]]:
    """(held-in, held-out) token ids: the first and second halves of the text (`real_decoder.halves`)."""
    return rd.halves(rd.token_ids(tok, texts))


class TextError(ValueError):
    """The text is too short for the windows a run needs (the CLI reports it as bad input)."""


def check_text(held_in: list[int], held_out: list[int], cfg: DecoderConfig, ev: EvalConfig | None) -> None:
    """Raise TextError (naming what is short) unless both halves hold the windows the run needs.

    >>> check_text(list(range(50)), list(range(50)), QUICK, QUICK_EVAL)
    Traceback (most recent call last):
    ...
    natsparse.experiments.condense_decoder.TextError: the held-out half of the text has 50 tokens, \
fewer than the 2 windows of n=64 need (128); give a longer text
    """
    if len(held_in) < cfg.context + 2:
        raise TextError(f"the held-in half of the text has {len(held_in)} tokens, fewer than the "
                        f"{cfg.context + 2} that context {cfg.context} needs; give a longer text")
    needs = [(cfg.context + 1, cfg.val_windows)]
    if ev is not None:
        needs += [(ev.context, ev.windows), (max(ev.law_lengths), ev.law_windows), (cfg.context, ev.windows)]
    for n, count in needs:
        if len(held_out) < n * count:
            raise TextError(f"the held-out half of the text has {len(held_out)} tokens, fewer than the "
                            f"{count} windows of n={n} need ({n * count}); give a longer text")


# --- training ------------------------------------------------------------------------------------

def _lk(attentions, cfg: DecoderConfig, k) -> torch.Tensor:
    """L_k (def:sparsity-loss, `sparsity_loss`) over the chosen layers and heads."""
    layers = cfg.layers if cfg.layers is not None else range(len(attentions))
    picked = [attentions[i] if cfg.heads is None else attentions[i][:, list(cfg.heads)] for i in layers]
    return sparsity_loss(picked, k)


def _val_loss(net, val: torch.Tensor) -> float:
    with torch.no_grad():
        logits = net(input_ids=val[:, :-1], use_cache=False).logits
        return F.cross_entropy(logits.flatten(0, 1).float(), val[:, 1:].flatten()).item()


def train(cfg: DecoderConfig, out_dir: str | Path, texts: list[str] | None = None, *,
          progress: bool = True) -> dict:
    """Fine-tune (or resume) one run into out_dir; returns its log (also out_dir/log.json).

    Seeded (adapter initialisation and batches from cfg.seed); the checkpoint holds the adapters,
    the optimiser, the batch generator's state and the history, so a run started again with the same
    folder goes on from its last checkpoint with the batches it would have drawn. The log holds, every
    eval_every steps: the step, the learning rate, the mean training LM loss and L_k since the last
    entry, the validation LM loss on val_windows held-out windows, and the training seconds so far.
    """
    if not isinstance(cfg, DecoderConfig):
        raise TypeError(f"cfg must be a DecoderConfig, got {type(cfg).__name__}")
    out = Path(out_dir)
    ckpt = None
    if (out / CHECKPOINT).exists():       # checked before the model loads
        ckpt = _read_checkpoint(out / CHECKPOINT, FORMAT)
        if ckpt["config"] != cfg.to_dict():
            raise CheckpointError(f"{out} holds a run with another configuration ({ckpt['config']}); "
                                  f"pass another output folder to start this one")
    net, tok, adapters = _build(cfg)
    held_in, held_out = split_tokens(tok, texts)
    check_text(held_in, held_out, cfg, None)
    data = torch.tensor(held_in)
    val = rd.windows(held_out, cfg.context + 1, cfg.val_windows)
    params = list(adapters.values())
    if ckpt is not None:
        _load_adapters(adapters, ckpt["model"], out / CHECKPOINT)
    g = torch.Generator().manual_seed(cfg.seed)
    k_loss = cfg.loss_k()

    def losses():
        starts = torch.randint(0, len(data) - cfg.context - 1, (cfg.batch,), generator=g)
        chunk = torch.stack([data[s:s + cfg.context + 1] for s in starts.tolist()])
        res = net(input_ids=chunk[:, :-1], use_cache=False, output_attentions=True)
        return (F.cross_entropy(res.logits.flatten(0, 1).float(), chunk[:, 1:].flatten()),
                _lk(res.attentions, cfg, k_loss))

    log = {"format": FORMAT, "model": rd.describe(), "config": cfg.to_dict(),
           "trained": f"LoRA rank {cfg.rank} (scale {LORA_SCALE:g}) on {' and '.join(TARGETS)} of every "
                      "layer",
           "trainable_parameters": sum(p.numel() for p in params),
           "corpus": "pydoc_data.topics (Python standard library)" if texts is None else
                     f"{len(texts)} text file(s)",
           "tokens": {"held_in": len(held_in), "held_out": len(held_out)}}
    opt = torch.optim.AdamW(params, lr=cfg.lr, betas=(0.9, 0.95), weight_decay=cfg.weight_decay)
    return run_loop(cfg, out, log, FORMAT, net=net, params=params, opt=opt, g=g, ckpt=ckpt,
                    model_state=lambda: _adapter_state(adapters), losses=losses,
                    val_loss=lambda: _val_loss(net, val), label=f"smollm2 lambda={cfg.lam:g}",
                    progress=progress)


def evaluate(net, tok, cfg: DecoderConfig, ev: EvalConfig = EvalConfig(), texts=None, *,
             progress: bool = False) -> dict:
    """The model on held-out text (the second half of the tokens); JSON-serialisable.

    - per layer, over all heads and rows of `ev.windows` windows of cfg.context tokens: the mean
      tau_k at the training k (L_k of that layer), and L_k over the trained subset ("Lk");
    - dense perplexity and, for each k of ev.eval_k and the training rule, top-k perplexity with
      natsparse_topk in every layer on `ev.windows` windows of ev.context tokens (scored on the second
      half of each window's positions), the mean tau and kept fraction of the scored rows, and the
      audit of every row's certificate; per-window NLL sums for paired intervals (`compare`);
    - the exponent C of k_eps ~ n^C per head (eps = 0.05, 0.01) over ev.law_lengths: median, quartiles.
    """
    if not isinstance(cfg, DecoderConfig) or not isinstance(ev, EvalConfig):
        raise TypeError("evaluate needs a DecoderConfig and an EvalConfig")
    t0 = time.perf_counter()
    held_in, held_out = split_tokens(tok, texts)
    check_text(held_in, held_out, cfg, ev)
    net.eval()
    k_loss = cfg.loss_k()
    taus = rd.windows(held_out, cfg.context, ev.windows)
    rules = [hfa.fixed(k) for k in ev.eval_k]
    if cfg.window() not in rules:
        rules.append(cfg.window())
    wins = rd.windows(held_out, ev.context, ev.windows)
    total = ev.windows * (2 + len(rules)) + len(ev.law_lengths)
    with _bar(progress) as bar, torch.no_grad():
        task = bar.add_task("evaluate: tau_k", total=total)
        per_layer, lk = None, 0.0
        for w in taus:
            with hfa.using_attention(net, "eager"):
                att = net.model(input_ids=w[None], use_cache=False, output_attentions=True).attentions
            tau = [sparsity_loss(a.double(), k_loss).item() for a in att]
            per_layer = tau if per_layer is None else [x + y for x, y in zip(per_layer, tau, strict=True)]
            lk += _lk([a.double() for a in att], cfg, k_loss).item()
            bar.advance(task)
        out = {"model": rd.describe(), "eval": ev.to_dict(), "k_training": cfg.inference_k(),
               "Lk": lk / len(taus),
               "layers": [{"layer": i, "tau_mean": t / len(taus)} for i, t in enumerate(per_layer)]}
        out["tau_mean"] = sum(r["tau_mean"] for r in out["layers"]) / len(out["layers"])
        bar.update(task, description="evaluate: dense")
        dense = []
        for w in wins:
            dense.append(rd.nll(net, w[None]))
            bar.advance(task)
        out["tokens_scored"] = sum(c for _, c in dense)
        out["ppl_dense"] = math.exp(sum(s for s, _ in dense) / out["tokens_scored"])
        out["nll_dense"] = [s for s, _ in dense]
        out["counts"] = [c for _, c in dense]
        out["topk"] = []
        for rule in rules:
            bar.update(task, description=f"evaluate: {rule.label}")
            parts, certs = [], []
            for w in wins:
                c = hfa.Certificates(audit=ev.audit)
                parts.append(rd.nll(net, w[None], attn="natsparse_topk", window=rule, certificates=c))
                certs.append(c.summary(rows_from=ev.context // 2))
                bar.advance(task)
            ppl = math.exp(sum(s for s, _ in parts) / out["tokens_scored"])
            row = {"rule": rule.label, "k": rule.top_k(ev.context), "ppl": ppl,
                   "rel_gap": ppl / out["ppl_dense"] - 1, "nll": [s for s, _ in parts],
                   "tau_mean": float(np.mean([c["tau_mean"] for c in certs])),
                   "kept_fraction": float(np.mean([c["kept_fraction"] for c in certs]))}
            if ev.audit:
                a = merge([c["audit"] for c in certs])
                row["audit"] = {"rows": a["rows"], "violations": a["violations"], "max_ratio": a["max_ratio"]}
            out["topk"].append(row)
        per_n = []
        for n in ev.law_lengths:
            bar.update(task, description=f"evaluate: k_eps at n={n}")
            per_n.append(rd.measure(net, rd.windows(held_out, n, ev.law_windows)))
            bar.advance(task)
    out["C"] = {}
    for eps in rd.EPSILONS:
        head_C = rd.fit_exponents(ev.law_lengths, [m[f"k_{eps}"] for m in per_n], ev.bootstrap)["head_C"]
        out["C"][str(eps)] = {"median": float(np.median(head_C)),
                              "quartiles": [float(np.quantile(head_C, q)) for q in (0.25, 0.75)]}
    out["violations"] = sum(r["audit"]["violations"] for r in out["topk"]) if ev.audit else None
    out["seconds"] = round(time.perf_counter() - t0, 2)
    return out


def _bar(show: bool):
    from rich.console import Console
    from rich.progress import Progress

    return Progress(transient=True, console=Console(stderr=True), disable=not show)


def text_key(texts) -> str:
    """What the text was, for the evaluation cache: 'pydoc', or the SHA-256 of the texts."""
    import hashlib

    return "pydoc" if texts is None else hashlib.sha256("\x00".join(texts).encode()).hexdigest()


def _cached_eval(folder: Path, key: dict, compute) -> dict:
    """folder/eval.json when it was made with the same settings (`key`), else compute() written there."""
    path = folder / EVAL
    if path.is_file():
        try:
            old = json.loads(path.read_text())
            if old.get("key") == key:
                return old["eval"]
        except ValueError:
            pass
    result = compute()
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda p: p.write_text(json.dumps({"key": key, "eval": result}, indent=1) + "\n"))
    return result


def _bootstrap(values: np.ndarray, draws: int, seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(values), (draws, len(values)))
    means = values[idx].mean(1)
    return [float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))]


def compare(run: dict, baseline: dict, draws: int = 2000, seed: int = 0) -> dict:
    """A run against the baseline (lambda = 0) on the same held-out windows: per k, the change in the
    top-k gap log(ppl_topk / ppl_dense), and the change in dense log-perplexity, with paired 95%
    bootstrap intervals over the windows (per-window NLL per token). Negative gap change: top-k
    inference moved closer to dense; positive dense change: the price in dense perplexity. Their sum,
    the change in top-k log-perplexity, says what a user of top-k inference gains: negative when the
    condensed model run sparse beats the baseline run sparse.

    >>> ev = {"counts": [10, 10], "nll_dense": [20.0, 22.0], "topk": [{"rule": "k=8", "nll": [25, 26]}]}
    >>> better = {"counts": [10, 10], "nll_dense": [21.0, 22.0], "topk": [{"rule": "k=8", "nll": [22, 23]}]}
    >>> c = compare(better, ev, draws=50)
    >>> g = c["gap"][0]
    >>> round(c["dense_log_ppl_change"], 3), round(g["gap_change"], 3), round(g["topk_log_ppl_change"], 3)
    (0.05, -0.35, -0.3)
    """
    counts = np.asarray(baseline["counts"], float)
    if list(run["counts"]) != list(baseline["counts"]):
        raise ValueError("compare needs evaluations on the same windows (their token counts differ)")
    d_run, d_base = np.asarray(run["nll_dense"]) / counts, np.asarray(baseline["nll_dense"]) / counts
    out = {"dense_log_ppl_change": float((d_run - d_base).mean()),
           "dense_log_ppl_change_ci": _bootstrap(d_run - d_base, draws, seed), "gap": []}
    base_rules = {r["rule"]: r for r in baseline["topk"]}
    for r in run["topk"]:
        b = base_rules.get(r["rule"])
        if b is None:
            continue
        t_run, t_base = np.asarray(r["nll"]) / counts, np.asarray(b["nll"]) / counts
        diff, topk = (t_run - d_run) - (t_base - d_base), t_run - t_base
        out["gap"].append({"rule": r["rule"], "gap_change": float(diff.mean()),
                           "gap_change_ci": _bootstrap(diff, draws, seed),
                           "topk_log_ppl_change": float(topk.mean()),
                           "topk_log_ppl_change_ci": _bootstrap(topk, draws, seed)})
    return out


def run_experiment(runs_dir: str | Path, *, base: DecoderConfig | None = None, ev: EvalConfig | None = None,
                   runs: tuple[dict, ...] = DEFAULT_RUNS, texts: list[str] | None = None,
                   json_path: str | Path | None = None, command: str = "", progress: bool = True) -> dict:
    """Item 2 of issue 27: the pretrained model and every run (`base` with each dict of `runs`),
    trained and evaluated; resumable (finished runs are not retrained, evaluations are cached in
    each folder's eval.json). Each lambda > 0 run is compared with the lambda = 0 run of the same k
    rule when there is one, else with the first lambda = 0 run (`compare`)."""
    from .condensation import _machine, run_name

    base = DecoderConfig() if base is None else base
    ev = EvalConfig() if ev is None else ev
    if not isinstance(base, DecoderConfig) or not isinstance(ev, EvalConfig):
        raise TypeError("base must be a DecoderConfig and ev an EvalConfig")
    if not runs:
        raise ValueError("runs must name at least one run")
    configs = [dataclasses.replace(base, **spec) for spec in runs]
    names = [run_name(c) for c in configs]
    if len(set(names)) != len(names):
        raise ValueError(f"runs must differ: two of them would share a folder ({names})")
    root = Path(runs_dir)
    report = {"format": FORMAT, "experiment": "exp:condensation", "model": rd.describe(), "command": command,
              "machine": _machine(), "eval": ev.to_dict(), "runs": []}
    net, tok = rd.load()
    held_in, held_out = split_tokens(tok, texts)
    for cfg in configs:
        check_text(held_in, held_out, cfg, ev)
    report["tokens"] = {"held_in": len(held_in), "held_out": len(held_out)}
    key = {"eval": ev.to_dict(), "texts": text_key(texts)}
    report["pretrained"] = _cached_eval(
        root / "pretrained", {**key, "config": base.to_dict()},
        lambda: evaluate(_build(base)[0], tok, base, ev, texts, progress=progress))
    for cfg, name in zip(configs, names, strict=True):
        folder = root / name
        log = train(cfg, folder, texts, progress=progress)
        ckpt = _read_checkpoint(folder / CHECKPOINT, FORMAT)

        def compute(cfg=cfg, folder=folder):
            trained, _, _, _ = load_decoder(folder)
            return evaluate(trained, tok, cfg, ev, texts, progress=progress)

        result = _cached_eval(folder, {**key, "config": cfg.to_dict(), "step": ckpt["step"]}, compute)
        report["runs"].append({"name": name, "config": cfg.to_dict(), "train_seconds": log["seconds"],
                               "history": log["history"], "eval": result})
    for r, cfg in zip(report["runs"], configs, strict=True):
        if cfg.lam == 0:
            continue
        same = [b for b, c in zip(report["runs"], configs, strict=True)
                if c.lam == 0 and (c.k, c.alpha, c.exponent) == (cfg.k, cfg.alpha, cfg.exponent)]
        zero = same or [b for b, c in zip(report["runs"], configs, strict=True) if c.lam == 0]
        if zero:
            r["against"] = zero[0]["name"]
            r["compare"] = compare(r["eval"], zero[0]["eval"])
    if json_path is not None:
        path = Path(json_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda p: p.write_text(json.dumps(report, indent=1) + "\n"))
    return report
