"""natsparse — naturally sparse attention, stated in SymPy, certified in arb, checked in torch.

The public face:

- `registry`, `get(id)`, `status(id)`: every result of the theory and its computed status
  (`natsparse.proofs`);
- `CHECKS`, `CheckRecord`, `mp`, `arb`, `batched`, `bounds`: the numbers (`natsparse.numeric`);
- `natsparse.kernels`: fused top-k attention with its error certificate.

    >>> import natsparse
    >>> natsparse.get("lem:gap-bound").provenance
    ('companion',)
"""

from natsparse.numeric import CHECKS, CheckRecord, arb, batched, bounds, mp
from natsparse.proofs import Result, get, registry, status

__version__ = "0.1.0"
__all__ = ["CHECKS", "CheckRecord", "Result", "arb", "batched", "bounds", "get", "mp", "registry",
           "status"]
