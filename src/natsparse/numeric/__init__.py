"""natsparse.numeric — evaluators and checks: mpmath reference, arb certificates, torch batches.

Submodules load on first use (`natsparse.numeric.arb` needs flint, `batched` needs torch):
`validate`, `records`, `mp`, `arb`, `batched`, `loss`, `bounds`, `gaussian`, `montecarlo`,
`stats`, `checks` (`CHECKS`: one check per result) and `panel` (seeded inputs for the checks).

    >>> from natsparse.numeric import CHECKS
    >>> all(r.passed for r in CHECKS["lem:max-weight"]([1.0, 0.0, -1.0], k=1))
    True
"""

from __future__ import annotations

import importlib

_MODULES = ("arb", "batched", "bounds", "checks", "gaussian", "loss", "montecarlo", "mp", "panel", "records",
            "stats", "validate")
_NAMES = {"CHECKS": "checks", "CheckRecord": "records"}


def __getattr__(name: str):
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _NAMES:
        return getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["CHECKS", "CheckRecord", "arb", "batched", "bounds", "mp"]
