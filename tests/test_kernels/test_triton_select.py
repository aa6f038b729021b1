"""The bracket select of kernels/triton_topk_kernel.py (sample bracket, one counting pass, resolve
among the candidates, radix fallback) against the radix select it replaces, in the Triton
interpreter: bit-identical outputs and per-row numbers on random, tied, masked, causal and GQA rows,
and on rows where a fault-injected bracket or a too small candidate scratch forces the fallback."""

from __future__ import annotations

import pytest
import torch

from tests.test_kernels.helpers import HAS_CUDA

if HAS_CUDA:  # the interpreter runs on CPU tensors only; on a GPU the kernel tests run compiled
    pytest.skip("interpreter tests", allow_module_level=True)

from natsparse.kernels.selection import Selection  # noqa: E402
from natsparse.kernels.triton_topk import attention_triton  # noqa: E402


def _inputs(seed, m, n, hq, hkv, d, dtype, tied, mask):
    g = torch.Generator().manual_seed(seed)
    lo, hi = (-1, 2) if tied else (-4, 5)  # few distinct integers: many tied scores
    q = torch.randint(lo, hi, (1, hq, m, d), generator=g).to(dtype)
    k = torch.randint(lo, hi, (1, hkv, n, d), generator=g).to(dtype)
    v = torch.randn(1, hkv, n, 3, generator=g).to(dtype)
    attn_mask = None
    if mask == "bool":
        attn_mask = torch.rand(1, 1, m, n, generator=g) < 0.6
        attn_mask[..., 1, :] = False  # a row that sees no key
        attn_mask = attn_mask.expand(1, hq, m, n)
    elif mask == "additive":
        attn_mask = torch.randint(-2, 1, (1, hq, m, n), generator=g).to(dtype)
        attn_mask[..., 2, 5:] = float("-inf")
    return q, k, v, attn_mask


def _run(inputs, top_k, causal, selection):
    q, k, v, attn_mask = inputs
    out, tau, lse_all, lse_kept, rows = attention_triton(
        q, k, v, attn_mask, scale=0.5, is_causal=causal, select=Selection("top_k", top_k), interpret=True,
        config=selection)
    return [out, tau, lse_all, lse_kept, *rows]


RANDOM = (0, 20, 64, 1, 1, 8, torch.float32, False, None, False, 9)
TIED_CAUSAL_GQA = (1, 33, 50, 2, 1, 5, torch.float16, True, None, True, 4)
TIED_BOOL_MASK = (2, 17, 40, 2, 2, 4, torch.float32, True, "bool", False, 6)
ADDITIVE_CAUSAL_GQA = (3, 18, 48, 2, 1, 6, torch.float16, False, "additive", True, 13)
# k near N: the sample bracket's upper end is finite, so keys above it are counted, not collected.
TIED_LARGE_K = (4, 16, 64, 1, 1, 4, torch.float32, True, None, False, 60)


@pytest.mark.parametrize(("case", "fault"), [
    (RANDOM, "none"), (ADDITIVE_CAUSAL_GQA, "none"), (TIED_CAUSAL_GQA, "skew"), (TIED_BOOL_MASK, "skew"),
    (RANDOM, "overflow"), (TIED_LARGE_K, "none"),
])
def test_bracket_equals_radix(case, fault):
    """Every output and per-row number bit-identical to the radix select's. Faults: skew moves odd
    rows' bracket far off (those rows take the fallback, the others the bracket); overflow leaves 2
    candidate slots, too few for any row here."""
    seed, m, n, hq, hkv, d, dtype, tied, mask, causal, top_k = case
    inputs = _inputs(seed, m, n, hq, hkv, d, dtype, tied, mask)
    selection = {"bracketed": None, **{"none": {}, "skew": {"skew": 1e4}, "overflow": {"cap": 2}}[fault]}
    got = _run(inputs, top_k, causal, selection)
    want = _run(inputs, top_k, causal, {"select": "radix"})
    for a, b in zip(got, want, strict=True):
        assert torch.equal(a, b)
    flags = selection["bracketed"]
    if fault == "none":
        assert flags.float().mean() > 0.5  # the bracket did the work on most rows
    elif fault == "skew":
        assert 0 < int(flags.sum()) < flags.numel()
    else:
        assert int(flags.sum()) == 0
