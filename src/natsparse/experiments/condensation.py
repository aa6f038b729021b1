"""exp:condensation: train the same byte-level GPT at several lambda, evaluate each, write one JSON.

Each run trains (or resumes) in its own folder under `runs_dir` (`training.train`), then is evaluated on
the validation split (`training.evaluate`): dense and top-k-inference perplexity, and per layer tau_k,
k_eps and the certificate audit. The report records the exact command that regenerates it, the machine,
and every run's configuration, training curve and training time.
"""

from __future__ import annotations

import dataclasses
import json
import platform
import tempfile
from pathlib import Path

import torch

from .corpus import Corpus, load_corpus
from .machine import cpu_model
from .tiny_gpt import GPTConfig
from .training import FORMAT, TrainConfig, atomic_write, evaluate, load_model, train

__all__ = ["DEFAULT_RUNS", "QUICK_BASE", "quick_pair", "run_experiment", "run_name"]

# lambda = 0 is the baseline; three lambda > 0 at fixed k = 8; one run with the per-row k = ceil(n^0.5)
# (alpha = 1, C = 0.5: k = 12 at n = 128).
DEFAULT_RUNS: tuple[dict, ...] = (
    {"lam": 0.0}, {"lam": 0.1}, {"lam": 0.3}, {"lam": 1.0},
    {"lam": 0.3, "alpha": 1.0, "exponent": 0.5},
)
# A few seconds per run: for tests and smoke runs, not for conclusions.
QUICK_BASE = TrainConfig(steps=30, batch=8, eval_every=10, checkpoint_every=10, warmup=5,
                         k=4, model=GPTConfig(context=32, layers=2, heads=2, width=32))


def run_name(cfg: TrainConfig) -> str:
    """A folder name that says the run: lam0.3_k8, or lam0.3_alpha1_C0.5 for the adaptive rule.

    >>> run_name(QUICK_BASE), run_name(dataclasses.replace(QUICK_BASE, lam=0.3, alpha=1.0, exponent=0.5))
    ('lam0_k4', 'lam0.3_alpha1_C0.5')
    """
    if cfg.alpha is None:
        return f"lam{cfg.lam:g}_k{cfg.k}"
    return f"lam{cfg.lam:g}_alpha{cfg.alpha:g}_C{cfg.exponent:g}"


def _machine() -> dict:
    return {"cpu": cpu_model(), "threads": torch.get_num_threads(), "torch": torch.__version__,
            "python": platform.python_version()}


def run_experiment(runs_dir: str | Path, *, base: TrainConfig | None = None,
                   runs: tuple[dict, ...] = DEFAULT_RUNS, corpus: Corpus | None = None,
                   json_path: str | Path | None = None, command: str = "", progress: bool = True,
                   val_windows: int | None = None) -> dict:
    """Train and evaluate every run (`base`, default TrainConfig(), with each dict of `runs` applied).

    Finished runs are not retrained: their folders hold their final checkpoints, so an interrupted
    experiment started again resumes where it stopped. With `json_path` the report is written there.
    """
    base = TrainConfig() if base is None else base
    if not isinstance(base, TrainConfig):
        raise TypeError(f"base must be a TrainConfig, got {type(base).__name__}")
    if not runs:
        raise ValueError("runs must name at least one run")
    corpus = corpus if corpus is not None else load_corpus()
    configs = [dataclasses.replace(base, **spec) for spec in runs]
    names = [run_name(c) for c in configs]
    if len(set(names)) != len(names):
        raise ValueError(f"runs must differ: two of them would share a folder ({names})")
    report = {"format": FORMAT, "experiment": "exp:condensation", "command": command,
              "machine": _machine(), "corpus": corpus.source,
              "corpus_bytes": {"train": len(corpus.train), "val": len(corpus.val)}, "runs": []}
    for cfg, name in zip(configs, names, strict=True):
        folder = Path(runs_dir) / name
        log = train(cfg, folder, corpus, progress=progress)
        model, _, _ = load_model(folder)
        report["runs"].append({"name": name, "config": cfg.to_dict(), "train_seconds": log["seconds"],
                               "history": log["history"],
                               "eval": evaluate(model, cfg, corpus, windows=val_windows)})
    if json_path is not None:
        path = Path(json_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda p: p.write_text(json.dumps(report, indent=1) + "\n"))
    return report


def quick_pair() -> dict:
    """Train and evaluate lambda = 0 and lambda = 1 at QUICK_BASE (seconds); returns {lambda: evaluation}."""
    corpus, out = load_corpus(), {}
    with tempfile.TemporaryDirectory() as tmp:
        for lam in (0.0, 1.0):
            cfg = dataclasses.replace(QUICK_BASE, lam=lam)
            train(cfg, f"{tmp}/lam{lam:g}", corpus, progress=False, val_windows=8)
            model, _, _ = load_model(f"{tmp}/lam{lam:g}")
            out[lam] = evaluate(model, cfg, corpus, windows=64)
    return out
