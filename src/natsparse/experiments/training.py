"""Condensation training (exp:condensation): a byte-level GPT trained with L_LM + lambda * L_k.

`train` trains one `TinyGPT` on a text corpus with the sparsity loss L_k (`numeric.loss.sparsity_loss`,
def:sparsity-loss) added with weight lambda, seeded, with a progress bar, a JSON log and checkpoints that
make it resumable: an interrupted run started again with the same output folder goes on from its last
checkpoint with the same batches it would have drawn. Ctrl-C is deferred to the end of the running step,
which is then saved, so an interrupt loses nothing; a hard kill loses at most `checkpoint_every` steps.
Checkpoints and logs are written to a temporary file and renamed over the old one, so a crash mid-write
never replaces a good checkpoint with a partial one; an unreadable checkpoint is reported, never
overwritten. `evaluate` measures a trained model on the validation split: dense and top-k-inference loss
and perplexity, and per layer the mean tail mass tau_k, k_eps and the thm:output-error certificate
against the measured top-k error (in float64).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import signal
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch.nn import functional as F

from natsparse.numeric import batched
from natsparse.numeric.loss import causal_adaptive_k, sparsity_loss

from .audit import merge, summarise
from .corpus import Corpus, load_corpus
from .tiny_gpt import GPTConfig, TinyGPT

__all__ = ["CheckpointError", "TrainConfig", "evaluate", "load_model", "train"]

FORMAT = "natsparse-condense/1"
CHECKPOINT, LOG = "checkpoint.pt", "log.json"


class CheckpointError(ValueError):
    """A checkpoint that cannot be used: unreadable, partial, of another format or another run.

    >>> issubclass(CheckpointError, ValueError)  # the CLI reports it as bad input (exit 2)
    True
    """


def _check_corpus_fits(corpus: Corpus, context: int) -> None:
    need = context + 2  # at least two distinct windows of context + 1 bytes (input and next-byte target)
    for name in ("train", "val"):
        have = len(getattr(corpus, name))
        if have < need:
            raise ValueError(f"the corpus is too small for context={context}: its {name} split has {have} "
                             f"bytes and needs at least {need}; give a longer text or a smaller context")


@dataclass(frozen=True)
class TrainConfig:
    """One condensation run. k is the top-k of L_k; alpha and exponent (both or neither) switch it to
    the per-row rule k_i = ceil(alpha * n_i**exponent) on causal rows (`causal_adaptive_k`).

    >>> small = GPTConfig(context=32, layers=2, heads=2, width=32)
    >>> TrainConfig(k=4, model=small).inference_k()
    4
    >>> adaptive = TrainConfig(alpha=1.0, exponent=0.5, model=small)
    >>> adaptive.loss_k()[:6].tolist(), adaptive.inference_k()  # k_i = ceil(i**0.5), 6 at i = 32
    ([1, 2, 2, 2, 3, 3], 6)
    >>> TrainConfig(k=33, model=small)
    Traceback (most recent call last):
    ...
    ValueError: k=33 exceeds the context length 32: k must be in [1, context]
    """

    lam: float = 0.0
    k: int = 8
    alpha: float | None = None
    exponent: float | None = None
    layer_weights: tuple[float, ...] | None = None
    steps: int = 800
    batch: int = 32
    lr: float = 3e-3
    warmup: int = 100
    weight_decay: float = 0.1
    seed: int = 0
    eval_every: int = 100
    checkpoint_every: int = 100
    model: GPTConfig = GPTConfig()

    def __post_init__(self):
        if isinstance(self.lam, bool) or not isinstance(self.lam, int | float) or not math.isfinite(self.lam):
            raise ValueError(f"lam must be a finite real number >= 0, got {self.lam!r}")
        if self.lam < 0:
            raise ValueError(f"lam must be >= 0 (it weighs a penalty), got {self.lam}")
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 1:
            raise ValueError(f"k must be an int >= 1, got {self.k!r}")
        if not isinstance(self.model, GPTConfig):
            raise TypeError(f"model must be a GPTConfig, got {type(self.model).__name__}")
        if self.k > self.model.context:
            raise ValueError(f"k={self.k} exceeds the context length {self.model.context}: k must be in "
                             f"[1, context]")
        if (self.alpha is None) != (self.exponent is None):
            raise ValueError("alpha and exponent go together: give both (k = alpha n^exponent) or neither")
        if self.alpha is not None:
            causal_adaptive_k(self.model.context, self.alpha, self.exponent)  # validates them
        for name in ("steps", "batch", "warmup", "eval_every", "checkpoint_every"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < (0 if name == "warmup" else 1):
                raise ValueError(f"{name} must be an int >= {0 if name == 'warmup' else 1}, got {v!r}")
        for name in ("lr", "weight_decay"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0 \
                    or (name == "lr" and v == 0):
                raise ValueError(f"{name} must be a finite number {'> 0' if name == 'lr' else '>= 0'}, "
                                 f"got {v!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be an int >= 0, got {self.seed!r}")
        if self.layer_weights is not None:
            if len(self.layer_weights) != self.model.layers:
                raise ValueError(f"layer_weights must have one entry per layer ({self.model.layers}), got "
                                 f"{len(self.layer_weights)}")
            object.__setattr__(self, "layer_weights", tuple(float(w) for w in self.layer_weights))

    def loss_k(self) -> int | torch.Tensor:
        """The k argument of L_k: the fixed k, or the per-row k of the adaptive rule."""
        if self.alpha is None:
            return self.k
        return causal_adaptive_k(self.model.context, self.alpha, self.exponent)

    def inference_k(self) -> int:
        """The top-k used at inference: k, or for the adaptive rule its value at n = context (its largest)."""
        return self.k if self.alpha is None else int(self.loss_k()[-1])

    def to_dict(self) -> dict:
        d = asdict(self)
        d["layer_weights"] = list(self.layer_weights) if self.layer_weights is not None else None
        return d

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        d = dict(d)
        d["model"] = GPTConfig(**d["model"])
        if d.get("layer_weights") is not None:
            d["layer_weights"] = tuple(d["layer_weights"])
        names = {f.name for f in dataclasses.fields(cls)}
        if set(d) != names:
            raise CheckpointError(f"configuration fields {sorted(set(d) ^ names)} do not match this version")
        return cls(**d)


def atomic_write(path: Path, write) -> None:
    """write(tmp_path), then rename over path: the old file stays whole until the new one is.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "report.json"
    ...     atomic_write(path, lambda p: p.write_text("{}"))
    ...     path.read_text(), sorted(f.name for f in Path(tmp).iterdir())
    ('{}', ['report.json'])
    """
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


def _read_checkpoint(path: Path, fmt: str = FORMAT) -> dict:
    """The checkpoint at path, of format `fmt` (the decoder path, `condense_decoder`, has its own)."""
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises RuntimeError, EOFError, UnpicklingError, zipfile errors...
        raise CheckpointError(f"checkpoint {path} cannot be read (corrupted or partially written: "
                              f"{type(exc).__name__}: {exc}); it was left as it is. Delete it to start "
                              f"over, or pass another output folder") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != fmt:
        raise CheckpointError(f"checkpoint {path} is not a natsparse condensation checkpoint ({fmt})")
    missing = {"config", "step", "model", "optimizer", "rng", "history", "seconds"} - set(ckpt)
    if missing:
        raise CheckpointError(f"checkpoint {path} lacks {sorted(missing)}; it is partial or from another "
                              f"version")
    return ckpt


def load_model(path: str | Path) -> tuple[TinyGPT, TrainConfig, dict]:
    """(model, config, checkpoint) from a checkpoint file or a run folder; raises CheckpointError.

    >>> load_model("/no/such/run")
    Traceback (most recent call last):
    ...
    natsparse.experiments.training.CheckpointError: no checkpoint at /no/such/run
    """
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    ckpt = _read_checkpoint(path)
    cfg = TrainConfig.from_dict(ckpt["config"])
    model = TinyGPT(cfg.model)
    try:
        model.load_state_dict(ckpt["model"])
    except (RuntimeError, KeyError) as exc:
        raise CheckpointError(f"checkpoint {path} holds weights that do not fit its configuration: "
                              f"{exc}") from None
    return model, cfg, ckpt


def _optimizer(model: TinyGPT, cfg: TrainConfig) -> torch.optim.AdamW:
    decay = [p for p in model.parameters() if p.ndim >= 2]
    rest = [p for p in model.parameters() if p.ndim < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                              {"params": rest, "weight_decay": 0.0}], lr=cfg.lr, betas=(0.9, 0.95))


def _lr(cfg: TrainConfig, step: int) -> float:
    """Linear warm-up, then cosine decay to a tenth of the peak."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    t = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    return cfg.lr * (0.1 + 0.45 * (1 + math.cos(math.pi * min(1.0, t))))


