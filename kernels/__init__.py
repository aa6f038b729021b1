"""natsparse.kernels — top-k attention that certifies its own error.

``topk_attention`` and ``threshold_attention`` have the signature of
``torch.nn.functional.scaled_dot_product_attention`` plus the sparsity parameter. With
``return_stats=True`` each output row comes with τ, the exact discarded softmax mass, which
bounds the error against dense attention: ‖o − ô‖ ≤ 2τ·max_j‖v_j‖ (thm:output-error).

Backends: a fused Triton kernel on CUDA (imported lazily, so this package works without
Triton) and a chunked PyTorch reference elsewhere; ``backend=`` overrides the choice.
"""

from .dispatch import BACKENDS, resolve_backend, threshold_attention, topk_attention
from .stats import AttentionStats

__all__ = [
    "BACKENDS",
    "AttentionStats",
    "resolve_backend",
    "threshold_attention",
    "topk_attention",
]
