"""kernels/validate.py: every bad argument of `topk_attention`, `threshold_attention` and
`mass_attention` raises TypeError or ValueError (RuntimeError where SDPA raises one) with a message
that names the argument and the expected form."""

from __future__ import annotations

import math

import pytest
import torch

import natsparse.kernels as nk
from tests.test_kernels.helpers import K, Q, V, with_inf, with_nan

BOOL_MASK = torch.ones(4, 6, dtype=torch.bool)
BAD = [
    (dict(q=Q.numpy()), TypeError, r"query must be a torch\.Tensor"),
    (dict(q=Q[0, 0, 0]), ValueError, r"query must have shape \(\.\.\., L, E\) with at least 2 dims"),
    (dict(k=torch.zeros(1, 2, 6, 4)), ValueError, r"key must have shape \(\.\.\., Hkv, S, E\) with E = 3"),
    (dict(k=torch.zeros(2, 2, 6, 3)), ValueError, r"key must have shape"),
    (dict(v=torch.zeros(1, 2, 5, 2)), ValueError, r"value must have shape \(\.\.\., Hkv, S, Ev\)"),
    (dict(q=torch.zeros(1, 2, 0, 3)), ValueError, r"query must be non-empty"),
    (dict(k=K.double()), TypeError, r"must share one dtype"),
    (dict(v=V.int()), TypeError, r"value must have dtype float16, bfloat16, float32 or float64"),
    (dict(q=torch.zeros(1, 2, 4, 3, device="meta")), ValueError, r"must be on one device"),
    (dict(q=torch.zeros(1, 3, 4, 3)), ValueError, r"Hkv = 2 must be 1 or equal to"),
    (dict(q=torch.zeros(1, 3, 4, 3), enable_gqa=True), ValueError, r"Hkv = 2 must be a divisor of"),
    (dict(enable_gqa=1), TypeError, r"enable_gqa must be a bool"),
    (dict(top_k=None), TypeError, r"top_k must be an int in \[1, N=6\] \(a keyword argument\), got None"),
    (dict(top_k=0), ValueError, r"top_k must be an int in \[1, N=6\], got 0"),
    (dict(top_k=7), ValueError, r"top_k must be an int in \[1, N=6\], got 7"),
    (dict(top_k=2.0), TypeError, r"top_k must be an int in \[1, N=6\], got 2\.0"),
    (dict(top_k=True), TypeError, r"top_k must be an int"),
    (dict(scale=math.nan), ValueError, r"scale must be None or a finite real number"),
    (dict(scale="1"), TypeError, r"scale must be None or a finite real number"),
    (dict(is_causal=1), TypeError, r"is_causal must be a bool"),
    (dict(return_stats=None), TypeError, r"return_stats must be a bool"),
    (dict(dropout_p=0.1), ValueError, r"dropout_p must be 0\.0 \(sparse attention here has no dropout\)"),
    (dict(dropout_p="0"), TypeError, r"dropout_p must be 0\.0"),
    (dict(attn_mask=[[True]]), TypeError, r"attn_mask must be None or a torch\.Tensor"),
    (dict(attn_mask=BOOL_MASK.double()), TypeError, r"attn_mask must be bool or have the query's dtype"),
    (dict(attn_mask=torch.ones(5, 6, dtype=torch.bool)), ValueError,
     r"attn_mask must be broadcastable to \(\.\.\., Hq, L, S\) = \(1, 2, 4, 6\), got \(5, 6\)"),
    (dict(attn_mask=BOOL_MASK, is_causal=True), RuntimeError,
     r"Explicit attn_mask should not be set when is_causal=True"),
    (dict(attn_mask=torch.full((4, 6), math.nan)), ValueError, r"attn_mask must not contain NaN or \+inf"),
    (dict(attn_mask=torch.full((4, 6), math.inf)), ValueError, r"attn_mask must not contain NaN or \+inf"),
    (dict(q=with_nan(Q)), ValueError, r"query must contain only finite values"),
    (dict(k=with_inf(K)), ValueError, r"key must contain only finite values"),
    (dict(v=with_nan(V)), ValueError, r"value must contain only finite values"),
    (dict(q=torch.full((1, 2, 4, 3), 1e20), k=torch.full((1, 2, 6, 3), -1e20)), ValueError,
     r"scores cannot overflow"),
    (dict(v=torch.full((1, 2, 6, 2), 1e38)), ValueError, r"N\*max_j\|\|v_j\|\| = .* must be below"),
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


@pytest.mark.parametrize(("max_tail", "exc", "msg"), [
    (1.0, ValueError, r"max_tail must be in \[0, 1\), got 1\.0"),
    (-0.1, ValueError, r"max_tail must be in \[0, 1\)"),
    (None, TypeError, r"max_tail must be a real number in \[0, 1\), got None"),
])
def test_mass_bad_max_tail(max_tail, exc, msg):
    with pytest.raises(exc, match=msg):
        nk.mass_attention(Q, K, V, max_tail=max_tail)


def test_a_selection_record_is_checked_once():
    """The Selection record replaces the top_k/eps/max_tail trio: checked by kind, an unknown kind
    named."""
    from natsparse.kernels.selection import Selection, selection

    assert selection("top_k", 3, n=8) == Selection("top_k", 3) and Selection("top_k", 3).top_k == 3
    assert selection("eps", 0.25, n=8).top_k is None
    with pytest.raises(ValueError, match=r"kind must be one of 'top_k', 'eps', 'max_tail', got 'k'"):
        selection("k", 3, n=8)
    with pytest.raises(ValueError, match=r"top_k must be an int in \[1, N=8\], got 9"):
        selection("top_k", 9, n=8)
