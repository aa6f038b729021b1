"""natsparse — naturally sparse attention, stated in SymPy, certified in arb, checked in torch.

The public face, loaded lazily (nothing heavy is imported until it is used):

- `registry`, `get(id)`: every result of the theory (`natsparse.proofs`);
- `status(id)`, `scope(id)`: its computed status, from all evidence, and what that evidence covers
  (`natsparse.evidence`);
- `CHECKS`, `CheckRecord`, `mp`, `arb`, `batched`, `bounds`: the numbers (`natsparse.numeric`);
- `natsparse.kernels`: fused top-k attention with its error certificate.

    >>> import natsparse
    >>> natsparse.get("lem:gap-bound").provenance
    ('companion',)
"""

from importlib import import_module as _import_module

__version__ = "0.1.0"

_WHERE = {"Result": "natsparse.proofs", "get": "natsparse.proofs", "registry": "natsparse.proofs",
          "status": "natsparse.evidence", "scope": "natsparse.evidence", "CHECKS": "natsparse.numeric",
          "CheckRecord": "natsparse.numeric",
          "arb": "natsparse.numeric", "batched": "natsparse.numeric", "bounds": "natsparse.numeric",
          "mp": "natsparse.numeric"}


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(_import_module(_WHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public names only (no helper of this module, no `annotations` or `importlib`)."""
    dunder = {n for n in globals() if n.startswith("__") and n.endswith("__")}
    return sorted({"__version__", *_WHERE} | dunder)


__all__ = sorted(_WHERE)
