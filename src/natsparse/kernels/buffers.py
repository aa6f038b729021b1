"""Output allocation for every backend, in one place.

Both backends allocate their outputs through :func:`empty`, so a test can replace it with a
NaN-filled allocator ("poisoning") and catch any element a backend forgets to write.
"""

from __future__ import annotations

import torch


def empty(shape: tuple[int, ...], dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """An uninitialised tensor; backends must write every element of it.

    >>> empty((2, 3), torch.float32, torch.device("cpu")).shape
    torch.Size([2, 3])
    """
    return torch.empty(shape, dtype=dtype, device=device)
