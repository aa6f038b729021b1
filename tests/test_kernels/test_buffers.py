"""kernels/buffers.py: every backend allocates its outputs through `buffers.empty`, so the
poisoning of ``tests/test_kernels/conftest.py`` (NaN-filled outputs, counts at -1) reaches every element."""

from __future__ import annotations

import torch

from tests.test_kernels.helpers import EDGE_CASES, TRITON, run


def test_poison_reaches_every_output(poisoned):
    """The outputs are the poisoned buffers themselves, and after the call no buffer handed out
    (output, τ, LSEs, counts, the certificate's row numbers) holds a poisoned element."""
    case = EDGE_CASES[8]
    for backend in ("torch", TRITON):
        poisoned.clear()
        *_, out, stats = run(case, torch.float32, backend)
        results = [out, stats.tail_mass, stats.lse_all, stats.lse_kept, stats.kept]
        assert {t.data_ptr() for t in results} <= {t.data_ptr() for t in poisoned}
        assert len(poisoned) >= 10 and torch.isfinite(stats.error_bound).all()
        for t in poisoned:
            assert not (torch.isnan(t).any() if t.is_floating_point() else (t == -1).any())
