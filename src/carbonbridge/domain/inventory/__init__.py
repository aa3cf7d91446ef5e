"""National GHG inventory: records by IPCC 2006 category, Tier 1 compilation, KCA, uncertainty.

Pure rules: no I/O, no clock; randomness only through a numpy Generator passed in.
"""

from carbonbridge.domain.inventory.records import EmissionRecord

__all__ = ["EmissionRecord"]
