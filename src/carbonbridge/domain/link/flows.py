"""Yearly net flows across the link per unit type: the figures Article 6.2 reporting needs
(Decision 2/CMA.3 annex, chapter IV: first transfers and acquisitions of internationally
transferred units, per vintage and type, in the annual information)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Flow:
    unit_type: str
    transferred_out: int  # completed outgoing link transfers
    acquired: int  # accepted incoming link transfers

    @property
    def net_acquired(self) -> int:
        return self.acquired - self.transferred_out


def net_flows(movements: Iterable[tuple[str, str, int]]) -> list[Flow]:
    """`movements`: (direction "out"|"in", unit type, units) of final transfers in the year."""
    totals: dict[str, list[int]] = {}
    for direction, unit_type, units in movements:
        pair = totals.setdefault(unit_type, [0, 0])
        pair[0 if direction == "out" else 1] += units
    return [Flow(u, out, acquired) for u, (out, acquired) in sorted(totals.items())]
