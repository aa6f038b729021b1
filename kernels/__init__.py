"""natsparse.kernels — top-k attention that certifies its own error.

``topk_attention`` and ``threshold_attention`` have the signature of
``torch.nn.functional.scaled_dot_product_attention`` plus the sparsity parameter. With
``return_stats=True`` each output row comes with τ, the exact discarded softmax mass, which
bounds the error against dense attention: ‖o − ô‖ ≤ 2τ·max_j‖v_j‖ (thm:output-error).

Backends: a fused Triton kernel on CUDA (imported lazily, so this package works without
Triton) and a chunked PyTorch reference elsewhere; ``backend=`` overrides the choice.

    >>> import torch
    >>> import natsparse.kernels as nk
    >>> x = torch.randn(1, 2, 8, 4, generator=torch.Generator().manual_seed(0))
    >>> out, st = nk.topk_attention(x, x, x, top_k=3, return_stats=True)
    >>> out.shape, st.tail_mass.shape
    (torch.Size([1, 2, 8, 4]), torch.Size([1, 2, 8]))
"""

from .dispatch import BACKENDS, mass_attention, resolve_backend, threshold_attention, topk_attention
from .stats import AttentionStats

__all__ = [
    "BACKENDS",
    "AttentionStats",
    "mass_attention",
    "resolve_backend",
    "threshold_attention",
    "topk_attention",
]
