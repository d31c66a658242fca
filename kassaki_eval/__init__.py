"""kassaki-eval: poverty targeting and impact evaluation for KASSAKI (Pangkep).

See README.md for the two commands and a tour; docs/ARCHITECTURE.md for the contracts.
"""
from ._version import __version__
from .exceptions import KassakiError, KassakiWarning
from .results import EstimateResult, Provenance, compare

__all__ = [
    "__version__", "KassakiError", "KassakiWarning", "EstimateResult", "Provenance", "compare",
]
