"""experiments.condensation: run names, the experiment report, resuming without retraining."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

from natsparse.experiments.condensation import QUICK_BASE, run_experiment, run_name
from natsparse.experiments.corpus import load_corpus

TINY = dataclasses.replace(QUICK_BASE, steps=4, eval_every=2, checkpoint_every=2)


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


def test_adaptive_rule_infers_with_its_largest_k():
    cfg = dataclasses.replace(QUICK_BASE, alpha=1.0, exponent=0.5)
    assert cfg.inference_k() == math.ceil(32**0.5)
    assert cfg.loss_k().tolist()[:5] == [1, 2, 2, 2, 3]
    assert run_name(cfg) == "lam0_alpha1_C0.5" and run_name(QUICK_BASE) == "lam0_k4"


def test_experiment_writes_json_and_resumes_without_retraining(tmp_path, corpus):
    runs = ({"lam": 0.0}, {"lam": 1.0})
    out = tmp_path / "report.json"
    rep = run_experiment(tmp_path / "runs", base=TINY, runs=runs, corpus=corpus, json_path=out,
                         command="test", progress=False, val_windows=8)
    assert json.loads(out.read_text()) == rep
    assert [r["name"] for r in rep["runs"]] == ["lam0_k4", "lam1_k4"]
    again = run_experiment(tmp_path / "runs", base=TINY, runs=runs, corpus=corpus, progress=False,
                           val_windows=8)
    assert [r["history"] for r in again["runs"]] == [r["history"] for r in rep["runs"]]
    with pytest.raises(ValueError, match="runs must differ"):
        run_experiment(tmp_path / "x", base=TINY, runs=({"lam": 0.0}, {"lam": 0.0}), corpus=corpus)
