"""kernels/buffers.py: every backend allocates its outputs through `buffers.empty`, so the
poisoning of ``tests/kernels/conftest.py`` (NaN-filled outputs) reaches every element."""

from __future__ import annotations

import torch

from tests.kernels.helpers import EDGE_CASES, TRITON, run


def test_poison_reaches_every_output(poisoned):
    """The outputs are the NaN-filled buffers themselves: an unwritten element stays NaN."""
    case = EDGE_CASES[8]
    for backend in ("torch", TRITON):
        poisoned.clear()
        *_, out, stats = run(case, torch.float32, backend)
        results = [out, *stats]
        assert {t.data_ptr() for t in results} <= {t.data_ptr() for t in poisoned}
        assert all(torch.isfinite(t).all() for t in results)
