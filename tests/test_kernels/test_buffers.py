"""kernels/buffers.py: every backend allocates its outputs through `buffers.empty`, so the
poisoning of ``tests/test_kernels/conftest.py`` (NaN-filled outputs, counts at -1) reaches every element."""

from __future__ import annotations

import torch

from tests.test_kernels.helpers import EDGE_CASES, TRITON, run


def test_poison_reaches_every_output(poisoned):
    """The outputs are views of the poisoned buffers, and after the call no buffer handed out (output,
    τ, LSEs, counts, the certificate's row numbers) holds a poisoned element."""
    case = EDGE_CASES[8]
    for backend in ("torch", TRITON):
        poisoned.clear()
        *_, out, stats = run(case, torch.float32, backend)
        results = [out, stats.tail_mass, stats.lse_all, stats.lse_kept, stats.kept]
        # outputs are views of the buffers (the per-row numbers share one buffer per dtype)
        storage = lambda t: t.untyped_storage().data_ptr()  # noqa: E731
        assert {storage(t) for t in results} <= {storage(t) for t in poisoned}
        assert len(poisoned) >= 3 and torch.isfinite(stats.error_bound).all()
        for t in poisoned:
            assert not (torch.isnan(t).any() if t.is_floating_point() else (t == -1).any())
