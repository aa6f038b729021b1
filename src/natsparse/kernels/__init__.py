"""natsparse.kernels — sparse attention that certifies its own error.

``topk_attention``, ``mass_attention`` and ``threshold_attention`` take the arguments of
``torch.nn.functional.scaled_dot_product_attention`` (masks, ``is_causal``, ``scale``,
``enable_gqa``, inputs shaped (..., L, E)) plus the sparsity parameter (``top_k``, ``max_tail``,
``eps``). With ``return_stats=True`` each output row comes with τ, the exact discarded softmax mass
(thm:output-error: ‖o − ô‖ ≤ 2τ·max_j‖v_j‖), the kept count, and ``error_bound``: a bound on
‖out − o‖₂ against the exact dense attention that covers the kernel's own rounding too
(thm:certificate-rounding).

Decoding: a :class:`~natsparse.kernels.cache.KVCache` holds K and V with their row norms, computed
once per appended key (``kv_cache=`` in each function); the certificate needs them, and recomputing
them per step would read all of K and V again.

Backends: a fused Triton kernel on CUDA (imported lazily, so this package works without
Triton) and a chunked PyTorch reference elsewhere (the one with autograd); ``backend=`` overrides
the choice.

    >>> import torch
    >>> import natsparse.kernels as nk
    >>> x = torch.randn(1, 2, 8, 4, generator=torch.Generator().manual_seed(0))
    >>> out, st = nk.topk_attention(x, x, x, top_k=3, return_stats=True)
    >>> out.shape, st.tail_mass.shape
    (torch.Size([1, 2, 8, 4]), torch.Size([1, 2, 8]))
    >>> dense = torch.nn.functional.scaled_dot_product_attention(x.double(), x.double(), x.double())
    >>> bool(((out.double() - dense).norm(dim=-1) <= st.error_bound).all())
    True
"""

from .cache import KVCache
from .dispatch import BACKENDS, mass_attention, resolve_backend, threshold_attention, topk_attention
from .selection import Selection
from .stats import AttentionStats

__all__ = [
    "BACKENDS",
    "AttentionStats",
    "KVCache",
    "Selection",
    "mass_attention",
    "resolve_backend",
    "threshold_attention",
    "topk_attention",
]
