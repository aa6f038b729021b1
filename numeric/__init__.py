"""natsparse.numeric — numbers for the theory: mpmath reference, arb certificates, torch batches.

Importing it registers the numeric evidence (checks on seeded panels) with the registry.
"""

from . import arb, batched, bounds, mp
from . import condensation_evidence as _condensation_evidence  # noqa: F401  (registers evidence)
from . import definitions_evidence as _definitions_evidence  # noqa: F401  (registers evidence)
from . import evidence as _evidence  # noqa: F401  (registers evidence)
from . import gaussian_evidence as _gaussian_evidence  # noqa: F401  (registers evidence)
from . import kernel_evidence as _kernel_evidence  # noqa: F401  (registers evidence)
from . import real_model as _real_model  # noqa: F401  (registers evidence)
from .checks import CHECKS
from .records import CheckRecord

__all__ = ["CHECKS", "CheckRecord", "arb", "batched", "bounds", "mp"]
