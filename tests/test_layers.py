"""The layers of DESIGN.md: imports point down only, and the low layers load nothing heavy.

proofs and kernels import nothing of ours; numeric imports proofs; experiments import numeric,
kernels (and proofs); evidence imports everything below it; the face (`natsparse/`) imports all.
The check reads every module's imports from its syntax tree (function-level imports included),
so a lazy import cannot hide an upward one.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BELOW = {
    "proofs": set(),
    "kernels": set(),
    "numeric": {"proofs"},
    "experiments": {"proofs", "numeric", "kernels"},
    "evidence": {"proofs", "numeric", "kernels", "experiments"},
    "face": {"proofs", "numeric", "kernels", "experiments", "evidence"},
}


def layer_folders() -> dict[str, Path]:
    """Layer name -> folder: the face is src/natsparse, each layer its sub-package of that name."""
    face = ROOT / "src" / "natsparse"
    return {"face": face} | {name: face / name for name in BELOW if name != "face"}


def layer_of(module: str) -> str | None:
    """The layer of a dotted natsparse module name (None if not ours)."""
    parts = module.split(".")
    if parts[0] != "natsparse":
        return None
    return parts[1] if len(parts) > 1 and parts[1] in BELOW else "face"


def imports_of(path: Path, package: str) -> list[tuple[int, str]]:
    """(line, absolute module) for every import of `path`, a module of `package`."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.append((node.lineno, mod))
    return out


def violations() -> list[str]:
    bad = []
    folders = layer_folders()
    assert set(folders) == set(BELOW), f"pyproject's layers {set(folders)} differ from {set(BELOW)}"
    for layer, folder in folders.items():
        top = "natsparse" if layer == "face" else f"natsparse.{layer}"
        for path in folder.rglob("*.py"):
            rel = path.relative_to(folder).with_suffix("")
            package = ".".join([top, *rel.parts[:-1]])
            for line, mod in imports_of(path, package):
                target = layer_of(mod)
                if target is None or target == layer:
                    continue
                if layer == "face" and mod == "natsparse":
                    continue
                if target not in BELOW[layer]:
                    bad.append(f"{path.relative_to(ROOT)}:{line} ({layer}) imports {mod} ({target})")
    return bad


def test_imports_point_down():
    assert violations() == []


def test_the_check_catches_an_upward_import(tmp_path, monkeypatch):
    """The check can fail: a numeric module with a lazy import of an experiment is reported."""
    fake = tmp_path / "numeric"
    fake.mkdir()
    (fake / "bad.py").write_text("def f():\n    from natsparse.experiments import corpus\n")
    (fake / "fine.py").write_text("from . import bad\nfrom natsparse.proofs import get\n")
    folders = layer_folders() | {"numeric": fake}
    monkeypatch.setattr(sys.modules[__name__], "layer_folders", lambda: folders)
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert violations() == ["numeric/bad.py:2 (numeric) imports natsparse.experiments (experiments)"]


HEAVY = ("flint", "matplotlib", "transformers", "natsparse.experiments", "natsparse.evidence",
         "natsparse.numeric")


@pytest.mark.parametrize(("module", "also_absent"), [
    ("natsparse.proofs", ("torch", "natsparse.kernels")),
    ("natsparse.kernels", ("sympy", "natsparse.proofs")),
    ("natsparse", ("torch", "sympy", "natsparse.proofs", "natsparse.kernels")),
])
def test_low_layers_load_nothing_heavy(module, also_absent):
    """In a fresh interpreter, importing a low layer loads no flint, experiment, evidence or plot.

    SymPy itself takes python-flint as its ground types when it is installed (its own "auto"
    choice), so the subprocess pins SYMPY_GROUND_TYPES=python: what is left is what we import.
    """
    code = (f"import sys, {module}; heavy = {HEAVY + also_absent!r}; "
            "print(sorted({m for m in sys.modules for h in heavy if m == h or m.startswith(h + '.')}))")
    env = {**os.environ, "SYMPY_GROUND_TYPES": "python"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[]", f"import {module} loaded {out.stdout.strip()}"
