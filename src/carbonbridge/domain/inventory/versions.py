"""Differences between two submissions (versions) of an inventory, by category, gas and year."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from carbonbridge.domain.inventory.records import EmissionRecord


@dataclass(frozen=True, slots=True)
class Change:
    category: str
    gas: str
    year: int
    old_t: float | None
    new_t: float | None
    old_co2e_t: float
    new_co2e_t: float

    @property
    def kind(self) -> str:
        return "added" if self.old_t is None else "removed" if self.new_t is None else "changed"

    @property
    def delta_co2e_t(self) -> float:
        return self.new_co2e_t - self.old_co2e_t

    @property
    def delta_pct(self) -> float:
        return self.delta_co2e_t / abs(self.old_co2e_t) * 100.0 if self.old_co2e_t else math.inf


def diff(
    old: Iterable[EmissionRecord], new: Iterable[EmissionRecord], gwp_set: str, *, relative_tolerance: float = 0.0
) -> list[Change]:
    """Every category/gas/year whose mass differs (beyond `relative_tolerance`), was added or removed."""
    before = {(r.category, r.gas, r.year): r for r in old}
    after = {(r.category, r.gas, r.year): r for r in new}
    out = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        if a is not None and b is not None and math.isclose(a.mass_t, b.mass_t, rel_tol=relative_tolerance, abs_tol=0):
            continue
        out.append(
            Change(
                *key,
                a.mass_t if a else None,
                b.mass_t if b else None,
                a.co2e_t(gwp_set) if a else 0.0,
                b.co2e_t(gwp_set) if b else 0.0,
            )
        )
    return out
