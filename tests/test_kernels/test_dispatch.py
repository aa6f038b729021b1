"""kernels/dispatch.py: the public entry points pick a backend ("auto" is torch on the CPU), accept
any strides, load Triton only when it runs, reject a backend that cannot take the inputs, and skip
the finiteness check only when asked."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

import natsparse.kernels as nk
from tests.test_kernels.helpers import TRITON, K, Q, V, with_nan, zeros_qkv


def test_non_contiguous_inputs_are_handled():
    g = torch.Generator().manual_seed(3)
    base = torch.randint(-3, 4, (2, 11, 3, 8), generator=g).float()  # (B, M, H, D) storage
    q = base.transpose(1, 2)
    kb = torch.randint(-3, 4, (2, 3, 8, 21), generator=g).float()
    k = kb.transpose(2, 3)
    v = torch.randn(2, 3, 21, 10, generator=g)[..., ::2]
    assert not (q.is_contiguous() or k.is_contiguous() or v.is_contiguous())
    for backend in ("torch", TRITON):
        if backend == "triton":
            q, k, v = (t.cuda() for t in (q, k, v))
        a = nk.topk_attention(q, k, v, top_k=6, return_stats=True, backend=backend)
        b = nk.topk_attention(q.contiguous(), k.contiguous(), v.contiguous(), top_k=6,
                              return_stats=True, backend=backend)
        for x, y in zip((a[0], *a[1]), (b[0], *b[1]), strict=True):
            assert torch.equal(x, y)


def test_auto_backend_on_cpu_is_torch():
    x = torch.zeros(1, 1, 2, 2)
    assert nk.resolve_backend("auto", x) == "torch"
    assert nk.resolve_backend("auto", x.double()) == "torch"
    out = nk.topk_attention(x, x, x, top_k=1)
    assert isinstance(out, torch.Tensor) and out.shape == (1, 1, 2, 2)


def test_import_does_not_load_triton():
    code = "import sys, natsparse.kernels; assert 'triton' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(("backend", "exc", "msg"), [
    ("cuda", ValueError, r"backend must be one of 'auto', 'torch'"),
    ("triton", ValueError, r"backend='triton' needs CUDA tensors"),
])
def test_topk_bad_backend(backend, exc, msg):
    """The backend rows of the bad-input table (the others are in test_validate.py)."""
    with pytest.raises(exc, match=msg):
        nk.topk_attention(Q, K, V, top_k=2, backend=backend)


def test_float64_on_triton_is_rejected():
    q, k, v = zeros_qkv(dtype=torch.float64)
    with pytest.raises(TypeError, match=r"backend='triton-interpret' needs float16"):
        nk.topk_attention(q, k, v, top_k=1, backend="triton-interpret")


def test_check_finite_opt_out_skips_the_check():
    out = nk.topk_attention(with_nan(Q), K, V, top_k=2, check_finite=False)
    assert out.shape == (1, 2, 4, 2)
