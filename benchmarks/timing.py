"""What every benchmark script shares: the machine's name and interleaved timing.

Machines here are noisy, so methods are timed side by side: each repeat runs every method
once, in turn, so that all of them see the same load; scripts report the best (and, where
useful, the median) of the repeats.
"""

from __future__ import annotations

import platform
import time
from pathlib import Path


def cpu_model() -> str:
    """The CPU model from /proc/cpuinfo (falls back to platform)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


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