def _batch(data: torch.Tensor, cfg: TrainConfig, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    T = cfg.model.context
    starts = torch.randint(0, len(data) - T - 1, (cfg.batch,), generator=g)
    chunk = torch.stack([data[s:s + T + 1] for s in starts.tolist()])
    return chunk[:, :-1], chunk[:, 1:]


def _windows(data: torch.Tensor, context: int, limit: int | None) -> torch.Tensor:
    """Non-overlapping validation windows of context + 1 bytes (the first `limit` of them)."""
    n = (len(data) - 1) // context
    if limit is not None:
        n = min(n, limit)
    return torch.stack([data[i * context:(i + 1) * context + 1] for i in range(n)])


def _val_loss(model: TinyGPT, corpus: Corpus, windows: int | None, batch: int = 32) -> float:
    w = _windows(corpus.val, model.cfg.context, windows)
    total = 0.0
    with torch.no_grad():
        for i in range(0, len(w), batch):
            chunk = w[i:i + batch]
            logits, _, _ = model(chunk[:, :-1])
            total += F.cross_entropy(logits.flatten(0, 1), chunk[:, 1:].flatten(), reduction="sum").item()
    return total / (len(w) * model.cfg.context)


def _progress(enabled: bool):
    """The training bar, on stderr (stdout stays for the tables and --json)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[status]}"), TimeRemainingColumn(), console=Console(stderr=True),
                    disable=not enabled)


@contextlib.contextmanager
def _deferred_interrupt():
    """Within the block, SIGINT (Ctrl-C) only raises a flag, read between steps, so that a checkpoint is
    never taken in the middle of a step. Outside the main thread signals cannot be caught: no-op."""
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    hit = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: hit.append(signum))
    try:
        yield lambda: bool(hit)
    finally:
        signal.signal(signal.SIGINT, previous)


def train(cfg: TrainConfig, out_dir: str | Path, corpus: Corpus | None = None, *, progress: bool = True,
          val_windows: int | None = 64) -> dict:
    """Train (or resume) one run into out_dir; returns its log (also written to out_dir/log.json).

    The log holds the configuration, the corpus source, and every eval_every steps: the step, the
    learning rate, the mean training LM loss and L_k since the last entry, the validation LM loss on
    `val_windows` windows, and the training seconds so far (resumed runs add up).
    """
    if not isinstance(cfg, TrainConfig):
        raise TypeError(f"cfg must be a TrainConfig, got {type(cfg).__name__}")
    corpus = corpus if corpus is not None else load_corpus()
    _check_corpus_fits(corpus, cfg.model.context)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with torch.random.fork_rng(devices=[]):  # seeded initial weights; the caller's RNG is left alone
        torch.manual_seed(cfg.seed)
        model = TinyGPT(cfg.model)
    ckpt = None
    if (out / CHECKPOINT).exists():
        ckpt = _read_checkpoint(out / CHECKPOINT)
        if ckpt["config"] != cfg.to_dict():
            raise CheckpointError(f"{out} holds a run with another configuration ({ckpt['config']}); "
                                  f"pass another output folder to start this one")
        model.load_state_dict(ckpt["model"])
    g = torch.Generator().manual_seed(cfg.seed)
    k_loss = cfg.loss_k()

    def losses():
        x, y = _batch(corpus.train, cfg, g)
        logits, probs, _ = model(x)
        return (F.cross_entropy(logits.flatten(0, 1), y.flatten()),
                sparsity_loss(probs, k_loss, layer_weights=cfg.layer_weights))

    log = {"format": FORMAT, "config": cfg.to_dict(), "corpus": corpus.source,
           "corpus_bytes": {"train": len(corpus.train), "val": len(corpus.val)}}
    return run_loop(cfg, out, log, FORMAT, net=model, params=list(model.parameters()),
                    opt=_optimizer(model, cfg), g=g, ckpt=ckpt, model_state=model.state_dict, losses=losses,
                    val_loss=lambda: _val_loss(model, corpus, val_windows), label=f"lambda={cfg.lam:g}",
                    progress=progress)


def run_loop(cfg, out: Path, log: dict, fmt: str, *, net: torch.nn.Module, params: list, opt,
             g: torch.Generator, ckpt: dict | None, model_state, losses, val_loss, label: str,
             progress: bool) -> dict:
    """The training loop of both condensation paths (the tiny GPT here, SmolLM2 in `condense_decoder`).

    Resumes from `ckpt` (the optimiser, the batch generator `g`, the step, history and seconds; the
    weights are the caller's to load), then until cfg.steps: the learning rate of `_lr`, one step on
    L_LM + cfg.lam * L_k from `losses()` (which draws its batch from g; L_k is left out of the graph at
    lambda = 0), gradients of `params` clipped at norm 1, a history entry every cfg.eval_every steps
    (`val_loss()` with `net` in eval mode), and a checkpoint of `model_state()` with the rest every
    cfg.checkpoint_every steps, written then renamed. Ctrl-C is deferred to the end of the running step,
    which is saved first. Returns the log: `log` (the caller's header) with the history and the
    training seconds, also written to out/log.json.
    """
    step, history, seconds = 0, [], 0.0
    if ckpt is not None:
        opt.load_state_dict(ckpt["optimizer"])
        g.set_state(ckpt["rng"])
        step, history, seconds = ckpt["step"], list(ckpt["history"]), float(ckpt["seconds"])
    out.mkdir(parents=True, exist_ok=True)
    log = {**log, "history": history}

    def save() -> None:
        state = {"format": fmt, "config": cfg.to_dict(), "step": step, "model": model_state(),
                 "optimizer": opt.state_dict(), "rng": g.get_state(), "history": history, "seconds": seconds}
        atomic_write(out / CHECKPOINT, lambda p: torch.save(state, p))
        log["seconds"] = seconds
        atomic_write(out / LOG, lambda p: p.write_text(json.dumps(log, indent=1) + "\n"))

    sums, count = [0.0, 0.0], 0
    net.train()
    with _progress(progress) as bar, _deferred_interrupt() as interrupted:
        task = bar.add_task(label, total=cfg.steps, completed=step, status="")
        t0 = time.perf_counter()
        while step < cfg.steps:
            if interrupted():  # Ctrl-C: keep every finished step, then stop
                seconds += time.perf_counter() - t0
                save()
                raise KeyboardInterrupt(f"interrupted at step {step} of {cfg.steps}; the checkpoint in {out} "
                                        f"holds it: run the same command again to resume")
            for group in opt.param_groups:
                group["lr"] = _lr(cfg, step)
            lm, lk = losses()
            opt.zero_grad(set_to_none=True)
            (lm + cfg.lam * lk if cfg.lam > 0 else lm).backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            step += 1
            sums[0] += lm.item()
            sums[1] += lk.item()
            count += 1
            bar.update(task, advance=1, status=f"LM {lm.item():.3f}  L_k {lk.item():.4f}")
            del lm, lk
            if step % cfg.eval_every == 0 or step == cfg.steps:
                net.eval()
                v = val_loss()
                net.train()
                history.append({"step": step, "lr": _lr(cfg, step - 1), "train_lm": sums[0] / count,
                                "train_Lk": sums[1] / count, "val_lm": v,
                                "seconds": seconds + time.perf_counter() - t0})
                sums, count = [0.0, 0.0], 0
            if step % cfg.checkpoint_every == 0 or step == cfg.steps:
                seconds += time.perf_counter() - t0
                t0 = time.perf_counter()
                save()
    if not (out / LOG).exists():  # a finished run resumed: nothing was saved in this call
        save()
    return json.loads((out / LOG).read_text())


def evaluate(model: TinyGPT, cfg: TrainConfig, corpus: Corpus | None = None, *, windows: int | None = None,
             eps: float = 0.01, batch: int = 32) -> dict:
    """The trained model on the validation split: dense against top-k inference, and per layer
    tau_k, k_eps and the certificate.

    - loss (nats per byte) and perplexity exp(loss), dense and with every layer's attention replaced by
      certified top-k attention at k = cfg.inference_k() (natsparse.kernels);
    - per layer, over all heads and query rows of the dense model: the mean tau_k (L_k with the
      training k, per-row for the adaptive rule), the median and mean k_eps of the last query (which
      sees all `context` keys), and the audit of thm:output-error: top-k attention on the layer's own
      q, k, v at the inference k, in float64, against dense attention: the largest error/bound ratio
      over rows whose bound exceeds 1e3 times the rounding allowance, the number of rows whose error
      exceeds the bound 2 tau max|v| (beyond float64 rounding, `audit.SLACK` * (1 + max|v|)), and the
      means over rows of the bound (the certified top-k error) and of the measured error.
    """
    if not isinstance(model, TinyGPT) or not isinstance(cfg, TrainConfig):
        raise TypeError("evaluate needs a TinyGPT and its TrainConfig")
    if not (isinstance(eps, float) and 0 < eps < 1):
        raise ValueError(f"eps must be a float in (0, 1), got {eps!r}")
    corpus = corpus if corpus is not None else load_corpus()
    _check_corpus_fits(corpus, cfg.model.context)
    w = _windows(corpus.val, cfg.model.context, windows)
    k_inf, k_loss = cfg.inference_k(), cfg.loss_k()
    L = cfg.model.layers
    nll = {"dense": 0.0, "topk": 0.0}
    tau_sum, keps, rows = [0.0] * L, [[] for _ in range(L)], [0] * L
    audits_by_layer: list[list[dict]] = [[] for _ in range(L)]
    model.eval()
    with torch.no_grad():
        for i in range(0, len(w), batch):
            x, y = w[i:i + batch, :-1], w[i:i + batch, 1:]
            logits, probs, audits = model(x, audit_k=k_inf)
            nll["dense"] += F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="sum").item()
            logits_k, _, _ = model(x, top_k=k_inf)
            nll["topk"] += F.cross_entropy(logits_k.flatten(0, 1), y.flatten(), reduction="sum").item()
            for layer, (p, a) in enumerate(zip(probs, audits, strict=True)):
                n_rows = p.shape[0] * p.shape[1] * p.shape[2]
                tau_sum[layer] += sparsity_loss(p.double(), k_loss).item() * n_rows
                rows[layer] += n_rows
                last = p[:, :, -1, :].double().clamp(min=1e-300)  # a float32 0 is a mass below 1e-45
                keps[layer].append(batched.k_eps(torch.log(last), eps).flatten())
                audits_by_layer[layer].append(summarise(a))
    tokens = len(w) * cfg.model.context
    out = {"windows": len(w), "tokens": tokens, "k_inference": k_inf, "eps": eps}
    for mode in ("dense", "topk"):
        out[f"val_loss_{mode}"] = nll[mode] / tokens
        out[f"ppl_{mode}"] = math.exp(nll[mode] / tokens)
    out["layers"] = []
    for layer in range(L):
        ke = torch.cat(keps[layer]).double()
        cert = merge(audits_by_layer[layer])
        out["layers"].append({"layer": layer, "tau_mean": tau_sum[layer] / rows[layer],
                              "k_eps_median": float(ke.median()), "k_eps_mean": float(ke.mean()),
                              "certificate_mean": cert["bound_sum"] / cert["rows"],
                              "error_mean": cert["error_sum"] / cert["rows"],
                              "certificate_max_ratio": cert["max_ratio"],
                              "certificate_violations": cert["violations"]})
    out["tau_mean"] = sum(r["tau_mean"] for r in out["layers"]) / L
    return out
