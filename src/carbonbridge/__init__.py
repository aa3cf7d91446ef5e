"""CarbonBridge: GHG MRV, national inventory, allowance registry and linked emissions trading.

The public Python API is what `__all__` names; everything else may change. Heavy libraries
(pint, polars, SQLAlchemy) load only when a name that needs them is first used.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "ActivityRecord": "carbonbridge.domain.mrv.records",
    "EmissionResult": "carbonbridge.domain.mrv.records",
    "Calculator": "carbonbridge.domain.mrv.calculation",
    "MethodPack": "carbonbridge.domain.mrv.factors",
    "load_pack": "carbonbridge.adapters.packs",
    "available_packs": "carbonbridge.adapters.packs",
    "load_jurisdiction": "carbonbridge.adapters.config",
    "gwp": "carbonbridge.domain.gwp",
    "GWP_SETS": "carbonbridge.domain.gwp",
    "measured_emissions": "carbonbridge.domain.mrv.cems",
    "CarbonBridgeError": "carbonbridge.domain.errors",
    "ValidationFailed": "carbonbridge.domain.errors",
    "NotFound": "carbonbridge.domain.errors",
    "Conflict": "carbonbridge.domain.errors",
    "RuleViolation": "carbonbridge.domain.errors",
    "Problem": "carbonbridge.domain.errors",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'carbonbridge' has no attribute {name!r}")
