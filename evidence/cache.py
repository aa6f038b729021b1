"""The on-disk cache of evidence outcomes, so that `natsparse list` and `show` need not re-run it.

An outcome is stored under a key that hashes (1) the source of every module of natsparse (all
layers: a change to any evaluator, check or constant changes every key), (2) the versions of
the libraries that compute it, and (3) the evidence's own identity and parameters (result id,
level, tool, domain, function name). A stale outcome can therefore never be read as fresh: it
is simply not found. The folder follows the platform's user-cache convention (platformdirs)
and is overridden by the environment variable NATSPARSE_CACHE_DIR.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from importlib import metadata
from pathlib import Path

from natsparse.proofs import Evidence, EvidenceRun, Outcome

ENV = "NATSPARSE_CACHE_DIR"
LIBRARIES = ("sympy", "mpmath", "numpy", "torch", "python-flint", "scipy", "transformers")
LAYERS = ("natsparse", "natsparse.proofs", "natsparse.numeric", "natsparse.kernels",
          "natsparse.experiments", "natsparse.evidence")


def folder() -> Path:
    """Where outcomes are kept: $NATSPARSE_CACHE_DIR, else the user cache folder of natsparse."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    import platformdirs  # the platform's cache convention (XDG, ~/Library/Caches, %LOCALAPPDATA%)

    return Path(platformdirs.user_cache_dir("natsparse")) / "evidence"


@cache
def source_hash() -> str:
    """sha256 over the source of every layer of natsparse and the versions of its libraries."""
    import importlib

    h = hashlib.sha256()
    for name in LAYERS:
        root = Path(importlib.import_module(name).__file__).parent
        for path in sorted(root.rglob("*.py")):
            h.update(f"{name}/{path.relative_to(root).as_posix()}\0".encode())
            h.update(path.read_bytes())
    for lib in LIBRARIES:
        try:
            h.update(f"{lib}={metadata.version(lib)}\0".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{lib}=absent\0".encode())
    return h.hexdigest()


def _path(ev: Evidence) -> Path:
    key = hashlib.sha256(f"{source_hash()}\0{ev.key}".encode()).hexdigest()
    return folder() / f"{key}.json"


def read(ev: Evidence) -> EvidenceRun | None:
    """The cached run of `ev`, or None when there is none for this source (or it is unreadable)."""
    try:
        d = json.loads(_path(ev).read_text())
        return EvidenceRun(ev, Outcome(bool(d["passed"]), str(d["detail"])), float(d["seconds"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write(run: EvidenceRun) -> None:
    """Store `run` (written to a temporary file, then renamed); an unwritable folder is skipped."""
    path = _path(run.evidence)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"key": run.evidence.key, "passed": bool(run.outcome.passed),
                                   "detail": str(run.outcome.detail), "seconds": float(run.seconds)}))
        tmp.replace(path)
    except OSError:
        pass
