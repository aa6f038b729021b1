"""What every benchmark script shares: the machine's name and interleaved timing.

Machines here are noisy, so methods are timed side by side: each repeat runs every method
once, in turn, so that all of them see the same load; scripts report the best (and, where
useful, the median) of the repeats.
"""

from __future__ import annotations

import time

from natsparse.experiments.machine import cpu_model  # noqa: F401  (re-exported for the scripts)


def interleaved_times(fns, repeats: int, warmup: bool = True) -> list[list[float]]:
    """Seconds of each call of each function in `fns`, alternating them within every repeat."""
    if warmup:
        for fn in fns:
            fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            times[i].append(time.perf_counter() - t0)
    return times
