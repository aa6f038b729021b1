"""The on-disk cache of evidence outcomes, so that `natsparse list` and `show` need not re-run it.

An outcome is stored under a key that hashes (1) the source of every module of natsparse (all
layers: a change to any evaluator, check or constant changes every key), (2) the versions of
the libraries that compute it, and (3) the evidence's own identity and parameters (result id,
level, tool, domain, function name). A stale outcome can therefore never be read as fresh: it
is simply not found; an unreadable or malformed file is a miss too, and an unwritable folder
is skipped. The folder follows the platform's user-cache convention (platformdirs) and is
overridden by the environment variable NATSPARSE_CACHE_DIR. `natsparse list` and `show` read it
(`--refresh` runs the evidence again); `natsparse check` never does.
"""

from __future__ import annotations

import hashlib
import importlib.util
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
    """sha256 over the source of every layer of natsparse and the versions of its libraries.

    The layers' folders come from their import specs, without importing them (importing
    `natsparse.kernels` would load torch, and this runs on the fast path of `natsparse list`).
    """
    h = hashlib.sha256()
    for name in LAYERS:
        root = Path(importlib.util.find_spec(name).origin).parent
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
    """The cached run of `ev`, or None when there is none for this source, or the file is unreadable
    or not exactly what `write` stores for `ev` (a corrupt file is a miss, never a crash or a pass)."""
    try:
        d = json.loads(_path(ev).read_text(encoding="utf-8"))
        passed, detail, seconds = d["passed"], d["detail"], d["seconds"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        return None
    if (d.get("key") != ev.key or not isinstance(passed, bool) or not isinstance(detail, str)
            or isinstance(seconds, bool) or not isinstance(seconds, int | float)):
        return None
    return EvidenceRun(ev, Outcome(passed, detail), float(seconds))


def write(run: EvidenceRun) -> None:
    """Store `run` (written to a temporary file, then renamed); an unwritable folder is skipped."""
    path = _path(run.evidence)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"key": run.evidence.key, "passed": bool(run.outcome.passed),
                                   "detail": str(run.outcome.detail), "seconds": float(run.seconds)}),
                       encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass
