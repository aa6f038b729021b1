"""The `>>>` examples of every module of natsparse run and pass (one test per module).

The modules are found with `pkgutil.walk_packages` from the installed package and imported by their
dotted names (`natsparse.numeric.mp`, ...), then `doctest` runs each one's examples; this also checks
that every module of an evaluator layer carries an example. Every module has one name only (the
layers live in src/natsparse/; tests/test_names.py checks that no bare name resolves to them).

`natsparse.__main__` is left out: importing it runs the CLI. Triton's mode is fixed first (the
interpreter without CUDA, as in the kernel tests), since the kernel source imports triton.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import tests.test_kernels.helpers  # noqa: F401  (sets TRITON_INTERPRET=1 without CUDA before triton loads)

PACKAGES = ("natsparse", "natsparse.proofs", "natsparse.numeric", "natsparse.kernels",
            "natsparse.experiments", "natsparse.evidence", "natsparse.figures")
SKIP = {"natsparse.__main__"}
#: Modules of evaluators: each must carry at least one example (but the @triton.jit device code, which
#: runs only through the launcher in natsparse.kernels.triton_topk, whose examples exercise it).
EVALUATORS = ("natsparse.numeric.", "natsparse.kernels.")
NO_EXAMPLE = {"natsparse.kernels.triton_topk_kernel"}


def module_names() -> list[str]:
    names = set(PACKAGES)
    for package in PACKAGES:
        path = importlib.import_module(package).__path__
        names |= {info.name for info in pkgutil.walk_packages(path, package + ".")}
    return sorted(names - SKIP)


def test_every_layer_is_walked():
    names = module_names()
    for expected in ("natsparse.blueprint", "natsparse.figures.style", "natsparse.proofs.registry",
                     "natsparse.numeric.mp", "natsparse.kernels.triton_topk_kernel",
                     "natsparse.experiments.audit", "natsparse.evidence.kernel"):
        assert expected in names
    assert not any(n.startswith(("numeric.", "proofs.", "kernels.")) for n in names)


@pytest.mark.parametrize("name", module_names())
def test_examples_pass(name):
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, optionflags=flags, report=True)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {name} failed (see stdout)"
    if name.startswith(EVALUATORS) and name not in NO_EXAMPLE:
        assert result.attempted > 0, f"{name} is a module of evaluators and has no example"
