"""Poisoning for every kernel test (DESIGN.md "Tests"): each backend output starts NaN-filled."""

from __future__ import annotations

import pytest
import torch

from natsparse.kernels import buffers


@pytest.fixture(autouse=True)
def poisoned(monkeypatch):
    """Every backend output starts NaN-filled; returns the list of tensors handed out."""
    handed_out: list[torch.Tensor] = []

    def nan_empty(shape, dtype, device):
        t = torch.full(shape, float("nan"), dtype=dtype, device=device)
        handed_out.append(t)
        return t

    monkeypatch.setattr(buffers, "empty", nan_empty)
    return handed_out
