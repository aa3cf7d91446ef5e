"""What posting an allocation change does for one installation-year, and the cap of the year's
allowance unit type: decided here, stored by `services/allocation/posting.py`.

- A positive change is delivered less what is withheld for a previous year's shortfall (China:
  MEE Order No. 19 Art. 40, and State Council Decree No. 775 Art. 24 from the 2023 year: the
  shortfall not made good is deducted from the next year's allocation, `data/compliance/CN.toml`).
- A negative change (the true-up found less than was pre-allocated, or an allocation was cut) is
  taken back from what the operator account holds free; what it cannot find there is recorded as
  a debt, which the compliance year adds to the units required (`domain/compliance/assessment.py`).
  China: 2019-2020 Implementation Plan, allowance issuance (pre-allocation, then the final
  allocation against verified output, the excess returned); EU: allowances allocated in excess
  are returned (the registry rules, Commission Delegated Regulation (EU) 2019/1122; article not
  re-read for this module).
- The cap: an absolute cap of the year (Directive 2003/87/EC Art. 9, `domain/allocation/cap.py`),
  or, intensity style, the sum of the allocations: raised to what has been issued plus what is
  about to be (it is never lowered, so issued never exceeds it).
"""

from __future__ import annotations

from dataclasses import dataclass

from carbonbridge.domain.allocation.design import AllocationDesign, BenchmarkDesign, IntensityDesign


@dataclass(frozen=True, slots=True)
class PostingDecision:
    allocate_t: int  # units to move from the national account to the operator
    take_back_t: int  # units to return from the operator to the national account
    withheld_t: int  # a previous year's shortfall deducted from this delivery
    debt_t: int  # excess the take-back could not find free in the operator account

    @property
    def delivered_t(self) -> int:
        """Units moved: allocated (+) or taken back (-)."""
        return self.allocate_t - self.take_back_t


def decide(change_t: int, owed_t: int, available_t: int, recorded_withheld_t: int | None = None) -> PostingDecision:
    """The posting of an allocation change of `change_t` (true-up: final allocation less what was
    allocated so far). `owed_t`: a previous year's shortfall still to deduct; `available_t`: the
    units the operator account holds free (only read for a negative change);
    `recorded_withheld_t`: what a first run of this phase withheld, so that a repeat decides the same."""
    first = max(0, min(owed_t, change_t))  # never more than the change, never negative
    withheld = first if recorded_withheld_t is None else recorded_withheld_t
    if change_t - withheld > 0:
        return PostingDecision(change_t - withheld, 0, withheld, 0)
    if change_t < 0:
        back = max(0, min(-change_t, available_t))
        return PostingDecision(0, back, withheld, -change_t - back)
    return PostingDecision(0, 0, withheld, 0)


def unit_type_cap(design: AllocationDesign, year: int, issued_t: int, to_issue_t: int) -> int:
    """The cap of the year's allowance unit type: the absolute cap of the year (benchmark design),
    or what has been issued plus what is about to be, at least 1 (intensity design)."""
    match design:
        case BenchmarkDesign(config=config):
            return config.cap.cap(year)
        case IntensityDesign():
            return max(1, issued_t + to_issue_t)


def raised_cap(design: AllocationDesign, current_cap_t: int, year: int, issued_t: int, to_issue_t: int) -> int | None:
    """The new cap when the design's cap follows the allocations and they outgrow it; else None
    (an absolute cap is set once, when the unit type is created)."""
    match design:
        case IntensityDesign():
            wanted = unit_type_cap(design, year, issued_t, to_issue_t)
            return wanted if wanted > current_cap_t else None
        case BenchmarkDesign():
            return None
