"""Poisoning for every kernel test (DESIGN.md "Tests"): each backend output starts NaN-filled
(integer outputs, the counts, start at -1)."""

from __future__ import annotations

import pytest
import torch

from natsparse.kernels import buffers


@pytest.fixture(autouse=True)
def poisoned(monkeypatch):
    """Every backend output starts NaN-filled; returns the list of tensors handed out."""
    handed_out: list[torch.Tensor] = []

    def nan_empty(shape, dtype, device):
        fill = float("nan") if dtype.is_floating_point else -1
        t = torch.full(shape, fill, dtype=dtype, device=device)
        handed_out.append(t)
        return t

    monkeypatch.setattr(buffers, "empty", nan_empty)
    return handed_out
