"""kernels/validate.py: every bad argument of `topk_attention` and `threshold_attention` raises
TypeError or ValueError with a message that names the argument and the expected form."""

from __future__ import annotations

import math

import pytest
import torch

import natsparse.kernels as nk
from tests.kernels.helpers import K, Q, V, with_inf, with_nan

BAD = [
    (dict(q=Q.numpy()), TypeError, r"q must be a torch\.Tensor"),
    (dict(q=Q[0]), ValueError, r"q must have shape \(B, H, M, D\), got \(2, 4, 3\)"),
    (dict(k=torch.zeros(1, 2, 6, 4)), ValueError, r"k must have shape \(B, H, N, D\)"),
    (dict(k=torch.zeros(2, 2, 6, 3)), ValueError, r"k must have shape"),
    (dict(v=torch.zeros(1, 2, 5, 2)), ValueError, r"v must have shape \(B, H, N, Dv\)"),
    (dict(q=torch.zeros(1, 2, 0, 3)), ValueError, r"q must be non-empty"),
    (dict(k=K.double()), TypeError, r"must share one dtype"),
    (dict(v=V.int()), TypeError, r"v must have dtype float16, bfloat16, float32 or float64"),
    (dict(q=torch.zeros(1, 2, 4, 3, device="meta")), ValueError, r"must be on one device"),
    (dict(top_k=0), ValueError, r"top_k must be an int in \[1, N=6\], got 0"),
    (dict(top_k=7), ValueError, r"top_k must be an int in \[1, N=6\], got 7"),
    (dict(top_k=2.0), TypeError, r"top_k must be an int in \[1, N=6\], got 2\.0"),
    (dict(top_k=True), TypeError, r"top_k must be an int"),
    (dict(scale=math.nan), ValueError, r"scale must be None or a finite real number"),
    (dict(scale="1"), TypeError, r"scale must be None or a finite real number"),
    (dict(is_causal=1), TypeError, r"is_causal must be a bool"),
    (dict(return_stats=None), TypeError, r"return_stats must be a bool"),
    (dict(q=with_nan(Q)), ValueError, r"q must contain only finite values"),
    (dict(k=with_inf(K)), ValueError, r"k must contain only finite values"),
    (dict(v=with_nan(V)), ValueError, r"v must contain only finite values"),
    (dict(q=torch.full((1, 2, 4, 3), 1e20), k=torch.full((1, 2, 6, 3), -1e20)), ValueError,
     r"scores cannot overflow"),
    (dict(v=torch.full((1, 2, 6, 2), 1e38)), ValueError, r"N\*max\|v\| = .* must be below"),
]


@pytest.mark.parametrize(("change", "exc", "msg"), BAD)
def test_topk_bad_input(change, exc, msg):
    kw = dict(q=Q, k=K, v=V, top_k=2) | change
    with pytest.raises(exc, match=msg):
        nk.topk_attention(kw.pop("q"), kw.pop("k"), kw.pop("v"), **kw)


@pytest.mark.parametrize(("eps", "exc", "msg"), [
    (0.0, ValueError, r"eps must be in \(0, 1\), got 0\.0"),
    (1.0, ValueError, r"eps must be in \(0, 1\), got 1\.0"),
    (-0.5, ValueError, r"eps must be in \(0, 1\)"),
    (math.nan, ValueError, r"eps must be in \(0, 1\), got nan"),
    ("0.1", TypeError, r"eps must be a real number in \(0, 1\)"),
])
def test_threshold_bad_eps(eps, exc, msg):
    with pytest.raises(exc, match=msg):
        nk.threshold_attention(Q, K, V, eps=eps)
