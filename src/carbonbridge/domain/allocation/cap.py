"""Absolute caps with a linear reduction factor (Directive 2003/87/EC Art. 9).

cap(year) = start_cap - LRF x reference_quantity x (year - start_year), never below zero,
rounded down to whole allowances. In the EU the reference is the average annual quantity of
2008-2012 and the LRF 2.2 % (2021-2023), 4.3 % (2024-2027), 4.4 % from 2028 (Directive
(EU) 2023/959 amending Art. 9); a jurisdiction configures its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from carbonbridge.domain.errors import RuleViolation


@dataclass(frozen=True, slots=True)
class LinearCap:
    start_year: int
    start_cap_t: int
    reference_t: int
    reduction: tuple[tuple[int, Decimal], ...]  # (first year, linear reduction factor) in order

    def factor_for(self, year: int) -> Decimal:
        applicable = [lrf for first, lrf in self.reduction if first <= year]
        if not applicable:
            raise RuleViolation("no_reduction_factor", f"no linear reduction factor configured for {year}")
        return applicable[-1]

    def cap(self, year: int) -> int:
        """The cap for `year`: each year since the start removes LRF(year) x reference."""
        if year < self.start_year:
            raise RuleViolation("cap_before_start", f"the cap starts in {self.start_year}, not {year}")
        removed = sum((self.factor_for(y) * self.reference_t for y in range(self.start_year + 1, year + 1)), Decimal(0))
        value = Decimal(self.start_cap_t) - removed
        return max(0, int(value.to_integral_value(rounding=ROUND_FLOOR)))
