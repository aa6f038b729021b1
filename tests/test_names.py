"""No bare name of ours shadows an installed package, wherever Python starts.

Python puts the folder it starts in (or the script's folder) first on sys.path: a plain `python` at the
repository root, `python -m pytest`, a script under tests/, a notebook the book executes in book/. A
root folder `kernels/` was then imported instead of the Hugging Face `kernels` distribution that
transformers requires, and every model load failed. The layers now live in src/natsparse/ and are
importable as `natsparse.<layer>` only; these tests start fresh interpreters in each such folder and
ask where each bare name resolves. Each test fails on the old layout (layers at the root).
"""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: the layers' names, which must never resolve to a folder of this repository
BARE = ("kernels", "numeric", "proofs", "evidence", "experiments")
#: the folders a user's or a tool's Python starts in (book/: where Jupyter Book runs the notebooks)
STARTS = (".", "tests", "book", "benchmarks")

WHERE = """
import importlib.util, json, sys
out = {}
for name in %r:
    try:
        spec = importlib.util.find_spec(name)
    except ImportError:
        spec = None
    out[name] = None if spec is None else (spec.origin or list(spec.submodule_search_locations or []))
print(json.dumps({"path": sys.path, "found": out}))
"""


def resolve(start: str) -> dict:
    """{"path": sys.path, "found": {name: origin or None}} of a fresh `python -c` started in `start`."""
    out = subprocess.run([sys.executable, "-c", WHERE % (BARE,)], cwd=ROOT / start, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout)


def ours(origin) -> bool:
    """Whether a spec origin (a file, or a namespace package's folders) lies in this repository's own
    folders, as opposed to an installed distribution (a virtual environment inside the clone is not ours)."""
    paths = [origin] if isinstance(origin, str) else origin
    return any(Path(p).resolve().is_relative_to(ROOT) and not Path(p).resolve().is_relative_to(sys.prefix)
               for p in paths)


@pytest.mark.parametrize("start", STARTS)
def test_no_bare_name_resolves_to_our_folders(start):
    seen = resolve(start)
    assert seen["path"][0] == "", "python -c puts its start folder first on sys.path"
    shadowing = {name: origin for name, origin in seen["found"].items() if origin and ours(origin)}
    assert not shadowing, f"started in {start}/, these bare names resolve to our folders: {shadowing}"


@pytest.mark.parametrize("start", STARTS)
def test_no_start_folder_offers_an_installed_top_level_name(start):
    """Whatever is installed: no module or package in a start folder has the top-level name of an
    installed distribution (`packages_distributions` maps each installed top-level name to its
    distributions), so none can be shadowed, whichever package imports it."""
    folder = ROOT / start
    offered = {p.stem for p in folder.glob("*.py")} | {
        p.name for p in folder.iterdir() if p.is_dir() and p.name.isidentifier() and p.name[0] != "."}
    installed = importlib.metadata.packages_distributions()
    clash = {name: installed[name] for name in offered & set(installed)}
    assert not clash, f"{start}/ offers names that installed distributions own: {clash}"


def test_kernels_is_the_hugging_face_distribution_or_absent():
    """`import kernels` at the root gives the installed distribution's own file, or nothing at all."""
    origin = resolve(".")["found"]["kernels"]
    try:
        dist = importlib.metadata.distribution("kernels")
    except importlib.metadata.PackageNotFoundError:
        assert origin is None, f"no `kernels` is installed, yet `import kernels` finds {origin}"
        return
    installed = {str(Path(dist.locate_file(f)).resolve()) for f in dist.files or []}
    assert origin is not None and str(Path(origin).resolve()) in installed, \
        f"`import kernels` finds {origin}, not the installed distribution kernels {dist.version}"


def test_this_test_run_starts_at_the_root():
    """The in-process model tests (tests/face/test_hf.py loads SmolLM2 through natsparse.hf) run with
    the repository root on sys.path, as `python -m pytest` at the root puts it: they are from-root tests."""
    assert any(Path(p or ".").resolve() == ROOT for p in sys.path)


def test_each_layer_is_loaded_under_one_name():
    """After importing the whole package no module is loaded under a bare layer name."""
    import natsparse.evidence  # noqa: F401  (imports every layer below it)

    twice = sorted(m for m in sys.modules if m.split(".")[0] in BARE and getattr(
        sys.modules[m], "__file__", None) and ours(sys.modules[m].__file__))
    assert not twice, f"loaded under a bare name as well: {twice}"


def test_the_face_shows_its_public_names_only():
    """`dir(natsparse)` lists the lazy public names, not the helpers the module uses to load them."""
    import natsparse

    public = [n for n in dir(natsparse) if not n.startswith("_")]
    assert public == sorted(natsparse.__all__)
    assert "annotations" not in dir(natsparse) and "importlib" not in dir(natsparse)
