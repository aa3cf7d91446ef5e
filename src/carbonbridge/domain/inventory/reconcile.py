"""Reconciliation of installation MRV with the inventory: per category and year, verified
installation emissions against the inventory estimate of the same category (with its
sub-categories summed), with flags for what a reviewer must explain."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

EXCEEDS = "installations_exceed_inventory"
LOW_SHARE = "implausibly_low_share"
NO_INVENTORY = "no_inventory_estimate"


@dataclass(frozen=True, slots=True)
class ReconciliationRow:
    category: str
    year: int
    inventory_co2e_t: float
    installations_co2e_t: float
    installations: int
    share: float  # installations / inventory (inf where the inventory has nothing)
    flags: tuple[str, ...]


def reconcile(
    inventory_co2e_t: Mapping[tuple[str, int], float],
    installations_co2e_t: Mapping[tuple[str, int], tuple[float, int]],
    *,
    minimum_share: Mapping[str, float] | None = None,
    tolerance: float = 0.005,
) -> list[ReconciliationRow]:
    """One row per (category, year) that installations report. Installations above the
    inventory by more than `tolerance` (fraction) are flagged, as is a share below the
    category's expected minimum (e.g. all cement clinker is made in regulated kilns)."""
    out = []
    for (category, year), (mrv, count) in sorted(installations_co2e_t.items()):
        inventory = inventory_co2e_t.get((category, year), 0.0)
        flags = []
        if inventory <= 0:
            share = float("inf") if mrv > 0 else 0.0
            flags.append(NO_INVENTORY)
        else:
            share = mrv / inventory
            if share > 1.0 + tolerance:
                flags.append(EXCEEDS)
            if share < (minimum_share or {}).get(category, 0.0):
                flags.append(LOW_SHARE)
        out.append(ReconciliationRow(category, year, inventory, mrv, count, share, tuple(flags)))
    return out
